"""The Deribit client: one credit pool per IP, spent 500 credits a call, and the call of one public method."""

from __future__ import annotations

from ingest.config import Settings
from ingest.envelope import RawResponse
from ingest.http import VenueClient, VenueProtocol
from ingest.ratelimit import TokenBucket
from ingest.retry import RetryPolicy
from ingest.venues.deribit import protocol

VENUE = "deribit"
HOST = "www.deribit.com"
API = "/api/v2/public"
# Stay at 90 % of both the pool and its refill: bursts of 90 calls, then 18 calls/s, never over Deribit's 20.
SAFETY = 0.9

PROTOCOL = VenueProtocol(venue=VENUE, host=HOST, classify=protocol.classify, auth_headers=protocol.auth_headers)


def make_client(settings: Settings, retry: RetryPolicy | None = None, **kw) -> VenueClient:
    credits = TokenBucket(
        "deribit credits",
        capacity=protocol.CREDIT_POOL,
        refill_per_second=protocol.CREDIT_REFILL_PER_SECOND * SAFETY,
        safety=SAFETY,
    )
    return VenueClient(PROTOCOL, settings, {"credits": credits}, retry=retry or RetryPolicy(), **kw)


def call(client: VenueClient, method: str, params: dict, *, dataset: str, page: int = 0) -> tuple[RawResponse, object]:
    """One public method: the raw envelope as received and its decoded `result` (classify guarantees one)."""
    raw, body = client.get_json(
        f"{API}/{method}", params, dataset=dataset, costs={"credits": protocol.CREDITS_PER_REQUEST}, page=page
    )
    return raw, body["result"]
