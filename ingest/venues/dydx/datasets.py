"""dYdX datasets: what the registry exposes for this venue, with cadence and record shape.

Every indexer answer wraps its records in an object (`{"historicalFunding": [...]}`); the shapes point the raw
check at that list, with ISO-8601 times. `perpetualMarkets` is a map keyed by ticker, checked as a whole.
Trades have neither a natural key nor a window check: consecutive pages repeat the block they meet at and the
last page reaches before the day (staging keeps one row per id inside the window).
"""

from __future__ import annotations

from ingest.shapes import RecordShape
from ingest.spec import Cadence, DatasetSpec
from ingest.venues.dydx import candles, funding, markets, trades
from ingest.venues.dydx.client import make_client
from ingest.venues.dydx.symbols import ticker

VENUE = "dydx"


def _page_shape(
    key: str, record: str, natural_key: tuple[str, ...], required: tuple[str, ...], time_field: str | None
) -> RecordShape:
    return RecordShape(
        record, True, natural_key, required, time_field=time_field, records_path=f"$.{key}", time_unit="iso"
    )


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
            ("ticker", "effectiveAt"),
            ("rate", "price"),
            "effectiveAt",
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
            ("ticker", "startedAt"),
            ("close", "startingOpenInterest"),
            "startedAt",
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
            (),
            ("id", "size", "price", "type", "createdAt"),
            None,
        ),
        per_asset=lambda c, asset, w: trades.fetch_trades(c, ticker(asset), w),
    ),
)
