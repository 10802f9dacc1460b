"""BitMEX v1 as BitMEX sends it: plain JSON numbers, ISO-8601 times, `count`/`start`/`reverse` paging that
starts at the OLDEST record unless `reverse=true`, inverse XBTUSD (1 USD per contract, values in satoshi XBt)
and quanto ETHUSD/SOLUSD (a fixed satoshi multiplier per USD of price), quarterly XBT futures, `.B...` indices,
a token-bucket limit of 30 requests/min (unauthenticated) with `x-ratelimit-*` headers, and the `liquidation`
table on the realtime websocket (order side: Sell = a long was liquidated).

Real recordings this follows: cryptofeed `instrument/active` (2021), nautilus_trader `http_get_instrument_xbtusd`
(2024), `http_get_trades`, `http_get_trade_bins`, `ws_funding_rate`, and a public capture of the liquidation
stream (welcome, per-topic ack, `partial`, then insert/update/delete per resting liquidation order).
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import json
import math
import uuid
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from aiohttp import WSMsgType, web

from simulator import catalog, flow
from simulator.calibration import INTEREST_RATE_8H
from simulator.context import Route, SimContext, VenueError, VenueSim, WsRoute
from simulator.limits import Decision, VenueLimiter
from simulator.ws import Connection

VENUE = "bitmex"
HOST = "www.bitmex.com"
WS_HOST = "ws.bitmex.com"
API = "/api/v1"

HOUR = timedelta(hours=1)
FUNDING_INTERVAL = timedelta(hours=8)
FUNDING_INTERVAL_TEXT = "2000-01-01T08:00:00.000Z"  # BitMEX writes intervals as an offset from 2000-01-01
FUNDING_HOURS = (4, 12, 20)  # BitMEX settles funding at 04:00, 12:00 and 20:00 UTC
# The interest legs BitMEX publishes (2024 recording: 0.03 % and 0.06 %): (quote - base) / 3 is the market's
# interest rate per 8 h.
FUNDING_BASE_RATE = 0.0003
FUNDING_QUOTE_RATE = round(FUNDING_BASE_RATE + 3 * INTEREST_RATE_8H, 6)
RESTING = timedelta(seconds=5)  # how long a liquidation order rests on the book before it fills
SAT = 100_000_000
MONTH_CODES = "FGHJKMNQUVXZ"


@dataclass(frozen=True)
class Spec:
    """Static contract facts. XBT is inverse (multiplier -1e8: 1 USD per contract); ETH and SOL are quantos whose
    contract is worth `multiplier` satoshi per 1 USD of price, whatever the XBT price."""

    root: str
    index: str
    tick: float
    lot: int
    multiplier: int
    quanto: bool
    listing: str
    init_margin: float
    maint_margin: float


SPECS = {
    "BTC": Spec("XBT", ".BXBT", 0.1, 100, -SAT, False, "2016-05-13T12:00:00.000Z", 0.01, 0.005),
    "ETH": Spec("ETH", ".BETH", 0.05, 1, 100, True, "2018-08-01T12:00:00.000Z", 0.02, 0.01),
    # SOLUSD's multiplier and listing date are informed guesses (BitMEX's 2021 SOLUSDT quanto used 1,000 sat).
    "SOL": Spec("SOL", ".BSOL", 0.01, 1, 1000, True, "2022-05-11T12:00:00.000Z", 0.03, 0.015),
}
FUTURE_SPEC = Spec("XBT", ".BXBT30M", 0.5, 100, -SAT, False, "", 0.02, 0.01)
# Dated XBT futures hold a small share of XBTUSD's open interest (the market has no futures OI of its own).
FUTURE_OI_SHARE = (0.12, 0.05)


# --- formatting -------------------------------------------------------------------------------------
def _iso(t: datetime) -> str:
    t = t.astimezone(UTC)
    return t.strftime("%Y-%m-%dT%H:%M:%S.") + f"{t.microsecond // 1000:03d}Z"


def _num(x: float, step: float | None = None) -> int | float:
    """A JSON number as BitMEX's JavaScript writes it: rounded to `step`, integral values without '.0'."""
    if step:
        x = round(x / step) * step
    x = round(x, 10)
    return int(x) if x.is_integer() else x


def _err(message: str) -> VenueError:
    """A 400 in BitMEX's error envelope (restAPIMessages: {"error": {"message", "name"}})."""
    return VenueError(400, {"error": {"message": message, "name": "HTTPError"}})


def _digest(*parts: object) -> bytes:
    return hashlib.sha256(":".join(map(str, parts)).encode()).digest()


def _hash_uuid(*parts: object) -> str:
    """A stable UUID (orderID, trdMatchID) for the same event whenever it is served."""
    return str(uuid.UUID(bytes=_digest(*parts)[:16]))


def _unit(*parts: object) -> float:
    """A stable number in [0, 1) for per-record detail the market does not model."""
    return int.from_bytes(_digest(*parts)[:8], "big") / 2**64


# --- units ------------------------------------------------------------------------------------------
def _coin_per_contract(spec: Spec, price: float, btc_price: float) -> float:
    """Base coin behind one contract: 1 USD for the inverse, `multiplier` sat x XBTUSD for a quanto."""
    if spec.quanto:
        return spec.multiplier / SAT * btc_price
    return 1.0 / price


def _contracts(spec: Spec, coin: float, price: float, btc_price: float) -> float:
    return coin / _coin_per_contract(spec, price, btc_price)


def _lots(spec: Spec, contracts: float) -> int:
    """An order size: whole lots, at least one."""
    return max(spec.lot, int(round(contracts / spec.lot)) * spec.lot)


def _value_sat(spec: Spec, contracts: float, price: float) -> int:
    """Contract value in satoshi (BitMEX's openValue, grossValue, turnover)."""
    if spec.quanto:
        return int(round(contracts * spec.multiplier * price))
    return int(round(contracts / price * SAT))


def _notionals(spec: Spec, contracts: float, price: float, btc_price: float) -> tuple[float, float]:
    """(homeNotional, foreignNotional): base coin and USD."""
    coin = contracts * _coin_per_contract(spec, price, btc_price)
    return round(coin, 8), round(coin * price, 4)


# --- query parameters ---------------------------------------------------------------------------------
@dataclass(frozen=True)
class Query:
    """The parameters every BitMEX table endpoint shares."""

    symbol: str | None
    filter: dict
    columns: list[str] | None
    count: int
    start: int
    reverse: bool
    start_time: datetime | None
    end_time: datetime | None


