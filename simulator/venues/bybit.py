"""Bybit v5 public market data as Bybit sends it: REST on api.bybit.com, liquidations on stream.bybit.com.

Wire facts this module reproduces (reference/exchange_api.md section 2, bybit-exchange.github.io/docs/v5):
- Every REST answer is HTTP 200 with the envelope {"retCode","retMsg","result","retExtInfo","time"}. Errors keep
  HTTP 200 and carry a non-zero retCode (10001 for parameter and symbol errors); clients must read retCode.
- Inside `result`, numbers and timestamps are strings (ms); only the envelope's `time` is an int.
- Histories are newest first. Funding history pages backwards by endTime (startTime alone is an error); open
  interest and the long/short ratio page with an opaque, URL-encoded `nextPageCursor`.
- Units: linear OI in coin, inverse OI in USD contracts; option markIv is a fraction, option prices are USD.
- Limits: 600 requests per 5 s per IP, then HTTP 403 "access too frequent" and a ban (at least 10 minutes);
  a per-endpoint budget answers retCode 10006 "Too many visits!" with the X-Bapi-Limit* headers.

Error texts beyond the documented codes and messages are informed guesses in Bybit's "params error: ..." style.
"""

from __future__ import annotations

import hashlib
import json
import math
import time
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qs, quote, unquote

import numpy as np
from aiohttp import web

from simulator import catalog, flow, options
from simulator.context import Route, SimContext, VenueError, VenueSim, WsRoute
from simulator.limits import Bucket, Decision, VenueLimiter
from simulator.ws import Connection, serve

VENUE = "bybit"
HOST = "api.bybit.com"
WS_HOST = "stream.bybit.com"

HOUR = timedelta(hours=1)
DAY = timedelta(days=1)
YEAR_S = 365 * 86400
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
MONTHS = ("JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC")
MONTH_CODES = "FGHJKMNQUVXZ"  # futures month letters: H = March, M = June, U = September, Z = December
NOT_SUPPORTED = "Not supported symbols"  # the attested answer of tickers and kline; assumed for the others
FUTURES_ASSETS = ("BTC", "ETH")  # Bybit lists inverse quarterlies for BTC and ETH only
FUTURES_BASIS_BIAS = 0.003  # Bybit's quarterlies trade a little rich of the market basis (annual fraction)


@dataclass(frozen=True)
class AssetSpec:
    """Tick and lot sizes per asset, as Bybit's instruments-info lists them."""

    linear_tick: str
    inverse_tick: str
    qty_step: str  # linear order size step, in coin
    option_tick: str
    launched: datetime  # approximate listing date of the perpetuals (only before the simulated history matters)


SPECS = {
    "BTC": AssetSpec("0.10", "0.50", "0.001", "5", datetime(2020, 3, 26, tzinfo=UTC)),
    "ETH": AssetSpec("0.01", "0.05", "0.01", "0.1", datetime(2020, 10, 22, tzinfo=UTC)),
    "SOL": AssetSpec("0.010", "0.010", "0.1", "0.01", datetime(2021, 6, 15, tzinfo=UTC)),
}


@dataclass(frozen=True)
class Contract:
    """A perpetual or an inverse quarterly future as Bybit lists it."""

    symbol: str
    asset: str
    category: str  # linear | inverse
    expiry: datetime | None = None  # None for perpetuals

    @property
    def inverse(self) -> bool:
        return self.category == "inverse"


# --- formatting and time ---------------------------------------------------------------------------------
def _ms(t: datetime) -> int:
    return int(t.timestamp() * 1000)


def _from_ms(ms: int) -> datetime:
    return datetime.fromtimestamp(ms / 1000, tz=UTC)


def _decimals(step: str) -> int:
    return len(step.split(".")[1]) if "." in step else 0


def _on_step(x: float, step: str) -> str:
    """Round to the venue's tick or lot step and print with the step's decimals, as Bybit does."""
    size = float(step)
    return f"{round(x / size) * size:.{_decimals(step)}f}"


def _plain(x: float, decimals: int = 8) -> str:
    """A rate the way Bybit prints it: no trailing zeros ("0.0001", "-0.000212")."""
    text = f"{x:.{decimals}f}".rstrip("0").rstrip(".")
    return "0" if text in ("", "-0") else text


def _unit(*parts: object) -> float:
    """A deterministic number in [0, 1): book sizes and other decoration that must not be random."""
    digest = hashlib.sha256(":".join(str(p) for p in parts).encode()).digest()
    return int.from_bytes(digest[:8], "big") / 2**64


def _expiry_label(t: datetime) -> str:
    """Bybit's date code, day without a leading zero: 6JAN23, 27DEC26."""
    return f"{t.day}{MONTHS[t.month - 1]}{t.year % 100:02d}"


def _hour_floor(t: datetime) -> datetime:
    return t.replace(minute=0, second=0, microsecond=0)


# --- envelope and errors ---------------------------------------------------------------------------------
def _ok(ctx: SimContext, result: object) -> dict:
    return {"retCode": 0, "retMsg": "OK", "result": result, "retExtInfo": {}, "time": ctx.clock.now_ms()}


def _error_body(code: int, msg: str, now_ms: int) -> dict:
    return {"retCode": code, "retMsg": msg, "result": {}, "retExtInfo": {}, "time": now_ms}


def _err(ctx: SimContext, msg: str, code: int = 10001) -> VenueError:
    """Bybit keeps HTTP 200 for request errors: the failure is in retCode."""
    return VenueError(200, _error_body(code, msg, ctx.clock.now_ms()))


def symbol_error() -> tuple[int, object]:
    """The unknown-symbol answer (used by the `delisted` fault). It has no context, so `time` is wall time."""
    return 200, _error_body(10001, NOT_SUPPORTED, int(time.time() * 1000))


def _int_param(ctx: SimContext, request: web.Request, name: str) -> int | None:
    raw = request.query.get(name)
    if raw is None or raw == "":
        return None
    if not raw.isdigit():
        raise _err(ctx, f"params error: {name} invalid")
    return int(raw)


def _limit(ctx: SimContext, request: web.Request, default: int, maximum: int) -> int:
    limit = _int_param(ctx, request, "limit")
    if limit is None:
        return default
    if not 1 <= limit <= maximum:
        raise _err(ctx, f"params error: limit must be in [1, {maximum}]")
    return limit


def _category(ctx: SimContext, request: web.Request, allowed: tuple[str, ...], default: str | None = None) -> str:
    category = request.query.get("category") or default
    if category not in allowed:
        raise _err(ctx, "Illegal category")
    return category


