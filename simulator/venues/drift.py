"""The Drift Data API (data.api.drift.trade) as it answers for perpetual markets.

Two generations of routes, with different units for the same funding record:
- legacy `/fundingRates?marketName=SOL-PERP` (or `marketIndex=0`): `{"fundingRates": [...]}`, last 30 days,
  every number an integer string in protocol precision (fundingRate quote/base x 1e9, TWAPs x 1e6),
  `ts` a string of unix seconds (docs: drift-labs/v2-teacher `_data_api.md`);
- `/market/{symbol}/fundingRates` (20 a page, newest first, 31 days, DynamoDB cursor in `meta.nextPage`),
  `/market/{symbol}/fundingRates/{year}/{month}/{day}` and `/market/{symbol}/candles/{resolution}`:
  `{"success": true, "records": [...]}` with decimal strings already divided by their precision and
  `ts` an integer (the Data API's own route tests and a recorded body of the same backend).
`/stats/markets` is `{"success": true, "markets": [...]}` with perp and spot rows: prices as decimal
strings, `openInterest` as `{long, short}` in base units (short negative), `fundingRate` as `{long, short}`
in percent per hour from each side's point of view (longs pay: long negative). This follows recorded
bodies; the flat shape in reference/exchange_api.md section 8 (volume24h, fundingRate24hAvg) is not what
the service sends. `/contracts` answers 404: the route was reported gone in 2026.

Funding settles hourly, lazily: a keeper's transaction lands seconds to a minute after the hour.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from functools import lru_cache

import numpy as np
from aiohttp import web

from simulator import flow
from simulator.context import Route, SimContext, VenueError, VenueSim
from simulator.limits import Bucket, Decision, VenueLimiter
from simulator.venues.gmx import index_ohlc

VENUE = "drift"
HOST = "data.api.drift.trade"
HOUR = timedelta(hours=1)

PERP_INDEX = {"SOL-PERP": 0, "BTC-PERP": 1, "ETH-PERP": 2}  # Drift's own market indexes
# Per asset: minimum order size (base) and maximum leverage, as /stats/markets lists them.
PERP_LIMITS = {"SOL": (0.01, 20), "BTC": (0.0001, 20), "ETH": (0.001, 20)}
FEES = {"maker": -0.000025, "taker": 0.00035}

LEGACY_DAYS, PAGED_DAYS = 30, 31
PAGE_DEFAULT, PAGE_MAX = 20, 1000
CANDLE_DEFAULT, CANDLE_MAX = 100, 1000
# Candle resolutions in minutes; "M" is the calendar month. Buckets align to multiples of the
# resolution since the epoch (informed guess: weeks therefore start on Thursdays).
RESOLUTIONS = {"1": 1, "5": 5, "15": 15, "60": 60, "240": 240, "D": 1440, "W": 10080, "M": None}

# recordId counts hourly settlements since Drift v2 went live; slots advance about every 0.42 s.
GENESIS = datetime(2022, 11, 4, tzinfo=UTC)
SLOT_ANCHOR, SLOT_AT_ANCHOR, SLOT_SECONDS = datetime(2024, 1, 1, tzinfo=UTC), 239_000_000, 0.42

UNKNOWN_MARKET = {"error": "ValidationError", "message": "Invalid market"}
_B58 = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"


# --- errors ---------------------------------------------------------------------------------------
def _schema_error(message: str) -> VenueError:
    """The Data API is a Fastify service: schema violations get Fastify's default 400 body."""
    return VenueError(
        400, {"statusCode": 400, "code": "FST_ERR_VALIDATION", "error": "Bad Request", "message": message}
    )


def _validation_error(message: str) -> VenueError:
    """Checks written in the route handlers answer {"error": "ValidationError", "message": ...}."""
    return VenueError(400, {"error": "ValidationError", "message": message})


