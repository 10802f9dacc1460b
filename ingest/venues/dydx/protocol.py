"""The indexer's HTTP conventions: express-validator error lists (`{"errors": [{"value", "msg", "param",
"location"}]}`), 429 `{"errors": [{"msg": "Too many requests"}]}` whose Retry-After counts MILLISECONDS (comlink
passes rate-limiter-flexible's msBeforeNext straight through), `RateLimit-*` usage headers, and 403 for the
jurisdictions the indexer geoblocks."""

from __future__ import annotations

import contextlib
import json
from collections.abc import Mapping

import httpx

from ingest.errors import BadRequest, Banned, ExchangeDown, ExchangeError, RateLimited, SymbolInvalid
from ingest.ratelimit import WindowBudget

VENUE = "dydx"
HOST = "indexer.dydx.trade"
API = "/v4"

# The validators that reject a ticker the indexer does not list (path `ticker`, query `ticker` or `market`).
TICKER_PARAMS = ("ticker", "market")


def _number(raw: str | None) -> float | None:
    with contextlib.suppress(TypeError, ValueError):
        return float(raw)
    return None


def _errors(response: httpx.Response) -> list[dict]:
    try:
        body = json.loads(response.text)
    except ValueError:
        return []
    errors = body.get("errors") if isinstance(body, dict) else None
    return [e for e in errors if isinstance(e, dict)] if isinstance(errors, list) else []


def retry_after_seconds(response: httpx.Response) -> float | None:
    """The indexer's Retry-After is in milliseconds; the retry policy works in seconds."""
    ms = _number(response.headers.get("Retry-After"))
    return ms / 1000.0 if ms is not None else None


def classify(response: httpx.Response) -> ExchangeError | None:
    status = response.status_code
    if 200 <= status < 300:
        return None
    errors = _errors(response)
    messages = "; ".join(f"{e.get('param', '')}: {e.get('msg', '')}".lstrip(": ") for e in errors)
    where = f"HTTP {status}: {messages or response.text[:200]!r}"
    if status == 429:
        return RateLimited(f"rate limited: {where}", retry_after=retry_after_seconds(response), status=status)
    if status in (403, 451):
        return Banned(f"blocked (geoblocked jurisdiction or firewall): {where}", status=status)
    if status >= 500:
        return ExchangeDown(f"server error: {where}", status=status)
    if status == 400 and errors and all(e.get("param") in TICKER_PARAMS for e in errors):
        # Only the ticker was refused: the market is unknown or delisted, permanent for this asset.
        return SymbolInvalid(f"unknown ticker: {where}", status=status)
    return BadRequest(f"bad request: {where}", status=status)


def observe(response: httpx.Response, budgets: Mapping[str, WindowBudget]) -> None:
    """When the venue's window runs low (other clients on our IP), stop spending this second's budget early.

    Our budget paces requests per second; the venue counts over a longer window (`RateLimit-Limit` requests).
    Requests we may still send are what it has left minus the same reserve share our budget keeps."""
    remaining = _number(response.headers.get("RateLimit-Remaining"))
    limit = _number(response.headers.get("RateLimit-Limit"))
    budget = budgets.get("requests")
    if remaining is None or limit is None or budget is None:
        return
    sendable = remaining - limit * (1 - budget.safety)
    budget.observe(budget.capacity - sendable)
