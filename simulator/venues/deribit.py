"""Deribit v2 public REST as Deribit sends it: JSON-RPC envelopes stamped in microseconds, inverse BTC/ETH
instruments counted in USD with coin-priced options (IV in percent), linear SOL_USDC instruments priced in
USDC, hourly funding history, DVOL candles paged by `continuation`, public trades carrying `liquidation`
and block-trade fields, and a credit pool that answers 10028 `too_many_requests` and drops the connection.

Every number comes from the shared market: perpetual trades from flow.trades, option quotes from
options.chain. What the market does not have (option and dated-future trades, dated-future open interest,
realised volatility, Deribit's dampened hourly funding) is derived here from market series, deterministically.
Where Deribit's documentation is silent, the comment says the detail is an informed guess.
"""

from __future__ import annotations

import functools
import hashlib
import json
import math
import re
import time
import zlib
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import numpy as np
from aiohttp import web

from simulator import catalog, flow, options
from simulator.calibration import CLAMP_8H
from simulator.context import Route, SimContext, VenueError, VenueSim
from simulator.limits import Decision, VenueLimiter

VENUE = "deribit"
HOST = "www.deribit.com"
API = "/api/v2/public"
HOUR = timedelta(hours=1)
DAY = timedelta(days=1)
MONTHS = ("JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC")
PERPETUAL_EXPIRY_MS = 32503708800000  # Deribit's "never": 3000-01-01
MAX_TRADES = 1000
MAX_FUNDING_ROWS = 744  # 31 days of hourly rows, as ccxt observed
MAX_DVOL_CANDLES = 1000  # informed guess: the page size behind `continuation`
RECENT_TRADES = DAY  # get_last_trades_by_currency without a start looks back this far
OPTION_TRADES_PER_HOUR = 240  # per underlying: sizes are scaled so the hour's volume matches the chain
FUTURE_TRADES_PER_HOUR = 6  # per dated future
DATED_FUTURE_OI_SHARE = (0.30, 0.12, 0.05)  # of the perpetual's OI, nearest quarterly first (informed guess)
RECENTLY_EXPIRED = timedelta(days=7)  # how far back `expired=true` lists (informed guess)


# --- instruments ------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class _Spec:
    """Contract facts of one instrument family, as get_instruments reports them."""

    tick: float
    contract: float  # USD per contract (inverse futures) or coin per contract (linear, options)
    min_amount: float
    block_min: float
    max_leverage: int
    maker: float
    taker: float
    tick_steps: tuple[tuple[float, float], ...] = ()  # (above_price, tick_size)


@dataclass(frozen=True)
class _Underlying:
    """One asset as Deribit lists it: BTC and ETH are inverse (coin-settled), SOL is linear USDC."""

    asset: str
    prefix: str  # instrument-name root: BTC, ETH, SOL_USDC
    linear: bool
    index_name: str
    decimals: int  # index and mark price rounding
    perp_created_ms: int  # real creation stamps from the 2021-2022 recordings
    perp: _Spec
    option: _Spec

    @property
    def perp_name(self) -> str:
        return f"{self.prefix}-PERPETUAL"

    @property
    def quote(self) -> str:
        return "USDC" if self.linear else "USD"

    @property
    def settlement(self) -> str:
        return "USDC" if self.linear else self.asset


# ETH-PERPETUAL is 1 USD a contract and SOL_USDC-PERPETUAL 0.1 SOL in the real listings (catalog.py says 10 and 1).
_INVERSE_OPTION_STEPS = ((0.005, 0.0005),)  # option tick 0.0001 below 0.005 coin, 0.0005 above
# _Spec(tick, contract, min_amount, block_min, max_leverage, maker, taker, tick_steps)
UNDERLYINGS: dict[str, _Underlying] = {
    "BTC": _Underlying(
        asset="BTC",
        prefix="BTC",
        linear=False,
        index_name="btc_usd",
        decimals=2,
        perp_created_ms=1534242287000,
        perp=_Spec(0.5, 10.0, 10.0, 200_000.0, 50, 0.0, 0.0005),
        option=_Spec(0.0001, 1.0, 0.1, 25.0, 1, 0.0003, 0.0003, _INVERSE_OPTION_STEPS),
    ),
    "ETH": _Underlying(
        asset="ETH",
        prefix="ETH",
        linear=False,
        index_name="eth_usd",
        decimals=2,
        perp_created_ms=1552568454000,
        perp=_Spec(0.05, 1.0, 1.0, 100_000.0, 50, 0.0, 0.0005),
        option=_Spec(0.0001, 1.0, 1.0, 250.0, 1, 0.0003, 0.0003, _INVERSE_OPTION_STEPS),
    ),
    "SOL": _Underlying(
        asset="SOL",
        prefix="SOL_USDC",
        linear=True,
        index_name="sol_usdc",
        decimals=4,
        perp_created_ms=1647349200000,
        perp=_Spec(0.01, 0.1, 0.1, 1_000.0, 25, 0.0, 0.0005),
        option=_Spec(0.01, 1.0, 1.0, 2_500.0, 1, 0.0003, 0.0003),
    ),
}
# The `currency` a client asks with, and the underlyings settled in it (USDT and EURR list only spot here).
CURRENCIES = {"BTC": ("BTC",), "ETH": ("ETH",), "USDC": ("SOL",), "USDT": (), "EURR": ()}
INDEX_NAMES = {
    "btc_usd": "BTC",
    "btc_usdc": "BTC",
    "eth_usd": "ETH",
    "eth_usdc": "ETH",
    "sol_usd": "SOL",
    "sol_usdc": "SOL",
}
DVOL_INDEX_NAMES = {"btcdvol_usdc": "BTC", "ethdvol_usdc": "ETH"}
DVOL_ASSETS = ("BTC", "ETH")  # Deribit publishes DVOL for BTC and ETH only
DVOL_RESOLUTIONS = {"1": 1, "60": 60, "3600": 3600, "43200": 43200, "1D": 86400}
KINDS = ("future", "option", "spot", "future_combo", "option_combo")
TRADE_KINDS = (*KINDS, "combo", "any")
_NAME = re.compile(
    r"^(?P<root>[A-Z]+(?:_USDC)?)-(?:(?P<perp>PERPETUAL)|(?P<exp>\d{1,2}[A-Z]{3}\d{2})"
    r"(?:-(?P<strike>\d+(?:d\d+)?)-(?P<cp>[CP]))?)$"
)


@dataclass(frozen=True)
class _Inst:
    und: _Underlying
    kind: str  # "future" or "option"
    expiry: datetime | None = None  # None: the perpetual
    strike: float = 0.0
    is_call: bool = True

    @property
    def name(self) -> str:
        if self.expiry is None:
            return self.und.perp_name
        base = f"{self.und.prefix}-{_expiry_code(self.expiry)}"
        if self.kind == "future":
            return base
        return f"{base}-{_strike_code(self.strike)}-{'C' if self.is_call else 'P'}"


def _expiry_code(t: datetime) -> str:
    """Deribit writes expiries without a leading zero: 5JUN26, 27MAR26."""
    return f"{t.day}{MONTHS[t.month - 1]}{t:%y}"


