"""Binance USD-M futures (fapi) as Binance sends it: string numbers, ms timestamps, ascending pages,
`X-MBX-USED-WEIGHT-1M` on every answer, 429 + Retry-After over the weight budget, then a 418 ban."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime, timedelta

from aiohttp import web

from simulator.calibration import INTEREST_RATE_8H
from simulator.context import Route, SimContext, VenueError, VenueSim
from simulator.limits import Bucket, Decision, VenueLimiter

VENUE = "binance"
HOST = "fapi.binance.com"

_DIGITS = re.compile(r"^[0-9]{1,20}$")


def _err(code: int, msg: str, status: int = 400) -> VenueError:
    return VenueError(status, {"code": code, "msg": msg})


def _f8(x: float) -> str:
    return f"{x:.8f}"


def _int_param(request: web.Request, name: str) -> int | None:
    raw = request.query.get(name)
    if raw is None or raw == "":
        return None
    if not _DIGITS.match(raw):
        raise _err(-1100, f"Illegal characters found in parameter '{name}'; legal range is '^[0-9]{{1,20}}$'.")
    return int(raw)


def _symbol(ctx: SimContext, request: web.Request, required: bool) -> str | None:
    sym = request.query.get("symbol")
    if not sym:
        if required:
            raise _err(-1102, "Mandatory parameter 'symbol' was not sent, was empty/null, or malformed.")
        return None
    if sym not in _symbols(ctx):
        raise _err(-1121, "Invalid symbol.")
    return sym


def _symbols(ctx: SimContext) -> list[str]:
    """USD-M (fapi) perpetuals; the coin-margined ones live on dapi."""
    return [i.symbol for i in ctx.market.perps(VENUE) if not i.perp.inverse]


def _ms(t: datetime) -> int:
    return int(t.timestamp() * 1000)


def _from_ms(ms: int) -> datetime:
    return datetime.fromtimestamp(ms / 1000, tz=UTC)


def _funding_rows(ctx: SimContext, symbol: str, start: datetime, end: datetime) -> list[dict]:
    """Settled funding records of `symbol` with fundingTime in [start, end] (both inclusive)."""
    m = ctx.market
    now = ctx.clock.now()
    lo = max(start - timedelta(seconds=1), m.start)
    hi = min(end, now) + timedelta(seconds=1)
    rows = []
    if hi <= lo:
        return rows
    for t in m.settlement_times(VENUE, symbol, lo, hi):
        stamp = _ms(t) + m.settlement_jitter_ms(VENUE, symbol, t)
        if not (_ms(start) <= stamp <= _ms(end)) or stamp > _ms(now):
            continue
        rows.append(
            {
                "symbol": symbol,
                "fundingTime": stamp,
                "fundingRate": _f8(m.settled_funding(VENUE, symbol, t)),
                "markPrice": _f8(m.mark_price(VENUE, symbol, t)),
            }
        )
    return rows


async def funding_rate(ctx: SimContext, request: web.Request) -> object:
    symbol = _symbol(ctx, request, required=False)
    limit = _int_param(request, "limit")
    limit = 100 if limit is None else limit
    if not 1 <= limit <= 1000:
        raise _err(-1130, "Data sent for parameter 'limit' is not valid.")
    start_ms, end_ms = _int_param(request, "startTime"), _int_param(request, "endTime")
    if start_ms is not None and end_ms is not None and start_ms > end_ms:
        raise _err(-1128, "Combination of optional parameters invalid.")
    now = ctx.clock.now()
    symbols = [symbol] if symbol else _symbols(ctx)
    rows: list[dict] = []
    for sym in symbols:
        h = ctx.market.instruments[(VENUE, sym)].params.interval_hours
        if start_ms is not None:
            start = _from_ms(start_ms)
            end = _from_ms(end_ms) if end_ms is not None else now
            # Never generate more than `limit` settlements forward from start.
            end = min(end, start + timedelta(hours=h * (limit + 1)))
            sym_rows = _funding_rows(ctx, sym, start, end)[:limit]
        else:
            end = _from_ms(end_ms) if end_ms is not None else now
            start = end - timedelta(hours=h * (limit + 1))
            sym_rows = _funding_rows(ctx, sym, start, end)[-limit:]
        rows.extend(sym_rows)
    rows.sort(key=lambda r: (r["fundingTime"], r["symbol"]))
    return rows[:limit] if start_ms is not None else rows[-limit:]


def _premium_row(ctx: SimContext, symbol: str) -> dict:
    m, now = ctx.market, ctx.clock.now()
    params = m.instruments[(VENUE, symbol)].params
    rate, next_settle = m.current_funding(VENUE, symbol, now)
    index = m.price(params.asset, now)
    mark = m.mark_price(VENUE, symbol, now)
    return {
        "symbol": symbol,
        "markPrice": _f8(mark),
        "indexPrice": _f8(index),
        "estimatedSettlePrice": _f8(index * (1 + 0.25 * (mark / index - 1))),
        "lastFundingRate": _f8(rate),
        "interestRate": _f8(INTEREST_RATE_8H * params.interval_hours / 8),
        "nextFundingTime": _ms(next_settle),
        "time": _ms(now),
    }


async def premium_index(ctx: SimContext, request: web.Request) -> object:
    symbol = _symbol(ctx, request, required=False)
    if symbol:
        return _premium_row(ctx, symbol)
    return [_premium_row(ctx, s) for s in _symbols(ctx)]


async def funding_info(ctx: SimContext, request: web.Request) -> object:
    out = []
    for sym in _symbols(ctx):
        p = ctx.market.instruments[(VENUE, sym)].params
        if p.interval_hours == 8 and p.cap >= 0.03:
            continue  # Binance lists only symbols with an adjusted interval or cap.
        out.append(
            {
                "symbol": sym,
                "adjustedFundingRateCap": _f8(p.cap),
                "adjustedFundingRateFloor": _f8(-p.cap),
                "fundingIntervalHours": p.interval_hours,
                "disclaimer": False,
            }
        )
    return out


async def open_interest(ctx: SimContext, request: web.Request) -> object:
    symbol = _symbol(ctx, request, required=True)
    now = ctx.clock.now()
    return {
        "openInterest": f"{ctx.market.open_interest(VENUE, symbol, now):.3f}",
        "symbol": symbol,
        "time": _ms(now),
    }


async def server_time(ctx: SimContext, request: web.Request) -> object:
    return {"serverTime": ctx.clock.now_ms()}


async def exchange_info(ctx: SimContext, request: web.Request) -> object:
    lim = ctx.limiters[HOST]
    return {
        "timezone": "UTC",
        "serverTime": ctx.clock.now_ms(),
        "futuresType": "U_MARGINED",
        "rateLimits": [
            {
                "rateLimitType": "REQUEST_WEIGHT",
                "interval": "MINUTE",
                "intervalNum": 1,
                "limit": lim.buckets["weight"].limit,
            },
            {"rateLimitType": "ORDERS", "interval": "MINUTE", "intervalNum": 1, "limit": 1200},
        ],
        "exchangeFilters": [],
        "assets": [{"asset": "USDT", "marginAvailable": True, "autoAssetExchange": "-10000"}],
        "symbols": [
            {
                "symbol": sym,
                "pair": sym,
                "contractType": "PERPETUAL",
                "deliveryDate": 4133404800000,
                "onboardDate": 1569398400000,
                "status": "TRADING",
                "baseAsset": ctx.market.instruments[(VENUE, sym)].params.asset,
                "quoteAsset": "USDT",
                "marginAsset": "USDT",
                "pricePrecision": 2,
                "quantityPrecision": 3,
                "underlyingType": "COIN",
            }
            for sym in _symbols(ctx)
        ],
    }


def _weight_only(w: float):
    return lambda request: {"weight": w}


def _premium_costs(request: web.Request) -> dict[str, float]:
    return {"weight": 1 if request.query.get("symbol") else 10}


def make_limiter(overrides: dict) -> VenueLimiter:
    o = overrides.get(VENUE, {})
    return VenueLimiter(
        buckets={
            "weight": Bucket("weight", int(o.get("weight_limit", 2400)), float(o.get("weight_window_s", 60))),
            "funding": Bucket("funding", int(o.get("funding_limit", 500)), float(o.get("funding_window_s", 300))),
        },
        ban_after_strikes=int(o.get("ban_after_strikes", 10)),
        ban_seconds=int(o.get("ban_seconds", 120)),
    )


def refusal(decision: Decision, limiter: VenueLimiter, now: float) -> web.Response:
    headers = {"Retry-After": str(decision.retry_after)}
    headers.update(usage_headers(limiter, now))
    if decision.status == 418:
        until = int(decision.banned_until * 1000)
        body = {
            "code": -1003,
            "msg": f"Way too much request weight used; IP banned until {until}. "
            "Please use the websocket for live updates to avoid bans.",
        }
    else:
        limit = limiter.buckets[decision.exceeded or "weight"].limit
        body = {
            "code": -1003,
            "msg": f"Too many requests; current limit of IP(127.0.0.1) is {limit} requests per minute. "
            "Please use the websocket for live updates to avoid polling the API.",
        }
    return web.Response(status=decision.status, text=json.dumps(body), content_type="application/json", headers=headers)


def usage_headers(limiter: VenueLimiter, now: float) -> dict[str, str]:
    return {"X-MBX-USED-WEIGHT-1M": str(int(limiter.used(now, "weight")))}


SIM = VenueSim(
    venue=VENUE,
    host=HOST,
    routes=[
        Route("/fapi/v1/fundingRate", funding_rate, lambda r: {"weight": 1, "funding": 1}),
        Route("/fapi/v1/fundingInfo", funding_info, lambda r: {"weight": 1, "funding": 1}),
        Route("/fapi/v1/premiumIndex", premium_index, _premium_costs),
        Route("/fapi/v1/openInterest", open_interest, _weight_only(1)),
        Route("/fapi/v1/time", server_time, _weight_only(1)),
        Route("/fapi/v1/exchangeInfo", exchange_info, _weight_only(1)),
    ],
    make_limiter=make_limiter,
    refusal=refusal,
    usage_headers=usage_headers,
    symbol_error=lambda: (400, {"code": -1121, "msg": "Invalid symbol."}),
)

SIMS = [SIM]
