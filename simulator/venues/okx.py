"""OKX v5 public market data as OKX sends it, served from the shared market.

Wire habits copied from the venue (docs-v5 and real recordings in ../shared/data):
- Envelope `{"code":"0","data":[...],"msg":""}`; every number and every timestamp is a string (ms).
- Errors keep the envelope with `"data":[]`: 51001 unknown instrument (HTTP 200), 51000 bad parameter and
  50014/50015 missing parameter (HTTP 400), 50011 over the per-endpoint limit (HTTP 429, no Retry-After).
- Lists are newest first. `after` asks for records older than a timestamp and `before` for newer ones,
  both exclusive; the rubik statistics call the same bounds `end` and `begin`.
- Contract units: `oi`, candle `vol` and liquidation `sz` are contracts (ctVal coin each for linear
  contracts and options x ctMult, ctVal USD for inverse futures), `oiCcy`/`volCcy` coin, `oiUsd` USD.
- Day and longer bars open at 00:00 UTC+8 (16:00 UTC) unless their name ends in `utc`.
- Liquidations: `side` is the order side, so `sell` + posSide `long` is a long position liquidated.
The websocket host serves /ws/v5/public with the `liquidation-orders` channel.
"""

from __future__ import annotations

import hashlib
import json
import math
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from aiohttp import web

from simulator import catalog, flow, options, ws
from simulator.calibration import INTEREST_RATE_8H
from simulator.context import Route, SimContext, VenueError, VenueSim, WsRoute
from simulator.limits import Bucket, Decision, VenueLimiter

VENUE = "okx"
HOST = "www.okx.com"
WS_HOST = "ws.okx.com"

MINUTE, HOUR, DAY = timedelta(minutes=1), timedelta(hours=1), timedelta(days=1)
UTC8 = timedelta(hours=8)  # OKX's day bars open at midnight in Hong Kong
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
MONDAY = datetime(1970, 1, 5, tzinfo=UTC)  # weekly bars open on Mondays
FUNDING_RETENTION = timedelta(days=92)  # "this endpoint can return data up to three months"
LIQUIDATION_WINDOW = DAY  # public liquidation orders cover about the last day
STATS_ENTRIES = 1440  # rubik statistics and market/candles keep the latest 1,440 entries per period

TICK = {"BTC": "0.1", "ETH": "0.01", "SOL": "0.01"}
INVERSE_CT_VAL = {"BTC": 100.0, "ETH": 10.0, "SOL": 10.0}  # USD per coin-margined futures contract
OPTION_ASSETS = ("BTC", "ETH")  # OKX lists options on BTC-USD and ETH-USD
OPTION_CT_MULT = {"BTC": 0.01, "ETH": 0.1}  # ctVal 1 coin x ctMult (BTC from the 2024 recording; ETH a guess)
MAX_FUNDING = {"BTC": "0.00375", "ETH": "0.00375", "SOL": "0.015"}  # BTC from docs-v5; others a guess
FUTURES_BASIS_BIAS = -0.003  # OKX dated futures trade a touch below the shared basis (annual)
LIST_TIME = datetime(2019, 11, 12, 11, 16, 48, tzinfo=UTC)  # perpetuals' listTime in the recording

RATE_LIMIT_MSG = "Rate limit reached. Please refer to API documentation and throttle requests accordingly"


# --- envelope, errors, parameters ---------------------------------------------------------------
def _ok(data: list) -> dict:
    """OKX's success envelope (key order as the venue sends it)."""
    return {"code": "0", "data": data, "msg": ""}


def _err(code: str, msg: str, status: int) -> VenueError:
    """OKX keeps its envelope on errors. HTTP statuses: 400 for parameter errors (a real 51000 came back as
    400 Bad Request), 200 for 51001 (informed guess from OKX's error-code table)."""
    return VenueError(status, {"code": code, "data": [], "msg": msg})


def _missing(name: str) -> VenueError:
    return _err("50014", f"Parameter {name} cannot be empty", 400)


def _bad(name: str) -> VenueError:
    return _err("51000", f"Parameter {name} error", 400)


def _unknown_instrument() -> VenueError:
    return _err("51001", "Instrument ID does not exist", 200)


def _need_family() -> VenueError:
    return _err("50015", "Either parameter uly or instFamily is required", 400)


def _ms_param(request: web.Request, name: str) -> int | None:
    raw = request.query.get(name, "")
    if raw == "":
        return None
    if not raw.isdigit():
        raise _bad(name)
    return int(raw)


def _limit(request: web.Request, default: int, maximum: int) -> int:
    raw = request.query.get("limit", "")
    if raw == "":
        return default
    if not raw.isdigit() or not 1 <= int(raw) <= maximum:
        raise _bad("limit")
    return int(raw)


def _inst_type(request: web.Request, allowed: tuple[str, ...]) -> str:
    value = request.query.get("instType", "")
    if not value:
        raise _missing("instType")
    if value not in allowed:
        raise _bad("instType")
    return value


def _family(request: web.Request) -> str | None:
    """`instFamily` wins over the older `uly` when both are sent, as OKX documents."""
    return request.query.get("instFamily") or request.query.get("uly") or None


# --- numbers and times --------------------------------------------------------------------------
def _num(x: float, decimals: int = 8) -> str:
    """A decimal string without trailing zeros, the way OKX prints prices and sizes ("84660.1")."""
    text = f"{x:.{decimals}f}"
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


def _rate(x: float) -> str:
    """Funding rates carry up to 16 decimals ("0.0000182221218054")."""
    return _num(x, 16)


def _px(x: float, tick: str) -> str:
    decimals = len(tick.split(".")[1]) if "." in tick else 0
    step = float(tick)
    return _num(round(x / step) * step, decimals)


def _ms(t: datetime) -> int:
    return math.floor(t.timestamp() * 1000)


def _ts(t: datetime) -> str:
    return str(_ms(t))


def _from_ms(ms: int) -> datetime:
    return datetime.fromtimestamp(ms / 1000, tz=UTC)


def _unit(*parts: object) -> float:
    """A deterministic number in [0, 1) (quote noise that is the same for the same instant)."""
    digest = hashlib.sha256(":".join(str(p) for p in parts).encode()).digest()
    return int.from_bytes(digest[:8], "big") / 2**64


