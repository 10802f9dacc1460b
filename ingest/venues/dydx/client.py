"""The dYdX indexer client. The indexer documents no limit; ccxt paces it at 10 requests a second
(reference/exchange_api.md section 6). A budget of 10 per one-second window with a 10 % reserve sends at most 9 a
second: at most 99 leave in any 10 s, under the 100 per 10 s per IP of comlink's defaults whenever its window opens,
and a 429 (Retry-After in ms) is honoured exactly if other clients on the IP spend the rest."""

from __future__ import annotations

from ingest.config import Settings
from ingest.http import VenueClient, VenueProtocol
from ingest.ratelimit import WindowBudget
from ingest.retry import RetryPolicy
from ingest.venues.dydx import protocol

REQUESTS_PER_SECOND = 10
ONE_REQUEST = {"requests": 1}

PROTOCOL = VenueProtocol(
    venue=protocol.VENUE,
    host=protocol.HOST,
    classify=protocol.classify,
    observe=protocol.observe,
)


def make_client(settings: Settings, retry: RetryPolicy | None = None, **kw) -> VenueClient:
    budgets = {"requests": WindowBudget("dydx indexer requests", REQUESTS_PER_SECOND, 1.0)}
    return VenueClient(PROTOCOL, settings, budgets, retry=retry or RetryPolicy(), **kw)
