"""What the GMX oracle API's answers mean: its error bodies and over-use refusals, as typed errors.

GMX documents neither a rate limit nor an error format (reference/exchange_api.md section 7), so this
reads the answers a service like it gives, and stays on the safe side where unsure:
- 429 from the proxy in front of it when over a per-IP budget, Retry-After in seconds if any;
- 400 with `{"errors": [...]}` for a bad request (the shape of the service's documented /ping failure);
  an unknown token is "unsupported tokenSymbol";
- 403 or 451 from the CDN's firewall or geo block: a hard stop, retrying only prolongs it;
- 5xx and CDN HTML pages while the service is down;
- a 200 carrying `{"errors": [...]}` is a failure report, not data: retried as the service being down.
The API sends no usage headers, so there is nothing to feed back into the budget (VenueProtocol's
default `observe`).
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import httpx

from ingest.errors import BadRequest, Banned, ExchangeDown, ExchangeError, RateLimited, SymbolInvalid

UNKNOWN_TOKEN = "unsupported tokenSymbol"


def retry_after_seconds(response: httpx.Response) -> float | None:
    raw = response.headers.get("Retry-After")
    try:
        return float(raw) if raw is not None else None
    except ValueError:
        return None


def error_messages(text: str) -> list[str] | None:
    """The `errors` list of an oracle-service error body, or None when the body is not one."""
    if not text.lstrip().startswith("{"):
        return None
    try:
        body = json.loads(text)
    except ValueError:
        return None
    errors = body.get("errors") if isinstance(body, dict) else None
    return [str(e) for e in errors] if isinstance(errors, list) and errors else None


def classify(response: httpx.Response) -> ExchangeError | None:
    status = response.status_code
    errors = error_messages(response.text)
    where = f"HTTP {status} errors={errors}" if errors else f"HTTP {status} body={response.text[:120]!r}"
    if 200 <= status < 300:
        if errors:
            return ExchangeDown(f"service reported a failure: {where}", status=status)
        return None
    if status == 429:
        return RateLimited(f"rate limited: {where}", retry_after=retry_after_seconds(response), status=status)
    if status in (403, 451):
        reason = "blocked by the CDN firewall" if status == 403 else "restricted location"
        wait = retry_after_seconds(response)
        until = datetime.now(UTC) + timedelta(seconds=wait) if wait is not None else None
        return Banned(f"{reason}: {where}", until=until, status=status)
    if status >= 500:
        return ExchangeDown(f"server error: {where}", status=status)
    if errors and any(UNKNOWN_TOKEN in e for e in errors):
        return SymbolInvalid(f"unknown token: {where}", status=status)
    return BadRequest(f"bad request: {where}", status=status)
