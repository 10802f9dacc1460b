"""Drift datasets: the market stats snapshot (hourly), settled funding and candles (daily history).

Every Drift answer wraps its records (`{"success", "markets": [...]}`, `{"success", "records": [...]}`);
the shapes point the raw check inside the envelope (`records_path`), and `ts` is in unix seconds.
Candle records carry no market name, so they have no natural key within a partition of three markets.
"""

from __future__ import annotations

from ingest.shapes import RecordShape
from ingest.spec import Cadence, DatasetSpec
from ingest.venues.drift import candles, funding, stats
from ingest.venues.drift.client import VENUE, make_client, perp_symbol

MARKET_ROW = (
    '{"symbol":"VARCHAR","marketIndex":"INTEGER","marketType":"VARCHAR","status":"VARCHAR",'
    '"oraclePrice":"VARCHAR","markPrice":"VARCHAR","openInterest":{"long":"VARCHAR","short":"VARCHAR"},'
    '"fundingRate":{"long":"VARCHAR","short":"VARCHAR"},"fundingRate24h":"VARCHAR","fundingRateUpdateTs":"BIGINT"}'
)
FUNDING_RECORD = (
    '{"ts":"BIGINT","txSig":"VARCHAR","recordId":"VARCHAR","symbol":"VARCHAR","marketIndex":"INTEGER",'
    '"fundingRate":"VARCHAR","fundingRateLong":"VARCHAR","fundingRateShort":"VARCHAR",'
    '"oraclePriceTwap":"VARCHAR","markPriceTwap":"VARCHAR"}'
)
CANDLE = (
    '{"ts":"BIGINT","fillOpen":"DOUBLE","fillHigh":"DOUBLE","fillLow":"DOUBLE","fillClose":"DOUBLE",'
    '"oracleOpen":"DOUBLE","oracleHigh":"DOUBLE","oracleLow":"DOUBLE","oracleClose":"DOUBLE",'
    '"quoteVolume":"DOUBLE","baseVolume":"DOUBLE"}'
)

DATASETS: tuple[DatasetSpec, ...] = (
    DatasetSpec(
        venue=VENUE,
        dataset="markets",
        cadence=Cadence.HOURLY_SNAPSHOT,
        description="Drift market stats (/stats/markets): oracle and mark price, long/short open interest "
        "(base units), current hourly funding per side (percent) and its 24h mean, sampled hourly; "
        "the perp rows are the instrument list.",
        make_client=make_client,
        shape=RecordShape(MARKET_ROW, True, ("symbol",), ("marketIndex", "oraclePrice"), records_path="$.markets"),
        whole_venue=lambda c, w: [stats.fetch_market_stats(c)],
    ),
    DatasetSpec(
        venue=VENUE,
        dataset="funding_rates",
        cadence=Cadence.DAILY_HISTORY,
        description="Drift settled hourly funding (/market/{symbol}/fundingRates/{year}/{month}/{day}), "
        "one UTC day per partition, 24 settlements per market.",
        make_client=make_client,
        shape=RecordShape(
            FUNDING_RECORD,
            True,
            ("symbol", "ts"),
            ("fundingRate", "oraclePriceTwap"),
            time_field="ts",
            records_path="$.records",
            time_unit="s",
        ),
        per_asset=lambda c, asset, w: funding.fetch_funding_days(c, perp_symbol(asset), w),
    ),
    DatasetSpec(
        venue=VENUE,
        dataset="candles",
        cadence=Cadence.DAILY_HISTORY,
        description="Drift 5-minute candles (/market/{symbol}/candles/5): fill and oracle OHLC, quote and "
        "base volume, one UTC day per partition.",
        make_client=make_client,
        shape=RecordShape(
            CANDLE,
            True,
            (),
            ("ts", "fillClose", "oracleClose"),
            time_field="ts",
            records_path="$.records",
            time_unit="s",
        ),
        per_asset=lambda c, asset, w: candles.fetch_candles(c, perp_symbol(asset), w),
    ),
)
