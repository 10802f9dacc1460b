"""What Binance's hosts (fapi, dapi, api) share: error bodies, parameter checks, number formats, the
weight limiter with its 429/418 answers, and the contracts each host lists with their prices and OI.

This module serves no host itself (no SIMS); binance.py, binance_coinm.py and binance_spot.py do.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from aiohttp import web

from simulator import catalog
from simulator.context import SimContext, VenueError
from simulator.limits import Bucket, Decision, VenueLimiter

VENUE = "binance"

_DIGITS = re.compile(r"^[0-9]{1,20}$")

# Perpetuals carry this far-future delivery date in exchangeInfo (2100-12-25 08:00 UTC).
PERPETUAL_DELIVERY_MS = 4133404800000

# Binance lists a quarterly pair of dated contracts; catalog.future_expiries gives the next three.
QUARTER_TYPES = ("CURRENT_QUARTER", "NEXT_QUARTER")

# Dated contracts have no OI series in the market: they hold a share of their perpetual's OI
# (Binance quarterlies are small next to the perps; the next quarter is thinner than the current).
QUARTER_OI_SHARE = {"CURRENT_QUARTER": 0.12, "NEXT_QUARTER": 0.05}

# A quarterly is listed about half a year before its delivery (exchangeInfo onboardDate, first kline).
QUARTER_LISTED_FOR = timedelta(days=182)

# Coin-margined futures trade a little richer than USD-margined ones (annual basis, fraction).
COINM_BASIS_BIAS = 0.004


# --- errors and parameters ---------------------------------------------------------------------
def err(code: int, msg: str, status: int = 400) -> VenueError:
    """Binance's error body: {"code": <negative int>, "msg": ...} with HTTP 400 for bad requests."""
    return VenueError(status, {"code": code, "msg": msg})


def invalid_symbol() -> VenueError:
    return err(-1121, "Invalid symbol.")


def symbol_error() -> tuple[int, object]:
    """Every Binance host answers an unknown or delisted instrument this way."""
    return 400, {"code": -1121, "msg": "Invalid symbol."}


def mandatory(request: web.Request, name: str) -> str:
    value = request.query.get(name)
    if not value:
        raise err(-1102, f"Mandatory parameter '{name}' was not sent, was empty/null, or malformed.")
    return value


def int_param(request: web.Request, name: str) -> int | None:
    raw = request.query.get(name)
    if raw is None or raw == "":
        return None
    if not _DIGITS.match(raw):
        raise err(-1100, f"Illegal characters found in parameter '{name}'; legal range is '^[0-9]{{1,20}}$'.")
    return int(raw)


def limit_param(request: web.Request, default: int, maximum: int, required: bool = False) -> int:
    """`limit` in [1, maximum]; fapi/dapi refuse larger values with -1130 rather than capping them."""
    if required:
        mandatory(request, "limit")
    limit = int_param(request, "limit")
    limit = default if limit is None else limit
    if not 1 <= limit <= maximum:
        raise err(-1130, "Data sent for parameter 'limit' is not valid.")
    return limit


def time_params(request: web.Request) -> tuple[int | None, int | None]:
    """startTime / endTime in ms; a reversed window is refused the way fundingRate refuses it."""
    start, end = int_param(request, "startTime"), int_param(request, "endTime")
    if start is not None and end is not None and start > end:
        raise err(-1128, "Combination of optional parameters invalid.")
    return start, end


# --- numbers and times ---------------------------------------------------------------------------
def fmt(x: float, decimals: int) -> str:
    """Binance sends numbers as strings with the instrument's fixed number of decimals."""
    return f"{x:.{decimals}f}"


def ms(t: datetime) -> int:
    return int(round(t.timestamp() * 1000))


def from_ms(value: int) -> datetime:
    return datetime.fromtimestamp(value / 1000, tz=UTC)


# --- rate limits ---------------------------------------------------------------------------------
def make_limiter_for(overrides: dict, prefix: str, weight_default: int, extra: dict[str, tuple[int, float]]):
    """A Binance host's limiter from the "binance" overrides. A host-specific key (`coinm_weight_limit`,
    `spot_weight_limit`, ...) wins over the shared one (`weight_limit`), so one override can shrink
    every Binance host at once and a test can still aim at one host."""
    o = overrides.get(VENUE, {})

    def pick(key: str, default: float) -> float:
        return o.get(f"{prefix}{key}", o.get(key, default)) if prefix else o.get(key, default)

    buckets = {
        "weight": Bucket("weight", int(pick("weight_limit", weight_default)), float(pick("weight_window_s", 60)))
    }
    for name, (limit, window) in extra.items():
        buckets[name] = Bucket(name, int(pick(f"{name}_limit", limit)), float(pick(f"{name}_window_s", window)))
    return VenueLimiter(
        buckets=buckets,
        ban_after_strikes=int(pick("ban_after_strikes", 10)),
        ban_seconds=int(pick("ban_seconds", 120)),
    )


def refusal(decision: Decision, limiter: VenueLimiter, now: float) -> web.Response:
    """429 with Retry-After over the budget; 418 with the ban's end once the client kept going."""
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


def weight(w: float):
    return lambda request: {"weight": w}


