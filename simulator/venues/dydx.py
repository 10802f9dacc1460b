"""The dYdX v4 indexer (comlink) as it answers: every number a string, ISO times plus block heights, newest
first with inclusive `...BeforeOrAt` cursors, hourly funding, base-coin open interest, express-validator error
lists (`{"errors": [{"value", "msg", "param", "location"}]}`), and a per-IP limit of 100 requests per 10 s.

Sources: the indexer's own code (dydxprotocol/v4-chain, indexer/services/comlink: controllers, validation
schemas, rate-limit middleware, config defaults) and the real responses recorded by nautilus_trader on
2025-12-08 (perpetual markets, historical funding, candles, trades, time, height).
"""

from __future__ import annotations

import contextvars
import hashlib
import json
import math
import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal

from aiohttp import web

from simulator import flow
from simulator.context import Route, SimContext, VenueError, VenueSim
from simulator.limits import Decision, VenueLimiter

VENUE = "dydx"
HOST = "indexer.dydx.trade"

API_LIMIT = 1000  # comlink's API_LIMIT_V4: the default and the maximum `limit`
HOUR = timedelta(hours=1)
BLOCK = timedelta(seconds=1)
# Block heights run at one block per second through a block recorded on the real chain: funding at
# 2025-12-08T16:00:00.219Z was effective at height 66622979. The real chain is a little faster (about 0.65 s a
# block); a steady second keeps heights positive back to the start of the simulated history.
ORIGIN_HEIGHT = 66_622_979
ORIGIN_TIME = datetime(2025, 12, 8, 16, 0, 0, 219000, tzinfo=UTC)

RESOLUTIONS = {"1MIN": 1, "5MINS": 5, "15MINS": 15, "30MINS": 30, "1HOUR": 60, "4HOURS": 240, "1DAY": 1440}
LIMIT_MSG = f"limit must be a positive integer that is not greater than max: {API_LIMIT}"
TICKER_MSG = "ticker must be a valid ticker (BTC-USD, etc)"
ISO_8601 = re.compile(r"^\d{4}-\d{2}-\d{2}([Tt]\d{2}:\d{2}(:\d{2}(\.\d+)?)?([Zz]|[+-]\d{2}(:?\d{2})?)?)?$")


@dataclass(frozen=True)
class MarketSpec:
    """A market's static parameters as the indexer lists them (the 2025-12-08 recording)."""

    clob_pair_id: str
    atomic_resolution: int
    tick: str
    step: str
    subticks_per_tick: int
    initial_margin: str
    maintenance_margin: str
    oi_lower_cap: str
    oi_upper_cap: str
    oracle_decimals: int  # the oracle price's exponent


MARKETS = {
    "BTC": MarketSpec("0", -10, "1", "0.0001", 100_000, "0.02", "0.012", "0", "0", 5),
    "ETH": MarketSpec("1", -9, "0.1", "0.001", 100_000, "0.02", "0.012", "0", "0", 6),
    "SOL": MarketSpec("5", -7, "0.01", "0.1", 1_000_000, "0.05", "0.03", "40000000", "100000000", 8),
}


# --- formatting -------------------------------------------------------------------------------------------
def _iso(t: datetime) -> str:
    t = t.astimezone(UTC)
    return t.strftime("%Y-%m-%dT%H:%M:%S.") + f"{t.microsecond // 1000:03d}Z"


def _dec(x: float, places: int) -> str:
    """A decimal string like Big.js's toFixed() after the indexer trims it: no trailing zeros, no exponent."""
    text = f"{x:.{places}f}"
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return "0" if text == "-0" else text


def _places(step: str) -> int:
    return max(0, -Decimal(step).as_tuple().exponent)


def _on_grid(x: float, step: str) -> str:
    """A price or size rounded to the market's tick or step size."""
    s = float(step)
    return _dec(round(x / s) * s, _places(step))


def _rate(x: float) -> str:
    """A funding rate written out in full, e.g. 0.000002375 (never 2.375e-06)."""
    return format(Decimal(repr(round(x, 12))), "f")


