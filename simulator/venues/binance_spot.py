"""Binance spot (api.binance.com): the price ticker, klines and a minimal exchangeInfo for the
<ASSET>USDT pairs of every asset the market prices. Spot prices are the market's index; candles follow
the USD-M perpetual's flow brought back to the index (binance_klines.py). Spot has its own weight
budget, 6000 per minute, with the same 429 / 418 answers and X-MBX-USED-WEIGHT-1M header as fapi.
"""

from __future__ import annotations

import json
import re

from aiohttp import web

from simulator.calibration import ASSETS
from simulator.context import Route, SimContext, VenueSim
from simulator.venues import binance_klines
from simulator.venues.binance_common import (
    VENUE,
    Contract,
    err,
    fmt,
    invalid_symbol,
    make_limiter_for,
    mandatory,
    refusal,
    symbol_error,
    usage_headers,
    weight,
)

HOST = "api.binance.com"
_SYMBOLS_PARAM = re.compile(r'^\[("[A-Z0-9\-_.]{1,20}"(,"[A-Z0-9\-_.]{1,20}"){0,}){0,1}\]$')


def _pairs() -> dict[str, Contract]:
    return {f"{a}USDT": Contract(f"{a}USDT", f"{a}USDT", a, f"{a}USDT", "spot", "") for a in ASSETS}


def _one(symbol: str) -> Contract:
    contract = _pairs().get(symbol)
    if contract is None:
        raise invalid_symbol()
    return contract


def _selected(request: web.Request) -> list[Contract] | Contract:
    """`symbol` gives one object; `symbols` (a JSON array) or nothing gives an array."""
    if request.query.get("symbol"):
        return _one(request.query["symbol"])
    raw = request.query.get("symbols")
    if raw is None:
        return list(_pairs().values())
    if not _SYMBOLS_PARAM.match(raw):
        raise err(
            -1100,
            "Illegal characters found in parameter 'symbols'; legal range is "
            '\'^\\[("[A-Z0-9-_.]{1,20}"(,"[A-Z0-9-_.]{1,20}"){0,}){0,1}\\]$\'.',
        )
    return [_one(s) for s in json.loads(raw)]


async def ticker_price(ctx: SimContext, request: web.Request) -> object:
    now = ctx.clock.now()
    selected = _selected(request)

    def row(c: Contract) -> dict:
        return {"symbol": c.symbol, "price": fmt(ctx.market.price(c.asset, now), 8)}

    return row(selected) if isinstance(selected, Contract) else [row(c) for c in selected]


async def klines(ctx: SimContext, request: web.Request) -> object:
    """limit default 500, max 1000; a larger limit is capped rather than refused (informed guess)."""
    contract = _one(mandatory(request, "symbol"))
    interval = request.query.get("interval", "")
    bars = binance_klines.select_bars(ctx, contract, request, max_limit=1000, capped=True)
    return [binance_klines.linear_row(ctx, contract, b, interval) for b in bars]


async def server_time(ctx: SimContext, request: web.Request) -> object:
    return {"serverTime": ctx.clock.now_ms()}


def _symbol_info(c: Contract) -> dict:
    return {
        "symbol": c.symbol,
        "status": "TRADING",
        "baseAsset": c.asset,
        "baseAssetPrecision": 8,
        "quoteAsset": "USDT",
        "quotePrecision": 8,
        "quoteAssetPrecision": 8,
        "orderTypes": ["LIMIT", "LIMIT_MAKER", "MARKET", "STOP_LOSS_LIMIT", "TAKE_PROFIT_LIMIT"],
        "isSpotTradingAllowed": True,
        "isMarginTradingAllowed": True,
        "filters": [
            {
                "filterType": "PRICE_FILTER",
                "minPrice": "0.00000100",
                "maxPrice": "1000000.00000000",
                "tickSize": "0.00000100",
            },
            {"filterType": "LOT_SIZE", "minQty": "0.00001000", "maxQty": "9000.00000000", "stepSize": "0.00001000"},
        ],
    }


async def exchange_info(ctx: SimContext, request: web.Request) -> object:
    """Minimal: the rate limits and each pair's status, assets, precisions and price/lot filters."""
    lim = ctx.limiters[HOST]
    selected = _selected(request)
    chosen = [selected] if isinstance(selected, Contract) else selected
    return {
        "timezone": "UTC",
        "serverTime": ctx.clock.now_ms(),
        "rateLimits": [
            {
                "rateLimitType": "REQUEST_WEIGHT",
                "interval": "MINUTE",
                "intervalNum": 1,
                "limit": lim.buckets["weight"].limit,
            },
            {"rateLimitType": "ORDERS", "interval": "SECOND", "intervalNum": 10, "limit": 100},
            {"rateLimitType": "ORDERS", "interval": "DAY", "intervalNum": 1, "limit": 200000},
            {"rateLimitType": "RAW_REQUESTS", "interval": "MINUTE", "intervalNum": 5, "limit": 61000},
        ],
        "exchangeFilters": [],
        "symbols": [_symbol_info(c) for c in chosen],
    }


def _price_costs(request: web.Request) -> dict[str, float]:
    return {"weight": 2 if request.query.get("symbol") else 4}


def make_limiter(overrides: dict):
    """Spot's 6000 weight / minute (`spot_weight_limit` overrides it alone)."""
    return make_limiter_for(overrides, "spot_", 6000, {})


SIM = VenueSim(
    venue=VENUE,
    host=HOST,
    routes=[
        Route("/api/v3/ticker/price", ticker_price, _price_costs),
        Route("/api/v3/klines", klines, weight(2)),
        Route("/api/v3/exchangeInfo", exchange_info, weight(20)),
        Route("/api/v3/time", server_time, weight(1)),
    ],
    make_limiter=make_limiter,
    refusal=refusal,
    usage_headers=usage_headers,
    symbol_error=symbol_error,
)

SIMS = [SIM]
