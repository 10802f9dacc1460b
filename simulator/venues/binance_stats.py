"""Binance's trading statistics under /futures/data/ on fapi (by `symbol`) and dapi (by `pair`):
open-interest history, the three long/short ratios, taker buy/sell volume and the basis.

Rules they share (Binance docs; the exact refusal measured by users):
- `period` is 5m..1d; records sit on period boundaries (UTC), ascending, the newest at or before now;
- only the last 30 days are served: a `startTime` older than that is refused with HTTP 400
  {"msg":"parameter 'startTime' is invalid.","code":-1130} (key order as Binance sends it);
- `limit` defaults to 30, max 500. When the window holds more records than `limit`, the newest `limit`
  are returned: "if startTime and endTime are not sent, the most recent data is returned", and ccxt
  sends an endTime of startTime + limit periods to page forward. Anchoring at the window's end when
  both bounds are sent is an informed guess.

The market has account shares for all accounts; the top-trader shares are derived here from it: top
traders lean with the crowd by less and follow the last day's price trend (accounts) and OI build-up
(positions).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from datetime import datetime, timedelta

from aiohttp import web

from simulator.context import Route, SimContext, VenueError
from simulator.venues.binance_common import (
    VENUE,
    Contract,
    coinm_contracts,
    contract_price,
    contracts_of,
    err,
    fmt,
    from_ms,
    invalid_symbol,
    limit_param,
    mandatory,
    ms,
    open_interest_coin,
    price_decimals,
    time_params,
    usdm_contracts,
)
from simulator.venues.binance_klines import EPOCH, closed_bars

PERIODS = {"5m": 5, "15m": 15, "30m": 30, "1h": 60, "2h": 120, "4h": 240, "6h": 360, "12h": 720, "1d": 1440}
RETENTION = timedelta(days=30)
DAY = timedelta(days=1)


# --- the record grid -------------------------------------------------------------------------------
def _period(request: web.Request) -> int:
    period = request.query.get("period")
    if period not in PERIODS:
        raise err(-1102, "Mandatory parameter 'period' was not sent, was empty/null, or malformed.")
    return PERIODS[period]


def record_times(ctx: SimContext, request: web.Request, limit_required: bool = False) -> tuple[int, list[datetime]]:
    """(period minutes, record instants) the request selects, oldest first."""
    minutes = _period(request)
    limit = limit_param(request, 30, 500, required=limit_required)
    start_ms, end_ms = time_params(request)
    now = ctx.clock.now()
    oldest = now - RETENTION
    if start_ms is not None and from_ms(start_ms) < oldest:
        raise VenueError(400, {"msg": "parameter 'startTime' is invalid.", "code": -1130})
    step = timedelta(minutes=minutes)
    lo = max(oldest, from_ms(start_ms)) if start_ms is not None else oldest
    hi = min(now, from_ms(end_ms)) if end_ms is not None else now
    t = EPOCH + ((hi - EPOCH) // step) * step
    times: list[datetime] = []
    while t >= lo and len(times) < limit:
        times.append(t)
        t -= step
    return minutes, times[::-1]


# --- derived positioning ---------------------------------------------------------------------------
def _clip(x: float, lo: float, hi: float) -> float:
    return min(max(x, lo), hi)


def global_long_share(ctx: SimContext, asset: str, t: datetime) -> float:
    return ctx.market.long_account_share(VENUE, asset, t)


def top_account_long_share(ctx: SimContext, asset: str, t: datetime) -> float:
    m = ctx.market
    trend = m.price(asset, t) / m.price(asset, max(t - DAY, m.start)) - 1
    crowd = global_long_share(ctx, asset, t) - 0.5
    return _clip(0.5 + 0.6 * crowd + 0.08 * math.tanh(trend / 0.05), 0.25, 0.75)


def top_position_long_share(ctx: SimContext, asset: str, t: datetime) -> float:
    m = ctx.market
    build = m.asset_open_interest(asset, t) / m.asset_open_interest(asset, max(t - DAY, m.start)) - 1
    return _clip(0.5 + 0.8 * (top_account_long_share(ctx, asset, t) - 0.5) + 0.05 * math.tanh(build / 0.1), 0.2, 0.8)


RATIOS: dict[str, Callable[[SimContext, str, datetime], float]] = {
    "/futures/data/globalLongShortAccountRatio": global_long_share,
    "/futures/data/topLongShortAccountRatio": top_account_long_share,
    "/futures/data/topLongShortPositionRatio": top_position_long_share,
}


def _ratio_fields(long_share: float, long_key: str, short_key: str) -> dict:
    return {
        "longShortRatio": fmt(long_share / (1 - long_share), 4),
        long_key: fmt(long_share, 4),
        short_key: fmt(1 - long_share, 4),
    }


# --- USD-M (symbol) --------------------------------------------------------------------------------
def _usdm_contract(ctx: SimContext, request: web.Request) -> Contract:
    symbol = mandatory(request, "symbol")
    for c in usdm_contracts(ctx, ctx.clock.now()):
        if c.symbol == symbol:
            return c
    raise invalid_symbol()


async def usdm_open_interest_hist(ctx: SimContext, request: web.Request) -> object:
    """sumOpenInterest in base coin, sumOpenInterestValue in USDT."""
    c = _usdm_contract(ctx, request)
    _, times = record_times(ctx, request)
    rows = []
    for t in times:
        oi = open_interest_coin(ctx, c, t)
        rows.append(
            {
                "symbol": c.symbol,
                "sumOpenInterest": fmt(oi, 8),
                "sumOpenInterestValue": fmt(oi * contract_price(ctx, c, t), 8),
                "timestamp": ms(t),
            }
        )
    return rows


def usdm_ratio(path: str):
    """The three long/short ratios on fapi; `longAccount`/`shortAccount` even for positions."""
    share = RATIOS[path]

    async def handler(ctx: SimContext, request: web.Request) -> object:
        c = _usdm_contract(ctx, request)
        _, times = record_times(ctx, request)
        return [
            {
                "symbol": c.symbol,
                **_ratio_fields(share(ctx, c.asset, t), "longAccount", "shortAccount"),
                "timestamp": ms(t),
            }
            for t in times
        ]

    return handler


async def usdm_taker_ratio(ctx: SimContext, request: web.Request) -> object:
    """Taker buy and sell volume (base coin) over the period that ends at each record."""
    c = _usdm_contract(ctx, request)
    minutes, times = record_times(ctx, request)
    if not times:
        return []
    step = timedelta(minutes=minutes)
    bars = {b.open_time + step: b for b in closed_bars(ctx, c, minutes, times[0] - step, times[-1])}
    rows = []
    for t in times:
        bar = bars.get(t)
        if bar is None:
            continue
        buy, sell = bar.taker_volume, bar.volume - bar.taker_volume
        rows.append(
            {
                "buySellRatio": fmt(buy / sell if sell else 0.0, 4),
                "buyVol": fmt(buy, 4),
                "sellVol": fmt(sell, 4),
                "timestamp": ms(t),
            }
        )
    return rows


# --- COIN-M (pair) ---------------------------------------------------------------------------------
def _coinm_pair(ctx: SimContext, request: web.Request) -> str:
    pair = mandatory(request, "pair")
    if pair not in {c.pair for c in coinm_contracts(ctx, ctx.clock.now())}:
        raise invalid_symbol()
    return pair


def _contract_type(request: web.Request, allowed: tuple[str, ...]) -> str:
    ctype = request.query.get("contractType")
    if ctype not in allowed:
        raise err(-1102, "Mandatory parameter 'contractType' was not sent, was empty/null, or malformed.")
    return ctype


async def coinm_open_interest_hist(ctx: SimContext, request: web.Request) -> object:
    """sumOpenInterest in contracts, sumOpenInterestValue in base coin; ALL sums the pair's contracts."""
    pair = _coinm_pair(ctx, request)
    ctype = _contract_type(request, ("ALL", "CURRENT_QUARTER", "NEXT_QUARTER", "PERPETUAL"))
    _, times = record_times(ctx, request)
    rows = []
    for t in times:
        listed = [c for c in coinm_contracts(ctx, t) if c.pair == pair and ctype in ("ALL", c.contract_type)]
        coins = [open_interest_coin(ctx, c, t) for c in listed]
        count = sum(contracts_of(c, oi, contract_price(ctx, c, t)) for c, oi in zip(listed, coins, strict=True))
        rows.append(
            {
                "pair": pair,
                "contractType": ctype,
                "sumOpenInterest": str(count),
                "sumOpenInterestValue": fmt(sum(coins), 8),
                "timestamp": ms(t),
            }
        )
    return rows


