"""Binance COIN-M futures (dapi.binance.com): inverse perpetuals BTCUSD_PERP and quarterlies
BTCUSD_YYMMDD, margined and settled in the coin, counted in contracts of 100 USD (BTC) or 10 USD.

Differences from USD-M that parsers trip on:
- premiumIndex and ticker/24hr always answer an array, even for one symbol; both also take `pair`;
- openInterest is in contracts (read contractSize from exchangeInfo) and names pair and contractType;
- fundingRate rows carry no markPrice, and a delivery symbol gives an empty array;
- klines count volume in contracts, then base-asset volume where USD-M has quote volume;
- exchangeInfo says `contractStatus` (not `status`) and lists `contractSize`;
- its own weight budget (2400 / min), separate from fapi's.
"""

from __future__ import annotations

from aiohttp import web

from simulator.context import Route, SimContext, VenueSim
from simulator.venues import binance_klines, binance_stats
from simulator.venues.binance import (
    ORDER_TYPES,
    TIME_IN_FORCE,
    delivery_fields,
    funding_history,
    funding_info_rows,
    lot_filters,
    premium_row,
    server_time,
)
from simulator.venues.binance_common import (
    VENUE,
    Contract,
    coinm_contracts,
    contract_price,
    contracts_of,
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
    weight,
)

HOST = "dapi.binance.com"
# exchangeInfo's onboardDate of the COIN-M perpetuals (BTCUSD_PERP's real listing, 2020-08-10).
PERP_ONBOARD_MS = 1597042800000


def _listed(ctx: SimContext) -> list[Contract]:
    return coinm_contracts(ctx, ctx.clock.now())


def _by_symbol(ctx: SimContext, request: web.Request) -> Contract:
    symbol = mandatory(request, "symbol")
    for c in _listed(ctx):
        if c.symbol == symbol:
            return c
    raise invalid_symbol()


def _selected(ctx: SimContext, request: web.Request) -> list[Contract]:
    """`symbol`, else `pair`, else everything: the selection premiumIndex and ticker/24hr accept."""
    listed = _listed(ctx)
    if request.query.get("symbol"):
        return [_by_symbol(ctx, request)]
    pair = request.query.get("pair")
    if pair:
        chosen = [c for c in listed if c.pair == pair]
        if not chosen:
            raise invalid_symbol()
        return chosen
    return listed


async def premium_index(ctx: SimContext, request: web.Request) -> object:
    return [premium_row(ctx, c) for c in _selected(ctx, request)]


async def funding_rate(ctx: SimContext, request: web.Request) -> object:
    contract = _by_symbol(ctx, request)
    if contract.expiry is not None:
        limit_param(request, 100, 1000)
        time_params(request)
        return []  # delivery contracts never settle funding
    return funding_history(ctx, request, [contract.symbol], with_mark=False)


async def funding_info(ctx: SimContext, request: web.Request) -> object:
    return funding_info_rows(ctx, [c.symbol for c in _listed(ctx) if c.kind == "perp"])


async def open_interest(ctx: SimContext, request: web.Request) -> object:
    """Open interest now, in contracts."""
    c = _by_symbol(ctx, request)
    now = ctx.clock.now()
    count = contracts_of(c, open_interest_coin(ctx, c, now), contract_price(ctx, c, now))
    return {
        "symbol": c.symbol,
        "pair": c.pair,
        "openInterest": str(count),
        "contractType": c.contract_type,
        "time": ms(now),
    }


async def klines(ctx: SimContext, request: web.Request) -> object:
    contract = _by_symbol(ctx, request)
    interval = request.query.get("interval", "")
    bars = binance_klines.select_bars(ctx, contract, request, max_limit=1500, capped=False)
    return [binance_klines.inverse_row(ctx, contract, b, interval) for b in bars]


async def ticker_24hr(ctx: SimContext, request: web.Request) -> object:
    return [binance_klines.ticker_24hr(ctx, c) for c in _selected(ctx, request)]


def _symbol_info(ctx: SimContext, c: Contract) -> dict:
    delivery, onboard = delivery_fields(c)
    return {
        "symbol": c.symbol,
        "pair": c.pair,
        "contractType": c.contract_type,
        "deliveryDate": delivery,
        "onboardDate": PERP_ONBOARD_MS if c.expiry is None else onboard,
        "contractStatus": "TRADING",
        "contractSize": int(c.contract_size),
        "marginAsset": c.asset,
        "maintMarginPercent": "2.5000",
        "requiredMarginPercent": "5.0000",
        "baseAsset": c.asset,
        "quoteAsset": "USD",
        "pricePrecision": price_decimals(ctx, c),
        "quantityPrecision": qty_decimals(ctx, c),
        "baseAssetPrecision": 8,
        "quotePrecision": 8,
        "equalQtyPrecision": 4,
        "maxMoveOrderLimit": 10000,
        "triggerProtect": "0.0500",
        "underlyingType": "COIN",
        "underlyingSubType": [],
        "filters": lot_filters(ctx, c, notional=False),
        "orderTypes": ORDER_TYPES,
        "timeInForce": TIME_IN_FORCE,
        "liquidationFee": "0.010000",
        "marketTakeBound": "0.05",
    }


async def exchange_info(ctx: SimContext, request: web.Request) -> object:
    lim = ctx.limiters[HOST]
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
            {"rateLimitType": "ORDERS", "interval": "MINUTE", "intervalNum": 1, "limit": 1200},
        ],
        "exchangeFilters": [],
        "symbols": [_symbol_info(ctx, c) for c in _listed(ctx)],
    }


def _ticker_costs(request: web.Request) -> dict[str, float]:
    # Documented: 1 for a symbol, 40 without. A pair is charged like a symbol (an informed guess).
    return {"weight": 1 if request.query.get("symbol") or request.query.get("pair") else 40}


def make_limiter(overrides: dict):
    """COIN-M's own 2400 weight / minute (`coinm_weight_limit` overrides it alone)."""
    return make_limiter_for(overrides, "coinm_", 2400, {})


SIM = VenueSim(
    venue=VENUE,
    host=HOST,
    routes=[
        Route("/dapi/v1/premiumIndex", premium_index, weight(10)),
        Route("/dapi/v1/fundingRate", funding_rate, weight(1)),
        Route("/dapi/v1/fundingInfo", funding_info, weight(1)),
        Route("/dapi/v1/openInterest", open_interest, weight(1)),
        Route("/dapi/v1/exchangeInfo", exchange_info, weight(1)),
        Route("/dapi/v1/time", server_time, weight(1)),
        Route("/dapi/v1/klines", klines, kline_weight),
        Route("/dapi/v1/ticker/24hr", ticker_24hr, _ticker_costs),
        *binance_stats.COINM_ROUTES,
    ],
    make_limiter=make_limiter,
    refusal=refusal,
    usage_headers=usage_headers,
    symbol_error=symbol_error,
)

SIMS = [SIM]