def _required(ctx: SimContext, request: web.Request, name: str) -> str:
    value = request.query.get(name)
    if not value:
        raise _err(ctx, f"params error: {name} is required")
    return value


# --- instruments -----------------------------------------------------------------------------------------
def _future_symbol(asset: str, expiry: datetime) -> str:
    """Inverse quarterlies: BTCUSDH26 is the BTC/USD contract delivering on the last Friday of March 2026."""
    return f"{asset}USD{MONTH_CODES[expiry.month - 1]}{expiry.year % 100:02d}"


def contracts(ctx: SimContext, now: datetime, category: str | None = None) -> list[Contract]:
    """Every perpetual and inverse future listed at `now`, sorted by symbol like instruments-info."""
    out = [
        Contract(i.symbol, i.params.asset, "inverse" if i.perp.inverse else "linear") for i in ctx.market.perps(VENUE)
    ]
    for asset in FUTURES_ASSETS:
        out += [Contract(_future_symbol(asset, e), asset, "inverse", e) for e in catalog.future_expiries(now)]
    return sorted((c for c in out if category in (None, c.category)), key=lambda c: c.symbol)


def _contract(ctx: SimContext, request: web.Request, category: str, perps_only: bool = False) -> Contract:
    symbol = _required(ctx, request, "symbol")
    for c in contracts(ctx, ctx.clock.now(), category):
        if c.symbol == symbol and not (perps_only and c.expiry):
            return c
    raise _err(ctx, NOT_SUPPORTED)


def _mark(ctx: SimContext, c: Contract, t: datetime) -> float:
    if c.expiry is None:
        return ctx.market.mark_price(VENUE, c.symbol, t)
    return ctx.market.future_price(c.asset, c.expiry, t, FUTURES_BASIS_BIAS)


def _perp_symbol(c: Contract) -> str:
    """The perpetual whose series (volume, OI) a quarterly borrows: futures are not in the market model."""
    return c.symbol if c.expiry is None else f"{c.asset}USD"


def _future_share(c: Contract, t: datetime) -> float:
    """A quarterly's OI and volume as a share of the inverse perpetual's: the front contract holds the most."""
    years = max((c.expiry - t).total_seconds(), 0.0) / YEAR_S
    return 0.3 * max(0.1, 1.0 - 1.5 * years)


def _oi_coin(ctx: SimContext, c: Contract, t: datetime) -> float:
    oi = ctx.market.open_interest(VENUE, _perp_symbol(c), t)
    return oi if c.expiry is None else oi * _future_share(c, t)


def _launched(c: Contract) -> datetime:
    """Perpetuals: their listing date. Quarterlies are listed about three quarters ahead (catalog lists three)."""
    return SPECS[c.asset].launched if c.expiry is None else c.expiry - timedelta(days=273)


def _tick(c: Contract) -> str:
    spec = SPECS[c.asset]
    return spec.inverse_tick if c.inverse else spec.linear_tick


# --- GET /v5/market/instruments-info -----------------------------------------------------------------------
def _contract_info(ctx: SimContext, c: Contract) -> dict:
    spec, tick = SPECS[c.asset], _tick(c)
    perp = c.expiry is None
    cap = ctx.market.perp(VENUE, _perp_symbol(c)).params.cap
    if c.inverse:
        lots = {"maxOrderQty": "1000000", "minOrderQty": "1", "qtyStep": "1", "postOnlyMaxOrderQty": "1000000"}
        lots |= {"maxMktOrderQty": "500000", "minNotionalValue": "1"}
    else:
        step = float(spec.qty_step)
        big, market_max = _on_step(step * 1_190_000, spec.qty_step), _on_step(step * 500_000, spec.qty_step)
        lots = {"maxOrderQty": big, "minOrderQty": spec.qty_step, "qtyStep": spec.qty_step}
        lots |= {"postOnlyMaxOrderQty": big, "maxMktOrderQty": market_max, "minNotionalValue": "5"}
    return {
        "symbol": c.symbol,
        "contractType": ("Inverse" if c.inverse else "Linear") + ("Perpetual" if perp else "Futures"),
        "status": "Trading",
        "baseCoin": c.asset,
        "quoteCoin": "USD" if c.inverse else "USDT",
        "symbolType": "",
        "launchTime": str(_ms(_launched(c))),
        "deliveryTime": "0" if perp else str(_ms(c.expiry)),
        "deliveryFeeRate": "" if perp else "0.0005",
        "priceScale": str(_decimals(tick)),
        "leverageFilter": {"minLeverage": "1", "maxLeverage": "100.00", "leverageStep": "0.01"},
        "priceFilter": {"minPrice": tick, "maxPrice": _on_step(float(tick) * 10_000_000, tick), "tickSize": tick},
        "lotSizeFilter": lots,
        "unifiedMarginTrade": True,
        "fundingInterval": ctx.market.perp(VENUE, c.symbol).params.interval_hours * 60 if perp else 0,  # minutes
        "settleCoin": c.asset if c.inverse else "USDT",
        "copyTrading": "both" if perp else "none",
        "upperFundingRate": _plain(cap) if perp else "",
        "lowerFundingRate": _plain(-cap) if perp else "",
        "isPreListing": False,
        "preListingInfo": None,
        "riskParameters": {"priceLimitRatioX": "0.01", "priceLimitRatioY": "0.02"},
    }


def _option_symbol(q: options.OptionQuote) -> str:
    strike = f"{q.strike:g}" if q.strike != int(q.strike) else str(int(q.strike))
    return f"{q.asset}-{_expiry_label(q.expiry)}-{strike}-{'C' if q.is_call else 'P'}"


def _option_listed(expiry: datetime) -> datetime:
    """When an expiry appeared: weeklies about four weeks ahead, monthlies three months, quarterlies a year."""
    if expiry.month in (3, 6, 9, 12) and expiry == catalog.last_friday(expiry.year, expiry.month):
        return expiry - timedelta(days=364)
    if expiry == catalog.last_friday(expiry.year, expiry.month):
        return expiry - timedelta(days=91)
    return expiry - timedelta(days=28)


