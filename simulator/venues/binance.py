"""Binance USD-M futures (fapi) as Binance sends it: string numbers, ms timestamps, ascending pages,
`X-MBX-USED-WEIGHT-1M` on every answer, 429 + Retry-After over the weight budget, then a 418 ban.

Perpetuals (BTCUSDT, and alt perps with 4 h / 1 h funding) and the BTC and ETH quarterlies
(BTCUSDT_YYMMDD, CURRENT_QUARTER / NEXT_QUARTER). Candles and 24 h tickers: binance_klines.py;
/futures/data statistics: binance_stats.py; the liquidation stream: binance_ws.py. The funding helpers
here also serve COIN-M (binance_coinm.py)."""

from __future__ import annotations

from datetime import datetime, timedelta

from aiohttp import web

from simulator.calibration import INTEREST_RATE_8H
from simulator.context import Route, SimContext, VenueSim
from simulator.venues import binance_klines, binance_stats
from simulator.venues.binance_common import (
    PERPETUAL_DELIVERY_MS,
    QUARTER_LISTED_FOR,
    VENUE,
    Contract,
    contract_price,
    fmt,
    from_ms,
    invalid_symbol,
    kline_weight,
    limit_param,
    make_limiter_for,
    mandatory,
    ms,
    open_interest_coin,
    price_decimals,
    qty_decimals,
    refusal,
    symbol_error,
    time_params,
    usage_headers,
    usdm_contracts,
    weight,
)

HOST = "fapi.binance.com"
# exchangeInfo's onboardDate of the perpetuals (BTCUSDT's real listing, 2019-09-25).
PERP_ONBOARD_MS = 1569398400000


def _f8(x: float) -> str:
    return fmt(x, 8)


def _listed(ctx: SimContext) -> dict[str, Contract]:
    return {c.symbol: c for c in usdm_contracts(ctx, ctx.clock.now())}


def _contract(ctx: SimContext, request: web.Request, required: bool) -> Contract | None:
    """The `symbol` parameter as a listed contract (perpetual or quarterly), -1102 / -1121 otherwise."""
    if required:
        mandatory(request, "symbol")
    if not request.query.get("symbol"):
        return None
    contract = _listed(ctx).get(request.query["symbol"])
    if contract is None:
        raise invalid_symbol()
    return contract


def _symbols(ctx: SimContext) -> list[str]:
    """USD-M (fapi) perpetuals; the coin-margined ones live on dapi."""
    return [i.symbol for i in ctx.market.perps(VENUE) if not i.perp.inverse]


# --- funding (shared with COIN-M) ---------------------------------------------------------------
def funding_rows(ctx: SimContext, symbol: str, start: datetime, end: datetime, with_mark: bool = True) -> list[dict]:
    """Settled funding records of `symbol` with fundingTime in [start, end] (both inclusive)."""
    m = ctx.market
    now = ctx.clock.now()
    lo = max(start - timedelta(seconds=1), m.start)
    hi = min(end, now) + timedelta(seconds=1)
    rows = []
    if hi <= lo:
        return rows
    for t in m.settlement_times(VENUE, symbol, lo, hi):
        stamp = ms(t) + m.settlement_jitter_ms(VENUE, symbol, t)
        if not (ms(start) <= stamp <= ms(end)) or stamp > ms(now):
            continue
        row = {"symbol": symbol, "fundingTime": stamp, "fundingRate": _f8(m.settled_funding(VENUE, symbol, t))}
        if with_mark:  # USD-M added markPrice in 2023; COIN-M records have none
            row["markPrice"] = _f8(m.mark_price(VENUE, symbol, t))
        rows.append(row)
    return rows


def funding_history(ctx: SimContext, request: web.Request, symbols: list[str], with_mark: bool) -> list[dict]:
    """fundingRate paging: ascending; startTime gives `limit` rows forward, otherwise the latest."""
    limit = limit_param(request, 100, 1000)
    start_ms, end_ms = time_params(request)
    now = ctx.clock.now()
    rows: list[dict] = []
    for sym in symbols:
        h = ctx.market.instruments[(VENUE, sym)].params.interval_hours
        if start_ms is not None:
            start = from_ms(start_ms)
            end = from_ms(end_ms) if end_ms is not None else now
            # Never generate more than `limit` settlements forward from start.
            end = min(end, start + timedelta(hours=h * (limit + 1)))
            sym_rows = funding_rows(ctx, sym, start, end, with_mark)[:limit]
        else:
            end = from_ms(end_ms) if end_ms is not None else now
            start = end - timedelta(hours=h * (limit + 1))
            sym_rows = funding_rows(ctx, sym, start, end, with_mark)[-limit:]
        rows.extend(sym_rows)
    rows.sort(key=lambda r: (r["fundingTime"], r["symbol"]))
    return rows[:limit] if start_ms is not None else rows[-limit:]


