"""The GMX oracle API client: host, protocol and the request budget every GMX dataset spends."""

from __future__ import annotations

from ingest.config import Settings
from ingest.http import VenueClient, VenueProtocol
from ingest.ratelimit import WindowBudget
from ingest.venues.gmx import protocol

VENUE = "gmx"
HOST = "arbitrum-api.gmxinfra.io"

# GMX publishes no rate limit. One request a second is a polite ceiling for an undocumented public API
# and far above the three calls an hourly snapshot makes; a 429 still carries its own Retry-After.
REQUESTS_PER_MINUTE = 60

PROTOCOL = VenueProtocol(venue=VENUE, host=HOST, classify=protocol.classify)

# The venue counts requests per IP, whichever dataset makes them: every client in this process spends
# this one budget, so datasets fetched one after another cannot add up to more than the limit.
SHARED_BUDGET = WindowBudget("gmx requests", REQUESTS_PER_MINUTE, 60.0)


def make_client(settings: Settings, budget: WindowBudget | None = None, **client_options) -> VenueClient:
    """A client spending the shared GMX budget; tests pass their own `budget`, a `retry` or a `timeout`."""
    return VenueClient(PROTOCOL, settings, {"requests": budget or SHARED_BUDGET}, **client_options)
