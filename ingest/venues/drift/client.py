"""The Drift Data API client: host, protocol and the request budget every Drift dataset spends."""

from __future__ import annotations

from ingest.config import Settings
from ingest.http import VenueClient, VenueProtocol
from ingest.ratelimit import WindowBudget
from ingest.venues.drift import protocol

VENUE = "drift"
HOST = "data.api.drift.trade"

# Drift documents "a certain number of requests per minute" without the number. We plan for 100 a
# minute per IP (the simulator's figure) and spend 90 % of it (WindowBudget's safety margin): a year's
# backfill of three markets, two calls per market and day, takes about 25 minutes. Should the live
# limit be lower, each minute ends in one 429, after which the client waits for the next window.
REQUESTS_PER_MINUTE = 100

PROTOCOL = VenueProtocol(venue=VENUE, host=HOST, classify=protocol.classify)

# The venue counts requests per IP, whichever dataset makes them: every client in this process spends
# this one budget, so datasets fetched one after another cannot add up to more than the limit.
SHARED_BUDGET = WindowBudget("drift requests", REQUESTS_PER_MINUTE, 60.0)


def make_client(settings: Settings, budget: WindowBudget | None = None, **client_options) -> VenueClient:
    """A client spending the shared Drift budget; tests pass their own `budget`, a `retry` or a `timeout`."""
    return VenueClient(PROTOCOL, settings, {"requests": budget or SHARED_BUDGET}, **client_options)


def perp_symbol(asset: str) -> str:
    """The one place assets become Drift market names: BTC -> BTC-PERP."""
    return f"{asset}-PERP"
