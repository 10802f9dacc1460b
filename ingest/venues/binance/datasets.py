"""Binance datasets: what the registry exposes for this venue, with cadence and record shape.

Binance sends its lists at the top level of a payload (only exchangeInfo wraps them, in `symbols`). Two
datasets cannot name a natural key the raw check could test: the long/short ratios come from two endpoints
with identical rows (the raw row's endpoint tells them apart), and taker volume rows name no symbol. Their
shapes check fields and the window only (their key is endpoint, request symbol and timestamp, for staging).
Candles are arrays: the raw check reads their elements as `r.list_extract(n)` (DuckDB's method syntax for
the n-th element, 1-based).
"""

from __future__ import annotations

from ingest.shapes import RecordShape
from ingest.spec import Cadence, DatasetSpec
from ingest.venues.binance import coinm, exchange_info, klines, spot, statistics, usdm
from ingest.venues.binance.symbols import coinm_pair, coinm_perpetual, spot_symbol, usdm_symbol

VENUE = "binance"


def element(position: int) -> str:
    """The raw check's name for the `position`-th element (1-based) of an array record."""
    return f"list_extract({position})"


def _spec(dataset: str, cadence: Cadence, description: str, make_client, shape: RecordShape, **fetch) -> DatasetSpec:
    return DatasetSpec(VENUE, dataset, cadence, description, make_client, shape, **fetch)


FUNDING_RECORD = '{"symbol":"VARCHAR","fundingTime":"BIGINT","fundingRate":"VARCHAR"}'
# The /futures/data statistics: Binance's documented examples send `timestamp` as digits in a string, the
# live API as a number; both are the venue's own encodings, not drift.
DOCUMENTED_TEXT_TIMESTAMP = ("timestamp",)
RATIO_RECORD = (
    '{"symbol":"VARCHAR","longShortRatio":"VARCHAR","longAccount":"VARCHAR","shortAccount":"VARCHAR",'
    '"timestamp":"BIGINT"}'
)
INSTRUMENT_RECORD = (
    '{"symbol":"VARCHAR","pair":"VARCHAR","contractType":"VARCHAR","deliveryDate":"BIGINT","onboardDate":"BIGINT",'
    '"status":"VARCHAR","contractStatus":"VARCHAR","baseAsset":"VARCHAR","quoteAsset":"VARCHAR",'
    '"marginAsset":"VARCHAR","contractSize":"DOUBLE"}'
)

