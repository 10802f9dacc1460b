"""Deribit's HTTP conventions: JSON-RPC envelopes, error codes, the credit pool and credentials.

Facts this relies on (reference/exchange_api.md section 4, reliability.md 4.4):
- a success is `{"jsonrpc":"2.0","result":...,"usIn":...}`; an error is `{"error":{"code","message","data"}}`,
  and the error decides, whatever the HTTP status (Deribit answers most errors over HTTP 400);
- public calls cost 500 credits from a 50,000-credit pool refilled at 10,000 credits/s: 20 requests/s sustained,
  bursts of about 100. An empty pool answers 10028 `too_many_requests` and ends the session (the simulator sends
  `Connection: close`). httpx never reuses a connection the server closed, so the retry opens a new one;
- Deribit sends no usage headers on REST and no Retry-After, and documents no IP bans: a 403 or 451 comes from
  the edge in front of it (a firewall or location block) and is treated as a ban.
"""

from __future__ import annotations

import base64
import json
from datetime import UTC, datetime, timedelta

import httpx

from ingest.errors import BadRequest, Banned, ExchangeDown, ExchangeError, RateLimited, SchemaDrift, SymbolInvalid

CREDIT_POOL = 50_000
CREDIT_REFILL_PER_SECOND = 10_000
CREDITS_PER_REQUEST = 500
# Deribit gives no Retry-After with 10028: one second refills 10,000 credits, room for 20 requests.
REFUSAL_BACKOFF_SECONDS = 1.0

TOO_MANY_REQUESTS = 10028
NOT_FOUND = 13020
# Deribit's own words for "try again": retry, settlement_in_progress, matching_engine_queue_full,
# system_maintenance, internal_server_error, temporarily_unavailable, timed_out.
TRANSIENT = {10040, 10041, 10047, 11051, 11094, 13028, 13888}
# authorization_required, invalid_credentials, unauthorized, forbidden: a key problem, not worth retrying.
CREDENTIALS = {10000, 13004, 13009, 13021}


def _decode(text: str) -> object | None:
    try:
        return json.loads(text)
    except ValueError:
        return None


def _retry_after(response: httpx.Response) -> float | None:
    raw = response.headers.get("Retry-After")
    try:
        return float(raw) if raw is not None else None
    except ValueError:
        return None


def _from_rpc_error(error: dict, response: httpx.Response) -> ExchangeError:
    code, message, status = error.get("code"), error.get("message"), response.status_code
    where = f"HTTP {status} code={code} message={message!r} data={error.get('data')!r}"
    if code == TOO_MANY_REQUESTS:
        wait = _retry_after(response) or REFUSAL_BACKOFF_SECONDS
        return RateLimited(f"credits exhausted: {where}", retry_after=wait, status=status)
    if code in TRANSIENT:
        return ExchangeDown(f"temporarily unavailable: {where}", status=status)
    if code == NOT_FOUND:
        return SymbolInvalid(f"unknown instrument or index: {where}", status=status)
    if code in CREDENTIALS:
        return BadRequest(f"credentials rejected (check DW_DERIBIT_API_KEY): {where}", status=status)
    return BadRequest(f"bad request: {where}", status=status)


def _from_http_status(response: httpx.Response) -> ExchangeError:
    status = response.status_code
    where = f"HTTP {status} body={response.text[:200]!r}"
    if status == 429:
        return RateLimited(f"rate limited at the edge: {where}", retry_after=_retry_after(response), status=status)
    if status in (403, 451):
        wait = _retry_after(response)
        until = datetime.now(UTC) + timedelta(seconds=wait) if wait is not None else None
        return Banned(f"blocked in front of Deribit: {where}", until=until, status=status)
    if status >= 500:
        return ExchangeDown(f"server error: {where}", status=status)
    return BadRequest(f"bad request: {where}", status=status)


def classify(response: httpx.Response) -> ExchangeError | None:
    """A typed error for anything but a JSON-RPC success envelope; None when the body is usable."""
    body = _decode(response.text)
    if isinstance(body, dict) and isinstance(body.get("error"), dict):
        return _from_rpc_error(body["error"], response)
    if not 200 <= response.status_code < 300:
        return _from_http_status(response)
    if body is None:
        return None  # VenueClient makes a cut-off 2xx body a retryable SchemaDrift
    if not isinstance(body, dict) or "result" not in body:
        return SchemaDrift("a 2xx body without a JSON-RPC result", field="result", status=response.status_code)
    return None


def auth_headers(key: str) -> dict[str, str]:
    """Public data needs no key. A key configured as `client_id:client_secret` goes as HTTP Basic (Deribit's
    REST accepts it); anything else is taken as an OAuth access token."""
    if ":" in key:
        return {"Authorization": "Basic " + base64.b64encode(key.encode()).decode()}
    return {"Authorization": f"Bearer {key}"}