def premium_row(ctx: SimContext, c: Contract) -> dict:
    """premiumIndex of one contract. Dated contracts have no funding: Binance sends "" for the rates
    and 0 for nextFundingTime, and their estimatedSettlePrice tracks the index they deliver against."""
    m, now = ctx.market, ctx.clock.now()
    index = m.price(c.asset, now)
    mark = contract_price(ctx, c, now)
    head = {"symbol": c.symbol, **({"pair": c.pair} if c.inverse else {})}
    if c.expiry is not None:
        return {
            **head,
            "markPrice": _f8(mark),
            "indexPrice": _f8(index),
            "estimatedSettlePrice": _f8(index),
            "lastFundingRate": "",
            "interestRate": "",
            "nextFundingTime": 0,
            "time": ms(now),
        }
    params = m.instruments[(VENUE, c.perp)].params
    rate, next_settle = m.current_funding(VENUE, c.perp, now)
    return {
        **head,
        "markPrice": _f8(mark),
        "indexPrice": _f8(index),
        "estimatedSettlePrice": _f8(index * (1 + 0.25 * (mark / index - 1))),
        "lastFundingRate": _f8(rate),
        "interestRate": _f8(INTEREST_RATE_8H * params.interval_hours / 8),
        "nextFundingTime": ms(next_settle),
        "time": ms(now),
    }


def funding_info_rows(ctx: SimContext, symbols: list[str]) -> list[dict]:
    out = []
    for sym in symbols:
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


async def funding_rate(ctx: SimContext, request: web.Request) -> object:
    contract = _contract(ctx, request, required=False)
    if contract is not None and contract.expiry is not None:
        limit_param(request, 100, 1000)
        time_params(request)
        return []  # quarterlies never settle funding
    symbols = [contract.symbol] if contract else _symbols(ctx)
    return funding_history(ctx, request, symbols, with_mark=True)


async def premium_index(ctx: SimContext, request: web.Request) -> object:
    contract = _contract(ctx, request, required=False)
    if contract:
        return premium_row(ctx, contract)
    return [premium_row(ctx, c) for c in _listed(ctx).values()]


async def funding_info(ctx: SimContext, request: web.Request) -> object:
    return funding_info_rows(ctx, _symbols(ctx))


async def open_interest(ctx: SimContext, request: web.Request) -> object:
    """Open interest now, in base coin."""
    contract = _contract(ctx, request, required=True)
    now = ctx.clock.now()
    return {
        "openInterest": fmt(open_interest_coin(ctx, contract, now), 3),
        "symbol": contract.symbol,
        "time": ms(now),
    }


async def server_time(ctx: SimContext, request: web.Request) -> object:
    return {"serverTime": ctx.clock.now_ms()}


# --- candles and tickers -------------------------------------------------------------------------
async def klines(ctx: SimContext, request: web.Request) -> object:
    """12-field arrays, limit <= 1500 (default 500), ascending, the running candle last."""
    contract = _contract(ctx, request, required=True)
    interval = request.query.get("interval", "")
    bars = binance_klines.select_bars(ctx, contract, request, max_limit=1500, capped=False)
    return [binance_klines.linear_row(ctx, contract, b, interval) for b in bars]


async def ticker_24hr(ctx: SimContext, request: web.Request) -> object:
    """One object for a symbol, an array of every listed contract without one."""
    contract = _contract(ctx, request, required=False)
    if contract:
        return binance_klines.ticker_24hr(ctx, contract)
    return [binance_klines.ticker_24hr(ctx, c) for c in _listed(ctx).values()]


def _ticker_costs(request: web.Request) -> dict[str, float]:
    return {"weight": 1 if request.query.get("symbol") else 40}


