"""BitMEX datasets: what the registry exposes for this venue, with cadence and record shape.

Record times are ISO-8601 strings on BitMEX, and the blocking raw check compares `time_field` as epoch ms, so no
history here declares one: the paging plans keep records inside the window instead (the client tests check it).
"""

from __future__ import annotations

from ingest.shapes import RecordShape
from ingest.spec import Cadence, DatasetSpec
from ingest.venues.bitmex import history, instruments
from ingest.venues.bitmex.client import make_client
from ingest.venues.bitmex.symbols import perp_symbol

VENUE = "bitmex"

DATASETS: tuple[DatasetSpec, ...] = (
    DatasetSpec(
        venue=VENUE,
        dataset="instruments",
        cadence=Cadence.HOURLY_SNAPSHOT,
        description="BitMEX open contracts (/api/v1/instrument/active), sampled hourly: perpetuals' current funding "
        "rate, next funding time and interval, mark price, open interest (contracts) and open value (satoshi); dated "
        "futures' expiry and fair basis.",
        make_client=make_client,
        shape=RecordShape(
            '{"symbol":"VARCHAR","typ":"VARCHAR","state":"VARCHAR","timestamp":"VARCHAR","markPrice":"DOUBLE",'
            '"fundingRate":"DOUBLE","fundingTimestamp":"VARCHAR","fundingInterval":"VARCHAR",'
            '"openInterest":"DOUBLE","openValue":"DOUBLE","fairBasis":"DOUBLE","expiry":"VARCHAR"}',
            is_list=True,
            key_fields=("symbol",),
            # Futures and spot pairs have no funding fields: only what every contract carries is required.
            required_fields=("typ", "state", "timestamp"),
        ),
        whole_venue=lambda c, w: [instruments.fetch_active_instruments(c)],
    ),
    DatasetSpec(
        venue=VENUE,
        dataset="indices",
        cadence=Cadence.HOURLY_SNAPSHOT,
        description="BitMEX price indices (/api/v1/instrument/indices, e.g. .BXBT), sampled hourly; lastPrice is "
        "the index value.",
        make_client=make_client,
        shape=RecordShape(
            '{"symbol":"VARCHAR","typ":"VARCHAR","lastPrice":"DOUBLE","timestamp":"VARCHAR"}',
            is_list=True,
            key_fields=("symbol",),
            required_fields=("typ", "timestamp"),
        ),
        whole_venue=lambda c, w: [instruments.fetch_indices(c)],
    ),
    DatasetSpec(
        venue=VENUE,
        dataset="funding_rates",
        cadence=Cadence.DAILY_HISTORY,
        description="BitMEX settled funding of each asset's USD perpetual (/api/v1/funding), settlements at 04:00, "
        "12:00 and 20:00 UTC, one day per partition.",
        make_client=make_client,
        shape=RecordShape(
            '{"timestamp":"VARCHAR","symbol":"VARCHAR","fundingInterval":"VARCHAR","fundingRate":"DOUBLE",'
            '"fundingRateDaily":"DOUBLE"}',
            is_list=True,
            key_fields=("symbol", "timestamp"),
            required_fields=("fundingRate", "fundingInterval"),
            time_field="timestamp",
            time_unit="iso",
            # Today's partition is empty until the 04:00 settlement.
            allow_empty=True,
        ),
        per_asset=lambda c, asset, w: history.fetch_funding_history(c, perp_symbol(asset), w),
    ),
    DatasetSpec(
        venue=VENUE,
        dataset="candles_1h",
        cadence=Cadence.DAILY_HISTORY,
        description="BitMEX hourly trade bins of each asset's USD perpetual (/api/v1/trade/bucketed?binSize=1h), "
        "stamped with their close time; a partition holds the bins that closed in its day. BitMEX bins carry no "
        "taker buy/sell split.",
        make_client=make_client,
        shape=RecordShape(
            '{"timestamp":"VARCHAR","symbol":"VARCHAR","open":"DOUBLE","high":"DOUBLE","low":"DOUBLE",'
            '"close":"DOUBLE","trades":"BIGINT","volume":"DOUBLE","turnover":"DOUBLE","homeNotional":"DOUBLE",'
            '"foreignNotional":"DOUBLE"}',
            is_list=True,
            key_fields=("symbol", "timestamp"),
            required_fields=("close", "volume"),
            time_field="timestamp",
            time_unit="iso",
        ),
        per_asset=lambda c, asset, w: history.fetch_hourly_bins(c, perp_symbol(asset), w),
    ),
)