def _option_info(q: options.OptionQuote) -> dict:
    tick = SPECS[q.asset].option_tick
    return {
        "symbol": _option_symbol(q),
        "status": "Trading",
        "baseCoin": q.asset,
        "quoteCoin": "USD",
        "settleCoin": "USDC",
        "optionsType": "Call" if q.is_call else "Put",
        "launchTime": str(_ms(_option_listed(q.expiry))),
        "deliveryTime": str(_ms(q.expiry)),
        "deliveryFeeRate": "0.00015",
        "priceFilter": {"minPrice": tick, "maxPrice": "10000000", "tickSize": tick},
        "lotSizeFilter": {"maxOrderQty": "500", "minOrderQty": "0.01", "qtyStep": "0.01"},
    }


def _spot_info(asset: str) -> dict:
    tick = SPECS[asset].linear_tick
    return {
        "symbol": f"{asset}USDT",
        "baseCoin": asset,
        "quoteCoin": "USDT",
        "innovation": "0",
        "status": "Trading",
        "marginTrading": "utaOnly",
        "stTag": "0",
        "lotSizeFilter": {
            "basePrecision": SPECS[asset].qty_step,
            "quotePrecision": "0.0000001",
            "minOrderQty": SPECS[asset].qty_step,
            "maxOrderQty": "71.73956243",
            "minOrderAmt": "5",
            "maxOrderAmt": "2000000",
        },
        "priceFilter": {"tickSize": tick},
        "riskParameters": {"priceLimitRatioX": "0.005", "priceLimitRatioY": "0.01"},
    }


def _chain(ctx: SimContext, asset: str, t: datetime) -> list[options.OptionQuote]:
    return options.chain(ctx.market, VENUE, asset, t)


def _base_coin(ctx: SimContext, request: web.Request, default: str | None = "BTC") -> str | None:
    coin = request.query.get("baseCoin") or default
    if coin is not None and coin not in catalog.ASSETS:
        raise _err(ctx, f"params error: baseCoin {coin} invalid")
    return coin


def _page_cursor(first: str, last: str) -> str:
    """An opaque cursor, URL-encoded inside the JSON like Bybit's (format of the token is a guess)."""
    return quote(f"first={first}&last={last}", safe="")


def _cursor_fields(ctx: SimContext, request: web.Request) -> dict[str, str] | None:
    """Decode a cursor whether the client sent it raw or percent-encoded it once more."""
    raw = request.query.get("cursor")
    if not raw:
        return None
    text = raw
    while "%" in text:
        text = unquote(text)
    fields = {k: v[0] for k, v in parse_qs(text).items()}
    if not fields:
        raise _err(ctx, "params error: cursor invalid")
    return fields


def _paged(ctx: SimContext, request: web.Request, rows: list[dict]) -> tuple[list[dict], str]:
    """limit/cursor paging over rows sorted by symbol; the cursor remembers the last symbol sent."""
    limit = _limit(ctx, request, default=500, maximum=1000)
    cursor = _cursor_fields(ctx, request)
    if cursor is not None:
        rows = [r for r in rows if r["symbol"] > cursor.get("last", "")]
    page = rows[:limit]
    more = len(rows) > limit
    return page, _page_cursor(page[0]["symbol"], page[-1]["symbol"]) if more else ""


async def instruments_info(ctx: SimContext, request: web.Request) -> object:
    category = _category(ctx, request, ("spot", "linear", "inverse", "option"))
    now, symbol = ctx.clock.now(), request.query.get("symbol") or None
    if request.query.get("status", "Trading") != "Trading":
        return _ok(ctx, {"category": category, "list": [], "nextPageCursor": ""})  # no PreLaunch / Delivering
    if category == "spot":  # spot is not paged: limit and cursor are ignored
        rows = [_spot_info(a) for a in catalog.ASSETS if symbol in (None, f"{a}USDT")]
        return _ok(ctx, {"category": category, "list": rows, "nextPageCursor": ""})
    if category == "option":
        coin = _base_coin(ctx, request, default=symbol.split("-")[0] if symbol else "BTC")
        rows = sorted((_option_info(q) for q in _chain(ctx, coin, now)), key=lambda r: r["symbol"])
    else:
        coin = _base_coin(ctx, request, default=None)
        # Quirk: with baseCoin, linear and inverse both return every contract of that coin, whatever the category.
        listed = contracts(ctx, now, None if coin else category)
        rows = [_contract_info(ctx, c) for c in listed if coin in (None, c.asset)]
    # An unknown symbol is not an error here: the list is just empty.
    rows = [r for r in rows if symbol in (None, r["symbol"])]
    page, cursor = _paged(ctx, request, rows)
    return _ok(ctx, {"category": category, "list": page, "nextPageCursor": cursor})


# --- GET /v5/market/tickers --------------------------------------------------------------------------------
def _marks_5m(ctx: SimContext, c: Contract, start: datetime, end: datetime) -> list[float]:
    """Mark prices on the market's 5-minute grid inside [start, end], plus both ends."""
    step = timedelta(minutes=5)
    t = start - timedelta(seconds=start.timestamp() % 300) + step
    points = [start]
    while t < end:
        points.append(t)
        t += step
    points.append(end)
    return [_mark(ctx, c, p) for p in points]


def _volume_24h(ctx: SimContext, c: Contract, now: datetime) -> float:
    """Coin volume of the last 24 whole hours, from the hourly candles kline serves (a stable rolling window)."""
    end = _hour_floor(now)
    hourly = flow.candles(ctx.market, VENUE, _perp_symbol(c), 60, end - DAY, end)
    volume = sum(k.volume for k in hourly)
    return volume if c.expiry is None else volume * _future_share(c, now)


def _book(c: Contract, last: float, now: datetime) -> dict[str, str]:
    """Best bid/ask one tick apart around the last price, with deterministic sizes."""
    tick = float(_tick(c))
    bid = math.floor(last / tick) * tick
    u = _unit(VENUE, c.symbol, int(now.timestamp()))
    if c.inverse:
        sizes = (str(1 + int(u * 250_000)), str(1 + int((1 - u) * 250_000)))
    else:
        step = SPECS[c.asset].qty_step
        sizes = tuple(_on_step(float(step) * (1 + int(x * 40_000)), step) for x in (u, 1 - u))
    return {
        "ask1Size": sizes[1],
        "bid1Price": _on_step(bid, _tick(c)),
        "ask1Price": _on_step(bid + tick, _tick(c)),
        "bid1Size": sizes[0],
    }


def _funding_fields(ctx: SimContext, c: Contract, now: datetime) -> dict[str, str]:
    if c.expiry is not None:
        return {"fundingRate": "", "nextFundingTime": "0"}
    rate, next_settle = ctx.market.current_funding(VENUE, c.symbol, now)
    return {"fundingRate": _plain(rate), "nextFundingTime": str(_ms(next_settle))}


