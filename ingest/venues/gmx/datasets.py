"""GMX datasets: three hourly snapshots of the whole venue, one call each.

GMX keeps no REST history, so these snapshots are the funding and open-interest history.

`/markets` and `/markets/info` wrap their rows in `{"markets": [...]}`: the raw check looks inside that list
(`records_path`) and checks each market row, keyed by its market token; `/prices/tickers` is a bare list.
"""

from __future__ import annotations

from ingest.shapes import RecordShape
from ingest.spec import Cadence, DatasetSpec
from ingest.venues.gmx import markets, prices
from ingest.venues.gmx.client import VENUE, make_client

MARKET_ROW = (
    '{"marketToken":"VARCHAR","indexToken":"VARCHAR","longToken":"VARCHAR","shortToken":"VARCHAR",'
    '"isListed":"BOOLEAN","listingDate":"VARCHAR"}'
)
MARKET_INFO_ROW = (
    '{"name":"VARCHAR","marketToken":"VARCHAR","indexToken":"VARCHAR","isListed":"BOOLEAN","isDisabled":"BOOLEAN",'
    '"openInterestLong":"VARCHAR","openInterestShort":"VARCHAR",'
    '"fundingRateLong":"VARCHAR","fundingRateShort":"VARCHAR",'
    '"borrowingRateLong":"VARCHAR","borrowingRateShort":"VARCHAR"}'
)
TICKER = (
    '{"tokenAddress":"VARCHAR","tokenSymbol":"VARCHAR","minPrice":"VARCHAR","maxPrice":"VARCHAR",'
    '"updatedAt":"BIGINT","timestamp":"BIGINT"}'
)

DATASETS: tuple[DatasetSpec, ...] = (
    DatasetSpec(
        venue=VENUE,
        dataset="markets",
        cadence=Cadence.HOURLY_SNAPSHOT,
        description="GMX v2 market catalogue (/markets): market, index, long and short token addresses and "
        "listing, sampled hourly; the instrument list.",
        make_client=make_client,
        shape=RecordShape(
            MARKET_ROW,
            is_list=True,
            key_fields=("marketToken",),
            required_fields=("indexToken", "longToken", "shortToken"),
            records_path="$.markets",
        ),
        whole_venue=lambda c, w: [markets.fetch_markets(c)],
    ),
    DatasetSpec(
        venue=VENUE,
        dataset="markets_info",
        cadence=Cadence.HOURLY_SNAPSHOT,
        description="GMX v2 market state (/markets/info): long and short open interest (USD x 1e30) and "
        "per-side funding, borrowing and net rates (annualised, x 1e30), sampled hourly.",
        make_client=make_client,
        shape=RecordShape(
            MARKET_INFO_ROW,
            is_list=True,
            key_fields=("marketToken",),
            required_fields=("name", "openInterestLong", "openInterestShort", "fundingRateLong", "fundingRateShort"),
            records_path="$.markets",
        ),
        whole_venue=lambda c, w: [markets.fetch_markets_info(c)],
    ),
    DatasetSpec(
        venue=VENUE,
        dataset="tickers",
        cadence=Cadence.HOURLY_SNAPSHOT,
        description="GMX v2 oracle prices (/prices/tickers): min and max index price per token "
        "(USD x 10^(30 - decimals)), sampled hourly.",
        make_client=make_client,
        shape=RecordShape(
            TICKER,
            is_list=True,
            key_fields=("tokenAddress",),
            required_fields=("tokenSymbol", "minPrice", "maxPrice", "updatedAt"),
        ),
        whole_venue=lambda c, w: [prices.fetch_tickers(c)],
    ),
)
