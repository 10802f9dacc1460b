"""Current state from `/v5/market/tickers`, one call per list.

- Linear perpetual per asset (`symbol=BTCUSDT`): mark, index, current `fundingRate` (fraction per interval),
  `nextFundingTime` (ms), `openInterest` in coin.
- Every inverse contract in one call (no symbol): the inverse perpetuals (OI in USD) and the dated inverse
  futures with `basis`, `basisRate` and `deliveryTime`; the whole category is a few dozen rows.
- The option chain per base coin: `markIv` as a fraction, greeks, `openInterest` in coin, 24 h volume.
"""

from __future__ import annotations

from ingest.envelope import RawResponse
from ingest.http import VenueClient
from ingest.venues.bybit.client import TICKERS, fetch_pages, single_page
from ingest.venues.bybit.symbols import base_coin, linear_perpetual

TICKERS_DATASET = "tickers"
OPTION_DATASET = "option_tickers"


def linear_ticker_params(asset: str) -> dict:
    category, symbol = linear_perpetual(asset)
    return {"category": category, "symbol": symbol}


def inverse_tickers_params() -> dict:
    return {"category": "inverse"}


def option_chain_params(asset: str) -> dict:
    return {"category": "option", "baseCoin": base_coin(asset)}


def fetch_linear_ticker(client: VenueClient, asset: str) -> list[RawResponse]:
    return fetch_pages(client, TICKERS, linear_ticker_params(asset), single_page, TICKERS_DATASET)


def fetch_inverse_tickers(client: VenueClient) -> list[RawResponse]:
    return fetch_pages(client, TICKERS, inverse_tickers_params(), single_page, TICKERS_DATASET)


def fetch_option_chain(client: VenueClient, asset: str) -> list[RawResponse]:
    return fetch_pages(client, TICKERS, option_chain_params(asset), single_page, OPTION_DATASET)
