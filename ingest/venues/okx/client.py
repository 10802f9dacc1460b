"""The OKX client: host, per-endpoint budgets, and one way to ask for a page of records.

OKX limits each endpoint separately, per IP (some also per instrument or family), in 2-second windows
(docs-v5, 2026: the simulator follows them; reference/exchange_api.md section 3 has older figures). A
`WindowBudget` per endpoint keeps a backfill just under each limit; spending one budget for all instruments
of an endpoint is the stricter reading of the per-instrument rules.
"""

from __future__ import annotations

from ingest.config import Settings
from ingest.envelope import FailedResponse, RawResponse
from ingest.errors import SchemaDrift
from ingest.http import VenueClient, VenueProtocol
from ingest.ratelimit import WindowBudget
from ingest.retry import RetryPolicy
from ingest.venues.okx import protocol

VENUE = "okx"
HOST = "www.okx.com"
API = "/api/v5"
WINDOW_SECONDS = 2.0

# Requests per 2 s per IP, by the endpoint's last path segment.
REQUESTS_PER_WINDOW = {
    "instruments": 20,
    "funding-rate": 10,  # the reference says 20; docs-v5 (2026) say 10 per instrument
    "funding-rate-history": 10,  # likewise
    "mark-price": 10,
    "open-interest": 20,
    "opt-summary": 20,
    "liquidation-orders": 40,
    "index-tickers": 20,
    "tickers": 20,
    "candles": 40,
    "history-candles": 20,
    "open-interest-history": 10,
    "long-short-account-ratio-contract": 5,
}

PROTOCOL = VenueProtocol(venue=VENUE, host=HOST, classify=protocol.classify, auth_headers=protocol.auth_headers)


def make_client(settings: Settings, retry: RetryPolicy | None = None, **kw) -> VenueClient:
    budgets = {
        endpoint: WindowBudget(f"okx {endpoint}", limit, WINDOW_SECONDS)
        for endpoint, limit in REQUESTS_PER_WINDOW.items()
    }
    return VenueClient(PROTOCOL, settings, budgets, retry=retry or RetryPolicy(), **kw)


def get_records(client: VenueClient, path: str, params: dict, *, dataset: str) -> tuple[RawResponse, list]:
    """GET /api/v5/<path> against that endpoint's budget: the raw page and its `data` list.

    A body whose `data` is missing or not a list is still returned (and loaded) with no records, so that the
    raw check names the drift; the protocol has already refused anything whose `code` is not "0"."""
    endpoint = path.rsplit("/", 1)[-1]
    raw, body = client.get_json(f"{API}/{path}", params, dataset=dataset, costs={endpoint: 1})
    data = body.get("data") if isinstance(body, dict) else None
    return raw, data if isinstance(data, list) else []


def unpageable(client: VenueClient, raw: RawResponse, message: str, field: str) -> SchemaDrift:
    """A page whose records lack the field the next page's cursor comes from. Its body joins the client's
    failures (raw is never dropped) and the returned error fails the partition: paging on would guess."""
    client.failures.append(FailedResponse(raw, "SchemaDrift", message))
    return SchemaDrift(message, venue=VENUE, field=field, status=raw.http_status, body=raw.payload)