def coinm_ratio(path: str):
    """The long/short ratios on dapi, by pair; the position ratio says longPosition/shortPosition."""
    share = RATIOS[path]
    keys = ("longPosition", "shortPosition") if path.endswith("PositionRatio") else ("longAccount", "shortAccount")

    async def handler(ctx: SimContext, request: web.Request) -> object:
        pair = _coinm_pair(ctx, request)
        asset = pair.removesuffix("USD")
        _, times = record_times(ctx, request)
        return [{"pair": pair, **_ratio_fields(share(ctx, asset, t), *keys), "timestamp": ms(t)} for t in times]

    return handler


# --- basis (both hosts) ----------------------------------------------------------------------------
def _basis_row(ctx: SimContext, c: Contract, t: datetime) -> dict:
    index = ctx.market.price(c.asset, t)
    future = contract_price(ctx, c, t)
    rate = (future - index) / index
    annual = ""  # empty for perpetuals, as Binance sends it
    if c.expiry is not None:
        annual = fmt(rate * 365 / max((c.expiry - t).total_seconds() / 86400, 1e-9), 4)
    return {
        "indexPrice": fmt(index, 8),
        "contractType": c.contract_type,
        "basisRate": fmt(rate, 4),
        "futuresPrice": fmt(future, price_decimals(ctx, c)),
        "annualizedBasisRate": annual,
        "basis": fmt(future - index, 8),
        "pair": c.pair,
        "timestamp": ms(t),
    }


