"""What the Drift Data API's answers mean, as typed errors.

Drift documents "a certain number of requests per minute" answered with 429, and asks for exponential
backoff (reference/exchange_api.md section 8). The service is a Fastify app behind AWS API Gateway:
- 429 `{"message": "Too Many Requests"}` with no Retry-After: the retry policy's backoff applies, and the
  client treats the rest of its window as spent, so it never calls through a refusal (callers that do
  are refused for longer);
- 403 `{"message": "Forbidden"}` from the gateway's firewall: a block, not retried;
- 400 `{"error": "ValidationError", "message": "Invalid market"}` for an unknown or delisted market;
  other handler checks and Fastify's schema errors (`"code": "FST_ERR_VALIDATION"`) are bad requests;
- 404 `{"message": "Route GET:/contracts not found", ...}` for a route that is gone;
- 5xx (the gateway's 502/504, CDN pages) while the service is down;
- the newer routes wrap answers in `{"success": ...}`: a 200 with `success: false` is a failed answer.
No usage headers are sent, so there is nothing to feed back into the budget.
"""

from __future__ import annotations

import json

import httpx

from ingest.errors import BadRequest, Banned, ExchangeDown, ExchangeError, RateLimited, SymbolInvalid

UNKNOWN_MARKET = "Invalid market"


def retry_after_seconds(response: httpx.Response) -> float | None:
    raw = response.headers.get("Retry-After")
    try:
        return float(raw) if raw is not None else None
    except ValueError:
        return None


def json_object(text: str) -> dict | None:
    """The body as a JSON object, or None (lists, HTML pages and cut-off bodies are not error bodies)."""
    if not text.lstrip().startswith("{"):
        return None
    try:
        body = json.loads(text)
    except ValueError:
        return None
    return body if isinstance(body, dict) else None


def classify(response: httpx.Response) -> ExchangeError | None:
    status = response.status_code
    body = json_object(response.text)
    message = str(body.get("message", "")) if body else ""
    if body is not None:
        where = f"HTTP {status} error={body.get('error')!r} message={message!r}"
    else:
        where = f"HTTP {status} body={response.text[:120]!r}"
    if 200 <= status < 300:
        if body is not None and body.get("success") is False:
            return ExchangeDown(f"answer marked unsuccessful: {where}", status=status)
        return None
    if status == 429:
        return RateLimited(f"rate limited: {where}", retry_after=retry_after_seconds(response), status=status)
    if status == 403:
        return Banned(f"blocked by the API gateway: {where}", status=status)
    if status >= 500:
        return ExchangeDown(f"server error: {where}", status=status)
    if body is not None and body.get("error") == "ValidationError" and message == UNKNOWN_MARKET:
        return SymbolInvalid(f"unknown market: {where}", status=status)
    return BadRequest(f"bad request: {where}", status=status)