def _parse_expiry(code: str) -> datetime | None:
    m = re.match(r"^(\d{1,2})([A-Z]{3})(\d{2})$", code)
    if not m or m.group(2) not in MONTHS:
        return None
    try:
        return datetime(2000 + int(m.group(3)), MONTHS.index(m.group(2)) + 1, int(m.group(1)), 8, tzinfo=UTC)
    except ValueError:
        return None


def _strike_code(strike: float) -> str:
    """Fractional strikes use `d` for the decimal point (SOL_USDC-27MAR26-142d5-C)."""
    if strike == int(strike):
        return str(int(strike))
    return f"{strike:.6f}".rstrip("0").replace(".", "d")


def _futures(und: _Underlying, t: datetime) -> list[_Inst]:
    """Dated futures are inverse only; the SOL_USDC family lists just the perpetual."""
    return [] if und.linear else [_Inst(und, "future", e) for e in catalog.future_expiries(t)]


def _option_quotes(market, und: _Underlying, t: datetime, expiries=None) -> list[tuple[_Inst, options.OptionQuote]]:
    return [
        (_Inst(und, "option", q.expiry, q.strike, q.is_call), q)
        for q in options.chain(market, VENUE, und.asset, t, expiries)
    ]


def _settlement_period(expiry: datetime | None) -> str:
    if expiry is None:
        return "perpetual"
    return "month" if expiry == catalog.last_friday(expiry.year, expiry.month) else "week"


def _created_ms(inst: _Inst) -> int:
    """Listing time: weeklies about five weeks before expiry, monthlies three months, quarterlies a year."""
    if inst.expiry is None:
        return inst.und.perp_created_ms
    quarterly = inst.expiry.month in (3, 6, 9, 12) and _settlement_period(inst.expiry) == "month"
    if inst.kind == "future":
        days = 340
    else:
        days = 370 if quarterly else 95 if _settlement_period(inst.expiry) == "month" else 35
    return _ms(inst.expiry - timedelta(days=days))


def _instrument_id(name: str) -> int:
    return 100_000 + zlib.crc32(name.encode()) % 400_000


def _instrument_row(inst: _Inst, active: bool) -> dict:
    und, option = inst.und, inst.kind == "option"
    spec = und.option if option else und.perp
    row = {
        "price_index": und.index_name,
        "kind": inst.kind,
        "instrument_name": inst.name,
        "max_leverage": spec.max_leverage,
        "maker_commission": spec.maker,
        "taker_commission": spec.taker,
        "instrument_type": "linear" if und.linear else "reversed",
        "expiration_timestamp": PERPETUAL_EXPIRY_MS if inst.expiry is None else _ms(inst.expiry),
        "creation_timestamp": _created_ms(inst),
        "is_active": active,
        "tick_size": spec.tick,
        "contract_size": spec.contract,
        "instrument_id": _instrument_id(inst.name),
        "min_trade_amount": spec.min_amount,
        "max_liquidation_commission": 0.0075,
        "block_trade_commission": 0.00015 if option else 0.00025,
        "block_trade_min_trade_amount": spec.block_min,
        "block_trade_tick_size": 0.0001 if option else 0.01,
        "settlement_currency": und.settlement,
        "settlement_period": _settlement_period(inst.expiry),
        "base_currency": und.asset,
        "counter_currency": und.quote,
        # Inverse options are quoted in the coin, inverse futures in USD; linear ones in USDC.
        "quote_currency": und.asset if option and not und.linear else und.quote,
        "tick_size_steps": [{"above_price": above, "tick_size": tick} for above, tick in spec.tick_steps],
    }
    if option:
        row["option_type"] = "call" if inst.is_call else "put"
        row["strike"] = float(inst.strike)
    else:
        row["future_type"] = "linear" if und.linear else "reversed"
    return row


# --- envelope, errors, parameters -------------------------------------------------------------------------
class _RpcError(Exception):
    """A JSON-RPC error body; Deribit answers these over HTTP 400."""

    def __init__(self, error: dict):
        super().__init__(error.get("message"))
        self.error = error


def _invalid(param: str, reason: str = "wrong format") -> _RpcError:
    return _RpcError({"message": "Invalid params", "data": {"reason": reason, "param": param}, "code": -32602})


def _not_found() -> _RpcError:
    return _RpcError({"message": "not_found", "code": 13020})


def _envelope(key: str, value: object, us_in: int, us_out: int) -> dict:
    """Deribit's HTTP envelope: no `id` unless the client sent one, µs stamps, the testnet flag."""
    return {"jsonrpc": "2.0", key: value, "usIn": us_in, "usOut": us_out, "usDiff": us_out - us_in, "testnet": False}


def _wall_us() -> int:
    return int(time.time() * 1_000_000)


def _rpc(method: Callable[[SimContext, web.Request], object]):
    """Run a public method and wrap its result (or error) in the envelope, stamped on the market clock."""

    async def handle(ctx: SimContext, request: web.Request) -> object:
        us_in = int(ctx.clock.now().timestamp() * 1_000_000)
        started = time.perf_counter()
        try:
            result = method(ctx, request)
        except _RpcError as err:
            us_out = us_in + int((time.perf_counter() - started) * 1_000_000)
            raise VenueError(400, _envelope("error", err.error, us_in, us_out)) from None
        return _envelope("result", result, us_in, us_in + int((time.perf_counter() - started) * 1_000_000))

    return handle


def _param(request: web.Request, name: str, required: bool = False) -> str | None:
    # Informed guess: Deribit's reason for a missing parameter is not documented.
    value = request.query.get(name)
    if value is None or value == "":
        if required:
            raise _invalid(name, "required")
        return None
    return value


def _int_param(request: web.Request, name: str, required: bool = False) -> int | None:
    raw = _param(request, name, required)
    if raw is None:
        return None
    if not re.fullmatch(r"[0-9]{1,16}", raw):
        raise _invalid(name)
    return int(raw)


def _choice(request: web.Request, name: str, allowed, required: bool = False, upper: bool = False) -> str | None:
    raw = _param(request, name, required)
    if raw is None:
        return None
    value = raw.upper() if upper else raw
    if value not in allowed:
        raise _invalid(name)
    return value


def _bool_param(request: web.Request, name: str) -> bool:
    return _choice(request, name, ("true", "false")) == "true"


def _count(request: web.Request, default: int = 10) -> int:
    count = _int_param(request, "count")
    if count is None:
        return default
    if not 1 <= count <= MAX_TRADES:
        raise _invalid("count")
    return count


def _currency(request: web.Request, allow_any: bool = False) -> tuple[_Underlying, ...] | None:
    """The settlement currency (case-insensitive here; Deribit's own spelling is upper case); None means any."""
    allowed = (*CURRENCIES, "ANY") if allow_any else tuple(CURRENCIES)
    currency = _choice(request, "currency", allowed, required=True, upper=True)
    if currency == "ANY":
        return None
    return tuple(UNDERLYINGS[a] for a in CURRENCIES[currency])