def _delivery_fields(c: Contract, last: float, index: float, now: datetime) -> dict[str, str]:
    """Futures carry basis (last - index), basisRate (basis / index) and, 30 min before delivery, a prediction."""
    if c.expiry is None:
        return {"predictedDeliveryPrice": "", "basisRate": "", "deliveryFeeRate": "", "deliveryTime": "0"}
    near = c.expiry - now <= timedelta(minutes=30)
    return {
        "predictedDeliveryPrice": _on_step(index, _tick(c)) if near else "",
        "basisRate": f"{(last - index) / index:.8f}",
        "deliveryFeeRate": "0.0005",
        "deliveryTime": str(_ms(c.expiry)),
    }


def _contract_ticker(ctx: SimContext, c: Contract, now: datetime) -> dict:
    """One linear/inverse ticker; the model has no separate last-trade series, so last prints on the mark."""
    # Printed prices are on the tick; basis and basisRate are computed from the printed values.
    index = float(_on_step(ctx.market.price(c.asset, now), _tick(c)))
    last = float(_on_step(_mark(ctx, c, now), _tick(c)))
    prev24, prev1 = _mark(ctx, c, now - DAY), _mark(ctx, c, now - HOUR)
    day = _marks_5m(ctx, c, now - DAY, now)
    oi, volume = _oi_coin(ctx, c, now), _volume_24h(ctx, c, now)
    if c.inverse:  # inverse: OI and volume in USD contracts, their values in coin
        oi_fields = {"openInterest": str(round(oi * index)), "openInterestValue": f"{oi:.2f}"}
        flow_fields = {"turnover24h": f"{volume:.8f}", "volume24h": str(round(volume * last))}
    else:
        step = SPECS[c.asset].qty_step
        oi_fields = {"openInterest": _on_step(oi, step), "openInterestValue": f"{oi * last:.2f}"}
        flow_fields = {"turnover24h": f"{volume * last:.4f}", "volume24h": _on_step(volume, step)}
    perp = c.expiry is None
    cap = ctx.market.perp(VENUE, _perp_symbol(c)).params.cap
    return {
        "symbol": c.symbol,
        "lastPrice": _on_step(last, _tick(c)),
        "indexPrice": _on_step(index, _tick(c)),
        "markPrice": _on_step(_mark(ctx, c, now), _tick(c)),
        "prevPrice24h": _on_step(prev24, _tick(c)),
        "price24hPcnt": f"{last / prev24 - 1:.6f}",
        "highPrice24h": _on_step(max(day), _tick(c)),
        "lowPrice24h": _on_step(min(day), _tick(c)),
        "prevPrice1h": _on_step(prev1, _tick(c)),
        **oi_fields,
        **flow_fields,
        **_funding_fields(ctx, c, now),
        **_delivery_fields(c, last, index, now),
        **_book(c, last, now),
        "basis": _on_step(last - index, _tick(c)) if not perp else "",
        "preOpenPrice": "",
        "preQty": "",
        "curPreListingPhase": "",
        # Added to the v5 tickers in 2025: the interval in hours and the cap of this symbol's funding.
        "fundingIntervalHour": str(ctx.market.perp(VENUE, c.symbol).params.interval_hours) if perp else "",
        "fundingCap": _plain(cap) if perp else "",
    }


def _option_ticker(q: options.OptionQuote, before: options.OptionQuote | None, now: datetime) -> dict:
    """One option ticker: prices and greeks in USD, IVs as fractions, OI and volume in coin."""
    tick = SPECS[q.asset].option_tick
    years = (q.expiry - now).total_seconds() / YEAR_S
    bid = options.black76(q.forward, q.strike, years, q.bid_iv, q.is_call)["price"]
    # Deep in the money the IV spread is worth less than a tick: keep the book at least one tick wide.
    ask = max(options.black76(q.forward, q.strike, years, q.ask_iv, q.is_call)["price"], bid + float(tick))
    old = before.mark_usd if before else q.mark_usd
    u = _unit(VENUE, _option_symbol(q), int(now.timestamp()))
    near = q.expiry - now <= timedelta(minutes=30)
    # Cumulative volume since listing: the 24 h volume times the days listed (the model keeps no trade tape).
    days_listed = max(1.0, (now - _option_listed(q.expiry)).total_seconds() / 86400)
    return {
        "symbol": _option_symbol(q),
        "bid1Price": _on_step(bid, tick) if bid >= float(tick) else "0",
        "bid1Size": f"{0.1 + round(u * 20, 1):.2f}" if bid >= float(tick) else "0",
        "bid1Iv": f"{q.bid_iv:.4f}" if bid >= float(tick) else "0",
        "ask1Price": _on_step(ask, tick),
        "ask1Size": f"{0.1 + round((1 - u) * 20, 1):.2f}",
        "ask1Iv": f"{q.ask_iv:.4f}",
        "lastPrice": _on_step(q.mark_usd, tick),
        "highPrice24h": _on_step(max(q.mark_usd, old), tick),
        "lowPrice24h": _on_step(min(q.mark_usd, old), tick),
        "markPrice": f"{q.mark_usd:.8f}",
        "indexPrice": f"{q.index_price:.2f}",
        "markIv": f"{q.mark_iv:.4f}",
        "underlyingPrice": f"{q.forward:.2f}",
        "openInterest": f"{q.open_interest:.2f}",
        "turnover24h": f"{q.volume_24h * q.index_price:.4f}",
        "volume24h": f"{q.volume_24h:.2f}",
        "totalVolume": str(round(q.volume_24h * days_listed)),
        "totalTurnover": str(round(q.volume_24h * days_listed * q.index_price)),
        "delta": f"{q.delta:.8f}",
        "gamma": f"{q.gamma:.8f}",
        "vega": f"{q.vega:.8f}",
        "theta": f"{q.theta:.8f}",
        "predictedDeliveryPrice": f"{q.index_price:.2f}" if near else "0",
        "change24h": f"{q.mark_usd / old - 1:.8f}" if old > 0 else "0",
    }