def _unknown_market() -> VenueError:
    # Informed guess: no recording shows an unknown market; we answer like the handlers' own checks.
    return VenueError(400, UNKNOWN_MARKET)


def _int_query(request: web.Request, name: str, default: int, lo: int, hi: int) -> int:
    raw = request.query.get(name)
    if raw is None:
        return default
    if not raw.lstrip("-").isdigit():
        raise _schema_error(f"querystring/{name} must be integer")
    value = int(raw)
    if value < lo:
        raise _schema_error(f"querystring/{name} must be >= {lo}")
    if value > hi:
        raise _schema_error(f"querystring/{name} must be <= {hi}")
    return value


def _path_symbol(request: web.Request) -> str:
    symbol = request.match_info["symbol"]
    if symbol not in PERP_INDEX:
        raise _unknown_market()
    return symbol


# --- identifiers ----------------------------------------------------------------------------------
def _base58(data: bytes) -> str:
    n, out = int.from_bytes(data, "big"), ""
    while n:
        n, r = divmod(n, 58)
        out = _B58[r] + out
    return "1" * (len(data) - len(data.lstrip(b"\0"))) + out


def _tx_sig(seed: int, symbol: str, ts: int) -> str:
    """A Solana transaction signature (64 bytes, base58), stable for the same settlement."""
    return _base58(hashlib.sha512(f"{seed}:drift:funding:{symbol}:{ts}".encode()).digest())


def _slot(ts: int) -> int:
    return SLOT_AT_ANCHOR + int((ts - SLOT_ANCHOR.timestamp()) / SLOT_SECONDS)


def _settle_delay(seed: int, symbol: str, hour: datetime) -> int:
    """Seconds after the hour at which the keeper's funding update lands (1 to 60)."""
    digest = hashlib.sha256(f"{seed}:drift:settle:{symbol}:{hour.isoformat()}".encode()).digest()
    return 1 + digest[0] % 60


# --- the shared market, seen hourly ---------------------------------------------------------------
@dataclass(frozen=True)
class FundingTable:
    """Every hourly settlement of one perp over the whole simulated history, computed once: the
    cumulative funding fields are running sums from the first hour, so they need all earlier hours."""

    first: datetime  # settlement hour of index 0
    rate: np.ndarray  # the market's hourly funding fraction
    oracle_twap: np.ndarray  # oracle (index) price averaged over the hour before settlement
    mark_twap: np.ndarray
    quote_rate: np.ndarray  # Drift's fundingRate: quote per base per hour = rate x oracle TWAP
    cumulative: np.ndarray


@lru_cache(maxsize=16)
def funding_table(market, symbol: str) -> FundingTable:
    asset = market.perp(VENUE, symbol).params.asset
    n = market.hours - 2
    first = market.start + HOUR
    _, logs = market.log_prices_5m(asset, market.start, market.start + n * HOUR)
    sums = np.concatenate(([0.0], np.cumsum(np.exp(logs))))
    k = np.arange(n)
    oracle = (sums[12 * k + 13] - sums[12 * k]) / 13  # the 13 grid points of each hour, both ends included
    premium = np.array([market.premium(VENUE, symbol, first + (i - 0.5) * HOUR) for i in range(n)])
    rate = np.array([market.settled_funding(VENUE, symbol, first + i * HOUR) for i in range(n)])
    quote_rate = rate * oracle
    return FundingTable(first, rate, oracle, oracle * (1 + premium), quote_rate, np.cumsum(quote_rate))


def _sides(market, symbol: str, t: datetime) -> tuple[float, float]:
    """Long and short open interest in base units. The crowd's long share comes from the market's
    account share; the larger side equals the market's open interest (Drift's own /contracts reported
    max(long, |short|) as the open interest)."""
    asset = market.perp(VENUE, symbol).params.asset
    oi = market.open_interest(VENUE, symbol, t)
    share = market.long_account_share("binance", asset, t)
    top = max(share, 1 - share)
    return oi * share / top, oi * (1 - share) / top