def kline_weight(request: web.Request) -> dict[str, float]:
    """fapi/dapi klines cost by `limit`: [1,100) 1, [100,500) 2, [500,1000] 5, above 10 (default 500)."""
    raw = request.query.get("limit", "")
    limit = int(raw) if raw.isdigit() else 500
    return {"weight": 1 if limit < 100 else 2 if limit < 500 else 5 if limit <= 1000 else 10}


# --- contracts -----------------------------------------------------------------------------------
@dataclass(frozen=True)
class Contract:
    """One instrument as a Binance host lists it, tied to the market perpetual whose flow it follows."""

    symbol: str  # BTCUSDT, BTCUSDT_261225, BTCUSD_PERP, BTCUSD_261225, or spot BTCUSDT
    pair: str  # BTCUSDT (USD-M, spot) or BTCUSD (COIN-M)
    asset: str
    perp: str  # the market perpetual it follows (its candles, OI and liquidations)
    kind: str  # "perp", "delivery" or "spot"
    contract_type: str  # PERPETUAL, CURRENT_QUARTER, NEXT_QUARTER ("" for spot)
    expiry: datetime | None = None
    inverse: bool = False
    contract_size: float = 1.0  # USD per contract on COIN-M


def quarterlies(t: datetime) -> list[tuple[str, datetime]]:
    """(contract type, delivery) of the two dated contracts listed at `t`."""
    return list(zip(QUARTER_TYPES, catalog.future_expiries(t)[:2], strict=True))


def usdm_contracts(ctx: SimContext, t: datetime) -> list[Contract]:
    """USD-M perpetuals, then BTC and ETH quarterlies (BTCUSDT_YYMMDD): Binance lists no others."""
    out = [
        Contract(i.symbol, i.symbol, i.params.asset, i.symbol, "perp", "PERPETUAL")
        for i in ctx.market.perps(VENUE)
        if not i.perp.inverse
    ]
    for asset in ("BTC", "ETH"):
        for ctype, expiry in quarterlies(t):
            sym = f"{asset}USDT_{expiry:%y%m%d}"
            out.append(Contract(sym, f"{asset}USDT", asset, f"{asset}USDT", "delivery", ctype, expiry))
    return out


def coinm_contracts(ctx: SimContext, t: datetime) -> list[Contract]:
    """COIN-M inverse perpetuals (BTCUSD_PERP) and their quarterlies (BTCUSD_YYMMDD)."""
    out = []
    for inst in ctx.market.perps(VENUE):
        if not inst.perp.inverse:
            continue
        asset, size = inst.params.asset, inst.perp.contract_size
        out.append(Contract(inst.symbol, f"{asset}USD", asset, inst.symbol, "perp", "PERPETUAL", None, True, size))
        for ctype, expiry in quarterlies(t):
            sym = f"{asset}USD_{expiry:%y%m%d}"
            out.append(Contract(sym, f"{asset}USD", asset, inst.symbol, "delivery", ctype, expiry, True, size))
    return out


def contract_price(ctx: SimContext, c: Contract, t: datetime) -> float:
    """Last/mark price: the perp's mark, the dated future's fair price, or the spot index."""
    m = ctx.market
    if c.kind == "spot":
        return m.price(c.asset, t)
    if c.expiry is not None:
        return m.future_price(c.asset, c.expiry, t, COINM_BASIS_BIAS if c.inverse else 0.0)
    return m.mark_price(VENUE, c.perp, t)


def listed_since(ctx: SimContext, c: Contract) -> datetime:
    """When the contract started trading: a quarterly half a year before delivery, the rest with the
    simulated history."""
    if c.expiry is None:
        return ctx.market.start
    return max(ctx.market.start, c.expiry - QUARTER_LISTED_FOR)


def open_interest_coin(ctx: SimContext, c: Contract, t: datetime) -> float:
    """Open interest in base coin (dated contracts: a share of their perpetual's)."""
    oi = ctx.market.open_interest(VENUE, c.perp, t)
    return oi * QUARTER_OI_SHARE[c.contract_type] if c.expiry is not None else oi


def contracts_of(c: Contract, coins: float, price: float) -> int:
    """COIN-M counts contracts: each is `contract_size` USD of notional."""
    return int(round(coins * price / c.contract_size))


# --- precision ----------------------------------------------------------------------------------
_USDM_PRECISION = {"BTC": (2, 3), "ETH": (2, 3), "SOL": (4, 0)}
_COINM_PRICE_DECIMALS = {"BTC": 1, "ETH": 2, "SOL": 3}


def price_decimals(ctx: SimContext, c: Contract) -> int:
    """Decimals Binance quotes the contract's prices with (spot always sends 8)."""
    if c.kind == "spot":
        return 8
    if c.inverse:
        return _COINM_PRICE_DECIMALS.get(c.asset, 3)
    if c.asset in _USDM_PRECISION:
        return _USDM_PRECISION[c.asset][0]
    return 4 if ctx.market.price(c.asset, ctx.market.start) >= 1 else 7


def qty_decimals(ctx: SimContext, c: Contract) -> int:
    """Decimals of quantities: coin for USD-M, whole contracts for COIN-M, 8 on spot."""
    if c.kind == "spot":
        return 8
    if c.inverse:
        return 0
    if c.asset in _USDM_PRECISION:
        return _USDM_PRECISION[c.asset][1]
    return 1 if ctx.market.price(c.asset, ctx.market.start) >= 1 else 0