def _option_tickers(ctx: SimContext, request: web.Request, now: datetime) -> list[dict]:
    """The option chain; `symbol` or `baseCoin` is required, `expDate` (e.g. 25DEC22) narrows it."""
    symbol = request.query.get("symbol") or None
    if not symbol and not request.query.get("baseCoin"):
        raise _err(ctx, "params error: symbol or baseCoin is required for option")
    coin = symbol.split("-")[0] if symbol else _base_coin(ctx, request)
    if coin not in catalog.ASSETS:
        raise _err(ctx, NOT_SUPPORTED)
    exp = (request.query.get("expDate") or "").lstrip("0")
    before = {(q.expiry, q.strike, q.is_call): q for q in _chain(ctx, coin, now - DAY)}
    rows = [
        _option_ticker(q, before.get((q.expiry, q.strike, q.is_call)), now)
        for q in _chain(ctx, coin, now)
        if (not exp or _expiry_label(q.expiry) == exp) and (not symbol or _option_symbol(q) == symbol)
    ]
    if symbol and not rows:
        raise _err(ctx, NOT_SUPPORTED)
    return rows


def _spot_ticker(ctx: SimContext, asset: str, now: datetime) -> dict:
    """Spot trades on the index; its volume is taken as 40 % of the linear perpetual's (the model has no spot)."""
    m, tick = ctx.market, SPECS[asset].linear_tick
    price, prev = m.price(asset, now), m.price(asset, now - DAY)
    day = [m.price(asset, now - DAY + i * timedelta(minutes=5)) for i in range(289)]
    volume = 0.4 * _volume_24h(ctx, Contract(f"{asset}USDT", asset, "linear"), now)
    step = SPECS[asset].qty_step
    u = _unit(VENUE, "spot", asset, int(now.timestamp()))
    return {
        "symbol": f"{asset}USDT",
        "bid1Price": _on_step(price - float(tick) / 2, tick),
        "bid1Size": _on_step(float(step) * (1 + int(u * 5000)), step),
        "ask1Price": _on_step(price + float(tick) / 2, tick),
        "ask1Size": _on_step(float(step) * (1 + int((1 - u) * 5000)), step),
        "lastPrice": _on_step(price, tick),
        "prevPrice24h": _on_step(prev, tick),
        "price24hPcnt": f"{price / prev - 1:.4f}",
        "highPrice24h": _on_step(max(day), tick),
        "lowPrice24h": _on_step(min(day), tick),
        "turnover24h": f"{volume * price:.8f}",
        "volume24h": _on_step(volume, step),
        "usdIndexPrice": f"{price:.8f}",
    }


async def tickers(ctx: SimContext, request: web.Request) -> object:
    category = _category(ctx, request, ("spot", "linear", "inverse", "option"))
    now, symbol = ctx.clock.now(), request.query.get("symbol") or None
    if category == "option":
        rows = _option_tickers(ctx, request, now)
    elif category == "spot":
        rows = [_spot_ticker(ctx, a, now) for a in catalog.ASSETS if symbol in (None, f"{a}USDT")]
    else:
        rows = [_contract_ticker(ctx, c, now) for c in contracts(ctx, now, category) if symbol in (None, c.symbol)]
    if symbol and not rows:
        raise _err(ctx, NOT_SUPPORTED)
    return _ok(ctx, {"category": category, "list": rows})


# --- GET /v5/market/funding/history ------------------------------------------------------------------------
async def funding_history(ctx: SimContext, request: web.Request) -> object:
    """Settled rates, newest first. Bybit's documented window rules: startTime alone is an error, endTime alone
    or neither gives the `limit` latest up to it; both give the latest `limit` inside [startTime, endTime]."""
    category = _category(ctx, request, ("linear", "inverse"))
    c = _contract(ctx, request, category, perps_only=True)
    limit = _limit(ctx, request, default=200, maximum=200)
    start_ms, end_ms = _int_param(ctx, request, "startTime"), _int_param(ctx, request, "endTime")
    if start_ms is not None and end_ms is None:
        raise _err(ctx, "params error: startTime and endTime must be passed together")  # documented error, text guessed
    m, now = ctx.market, ctx.clock.now()
    hours = m.perp(VENUE, c.symbol).params.interval_hours
    hi = now if end_ms is None else min(_from_ms(end_ms), now)
    lo = _from_ms(start_ms) if start_ms is not None else hi - timedelta(hours=hours * (limit + 1))
    settled = m.settlement_times(VENUE, c.symbol, max(lo, m.start), hi + timedelta(milliseconds=1)) if lo <= hi else []
    rows = [
        {
            "symbol": c.symbol,
            "fundingRate": _plain(m.settled_funding(VENUE, c.symbol, t)),
            "fundingRateTimestamp": str(_ms(t)),
        }
        for t in reversed(settled[-limit:])
    ]
    return _ok(ctx, {"category": category, "list": rows})


# --- time-grid histories: open interest and long/short ratio ---------------------------------------------------
GRID_MS = {"5min": 300_000, "15min": 900_000, "30min": 1_800_000, "1h": 3_600_000, "4h": 14_400_000, "1d": 86_400_000}


def _grid(
    ctx: SimContext, step_ms: int, start_ms: int | None, end_ms: int | None, before_ms: int | None, limit: int
) -> tuple[list[int], bool]:
    """Stamps on the interval grid (UTC-aligned), newest first, inside the window and older than the cursor;
    the second value says whether older stamps remain for another page."""
    now_ms = ctx.clock.now_ms()
    hi = min(now_ms, end_ms if end_ms is not None else now_ms, before_ms - 1 if before_ms is not None else now_ms)
    lo = max(start_ms or 0, _ms(ctx.market.start))
    top, bottom = hi // step_ms * step_ms, -(-lo // step_ms) * step_ms
    stamps = [top - i * step_ms for i in range(limit) if top - i * step_ms >= bottom]
    return stamps, top - limit * step_ms >= bottom


def _grid_params(ctx: SimContext, request: web.Request, name: str, maximum: int) -> tuple[int, int | None, int | None]:
    interval = request.query.get(name)
    if interval not in GRID_MS:
        raise _err(ctx, f"params error: {name} invalid")
    limit = _limit(ctx, request, default=50, maximum=maximum)
    return limit, _int_param(ctx, request, "startTime"), _int_param(ctx, request, "endTime")


