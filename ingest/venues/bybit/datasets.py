"""Bybit datasets: what the registry exposes for this venue, with cadence and record shape.

Every Bybit answer is an envelope `{"retCode","retMsg","result":{..., "list":[...]},"time"}`, while the
shared raw check (warehouse/raw_checks.py) reads records at the top level of a payload. Until it can be
told where the list sits, each shape describes one response: its key and required fields are those of the
list's newest record (`result.list[1]`, lists come newest first), which catches a page served twice and a
renamed or dropped field (drift hits every record alike), and its time field is the newest record's stamp,
which catches a window whose end leaked into the next day. The check's "records" count is then responses.
"""

from __future__ import annotations

from ingest.shapes import RecordShape
from ingest.spec import Cadence, DatasetSpec
from ingest.venues.bybit import funding, instruments, klines, positioning, tickers
from ingest.venues.bybit.client import VENUE, make_client

NEWEST = "result.list[1]"


def newest(field: str) -> str:
    """The path of a field of the newest record of a response."""
    return f"{NEWEST}.{field}"


def enveloped(
    record: str, key: tuple[str, ...], required: tuple[str, ...] = (), time_field: str | None = None
) -> RecordShape:
    """A response-level shape around the JSON structure of one list record."""
    structure = (
        '{"retCode":"INTEGER","time":"BIGINT",'
        f'"result":{{"category":"VARCHAR","symbol":"VARCHAR","nextPageCursor":"VARCHAR","list":[{record}]}}}}'
    )
    return RecordShape(
        structure, is_list=False, key_fields=key, required_fields=("retCode", *required), time_field=time_field
    )


DATASETS: tuple[DatasetSpec, ...] = (
    DatasetSpec(
        venue=VENUE,
        dataset=instruments.DATASET,
        cadence=Cadence.HOURLY_SNAPSHOT,
        description="Bybit instrument lists per asset (/v5/market/instruments-info): linear and inverse contracts "
        "(perpetuals with their funding interval, dated inverse futures) and options, sampled hourly.",
        make_client=make_client,
        shape=enveloped(
            '{"symbol":"VARCHAR","status":"VARCHAR","baseCoin":"VARCHAR","contractType":"VARCHAR",'
            '"optionsType":"VARCHAR","deliveryTime":"VARCHAR","fundingInterval":"INTEGER"}',
            key=("result.category", newest("symbol")),
            required=(newest("status"), newest("baseCoin"), newest("deliveryTime")),
        ),
        per_asset=lambda c, asset, w: instruments.fetch_instruments(c, asset),
    ),
    DatasetSpec(
        venue=VENUE,
        dataset=tickers.TICKERS_DATASET,
        cadence=Cadence.HOURLY_SNAPSHOT,
        description="Bybit linear perpetual tickers per asset and every inverse ticker (/v5/market/tickers): "
        "mark/index price, current funding rate and next funding time, open interest, futures basis; hourly.",
        make_client=make_client,
        shape=enveloped(
            '{"symbol":"VARCHAR","markPrice":"VARCHAR","indexPrice":"VARCHAR","fundingRate":"VARCHAR",'
            '"nextFundingTime":"VARCHAR","openInterest":"VARCHAR"}',
            key=("result.category", newest("symbol")),
            required=tuple(newest(f) for f in ("markPrice", "indexPrice", "fundingRate", "openInterest")),
        ),
        per_asset=lambda c, asset, w: tickers.fetch_linear_ticker(c, asset),
        whole_venue=lambda c, w: tickers.fetch_inverse_tickers(c),
    ),
    DatasetSpec(
        venue=VENUE,
        dataset=tickers.OPTION_DATASET,
        cadence=Cadence.HOURLY_SNAPSHOT,
        description="Bybit option chains per base coin (/v5/market/tickers?category=option): mark price (USD), "
        "mark IV (fraction), greeks, open interest and volume in coin; sampled hourly.",
        make_client=make_client,
        shape=enveloped(
            '{"symbol":"VARCHAR","markPrice":"VARCHAR","markIv":"VARCHAR","delta":"VARCHAR",'
            '"openInterest":"VARCHAR","underlyingPrice":"VARCHAR"}',
            key=("result.category", newest("symbol")),
            required=tuple(newest(f) for f in ("markPrice", "markIv", "delta", "openInterest")),
        ),
        per_asset=lambda c, asset, w: tickers.fetch_option_chain(c, asset),
    ),
    DatasetSpec(
        venue=VENUE,
        dataset=funding.DATASET,
        cadence=Cadence.DAILY_HISTORY,
        description="Bybit settled funding rates of the linear and inverse perpetuals (/v5/market/funding/history), "
        "one day per partition.",
        make_client=make_client,
        shape=enveloped(
            '{"symbol":"VARCHAR","fundingRate":"VARCHAR","fundingRateTimestamp":"BIGINT"}',
            key=(newest("symbol"), newest("fundingRateTimestamp")),
            required=(newest("fundingRate"),),
            time_field=newest("fundingRateTimestamp"),
        ),
        per_asset=funding.fetch_funding_history,
    ),
    DatasetSpec(
        venue=VENUE,
        dataset=positioning.OPEN_INTEREST_DATASET,
        cadence=Cadence.DAILY_HISTORY,
        description="Bybit hourly open interest of the linear (coin) and inverse (USD) perpetuals "
        "(/v5/market/open-interest, intervalTime 1h), one day per partition.",
        make_client=make_client,
        shape=enveloped(
            '{"openInterest":"VARCHAR","timestamp":"BIGINT"}',
            key=("result.category", "result.symbol", newest("timestamp")),
            required=(newest("openInterest"),),
            time_field=newest("timestamp"),
        ),
        per_asset=positioning.fetch_open_interest_history,
    ),
    DatasetSpec(
        venue=VENUE,
        dataset=positioning.ACCOUNT_RATIO_DATASET,
        cadence=Cadence.DAILY_HISTORY,
        description="Bybit hourly long/short account ratio of the linear and inverse perpetuals "
        "(/v5/market/account-ratio, period 1h), one day per partition.",
        make_client=make_client,
        shape=enveloped(
            '{"symbol":"VARCHAR","buyRatio":"VARCHAR","sellRatio":"VARCHAR","timestamp":"BIGINT"}',
            key=(newest("symbol"), newest("timestamp")),
            required=(newest("buyRatio"), newest("sellRatio")),
            time_field=newest("timestamp"),
        ),
        per_asset=positioning.fetch_account_ratio,
    ),
    DatasetSpec(
        venue=VENUE,
        dataset=klines.DATASET,
        cadence=Cadence.DAILY_HISTORY,
        description="Bybit hourly candles with volume and turnover of the linear and inverse perpetuals "
        "(/v5/market/kline, interval 60), one day per partition.",
        make_client=make_client,
        # Candle rows are arrays [start, open, high, low, close, volume, turnover] (1-based in DuckDB).
        shape=enveloped(
            '["DOUBLE"]',
            key=("result.category", "result.symbol", f"{NEWEST}[1]"),
            required=(f"{NEWEST}[5]", f"{NEWEST}[6]", f"{NEWEST}[7]"),
            time_field=f"{NEWEST}[1]",
        ),
        per_asset=klines.fetch_klines,
    ),
)
