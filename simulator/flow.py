"""Order flow computed on demand from the market: liquidation events per venue, trades (with
liquidation and block-trade flags) and candles with taker buy volume.

Everything is a pure function of (seed, venue, instrument, time), so a page fetched twice is the
same page, and a websocket stream and a REST history agree on the same events.
"""

from __future__ import annotations

import hashlib
import math
from dataclasses import dataclass
from datetime import datetime, timedelta

import numpy as np

from simulator import catalog

HOUR = timedelta(hours=1)
STEP = timedelta(minutes=5)


def _rng(*parts: object) -> np.random.Generator:
    digest = hashlib.sha256(":".join(str(p) for p in parts).encode()).digest()
    return np.random.default_rng(int.from_bytes(digest[:8], "big"))


@dataclass(frozen=True)
class Liquidation:
    time: datetime
    venue: str
    symbol: str
    asset: str
    is_long: bool  # the liquidated position was long (its closing order sells)
    price: float
    qty: float  # base coin
    event_id: int  # index in the asset's tape (stable)


@dataclass(frozen=True)
class Trade:
    time: datetime
    venue: str
    symbol: str
    price: float
    qty: float  # base coin
    taker_buy: bool
    trade_id: str
    liquidation: bool = False
    block_trade: bool = False


def _venue_weights(asset: str) -> tuple[list[tuple[str, str]], np.ndarray]:
    perps = [p for p in catalog.PERPS if p.asset == asset]
    weights = np.array([p.oi_share for p in perps])
    return [(p.venue, p.symbol) for p in perps], weights / weights.sum()


def liquidations(market, asset: str, start: datetime, end: datetime, venue: str | None = None) -> list[Liquidation]:
    """Liquidation events of `asset` in [start, end), each assigned to one venue instrument by OI share."""
    tape = market.liquidation_tape(asset)
    s0 = math.ceil(market.step_index(max(start, market.start)))
    s1 = math.ceil(market.step_index(min(end, market.start + (market.hours - 2) * HOUR)))
    lo, hi = np.searchsorted(tape.step, s0, "left"), np.searchsorted(tape.step, s1, "left")
    instruments, weights = _venue_weights(asset)
    cumulative = np.cumsum(weights)
    out = []
    for i in range(lo, hi):
        u = _rng(market.seed, "liq", asset, i).random(2)
        k = int(np.searchsorted(cumulative, u[0] * cumulative[-1]))
        v, sym = instruments[min(k, len(instruments) - 1)]
        if venue is not None and v != venue:
            continue
        # Spread events over their 5-minute step so that a venue's tape is not lumped on the step.
        t = market.step_time(int(tape.step[i])) + timedelta(seconds=float(u[1]) * 299)
        if not (start <= t < end):
            continue
        # The liquidation engine works on whole buckets; a venue sees a share of the bucket as one order.
        qty = float(tape.qty[i] * weights[min(k, len(weights) - 1)] / max(weights.max(), 1e-9) * 0.5)
        out.append(Liquidation(t, v, sym, asset, bool(tape.is_long[i]), float(tape.price[i]), qty, i))
    out.sort(key=lambda e: e.time)
    return out


def _hour_floor(t: datetime) -> datetime:
    return t.replace(minute=0, second=0, microsecond=0)


def _base_hourly_volume(market, venue: str, symbol: str, t: datetime) -> float:
    """Base-coin volume per hour: about 3x the open interest per day, spread over 24 hours."""
    return market.open_interest(venue, symbol, t) * 3.0 / 24.0


def trades(market, venue: str, symbol: str, start: datetime, end: datetime, per_hour: int = 60) -> list[Trade]:
    """Public trades of a perpetual in [start, end): a sample of ordinary trades, some large ones, and
    the venue's liquidation orders for that instrument."""
    inst = market.perp(venue, symbol)
    asset = inst.params.asset
    out: list[Trade] = []
    hour = _hour_floor(start)
    while hour < end:
        if market.covers(hour + HOUR):
            rng = _rng(market.seed, "trades", venue, symbol, hour.isoformat())
            n = int(rng.poisson(per_hour))
            offsets = np.sort(rng.random(n)) * 3600
            usd = np.exp(rng.normal(np.log(4000), 1.4, n))
            large = rng.random(n) < 0.02
            usd[large] *= 150  # large trades: hundreds of thousands to millions of USD
            r = market.price(asset, hour + HOUR) / market.price(asset, hour) - 1
            buy_p = 0.5 + 0.4 * math.tanh(r / 0.004)
            for j in range(n):
                t = hour + timedelta(seconds=float(offsets[j]))
                if not (start <= t < end):
                    continue
                price = market.mark_price(venue, symbol, t) * (1 + rng.normal(0, 0.0001))
                out.append(
                    Trade(
                        t,
                        venue,
                        symbol,
                        price,
                        float(usd[j] / price),
                        bool(rng.random() < buy_p),
                        f"{int(hour.timestamp())}{j:04d}",
                    )
                )
        hour += HOUR
    for liq in liquidations(market, asset, start, end, venue=venue):
        if liq.symbol == symbol:
            out.append(
                Trade(
                    liq.time,
                    venue,
                    symbol,
                    liq.price,
                    liq.qty,
                    taker_buy=not liq.is_long,
                    trade_id=f"L{liq.event_id}",
                    liquidation=True,
                )
            )
    out.sort(key=lambda tr: (tr.time, tr.trade_id))
    return out


@dataclass(frozen=True)
class Candle:
    open_time: datetime
    open: float
    high: float
    low: float
    close: float
    volume: float  # base coin
    taker_buy_volume: float
    trades: int
    open_interest: float  # base coin at the open


def candles(market, venue: str, symbol: str, minutes: int, start: datetime, end: datetime) -> list[Candle]:
    """Candles of `minutes` (a multiple of 5, or 1) in [start, end), from the 5-minute price grid."""
    out = []
    t = start.replace(second=0, microsecond=0)
    t -= timedelta(minutes=t.minute % minutes if minutes < 60 else t.minute)
    step = timedelta(minutes=minutes)
    while t < end and market.covers(t + step):
        n_sub = max(1, minutes // 5)
        points = [t + i * (step / max(n_sub, 1)) for i in range(n_sub + 1)] if minutes >= 5 else [t, t + step]
        prices = [market.mark_price(venue, symbol, p) for p in points]
        r = prices[-1] / prices[0] - 1
        vol_h = _base_hourly_volume(market, venue, symbol, t)
        rng = _rng(market.seed, "candle", venue, symbol, minutes, t.isoformat())
        volume = vol_h * minutes / 60 * (1 + 40 * abs(r)) * (0.7 + 0.6 * rng.random())
        buy_share = 0.5 + 0.35 * math.tanh(r / (0.002 * math.sqrt(minutes / 5)))
        wiggle = abs(rng.normal(0, 0.0004 * math.sqrt(minutes / 5)))
        out.append(
            Candle(
                t,
                prices[0],
                max(prices) * (1 + wiggle),
                min(prices) * (1 - wiggle),
                prices[-1],
                volume,
                volume * buy_share,
                int(volume / max(vol_h / 3000, 1e-9)) + 1,
                market.open_interest(venue, symbol, t),
            )
        )
        t += step
    return out