def _int(raw: str | None, default: int, name: str, lo: int, hi: int) -> int:
    if raw is None or raw == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise _err(f"{name} is invalid") from None
    if not lo <= value <= hi:
        raise _err(f"{name} is invalid")
    return value


def _time(raw: str | None, name: str) -> datetime | None:
    """ISO-8601 (a date alone is midnight UTC); the message is BitMEX's (restAPIMessages)."""
    if not raw:
        return None
    try:
        t = datetime.fromisoformat(raw.replace("Z", "+00:00"))
    except ValueError:
        raise _err(f"{name} is invalid") from None
    return t if t.tzinfo else t.replace(tzinfo=UTC)


def _json_param(raw: str | None, message: str, kind: type):
    """`filter` (a JSON object) or `columns` (a JSON array); `message` is BitMEX's answer when it is neither."""
    if not raw:
        return None
    try:
        value = json.loads(raw)
    except ValueError:
        value = None
    if kind is list and value is None:
        value = [c.strip() for c in raw.split(",") if c.strip()]  # a plain comma list is accepted too
    if not isinstance(value, kind):
        raise _err(message)
    return value


def _query(request: web.Request, max_count: int, columns: tuple[str, ...]) -> Query:
    """Parse and validate; count above the route's maximum is refused like BitMEX (the message is a guess from
    BitMEX's list of GET errors: "count is invalid")."""
    q = request.query
    filt = _json_param(q.get("filter"), "filter values are not valid", dict) or {}
    if any(k not in columns for k in filt):
        raise _err("filter columns are not valid")
    cols = _json_param(q.get("columns"), "columns are not valid", list)
    if cols is not None and any(c not in columns for c in cols):
        raise _err("columns are not valid")
    start_time, end_time = _time(q.get("startTime"), "startTime"), _time(q.get("endTime"), "endTime")
    return Query(
        symbol=q.get("symbol") or None,
        filter=filt,
        columns=cols,
        count=_int(q.get("count"), 100, "count", 1, max_count),
        start=_int(q.get("start"), 0, "start", 0, 10**9),
        reverse=q.get("reverse", "").lower() in ("true", "1"),
        start_time=start_time,
        end_time=end_time,
    )


def _matches(row: dict, filt: dict) -> bool:
    """BitMEX `filter`: every key equals the value, or is one of a list of values."""
    for key, wanted in filt.items():
        value = row.get(key)
        if value not in (wanted if isinstance(wanted, list) else [wanted]):
            return False
    return True


def _page(rows: Iterable[dict], q: Query, keys: tuple[str, ...]) -> list[dict]:
    """Filter, skip `start`, take `count`; `columns` trims rows but BitMEX always keeps the table's keys."""
    out: list[dict] = []
    skipped = 0
    for row in rows:
        if not _matches(row, q.filter):
            continue
        if skipped < q.start:
            skipped += 1
            continue
        if q.columns is not None:
            row = {k: v for k, v in row.items() if k in keys or k in q.columns}
        out.append(row)
        if len(out) >= q.count:
            break
    return out


def _window(ctx: SimContext, q: Query, earliest: datetime) -> tuple[datetime, datetime]:
    """[lo, hi] for a history table: both bounds inclusive (an informed guess), never past the clock."""
    lo = max(q.start_time or earliest, earliest)
    hi = min(q.end_time or ctx.clock.now(), ctx.clock.now())
    return lo, hi


# --- instruments ----------------------------------------------------------------------------------------
def _perp_symbols(ctx: SimContext) -> list[str]:
    return [inst.symbol for inst in ctx.market.perps(VENUE)]


def _futures(now: datetime) -> list[tuple[str, datetime]]:
    """The two listed XBT quarterlies, e.g. XBTZ26 and XBTH27. Expiry dates come from the catalog; BitMEX expires
    them at 12:00 UTC (recordings), four hours after the catalog's 08:00."""
    out = []
    for expiry in catalog.future_expiries(now - timedelta(hours=4)):
        expiry = expiry.replace(hour=12)
        if expiry > now and len(out) < 2:
            out.append((f"XBT{MONTH_CODES[expiry.month - 1]}{expiry.year % 100:02d}", expiry))
    return out


def _next_funding(now: datetime) -> datetime:
    t = now.replace(minute=0, second=0, microsecond=0) + HOUR
    while t.hour not in FUNDING_HOURS:
        t += HOUR
    return t


def _funding_rate(ctx: SimContext, symbol: str, settle_at: datetime) -> float:
    """The rate paid at `settle_at`. BitMEX fixes it one interval ahead, from the premium of the interval before
    the last, so the instrument's `fundingRate` is known (and equal to the later history record) all period."""
    return ctx.market.settled_funding(VENUE, symbol, settle_at - FUNDING_INTERVAL)


@dataclass(frozen=True)
class Activity:
    """24 h trading statistics from the shared candles (completed hours) plus the running hour."""

    volume_coin: float
    usd: float
    high: float
    low: float
    session_coin: float


def _activity(ctx: SimContext, symbol: str, now: datetime) -> Activity:
    hour = now.replace(minute=0, second=0, microsecond=0)
    day = flow.candles(ctx.market, VENUE, symbol, 60, hour - timedelta(hours=24), hour)
    running = flow.candles(ctx.market, VENUE, symbol, 60, hour, hour + HOUR)
    elapsed = (now - hour) / HOUR
    return Activity(
        volume_coin=sum(c.volume for c in day),
        usd=sum(c.volume * (c.open + c.close) / 2 for c in day),
        high=max(c.high for c in day),
        low=min(c.low for c in day),
        session_coin=running[0].volume * elapsed if running else 0.0,
    )


def _last_trade(ctx: SimContext, symbol: str, now: datetime) -> tuple[float, str]:
    """(lastPrice, lastTickDirection) from the shared trade tape of the last hour."""
    tape = flow.trades(ctx.market, VENUE, symbol, now - HOUR, now)
    if not tape:
        return ctx.market.mark_price(VENUE, symbol, now), "ZeroPlusTick"
    prev = tape[-2].price if len(tape) > 1 else ctx.market.mark_price(VENUE, symbol, now - HOUR)
    return tape[-1].price, "PlusTick" if tape[-1].price >= prev else "MinusTick"


