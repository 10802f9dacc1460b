"""Binance's HTTP conventions: weight headers, error codes and ban semantics (shared by fapi/dapi/api)."""

from __future__ import annotations

import contextlib
import json
import re
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta

import httpx

from ingest.errors import BadRequest, Banned, ExchangeDown, ExchangeError, RateLimited, SymbolInvalid
from ingest.ratelimit import WindowBudget

_BANNED_UNTIL = re.compile(r"banned until (\d{12,14})")


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
        return body.get("code"), str(body.get("msg", ""))
    return None, response.text[:200]


def classify(response: httpx.Response) -> ExchangeError | None:
    status = response.status_code
    if 200 <= status < 300:
        return None
    code, msg = _error_body(response)
    where = f"HTTP {status} code={code} msg={msg!r}"
    if status == 429:
        return RateLimited(f"rate limited: {where}", retry_after=_retry_after(response), status=status)
    if status == 418:
        m = _BANNED_UNTIL.search(msg)
        if m:
            until = datetime.fromtimestamp(int(m.group(1)) / 1000, tz=UTC)
        else:
            until = datetime.now(UTC) + timedelta(seconds=_retry_after(response) or 120)
        return Banned(f"IP banned until {until.isoformat()}: {where}", until=until, status=status)
    if status in (403, 451):
        reason = "blocked by the web application firewall" if status == 403 else "restricted location"
        return Banned(f"{reason}: {where}", status=status)
    if status >= 500:
        return ExchangeDown(f"server error: {where}", status=status)
    if code == -1121:
        return SymbolInvalid(f"invalid symbol: {where}", status=status)
    return BadRequest(f"bad request: {where}", status=status)


def observe(response: httpx.Response, budgets: Mapping[str, WindowBudget]) -> None:
    used = response.headers.get("X-MBX-USED-WEIGHT-1M")
    if used is not None and "weight" in budgets:
        with contextlib.suppress(ValueError):  # a malformed header must not fail the request
            budgets["weight"].observe(float(used))


def auth_headers(key: str) -> dict[str, str]:
    return {"X-MBX-APIKEY": key}