# --- block heights ------------------------------------------------------------------------------------------
def height_at(t: datetime) -> int:
    """The latest block produced at or before `t`."""
    return ORIGIN_HEIGHT + (t - ORIGIN_TIME) // BLOCK


def first_block_from(t: datetime) -> int:
    """The first block produced at or after `t` (the block that carries an event of time `t`)."""
    return ORIGIN_HEIGHT - ((ORIGIN_TIME - t) // BLOCK)


def block_time(height: int) -> datetime:
    return ORIGIN_TIME + (height - ORIGIN_HEIGHT) * BLOCK


# --- validation (express-validator v6 error objects) ----------------------------------------------------------
_MISSING = object()


def _field_error(value: object, msg: str, param: str, location: str) -> dict:
    """express-validator leaves `value` out when the parameter was not sent at all."""
    error = {} if value is _MISSING else {"value": value}
    error.update({"msg": msg, "param": param, "location": location})
    return error


def _js_number(raw: str) -> float | None:
    """JavaScript's unary plus, as the limit sanitizer applies it ('' is 0, garbage is NaN -> None)."""
    try:
        value = float(raw.strip() or 0)
    except ValueError:
        return None
    return None if math.isnan(value) else value


def _as_json(value: float | None) -> float | int | None:
    """How the sanitized number shows in the error: NaN and infinities are null, whole numbers integers."""
    if value is None or math.isinf(value):
        return None
    return int(value) if value == int(value) else value


def _limit(request: web.Request, errors: list[dict]) -> int:
    raw = request.query.get("limit")
    value = API_LIMIT if raw is None else _js_number(raw)
    if value is None or not 0 < value <= API_LIMIT or value != int(value):
        errors.append(_field_error(_as_json(value), LIMIT_MSG, "limit", "query"))
        return API_LIMIT
    return int(value)


def _tickers(ctx: SimContext) -> dict[str, str]:
    """ticker -> asset for the listed perpetuals."""
    return {inst.symbol: inst.params.asset for inst in ctx.market.perps(VENUE)}


def _ticker(ctx: SimContext, value: str | None, param: str, location: str, errors: list[dict]) -> str | None:
    if value is None:
        return None
    if value not in _tickers(ctx):
        errors.append(_field_error(value, TICKER_MSG, param, location))
        return None
    return value


def _height(request: web.Request, name: str, errors: list[dict]) -> int | None:
    raw = request.query.get(name)
    if raw is None:
        return None
    if not raw.isdigit():
        errors.append(_field_error(raw, f"{name} must be a non-negative integer", name, "query"))
        return None
    return int(raw)


def _instant(request: web.Request, name: str, errors: list[dict]) -> datetime | None:
    """An ISO-8601 query parameter (no custom message: express-validator's default "Invalid value")."""
    raw = request.query.get(name)
    if raw is None:
        return None
    if not ISO_8601.match(raw):
        errors.append(_field_error(raw, "Invalid value", name, "query"))
        return None
    t = datetime.fromisoformat(raw.replace("Z", "+00:00").replace("z", "+00:00"))
    return t if t.tzinfo else t.replace(tzinfo=UTC)


def _reject(errors: list[dict]) -> None:
    if errors:
        raise VenueError(400, {"errors": errors})


# --- perpetual markets ------------------------------------------------------------------------------------------
def _day_stats(ctx: SimContext, ticker: str, now: datetime) -> tuple[float, int]:
    """(USD volume, trade count) of the last 24 completed hours, from the shared candles."""
    hour = now.replace(minute=0, second=0, microsecond=0)
    day = flow.candles(ctx.market, VENUE, ticker, 60, hour - timedelta(hours=24), hour)
    return sum(c.volume * (c.open + c.close) / 2 for c in day), sum(c.trades for c in day)


def _market_row(ctx: SimContext, ticker: str, now: datetime) -> dict:
    m = ctx.market
    asset = _tickers(ctx)[ticker]
    spec = MARKETS[asset]
    oracle = m.price(asset, now)
    usd_volume, trades = _day_stats(ctx, ticker, now)
    next_rate, _ = m.current_funding(VENUE, ticker, now)
    day_start = now.replace(hour=0, minute=0, second=0, microsecond=0)
    step_places = _places(spec.step)
    return {
        "clobPairId": spec.clob_pair_id,
        "ticker": ticker,
        "status": "ACTIVE",
        "oraclePrice": _dec(oracle, spec.oracle_decimals),
        "priceChange24H": _dec(oracle - m.price(asset, now - timedelta(hours=24)), spec.oracle_decimals + 3),
        "volume24H": _dec(usd_volume, 4),
        "trades24H": trades,
        # The predicted rate of the hour under way: what the next historicalFunding record will say.
        "nextFundingRate": _rate(next_rate),
        "initialMarginFraction": spec.initial_margin,
        "maintenanceMarginFraction": spec.maintenance_margin,
        "openInterest": _dec(m.open_interest(VENUE, ticker, now), step_places),
        "atomicResolution": spec.atomic_resolution,
        "quantumConversionExponent": -9,
        "tickSize": spec.tick,
        "stepSize": spec.step,
        "stepBaseQuantums": 1_000_000,
        "subticksPerTick": spec.subticks_per_tick,
        "marketType": "CROSS",
        "openInterestLowerCap": spec.oi_lower_cap,
        "openInterestUpperCap": spec.oi_upper_cap,
        # The reference OI behind the OI caps; which instant the indexer takes is a guess (the day's start).
        "baseOpenInterest": _dec(m.open_interest(VENUE, ticker, day_start), step_places),
        "defaultFundingRate1H": "0",
    }


async def perpetual_markets(ctx: SimContext, request: web.Request) -> object:
    """GET /v4/perpetualMarkets[?ticker=|market=][&limit=]: {"markets": {ticker: {...}}}."""
    errors: list[dict] = []
    limit = _limit(request, errors)
    ticker = _ticker(ctx, request.query.get("ticker"), "ticker", "query", errors)
    market = _ticker(ctx, request.query.get("market"), "market", "query", errors)
    _reject(errors)
    if ticker and market:
        raise VenueError(400, {"errors": [{"msg": "Only one of ticker or market may be provided"}]})
    now = ctx.clock.now()
    chosen = [ticker or market] if ticker or market else list(_tickers(ctx))[:limit]
    return {"markets": {t: _market_row(ctx, t, now) for t in chosen}}


# --- historical funding ------------------------------------------------------------------------------------------
async def historical_funding(ctx: SimContext, request: web.Request) -> object:
    """GET /v4/historicalFunding/{ticker}: hourly settlements, newest first (ordered by height), at most `limit`,
    with effectiveAt <= effectiveBeforeOrAt and effectiveAtHeight <= effectiveBeforeOrAtHeight (both inclusive)."""
    errors: list[dict] = []
    limit = _limit(request, errors)
    ticker = _ticker(ctx, request.match_info["ticker"], "ticker", "params", errors)
    max_height = _height(request, "effectiveBeforeOrAtHeight", errors)
    before = _instant(request, "effectiveBeforeOrAt", errors)
    _reject(errors)
    m, now = ctx.market, ctx.clock.now()
    upper = min(now, before or now)
    if max_height is not None:
        upper = min(upper, block_time(max_height))
    # The newest settlement whose block is at or before `upper`; the first one needs an hour of premium.
    hour = upper.replace(minute=0, second=0, microsecond=0)
    if block_time(first_block_from(hour)) > upper:
        hour -= HOUR
    first = m.start + HOUR
    rows = []
    asset = _tickers(ctx)[ticker]
    while hour >= first and len(rows) < limit:
        height = first_block_from(hour)
        rows.append(
            {
                "ticker": ticker,
                "rate": _rate(m.settled_funding(VENUE, ticker, hour)),
                "price": _dec(m.price(asset, hour), MARKETS[asset].oracle_decimals),
                "effectiveAtHeight": str(height),
                "effectiveAt": _iso(block_time(height)),
            }
        )
        hour -= HOUR
    return {"historicalFunding": rows}


# --- candles -----------------------------------------------------------------------------------------------------
def _resolution(request: web.Request, errors: list[dict]) -> int | None:
    raw = request.query.get("resolution")
    if raw not in RESOLUTIONS:
        msg = f"resolution must be a valid Candle Resolution, one of {','.join(RESOLUTIONS)}"
        errors.append(_field_error(_MISSING if raw is None else raw, msg, "resolution", "query"))
        return None
    return RESOLUTIONS[raw]


def _running_candle(ctx: SimContext, ticker: str, minutes: int, opened: datetime, now: datetime) -> flow.Candle:
    """The candle still open at `now`: the shared candle cut at `now`, so nothing after `now` shows."""
    full = flow.candles(ctx.market, VENUE, ticker, minutes, opened, opened + timedelta(minutes=minutes))[0]
    share = (now - opened) / timedelta(minutes=minutes)
    close = ctx.market.mark_price(VENUE, ticker, now)
    return flow.Candle(
        opened,
        full.open,
        max(full.open, close),
        min(full.open, close),
        close,
        full.volume * share,
        full.taker_buy_volume * share,
        max(1, int(full.trades * share)),
        full.open_interest,
    )


def _candle_row(ctx: SimContext, ticker: str, resolution: str, c: flow.Candle) -> dict:
    """One candle; the order-book mids are the venue's mark at the candle's open and at its close (or now)."""
    spec = MARKETS[_tickers(ctx)[ticker]]
    half_tick = str(Decimal(spec.tick) / 2)
    closed = min(c.open_time + timedelta(minutes=RESOLUTIONS[resolution]), ctx.clock.now())
    return {
        "startedAt": _iso(c.open_time),
        "ticker": ticker,
        "resolution": resolution,
        "low": _on_grid(c.low, spec.tick),
        "high": _on_grid(c.high, spec.tick),
        "open": _on_grid(c.open, spec.tick),
        "close": _on_grid(c.close, spec.tick),
        "baseTokenVolume": _on_grid(c.volume, spec.step),
        "usdVolume": _dec(c.volume * (c.open + c.close) / 2, 4),
        "trades": c.trades,
        "startingOpenInterest": _on_grid(c.open_interest, spec.step),
        "orderbookMidPriceOpen": _on_grid(ctx.market.mark_price(VENUE, ticker, c.open_time), half_tick),
        "orderbookMidPriceClose": _on_grid(ctx.market.mark_price(VENUE, ticker, closed), half_tick),
    }


async def candles(ctx: SimContext, request: web.Request) -> object:
    """GET /v4/candles/perpetualMarkets/{ticker}?resolution=: newest first, startedAt within [fromISO, toISO],
    the candle still open included. `includeOrderbook` only matters for candles without trades, which the
    simulated market never has."""
    errors: list[dict] = []
    limit = _limit(request, errors)
    ticker = _ticker(ctx, request.match_info["ticker"], "ticker", "params", errors)
    minutes = _resolution(request, errors)
    since, until = _instant(request, "fromISO", errors), _instant(request, "toISO", errors)
    if request.query.get("includeOrderbook", "true").lower() not in ("true", "false"):
        errors.append(_field_error(request.query["includeOrderbook"], "Invalid value", "includeOrderbook", "query"))
    _reject(errors)
    m, now = ctx.market, ctx.clock.now()
    step = timedelta(minutes=minutes)
    newest = m.start + ((min(until or now, now) - m.start) // step) * step
    oldest = m.start + math.ceil(max((since or m.start) - m.start, timedelta(0)) / step) * step
    count = min(limit, (newest - oldest) // step + 1) if newest >= oldest else 0
    opens = [newest - i * step for i in range(count)]
    done = [t for t in opens if t + step <= now]
    shared = {c.open_time: c for c in flow.candles(m, VENUE, ticker, minutes, done[-1], done[0] + step)} if done else {}
    resolution = request.query["resolution"]
    rows = []
    for t in opens:
        candle = shared.get(t) if t + step <= now else _running_candle(ctx, ticker, minutes, t, now)
        if candle is not None:
            rows.append(_candle_row(ctx, ticker, resolution, candle))
    return {"candles": rows}


# --- trades --------------------------------------------------------------------------------------------------------
def _trade_type(ctx: SimContext, trade: flow.Trade) -> str:
    """LIMIT for ordinary fills; a liquidation fills as LIQUIDATED, or (about one in ten, a guess at the mix) is
    closed against a counterparty as DELEVERAGED when the insurance fund cannot absorb it."""
    if not trade.liquidation:
        return "LIMIT"
    digest = hashlib.sha256(f"{ctx.market.seed}:deleverage:{trade.trade_id}".encode()).digest()
    return "DELEVERAGED" if digest[0] < 26 else "LIQUIDATED"


def _trade_rows_for_hour(ctx: SimContext, ticker: str, hour: datetime) -> list[dict]:
    """An hour of the shared tape, stamped with the block that carried each fill. The id is the indexer's event
    id: 4 bytes of height, 4 of transaction index, 4 of event index (hex)."""
    spec = MARKETS[_tickers(ctx)[ticker]]
    rows = []
    for tr in flow.trades(ctx.market, VENUE, ticker, hour, hour + HOUR):
        height = first_block_from(tr.time)
        event = int.from_bytes(hashlib.sha256(tr.trade_id.encode()).digest()[:2], "big")
        rows.append(
            {
                "id": f"{height:08x}{2:08x}{event:08x}",
                "side": "BUY" if tr.taker_buy else "SELL",
                "size": _on_grid(max(tr.qty, float(spec.step)), spec.step),
                "price": _on_grid(tr.price, spec.tick),
                "type": _trade_type(ctx, tr),
                "createdAt": _iso(block_time(height)),
                "createdAtHeight": str(height),
            }
        )
    return rows


async def trades(ctx: SimContext, request: web.Request) -> object:
    """GET /v4/trades/perpetualMarket/{ticker}: taker fills, newest first, createdAt <= createdBeforeOrAt and
    createdAtHeight <= createdBeforeOrAtHeight (inclusive: paging by the oldest createdAt repeats that block)."""
    errors: list[dict] = []
    limit = _limit(request, errors)
    max_height = _height(request, "createdBeforeOrAtHeight", errors)
    before = _instant(request, "createdBeforeOrAt", errors)
    ticker = _ticker(ctx, request.match_info["ticker"], "ticker", "params", errors)
    _reject(errors)
    top = height_at(ctx.clock.now())
    if before is not None:
        top = min(top, height_at(before))
    if max_height is not None:
        top = min(top, max_height)
    return {"trades": _newest_trades(ctx, ticker, top, limit)}


def _newest_trades(ctx: SimContext, ticker: str, top: int, limit: int) -> list[dict]:
    """The `limit` newest fills at or below block `top`, walking back an hour of the tape at a time. A fill in
    an hour's last second lands in the next hour's first block, so one hour more is read before cutting."""
    rows: list[dict] = []
    hour = block_time(top).replace(minute=0, second=0, microsecond=0)
    filled_at = None  # the hour that completed the page
    while hour >= ctx.market.start and (filled_at is None or hour >= filled_at - HOUR):
        rows += [r for r in _trade_rows_for_hour(ctx, ticker, hour) if int(r["createdAtHeight"]) <= top]
        if filled_at is None and len(rows) >= limit:
            filled_at = hour
        hour -= HOUR
    rows.sort(key=lambda r: (int(r["createdAtHeight"]), r["id"]), reverse=True)
    return rows[:limit]


# --- time and height -------------------------------------------------------------------------------------------------
async def server_time(ctx: SimContext, request: web.Request) -> object:
    now = ctx.clock.now()
    return {"iso": _iso(now), "epoch": round(now.timestamp(), 3)}


async def block_height(ctx: SimContext, request: web.Request) -> object:
    height = height_at(ctx.clock.now())
    return {"height": str(height), "time": _iso(block_time(height))}


# --- rate limit -----------------------------------------------------------------------------------------------------
@dataclass
class FirstHitWindow:
    """rate-limiter-flexible's fixed window: it opens at the first request after the last one closed (not on a
    clock boundary). Same interface as limits.Bucket."""

    name: str
    limit: int
    window_seconds: float
    _window_start: float = 0.0
    _used: float = 0.0

    def _roll(self, now: float) -> None:
        if now >= self._window_start + self.window_seconds:
            self._window_start, self._used = now, 0.0

    def would_exceed(self, now: float, cost: float) -> bool:
        self._roll(now)
        return self._used + cost > self.limit

    def spend(self, now: float, cost: float) -> float:
        self._roll(now)
        self._used += cost
        return self._used

    def used(self, now: float) -> float:
        self._roll(now)
        return self._used

    def ms_to_reset(self, now: float) -> int:
        self._roll(now)
        return max(1, int((self._window_start + self.window_seconds - now) * 1000))

    def seconds_to_reset(self, now: float) -> int:
        return max(1, math.ceil(self.ms_to_reset(now) / 1000))


def make_limiter(overrides: dict) -> VenueLimiter:
    """`overrides["dydx"]`: limit (points, default 100) per window_s (default 10), comlink's RATE_LIMIT_GET_*
    defaults. The indexer has no ban: it keeps answering 429 until the window ends."""
    o = overrides.get(VENUE, {})
    bucket = FirstHitWindow("requests", int(o.get("limit", 100)), float(o.get("window_s", 10)))
    return VenueLimiter(buckets={"requests": bucket}, ban_after_strikes=10**9)


def usage_headers(limiter: VenueLimiter, now: float) -> dict[str, str]:
    """comlink sets these on every rate-limited route; RateLimit-Reset is an epoch in milliseconds."""
    bucket = limiter.buckets["requests"]
    return {
        "RateLimit-Remaining": str(max(0, int(bucket.limit - limiter.used(now, "requests")))),
        "RateLimit-Reset": str(int(now * 1000) + bucket.ms_to_reset(now)),
        "RateLimit-Limit": str(bucket.limit),
    }


def refusal(decision: Decision, limiter: VenueLimiter, now: float) -> web.Response:
    """429 {"errors": [{"msg": "Too many requests"}]}. comlink puts rate-limiter-flexible's msBeforeNext in
    Retry-After, so the header counts MILLISECONDS, not the seconds HTTP specifies: a real quirk."""
    bucket = limiter.buckets["requests"]
    headers = {**usage_headers(limiter, now), "Retry-After": str(bucket.ms_to_reset(now))}
    body = {"errors": [{"msg": "Too many requests"}]}
    return web.Response(status=429, text=json.dumps(body), content_type="application/json", headers=headers)


# The ticker the request being answered asked for. The `delisted` fault answers before any handler runs, and the
# cost function is the one hook that sees the request first, so it records the ticker for `symbol_error`.
_ASKED: contextvars.ContextVar[tuple[str | None, str, str]] = contextvars.ContextVar(
    "dydx_asked", default=(None, "ticker", "params")
)


def _one_point(request: web.Request) -> dict[str, float]:
    """Every request costs one point (comlink charges more only for deep `page` offsets, not simulated)."""
    if "ticker" in request.match_info:
        _ASKED.set((request.match_info["ticker"], "ticker", "params"))
    else:
        param = "market" if "market" in request.query else "ticker"
        _ASKED.set((request.query.get(param), param, "query"))
    return {"requests": 1}


def symbol_error() -> tuple[int, object]:
    """An unknown (or delisted) ticker fails the ticker validator: 400, not the 404 NotFoundError body."""
    value, param, location = _ASKED.get()
    return 400, {"errors": [_field_error(_MISSING if value is None else value, TICKER_MSG, param, location)]}


SIMS = [
    VenueSim(
        venue=VENUE,
        host=HOST,
        routes=[
            Route("/v4/perpetualMarkets", perpetual_markets, _one_point),
            Route("/v4/historicalFunding/{ticker}", historical_funding, _one_point),
            Route("/v4/candles/perpetualMarkets/{ticker}", candles, _one_point),
            Route("/v4/trades/perpetualMarket/{ticker}", trades, _one_point),
            Route("/v4/time", server_time, _one_point),
            Route("/v4/height", block_height, _one_point),
        ],
        make_limiter=make_limiter,
        refusal=refusal,
        usage_headers=usage_headers,
        symbol_error=symbol_error,
    )
]