def _quotes(spec: Spec, mark: float) -> dict:
    """Best bid/ask a few basis points around the mark; impact prices a little wider."""
    half = max(spec.tick, mark * 0.00003)
    return {
        "bidPrice": _num(mark - half, spec.tick),
        "midPrice": _num(mark, spec.tick / 2),
        "askPrice": _num(mark + half, spec.tick),
        "impactBidPrice": _num(mark - 1.3 * half, spec.tick / 10),
        "impactMidPrice": _num(mark, spec.tick / 2),
        "impactAskPrice": _num(mark + 1.3 * half, spec.tick / 10),
    }


def _trading_fields(spec: Spec, activity: Activity, btc: float, index: float, days_listed: float) -> dict:
    """Volume and turnover fields in contracts, satoshi, coin and USD (BitMEX sends all four)."""
    vwap = activity.usd / max(activity.volume_coin, 1e-12)
    volume24h = int(_contracts(spec, activity.volume_coin, vwap, btc))
    volume = int(_contracts(spec, activity.session_coin, index, btc))
    # Lifetime totals are not in the market: an estimate from today's volume, so they at least grow with time.
    total = int(volume24h * max(days_listed, 1.0))
    turnover24h = _value_sat(spec, volume24h, vwap)
    return {
        "prevTotalVolume": total - volume,
        "totalVolume": total,
        "volume": volume,
        "volume24h": volume24h,
        "prevTotalTurnover": _value_sat(spec, total - volume, vwap),
        "totalTurnover": _value_sat(spec, total, vwap),
        "turnover": _value_sat(spec, volume, index),
        "turnover24h": turnover24h,
        "homeNotional24h": round(activity.volume_coin, 8),
        "foreignNotional24h": round(activity.usd, 4),
        "vwap": _num(vwap, spec.tick / 10),
        "highPrice": _num(activity.high, spec.tick),
        "lowPrice": _num(activity.low, spec.tick),
    }


def _fair_basis(fair: float, index: float, spec: Spec) -> int | float:
    """fairPrice - indicativeSettlePrice, from the rounded values as BitMEX shows them."""
    step = spec.tick / 10
    return _num(_num(fair, step) - _num(index, step), step)


def _contract_head(symbol: str, spec: Spec, typ: str, listing: str, front: str) -> dict:
    """The identifying columns that open every contract row."""
    return {
        "symbol": symbol,
        "rootSymbol": spec.root,
        "state": "Open",
        "typ": typ,
        "listing": listing,
        "front": front,
    }


def _contract_spec(spec: Spec) -> dict:
    """The contract terms: units (inverse or quanto), sizes, margins and fees."""
    return {
        "positionCurrency": "" if spec.quanto else "USD",
        "underlying": spec.root,
        "quoteCurrency": "USD",
        "underlyingSymbol": f"{spec.root}=",
        "reference": "BMEX",
        "referenceSymbol": spec.index,
        "maxOrderQty": 10_000_000,
        "maxPrice": 1_000_000,
        "lotSize": spec.lot,
        "tickSize": spec.tick,
        "multiplier": spec.multiplier,
        "settlCurrency": "XBt",
        "underlyingToSettleMultiplier": None if spec.quanto else -SAT,
        "isQuanto": spec.quanto,
        "isInverse": not spec.quanto,
        "initMargin": spec.init_margin,
        "maintMargin": spec.maint_margin,
        "riskLimit": 20_000_000_000,
        "riskStep": 15_000_000_000,
        "taxed": True,
        "deleverage": True,
        "makerFee": 0.0005,
        "takerFee": 0.0005,
    }


def _instrument_row(ctx: SimContext, symbol: str, now: datetime) -> dict:
    """One perpetual (typ FFWCSX) in the 2024 column set; numbers from the shared market at `now`."""
    m = ctx.market
    inst = m.perp(VENUE, symbol)
    asset = inst.params.asset
    spec = SPECS[asset]
    index, btc = m.price(asset, now), m.price("BTC", now)
    mark = m.mark_price(VENUE, symbol, now)
    settle = _next_funding(now)
    rate = round(_funding_rate(ctx, symbol, settle), 6)
    last, direction = _last_trade(ctx, symbol, now)
    prev24 = m.mark_price(VENUE, symbol, now - timedelta(hours=24))
    oi = int(round(_contracts(spec, m.open_interest(VENUE, symbol, now), mark, btc)))
    listed = datetime.fromisoformat(spec.listing.replace("Z", "+00:00"))
    daily_close = now.replace(hour=12, minute=0, second=0, microsecond=0)
    if daily_close > now:
        daily_close -= timedelta(days=1)
    row = _contract_head(symbol, spec, "FFWCSX", spec.listing, spec.listing)
    row.update(_contract_spec(spec))
    row.update(
        {
            "settlementFee": 0,
            "fundingBaseSymbol": f".{spec.root}BON8H",
            "fundingQuoteSymbol": ".USDBON8H",
            "fundingPremiumSymbol": f".{spec.root}USDPI8H",
            "fundingTimestamp": _iso(settle),
            "fundingInterval": FUNDING_INTERVAL_TEXT,
            "fundingRate": rate,
            "indicativeFundingRate": round(m.settled_funding(VENUE, symbol, now), 6),
            "prevClosePrice": _num(m.mark_price(VENUE, symbol, daily_close), spec.tick / 10),
            "limitDownPrice": None,
            "limitUpPrice": None,
        }
    )
    row.update(_trading_fields(spec, _activity(ctx, symbol, now), btc, index, (now - listed) / timedelta(days=1)))
    row.update(
        {
            "prevPrice24h": _num(prev24, spec.tick),
            "lastPrice": _num(last, spec.tick),
            "lastPriceProtected": _num(last, spec.tick / 10),
            "lastTickDirection": direction,
            "lastChangePcnt": round(last / prev24 - 1, 4),
        }
    )
    row.update(_quotes(spec, mark))
    row.update(
        {
            "hasLiquidity": True,
            "openInterest": oi,
            "openValue": _value_sat(spec, oi, mark),
            "fairMethod": "FundingRate",
            # BitMEX annualises the perp's basis from the funding rate: three settlements a day.
            "fairBasisRate": round(rate * 3 * 365, 6),
            "fairBasis": _fair_basis(mark, index, spec),
            "fairPrice": _num(mark, spec.tick / 10),
            "markMethod": "FairPrice",
            "markPrice": _num(mark, spec.tick / 10),
            "indicativeSettlePrice": _num(index, spec.tick / 10),
            "instantPnl": True,
            "timestamp": _iso(now),
            "minTick": spec.tick / 10,
            "fundingBaseRate": FUNDING_BASE_RATE,
            "fundingQuoteRate": FUNDING_QUOTE_RATE,
            "capped": False,
        }
    )
    return row