@dataclass(frozen=True)
class Settlement:
    symbol: str
    hour: datetime
    ts: int
    tx_sig: str
    rate: float
    quote_rate: float
    oracle_twap: float
    mark_twap: float
    cumulative: float
    base_with_amm: float  # net user position the AMM stands against (base units)

    @property
    def slot(self) -> int:
        return _slot(self.ts)

    @property
    def record_id(self) -> str:
        return str(int((self.hour - GENESIS) / HOUR))

    @property
    def period_revenue(self) -> float:
        """What the AMM collects: it is short the users' net long, and longs pay when the rate is positive."""
        return self.quote_rate * self.base_with_amm


def _settlement(market, table: FundingTable, symbol: str, i: int) -> Settlement:
    hour = table.first + i * HOUR
    ts = int(hour.timestamp()) + _settle_delay(market.seed, symbol, hour)
    long_oi, short_oi = _sides(market, symbol, hour)
    return Settlement(
        symbol,
        hour,
        ts,
        _tx_sig(market.seed, symbol, ts),
        float(table.rate[i]),
        float(table.quote_rate[i]),
        float(table.oracle_twap[i]),
        float(table.mark_twap[i]),
        float(table.cumulative[i]),
        long_oi - short_oi,
    )


def settlements(ctx: SimContext, symbol: str, start: datetime, end: datetime) -> list[Settlement]:
    """Settlements stamped in [start, end) and not after the clock, oldest first."""
    table = funding_table(ctx.market, symbol)
    now_s = ctx.clock.now().timestamp()
    lo = max(0, int((start - table.first) / HOUR) - 1)
    hi = min(len(table.rate), int((end - table.first) / HOUR) + 1)
    out = []
    for i in range(lo, hi):
        s = _settlement(ctx.market, table, symbol, i)
        if start.timestamp() <= s.ts < end.timestamp() and s.ts <= now_s:
            out.append(s)
    return out


# --- record formats -------------------------------------------------------------------------------
def _legacy_record(s: Settlement) -> dict:
    """The legacy route sends protocol integers as strings: x1e9 for funding and base amounts, x1e6 for
    prices and quote amounts. Longs and shorts pay the same rate (no capped side in our market)."""
    rate = str(round(s.quote_rate * 1e9))
    return {
        "txSig": s.tx_sig,
        "slot": s.slot,
        "ts": str(s.ts),
        "recordId": s.record_id,
        "marketIndex": PERP_INDEX[s.symbol],
        "fundingRate": rate,
        "fundingRateLong": rate,
        "fundingRateShort": rate,
        "cumulativeFundingRateLong": str(round(s.cumulative * 1e9)),
        "cumulativeFundingRateShort": str(round(s.cumulative * 1e9)),
        "oraclePriceTwap": str(round(s.oracle_twap * 1e6)),
        "markPriceTwap": str(round(s.mark_twap * 1e6)),
        "periodRevenue": str(round(s.period_revenue * 1e6)),
        "baseAssetAmountWithAmm": str(round(s.base_with_amm * 1e9)),
        "baseAssetAmountWithUnsettledLp": "0",
    }


def _record(s: Settlement) -> dict:
    """The newer routes send the same record with each precision already applied, as decimal strings."""
    rate = f"{s.quote_rate:.9f}"
    return {
        "ts": s.ts,
        "txSig": s.tx_sig,
        "txSigIndex": 0,
        "slot": s.slot,
        "recordId": s.record_id,
        "marketIndex": PERP_INDEX[s.symbol],
        "symbol": s.symbol,
        "fundingRate": rate,
        "fundingRateLong": rate,
        "fundingRateShort": rate,
        "cumulativeFundingRateLong": f"{s.cumulative:.9f}",
        "cumulativeFundingRateShort": f"{s.cumulative:.9f}",
        "oraclePriceTwap": f"{s.oracle_twap:.6f}",
        "markPriceTwap": f"{s.mark_twap:.6f}",
        "periodRevenue": f"{s.period_revenue:.6f}",
        "baseAssetAmountWithAmm": f"{s.base_with_amm:.9f}",
        "baseAssetAmountWithUnsettledLp": "0.000000000",
    }