def _resolve(ctx: SimContext, name: str | None, t: datetime) -> tuple[_Inst, options.OptionQuote | None]:
    """An instrument listed at `t` by name: -32602 when the name is malformed, 13020 when nothing has it."""
    m = _NAME.match(name or "")
    if not m:
        raise _invalid("instrument_name")
    und = next((u for u in UNDERLYINGS.values() if u.prefix == m.group("root")), None)
    if und is None:
        raise _not_found()
    if m.group("perp"):
        return _Inst(und, "future"), None
    expiry = _parse_expiry(m.group("exp"))
    if expiry is None:
        raise _invalid("instrument_name")
    if m.group("cp") is None:
        if expiry not in catalog.future_expiries(t) or und.linear:
            raise _not_found()
        return _Inst(und, "future", expiry), None
    if expiry not in catalog.option_expiries(t):
        raise _not_found()
    strike = float(m.group("strike").replace("d", "."))
    for inst, quote in _option_quotes(ctx.market, und, t, [expiry]):
        if inst.strike == strike and inst.is_call == (m.group("cp") == "C"):
            return inst, quote
    raise _not_found()


# --- numbers ----------------------------------------------------------------------------------------------
def _ms(t: datetime) -> int:
    return int(t.timestamp() * 1000)


def _from_ms(ms: int) -> datetime:
    return datetime.fromtimestamp(ms / 1000, tz=UTC)


def _hour_floor(t: datetime) -> datetime:
    return t.replace(minute=0, second=0, microsecond=0)


def _unit(*parts: object) -> float:
    """A deterministic number in [0, 1) from the parts."""
    digest = hashlib.sha256(":".join(str(p) for p in parts).encode()).digest()
    return int.from_bytes(digest[:8], "big") / 2**64


def _rng(*parts: object) -> np.random.Generator:
    digest = hashlib.sha256(":".join(str(p) for p in parts).encode()).digest()
    return np.random.default_rng(int.from_bytes(digest[:8], "big"))


def _to_tick(price: float, tick: float, mode: str = "nearest") -> float:
    steps = price / tick
    n = math.floor(steps + 1e-9) if mode == "down" else math.ceil(steps - 1e-9) if mode == "up" else round(steps)
    return round(n * tick, 10)


def _option_tick(und: _Underlying, price: float) -> float:
    tick = und.option.tick
    for above, step in und.option.tick_steps:
        if price > above:
            tick = step
    return tick


def _lot(amount: float, step: float) -> float:
    """Amounts are whole multiples of the minimum trade amount, never below it."""
    return round(max(1, round(amount / step)) * step, 6)


def _last_settlement(now: datetime) -> datetime:
    """Deribit settles daily at 08:00 UTC."""
    t = now.replace(hour=8, minute=0, second=0, microsecond=0)
    return t if t <= now else t - DAY


def _clip(ctx: SimContext, start: datetime, end: datetime) -> tuple[datetime, datetime]:
    """A window inside the simulated history and never past the market clock."""
    m = ctx.market
    return max(start, m.start + HOUR), min(end, ctx.clock.now(), m.start + (m.hours - 3) * HOUR)


# --- funding ----------------------------------------------------------------------------------------------
def _dampened(premium: float) -> float:
    """Deribit's funding: the premium beyond a +-0.05 % dampener (the same rule market.py applies for 8 h)."""
    return max(0.0, premium - CLAMP_8H) + min(0.0, premium + CLAMP_8H)


def _interest_1h(market, symbol: str, hour: datetime) -> float:
    """Funding paid over the hour ending at `hour`: the dampened 8 h-scale rate of that hour, over 8."""
    return _dampened(market.mean_premium(VENUE, symbol, hour - HOUR, hour)) / 8.0


@functools.lru_cache(maxsize=8)
def _cumulative_interest(market, symbol: str) -> np.ndarray:
    """Running sum of hourly funding from the start of the history: the index behind `interest_value`."""
    hours = [market.start + i * HOUR for i in range(1, market.hours - 2)]
    return np.concatenate([[0.0], np.cumsum([_interest_1h(market, symbol, h) for h in hours])])


def _interest_value(market, symbol: str, now: datetime) -> float:
    cum = _cumulative_interest(market, symbol)
    pos = (now - market.start) / HOUR
    i = min(int(pos), len(cum) - 2)
    return float(cum[i] + (cum[i + 1] - cum[i]) * (pos - i))


# --- trades -----------------------------------------------------------------------------------------------
@dataclass
class _Fill:
    """One trade before Deribit numbering (trade_id, trade_seq, tick_direction) is given."""

    time: datetime
    name: str
    price: float
    amount: float
    contracts: float
    buy: bool
    index_price: float
    mark_price: float
    extra: dict


def _liquidation_side(seed: int, key: str) -> str:
    """Liquidation engine orders mostly take liquidity ("T"); sometimes a resting order of the liquidated
    account is hit ("M"), rarely both sides are in liquidation ("MT"). Shares are an informed guess."""
    u = _unit(seed, "deribit-liquidation", key)
    return "T" if u < 0.8 else "M" if u < 0.95 else "MT"


