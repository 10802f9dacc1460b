"""Binance spot (api.binance.com): the last traded price of each asset's USDT pair.

`/api/v3/ticker/price?symbol=BTCUSDT` answers `{"symbol","price"}` (no timestamp: the raw row's fetched_at
dates it), weight 2 per symbol. Spot has its own REQUEST_WEIGHT budget of 6000 / minute per IP, reported
in the same X-MBX-USED-WEIGHT-1M header (reference/exchange_api.md sections 1 and 1.3).
"""

from __future__ import annotations

from ingest.config import Settings
from ingest.envelope import RawResponse
from ingest.http import VenueClient, VenueProtocol
from ingest.ratelimit import WindowBudget, shared
from ingest.retry import RetryPolicy
from ingest.venues.binance import protocol

VENUE = "binance"
HOST = "api.binance.com"
WEIGHT_LIMIT_PER_MINUTE = 6000
# Named after the host, like COIN-M's (coinm.WEIGHT): each Binance host has a weight budget of its own.
WEIGHT = "api_weight"

PROTOCOL = VenueProtocol(
    venue=VENUE,
    host=HOST,
    classify=protocol.classify,
    observe=protocol.weight_observer(WEIGHT),
    auth_headers=protocol.auth_headers,
)


def make_client(settings: Settings, retry: RetryPolicy | None = None, **kw) -> VenueClient:
    # Binance counts per IP: every spot client of the process spends the same budget.
    budgets = {
        WEIGHT: shared("binance api weight", lambda: WindowBudget("binance api weight", WEIGHT_LIMIT_PER_MINUTE, 60.0))
    }
    return VenueClient(PROTOCOL, settings, budgets, retry=retry or RetryPolicy(), **kw)


def fetch_price(client: VenueClient, symbol: str) -> RawResponse:
    raw, _ = client.get_json("/api/v3/ticker/price", {"symbol": symbol}, dataset="spot_prices", costs={WEIGHT: 2})
    return raw