async def open_interest(ctx: SimContext, request: web.Request) -> object:
    """OI history, newest first (the first row is the latest grid point): linear in coin, inverse in USD."""
    category = _category(ctx, request, ("linear", "inverse"))
    c = _contract(ctx, request, category)
    limit, start_ms, end_ms = _grid_params(ctx, request, "intervalTime", 200)
    start_ms = max(start_ms or 0, _ms(_launched(c)))  # docs: history goes back to the symbol's launch
    step_ms = GRID_MS[request.query["intervalTime"]]
    cursor = _cursor_fields(ctx, request)
    # The cursor names the last row sent by its 5-minute slot number (docs show "lastid%3D44487872").
    before = int(cursor["lastid"]) * 300_000 if cursor and cursor.get("lastid", "").isdigit() else None
    if cursor and before is None:
        raise _err(ctx, "params error: cursor invalid")
    stamps, more = _grid(ctx, step_ms, start_ms, end_ms, before, limit)
    rows = []
    for ms in stamps:
        t = _from_ms(ms)
        oi = _oi_coin(ctx, c, t)
        value = round(oi * ctx.market.price(c.asset, t)) if c.inverse else round(oi, _decimals(SPECS[c.asset].qty_step))
        rows.append({"openInterest": f"{value:.8f}", "timestamp": str(ms)})
    cursor_out = quote(f"lastid={stamps[-1] // 300_000}", safe="") if more and stamps else ""
    return _ok(ctx, {"symbol": c.symbol, "category": category, "list": rows, "nextPageCursor": cursor_out})


async def account_ratio(ctx: SimContext, request: web.Request) -> object:
    """Share of accounts net long / net short (market.long_account_share), newest first, cursor paging."""
    category = _category(ctx, request, ("linear", "inverse"))
    c = _contract(ctx, request, category, perps_only=True)
    limit, start_ms, end_ms = _grid_params(ctx, request, "period", 500)
    cursor = _cursor_fields(ctx, request)
    # Docs: "lastid%3D0%26lasttime%3D1696258800", the last row's time in seconds.
    before = int(cursor["lasttime"]) * 1000 if cursor and cursor.get("lasttime", "").isdigit() else None
    if cursor and before is None:
        raise _err(ctx, "params error: cursor invalid")
    stamps, more = _grid(ctx, GRID_MS[request.query["period"]], start_ms, end_ms, before, limit)
    rows = []
    for ms in stamps:
        buy = round(ctx.market.long_account_share(VENUE, c.asset, _from_ms(ms)) * 10_000)  # basis points
        buy_ratio, sell_ratio = _plain(buy / 1e4, 4), _plain((10_000 - buy) / 1e4, 4)
        rows.append({"symbol": c.symbol, "buyRatio": buy_ratio, "sellRatio": sell_ratio, "timestamp": str(ms)})
    cursor_out = quote(f"lastid=0&lasttime={stamps[-1] // 1000}", safe="") if more and stamps else ""
    # Unlike its siblings, this result carries no category.
    return _ok(ctx, {"list": rows, "nextPageCursor": cursor_out})


# --- GET /v5/market/kline ----------------------------------------------------------------------------------
KLINE_MINUTES = {"1": 1, "3": 3, "5": 5, "15": 15, "30": 30, "60": 60, "120": 120, "240": 240, "360": 360}
KLINE_MINUTES |= {"720": 720, "D": 1440, "W": 10080}
WEEK_ANCHOR = datetime(1970, 1, 5, tzinfo=UTC)  # weekly candles open on Monday 00:00 UTC