def _months_before(t: datetime, months: int) -> datetime:
    year, month = divmod(t.year * 12 + t.month - 1 - months, 12)
    return catalog.last_friday(year, month + 1)


def _future_row(ctx: SimContext, symbol: str, expiry: datetime, rank: int, now: datetime) -> dict:
    """An XBT quarterly (typ FFCCSX): priced from the shared spot and annual basis; OI a share of XBTUSD's."""
    m = ctx.market
    spec = FUTURE_SPEC
    index = m.price("BTC", now)
    fair = m.future_price("BTC", expiry, now)
    years = (expiry - now) / timedelta(days=365)
    perp_oi_coin = m.open_interest(VENUE, "XBTUSD", now)
    oi = int(round(perp_oi_coin * FUTURE_OI_SHARE[rank] * fair))
    listing = _months_before(expiry, 6).replace(hour=12)
    front = _months_before(expiry, 1).replace(hour=12)
    activity = _activity(ctx, "XBTUSD", now)
    share = FUTURE_OI_SHARE[rank] * 0.5  # dated futures trade less than their OI share of the perp
    scaled = Activity(
        activity.volume_coin * share,
        activity.usd * share * fair / index,
        activity.high * fair / index,
        activity.low * fair / index,
        activity.session_coin * share,
    )
    prev24 = m.future_price("BTC", expiry, now - timedelta(hours=24))
    row = _contract_head(symbol, spec, "FFCCSX", _iso(listing), _iso(front))
    row.update({"expiry": _iso(expiry), "settle": _iso(expiry)})
    row.update(_contract_spec(spec))
    row.update(
        {
            "settlementFee": 0,
            "fundingBaseSymbol": "",
            "fundingQuoteSymbol": "",
            "fundingPremiumSymbol": "",
            "fundingTimestamp": None,
            "fundingInterval": None,
            "fundingRate": None,
            "indicativeFundingRate": None,
            "prevClosePrice": _num(prev24, spec.tick / 10),
            "limitDownPrice": None,
            "limitUpPrice": None,
        }
    )
    row.update(_trading_fields(spec, scaled, index, index, (now - listing) / timedelta(days=1)))
    row.update(
        {
            "prevPrice24h": _num(prev24, spec.tick),
            "lastPrice": _num(fair, spec.tick),
            "lastPriceProtected": _num(fair, spec.tick),
            "lastTickDirection": "PlusTick" if fair >= prev24 else "MinusTick",
            "lastChangePcnt": round(fair / prev24 - 1, 4),
        }
    )
    row.update(_quotes(spec, fair))
    row.update(
        {
            "hasLiquidity": True,
            "openInterest": oi,
            "openValue": _value_sat(spec, oi, fair),
            "fairMethod": "ImpactMidPrice",
            "fairBasisRate": round((fair / index - 1) / max(years, 1e-9), 6),
            "fairBasis": _fair_basis(fair, index, spec),
            "fairPrice": _num(fair, spec.tick / 10),
            "markMethod": "FairPrice",
            "markPrice": _num(fair, spec.tick / 10),
            "indicativeSettlePrice": _num(index, spec.tick / 10),
            "instantPnl": True,
            "timestamp": _iso(now),
            "minTick": spec.tick / 10,
            "fundingBaseRate": None,
            "fundingQuoteRate": None,
            "capped": False,
            # Dated contracts also carry their hourly trading session (2026 futures recording).
            "openingTimestamp": _iso(now.replace(minute=0, second=0, microsecond=0)),
            "closingTimestamp": _iso(now.replace(minute=0, second=0, microsecond=0) + HOUR),
        }
    )
    return row


def _index_row(ctx: SimContext, asset: str, now: datetime) -> dict:
    """A `.B...` composite index (typ MRCXXX): `lastPrice` is the index value. Indices carry few of the contract
    columns; the set below is an informed guess (BitMEX publishes them every second)."""
    spec = SPECS[asset]
    stamp = now.replace(microsecond=0)
    price = ctx.market.price(asset, stamp)
    prev = ctx.market.price(asset, stamp - timedelta(hours=24))
    return {
        "symbol": spec.index,
        "rootSymbol": spec.root,
        "state": "Unlisted",
        "typ": "MRCXXX",
        "positionCurrency": "",
        "underlying": spec.root,
        "quoteCurrency": "USD",
        "underlyingSymbol": spec.index,
        "reference": "BMEX",
        "referenceSymbol": spec.index,
        "publishInterval": "2000-01-01T00:00:01.000Z",
        "tickSize": 0.01,
        "isQuanto": False,
        "isInverse": False,
        "taxed": False,
        "deleverage": False,
        "prevPrice24h": _num(prev, 0.01),
        "lastPrice": _num(price, 0.01),
        "lastChangePcnt": round(price / prev - 1, 4),
        "markMethod": "LastPrice",
        "markPrice": _num(price, 0.01),
        "hasLiquidity": False,
        "timestamp": _iso(stamp),
        "capped": False,
    }


def _active_rows(ctx: SimContext, now: datetime) -> list[dict]:
    rows = [_instrument_row(ctx, s, now) for s in _perp_symbols(ctx)]
    rows += [_future_row(ctx, s, e, i, now) for i, (s, e) in enumerate(_futures(now))]
    return rows


def _index_rows(ctx: SimContext, now: datetime) -> list[dict]:
    return [_index_row(ctx, asset, now) for asset in catalog.ASSETS]


def _symbol_filter(symbol: str | None):
    """`symbol` is an exact symbol, a root (`XBT`: every XBT instrument) or a series (`XBT:perpetual`,
    `XBT:quarterly`); an unknown symbol simply matches nothing (BitMEX answers [] rather than an error)."""
    if symbol is None:
        return lambda row: True
    root, _, series = symbol.partition(":")
    typ = {"perpetual": "FFWCSX", "quarterly": "FFCCSX"}.get(series)
    if series and typ is None:
        return lambda row: False
    if series or root in {spec.root for spec in SPECS.values()}:
        return lambda row: row["rootSymbol"] == root and (typ is None or row["typ"] == typ)
    return lambda row: row["symbol"] == symbol