def _block_id(ms: int, k: int) -> str:
    return str((ms // 1000) % 10**8 * 100 + k)


def _perp_fill(market, und: _Underlying, tr: flow.Trade) -> _Fill:
    """A flow trade in Deribit units: USD contracts for inverse perps, coin lots for linear ones."""
    spec = und.perp
    price = _to_tick(tr.price, spec.tick)
    if und.linear:
        amount = _lot(tr.qty, spec.min_amount)
        contracts, usd = round(amount / spec.contract, 6), amount * price
    else:
        contracts = float(max(1, round(tr.qty * price / spec.contract)))
        amount = usd = contracts * spec.contract
    buy, extra = tr.taker_buy, {}
    if tr.liquidation:
        side = _liquidation_side(market.seed, tr.trade_id)
        extra["liquidation"] = side
        if side == "M":
            buy = not buy  # the liquidated order was resting: the taker traded the other way
    elif usd >= spec.block_min and _unit(market.seed, "deribit-block", tr.trade_id) < 0.3:
        extra = {"block_trade_id": _block_id(_ms(tr.time), 0), "block_trade_leg_count": 1}
    index = market.price(und.asset, tr.time)
    mark = market.mark_price(VENUE, und.perp_name, tr.time)
    return _Fill(tr.time, und.perp_name, price, amount, contracts, buy, index, mark, extra)


def _dated_future_fills(market, und: _Underlying, hour: datetime) -> list[_Fill]:
    """Dated futures have no flow in the market: a few trades an hour around the basis-implied price."""
    out = []
    for inst in _futures(und, hour):
        rng = _rng(market.seed, "deribit-future-trades", inst.name, hour.isoformat())
        n = int(rng.poisson(FUTURE_TRADES_PER_HOUR))
        for offset in np.sort(rng.random(n)) * 3600:
            t = hour + timedelta(seconds=float(offset))
            mark = market.future_price(und.asset, inst.expiry, t)
            price = _to_tick(mark * (1 + rng.normal(0, 0.0002)), und.perp.tick)
            contracts = float(max(1, round(np.exp(rng.normal(np.log(20_000), 1.2)) / und.perp.contract)))
            buy, index = bool(rng.random() < 0.5), market.price(und.asset, t)
            out.append(_Fill(t, inst.name, price, contracts * und.perp.contract, contracts, buy, index, mark, {}))
    return out


def _option_fill(market, und: _Underlying, q: options.OptionQuote, t: datetime, amount: float, buy: bool, shift: float):
    """An option trade at `t`: the hour's quote moved by delta with the underlying, paid `shift` vol points
    over the mark; prices in coin for inverse options, USDC for linear ones."""
    index = market.price(und.asset, t)
    forward = q.forward * index / q.index_price
    mark_usd = max(0.0, q.mark_usd + q.delta * (forward - q.forward))
    unit = 1.0 if und.linear else index
    paid = max(mark_usd + q.vega * shift, 0.0) / unit
    price = max(_to_tick(paid, _option_tick(und, paid)), und.option.tick)
    inst = _Inst(und, "option", q.expiry, q.strike, q.is_call)
    extra = {"iv": round(q.mark_iv * 100 + shift, 2)}
    return _Fill(t, inst.name, price, amount, amount, buy, index, mark_usd / unit, extra)


def _block_partner(quotes: list[options.OptionQuote], q: options.OptionQuote) -> options.OptionQuote | None:
    """The second leg of a two-leg block: the next strike of the same expiry and type (a spread)."""
    same = sorted((o for o in quotes if o.expiry == q.expiry and o.is_call == q.is_call), key=lambda o: o.strike)
    higher = [o for o in same if o.strike > q.strike]
    lower = [o for o in same if o.strike < q.strike]
    return higher[0] if higher else lower[-1] if lower else None


def _option_fills(market, und: _Underlying, hour: datetime) -> list[_Fill]:
    """The hour's option trades across the chain, drawn by each strike's share of the chain's volume, with
    lognormal sizes (the large ones become block trades, some as two-leg spreads)."""
    quotes = [q for q in options.chain(market, VENUE, und.asset, hour) if q.volume_24h > 0]
    if not quotes:
        return []
    rng = _rng(market.seed, "deribit-option-trades", und.prefix, hour.isoformat())
    weights = np.array([q.volume_24h for q in quotes])
    n = int(rng.poisson(OPTION_TRADES_PER_HOUR))
    picks = rng.choice(len(quotes), size=n, p=weights / weights.sum())
    offsets = np.sort(rng.random(n)) * 3600
    sizes = weights.sum() / 24 / OPTION_TRADES_PER_HOUR * rng.lognormal(-0.72, 1.2, n)  # mean 1
    shifts, buys, blocks = rng.normal(0, 0.6, n), rng.random(n) < 0.5, rng.random(n)
    out = []
    for j in range(n):
        q, t = quotes[picks[j]], hour + timedelta(seconds=float(offsets[j]))
        amount = _lot(float(sizes[j]), und.option.min_amount)
        legs = [_option_fill(market, und, q, t, amount, bool(buys[j]), float(shifts[j]))]
        if amount >= und.option.block_min and blocks[j] < 0.5:
            partner = _block_partner(quotes, q) if blocks[j] < 0.2 else None
            if partner is not None:
                legs.append(_option_fill(market, und, partner, t, amount, not buys[j], float(shifts[j])))
            for leg in legs:
                leg.extra.update(block_trade_id=_block_id(_ms(t), 1 + j % 98), block_trade_leg_count=len(legs))
        out.extend(legs)
    return out


def _number(fills: list[_Fill], und: _Underlying, hour: datetime, id_offset: int) -> tuple[dict, ...]:
    """Deribit numbering for one hour of one family: trade_seq per instrument, trade_id per currency (the ms
    stamp times 100 plus a slot, prefixed for ETH and USDC trades), tick_direction against the last print."""
    fills.sort(key=lambda f: (f.time, f.name))
    hour_no = int(hour.timestamp()) // 3600
    seq: Counter = Counter()
    same_ms: Counter = Counter()
    last: dict[str, tuple[float, int]] = {}
    prefix = "" if und.prefix == "BTC" else f"{und.prefix}-"
    price_decimals = und.decimals
    out = []
    for f in fills:
        ms = _ms(f.time)
        slot = same_ms[ms] % 50
        same_ms[ms] += 1
        seq[f.name] += 1
        prev_price, prev_dir = last.get(f.name, (f.mark_price, 0))
        direction = 0 if f.price > prev_price else 2 if f.price < prev_price else (1 if prev_dir in (0, 1) else 3)
        last[f.name] = (f.price, direction)
        option = "iv" in f.extra
        out.append(
            {
                "timestamp": ms,
                "price": f.price,
                "amount": f.amount,
                "direction": "buy" if f.buy else "sell",
                "index_price": round(f.index_price, price_decimals),
                "instrument_name": f.name,
                "trade_seq": hour_no * 10_000 + seq[f.name],
                "mark_price": round(f.mark_price, 8 if option else price_decimals),
                "tick_direction": direction,
                "contracts": f.contracts,
                "trade_id": f"{prefix}{ms * 100 + id_offset + slot}",
                **f.extra,
            }
        )
    return tuple(out)


def _covered(market, hour: datetime) -> bool:
    return market.covers(hour) and market.covers(hour + HOUR)


# Bounded caches: an hour of option trades is a few hundred kB; a day of every currency fits comfortably.
@functools.lru_cache(maxsize=600)
def _future_hour(market, asset: str, hour: datetime) -> tuple[dict, ...]:
    """Perpetual (flow.trades, with its liquidations) and dated-future trades of one underlying in one hour."""
    und = UNDERLYINGS[asset]
    if not _covered(market, hour):
        return ()
    fills = [_perp_fill(market, und, tr) for tr in flow.trades(market, VENUE, und.perp_name, hour, hour + HOUR)]
    return _number(fills + _dated_future_fills(market, und, hour), und, hour, 0)


@functools.lru_cache(maxsize=200)
def _option_hour(market, asset: str, hour: datetime) -> tuple[dict, ...]:
    und = UNDERLYINGS[asset]
    if not _covered(market, hour):
        return ()
    return _number(_option_fills(market, und, hour), und, hour, 50)


def _hour_trades(market, unds, kinds: set[str], hour: datetime) -> list[dict]:
    out: list[dict] = []
    for und in unds:
        if "future" in kinds:
            out.extend(_future_hour(market, und.asset, hour))
        if "option" in kinds:
            out.extend(_option_hour(market, und.asset, hour))
    return out


def _trade_kinds(kind: str | None) -> set[str]:
    """`kind` absent or `any` means every kind; spot and combos have no simulated trades."""
    if kind in (None, "any"):
        return {"future", "option"}
    return {kind} & {"future", "option"}


def _select_trades(
    ctx: SimContext, unds, kinds: set[str], lo: datetime, hi: datetime, count: int, ascending: bool, keep=None
) -> dict:
    """Trades stamped in [lo, hi]: the first `count` from the start when ascending, else the last `count`
    newest first; `has_more` says the window holds more. Hours are generated only as far as needed."""
    lo, hi = _clip(ctx, lo, hi)
    if hi < lo:
        return {"trades": [], "has_more": False}
    lo_ms, hi_ms = _ms(lo), _ms(hi)
    n = int((_hour_floor(hi) - _hour_floor(lo)) / HOUR) + 1
    hours = [_hour_floor(lo) + i * HOUR for i in range(n)]
    picked: list[dict] = []
    for hour in hours if ascending else reversed(hours):
        batch = [
            tr
            for tr in _hour_trades(ctx.market, unds, kinds, hour)
            if lo_ms <= tr["timestamp"] <= hi_ms and (keep is None or keep(tr))
        ]
        batch.sort(key=lambda tr: (tr["timestamp"], tr["trade_id"]), reverse=not ascending)
        picked.extend(batch)
        if len(picked) > count:
            break
    return {"trades": picked[:count], "has_more": len(picked) > count}


def _sorting(request: web.Request) -> bool:
    """True for ascending. Informed guess: `default` (database order) behaves like `desc`, newest first."""
    return _choice(request, "sorting", ("asc", "desc", "default")) == "asc"


# --- per-instrument state ---------------------------------------------------------------------------------
@dataclass
class _Stats:
    """24 h trading statistics of one instrument (None where nothing traded)."""

    volume: float = 0.0
    volume_usd: float = 0.0
    high: float | None = None
    low: float | None = None
    first: float | None = None
    last: float | None = None

    def add(self, price: float, amount_coin: float, usd: float) -> None:
        self.volume += amount_coin
        self.volume_usd += usd
        self.high = price if self.high is None else max(self.high, price)
        self.low = price if self.low is None else min(self.low, price)
        self.first = price if self.first is None else self.first
        self.last = price

    @property
    def price_change(self) -> float | None:
        if self.first is None or not self.first:
            return None
        return round((self.last / self.first - 1) * 100, 4)


def _trade_stats(ctx: SimContext, und: _Underlying, kind: str, now: datetime) -> dict[str, _Stats]:
    """Per-instrument statistics of the trades of the last 24 h (futures in USD amounts, options in coin)."""
    stats: dict[str, _Stats] = {}
    lo, hi = _clip(ctx, now - DAY, now)
    if hi < lo:
        return stats
    lo_ms, hi_ms = _ms(lo), _ms(hi)
    hour = _hour_floor(lo)
    while hour <= hi:
        for tr in _hour_trades(ctx.market, (und,), {kind}, hour):
            if lo_ms < tr["timestamp"] <= hi_ms:
                coin = tr["amount"] if kind == "option" or und.linear else tr["amount"] / tr["price"]
                stats.setdefault(tr["instrument_name"], _Stats()).add(tr["price"], coin, coin * tr["index_price"])
        hour += HOUR
    return stats


def _future_stats(ctx: SimContext, inst: _Inst, now: datetime) -> _Stats:
    """24 h statistics of a perpetual or dated future. The perpetual's volume, high and low come from the
    last 24 complete hourly candles (flow's trade tape is only a sample of its volume); last prices and the
    dated futures' whole statistics come from the trade tape."""
    und = inst.und
    traded = _trade_stats(ctx, und, "future", now).get(inst.name, _Stats())
    if inst.expiry is not None:
        return traded
    h0 = _hour_floor(now)
    candles = flow.candles(ctx.market, VENUE, und.perp_name, 60, h0 - DAY, h0)
    stats = _Stats(
        last=traded.last if traded.last is not None else _to_tick(_future_mark(ctx, inst, now), und.perp.tick)
    )
    if candles:
        stats.volume = sum(c.volume for c in candles)
        stats.volume_usd = sum(c.volume * c.close for c in candles)
        stats.high = _to_tick(max(c.high for c in candles), und.perp.tick)
        stats.low = _to_tick(min(c.low for c in candles), und.perp.tick)
        stats.first = candles[0].open
    return stats


def _future_mark(ctx: SimContext, inst: _Inst, t: datetime) -> float:
    if inst.expiry is None:
        return ctx.market.mark_price(VENUE, inst.name, t)
    return ctx.market.future_price(inst.und.asset, inst.expiry, t)


def _future_open_interest(ctx: SimContext, inst: _Inst, now: datetime) -> float:
    """USD for inverse perpetuals and futures (whole contracts), base coin for the linear perpetual."""
    und = inst.und
    coin = ctx.market.open_interest(VENUE, und.perp_name, now)
    if inst.expiry is not None:
        coin *= DATED_FUTURE_OI_SHARE[[i.expiry for i in _futures(und, now)].index(inst.expiry)]
    if und.linear:
        return round(coin, 1)
    price = ctx.market.price(und.asset, now)
    return float(round(coin * price / und.perp.contract) * und.perp.contract)


def _book_top(seed: int, inst: _Inst, mark: float, t: datetime) -> tuple[float, float, float, float]:
    """Best bid and ask one tick apart around the mark, with sizes that vary by minute (USD for inverse
    futures, coin for linear ones)."""
    spec = inst.und.perp
    bid = _to_tick(mark, spec.tick, "down")
    minute = t.replace(second=0, microsecond=0).isoformat()
    unit = spec.min_amount if inst.und.linear else 10.0
    sizes = [round(unit * round(1000 + 20000 * _unit(seed, inst.name, side, minute)), 6) for side in ("bid", "ask")]
    return bid, round(bid + spec.tick, 10), sizes[0], sizes[1]


def _future_ticker(ctx: SimContext, inst: _Inst, now: datetime, stats: _Stats) -> dict:
    und, m = inst.und, ctx.market
    d = und.decimals
    mark, index = _future_mark(ctx, inst, now), m.price(und.asset, now)
    bid, ask, bid_amount, ask_amount = _book_top(m.seed, inst, mark, now)
    out = {
        "timestamp": _ms(now),
        "state": "open",
        "stats": {
            "high": stats.high,
            "low": stats.low,
            "price_change": stats.price_change,
            "volume": round(stats.volume, 8),
            "volume_usd": round(stats.volume_usd, 2),
            "volume_notional": round(stats.volume_usd, 2),
        },
        "index_price": round(index, d),
        "instrument_name": inst.name,
        "last_price": stats.last,
        "settlement_price": round(_future_mark(ctx, inst, _last_settlement(now)), d),
        "min_price": _to_tick(mark * 0.985, und.perp.tick, "down"),
        "max_price": _to_tick(mark * 1.015, und.perp.tick, "up"),
        "open_interest": _future_open_interest(ctx, inst, now),
        "mark_price": round(mark, d),
        "best_ask_price": ask,
        "best_bid_price": bid,
        "estimated_delivery_price": round(index, d),
        "best_ask_amount": ask_amount,
        "best_bid_amount": bid_amount,
    }
    if inst.expiry is None:
        out["interest_value"] = _interest_value(m, inst.name, now)
        out["current_funding"] = _dampened(m.premium(VENUE, inst.name, now))
        out["funding_8h"] = m.funding_8h_now(VENUE, inst.name, now)
    return out


def _underlying_index(inst: _Inst, now: datetime) -> str:
    """Options on an expiry with a listed future reference it; others a synthetic future (SYN.)."""
    if inst.expiry in [f.expiry for f in _futures(inst.und, now)]:
        return f"{inst.und.prefix}-{_expiry_code(inst.expiry)}"
    return f"SYN.{inst.und.prefix}-{_expiry_code(inst.expiry)}"


def _option_price(und: _Underlying, usd: float, index: float) -> float:
    return usd if und.linear else usd / index


def _years(expiry: datetime, t: datetime) -> float:
    return max((expiry - t).total_seconds(), 0.0) / (365 * 86400)


def _option_book(und: _Underlying, q: options.OptionQuote, now: datetime) -> tuple[float | None, float]:
    """Best bid and ask in the quote currency, priced at the quote's bid and ask IV (no bid below a tick)."""
    years = _years(q.expiry, now)
    bid_usd = options.black76(q.forward, q.strike, years, q.bid_iv, q.is_call)["price"]
    ask_usd = options.black76(q.forward, q.strike, years, q.ask_iv, q.is_call)["price"]
    bid = _option_price(und, bid_usd, q.index_price)
    ask = _option_price(und, ask_usd, q.index_price)
    bid_px = _to_tick(bid, _option_tick(und, bid), "down")
    ask_px = max(_to_tick(ask, _option_tick(und, ask), "up"), und.option.tick)
    return (bid_px if bid_px >= und.option.tick else None), ask_px


def _rho(q: options.OptionQuote, now: datetime) -> float:
    """Rate sensitivity in USD per 1 % (Black-76 on the forward, as Deribit reports it)."""
    years = _years(q.expiry, now)
    sd = max(q.mark_iv * math.sqrt(max(years, 1e-6)), 1e-9)
    d2 = (math.log(q.forward / q.strike) - 0.5 * sd * sd) / sd
    cdf = 0.5 * (1 + math.erf((d2 if q.is_call else -d2) / math.sqrt(2)))
    return (1 if q.is_call else -1) * q.strike * years * cdf / 100


def _option_settlement(ctx: SimContext, inst: _Inst, now: datetime) -> float:
    """The mark at the last 08:00 settlement, priced off that moment's smile."""
    m, t = ctx.market, max(_last_settlement(now), ctx.market.start + HOUR)
    years = _years(inst.expiry, t)
    forward = m.future_price(inst.und.asset, inst.expiry, t)
    iv = options.smile_iv(m.atm_iv(inst.und.asset, t, years), inst.und.asset, math.log(inst.strike / forward), years)
    usd = options.black76(forward, inst.strike, years, iv, inst.is_call)["price"]
    return round(_option_price(inst.und, usd, m.price(inst.und.asset, t)), 8)


def _option_ticker(ctx: SimContext, inst: _Inst, q: options.OptionQuote, now: datetime) -> dict:
    und = inst.und
    mark = _option_price(und, q.mark_usd, q.index_price)
    bid, ask = _option_book(und, q, now)
    stats = _trade_stats(ctx, und, "option", now).get(inst.name, _Stats())
    sizes = [round(_lot(50 * _unit(ctx.market.seed, inst.name, s, now.minute), und.option.min_amount), 1) for s in "ba"]
    # Inverse options: Deribit's delta is the Black-76 delta less the option's coin price (the premium is coin).
    delta = q.delta if und.linear else q.delta - mark
    # Orders are clamped 10 % of the underlying above the mark (informed guess at Deribit's price band).
    headroom = _option_price(und, 0.1 * q.index_price, q.index_price)
    return {
        "underlying_price": round(q.forward, und.decimals),
        "underlying_index": _underlying_index(inst, now),
        "timestamp": _ms(now),
        "stats": {
            "volume": round(stats.volume, 1) if stats.last is not None else None,
            "price_change": stats.price_change,
            "low": stats.low,
            "high": stats.high,
        },
        "state": "open",
        "settlement_price": _option_settlement(ctx, inst, now),
        "open_interest": q.open_interest,
        "min_price": und.option.tick,
        "max_price": _to_tick(mark + headroom, _option_tick(und, mark + headroom), "up"),
        "mark_price": round(mark, 8),
        "mark_iv": round(q.mark_iv * 100, 2),
        "last_price": stats.last,
        "interest_rate": 0.0,
        "instrument_name": inst.name,
        "index_price": round(q.index_price, und.decimals),
        "greeks": {
            "vega": round(q.vega, 5),
            "theta": round(q.theta, 5),
            "rho": round(_rho(q, now), 5),
            "gamma": round(q.gamma, 5),
            "delta": round(delta, 5),
        },
        "estimated_delivery_price": round(q.index_price, und.decimals),
        # The ticker says 0 where the book summary says null: no bid means a zero bid price and IV.
        "bid_iv": round(q.bid_iv * 100, 2) if bid is not None else 0.0,
        "best_bid_price": bid if bid is not None else 0.0,
        "best_bid_amount": sizes[0] if bid is not None else 0.0,
        "best_ask_price": ask,
        "best_ask_amount": sizes[1],
        "ask_iv": round(q.ask_iv * 100, 2),
    }


def _summary_common(und: _Underlying, name: str, now: datetime, stats: _Stats) -> dict:
    return {
        "instrument_name": name,
        "base_currency": und.asset,
        "creation_timestamp": _ms(now),  # the snapshot's time, not the instrument's listing
        "high": stats.high,
        "low": stats.low,
        "last": stats.last,
        "price_change": stats.price_change,
    }


def _future_summary(ctx: SimContext, inst: _Inst, now: datetime) -> dict:
    """The book summary row is the ticker's numbers under the summary's names."""
    stats = _future_stats(ctx, inst, now)
    ticker = _future_ticker(ctx, inst, now, stats)
    und = inst.und
    row = {
        **_summary_common(und, inst.name, now, stats),
        "quote_currency": und.quote,
        "volume": ticker["stats"]["volume"],
        "volume_usd": ticker["stats"]["volume_usd"],
        "volume_notional": ticker["stats"]["volume_notional"],
        "open_interest": ticker["open_interest"],
        "mark_price": ticker["mark_price"],
        "bid_price": ticker["best_bid_price"],
        "ask_price": ticker["best_ask_price"],
        "mid_price": round((ticker["best_bid_price"] + ticker["best_ask_price"]) / 2, 10),
        "estimated_delivery_price": ticker["estimated_delivery_price"],
    }
    if inst.expiry is None:
        row["funding_8h"] = ticker["funding_8h"]
        row["current_funding"] = ticker["current_funding"]
    return row


def _option_summary(inst: _Inst, q: options.OptionQuote, now: datetime, stats: _Stats) -> dict:
    und = inst.und
    bid, ask = _option_book(und, q, now)
    return {
        **_summary_common(und, inst.name, now, stats),
        "quote_currency": und.asset if not und.linear else und.quote,
        "volume": round(stats.volume, 1),
        "volume_usd": round(stats.volume_usd, 2),
        "open_interest": q.open_interest,
        "mark_price": round(_option_price(und, q.mark_usd, q.index_price), 8),
        "mark_iv": round(q.mark_iv * 100, 2),
        "bid_price": bid,
        "ask_price": ask,
        "mid_price": round((bid + ask) / 2, 10) if bid is not None else None,
        "underlying_price": round(q.forward, und.decimals),
        "underlying_index": _underlying_index(inst, now),
        "interest_rate": 0.0,
        "estimated_delivery_price": round(q.index_price, und.decimals),
    }


# --- volatility -------------------------------------------------------------------------------------------
def _dvol_candle(market, asset: str, ts: datetime, seconds: int, now: datetime) -> list:
    """[ts, open, high, low, close] of DVOL over one candle, sampled up to 12 times, with a small
    deterministic wiggle for the moves between samples."""
    end = min(ts + timedelta(seconds=seconds), now)
    n = max(1, min(12, seconds // 300))
    points = [ts + (end - ts) * i / n for i in range(n + 1)]
    values = [market.dvol(asset, p) for p in points]
    wiggle = 0.002 * math.sqrt(seconds / 60) * _unit(market.seed, "dvol", asset, ts.isoformat(), seconds)
    return [
        _ms(ts),
        round(values[0], 2),
        round(max(values) * (1 + wiggle), 2),
        round(min(values) * (1 - wiggle), 2),
        round(values[-1], 2),
    ]


def _historical_volatility(market, asset: str, now: datetime) -> list[list]:
    """Hourly points over the last 16 days, each the annualised realised volatility (percent) of hourly
    returns over the 15 days before it. Informed guess: Deribit does not document its window."""
    last = _hour_floor(now)
    points, window = 16 * 24, 15 * 24
    first = max(last - (points + window) * HOUR, market.start + HOUR)
    _, logs = market.log_prices_5m(asset, first, last)  # `first` is on the hour: every 12th step is hourly
    returns = np.diff(logs[::12])
    out = []
    for k in range(window, len(returns) + 1):
        vol = float(np.std(returns[k - window : k]) * math.sqrt(24 * 365) * 100)
        out.append([_ms(first + k * HOUR), vol])
    return out[-points:]


# --- public methods ---------------------------------------------------------------------------------------
def get_time(ctx: SimContext, request: web.Request) -> object:
    return ctx.clock.now_ms()


def get_instruments(ctx: SimContext, request: web.Request) -> object:
    unds = _currency(request, allow_any=True) or tuple(UNDERLYINGS.values())
    kind = _choice(request, "kind", KINDS)
    expired = _bool_param(request, "expired")
    now = ctx.clock.now()
    rows = []
    for und in unds:
        if kind in (None, "future"):
            rows.extend(_instrument_row(inst, not expired) for inst in _listed_futures(und, now, expired))
        if kind in (None, "option"):
            rows.extend(_instrument_row(inst, not expired) for inst in _listed_options(ctx, und, now, expired))
    return rows


def _listed_futures(und: _Underlying, now: datetime, expired: bool) -> list[_Inst]:
    if not expired:
        return [_Inst(und, "future"), *_futures(und, now)]
    return [i for i in _futures(und, now - RECENTLY_EXPIRED) if i.expiry <= now]


def _listed_options(ctx: SimContext, und: _Underlying, now: datetime, expired: bool) -> list[_Inst]:
    if not expired:
        return [inst for inst, _ in _option_quotes(ctx.market, und, now)]
    out = []
    for e in catalog.option_expiries(now - RECENTLY_EXPIRED):
        if e <= now and ctx.market.covers(e - HOUR):
            out.extend(inst for inst, _ in _option_quotes(ctx.market, und, e - HOUR, [e]))
    return out


def get_expirations(ctx: SimContext, request: web.Request) -> object:
    """Grouping follows the recordings: `any` gives {kind: [...]}, one currency {currency: {kind: [...]}}."""
    currency = _choice(request, "currency", (*CURRENCIES, "ANY", "GROUPED"), required=True, upper=True)
    kind = _choice(request, "kind", ("future", "option", "any"), required=True)
    kinds = ("option", "future") if kind == "any" else (kind,)
    now = ctx.clock.now()

    def codes(unds) -> dict[str, list[str]]:
        out = {}
        for k in kinds:
            if k == "option":
                stamps = sorted({e for u in unds for e in catalog.option_expiries(now)})
                out[k] = [_expiry_code(e) for e in stamps]
            else:
                stamps = sorted({i.expiry for u in unds for i in _futures(u, now)})
                out[k] = [_expiry_code(e) for e in stamps] + (["PERPETUAL"] if unds else [])
        return out

    if currency == "ANY":
        return codes(tuple(UNDERLYINGS.values()))
    groups = CURRENCIES if currency == "GROUPED" else {currency: CURRENCIES[currency]}
    return {c.lower(): codes(tuple(UNDERLYINGS[a] for a in assets)) for c, assets in groups.items() if assets}


def get_book_summary_by_currency(ctx: SimContext, request: web.Request) -> object:
    unds = _currency(request)
    kind = _choice(request, "kind", KINDS)
    now = ctx.clock.now()
    rows = []
    for und in unds:
        if kind in (None, "future"):
            rows.extend(_future_summary(ctx, inst, now) for inst in [_Inst(und, "future"), *_futures(und, now)])
        if kind in (None, "option"):
            stats = _trade_stats(ctx, und, "option", now)
            rows.extend(
                _option_summary(inst, q, now, stats.get(inst.name, _Stats()))
                for inst, q in _option_quotes(ctx.market, und, now)
            )
    return rows


def ticker(ctx: SimContext, request: web.Request) -> object:
    now = ctx.clock.now()
    inst, quote = _resolve(ctx, _param(request, "instrument_name", required=True), now)
    if quote is not None:
        return _option_ticker(ctx, inst, quote, now)
    return _future_ticker(ctx, inst, now, _future_stats(ctx, inst, now))


def get_funding_rate_history(ctx: SimContext, request: web.Request) -> object:
    """Hourly rows in [start, end] on the hour, oldest first, at most 744 (the rest is cut: informed guess)."""
    name = _param(request, "instrument_name", required=True)
    start_ms = _int_param(request, "start_timestamp", required=True)
    end_ms = _int_param(request, "end_timestamp", required=True)
    inst, _ = _resolve(ctx, name, ctx.clock.now())
    if inst.kind != "future" or inst.expiry is not None:
        raise _invalid("instrument_name", "instrument is not perpetual")  # informed guess at the reason
    lo, hi = _clip(ctx, _from_ms(start_ms), _from_ms(end_ms))
    m, rows = ctx.market, []
    hour = _hour_floor(lo) + (HOUR if _hour_floor(lo) < lo else timedelta(0))
    while hour <= hi and len(rows) < MAX_FUNDING_ROWS:
        rows.append(
            {
                "timestamp": _ms(hour),
                "index_price": round(m.price(inst.und.asset, hour), inst.und.decimals),
                "prev_index_price": round(m.price(inst.und.asset, hour - HOUR), inst.und.decimals),
                "interest_8h": m.funding_8h_now(VENUE, inst.name, hour),
                "interest_1h": _interest_1h(m, inst.name, hour),
            }
        )
        hour += HOUR
    return rows


def get_index_price(ctx: SimContext, request: web.Request) -> object:
    name = _param(request, "index_name", required=True)
    now = ctx.clock.now()
    if name in DVOL_INDEX_NAMES:
        value = round(ctx.market.dvol(DVOL_INDEX_NAMES[name], now), 2)
    elif name in INDEX_NAMES:
        asset = INDEX_NAMES[name]
        value = round(ctx.market.price(asset, now), UNDERLYINGS[asset].decimals)
    else:
        raise _invalid("index_name")
    return {"index_price": value, "estimated_delivery_price": value}


def get_volatility_index_data(ctx: SimContext, request: web.Request) -> object:
    """DVOL candles in [start, end], oldest first. Past 1000 candles the newest 1000 come back and
    `continuation` is the end_timestamp for the next (older) page; null on the last page."""
    unds = _currency(request)
    start_ms = _int_param(request, "start_timestamp", required=True)
    end_ms = _int_param(request, "end_timestamp", required=True)
    resolution = _choice(request, "resolution", DVOL_RESOLUTIONS, required=True)
    seconds = DVOL_RESOLUTIONS[resolution]
    now = ctx.clock.now()
    asset = next((u.asset for u in unds if u.asset in DVOL_ASSETS), None)
    lo, hi = _clip(ctx, _from_ms(start_ms), _from_ms(end_ms))
    if asset is None or hi < lo:
        return {"data": [], "continuation": None}
    step_ms = seconds * 1000
    first, last = -(-_ms(lo) // step_ms), _ms(hi) // step_ms  # candle numbers inside the window
    newest = [last - i for i in range(min(last - first + 1, MAX_DVOL_CANDLES))][::-1]
    data = [_dvol_candle(ctx.market, asset, _from_ms(k * step_ms), seconds, now) for k in newest]
    more = bool(newest) and newest[0] > first
    return {"data": data, "continuation": (newest[0] - 1) * step_ms if more else None}


def get_historical_volatility(ctx: SimContext, request: web.Request) -> object:
    unds = _currency(request)
    asset = next((u.asset for u in unds if u.asset in DVOL_ASSETS), None)
    return [] if asset is None else _historical_volatility(ctx.market, asset, ctx.clock.now())


def get_last_trades_by_currency(ctx: SimContext, request: web.Request) -> object:
    """Recent trades of a currency: from start_timestamp (or start_id) up to end_timestamp (or end_id) or now;
    without a start the window is the last 24 h. Trade ids carry their millisecond stamp."""
    unds = _currency(request)
    kinds = _trade_kinds(_choice(request, "kind", TRADE_KINDS))
    count, ascending = _count(request), _sorting(request)
    now = ctx.clock.now()
    start = _int_param(request, "start_timestamp")
    end = _int_param(request, "end_timestamp")
    start_id, end_id = _trade_number(request, "start_id", unds), _trade_number(request, "end_id", unds)
    lo = _from_ms(start) if start is not None else now - RECENT_TRADES
    hi = _from_ms(end) if end is not None else now
    if start_id is not None:
        lo = max(lo, _from_ms(start_id // 100))
    if end_id is not None:
        hi = min(hi, _from_ms(end_id // 100))

    def in_ids(tr: dict) -> bool:
        number = int(tr["trade_id"].rsplit("-", 1)[-1])
        return (start_id is None or number >= start_id) and (end_id is None or number <= end_id)

    return _select_trades(ctx, unds, kinds, lo, hi, count, ascending, in_ids)


def _trade_number(request: web.Request, name: str, unds) -> int | None:
    """A trade id as its number: digits for BTC, `ETH-15` or `SOL_USDC-16` for the others."""
    raw = _param(request, name)
    if raw is None:
        return None
    m = re.fullmatch(r"(?:([A-Z_]+)-)?([0-9]{1,20})", raw)
    if not m or (m.group(1) or "BTC") not in {u.prefix for u in unds}:
        raise _invalid(name)
    return int(m.group(2))


def get_last_trades_by_currency_and_time(ctx: SimContext, request: web.Request) -> object:
    unds = _currency(request)
    kinds = _trade_kinds(_choice(request, "kind", TRADE_KINDS))
    start = _int_param(request, "start_timestamp", required=True)
    end = _int_param(request, "end_timestamp", required=True)
    count, ascending = _count(request), _sorting(request)
    return _select_trades(ctx, unds, kinds, _from_ms(start), _from_ms(end), count, ascending)


def get_last_trades_by_instrument_and_time(ctx: SimContext, request: web.Request) -> object:
    name = _param(request, "instrument_name", required=True)
    start = _int_param(request, "start_timestamp", required=True)
    end = _int_param(request, "end_timestamp", required=True)
    count, ascending = _count(request), _sorting(request)
    inst, _ = _resolve(ctx, name, ctx.clock.now())
    # Nothing trades before the listing or after the expiry: no need to look there.
    lo = max(start, _created_ms(inst))
    hi = end if inst.expiry is None else min(end, _ms(inst.expiry))

    def keep(tr: dict) -> bool:
        return tr["instrument_name"] == inst.name

    return _select_trades(ctx, (inst.und,), {inst.kind}, _from_ms(lo), _from_ms(hi), count, ascending, keep)


def unknown_method(ctx: SimContext, request: web.Request) -> object:
    raise _RpcError({"message": "Method not found", "code": -32601})


# --- limits -----------------------------------------------------------------------------------------------
@dataclass
class CreditBucket:
    """Deribit's credit pool: spent per request, refilled continuously (a token bucket), with the interface
    of limits.Bucket. `_used` is the credit debt and `_window_start` the last refill instant, so
    VenueLimiter.reset (which zeroes both) leaves a full pool."""

    name: str
    limit: float  # pool size
    refill_per_s: float
    _window_start: float = 0.0
    _used: float = 0.0

    def _refill(self, now: float) -> None:
        if now > self._window_start:
            self._used = max(0.0, self._used - (now - self._window_start) * self.refill_per_s)
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
        """Seconds until the pool is full again."""
        self._refill(now)
        return max(1, math.ceil(self._used / self.refill_per_s))


def make_limiter(overrides: dict) -> VenueLimiter:
    """50,000 credits refilled at 10,000/s, 500 a request: 20 requests/s sustained, bursts of 100.
    get_instruments also has its own 1 request/s (burst size an informed guess). Deribit does not ban."""
    o = overrides.get(VENUE, {})
    return VenueLimiter(
        buckets={
            "credits": CreditBucket(
                "credits", float(o.get("credit_pool", 50_000)), float(o.get("credit_refill_per_s", 10_000))
            ),
            "instruments": CreditBucket(
                "instruments", float(o.get("instruments_burst", 20)), float(o.get("instruments_per_s", 1))
            ),
        },
        ban_after_strikes=int(o.get("ban_after_strikes", 10**9)),
    )


def refusal(decision: Decision, limiter: VenueLimiter, now: float) -> web.Response:
    """Out of credits: 10028 over HTTP 429, and Deribit ends the session (the connection is closed)."""
    us = int(now * 1_000_000)
    body = _envelope("error", {"message": "too_many_requests", "code": 10028}, us, us)
    response = web.Response(status=429, text=json.dumps(body, separators=(",", ":")), content_type="application/json")
    response.force_close()
    return response


def symbol_error() -> tuple[int, object]:
    us = _wall_us()
    return 400, _envelope("error", {"message": "not_found", "code": 13020}, us, us)


def _credits(request: web.Request) -> dict[str, float]:
    return {"credits": 500}


def _route(method: str, fn, costs=_credits) -> Route:
    return Route(f"{API}/{method}", _rpc(fn), costs)


SIMS = [
    VenueSim(
        venue=VENUE,
        host=HOST,
        routes=[
            _route("get_time", get_time),
            _route("get_instruments", get_instruments, lambda r: {"credits": 500, "instruments": 1}),
            _route("get_expirations", get_expirations),
            _route("get_book_summary_by_currency", get_book_summary_by_currency),
            _route("ticker", ticker),
            _route("get_funding_rate_history", get_funding_rate_history),
            _route("get_index_price", get_index_price),
            _route("get_volatility_index_data", get_volatility_index_data),
            _route("get_historical_volatility", get_historical_volatility),
            _route("get_last_trades_by_currency", get_last_trades_by_currency),
            _route("get_last_trades_by_currency_and_time", get_last_trades_by_currency_and_time),
            _route("get_last_trades_by_instrument_and_time", get_last_trades_by_instrument_and_time),
            _route("{method}", unknown_method),  # registered last: aiohttp tries the exact paths first
        ],
        make_limiter=make_limiter,
        refusal=refusal,
        symbol_error=symbol_error,
    )
]
