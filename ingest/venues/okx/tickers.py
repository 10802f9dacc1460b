"""Market tickers from /market: index prices, dated futures and options (last, best bid/ask, 24 h volume).

- Indices are requested by quote currency (`USD` indices price the coin-margined products, `USDT` the linear
  ones): two requests cover every asset.
- Futures tickers for the whole venue in one request (`instType=FUTURES`); option tickers per family.
- Derivative volumes are `vol24h` in contracts and `volCcy24h` in coin; option prices are in coin.
"""

from __future__ import annotations

from ingest.envelope import RawResponse
from ingest.http import VenueClient
from ingest.venues.okx.client import get_records
from ingest.venues.okx.symbols import INDEX_QUOTES, option_family


def index_ticker_params() -> list[dict]:
    return [{"quoteCcy": quote} for quote in INDEX_QUOTES]


def fetch_index_tickers(client: VenueClient) -> list[RawResponse]:
    return [
        get_records(client, "market/index-tickers", params, dataset="index_tickers")[0]
        for params in index_ticker_params()
    ]


def fetch_futures_tickers(client: VenueClient) -> RawResponse:
    raw, _ = get_records(client, "market/tickers", {"instType": "FUTURES"}, dataset="futures_tickers")
    return raw


def fetch_option_tickers(client: VenueClient, asset: str) -> RawResponse:
    params = {"instType": "OPTION", "instFamily": option_family(asset)}
    raw, _ = get_records(client, "market/tickers", params, dataset="option_tickers")
    return raw