def _symbols_for(ctx: SimContext, symbol: str | None) -> list[str]:
    """The perpetuals a `symbol` parameter selects (funding, trades and buckets exist for perps only)."""
    wanted = _symbol_filter(symbol)
    return [
        s for s in _perp_symbols(ctx) if wanted({"symbol": s, "rootSymbol": _spec_of(ctx, s).root, "typ": "FFWCSX"})
    ]


def _spec_of(ctx: SimContext, symbol: str) -> Spec:
    return SPECS[ctx.market.perp(VENUE, symbol).params.asset]


INSTRUMENT_COLUMNS = (
    "symbol", "rootSymbol", "state", "typ", "listing", "front", "expiry", "settle", "positionCurrency",
    "underlying", "quoteCurrency", "underlyingSymbol", "reference", "referenceSymbol", "publishInterval",
    "maxOrderQty", "maxPrice", "lotSize", "tickSize", "multiplier", "settlCurrency", "underlyingToSettleMultiplier",
    "isQuanto", "isInverse", "initMargin", "maintMargin", "riskLimit", "riskStep", "taxed", "deleverage",
    "makerFee", "takerFee", "settlementFee", "fundingBaseSymbol", "fundingQuoteSymbol", "fundingPremiumSymbol",
    "fundingTimestamp", "fundingInterval", "fundingRate", "indicativeFundingRate", "prevClosePrice",
    "limitDownPrice", "limitUpPrice", "prevTotalVolume", "totalVolume", "volume", "volume24h", "prevTotalTurnover",
    "totalTurnover", "turnover", "turnover24h", "homeNotional24h", "foreignNotional24h", "prevPrice24h", "vwap",
    "highPrice", "lowPrice", "lastPrice", "lastPriceProtected", "lastTickDirection", "lastChangePcnt", "bidPrice",
    "midPrice", "askPrice", "impactBidPrice", "impactMidPrice", "impactAskPrice", "hasLiquidity", "openInterest",
    "openValue", "fairMethod", "fairBasisRate", "fairBasis", "fairPrice", "markMethod", "markPrice",
    "indicativeSettlePrice", "instantPnl", "timestamp", "minTick", "fundingBaseRate", "fundingQuoteRate", "capped",
    "openingTimestamp", "closingTimestamp",
)  # fmt: skip


async def instrument(ctx: SimContext, request: web.Request) -> object:
    """GET /instrument: every instrument (perps, futures, indices); `startTime`/`endTime` apply to `timestamp`."""
    q = _query(request, 500, INSTRUMENT_COLUMNS)
    now = ctx.clock.now()
    wanted = _symbol_filter(q.symbol)
    rows = [r for r in _active_rows(ctx, now) + _index_rows(ctx, now) if wanted(r)]
    if q.start_time is not None or q.end_time is not None:
        lo, hi = q.start_time or datetime.min.replace(tzinfo=UTC), q.end_time or datetime.max.replace(tzinfo=UTC)
        rows = [r for r in rows if lo <= datetime.fromisoformat(r["timestamp"].replace("Z", "+00:00")) <= hi]
    return _page(reversed(rows) if q.reverse else rows, q, ("symbol",))


async def instrument_active(ctx: SimContext, request: web.Request) -> object:
    """GET /instrument/active: open perps and futures (no parameters)."""
    return _active_rows(ctx, ctx.clock.now())


async def instrument_active_and_indices(ctx: SimContext, request: web.Request) -> object:
    now = ctx.clock.now()
    return _active_rows(ctx, now) + _index_rows(ctx, now)


async def instrument_indices(ctx: SimContext, request: web.Request) -> object:
    return _index_rows(ctx, ctx.clock.now())


# --- funding history ----------------------------------------------------------------------------------------
FUNDING_COLUMNS = ("timestamp", "symbol", "fundingInterval", "fundingRate", "fundingRateDaily")


def _funding_slots(ctx: SimContext, lo: datetime, hi: datetime) -> list[datetime]:
    """Settlement instants in [lo, hi]; the first one needs two intervals of premium history."""
    first = _next_funding(max(lo, ctx.market.start + 2 * FUNDING_INTERVAL) - timedelta(microseconds=1))
    slots = []
    t = first
    while t <= hi:
        slots.append(t)
        t += FUNDING_INTERVAL
    return slots


def _funding_rows(ctx: SimContext, symbols: list[str], slots: list[datetime], reverse: bool) -> Iterator[dict]:
    """Rows in (timestamp, symbol) order, or its reverse; generated lazily so a page costs only its rows."""
    for t in reversed(slots) if reverse else slots:
        for sym in reversed(symbols) if reverse else symbols:
            rate = round(_funding_rate(ctx, sym, t), 6)
            yield {
                "timestamp": _iso(t),
                "symbol": sym,
                "fundingInterval": FUNDING_INTERVAL_TEXT,
                "fundingRate": rate,
                "fundingRateDaily": round(rate * 3, 6),
            }


async def funding(ctx: SimContext, request: web.Request) -> object:
    """GET /funding: settled funding, oldest first unless `reverse=true`."""
    q = _query(request, 500, FUNDING_COLUMNS)
    lo, hi = _window(ctx, q, ctx.market.start)
    rows = _funding_rows(ctx, _symbols_for(ctx, q.symbol), _funding_slots(ctx, lo, hi), q.reverse)
    return _page(rows, q, ("timestamp", "symbol"))


# --- liquidations -------------------------------------------------------------------------------------------
LIQUIDATION_COLUMNS = ("orderID", "symbol", "side", "price", "leavesQty")


def _liquidations(ctx: SimContext, start: datetime, end: datetime) -> list[flow.Liquidation]:
    events = [e for a in catalog.ASSETS for e in flow.liquidations(ctx.market, a, start, end, venue=VENUE)]
    return sorted(events, key=lambda e: (e.time, e.event_id))


def _liquidation_row(ctx: SimContext, liq: flow.Liquidation) -> dict:
    """A liquidation order: `side` is the ORDER side (a liquidated long sells), `leavesQty` in contracts."""
    spec = SPECS[liq.asset]
    btc = ctx.market.price("BTC", liq.time)
    return {
        "orderID": _hash_uuid(ctx.market.seed, "liq", liq.asset, liq.event_id),
        "symbol": liq.symbol,
        "side": "Sell" if liq.is_long else "Buy",
        "price": _num(liq.price, spec.tick),
        "leavesQty": _lots(spec, _contracts(spec, liq.qty, liq.price, btc)),
    }