# --- funding routes -------------------------------------------------------------------------------
def _legacy_symbol(request: web.Request) -> str:
    name, index = request.query.get("marketName"), request.query.get("marketIndex")
    if name is None and index is None:
        raise _validation_error("marketName or marketIndex is required")
    if name is None:
        by_index = {str(i): s for s, i in PERP_INDEX.items()}
        name = by_index.get(index or "")
    if name not in PERP_INDEX:
        raise _unknown_market()
    return name


async def legacy_funding_rates(ctx: SimContext, request: web.Request) -> object:
    symbol = _legacy_symbol(request)
    now = ctx.clock.now()
    # Informed guess: oldest first, as the documented examples read the last element as the latest.
    return {
        "fundingRates": [_legacy_record(s) for s in settlements(ctx, symbol, now - timedelta(days=LEGACY_DAYS), now)]
    }


def _page_token(s: Settlement) -> str:
    """DynamoDB's LastEvaluatedKey of the page, base64 JSON, as the real cursor is."""
    sort_key = f"FUNDING_RATE#TS#{s.ts}#SLOT#{s.slot}#SIG#{s.tx_sig}#INDEX#00000"
    key = {"pk": f"MARKET#{s.symbol}", "sk": sort_key}
    return base64.b64encode(json.dumps(key, separators=(",", ":")).encode()).decode()


def _page_before(request: web.Request, symbol: str) -> int | None:
    """The ts the next page must stay below, from the `page` cursor (None on the first page)."""
    token = request.query.get("page")
    if token is None:
        return None
    try:
        key = json.loads(base64.b64decode(token, validate=True))
        if key["pk"] != f"MARKET#{symbol}":
            raise ValueError(key["pk"])
        return int(key["sk"].split("#")[2])
    except (binascii.Error, ValueError, KeyError, IndexError, TypeError) as exc:
        raise _validation_error("Invalid page token") from exc


async def market_funding_rates(ctx: SimContext, request: web.Request) -> object:
    symbol = _path_symbol(request)
    limit = _int_query(request, "limit", PAGE_DEFAULT, 1, PAGE_MAX)
    before = _page_before(request, symbol)
    now = ctx.clock.now()
    window = settlements(ctx, symbol, now - timedelta(days=PAGED_DAYS), now)
    page = [s for s in reversed(window) if before is None or s.ts < before][:limit]
    # Like DynamoDB, a full page always carries a cursor, even when nothing older is left: the next
    # call then answers an empty page with nextPage null.
    next_page = _page_token(page[-1]) if len(page) == limit else None
    return {"success": True, "records": [_record(s) for s in page], "meta": {"nextPage": next_page}}


def _path_day(request: web.Request) -> date:
    parts = {name: request.match_info[name] for name in ("year", "month", "day")}
    for name, raw in parts.items():
        if not raw.isdigit():
            raise _schema_error(f"params/{name} must be integer")
    year, month, day = (int(parts[n]) for n in ("year", "month", "day"))
    if not 1 <= month <= 12:
        raise _schema_error("params/month must be <= 12" if month > 12 else "params/month must be >= 1")
    try:
        return date(year, month, day)
    except ValueError as exc:
        raise _schema_error("params/day must be a valid day of the month") from exc


async def market_funding_rates_day(ctx: SimContext, request: web.Request) -> object:
    """One UTC day from the archive: oldest first, one page (24 hourly records at most)."""
    symbol = _path_symbol(request)
    day = _path_day(request)
    page = _int_query(request, "page", 1, 1, 1_000_000)
    start = datetime(day.year, day.month, day.day, tzinfo=UTC)
    day_rows = settlements(ctx, symbol, start, start + timedelta(days=1))
    rows = day_rows if page == 1 else []
    meta = {
        "records": len(rows),
        "totalRecords": len(day_rows),
        "currentPage": page,
        "totalPages": 1 if day_rows else 0,
        "nextPage": None,
    }
    return {"success": True, "records": [_record(s) for s in rows], "meta": meta}


