"""The BitMEX client: one token bucket per IP, 30 requests a minute for unauthenticated clients, refilled
continuously (0.5 a second). Our bucket keeps 10 % of it in reserve and follows the venue's `x-ratelimit-remaining`,
so a backfill runs at the venue's refill rate without touching its limit.

No API key is sent: BitMEX authenticates by an HMAC signature over each request (key and secret), which the
warehouse has no use for on public market data; keyed clients get 120 a minute, not needed at our volume.
"""

from __future__ import annotations

from ingest.config import Settings
from ingest.http import VenueClient, VenueProtocol
from ingest.ratelimit import TokenBucket
from ingest.retry import RetryPolicy
from ingest.venues.bitmex import protocol

REQUESTS_PER_MINUTE = 30
# Every public GET costs one token.
ONE_REQUEST = {"requests": 1}

PROTOCOL = VenueProtocol(
    venue=protocol.VENUE,
    host=protocol.HOST,
    classify=protocol.classify,
    observe=protocol.observe,
)


def make_client(settings: Settings, retry: RetryPolicy | None = None, **kw) -> VenueClient:
    budgets = {"requests": TokenBucket("bitmex requests", REQUESTS_PER_MINUTE, REQUESTS_PER_MINUTE / 60.0)}
    return VenueClient(PROTOCOL, settings, budgets, retry=retry or RetryPolicy(), **kw)