def _resting(ctx: SimContext, now: datetime) -> list[dict]:
    """Liquidation orders still on the book: those placed in the last few seconds (usually none)."""
    return [_liquidation_row(ctx, e) for e in _liquidations(ctx, now - RESTING, now)]


async def liquidation(ctx: SimContext, request: web.Request) -> object:
    """GET /liquidation: only orders resting unfilled right now, so usually []; the stream has the full feed."""
    q = _query(request, 500, LIQUIDATION_COLUMNS)
    symbols = set(_symbols_for(ctx, q.symbol))
    rows = [r for r in _resting(ctx, ctx.clock.now()) if r["symbol"] in symbols]
    return _page(reversed(rows) if q.reverse else rows, q, ("orderID",))


# --- trades and buckets ----------------------------------------------------------------------------------------
TRADE_COLUMNS = (
    "timestamp",
    "symbol",
    "side",
    "size",
    "price",
    "tickDirection",
    "trdMatchID",
    "grossValue",
    "homeNotional",
    "foreignNotional",
    "trdType",
)


def _trade_rows_for_hour(ctx: SimContext, symbol: str, hour: datetime) -> list[dict]:
    """One hour of the shared trade tape in BitMEX's shape, ascending. Tick directions compare with the previous
    trade; the hour's first trade compares with the mark at the hour's start, so a page never depends on paging."""
    m = ctx.market
    spec = _spec_of(ctx, symbol)
    prev = m.mark_price(VENUE, symbol, hour)
    rows = []
    for tr in flow.trades(m, VENUE, symbol, hour, hour + HOUR):
        btc = m.price("BTC", tr.time)
        size = _lots(spec, _contracts(spec, tr.qty, tr.price, btc))
        price = _num(tr.price, spec.tick)
        home, foreign = _notionals(spec, size, price, btc)
        rows.append(
            {
                "timestamp": _iso(tr.time),
                "symbol": symbol,
                "side": "Buy" if tr.taker_buy else "Sell",
                "size": size,
                "price": price,
                "tickDirection": ("Plus" if price > prev else "ZeroPlus" if price == prev else "Minus") + "Tick",
                "trdMatchID": _hash_uuid(m.seed, VENUE, symbol, tr.trade_id),
                "grossValue": _value_sat(spec, size, price),
                "homeNotional": home,
                # BitMEX's public trades carry no liquidation flag: liquidations are orders on the book.
                "foreignNotional": foreign,
                "trdType": "Regular",
            }
        )
        prev = price
    return rows


def _hours(lo: datetime, hi: datetime, reverse: bool) -> Iterator[datetime]:
    first, last = lo.replace(minute=0, second=0, microsecond=0), hi.replace(minute=0, second=0, microsecond=0)
    count = int((last - first) / HOUR) + 1
    for i in reversed(range(count)) if reverse else range(count):
        yield first + i * HOUR


def _trade_rows(ctx: SimContext, symbols: list[str], lo: datetime, hi: datetime, reverse: bool) -> Iterator[dict]:
    """Trades with lo <= timestamp <= hi, hour by hour in the requested direction."""
    for hour in _hours(lo, hi, reverse):
        rows = [r for s in symbols for r in _trade_rows_for_hour(ctx, s, hour)]
        rows = [r for r in rows if _iso(lo) <= r["timestamp"] <= _iso(hi)]
        rows.sort(key=lambda r: (r["timestamp"], r["symbol"]), reverse=reverse)
        yield from rows


async def trade(ctx: SimContext, request: web.Request) -> object:
    """GET /trade: the perps' public trades (count up to 1000), oldest first unless `reverse=true`."""
    q = _query(request, 1000, TRADE_COLUMNS)
    lo, hi = _window(ctx, q, ctx.market.start)
    if hi < lo:
        return []
    return _page(_trade_rows(ctx, _symbols_for(ctx, q.symbol), lo, hi, q.reverse), q, ("timestamp", "symbol"))


BIN_MINUTES = {"1m": 1, "5m": 5, "1h": 60, "1d": 1440}
BUCKET_COLUMNS = (
    "timestamp",
    "symbol",
    "open",
    "high",
    "low",
    "close",
    "trades",
    "volume",
    "vwap",
    "lastSize",
    "turnover",
    "homeNotional",
    "foreignNotional",
)


def _bucket_row(ctx: SimContext, symbol: str, candle: flow.Candle, close: datetime) -> dict:
    """A trade bin stamped with its CLOSE time (BitMEX's quirk: the 10:31 1m bin covers 10:30-10:31)."""
    spec = _spec_of(ctx, symbol)
    btc = ctx.market.price("BTC", close)
    vwap = (candle.high + candle.low + candle.close) / 3
    volume = int(round(_contracts(spec, candle.volume, vwap, btc)))
    home, foreign = _notionals(spec, volume, vwap, btc)
    last_size = _lots(spec, volume / max(candle.trades, 1) * (0.5 + _unit(ctx.market.seed, symbol, close)))
    return {
        "timestamp": _iso(close),
        "symbol": symbol,
        "open": _num(candle.open, spec.tick),
        "high": _num(candle.high, spec.tick),
        "low": _num(candle.low, spec.tick),
        "close": _num(candle.close, spec.tick),
        "trades": candle.trades,
        "volume": volume,
        "vwap": _num(vwap, spec.tick / 10),
        "lastSize": last_size,
        "turnover": _value_sat(spec, volume, vwap),
        "homeNotional": home,
        "foreignNotional": foreign,
    }


def _running_candle(ctx: SimContext, symbol: str, minutes: int, opened: datetime, now: datetime) -> flow.Candle:
    """The bin still open at `now` (partial=true): the shared candle cut at `now`, so nothing after `now` shows."""
    full = flow.candles(ctx.market, VENUE, symbol, minutes, opened, opened + timedelta(minutes=minutes))[0]
    share = (now - opened) / timedelta(minutes=minutes)
    close = ctx.market.mark_price(VENUE, symbol, now)
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