def basis(listing: Callable[[SimContext, datetime], list[Contract]], limit_required: bool):
    """/futures/data/basis: `limit` is mandatory on fapi, optional on dapi. Each record uses the
    contract that had the requested type at its own time (quarters roll over)."""

    async def handler(ctx: SimContext, request: web.Request) -> object:
        pair = mandatory(request, "pair")
        ctype = _contract_type(request, ("CURRENT_QUARTER", "NEXT_QUARTER", "PERPETUAL"))
        if pair not in {c.pair for c in listing(ctx, ctx.clock.now())}:
            raise invalid_symbol()
        _, times = record_times(ctx, request, limit_required=limit_required)
        rows = []
        for t in times:
            match = [c for c in listing(ctx, t) if c.pair == pair and c.contract_type == ctype]
            if match:
                rows.append(_basis_row(ctx, match[0], t))
        return rows

    return handler


# USD-M statistics cost no weight but share Binance's 1000 requests / 5 min / IP bucket for /futures/data.
def _usdm_cost(request: web.Request) -> dict[str, float]:
    return {"weight": 0, "futures_data": 1}


def _coinm_cost(request: web.Request) -> dict[str, float]:
    return {"weight": 1}


USDM_ROUTES = [
    Route("/futures/data/openInterestHist", usdm_open_interest_hist, _usdm_cost),
    *[Route(path, usdm_ratio(path), _usdm_cost) for path in RATIOS],
    Route("/futures/data/takerlongshortRatio", usdm_taker_ratio, _usdm_cost),
    Route("/futures/data/basis", basis(usdm_contracts, limit_required=True), _usdm_cost),
]

COINM_ROUTES = [
    Route("/futures/data/openInterestHist", coinm_open_interest_hist, _coinm_cost),
    *[Route(path, coinm_ratio(path), _coinm_cost) for path in RATIOS],
    Route("/futures/data/basis", basis(coinm_contracts, limit_required=False), _coinm_cost),
]
