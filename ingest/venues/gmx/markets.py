"""GMX markets: the catalogue (`/markets`) and the near-live state of every market (`/markets/info`).

Both are one call for the whole venue and carry every market, listed or not: staging filters and maps
them to assets, so raw keeps the venue's full answer. Facts (reference/exchange_api.md section 7):
- `/markets` is cached 60 s; `/markets/info` refreshes every 5 s, so it is near-live, not same-block;
- open interest and available liquidity are USD x 1e30 integer strings, per side;
- funding, borrowing and net rates are per side, 1e30 fixed point, annualised; funding accrues every
  second (no settlement time), longs and shorts get different rates;
- several pools share one index token (BTC/USD [WBTC-USDC], BTC/USD [BTC-BTC]): key on `marketToken`.
"""

from __future__ import annotations

from ingest.envelope import RawResponse
from ingest.http import VenueClient

COSTS = {"requests": 1}


def fetch_markets(client: VenueClient) -> RawResponse:
    raw, _ = client.get_json("/markets", {}, dataset="markets", costs=COSTS)
    return raw


def fetch_markets_info(client: VenueClient) -> RawResponse:
    raw, _ = client.get_json("/markets/info", {}, dataset="markets_info", costs=COSTS)
    return raw