def _bucket_rows(ctx: SimContext, symbols: list[str], minutes: int, closes: list[datetime], now: datetime):
    """Bins closing at `closes` (in the order given), computed 100 at a time so a small page stays cheap."""
    step = timedelta(minutes=minutes)
    for i in range(0, len(closes), 100):
        chunk = closes[i : i + 100]
        done = [c for c in chunk if c <= now]
        candles = {
            sym: {c.open_time: c for c in flow.candles(ctx.market, VENUE, sym, minutes, min(done) - step, max(done))}
            for sym in (symbols if done else [])
        }
        for close in chunk:
            for sym in symbols:
                if close > now:
                    yield _bucket_row(ctx, sym, _running_candle(ctx, sym, minutes, close - step, now), close)
                elif close - step in candles[sym]:
                    yield _bucket_row(ctx, sym, candles[sym][close - step], close)


def _bin_closes(ctx: SimContext, q: Query, minutes: int, partial: bool) -> list[datetime]:
    """Close times of the bins in the window, in the requested order; `partial` adds the bin still open."""
    step = timedelta(minutes=minutes)
    now = ctx.clock.now()
    origin = ctx.market.start
    lo = max(q.start_time or origin, origin + step)
    hi = min(q.end_time or now, now)
    first = origin + math.ceil((lo - origin) / step) * step
    last = origin + math.floor((hi - origin) / step) * step
    closes = [first + i * step for i in range(int((last - first) / step) + 1)] if last >= first else []
    running = last + step
    if partial and running > now and (q.end_time is None or q.end_time >= now):
        closes.append(running)
    return closes[::-1] if q.reverse else closes


async def trade_bucketed(ctx: SimContext, request: web.Request) -> object:
    """GET /trade/bucketed: OHLCV bins (binSize 1m, 5m, 1h, 1d) from the shared candles, oldest first by default."""
    bin_size = request.query.get("binSize")
    if bin_size not in BIN_MINUTES:
        raise _err("binSize is invalid")  # informed guess at the message
    q = _query(request, 1000, BUCKET_COLUMNS)
    minutes = BIN_MINUTES[bin_size]
    partial = request.query.get("partial", "").lower() in ("true", "1")
    closes = _bin_closes(ctx, q, minutes, partial)
    rows = _bucket_rows(ctx, _symbols_for(ctx, q.symbol), minutes, closes, ctx.clock.now())
    return _page(rows, q, ("timestamp", "symbol"))


# --- rate limit: a token bucket ------------------------------------------------------------------------------
@dataclass
class TokenBucket:
    """BitMEX's limiter: `limit` tokens, refilled continuously at `limit` per `window_seconds` (30/min for
    unauthenticated clients). Same interface as limits.Bucket; `_used` is tokens spent and `_window_start` the
    last refill time (VenueLimiter.reset zeroes both, which means a full bucket)."""

    name: str
    limit: int
    window_seconds: float
    _window_start: float = 0.0
    _used: float = 0.0

    @property
    def rate(self) -> float:
        return self.limit / self.window_seconds

    def _refill(self, now: float) -> None:
        self._used = max(0.0, self._used - max(0.0, now - self._window_start) * self.rate)
        self._window_start = now

    def would_exceed(self, now: float, cost: float) -> bool:
        self._refill(now)
        return self._used + cost > self.limit

    def spend(self, now: float, cost: float) -> float:
        self._refill(now)
        self._used += cost
        return self._used

    def used(self, now: float) -> float:
        self._refill(now)
        return self._used

    def seconds_to_reset(self, now: float) -> int:
        """Seconds until one more request fits (BitMEX's "retry in N seconds")."""
        self._refill(now)
        return max(1, math.ceil((self._used - (self.limit - 1)) / self.rate))

    def seconds_to_full(self, now: float) -> float:
        self._refill(now)
        return self._used / self.rate


def make_limiter(overrides: dict) -> VenueLimiter:
    """`overrides["bitmex"]`: limit (tokens), window_s (seconds to refill them all), ban_after_strikes,
    ban_seconds (BitMEX bans an IP for an hour when it keeps going through 429s)."""
    o = overrides.get(VENUE, {})
    bucket = TokenBucket("requests", int(o.get("limit", 30)), float(o.get("window_s", 60)))
    return VenueLimiter(
        buckets={"requests": bucket},
        ban_after_strikes=int(o.get("ban_after_strikes", 30)),
        ban_seconds=int(o.get("ban_seconds", 3600)),
    )


def usage_headers(limiter: VenueLimiter, now: float) -> dict[str, str]:
    """On every answer: the bucket size, tokens left, and when it will be full again (epoch seconds)."""
    bucket = limiter.buckets["requests"]
    used = limiter.used(now, "requests")
    return {
        "x-ratelimit-limit": str(bucket.limit),
        "x-ratelimit-remaining": str(max(0, int(bucket.limit - used))),
        "x-ratelimit-reset": str(math.ceil(now + bucket.seconds_to_full(now))),
    }


def refusal(decision: Decision, limiter: VenueLimiter, now: float) -> web.Response:
    """429 RateLimitError with Retry-After; a banned IP gets 403 (BitMEX's ban answer; the body is a guess)."""
    headers = {**usage_headers(limiter, now), "Retry-After": str(decision.retry_after)}
    if decision.status == 418:
        body = {"error": {"message": "Forbidden", "name": "HTTPError"}}
        status = 403
    else:
        message = f"Rate limit exceeded, retry in {decision.retry_after} seconds."
        body = {"error": {"message": message, "name": "RateLimitError"}}
        status = 429
    return web.Response(status=status, text=json.dumps(body), content_type="application/json", headers=headers)


# --- realtime websocket ----------------------------------------------------------------------------------------
WS_DOCS = "https://www.bitmex.com/app/wsAPI"
UNRECOGNIZED = (
    f"Unrecognized request. See the docs or send 'help' for more details. Please see the documentation at {WS_DOCS}."
)
LIQUIDATION_TYPES = {"orderID": "guid", "symbol": "symbol", "side": "symbol", "price": "float", "leavesQty": "long"}


def _ws_error(error: str, request: object) -> dict:
    return {"status": 400, "error": error, "meta": {}, "request": request}