def _month_start(t: datetime, shift: int = 0) -> datetime:
    index = t.year * 12 + t.month - 1 + shift
    return datetime(index // 12, index % 12 + 1, 1, tzinfo=UTC)


def _floor_open(t: datetime, interval: str) -> datetime:
    """The open time of the candle containing `t`."""
    if interval == "M":
        return _month_start(t)
    anchor = WEEK_ANCHOR if interval == "W" else EPOCH
    step = timedelta(minutes=KLINE_MINUTES[interval])
    return anchor + ((t - anchor) // step) * step


def _shift_open(t: datetime, interval: str, n: int) -> datetime:
    if interval == "M":
        return _month_start(t, n)
    return t + n * timedelta(minutes=KLINE_MINUTES[interval])


def _kline_opens(interval: str, lo: datetime, hi: datetime, limit: int, from_start: bool) -> list[datetime]:
    """Candle opens inside [lo, hi], ascending: the first `limit` after lo when anchored at the start, else the
    last `limit` before hi."""
    first = _floor_open(lo, interval)
    first = first if first >= lo else _shift_open(first, interval, 1)
    last = _floor_open(hi, interval)
    opens: list[datetime] = []
    t = first if from_start else last
    while first <= t <= last and len(opens) < limit:
        opens.append(t)
        t = _shift_open(t, interval, 1 if from_start else -1)
    return opens if from_start else opens[::-1]


def _full_candles(ctx: SimContext, symbol: str, interval: str, opens: list[datetime]) -> list[flow.Candle]:
    if interval == "M":  # months differ in length: one flow candle per month
        out = []
        for o in opens:
            minutes = int((_month_start(o, 1) - o).total_seconds() // 60)
            out += flow.candles(ctx.market, VENUE, symbol, minutes, o, o + timedelta(minutes=1))
        return out
    minutes = KLINE_MINUTES[interval]
    return flow.candles(ctx.market, VENUE, symbol, minutes, opens[0], opens[-1] + timedelta(minutes=minutes))


def _partial(ctx: SimContext, c: Contract, k: flow.Candle, close_at: datetime, now: datetime) -> flow.Candle:
    """The candle still open at `now`: prices up to now, volume pro rata of the whole candle's."""
    marks = _marks_5m(ctx, c, k.open_time, now)
    share = (now - k.open_time) / (close_at - k.open_time)
    return flow.Candle(
        k.open_time,
        k.open,
        max(marks),
        min(marks),
        marks[-1],
        k.volume * share,
        k.taker_buy_volume * share,
        k.trades,
        k.open_interest,
    )


def _kline_row(c: Contract, k: flow.Candle) -> list[str]:
    """[start, open, high, low, close, volume, turnover]: volume in contracts (coin for linear, USD for
    inverse), turnover in the quote (USDT for linear, coin for inverse)."""
    tick, avg = _tick(c), (k.open + k.close) / 2
    prices = [_on_step(p, tick) for p in (k.open, k.high, k.low, k.close)]
    if c.inverse:
        return [str(_ms(k.open_time)), *prices, str(round(k.volume * avg)), f"{k.volume:.8f}"]
    step = SPECS[c.asset].qty_step
    return [str(_ms(k.open_time)), *prices, _on_step(k.volume, step), f"{k.volume * avg:.4f}"]


async def kline(ctx: SimContext, request: web.Request) -> object:
    """Candles newest first. Window: start alone anchors at start (the first `limit` candles from it, as users
    report); end alone or neither gives the latest `limit` up to it; both are read as start-anchored (a guess)."""
    category = _category(ctx, request, ("linear", "inverse"), default="linear")  # spot candles are not simulated
    c = _contract(ctx, request, category, perps_only=True)
    interval = request.query.get("interval")
    if interval not in KLINE_MINUTES and interval != "M":
        raise _err(ctx, "params error: interval invalid")
    limit = _limit(ctx, request, default=200, maximum=1000)
    start_ms, end_ms = _int_param(ctx, request, "start"), _int_param(ctx, request, "end")
    now = ctx.clock.now()
    lo = max(_from_ms(start_ms) if start_ms is not None else ctx.market.start, ctx.market.start)
    hi = min(_from_ms(end_ms), now) if end_ms is not None else now
    opens = _kline_opens(interval, lo, hi, limit, from_start=start_ms is not None) if lo <= hi else []
    candles = _full_candles(ctx, c.symbol, interval, opens) if opens else []
    if candles and _shift_open(candles[-1].open_time, interval, 1) > now:
        candles[-1] = _partial(ctx, c, candles[-1], _shift_open(candles[-1].open_time, interval, 1), now)
    rows = [_kline_row(c, k) for k in reversed(candles)]
    return _ok(ctx, {"category": category, "symbol": c.symbol, "list": rows})


# --- GET /v5/market/historical-volatility ----------------------------------------------------------------
HV_PERIODS = (7, 14, 21, 30, 60, 90, 180, 270)  # days


def _realised_vol(ctx: SimContext, asset: str, period: int, hours: list[datetime]) -> list[float]:
    """Annualised standard deviation of hourly index log returns over the `period` days before each hour."""
    n = period * 24
    _, logp = ctx.market.log_prices_5m(asset, hours[0] - timedelta(days=period), hours[-1])
    returns = np.diff(logp[::12])  # the 5-minute grid starts on the hour, so every 12th point is hourly
    s1 = np.concatenate(([0.0], np.cumsum(returns)))
    s2 = np.concatenate(([0.0], np.cumsum(returns * returns)))
    out = []
    for k in range(len(hours)):
        total, squares = s1[k + n] - s1[k], s2[k + n] - s2[k]
        variance = max((squares - total * total / n) / (n - 1), 0.0)
        out.append(math.sqrt(variance * 24 * 365))
    return out


async def historical_volatility(ctx: SimContext, request: web.Request) -> object:
    """Hourly realised volatility (a fraction). This endpoint's envelope differs from the rest: retMsg "SUCCESS",
    a top-level category, `result` a bare list, no retExtInfo or time."""
    _category(ctx, request, ("option",))
    coin = _base_coin(ctx, request)
    raw_period = request.query.get("period") or "7"  # the 7-day figure by default
    if not raw_period.isdigit() or int(raw_period) not in HV_PERIODS:
        raise _err(ctx, "params error: period invalid")
    period = int(raw_period)
    start_ms, end_ms = _int_param(ctx, request, "startTime"), _int_param(ctx, request, "endTime")
    if (start_ms is None) != (end_ms is None):
        raise _err(ctx, "params error: startTime and endTime must be passed together")
    if start_ms is not None and end_ms - start_ms > 30 * 86_400_000:
        raise _err(ctx, "params error: [endTime - startTime] must be less than or equal to 30 days")
    now = ctx.clock.now()
    if start_ms is None:  # neither: the latest hourly point
        hours = [_hour_floor(now)]
    else:
        first, last = _hour_floor(_from_ms(start_ms + 3_599_999)), _hour_floor(min(_from_ms(end_ms), now))
        hours = [first + i * HOUR for i in range(int((last - first) / HOUR) + 1)] if first <= last else []
    hours = [h for h in hours if h - timedelta(days=period) >= ctx.market.start]
    values = _realised_vol(ctx, coin, period, hours) if hours else []
    result = [{"period": period, "value": f"{v:.8f}", "time": str(_ms(h))} for h, v in zip(hours, values, strict=True)]
    return {"retCode": 0, "retMsg": "SUCCESS", "category": "option", "result": result}


# --- limits ------------------------------------------------------------------------------------------------
class BybitLimiter(VenueLimiter):
    """Bybit's two limits: exceeding the per-IP window bans the IP at once (HTTP 403 until the ban ends);
    an endpoint's own budget refuses with retCode 10006 and no ban. Every request spends the IP budget."""

    def decide(self, now: float, costs: dict[str, float]) -> Decision:
        with self.lock:
            if now < self.banned_until:
                return Decision(False, 403, math.ceil(self.banned_until - now), self.banned_until, "ip")
            ip_cost = costs.get("ip", 0)
            if self.buckets["ip"].would_exceed(now, ip_cost):
                self.banned_until = now + self.ban_seconds
                return Decision(False, 403, self.ban_seconds, self.banned_until, "ip")
            self.buckets["ip"].spend(now, ip_cost)
            endpoint = {name: cost for name, cost in costs.items() if name != "ip"}
            for name, cost in endpoint.items():
                if self.buckets[name].would_exceed(now, cost):
                    return Decision(False, 200, self.buckets[name].seconds_to_reset(now), None, name)
            for name, cost in endpoint.items():
                self.buckets[name].spend(now, cost)
            return Decision(True)


def _costs(path: str):
    return lambda request: {"ip": 1, path: 1}


def make_limiter(overrides: dict) -> VenueLimiter:
    """600 requests per 5 s per IP and a 10-minute ban (documented); the per-endpoint budget of 50 per second is
    a guess, since Bybit publishes per-endpoint limits only for private endpoints."""
    o = overrides.get(VENUE, {})
    buckets = {"ip": Bucket("ip", int(o.get("ip_limit", 600)), float(o.get("ip_window_s", 5)))}
    for route in ROUTES:
        buckets[route.path] = Bucket(route.path, int(o.get("endpoint_limit", 50)), float(o.get("endpoint_window_s", 1)))
    return BybitLimiter(buckets=buckets, ban_seconds=int(o.get("ban_seconds", 600)))


def refusal(decision: Decision, limiter: VenueLimiter, now: float) -> web.Response:
    """403 with a bare "access too frequent" over the IP limit (the body's exact form is a guess: Bybit documents
    only the status and the words); retCode 10006 with the X-Bapi-Limit* headers over an endpoint budget.
    Limits run on wall time, so the body's `time` and the reset stamp are wall-clock ms."""
    if decision.status == 403:
        return web.Response(status=403, text="access too frequent", content_type="text/plain")
    bucket = limiter.buckets[decision.exceeded]
    window_end = now - now % bucket.window_seconds + bucket.window_seconds
    headers = {
        "X-Bapi-Limit": str(bucket.limit),
        "X-Bapi-Limit-Status": "0",
        "X-Bapi-Limit-Reset-Timestamp": str(int(window_end * 1000)),
    }
    body = _error_body(10006, "Too many visits!", int(now * 1000))
    return web.Response(text=json.dumps(body, separators=(",", ":")), content_type="application/json", headers=headers)


# --- websocket: allLiquidation on /v5/public/linear and /v5/public/inverse ------------------------------------
def _reply(conn_id: str, op: str, req_id: str, success: bool, msg: str) -> dict:
    """Linear/inverse public streams always echo req_id, empty when none was sent."""
    return {"success": success, "ret_msg": msg, "conn_id": conn_id, "req_id": req_id, "op": op}


def _liquidation_topics(ctx: SimContext, category: str) -> set[str]:
    return {f"allLiquidation.{c.symbol}" for c in contracts(ctx, ctx.clock.now(), category)}


def _liquidation_item(inverse: bool, e: flow.Liquidation) -> dict:
    """S is the side of the liquidated POSITION (Buy = a long was liquidated), unlike Binance and OKX; v is in
    contracts (coin for linear, USD for inverse); the liquidation price stands in for the bankruptcy price."""
    spec = SPECS[e.asset]
    size = str(max(1, round(e.qty * e.price))) if inverse else _on_step(max(e.qty, float(spec.qty_step)), spec.qty_step)
    price = _on_step(e.price, spec.inverse_tick if inverse else spec.linear_tick)
    return {"T": _ms(e.time), "s": e.symbol, "S": "Buy" if e.is_long else "Sell", "v": size, "p": price}


def _ws_handler(category: str):
    """One stream per category; each connection keeps its own subscriptions."""

    async def handle(ctx: SimContext, request: web.Request) -> web.WebSocketResponse:
        topics: set[str] = set()

        async def on_message(conn: Connection, text: str) -> None:
            await _on_ws_message(ctx, conn, category, topics, text)

        async def pump(conn: Connection, start: datetime, end: datetime) -> None:
            await _push_liquidations(ctx, conn, category, topics, start, end)

        return await serve(ctx, request, VENUE, on_message, pump, period=0.5)

    return handle


def _subscribe_error(valid: set[str], subscribed: set[str], args: list[str] | None) -> str | None:
    """Why a subscribe request fails, or None; the whole request fails if one topic does. Bybit's texts
    ("error:handler not found,topic:...") are informed guesses."""
    if args is None:
        return "error:args must be a list of topics"
    if not args:
        return "error:args is empty"
    for topic in args:
        if topic not in valid:
            return f"error:handler not found,topic:{topic}"
        if topic in subscribed:
            return f"error:already subscribed,topic:{topic}"
    return None


async def _on_ws_message(ctx: SimContext, conn: Connection, category: str, topics: set[str], text: str) -> None:
    """ping -> pong; subscribe / unsubscribe with Bybit's acks. Only allLiquidation.* topics are simulated."""
    cid = str(uuid.uuid5(uuid.NAMESPACE_URL, f"{WS_HOST}/{conn.id}"))  # Bybit's conn_id looks like a UUID
    try:
        message = json.loads(text)
        op, args, req_id = message.get("op", ""), message.get("args") or [], str(message.get("req_id", ""))
        args = args if isinstance(args, list) and all(isinstance(a, str) for a in args) else None
    except (ValueError, AttributeError):
        await conn.send(_reply(cid, "", "", False, f"error:unmarshal request failed, {text[:60]}"))
        return
    if op == "ping":
        await conn.send(_reply(cid, "ping", req_id, True, "pong"))
    elif op == "subscribe":
        error = _subscribe_error(_liquidation_topics(ctx, category), topics, args)
        if error is None:
            topics.update(args)
        await conn.send(_reply(cid, "subscribe", req_id, error is None, error or "subscribe"))
    elif op == "unsubscribe":
        topics.difference_update(args or [])
        await conn.send(_reply(cid, "unsubscribe", req_id, True, ""))
    else:
        await conn.send(_reply(cid, op, req_id, False, f"error:invalid op {op}"))


async def _push_liquidations(
    ctx: SimContext, conn: Connection, category: str, topics: set[str], start: datetime, end: datetime
) -> None:
    """Every 500 ms, one snapshot per subscribed symbol holding the liquidations of the interval (none: silent)."""
    symbols = {t.split(".", 1)[1] for t in topics}
    for asset in sorted({c.asset for c in contracts(ctx, end, category) if c.symbol in symbols}):
        by_symbol: dict[str, list[dict]] = {}
        for e in flow.liquidations(ctx.market, asset, start, end, venue=VENUE):
            if e.symbol in symbols:
                by_symbol.setdefault(e.symbol, []).append(_liquidation_item(category == "inverse", e))
        for symbol, items in sorted(by_symbol.items()):
            topic = f"allLiquidation.{symbol}"
            await conn.send({"topic": topic, "type": "snapshot", "ts": _ms(end), "data": items})


# --- wiring --------------------------------------------------------------------------------------------------
ROUTES = [
    Route("/v5/market/tickers", tickers, _costs("/v5/market/tickers")),
    Route("/v5/market/instruments-info", instruments_info, _costs("/v5/market/instruments-info")),
    Route("/v5/market/funding/history", funding_history, _costs("/v5/market/funding/history")),
    Route("/v5/market/open-interest", open_interest, _costs("/v5/market/open-interest")),
    Route("/v5/market/account-ratio", account_ratio, _costs("/v5/market/account-ratio")),
    Route("/v5/market/kline", kline, _costs("/v5/market/kline")),
    Route("/v5/market/historical-volatility", historical_volatility, _costs("/v5/market/historical-volatility")),
]

SIMS = [
    VenueSim(
        venue=VENUE,
        host=HOST,
        routes=ROUTES,
        make_limiter=make_limiter,
        refusal=refusal,
        symbol_error=symbol_error,
    ),
    VenueSim(
        venue=VENUE,
        host=WS_HOST,
        routes=[],
        make_limiter=lambda overrides: VenueLimiter(buckets={}),  # no REST routes on the stream host
        refusal=refusal,
        websockets=[
            WsRoute("/v5/public/linear", _ws_handler("linear")),
            WsRoute("/v5/public/inverse", _ws_handler("inverse")),
        ],
    ),
]