# --- periods (candle bars and rubik periods) ----------------------------------------------------
@dataclass(frozen=True)
class Bar:
    """A bar as OKX names it: fixed minutes or calendar months, opening on UTC+8 boundaries for 6H and
    longer unless the name ends in `utc`."""

    minutes: int = 0
    months: int = 0
    offset: timedelta = timedelta(0)

    def floor(self, t: datetime) -> datetime:
        if self.months:
            local = t + self.offset
            month0 = (local.month - 1) // self.months * self.months
            return datetime(local.year, month0 + 1, 1, tzinfo=UTC) - self.offset
        step = timedelta(minutes=self.minutes)
        anchor = MONDAY if self.minutes % (7 * 1440) == 0 else EPOCH
        return t - (t + self.offset - anchor) % step

    def shift(self, open_: datetime, n: int) -> datetime:
        """The open of the bar `n` bars after (or before, n < 0) the bar opening at `open_`."""
        if not self.months:
            return open_ + n * timedelta(minutes=self.minutes)
        local = open_ + self.offset
        index = local.year * 12 + local.month - 1 + n * self.months
        return datetime(index // 12, index % 12 + 1, 1, tzinfo=UTC) - self.offset


def _bar_table(names: tuple[str, ...], with_months: bool) -> dict[str, Bar]:
    out = {name: Bar(m) for name, m in (("1m", 1), ("3m", 3), ("5m", 5), ("15m", 15), ("30m", 30))}
    out.update({name: Bar(m) for name, m in (("1H", 60), ("2H", 120), ("4H", 240))})
    long_bars = {"6H": 360, "12H": 720, "1D": 1440, "2D": 2880, "3D": 4320, "5D": 7200, "1W": 10080}
    for name in names:
        out[name] = Bar(long_bars[name], offset=UTC8)
        out[f"{name}utc"] = Bar(long_bars[name])
    if with_months:
        for name, months in (("1M", 1), ("3M", 3)):
            out[name] = Bar(months=months, offset=UTC8)
            out[f"{name}utc"] = Bar(months=months)
    return out


CANDLE_BARS = _bar_table(("6H", "12H", "1D", "2D", "3D", "1W"), with_months=True)
# Rubik statistics start at 5m and add 5D.
STAT_PERIODS = {
    k: v for k, v in _bar_table(("6H", "12H", "1D", "2D", "3D", "5D", "1W"), True).items() if k not in ("1m", "3m")
}
# The per-currency ratio only knows three periods, each with its own look-back.
CCY_RATIO_PERIODS = {"5m": (Bar(5), 2 * DAY), "1H": (Bar(60), 30 * DAY), "1D": (Bar(1440, offset=UTC8), 180 * DAY)}


def _first_open(bar: Bar, start: datetime) -> datetime:
    """The first whole bar of the simulated history."""
    first = bar.floor(start)
    return first if first >= start else bar.shift(first, 1)


def _bar_param(request: web.Request, name: str, table: dict, default: str):
    value = request.query.get(name, "") or default
    if value not in table:
        raise _bad(name)
    return table[value]


def _opens(bar: Bar, newest: datetime, oldest: datetime, lo_ms: int | None, hi_ms: int | None, n: int) -> list:
    """Bar opens from `newest` back to `oldest`, newest first, inside the exclusive (lo, hi) bounds."""
    out: list[datetime] = []
    if hi_ms is not None:
        newest = min(newest, bar.floor(_from_ms(hi_ms - 1)))
    t = newest
    while t >= oldest and len(out) < n:
        if lo_ms is not None and _ms(t) <= lo_ms:
            break
        out.append(t)
        t = bar.shift(t, -1)
    return out


# --- the instruments OKX lists ------------------------------------------------------------------
@dataclass(frozen=True)
class Inst:
    """One OKX instrument with the facts its wire format needs."""

    inst_id: str
    inst_type: str  # SPOT, SWAP, FUTURES, OPTION
    asset: str
    family: str = ""  # instFamily / uly ("" for spot)
    ct_val: float = 1.0  # coin per contract (linear, option) or USD per contract (inverse)
    ct_mult: float = 1.0
    ct_type: str = ""  # linear / inverse ("" for spot and options)
    settle: str = ""
    tick: str = "0.1"
    lot: str = "1"
    expiry: datetime | None = None
    alias: str = ""
    strike: float = 0.0
    opt_type: str = ""
    list_time: datetime = LIST_TIME
    quote: options.OptionQuote | None = field(default=None, compare=False)

    @property
    def swap_id(self) -> str:
        """The shared market's OKX perpetual of this asset: other products are priced off it."""
        return f"{self.asset}-USDT-SWAP"

    def coin_per_contract(self, price: float) -> float:
        return self.ct_val / price if self.ct_type == "inverse" else self.ct_val * self.ct_mult


def _spots() -> list[Inst]:
    return [Inst(f"{a}-USDT", "SPOT", a, tick=TICK[a], lot="0.00000001") for a in catalog.ASSETS]


def _swaps(ctx: SimContext) -> list[Inst]:
    out = []
    for inst in ctx.market.perps(VENUE):
        a = inst.params.asset
        out.append(
            Inst(inst.symbol, "SWAP", a, f"{a}-USDT", inst.perp.contract_size, 1.0, "linear", "USDT", TICK[a], "0.01")
        )
    return out


def _expiry_kind(expiry: datetime) -> str:
    """Quarterly, monthly or weekly: decides listing lead time and the share of open interest."""
    if expiry == catalog.last_friday(expiry.year, expiry.month):
        return "quarter" if expiry.month % 3 == 0 else "month"
    return "week"


def _future_ladder(t: datetime) -> list[tuple[datetime, str]]:
    """OKX's dated-futures ladder: two weeklies, then the next two month-ends and two quarter-ends that are
    not listed already (an expiry keeps the alias of the shorter ladder: 241227 was `next_week`)."""
    out: list[tuple[datetime, str]] = []
    taken: set[datetime] = set()
    ladders = (
        (("this_week", "next_week"), catalog.weekly_expiries(t, 2)),
        (("this_month", "next_month"), catalog.monthly_expiries(t, 4)),
        (("quarter", "next_quarter"), catalog.quarterly_expiries(t, 4)),
    )
    for names, dates in ladders:
        fresh = [d for d in dates if d not in taken][:2]
        out.extend(zip(fresh, names, strict=False))
        taken.update(fresh)
    return sorted(out)


def _list_time(expiry: datetime, inst_type: str) -> datetime:
    """Listing lead times seen in the recording (08:10 UTC, 2 / 11 / 37 weeks before expiry for futures);
    options are listed further ahead so that every expiry on the chain is already live."""
    weeks = {"FUTURES": {"week": 2, "month": 11, "quarter": 37}, "OPTION": {"week": 5, "month": 15, "quarter": 56}}
    return expiry - timedelta(weeks=weeks[inst_type][_expiry_kind(expiry)]) + timedelta(minutes=10)


def _futures(t: datetime) -> list[Inst]:
    out = []
    for a in catalog.ASSETS:
        for expiry, alias in _future_ladder(t):
            code = expiry.strftime("%y%m%d")
            when = {"expiry": expiry, "alias": alias, "list_time": _list_time(expiry, "FUTURES"), "tick": TICK[a]}
            out.append(Inst(f"{a}-USD-{code}", "FUTURES", a, f"{a}-USD", INVERSE_CT_VAL[a], 1, "inverse", a, **when))
            ct_val = next(p.contract_size for p in catalog.PERPS if p.venue == VENUE and p.asset == a)
            out.append(Inst(f"{a}-USDT-{code}", "FUTURES", a, f"{a}-USDT", ct_val, 1, "linear", "USDT", **when))
    return out


def _strike_text(strike: float) -> str:
    return _num(strike, 4)


def _options(ctx: SimContext, asset: str, t: datetime) -> list[Inst]:
    """The option chain the shared model lists for OKX, as OKX instruments (ids like BTC-USD-261225-100000-C)."""
    out = []
    for q in options.chain(ctx.market, VENUE, asset, t):
        kind = "C" if q.is_call else "P"
        inst_id = f"{asset}-USD-{q.expiry.strftime('%y%m%d')}-{_strike_text(q.strike)}-{kind}"
        out.append(
            Inst(
                inst_id,
                "OPTION",
                asset,
                f"{asset}-USD",
                1.0,
                OPTION_CT_MULT[asset],
                settle=asset,
                tick="0.0001",
                expiry=q.expiry,
                strike=q.strike,
                opt_type=kind,
                list_time=_list_time(q.expiry, "OPTION"),
                quote=q,
            )
        )
    return out


def _listed(ctx: SimContext, t: datetime, inst_type: str, family: str | None = None) -> list[Inst]:
    """Every instrument of `inst_type` (optionally one family) that OKX lists at `t`."""
    if inst_type == "SPOT":
        return _spots()
    if inst_type == "SWAP":
        insts = _swaps(ctx)
    elif inst_type == "FUTURES":
        insts = _futures(t)
    elif inst_type == "OPTION":
        insts = [i for a in OPTION_ASSETS if family in (None, f"{a}-USD") for i in _options(ctx, a, t)]
    else:
        return []  # MARGIN and EVENTS are valid types the simulator does not list
    return [i for i in insts if family is None or i.family == family]


def _select(ctx: SimContext, request: web.Request, inst_type: str, t: datetime) -> list[Inst]:
    """The instruments a request names by type, family and id; an id that is not listed is 51001."""
    insts = _listed(ctx, t, inst_type, _family(request))
    inst_id = request.query.get("instId")
    if inst_id:
        insts = [i for i in insts if i.inst_id == inst_id]
        if not insts:
            raise _unknown_instrument()
    return insts


def _find(ctx: SimContext, inst_id: str, t: datetime, types: tuple[str, ...]) -> Inst:
    """Look an instrument up by id alone (its type is read from the id's shape)."""
    parts = inst_id.split("-")
    guess = "SPOT" if len(parts) == 2 else "SWAP" if parts[-1] == "SWAP" else "FUTURES" if len(parts) == 3 else "OPTION"
    if guess in types:
        family = f"{parts[0]}-{parts[1]}" if guess != "SPOT" else None
        for inst in _listed(ctx, t, guess, family):
            if inst.inst_id == inst_id:
                return inst
    raise _unknown_instrument()


# --- prices and quantities from the shared market -----------------------------------------------
def _price(ctx: SimContext, inst: Inst, t: datetime) -> float:
    """Mark price in quote currency (USD(T)); options are priced in coin elsewhere."""
    m = ctx.market
    if inst.inst_type == "SWAP":
        return m.mark_price(VENUE, inst.inst_id, t)
    if inst.inst_type == "FUTURES":
        return m.future_price(inst.asset, inst.expiry, t, FUTURES_BASIS_BIAS)
    return m.price(inst.asset, t)


def _option_quote(ctx: SimContext, inst: Inst, t: datetime) -> options.OptionQuote | None:
    """The option's quote at an earlier `t` (None when the model did not list it then)."""
    return _quotes_by_id(ctx, inst.asset, t).get(inst.inst_id)


_CHAINS: dict[tuple[int, str, datetime], dict[str, options.OptionQuote]] = {}


def _quotes_by_id(ctx: SimContext, asset: str, t: datetime) -> dict[str, options.OptionQuote]:
    """One chain per (asset, time), shared by every option of a tickers answer (a chain costs ~0.03 s; computing
    it once per option made a BTC answer take half a minute)."""
    key = (id(ctx), asset, t)
    if key not in _CHAINS:
        if len(_CHAINS) > 32:
            _CHAINS.clear()
        _CHAINS[key] = {i.inst_id: i.quote for i in _options(ctx, asset, t)}
    return _CHAINS[key]


def _futures_share(inst: Inst) -> float:
    """Share of the asset's OKX perpetual open interest and volume held by one dated future."""
    kind = {"week": 0.015, "month": 0.03, "quarter": 0.08}[_expiry_kind(inst.expiry)]
    margin = 0.6 if inst.ct_type == "inverse" else 0.4
    return kind * margin * (0.75 + 0.5 * _unit("okx-futures-share", inst.inst_id))


def _oi_coin(ctx: SimContext, inst: Inst, t: datetime) -> float:
    perp_oi = ctx.market.open_interest(VENUE, inst.swap_id, t)
    return perp_oi * (_futures_share(inst) if inst.inst_type == "FUTURES" else 1.0)


def _long_short_ratio(ctx: SimContext, asset: str, t: datetime) -> float:
    share = ctx.market.long_account_share(VENUE, asset, t)
    return share / (1.0 - share)


def _contracts(inst: Inst, coin: float, price: float) -> str:
    """Coin amounts in contracts, to the lot size OKX trades (0.01 for perpetuals, 1 otherwise)."""
    decimals = len(inst.lot.split(".")[1]) if "." in inst.lot else 0
    return _num(coin / inst.coin_per_contract(price), decimals)


# --- public/instruments -------------------------------------------------------------------------
def _instrument_row(inst: Inst) -> dict:
    derivative = inst.inst_type != "SPOT"
    lever = {"SPOT": "10", "SWAP": "100" if inst.asset != "SOL" else "50", "FUTURES": "100", "OPTION": ""}
    return {
        "alias": inst.alias,
        "auctionEndTime": "",
        "baseCcy": inst.asset if not derivative else "",
        "category": "1",
        "contTdSwTime": "",
        "ctMult": _num(inst.ct_mult) if derivative else "",
        "ctType": inst.ct_type,
        "ctVal": _num(inst.ct_val) if derivative else "",
        "ctValCcy": ("USD" if inst.ct_type == "inverse" else inst.asset) if derivative else "",
        "expTime": _ts(inst.expiry) if inst.expiry else "",
        "futureSettlement": False,
        "groupId": "1" if inst.ct_type != "linear" else "2",
        "instCategory": "1",
        "instFamily": inst.family,
        "instId": inst.inst_id,
        "instIdCode": int(_unit("okx-code", inst.inst_id) * 9_000_000) + 10_000,
        "instType": inst.inst_type,
        "lever": lever[inst.inst_type],
        "listTime": _ts(inst.list_time),
        "lotSz": inst.lot,
        "maxIcebergSz": "100000000.0000000000000000",
        "maxLmtAmt": "20000000",
        "maxLmtSz": "100000000",
        "maxMktAmt": "1000000" if not derivative else "",
        "maxMktSz": "5000" if derivative else "1000000",
        "maxPlatOILmt": "",
        "maxStopSz": "5000" if derivative else "1000000",
        "maxTriggerSz": "100000000.0000000000000000",
        "maxTwapSz": "100000000.0000000000000000",
        "minSz": inst.lot if derivative else "0.00001",
        "openType": "",
        "optType": inst.opt_type,
        "posLmtAmt": "",
        "posLmtPct": "",
        "preMktSwTime": "",
        "quoteCcy": "USDT" if not derivative else "",
        "ruleType": "normal",
        "settleCcy": inst.settle,
        "state": "live",
        "stk": _strike_text(inst.strike) if inst.opt_type else "",
        "tickSz": inst.tick,
        "tradeQuoteCcyList": ["USDT"] if not derivative else [],
        "uly": inst.family,
        "upcChg": [],
    }


async def instruments(ctx: SimContext, request: web.Request) -> object:
    inst_type = _inst_type(request, ("SPOT", "MARGIN", "SWAP", "FUTURES", "OPTION", "EVENTS"))
    if inst_type == "OPTION" and not _family(request):
        raise _need_family()
    return _ok([_instrument_row(i) for i in _select(ctx, request, inst_type, ctx.clock.now())])


# --- funding ------------------------------------------------------------------------------------
def _swap(ctx: SimContext, inst_id: str) -> Inst:
    for inst in _swaps(ctx):
        if inst.inst_id == inst_id:
            return inst
    raise _unknown_instrument()


def _funding_row(ctx: SimContext, inst: Inst, now: datetime) -> dict:
    """The open period's predicted rate, settling at `fundingTime` (OKX's current_period method, under
    which `nextFundingRate` is empty); the interval is nextFundingTime - fundingTime."""
    m = ctx.market
    rate, settle = m.current_funding(VENUE, inst.inst_id, now)
    interval = timedelta(hours=m.perp(VENUE, inst.inst_id).params.interval_hours)
    previous = settle - interval
    settled = m.settled_funding(VENUE, inst.inst_id, previous) if m.covers(previous - interval) else rate
    cap = MAX_FUNDING[inst.asset]
    return {
        "formulaType": "withRate",  # the shared model's formula includes the interest term
        "fundingRate": _rate(rate),
        "fundingTime": _ts(settle),
        "impactValue": "",
        "instId": inst.inst_id,
        "instType": "SWAP",
        "interestRate": _rate(INTEREST_RATE_8H * interval / (8 * HOUR)),
        "maxFundingRate": cap,
        "method": "current_period",
        "minFundingRate": f"-{cap}",
        "nextFundingRate": "",
        "nextFundingTime": _ts(settle + interval),
        "premium": _rate(m.premium(VENUE, inst.inst_id, now)),
        "prevFundingTime": _ts(previous),
        "settFundingRate": _rate(settled),
        "settState": "settled",
        "ts": _ts(now),
    }


async def funding_rate(ctx: SimContext, request: web.Request) -> object:
    inst_id = request.query.get("instId", "")
    if not inst_id:
        raise _missing("instId")
    now = ctx.clock.now()
    # instId=ANY answers for every perpetual at once (what ccxt sends for fetchFundingRates).
    insts = _swaps(ctx) if inst_id == "ANY" else [_swap(ctx, inst_id)]
    return _ok([_funding_row(ctx, i, now) for i in insts])


async def funding_rate_history(ctx: SimContext, request: web.Request) -> object:
    inst_id = request.query.get("instId", "")
    if not inst_id:
        raise _missing("instId")
    _swap(ctx, inst_id)  # unknown ids answer 51001
    # docs-v5 (2026) says at most 400 rows per page, default 400; older docs said 100.
    limit = _limit(request, 400, 400)
    before, after = _ms_param(request, "before"), _ms_param(request, "after")
    m, now = ctx.market, ctx.clock.now()
    lo = max(now - FUNDING_RETENTION, _from_ms(before + 1) if before is not None else m.start)
    hi = now + timedelta(microseconds=1)  # settlements up to and including now
    if after is not None:
        hi = min(hi, _from_ms(after))
    times = m.settlement_times(VENUE, inst_id, lo, hi) if hi > lo else []
    rows = []
    for t in reversed(times):
        if len(rows) == limit:
            break
        rate = _rate(m.settled_funding(VENUE, inst_id, t))
        rows.append(
            {
                "formulaType": "withRate",
                "fundingRate": rate,
                "fundingTime": _ts(t),
                "instId": inst_id,
                "instType": "SWAP",
                "method": "current_period",
                "realizedRate": rate,
            }
        )
    return _ok(rows)


# --- prices ---------------------------------------------------------------------------------------
async def mark_price(ctx: SimContext, request: web.Request) -> object:
    inst_type = _inst_type(request, ("MARGIN", "SWAP", "FUTURES", "OPTION", "EVENTS"))
    now = ctx.clock.now()
    # Margin pairs are marked at the index.
    insts = _spots() if inst_type == "MARGIN" else _select(ctx, request, inst_type, now)
    rows = [
        {"instType": inst_type, "instId": i.inst_id, "markPx": _mark_text(ctx, i, now), "ts": _ts(now)} for i in insts
    ]
    return _ok(rows)


def _mark_text(ctx: SimContext, inst: Inst, t: datetime) -> str:
    if inst.inst_type == "OPTION":
        return _num(inst.quote.mark_coin, 10)  # option marks are in coin
    return _px(_price(ctx, inst, t), inst.tick)


def _window(price: Callable[[datetime], float], now: datetime) -> dict[str, float]:
    """24 h open/high/low and the opens of the UTC and UTC+8 days, sampled on the 5-minute grid."""
    start = now - DAY
    grid = [start + i * timedelta(minutes=5) for i in range(288)] + [now]
    values = [price(t) for t in grid]
    day_utc0 = now.replace(hour=0, minute=0, second=0, microsecond=0)
    day_utc8 = CANDLE_BARS["1D"].floor(now)
    return {
        "open24h": values[0],
        "high24h": max(values),
        "low24h": min(values),
        "sodUtc0": price(day_utc0),
        "sodUtc8": price(day_utc8),
    }


async def index_tickers(ctx: SimContext, request: web.Request) -> object:
    quote, inst_id = request.query.get("quoteCcy", ""), request.query.get("instId", "")
    if not quote and not inst_id:
        raise _err("50015", "Either parameter quoteCcy or instId is required", 400)
    if quote and quote not in ("USD", "USDT", "USDC", "BTC"):
        raise _bad("quoteCcy")
    now = ctx.clock.now()
    names = [(a, f"{a}-{q}") for a in catalog.ASSETS for q in ("USD", "USDT", "USDC")]
    names = [(a, n) for a, n in names if (not quote or n.endswith(f"-{quote}")) and (not inst_id or n == inst_id)]
    if inst_id and not names:
        raise _unknown_instrument()
    rows = []
    for asset, name in names:
        stats = _window(lambda t, a=asset: ctx.market.price(a, t), now)
        row = {"instId": name, "idxPx": _px(ctx.market.price(asset, now), TICK[asset])}
        row.update({k: _px(v, TICK[asset]) for k, v in stats.items()})
        row["ts"] = _ts(now)
        rows.append(row)
    return _ok(rows)


# --- tickers --------------------------------------------------------------------------------------
def _volume_coin(ctx: SimContext, inst: Inst, start: datetime, end: datetime) -> float:
    """Coin volume from the shared order flow of the asset's perpetual, scaled to the product."""
    hours = flow.candles(ctx.market, VENUE, inst.swap_id, 60, start.replace(minute=0, second=0, microsecond=0), end)
    volume = sum(c.volume for c in hours if c.open_time + HOUR <= end)
    share = {"SWAP": 1.0, "SPOT": 0.45}.get(inst.inst_type) or _futures_share(inst)
    return volume * share


def _ticker_row(ctx: SimContext, inst: Inst, now: datetime) -> dict:
    """A ticker around the shared mark: last within 1 bp of it, a book a few ticks wide (the same for the
    same second), 24 h statistics from the mark path and volume from the perpetual's order flow."""
    if inst.inst_type == "OPTION":
        return _option_ticker(ctx, inst, now)
    mark = _price(ctx, inst, now)
    tick = float(inst.tick)
    second = _ms(now) // 1000
    last = mark * (1 + 0.0002 * (_unit("okx-last", inst.inst_id, second) - 0.5))
    spread = tick * (1 + int(3 * _unit("okx-spread", inst.inst_id, second)))
    stats = _window(lambda t: _price(ctx, inst, t), now)
    coin = _volume_coin(ctx, inst, now - DAY, now)
    coins = [0.05 + 2 * _unit("okx-size", inst.inst_id, second, k) for k in range(3)]
    sizes = [_num(x, 8) if inst.inst_type == "SPOT" else _contracts(inst, x, mark) for x in coins]
    row = {
        "instType": inst.inst_type,
        "instId": inst.inst_id,
        "last": _px(last, inst.tick),
        "lastSz": sizes[0],
        "askPx": _px(last + spread, inst.tick),
        "askSz": sizes[1],
        "bidPx": _px(last - spread, inst.tick),
        "bidSz": sizes[2],
    }
    row.update({k: _px(v, inst.tick) for k, v in stats.items()})
    if inst.inst_type == "SPOT":  # spot volumes: vol24h in base, volCcy24h in quote
        row["volCcy24h"], row["vol24h"] = _num(coin * mark, 4), _num(coin, 8)
    else:  # derivatives: vol24h in contracts, volCcy24h in coin
        row["volCcy24h"], row["vol24h"] = _num(coin, 4), _contracts(inst, coin, mark)
    row["ts"] = _ts(now)
    return row


def _option_ticker(ctx: SimContext, inst: Inst, now: datetime) -> dict:
    """Option prices are in coin; bid and ask come from the model's bid/ask IVs, at least a tick apart."""
    q, tick = inst.quote, float(inst.tick)
    years = max((q.expiry - now).total_seconds(), 0.0) / (365 * 86400)

    def coin(vol: float) -> float:
        return options.black76(q.forward, q.strike, years, vol, q.is_call)["price"] / q.index_price

    earlier = _option_quote(ctx, inst, now - DAY)
    open24h = earlier.mark_coin if earlier else q.mark_coin  # also stands in for the day opens (sodUtc0/8)
    contracts = q.volume_24h / inst.coin_per_contract(q.index_price)
    return {
        "instType": "OPTION",
        "instId": inst.inst_id,
        "last": _px(max(q.mark_coin, 0.0001), inst.tick),
        "lastSz": "1",
        "askPx": _px(max(coin(q.ask_iv), q.mark_coin + tick), inst.tick),
        "askSz": _num(10 + 200 * _unit("okx-optsz", inst.inst_id, "a"), 0),
        "bidPx": _px(max(min(coin(q.bid_iv), q.mark_coin - tick), 0.0), inst.tick),
        "bidSz": _num(10 + 200 * _unit("okx-optsz", inst.inst_id, "b"), 0),
        "open24h": _px(open24h, inst.tick),
        "high24h": _px(max(open24h, q.mark_coin), inst.tick),
        "low24h": _px(min(open24h, q.mark_coin), inst.tick),
        "volCcy24h": _num(q.volume_24h, 4),
        "vol24h": _num(contracts, 0),
        "sodUtc0": _px(open24h, inst.tick),
        "sodUtc8": _px(open24h, inst.tick),
        "ts": _ts(now),
    }


async def tickers(ctx: SimContext, request: web.Request) -> object:
    inst_type = _inst_type(request, ("SPOT", "SWAP", "FUTURES", "OPTION", "EVENTS"))
    if inst_type == "OPTION" and not _family(request):
        raise _need_family()
    now = ctx.clock.now()
    return _ok([_ticker_row(ctx, i, now) for i in _listed(ctx, now, inst_type, _family(request))])


async def ticker(ctx: SimContext, request: web.Request) -> object:
    inst_id = request.query.get("instId", "")
    if not inst_id:
        raise _missing("instId")
    now = ctx.clock.now()
    return _ok([_ticker_row(ctx, _find(ctx, inst_id, now, ("SPOT", "SWAP", "FUTURES", "OPTION")), now)])


# --- open interest ----------------------------------------------------------------------------------
async def open_interest(ctx: SimContext, request: web.Request) -> object:
    inst_type = _inst_type(request, ("SWAP", "FUTURES", "OPTION", "EVENTS"))
    if inst_type == "OPTION" and not _family(request):
        raise _need_family()
    now = ctx.clock.now()
    rows = []
    for inst in _select(ctx, request, inst_type, now):
        if inst.inst_type == "OPTION":
            coin, index = inst.quote.open_interest, inst.quote.index_price
            contracts, usd = _num(coin / inst.coin_per_contract(index), 0), coin * index
        else:
            coin, price = _oi_coin(ctx, inst, now), _price(ctx, inst, now)
            contracts, usd = _contracts(inst, coin, price), coin * price
        rows.append(
            {
                "instType": inst_type,
                "instId": inst.inst_id,
                "oi": contracts,
                "oiCcy": _num(coin, 8),
                "oiUsd": _num(usd, 4),
                "ts": _ts(now),
            }
        )
    return _ok(rows)


def _stat_inst(ctx: SimContext, request: web.Request, now: datetime) -> Inst:
    inst_id = request.query.get("instId", "")
    if not inst_id:
        raise _missing("instId")
    return _find(ctx, inst_id, now, ("SWAP", "FUTURES"))


def _stat_rows(ctx: SimContext, request: web.Request, value: Callable[[datetime], list[str]]) -> list[list[str]]:
    """Rubik statistics rows `[ts, ...]`: one per period opening inside the exclusive (begin, end) bounds,
    newest first, at most the latest 1,440; each period reports its level at its close (the open period
    reports the live level)."""
    bar = _bar_param(request, "period", STAT_PERIODS, "5m")
    limit = _limit(request, 100, 100)
    begin, end = _ms_param(request, "begin"), _ms_param(request, "end")
    m, now = ctx.market, ctx.clock.now()
    newest = bar.floor(now)
    oldest = max(bar.shift(newest, -(STATS_ENTRIES - 1)), _first_open(bar, m.start))
    return [[_ts(t), *value(min(bar.shift(t, 1), now))] for t in _opens(bar, newest, oldest, begin, end, limit)]


async def open_interest_history(ctx: SimContext, request: web.Request) -> object:
    inst = _stat_inst(ctx, request, ctx.clock.now())

    def level(t: datetime) -> list[str]:
        coin, price = _oi_coin(ctx, inst, t), _price(ctx, inst, t)
        return [_num(coin / inst.coin_per_contract(price), 8), _num(coin, 8), _num(coin * price, 4)]

    return _ok(_stat_rows(ctx, request, level))


async def long_short_contract(ctx: SimContext, request: web.Request) -> object:
    inst = _stat_inst(ctx, request, ctx.clock.now())
    return _ok(_stat_rows(ctx, request, lambda t: [_num(_long_short_ratio(ctx, inst.asset, t), 4)]))


async def long_short_ccy(ctx: SimContext, request: web.Request) -> object:
    """Per-currency account ratio: three periods, each with its own look-back, bounds exclusive, no limit."""
    ccy = request.query.get("ccy", "")
    if not ccy:
        raise _missing("ccy")
    if ccy not in catalog.ASSETS:
        raise _bad("ccy")
    bar, lookback = _bar_param(request, "period", CCY_RATIO_PERIODS, "5m")
    begin, end = _ms_param(request, "begin"), _ms_param(request, "end")
    m, now = ctx.market, ctx.clock.now()
    newest = bar.floor(now)
    oldest = max(bar.floor(now - lookback), _first_open(bar, m.start))
    opens = _opens(bar, newest, oldest, begin, end, STATS_ENTRIES)
    return _ok([[_ts(t), _num(_long_short_ratio(ctx, ccy, min(bar.shift(t, 1), now)), 4)] for t in opens])


# --- liquidations -----------------------------------------------------------------------------------
def _liq_detail(inst: Inst, event: flow.Liquidation, seed: int) -> dict:
    """One liquidation order: `side` is the closing order's side, `posSide` the liquidated position."""
    loss = _unit(seed, "okx-bkloss", event.event_id)
    bk_loss = event.qty * event.price * 0.002 * loss if loss < 0.08 else 0.0  # a few orders lose money
    return {
        "bkLoss": _num(bk_loss, 4),
        "bkPx": _px(event.price, inst.tick),
        "ccy": "",
        "posSide": "long" if event.is_long else "short",
        "side": "sell" if event.is_long else "buy",
        "sz": _num(max(event.qty / inst.ct_val, 0.01), 2),
        "ts": _ts(event.time),
    }


def _liq_entry(inst: Inst, details: list[dict]) -> dict:
    return {
        "details": details,
        "instFamily": inst.family,
        "instId": inst.inst_id,
        "instType": "SWAP",
        "uly": inst.family,
    }


def _liquidations(ctx: SimContext, start: datetime, end: datetime) -> list[tuple[Inst, flow.Liquidation]]:
    """OKX's share of the shared liquidation tape in [start, end), in time order."""
    swaps = {i.inst_id: i for i in _swaps(ctx)}
    events = [e for a in catalog.ASSETS for e in flow.liquidations(ctx.market, a, start, end, venue=VENUE)]
    return [(swaps[e.symbol], e) for e in sorted(events, key=lambda e: (e.time, e.event_id)) if e.symbol in swaps]


async def liquidation_orders(ctx: SimContext, request: web.Request) -> object:
    inst_type = _inst_type(request, ("MARGIN", "SWAP", "FUTURES", "OPTION"))
    family, inst_id = _family(request), request.query.get("instId", "")
    if inst_type != "MARGIN" and not family and not inst_id:
        raise _need_family()
    state = request.query.get("state", "")
    if state not in ("", "filled", "unfilled"):
        raise _bad("state")
    before, after = _ms_param(request, "before"), _ms_param(request, "after")
    limit = _limit(request, 100, 100)
    now = ctx.clock.now()
    if inst_type != "SWAP" or state == "unfilled":
        return _ok([])  # only perpetuals carry liquidations in the shared tape, and all are filled at once
    swaps = [i for i in _swaps(ctx) if (not family or i.family == family) and (not inst_id or i.inst_id == inst_id)]
    if inst_id and not swaps:
        raise _unknown_instrument()
    # Informed guess: one entry per instrument holding every order of the last day, newest first (a real
    # BTC-USDT call returned ~1,000 details spanning ~23.5 h in one answer); before/after filter on ts.
    day = _liquidations(ctx, now - LIQUIDATION_WINDOW, now)
    data = []
    for inst in swaps[:limit]:
        events = [e for i, e in day if i == inst]
        details = [
            _liq_detail(inst, e, ctx.market.seed)
            for e in reversed(events)
            if (before is None or _ms(e.time) > before) and (after is None or _ms(e.time) < after)
        ]
        if details:
            data.append(_liq_entry(inst, details))
    return _ok(data)


# --- options ----------------------------------------------------------------------------------------
def _summary_row(ctx: SimContext, inst: Inst, now: datetime) -> dict:
    """Greeks two ways: Black-Scholes in USD (`...BS`) and price-adjusted in coin, the way a coin-settled
    option's value moves: delta = deltaBS - mark in coin (checked on the docs-v5 example), vega and theta
    = BS / forward; gamma = F x d(delta)/dF is an informed guess."""
    q = inst.quote
    delta_pa = q.delta - q.mark_coin
    years = max((q.expiry - now).total_seconds(), 0.0) / (365 * 86400)
    return {
        "askVol": _num(q.ask_iv, 6),
        "bidVol": _num(q.bid_iv, 6),
        "delta": _num(delta_pa, 10),
        "deltaBS": _num(q.delta, 10),
        "fwdPx": _num(q.forward, 4),
        "gamma": _num(q.gamma * q.forward - delta_pa, 10),
        "gammaBS": _num(q.gamma, 12),
        "instId": inst.inst_id,
        "instType": "OPTION",
        "lever": _num(1.0 / q.mark_coin if q.mark_coin > 1e-6 else 0.0, 2),
        "markVol": _num(q.mark_iv, 6),
        "realVol": "0",  # documented as "not currently used"
        "theta": _num(q.theta / q.forward, 10),
        "thetaBS": _num(q.theta, 6),
        "ts": _ts(now),
        "uly": inst.family,
        "vega": _num(q.vega / q.forward, 12),
        "vegaBS": _num(q.vega, 6),
        "volLv": _num(ctx.market.atm_iv(inst.asset, now, years), 6),
    }


async def opt_summary(ctx: SimContext, request: web.Request) -> object:
    family = _family(request)
    if not family:
        raise _need_family()
    exp = request.query.get("expTime", "")
    if exp and not re.fullmatch(r"\d{6}", exp):
        raise _bad("expTime")
    now = ctx.clock.now()
    insts = [i for i in _listed(ctx, now, "OPTION", family) if not exp or i.expiry.strftime("%y%m%d") == exp]
    return _ok([_summary_row(ctx, i, now) for i in insts])


# --- candles ------------------------------------------------------------------------------------------
def _flow_candle(ctx: SimContext, inst: Inst, open_: datetime, close: datetime) -> flow.Candle | None:
    """The shared order flow's candle of the asset's perpetual for one whole bar."""
    minutes = int((close - open_) / MINUTE)
    got = flow.candles(ctx.market, VENUE, inst.swap_id, minutes, open_, open_ + timedelta(seconds=1))
    return got[0] if got else None


def _candle_prices(ctx: SimContext, inst: Inst, bar: Bar, open_: datetime, now: datetime):
    """(open, high, low, close, coin volume, confirmed) of one bar. A finished bar is the flow's candle;
    the open bar uses only prices up to `now`, with the previous bar's volume pro rata."""
    m, close = ctx.market, bar.shift(open_, 1)
    if close <= now:
        full = _flow_candle(ctx, inst, open_, close)
        o, h, lo, c, volume, done = full.open, full.high, full.low, full.close, full.volume, True
    else:
        grid = [open_ + i * timedelta(minutes=5) for i in range(int((now - open_) / timedelta(minutes=5)) + 1)]
        marks = [m.mark_price(VENUE, inst.swap_id, t) for t in [*grid, now]]
        o, h, lo, c, done = marks[0], max(marks), min(marks), marks[-1], False
        previous = _flow_candle(ctx, inst, bar.shift(open_, -1), open_) if m.covers(bar.shift(open_, -1)) else None
        volume = float(previous.volume) * ((now - open_) / (close - open_)) if previous else 0.0
    if inst.inst_type != "SWAP":  # other products follow the perpetual's path at their own level
        end = min(close, now)
        r_open = _price(ctx, inst, open_) / m.mark_price(VENUE, inst.swap_id, open_)
        r_close = _price(ctx, inst, end) / m.mark_price(VENUE, inst.swap_id, end)
        o, h, lo, c = o * r_open, h * max(r_open, r_close), lo * min(r_open, r_close), c * r_close
        volume *= {"SPOT": 0.45}.get(inst.inst_type) or _futures_share(inst)
    return o, h, lo, c, volume, done


def _candle_row(ctx: SimContext, inst: Inst, bar: Bar, open_: datetime, now: datetime) -> list[str]:
    o, h, lo, c, coin, done = _candle_prices(ctx, inst, bar, open_, now)
    typical = (h + lo + c) / 3
    if inst.inst_type == "SPOT":  # spot: vol in base, volCcy and volCcyQuote in quote
        vols = [_num(coin, 8), _num(coin * typical, 4), _num(coin * typical, 4)]
    elif inst.ct_type == "inverse":  # inverse: vol in contracts, volCcy in coin, volCcyQuote in USD
        contracts = round(coin * typical / inst.ct_val)
        vols = [str(contracts), _num(coin, 8), _num(contracts * inst.ct_val, 2)]
    else:  # linear: vol in contracts, volCcy in coin, volCcyQuote in USDT
        vols = [_num(coin / inst.ct_val, 2), _num(coin, 8), _num(coin * typical, 5)]
    prices = [_px(x, inst.tick) for x in (o, h, lo, c)]
    return [_ts(open_), *prices, *vols, "1" if done else "0"]


def _candles(ctx: SimContext, request: web.Request, maximum: int, recent_only: bool) -> object:
    inst_id = request.query.get("instId", "")
    if not inst_id:
        raise _missing("instId")
    bar = _bar_param(request, "bar", CANDLE_BARS, "1m")
    limit = _limit(request, 100, maximum)
    before, after = _ms_param(request, "before"), _ms_param(request, "after")
    m, now = ctx.market, ctx.clock.now()
    inst = _find(ctx, inst_id, now, ("SPOT", "SWAP", "FUTURES", "OPTION"))
    if inst.inst_type == "OPTION":
        return _ok([])  # option candles are not modelled
    newest = bar.floor(now)
    oldest = _first_open(bar, m.start)
    if recent_only:  # market/candles serves the latest 1,440 bars; older ones come from history-candles
        oldest = max(oldest, bar.shift(newest, -(STATS_ENTRIES - 1)))
    if inst.expiry is not None:
        oldest = max(oldest, bar.floor(inst.list_time))
    opens = _opens(bar, newest, oldest, before, after, limit)
    return _ok([_candle_row(ctx, inst, bar, t, now) for t in opens])


async def candles(ctx: SimContext, request: web.Request) -> object:
    return _candles(ctx, request, 300, recent_only=True)


async def history_candles(ctx: SimContext, request: web.Request) -> object:
    return _candles(ctx, request, 100, recent_only=False)


# --- websocket: /ws/v5/public, channel liquidation-orders ------------------------------------------------
LIQ_TYPES = ("SWAP", "FUTURES", "MARGIN", "OPTION")


def _conn_id(conn: ws.Connection) -> str:
    return hashlib.sha256(f"okx-conn:{conn.id}".encode()).hexdigest()[:8]


async def _ws_error(conn: ws.Connection, code: str, msg: str) -> None:
    await conn.send({"event": "error", "code": code, "msg": msg, "connId": _conn_id(conn)})


async def _ws_request(conn: ws.Connection, text: str, subs: list[dict]) -> None:
    """Handle one client message: the literal `ping`, or a subscribe/unsubscribe request."""
    if text == "ping":
        await conn.send("pong")
        return
    try:
        msg = json.loads(text)
    except ValueError:
        msg = None
    args = msg.get("args") if isinstance(msg, dict) else None
    if not isinstance(msg, dict) or msg.get("op") not in ("subscribe", "unsubscribe") or not args:
        await _ws_error(conn, "60012", f"Invalid request: {text}")
        return
    for arg in args if isinstance(args, list) else [args]:
        if (
            not isinstance(arg, dict)
            or arg.get("channel") != "liquidation-orders"
            or arg.get("instType") not in LIQ_TYPES
        ):
            channel, inst_type = (arg.get("channel"), arg.get("instType")) if isinstance(arg, dict) else (arg, None)
            await _ws_error(conn, "60018", f"Wrong URL or channel:{channel},instType:{inst_type} doesn't exist.")
            continue
        arg = {"channel": "liquidation-orders", "instType": arg["instType"]}
        if msg["op"] == "subscribe" and arg not in subs:
            subs.append(arg)
        elif msg["op"] == "unsubscribe" and arg in subs:
            subs.remove(arg)
        await conn.send({"event": msg["op"], "arg": arg, "connId": _conn_id(conn)})


async def ws_public(ctx: SimContext, request: web.Request) -> web.WebSocketResponse:
    """OKX's public websocket: each liquidation order of the shared tape is pushed as the clock passes it,
    one order per message, in the same shape as the REST details."""
    subs: list[dict] = []

    async def on_message(conn: ws.Connection, text: str) -> None:
        await _ws_request(conn, text, subs)

    async def pump(conn: ws.Connection, start: datetime, end: datetime) -> None:
        wanted = [a for a in subs if a["instType"] == "SWAP"]
        if not wanted:
            return
        for inst, event in _liquidations(ctx, start, end):
            entry = _liq_entry(inst, [_liq_detail(inst, event, ctx.market.seed)])
            for arg in wanted:
                await conn.send({"arg": arg, "data": [entry]})

    return await ws.serve(ctx, request, VENUE, on_message, pump)


# --- limits -------------------------------------------------------------------------------------------
# Requests per 2 s and the parameter OKX keys the limit on besides the IP (docs-v5 "Rate limit rule").
LIMITS: dict[str, tuple[int, str | None]] = {
    "instruments": (20, "instType"),
    "funding-rate": (10, "instId"),
    "funding-rate-history": (10, "instId"),
    "mark-price": (10, "instId"),
    "open-interest": (20, "instId"),
    "opt-summary": (20, "instFamily"),
    "liquidation-orders": (40, None),  # not in docs-v5; gocryptotrader's table
    "index-tickers": (20, None),
    "tickers": (20, None),
    "ticker": (20, None),
    "candles": (40, None),
    "history-candles": (20, None),
    "open-interest-history": (10, "instId"),
    "long-short-account-ratio-contract": (5, "instId"),
    "long-short-account-ratio": (5, None),
}


class _EndpointBuckets(dict):
    """Buckets created on first use, one per endpoint and rule key (e.g. `funding-rate:BTC-USDT-SWAP`)."""

    def __init__(self, overrides: dict):
        super().__init__()
        self.overrides = overrides

    def __missing__(self, key: str) -> Bucket:
        endpoint = key.split(":", 1)[0]
        o = self.overrides
        limit = int(o.get(f"{endpoint}_limit", o.get("limit", LIMITS[endpoint][0])))
        window = float(o.get(f"{endpoint}_window_s", o.get("window_s", 2.0)))
        bucket = self[key] = Bucket(key, limit, window)
        return bucket


def make_limiter(overrides: dict) -> VenueLimiter:
    """Per-endpoint windows. Tests shrink them with {"okx": {"limit": N, "window_s": S}} or per endpoint
    ({"okx": {"funding-rate_limit": N}}). OKX does not escalate to bans, so strikes never ban."""
    return VenueLimiter(buckets=_EndpointBuckets(dict(overrides.get(VENUE, {}))), ban_after_strikes=10**9)


def refusal(decision: Decision, limiter: VenueLimiter, now: float) -> web.Response:
    body = {"code": "50011", "data": [], "msg": RATE_LIMIT_MSG}
    return web.Response(status=429, text=json.dumps(body, separators=(",", ":")), content_type="application/json")


def _costs(endpoint: str) -> Callable[[web.Request], dict[str, float]]:
    key_param = LIMITS[endpoint][1]

    def costs(request: web.Request) -> dict[str, float]:
        key = request.query.get(key_param, "") if key_param else ""
        if key_param == "instFamily":
            key = _family(request) or ""
        return {f"{endpoint}:{key}": 1}

    return costs


def _route(path: str, handler) -> Route:
    return Route(f"/api/v5/{path}", handler, _costs(path.rsplit("/", 1)[-1]))


def _symbol_error() -> tuple[int, object]:
    return 200, {"code": "51001", "data": [], "msg": "Instrument ID does not exist"}


SIMS = [
    VenueSim(
        venue=VENUE,
        host=HOST,
        routes=[
            _route("public/instruments", instruments),
            _route("public/funding-rate", funding_rate),
            _route("public/funding-rate-history", funding_rate_history),
            _route("public/mark-price", mark_price),
            _route("public/open-interest", open_interest),
            _route("public/opt-summary", opt_summary),
            _route("public/liquidation-orders", liquidation_orders),
            _route("market/index-tickers", index_tickers),
            _route("market/tickers", tickers),
            _route("market/ticker", ticker),
            _route("market/candles", candles),
            _route("market/history-candles", history_candles),
            _route("rubik/stat/contracts/open-interest-history", open_interest_history),
            _route("rubik/stat/contracts/long-short-account-ratio-contract", long_short_contract),
            _route("rubik/stat/contracts/long-short-account-ratio", long_short_ccy),
        ],
        make_limiter=make_limiter,
        refusal=refusal,
        symbol_error=_symbol_error,
    ),
    VenueSim(
        venue=VENUE,
        host=WS_HOST,
        routes=[],
        make_limiter=make_limiter,
        refusal=refusal,
        symbol_error=_symbol_error,
        websockets=[WsRoute("/ws/v5/public", ws_public)],
    ),
]
