"""BitMEX's HTTP conventions (reference/exchange_api.md section 5): errors in a `{"error": {"message", "name"}}`
envelope, a token bucket per IP reported in `x-ratelimit-*` headers, 429 with Retry-After in seconds, 403 once an
IP keeps going through 429s, and 503 when the matching engine sheds load."""

from __future__ import annotations

import contextlib
import json
import re
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta

import httpx

from ingest.errors import BadRequest, Banned, ExchangeDown, ExchangeError, RateLimited
from ingest.ratelimit import TokenBucket

VENUE = "bitmex"
HOST = "www.bitmex.com"
API = "/api/v1"

# BitMEX asks clients to wait at least 500 ms after a 503 "system is currently overloaded".
OVERLOADED_RETRY_SECONDS = 0.5
_RETRY_IN = re.compile(r"retry in (\d+(?:\.\d+)?) seconds")


def _number(raw: str | None) -> float | None:
    with contextlib.suppress(TypeError, ValueError):
        return float(raw)
    return None


def _error(response: httpx.Response) -> tuple[str, str]:
    """(name, message) of BitMEX's error envelope, or ("", the start of the body) for anything else."""
    try:
        body = json.loads(response.text)
    except ValueError:
        return "", response.text[:200]
    error = body.get("error") if isinstance(body, dict) else None
    if isinstance(error, dict):
        return str(error.get("name", "")), str(error.get("message", ""))
    return "", response.text[:200]


def _retry_after(response: httpx.Response, message: str) -> float | None:
    """Retry-After (seconds), else the wait BitMEX writes into the message ("retry in 3 seconds")."""
    seconds = _number(response.headers.get("Retry-After"))
    if seconds is None and (m := _RETRY_IN.search(message)):
        seconds = float(m.group(1))
    return seconds


def classify(response: httpx.Response) -> ExchangeError | None:
    status = response.status_code
    if 200 <= status < 300:
        return None
    name, message = _error(response)
    where = f"HTTP {status} {name or 'error'}: {message!r}"
    if status == 429:
        return RateLimited(f"rate limited: {where}", retry_after=_retry_after(response, message), status=status)
    if status == 403:
        # The ban answer carries the ban's length in Retry-After (seconds).
        seconds = _number(response.headers.get("Retry-After"))
        until = datetime.now(UTC) + timedelta(seconds=seconds) if seconds is not None else None
        return Banned(f"IP banned{f' until {until.isoformat()}' if until else ''}: {where}", until=until, status=status)
    if status == 503 and "overloaded" in message:
        # Load shedding, not an outage: back off for the documented minimum and let the budget cool down.
        return RateLimited(f"matching engine overloaded: {where}", retry_after=OVERLOADED_RETRY_SECONDS, status=status)
    if status >= 500:
        return ExchangeDown(f"server error: {where}", status=status)
    # 400 (a parameter BitMEX refuses), 401 (an API key it does not accept), 404: our bug, not worth retrying.
    # An unknown symbol is not an error on BitMEX: it filters to an empty list (see history.py).
    return BadRequest(f"bad request: {where}", status=status)


def observe(response: httpx.Response, budgets: Mapping[str, TokenBucket]) -> None:
    """Adopt the venue's count of tokens left, keeping in reserve the same share of its bucket as ours keeps."""
    remaining = _number(response.headers.get("x-ratelimit-remaining"))
    limit = _number(response.headers.get("x-ratelimit-limit"))
    bucket = budgets.get("requests")
    if remaining is None or limit is None or bucket is None:
        return
    bucket.observe(remaining - limit * (1 - bucket.safety))