# --- exchangeInfo --------------------------------------------------------------------------------
def lot_filters(ctx: SimContext, c: Contract, notional: bool) -> list[dict]:
    """The filters parsers read (tick and lot sizes); values follow the contract's precision."""
    p, q = price_decimals(ctx, c), qty_decimals(ctx, c)
    step = fmt(10**-q, q) if q else "1"
    out = [
        {"minPrice": fmt(10**-p, p), "maxPrice": "1000000", "filterType": "PRICE_FILTER", "tickSize": fmt(10**-p, p)},
        {"stepSize": step, "filterType": "LOT_SIZE", "maxQty": "1000000", "minQty": step},
        {"stepSize": step, "filterType": "MARKET_LOT_SIZE", "maxQty": "100000", "minQty": step},
        {"limit": 200, "filterType": "MAX_NUM_ORDERS"},
        {"limit": 10 if notional else 100, "filterType": "MAX_NUM_ALGO_ORDERS"},
    ]
    if notional:
        out.append({"notional": "5", "filterType": "MIN_NOTIONAL"})
    out.append(
        {"multiplierDown": "0.8500", "multiplierUp": "1.1500", "multiplierDecimal": "4", "filterType": "PERCENT_PRICE"}
    )
    return out


ORDER_TYPES = ["LIMIT", "MARKET", "STOP", "STOP_MARKET", "TAKE_PROFIT", "TAKE_PROFIT_MARKET", "TRAILING_STOP_MARKET"]
TIME_IN_FORCE = ["GTC", "IOC", "FOK", "GTX"]


def delivery_fields(c: Contract) -> tuple[int, int]:
    """(deliveryDate, onboardDate) in ms."""
    if c.expiry is None:
        return PERPETUAL_DELIVERY_MS, PERP_ONBOARD_MS
    return ms(c.expiry), ms(c.expiry - QUARTER_LISTED_FOR)


def _symbol_info(ctx: SimContext, c: Contract) -> dict:
    delivery, onboard = delivery_fields(c)
    return {
        "symbol": c.symbol,
        "pair": c.pair,
        "contractType": c.contract_type,
        "deliveryDate": delivery,
        "onboardDate": onboard,
        "status": "TRADING",
        "maintMarginPercent": "2.5000",
        "requiredMarginPercent": "5.0000",
        "baseAsset": c.asset,
        "quoteAsset": "USDT",
        "marginAsset": "USDT",
        "pricePrecision": price_decimals(ctx, c),
        "quantityPrecision": qty_decimals(ctx, c),
        "baseAssetPrecision": 8,
        "quotePrecision": 8,
        "underlyingType": "COIN",
        "underlyingSubType": [],
        "settlePlan": 0,
        "triggerProtect": "0.0500",
        "liquidationFee": "0.012500",
        "marketTakeBound": "0.05",
        "filters": lot_filters(ctx, c, notional=True),
        "orderTypes": ORDER_TYPES,
        "timeInForce": TIME_IN_FORCE,
    }


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
        "symbols": [_symbol_info(ctx, c) for c in _listed(ctx).values()],
    }


def _premium_costs(request: web.Request) -> dict[str, float]:
    return {"weight": 1 if request.query.get("symbol") else 10}


def make_limiter(overrides: dict):
    """2400 weight / min; fundingRate + fundingInfo share 500 / 5 min; /futures/data 1000 / 5 min."""
    return make_limiter_for(overrides, "", 2400, {"funding": (500, 300.0), "futures_data": (1000, 300.0)})


SIM = VenueSim(
    venue=VENUE,
    host=HOST,
    routes=[
        Route("/fapi/v1/fundingRate", funding_rate, lambda r: {"weight": 1, "funding": 1}),
        Route("/fapi/v1/fundingInfo", funding_info, lambda r: {"weight": 1, "funding": 1}),
        Route("/fapi/v1/premiumIndex", premium_index, _premium_costs),
        Route("/fapi/v1/openInterest", open_interest, weight(1)),
        Route("/fapi/v1/time", server_time, weight(1)),
        Route("/fapi/v1/exchangeInfo", exchange_info, weight(1)),
        Route("/fapi/v1/klines", klines, kline_weight),
        Route("/fapi/v1/ticker/24hr", ticker_24hr, _ticker_costs),
        *binance_stats.USDM_ROUTES,
    ],
    make_limiter=make_limiter,
    refusal=refusal,
    usage_headers=usage_headers,
    symbol_error=symbol_error,
)

SIMS = [SIM]