class Realtime:
    """One /realtime connection: its liquidation subscriptions and the messages they produce."""

    def __init__(self, ctx: SimContext, conn: Connection):
        self.ctx, self.conn = ctx, conn
        self.topics: set[str] = set()

    def _wants(self, symbol: str) -> bool:
        return "liquidation" in self.topics or f"liquidation:{symbol}" in self.topics

    async def subscribe(self, topic: str, request: dict | None) -> None:
        """Ack then the table's `partial` image (the resting orders), like BitMEX per topic. Topic errors use
        BitMEX's error envelope; their wording is an informed guess."""
        table, _, symbol = topic.partition(":")
        if table != "liquidation":
            await self.conn.send(_ws_error(f"Unknown table: {table}", request or {}))
            return
        if symbol and symbol not in _perp_symbols(self.ctx):
            await self.conn.send(_ws_error(f"Unknown symbol: {symbol}", request or {}))
            return
        if topic in self.topics:
            await self.conn.send(_ws_error(f"You are already subscribed to this topic: {topic}", request or {}))
            return
        self.topics.add(topic)
        ack = {"success": True, "subscribe": topic}
        if request is not None:
            ack["request"] = request
        await self.conn.send(ack)
        resting = [r for r in _resting(self.ctx, self.ctx.clock.now()) if not symbol or r["symbol"] == symbol]
        await self.conn.send(
            {
                "table": "liquidation",
                "action": "partial",
                "keys": ["orderID"],
                "types": LIQUIDATION_TYPES,
                "filter": {"symbol": symbol} if symbol else {},
                "data": resting,
            }
        )

    async def unsubscribe(self, topic: str, request: dict) -> None:
        if topic not in self.topics:
            await self.conn.send(_ws_error(f"You are not subscribed to this topic: {topic}", request))
            return
        self.topics.discard(topic)
        await self.conn.send({"success": True, "unsubscribe": topic, "request": request})

    async def on_text(self, text: str) -> None:
        """ "ping" -> "pong"; {"op": "subscribe"|"unsubscribe", "args": topic or [topics]}; anything else is
        BitMEX's "Unrecognized request"."""
        if text == "ping":
            await self.conn.send("pong")
            return
        try:
            message = json.loads(text)
        except ValueError:
            message = None
        if not isinstance(message, dict) or message.get("op") not in ("subscribe", "unsubscribe"):
            await self.conn.send(_ws_error(UNRECOGNIZED, message if isinstance(message, dict) else {}))
            return
        args = message.get("args", [])
        for topic in [args] if isinstance(args, str) else args:
            if message["op"] == "subscribe":
                await self.subscribe(str(topic), message)
            else:
                await self.unsubscribe(str(topic), message)

    async def pump(self, start: datetime, end: datetime) -> None:
        """Inserts for liquidations placed in [start, end), deletes for those that filled (RESTING later)."""
        if not self.topics:
            return
        events = [(e.time, "insert", e) for e in _liquidations(self.ctx, start, end)]
        events += [(e.time + RESTING, "delete", e) for e in _liquidations(self.ctx, start - RESTING, end - RESTING)]
        for _, action, event in sorted(events, key=lambda x: (x[0], x[1] == "insert")):
            if not self._wants(event.symbol):
                continue
            row = _liquidation_row(self.ctx, event)
            data = row if action == "insert" else {"orderID": row["orderID"], "symbol": row["symbol"]}
            await self.conn.send({"table": "liquidation", "action": action, "data": [data]})


def _welcome(ctx: SimContext) -> dict:
    return {
        "info": "Welcome to the BitMEX Realtime API.",
        "version": "2.0.0",
        "timestamp": _iso(ctx.clock.now()),
        "docs": WS_DOCS,
        "heartbeatEnabled": False,
        "limit": {"remaining": 719},
    }


async def realtime(ctx: SimContext, request: web.Request) -> web.WebSocketResponse:
    """wss://ws.bitmex.com/realtime[?subscribe=liquidation,...]: welcome first, then the URL's subscriptions.
    ws.serve() has no hook for that first message, so this runs its own loop on the same Connection plumbing."""
    ws = web.WebSocketResponse()
    await ws.prepare(request)
    conn = Connection(ctx, VENUE, ws)
    session = Realtime(ctx, conn)
    ctx.ws_connections.setdefault(VENUE, set()).add(ws)
    task = None
    try:
        await conn.send(_welcome(ctx))
        for topic in filter(None, request.query.get("subscribe", "").split(",")):
            await session.subscribe(topic, None)  # URL subscriptions are acked without a "request" (a guess)
        task = asyncio.create_task(_pumping(ctx, ws, session))
        async for msg in ws:
            if msg.type == WSMsgType.TEXT:
                await session.on_text(msg.data)
            elif msg.type in (WSMsgType.ERROR, WSMsgType.CLOSE):
                break
    finally:
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError, ConnectionResetError):
                await task
        ctx.ws_connections.get(VENUE, set()).discard(ws)
    return ws


async def _pumping(ctx: SimContext, ws: web.WebSocketResponse, session: Realtime, period: float = 0.5) -> None:
    """Every `period` seconds, push what happened on the market clock since the last push."""
    last = ctx.clock.now()
    while not ws.closed:
        await asyncio.sleep(period)
        now = ctx.clock.now()
        if now > last:
            await session.pump(last, now)
            last = now


# --- the venue --------------------------------------------------------------------------------------------------
def _one_request(request: web.Request) -> dict[str, float]:
    return {"requests": 1}


SIMS = [
    VenueSim(
        venue=VENUE,
        host=HOST,
        routes=[
            Route(f"{API}/instrument", instrument, _one_request),
            Route(f"{API}/instrument/active", instrument_active, _one_request),
            Route(f"{API}/instrument/activeAndIndices", instrument_active_and_indices, _one_request),
            Route(f"{API}/instrument/indices", instrument_indices, _one_request),
            Route(f"{API}/funding", funding, _one_request),
            Route(f"{API}/liquidation", liquidation, _one_request),
            Route(f"{API}/trade", trade, _one_request),
            Route(f"{API}/trade/bucketed", trade_bucketed, _one_request),
        ],
        make_limiter=make_limiter,
        refusal=refusal,
        usage_headers=usage_headers,
        # BitMEX treats `symbol` as a filter: an unknown or delisted symbol gives an empty list, not an error.
        symbol_error=lambda: (200, []),
    ),
    VenueSim(
        venue=VENUE,
        host=WS_HOST,
        routes=[],
        make_limiter=make_limiter,
        refusal=refusal,
        websockets=[WsRoute("/realtime", realtime)],
    ),
]