# --- candles --------------------------------------------------------------------------------------
def _ts_query(request: web.Request, name: str) -> int | None:
    raw = request.query.get(name)
    if raw is None:
        return None
    if not raw.isdigit():
        raise _schema_error(f"querystring/{name} must be integer")
    return int(raw)


def _bucket_start(resolution: str, t: datetime) -> datetime:
    if resolution == "M":
        return t.replace(day=1, hour=0, minute=0, second=0, microsecond=0)
    step = RESOLUTIONS[resolution] * 60
    return datetime.fromtimestamp(int(t.timestamp()) // step * step, tz=UTC)


def _bucket_end(resolution: str, start: datetime) -> datetime:
    if resolution == "M":
        return (start + timedelta(days=32)).replace(day=1)
    return start + timedelta(minutes=RESOLUTIONS[resolution])


def _previous_bucket(resolution: str, start: datetime) -> datetime:
    return _bucket_start(resolution, start - timedelta(seconds=1))


def _candle(ctx: SimContext, symbol: str, start: datetime, end: datetime) -> dict:
    """Fills from the venue's traded candles (flow.py), oracle prices from the index; months are
    built from their daily candles."""
    m = ctx.market
    minutes = int((end - start).total_seconds() // 60)
    parts = flow.candles(m, VENUE, symbol, minutes if minutes <= RESOLUTIONS["W"] else 1440, start, end)
    oracle = index_ohlc(m, m.perp(VENUE, symbol).params.asset, start, end)
    return {
        "ts": int(start.timestamp()),
        "fillOpen": round(parts[0].open, 6),
        "fillHigh": round(max(p.high for p in parts), 6),
        "fillClose": round(parts[-1].close, 6),
        "fillLow": round(min(p.low for p in parts), 6),
        "oracleOpen": round(oracle[0], 6),
        "oracleHigh": round(oracle[1], 6),
        "oracleClose": round(oracle[3], 6),
        "oracleLow": round(oracle[2], 6),
        "quoteVolume": round(sum(p.volume * (p.open + p.close) / 2 for p in parts), 6),
        "baseVolume": round(sum(p.volume for p in parts), 9),
    }


async def market_candles(ctx: SimContext, request: web.Request) -> object:
    """Closed candles, newest first. Quirk: `startTs` is the newer bound and `endTs` the older one
    (the service pages backwards), and a startTs not after endTs is refused."""
    symbol = _path_symbol(request)
    resolution = request.match_info["resolution"]
    if resolution not in RESOLUTIONS:
        raise _schema_error("params/resolution must be equal to one of the allowed values")
    limit = _int_query(request, "limit", CANDLE_DEFAULT, 1, CANDLE_MAX)
    start_ts, end_ts = _ts_query(request, "startTs"), _ts_query(request, "endTs")
    if start_ts is not None and end_ts is not None and start_ts <= end_ts:
        raise _validation_error("Start timestamp must be after end timestamp")
    m, now = ctx.market, ctx.clock.now()
    newest = now if start_ts is None else min(now, datetime.fromtimestamp(start_ts, tz=UTC))
    oldest = m.start if end_ts is None else max(m.start, datetime.fromtimestamp(end_ts, tz=UTC))
    open_at = _bucket_start(resolution, newest)
    records = []
    while len(records) < limit and open_at >= oldest:
        close_at = _bucket_end(resolution, open_at)
        if close_at <= now:  # informed guess: the forming candle is left out
            records.append(_candle(ctx, symbol, open_at, close_at))
        open_at = _previous_bucket(resolution, open_at)
    return {"success": True, "records": records}


# --- market stats ---------------------------------------------------------------------------------
def _num(x: float, places: int) -> str:
    return f"{x:.{places}f}"


def _trimmed(x: float, places: int = 4) -> str:
    """Open interest as recorded: as many decimals as needed, no trailing zeros."""
    text = f"{x:.{places}f}".rstrip("0").rstrip(".")
    return "0" if text in ("", "-0") else text


def _day_stats(ctx: SimContext, symbol: str, now: datetime) -> dict:
    """24-hour volume, last fill and high/low, from the venue's flow over the last 24 closed hours."""
    m = ctx.market
    asset = m.perp(VENUE, symbol).params.asset
    hour = now.replace(minute=0, second=0, microsecond=0)
    hourly = flow.candles(m, VENUE, symbol, 60, hour - timedelta(hours=24), hour)
    recent = flow.trades(m, VENUE, symbol, hour - HOUR, hour)
    last = recent[-1].price if recent else hourly[-1].close
    before = m.mark_price(VENUE, symbol, now - timedelta(hours=24))
    oracle = index_ohlc(m, asset, now - timedelta(hours=24), now)
    return {
        "baseVolume": _num(sum(c.volume for c in hourly), 6),
        "quoteVolume": _num(sum(c.volume * (c.open + c.close) / 2 for c in hourly), 6),
        "price": _num(last, 6),
        "priceChange24h": _num(last - before, 6),
        "priceChange24hPercent": _num((last / before - 1) * 100, 2),
        "priceHigh": {"oracle": _num(oracle[1], 6), "fill": _num(max(c.high for c in hourly), 6)},
        "priceLow": {"oracle": _num(oracle[2], 6), "fill": _num(min(c.low for c in hourly), 6)},
    }


def _perp_row(ctx: SimContext, symbol: str, now: datetime) -> dict:
    """One perp, its keys in the order the service sends them."""
    m = ctx.market
    asset = m.perp(VENUE, symbol).params.asset
    rate, _ = m.current_funding(VENUE, symbol, now)
    long_oi, short_oi = _sides(m, symbol, now)
    settled = settlements(ctx, symbol, now - timedelta(hours=24), now)
    stats = _day_stats(ctx, symbol, now)
    min_size, max_leverage = PERP_LIMITS[asset]
    return {
        "symbol": symbol,
        "marketIndex": PERP_INDEX[symbol],
        "marketType": "perp",
        "uiStatus": "visible",
        "baseAsset": asset,
        "quoteAsset": "USDC",
        "status": "active",
        "precision": 9,
        "limits": {
            "leverage": {"min": 1, "max": max_leverage},
            "amount": {"min": min_size, "max": round(max(long_oi, short_oi) * 0.05, 4)},
        },
        "fees": dict(FEES),
        "oraclePrice": _num(m.price(asset, now), 6),
        "markPrice": _num(m.mark_price(VENUE, symbol, now), 6),
        "baseVolume": stats.pop("baseVolume"),
        "quoteVolume": stats.pop("quoteVolume"),
        "openInterest": {"long": _trimmed(long_oi), "short": _trimmed(-short_oi)},
        # Percent per hour from each side's point of view: a positive rate means longs pay.
        "fundingRate": {"long": _num(-rate * 100, 6), "short": _num(rate * 100, 6)},
        # The mean hourly rate of the last 24 settlements, in percent, positive when longs paid.
        "fundingRate24h": _num(np.mean([s.rate for s in settled]) * 100 if settled else rate * 100, 6),
        "fundingRateUpdateTs": settled[-1].ts if settled else int(now.timestamp()),
        **stats,
    }


def _spot_row(symbol: str, index: int, precision: int, oracle: float, deposits: float, borrows: float) -> dict:
    """Spot markets share the listing; collectors must filter on marketType."""
    zero = {"oracle": "0.000000", "fill": "0.000000"}
    return {
        "symbol": symbol,
        "marketIndex": index,
        "marketType": "spot",
        "status": "active",
        "precision": precision,
        "limits": {"withdraw": {"max": round(deposits * 0.002)}, "deposit": {"max": round(deposits * 1.5)}},
        "oraclePrice": _num(oracle, 6),
        "baseVolume": "0",
        "quoteVolume": "0",
        "deposits": str(round(deposits)),
        "borrows": str(round(borrows)),
        "price": "",
        "priceChange24h": "",
        "priceChange24hPercent": "",
        "priceHigh": dict(zero),
        "priceLow": dict(zero),
    }


def _spot_rows(ctx: SimContext, now: datetime) -> list[dict]:
    """USDC collateral and SOL deposits, sized from the perps' open interest (collateral follows it)."""
    m = ctx.market
    oi_usd = sum(m.open_interest(VENUE, s, now) * m.price(m.perp(VENUE, s).params.asset, now) for s in PERP_INDEX)
    sol_deposits = m.open_interest(VENUE, "SOL-PERP", now) * 0.4
    return [
        _spot_row("USDC", 0, 6, 1.0, oi_usd * 0.6, oi_usd * 0.21),
        _spot_row("SOL", 1, 9, m.price("SOL", now), sol_deposits, sol_deposits * 0.1),
    ]


async def stats_markets(ctx: SimContext, request: web.Request) -> object:
    now = ctx.clock.now()
    rows = _spot_rows(ctx, now) + [_perp_row(ctx, s, now) for s in PERP_INDEX]
    rows.sort(key=lambda r: (r["marketIndex"], r["marketType"] == "perp"))
    return {"success": True, "markets": rows}


async def contracts(ctx: SimContext, request: web.Request) -> object:
    """Gone: Fastify's default not-found answer."""
    raise VenueError(404, {"message": "Route GET:/contracts not found", "error": "Not Found", "statusCode": 404})


# --- limits ---------------------------------------------------------------------------------------
def make_limiter(overrides: dict) -> VenueLimiter:
    """Drift documents "a certain number of requests per minute" and asks for exponential backoff. We
    allow 100 a minute per IP. A client that keeps calling through its 429s (5 in a row by default) is
    refused for a further `ban_seconds` whatever the window says: backing off is the only way out."""
    o = overrides.get(VENUE, {})
    return VenueLimiter(
        buckets={"requests": Bucket("requests", int(o.get("requests_limit", 100)), float(o.get("window_s", 60)))},
        ban_after_strikes=int(o.get("ban_after_strikes", 5)),
        ban_seconds=int(o.get("ban_seconds", 60)),
    )


def refusal(decision: Decision, limiter: VenueLimiter, now: float) -> web.Response:
    """Informed guess from the API Gateway style of its 403 answers ({"message": "Forbidden"}): the same
    body for every refusal, no Retry-After, so clients must back off on their own."""
    return web.Response(
        status=429,
        text=json.dumps({"message": "Too Many Requests"}),
        content_type="application/json",
        headers={"x-amzn-ErrorType": "TooManyRequestsException"},
    )


def _one_request(request: web.Request) -> dict[str, float]:
    return {"requests": 1}


SIM = VenueSim(
    venue=VENUE,
    host=HOST,
    routes=[
        Route("/stats/markets", stats_markets, _one_request),
        Route("/fundingRates", legacy_funding_rates, _one_request),
        Route("/market/{symbol}/fundingRates", market_funding_rates, _one_request),
        Route("/market/{symbol}/fundingRates/{year}/{month}/{day}", market_funding_rates_day, _one_request),
        Route("/market/{symbol}/candles/{resolution}", market_candles, _one_request),
        Route("/contracts", contracts, _one_request),
    ],
    make_limiter=make_limiter,
    refusal=refusal,
    symbol_error=lambda: (400, UNKNOWN_MARKET),
)

SIMS = [SIM]