DATASETS: tuple[DatasetSpec, ...] = (
    DatasetSpec(
        venue=VENUE,
        dataset="funding_rates",
        cadence=Cadence.DAILY_HISTORY,
        description="Binance USD-M settled funding rates (/fapi/v1/fundingRate), one day per partition.",
        make_client=usdm.make_client,
        shape=RecordShape(
            FUNDING_RECORD,
            is_list=True,
            key_fields=("symbol", "fundingTime"),
            required_fields=("fundingRate",),
            time_field="fundingTime",
        ),
        per_asset=lambda c, asset, w: usdm.fetch_funding_history(c, usdm_symbol(asset), w),
    ),
    DatasetSpec(
        venue=VENUE,
        dataset="premium_index",
        cadence=Cadence.HOURLY_SNAPSHOT,
        description="Binance USD-M mark/index price, current funding rate and next funding time "
        "(/fapi/v1/premiumIndex), sampled hourly.",
        make_client=usdm.make_client,
        shape=RecordShape(
            '{"symbol":"VARCHAR","time":"BIGINT","lastFundingRate":"VARCHAR","nextFundingTime":"BIGINT","markPrice":"VARCHAR"}',
            is_list=False,
            key_fields=("symbol", "time"),
            required_fields=("lastFundingRate", "nextFundingTime", "markPrice"),
        ),
        per_asset=lambda c, asset, w: [usdm.fetch_premium_index(c, usdm_symbol(asset))],
    ),
    DatasetSpec(
        venue=VENUE,
        dataset="funding_info",
        cadence=Cadence.HOURLY_SNAPSHOT,
        description="Binance USD-M funding intervals and caps of adjusted symbols (/fapi/v1/fundingInfo).",
        make_client=usdm.make_client,
        shape=RecordShape(
            '{"symbol":"VARCHAR","fundingIntervalHours":"INTEGER"}',
            is_list=True,
            key_fields=("symbol",),
            required_fields=("fundingIntervalHours",),
            allow_empty=True,
        ),
        whole_venue=lambda c, w: [usdm.fetch_funding_info(c)],
    ),
    DatasetSpec(
        venue=VENUE,
        dataset="open_interest",
        cadence=Cadence.HOURLY_SNAPSHOT,
        description="Binance USD-M open interest in base coin (/fapi/v1/openInterest), sampled hourly.",
        make_client=usdm.make_client,
        shape=RecordShape(
            '{"symbol":"VARCHAR","openInterest":"VARCHAR","time":"BIGINT"}',
            is_list=False,
            key_fields=("symbol", "time"),
            required_fields=("openInterest",),
        ),
        per_asset=lambda c, asset, w: [usdm.fetch_open_interest(c, usdm_symbol(asset))],
    ),
    _spec(
        "coinm_funding_rates",
        Cadence.DAILY_HISTORY,
        "Binance COIN-M settled funding rates of each asset's inverse perpetual (/dapi/v1/fundingRate, "
        "<ASSET>USD_PERP), one day per partition.",
        coinm.make_client,
        RecordShape(
            FUNDING_RECORD,
            is_list=True,
            key_fields=("symbol", "fundingTime"),
            required_fields=("fundingRate",),
            time_field="fundingTime",
        ),
        per_asset=lambda c, asset, w: coinm.fetch_funding_history(c, coinm_perpetual(asset), w),
    ),
    _spec(
        "coinm_premium_index",
        Cadence.HOURLY_SNAPSHOT,
        "Binance COIN-M mark/index price, current funding rate and next funding time of each asset's perpetual "
        "and delivery contracts (/dapi/v1/premiumIndex by pair; delivery contracts: empty funding, "
        "estimatedSettlePrice), sampled hourly.",
        coinm.make_client,
        RecordShape(
            '{"symbol":"VARCHAR","pair":"VARCHAR","markPrice":"VARCHAR","indexPrice":"VARCHAR",'
            '"estimatedSettlePrice":"VARCHAR","lastFundingRate":"VARCHAR","nextFundingTime":"BIGINT","time":"BIGINT"}',
            is_list=True,
            key_fields=("symbol", "time"),
            required_fields=("pair", "markPrice", "indexPrice", "lastFundingRate", "nextFundingTime"),
        ),
        per_asset=lambda c, asset, w: [coinm.fetch_premium_index(c, coinm_pair(asset))],
    ),
    _spec(
        "coinm_open_interest",
        Cadence.HOURLY_SNAPSHOT,
        "Binance COIN-M open interest in contracts (contractSize USD each) of every trading perpetual and delivery "
        "contract of the configured assets (/dapi/v1/openInterest, planned from /dapi/v1/exchangeInfo), hourly.",
        coinm.make_client,
        RecordShape(
            '{"symbol":"VARCHAR","pair":"VARCHAR","openInterest":"VARCHAR","contractType":"VARCHAR","time":"BIGINT"}',
            is_list=False,
            key_fields=("symbol", "time"),
            required_fields=("pair", "openInterest", "contractType"),
        ),
        whole_venue=lambda c, w: coinm.fetch_open_interest_of_assets(c, c.settings.assets),
    ),
    _spec(
        "open_interest_history",
        Cadence.DAILY_HISTORY,
        "Binance USD-M hourly open interest of each asset's perpetual (/futures/data/openInterestHist, period 1h): "
        "sumOpenInterest in base coin, sumOpenInterestValue in USDT; one day per partition, last 30 days only.",
        usdm.make_client,
        RecordShape(
            '{"symbol":"VARCHAR","sumOpenInterest":"VARCHAR","sumOpenInterestValue":"VARCHAR","timestamp":"BIGINT"}',
            is_list=True,
            key_fields=("symbol", "timestamp"),
            required_fields=("sumOpenInterest", "sumOpenInterestValue"),
            time_field="timestamp",
            text_numbers=DOCUMENTED_TEXT_TIMESTAMP,
        ),
        per_asset=lambda c, asset, w: statistics.fetch_open_interest_history(c, usdm_symbol(asset), w),
    ),
    _spec(
        "long_short_ratio",
        Cadence.DAILY_HISTORY,
        "Binance USD-M hourly long/short ratios of each asset's perpetual: all accounts "
        "(/futures/data/globalLongShortAccountRatio) and top traders' positions "
        "(/futures/data/topLongShortPositionRatio), period 1h; one day per partition, last 30 days only.",
        usdm.make_client,
        RecordShape(
            RATIO_RECORD,
            is_list=True,
            key_fields=(),
            required_fields=("symbol", "longShortRatio", "longAccount", "shortAccount", "timestamp"),
            time_field="timestamp",
            text_numbers=DOCUMENTED_TEXT_TIMESTAMP,
        ),
        per_asset=lambda c, asset, w: statistics.fetch_long_short_ratios(c, usdm_symbol(asset), w),
    ),
    _spec(
        "taker_long_short_ratio",
        Cadence.DAILY_HISTORY,
        "Binance USD-M hourly taker buy and sell volume (base coin) and their ratio of each asset's perpetual "
        "(/futures/data/takerlongshortRatio, period 1h); one day per partition, last 30 days only.",
        usdm.make_client,
        RecordShape(
            '{"buySellRatio":"VARCHAR","buyVol":"VARCHAR","sellVol":"VARCHAR","timestamp":"BIGINT"}',
            is_list=True,
            key_fields=(),
            required_fields=("buySellRatio", "buyVol", "sellVol", "timestamp"),
            time_field="timestamp",
            text_numbers=DOCUMENTED_TEXT_TIMESTAMP,
        ),
        per_asset=lambda c, asset, w: statistics.fetch_taker_volume(c, usdm_symbol(asset), w),
    ),
    _spec(
        "klines_1h",
        Cadence.DAILY_HISTORY,
        "Binance USD-M closed hourly candles of each asset's perpetual (/fapi/v1/klines, interval 1h): OHLC, base "
        "and quote volume, trades, taker buy base and quote volume; one day per partition.",
        usdm.make_client,
        RecordShape(
            '["DOUBLE"]',
            is_list=True,
            # The row names no symbol: open time with open, close and volume stand in for (symbol, open time).
            key_fields=(element(1), element(2), element(5), element(6)),
            required_fields=tuple(element(n) for n in (3, 4, 7, 8, 9, 10, 11)),
            time_field=element(1),
        ),
        per_asset=lambda c, asset, w: klines.fetch_klines(c, usdm_symbol(asset), w),
    ),
    _spec(
        "spot_prices",
        Cadence.HOURLY_SNAPSHOT,
        "Binance spot last price of each asset's USDT pair (/api/v3/ticker/price), sampled hourly.",
        spot.make_client,
        RecordShape(
            '{"symbol":"VARCHAR","price":"VARCHAR"}', is_list=False, key_fields=("symbol",), required_fields=("price",)
        ),
        per_asset=lambda c, asset, w: [spot.fetch_price(c, spot_symbol(asset))],
    ),
    _spec(
        "exchange_info",
        Cadence.HOURLY_SNAPSHOT,
        "Binance futures instrument lists (/fapi/v1/exchangeInfo: USD-M perpetuals and quarterlies; "
        "/dapi/v1/exchangeInfo: COIN-M perpetuals and delivery contracts with their contract size), hourly.",
        usdm.make_client,
        RecordShape(
            INSTRUMENT_RECORD,
            is_list=True,
            key_fields=("symbol",),
            required_fields=("pair", "contractType", "deliveryDate", "baseAsset", "quoteAsset", "marginAsset"),
            records_path="$.symbols",
        ),
        whole_venue=lambda c, w: exchange_info.fetch_instrument_lists(c),
    ),
)
