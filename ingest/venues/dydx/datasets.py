"""dYdX datasets: what the registry exposes for this venue, with cadence and record shape.

Every indexer answer wraps its records in an object (`{"historicalFunding": [...]}`, `{"markets": {ticker: ...}}`),
and the blocking raw check sees only a payload's top level, so each shape describes the envelope: the check
proves the envelope key is there and catches a page served twice (equal pages are equal keys). Record-level
fields that paging depends on (times, heights) are checked while fetching (SchemaDrift). Times are ISO-8601, not the
epoch ms the check's `time_field` compares, so none is declared; the paging plans keep records in the window.
"""

from __future__ import annotations

from ingest.shapes import RecordShape
from ingest.spec import Cadence, DatasetSpec
from ingest.venues.dydx import candles, funding, markets, trades
from ingest.venues.dydx.client import make_client
from ingest.venues.dydx.symbols import ticker

VENUE = "dydx"


def _page_shape(key: str, record: str) -> RecordShape:
    return RecordShape(f'{{"{key}":[{record}]}}', is_list=False, key_fields=(key,), required_fields=(key,))


DATASETS: tuple[DatasetSpec, ...] = (
    DatasetSpec(
        venue=VENUE,
        dataset="perpetual_markets",
        cadence=Cadence.HOURLY_SNAPSHOT,
        description="dYdX v4 perpetual markets (/v4/perpetualMarkets), sampled hourly: oracle price, predicted "
        "1-hour funding rate (nextFundingRate, settled at the next top of the hour), open interest in base coin, "
        "24 h volume, status.",
        make_client=make_client,
        shape=RecordShape(
            '{"markets":"MAP(VARCHAR, STRUCT(ticker VARCHAR, status VARCHAR, oraclePrice VARCHAR, '
            'nextFundingRate VARCHAR, openInterest VARCHAR))"}',
            is_list=False,
            key_fields=("markets",),
            required_fields=("markets",),
        ),
        whole_venue=lambda c, w: [markets.fetch_perpetual_markets(c)],
    ),
    DatasetSpec(
        venue=VENUE,
        dataset="funding_rates",
        cadence=Cadence.DAILY_HISTORY,
        description="dYdX v4 hourly funding settlements (/v4/historicalFunding/{ticker}): 1-hour rate and oracle "
        "price, one day per partition.",
        make_client=make_client,
        shape=_page_shape(
            "historicalFunding",
            '{"ticker":"VARCHAR","rate":"VARCHAR","price":"VARCHAR","effectiveAt":"VARCHAR",'
            '"effectiveAtHeight":"VARCHAR"}',
        ),
        per_asset=lambda c, asset, w: funding.fetch_funding_history(c, ticker(asset), w),
    ),
    DatasetSpec(
        venue=VENUE,
        dataset="candles_1h",
        cadence=Cadence.DAILY_HISTORY,
        description="dYdX v4 hourly candles (/v4/candles/perpetualMarkets/{ticker}?resolution=1HOUR): OHLC, base "
        "and USD volume, trades and startingOpenInterest (the open-interest history), one day per partition; "
        "today's includes the candle still open.",
        make_client=make_client,
        shape=_page_shape(
            "candles",
            '{"startedAt":"VARCHAR","ticker":"VARCHAR","resolution":"VARCHAR","open":"VARCHAR","close":"VARCHAR",'
            '"baseTokenVolume":"VARCHAR","usdVolume":"VARCHAR","trades":"BIGINT","startingOpenInterest":"VARCHAR"}',
        ),
        per_asset=lambda c, asset, w: candles.fetch_hourly_candles(c, ticker(asset), w),
    ),
    DatasetSpec(
        venue=VENUE,
        dataset="trades",
        cadence=Cadence.DAILY_HISTORY,
        description="dYdX v4 taker fills (/v4/trades/perpetualMarket/{ticker}), one day per partition; type "
        "LIQUIDATED and DELEVERAGED are liquidations. The last page reaches before the day and consecutive pages "
        "repeat the block they meet at: staging keeps one row per id inside the window.",
        make_client=make_client,
        shape=_page_shape(
            "trades",
            '{"id":"VARCHAR","side":"VARCHAR","size":"VARCHAR","price":"VARCHAR","type":"VARCHAR",'
            '"createdAt":"VARCHAR","createdAtHeight":"VARCHAR"}',
        ),
        per_asset=lambda c, asset, w: trades.fetch_trades(c, ticker(asset), w),
    ),
)
