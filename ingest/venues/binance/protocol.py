"""Binance's HTTP conventions: weight headers, error codes and ban semantics (shared by fapi/dapi/api).

Binance answers errors as `{"code": <negative int>, "msg": ...}` (reference/exchange_api.md section 1,
developers.binance.com "Error codes"). The HTTP status decides first: 429 over the limit (Retry-After in
seconds), 418 an IP ban ("banned until <ms>" in the message, or Retry-After), 403 the WAF, 451 a
restricted location, 408 a backend timeout, 5xx Binance's side. Under a 4xx, the code decides: -1121/-1122
name an instrument that is unknown or no longer trading, the 10xx server codes are transient, the rest are
mistakes in our request. A 200 whose body is such an error object is classified the same way.
"""

from __future__ import annotations

import contextlib
import json
import re
from collections.abc import Callable, Mapping
from datetime import UTC, datetime, timedelta

import httpx

from ingest.errors import BadRequest, Banned, ExchangeDown, ExchangeError, RateLimited, SymbolInvalid
from ingest.ratelimit import WindowBudget

_BANNED_UNTIL = re.compile(r"banned until (\d{12,14})")

TOO_MANY_REQUESTS = -1003
# DISCONNECTED, UNEXPECTED_RESP, TIMEOUT, SERVER_BUSY, SERVICE_SHUTTING_DOWN: "please try again".
SERVER_SIDE_CODES = frozenset({-1001, -1006, -1007, -1008, -1016})
# BAD_SYMBOL ("Invalid symbol.") and INVALID_SYMBOL_STATUS (delivered, settling, closed).
SYMBOL_CODES = frozenset({-1121, -1122})
# Error bodies are small; a 200 body longer than this is data and is not decoded twice.
_ERROR_BODY_MAX_CHARS = 512


def _retry_after(response: httpx.Response) -> float | None:
    raw = response.headers.get("Retry-After")
    try:
        return float(raw) if raw is not None else None
    except ValueError:
        return None


def _error_body(response: httpx.Response) -> tuple[int | None, str]:
    try:
        body = json.loads(response.text)
    except ValueError:
        return None, response.text[:200]
    if isinstance(body, dict):
        code = body.get("code")
        return (code if isinstance(code, int) else None), str(body.get("msg", ""))
    return None, response.text[:200]


def _error_in_ok_body(response: httpx.Response) -> tuple[int, str] | None:
    """(code, msg) when a 200 carries Binance's error object instead of data."""
    text = response.text
    if len(text) > _ERROR_BODY_MAX_CHARS or not text.lstrip().startswith("{"):
        return None
    code, msg = _error_body(response)
    return (code, msg) if code is not None and code < 0 else None


def _banned(response: httpx.Response, msg: str, where: str, status: int) -> Banned:
    m = _BANNED_UNTIL.search(msg)
    if m:
        until = datetime.fromtimestamp(int(m.group(1)) / 1000, tz=UTC)
    else:
        until = datetime.now(UTC) + timedelta(seconds=_retry_after(response) or 120)
    return Banned(f"IP banned until {until.isoformat()}: {where}", until=until, status=status)


def _by_code(response: httpx.Response, code: int | None, where: str, status: int) -> ExchangeError:
    if code == TOO_MANY_REQUESTS:
        return RateLimited(f"rate limited: {where}", retry_after=_retry_after(response), status=status)
    if code in SERVER_SIDE_CODES:
        return ExchangeDown(f"Binance could not serve the request: {where}", status=status)
    if code in SYMBOL_CODES:
        return SymbolInvalid(f"invalid symbol: {where}", status=status)
    return BadRequest(f"bad request: {where}", status=status)


def classify(response: httpx.Response) -> ExchangeError | None:
    status = response.status_code
    if 200 <= status < 300:
        in_body = _error_in_ok_body(response)
        if in_body is None:
            return None
        code, msg = in_body
        return _by_code(response, code, f"HTTP {status} code={code} msg={msg!r}", status)
    code, msg = _error_body(response)
    where = f"HTTP {status} code={code} msg={msg!r}"
    if status == 429:
        return RateLimited(f"rate limited: {where}", retry_after=_retry_after(response), status=status)
    if status == 418:
        return _banned(response, msg, where, status)
    if status in (403, 451):
        reason = "blocked by the web application firewall" if status == 403 else "restricted location"
        return Banned(f"{reason}: {where}", status=status)
    if status >= 500 or status == 408:
        return ExchangeDown(f"server error: {where}", status=status)
    return _by_code(response, code, where, status)


def weight_observer(bucket: str) -> Callable[[httpx.Response, Mapping[str, WindowBudget]], None]:
    """Feed each answer's X-MBX-USED-WEIGHT-1M into the host's weight budget, named `bucket`: fapi, dapi and
    api count weight separately, so each host's budget has a name of its own."""

    def observe(response: httpx.Response, budgets: Mapping[str, WindowBudget]) -> None:
        used = response.headers.get("X-MBX-USED-WEIGHT-1M")
        if used is not None and bucket in budgets:
            with contextlib.suppress(ValueError):  # a malformed header must not fail the request
                budgets[bucket].observe(float(used))

    return observe


# USD-M's weight budget keeps the plain name the original fapi code and its tests use.
observe = weight_observer("weight")


def auth_headers(key: str) -> dict[str, str]:
    return {"X-MBX-APIKEY": key}
