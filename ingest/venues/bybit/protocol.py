"""Bybit's HTTP conventions: the retCode envelope, its two rate limits and their ban semantics.

Facts this relies on (reference/exchange_api.md section 2, reference/reliability.md 4.2, docs/v5/error):
- a call succeeded only when the JSON body says `retCode == 0`; request errors keep HTTP 200 and carry a
  non-zero retCode (10001 for parameter errors, including "Not supported symbols");
- over the per-IP limit (600 requests / 5 s) Bybit answers HTTP 403 "access too frequent" and bans the IP
  for at least 10 minutes; 10018 "Exceeded the IP Rate Limit" and 10009 "IP has been banned" say the same
  in a body;
- over an endpoint's own limit it answers retCode 10006 "Too many visits!" with `X-Bapi-Limit`,
  `X-Bapi-Limit-Status` (requests left) and `X-Bapi-Limit-Reset-Timestamp` (ms);
- HTTP 429 is "system level frequency protection, please retry"; 10000 "Server Timeout" and 10016 "Server
  error" are the venue's own outages.

Public market data needs no API key and Bybit limits it per IP, so no key is ever sent to this venue: a key
would buy nothing and a key without a signature risks an authentication error.
"""

from __future__ import annotations

import contextlib
import json
import re
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta

import httpx

from ingest.errors import BadRequest, Banned, ExchangeDown, ExchangeError, RateLimited, SchemaDrift, SymbolInvalid
from ingest.ratelimit import WindowBudget

# Bybit's documented minimum for an IP ban; the ban lifts by itself.
IP_BAN = timedelta(minutes=10)

OK = 0
SERVER_TIMEOUT = 10000
PARAMS_ERROR = 10001
TOO_MANY_VISITS = 10006
IP_BANNED = 10009
SERVER_ERROR = 10016
IP_RATE_LIMIT = 10018
SYMBOL_INVALID = 10029

# 10001 covers every parameter error; these messages name an instrument or coin the venue does not list.
_UNKNOWN_INSTRUMENT = re.compile(r"not supported symbol|symbol invalid|invalid symbol|basecoin \S+ invalid", re.I)


def _body(response: httpx.Response) -> dict | None:
    try:
        body = json.loads(response.text)
    except ValueError:
        return None
    return body if isinstance(body, dict) else None


def _header_number(response: httpx.Response, name: str) -> float | None:
    raw = response.headers.get(name)
    try:
        return float(raw) if raw is not None else None
    except ValueError:
        return None


def _reset_wait(response: httpx.Response, now: datetime) -> float | None:
    """Seconds until X-Bapi-Limit-Reset-Timestamp (ms), or None when the header is absent or malformed."""
    reset_ms = _header_number(response, "X-Bapi-Limit-Reset-Timestamp")
    if reset_ms is None:
        return None
    return max(0.0, reset_ms / 1000 - now.timestamp())


def classify(response: httpx.Response, now: datetime | None = None) -> ExchangeError | None:
    """Map one answer to a typed error, or None when it is usable (`now` is injectable for tests)."""
    now = now or datetime.now(UTC)
    status = response.status_code
    snippet = response.text[:200]
    if status == 403:
        # "access too frequent" (IP limit) or a blocked region: either way stop, and do not come back early.
        until = now + IP_BAN
        return Banned(f"HTTP 403, IP blocked until at least {until.isoformat()}: {snippet!r}", until=until, status=403)
    if status == 429:
        retry_after = _header_number(response, "Retry-After")
        return RateLimited(f"HTTP 429 system frequency protection: {snippet!r}", retry_after=retry_after, status=429)
    if status >= 500:
        return ExchangeDown(f"HTTP {status}: {snippet!r}", status=status)
    body = _body(response)
    if body is None:
        # Not JSON: on 200 the shared client reports it as a (retryable) cut-off body; otherwise our request is wrong.
        return None if status == 200 else BadRequest(f"HTTP {status}: {snippet!r}", status=status)
    code, msg = body.get("retCode"), str(body.get("retMsg", ""))
    if code is None:
        if status != 200:
            return BadRequest(f"HTTP {status}: {snippet!r}", status=status)
        return SchemaDrift("HTTP 200 body without retCode", field="retCode", status=status)
    where = f"HTTP {status} retCode={code} retMsg={msg!r}"
    if code == OK and 200 <= status < 300:
        return None
    if code == TOO_MANY_VISITS:
        return RateLimited(f"endpoint limit: {where}", retry_after=_reset_wait(response, now), status=status)
    if code in (IP_RATE_LIMIT, IP_BANNED):
        until = now + IP_BAN
        return Banned(f"IP limit, blocked until at least {until.isoformat()}: {where}", until=until, status=status)
    if code in (SERVER_TIMEOUT, SERVER_ERROR):
        return ExchangeDown(f"venue error: {where}", status=status)
    if code == SYMBOL_INVALID or (code == PARAMS_ERROR and _UNKNOWN_INSTRUMENT.search(msg)):
        return SymbolInvalid(f"unknown instrument: {where}", status=status)
    return BadRequest(f"bad request: {where}", status=status)


def observe(response: httpx.Response, budgets: Mapping[str, WindowBudget]) -> None:
    """Adopt an endpoint's limit and usage when the answer reports them in X-Bapi-Limit headers.

    Endpoint budgets are keyed by path; the request path may carry the simulator's host prefix."""
    limit = _header_number(response, "X-Bapi-Limit")
    remaining = _header_number(response, "X-Bapi-Limit-Status")
    if limit is None or remaining is None or limit <= 0:
        return
    with contextlib.suppress(RuntimeError):  # a response built without a request has no path
        path = response.request.url.path
        for name, budget in budgets.items():
            if name.startswith("/") and path.endswith(name):
                budget.limit = int(limit)
                budget.observe(limit - remaining)
