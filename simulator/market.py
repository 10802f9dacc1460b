"""One consistent, seeded, deterministic market.

Everything is generated on an hourly grid that starts at a fixed instant (not at "now"), so the same
seed gives the same value for the same hour whenever the simulator is started. Each series has its
own random stream (seeded by its name), so adding a series never shifts another.

- Prices: correlated log random walks (each asset takes `beta` of the BTC shock).
- Perp premium index per venue instrument: AR(1) with fat-tailed shocks, in fractions.
- Funding at each settlement: the playbook's formula on the premium averaged over the interval,
  premium + clamp(interest - premium, -0.05 %, +0.05 %), scaled to the instrument's interval and
  capped at its adjusted cap.
- Open interest: a mean-reverting level per instrument in base coin.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import numpy as np

from simulator.calibration import ASSETS, BINANCE_USDM, CLAMP_8H, INTEREST_RATE_8H, PRICE_ANCHOR, PerpParams

DEFAULT_HISTORY_START = datetime(2024, 1, 1, tzinfo=UTC)
HOUR = timedelta(hours=1)


def _stream(seed: int, name: str) -> np.random.Generator:
    digest = int.from_bytes(hashlib.sha256(name.encode()).digest()[:8], "big")
    return np.random.default_rng([seed, digest])


def _t_shocks(rng: np.random.Generator, n: int, df: float = 4.0) -> np.ndarray:
    """Student-t shocks scaled to unit variance: fat tails like real funding spikes."""
    return rng.standard_t(df, n) / np.sqrt(df / (df - 2.0))


def ar1(rng: np.random.Generator, n: int, mu: float, sd: float, phi: float) -> np.ndarray:
    shocks = _t_shocks(rng, n) * sd * np.sqrt(1.0 - phi * phi)
    out = np.empty(n)
    x = 0.0
    for i in range(n):
        x = phi * x + shocks[i]
        out[i] = x
    return mu + out


def binance_funding_from_premium(mean_premium: float, interval_hours: int, cap: float) -> float:
    """Funding for one settlement from the interval's mean premium (fractions, per interval)."""
    scale = interval_hours / 8.0
    interest = INTEREST_RATE_8H
    rate = mean_premium + min(max(interest - mean_premium, -CLAMP_8H), CLAMP_8H)
    return float(min(max(rate * scale, -cap), cap))


@dataclass(frozen=True)
class Instrument:
    venue: str
    symbol: str
    params: PerpParams


class Market:
    def __init__(self, seed: int = 7, history_start: datetime = DEFAULT_HISTORY_START, horizon: datetime | None = None):
        self.seed = seed
        self.start = history_start.astimezone(UTC).replace(minute=0, second=0, microsecond=0)
        end = horizon or (datetime.now(UTC) + timedelta(days=60))
        self.hours = int((end - self.start) / HOUR) + 2
        self._log_price = self._prices()
        self.instruments = {("binance", sym): Instrument("binance", sym, p) for sym, p in BINANCE_USDM.items()}
        self._premium = {key: self._premium_series(inst) for key, inst in self.instruments.items()}
        self._oi = {key: self._oi_series(inst) for key, inst in self.instruments.items()}

    # --- generation -------------------------------------------------------------------------
    def _prices(self) -> dict[str, np.ndarray]:
        btc_shock = _stream(self.seed, "price:BTC").standard_normal(self.hours)
        out = {}
        for asset, p in ASSETS.items():
            own = _stream(self.seed, f"price:{asset}:own").standard_normal(self.hours)
            shock = p.beta_to_btc * btc_shock + np.sqrt(max(0.0, 1 - p.beta_to_btc**2)) * own
            steps = shock * p.hourly_vol - 0.5 * p.hourly_vol**2
            steps[0] = 0.0
            walk = np.log(p.start_price) + np.cumsum(steps)
            # Bend the walk linearly so it passes the anchor price: deterministic and realistic levels.
            anchor = int((PRICE_ANCHOR - self.start) / HOUR)
            if 0 < anchor < self.hours:
                bend = (np.log(p.anchor_price) - walk[anchor]) * np.minimum(np.arange(self.hours) / anchor, 1.0)
                walk = walk + bend
            out[asset] = walk
        return out

    def _premium_series(self, inst: Instrument) -> np.ndarray:
        p = inst.params
        rng = _stream(self.seed, f"premium:{inst.venue}:{inst.symbol}")
        return ar1(rng, self.hours, p.premium_mu_bp * 1e-4, p.premium_sd_bp * 1e-4, p.premium_phi)

    def _oi_series(self, inst: Instrument) -> np.ndarray:
        rng = _stream(self.seed, f"oi:{inst.venue}:{inst.symbol}")
        level = ar1(rng, self.hours, 0.0, 0.12, 0.995)
        return inst.params.oi_coins * np.exp(level)

    # --- lookups ----------------------------------------------------------------------------
    def _pos(self, t: datetime) -> float:
        pos = (t - self.start) / HOUR
        if pos < 0 or pos > self.hours - 2:
            raise ValueError(f"{t.isoformat()} is outside the simulated history ({self.start.isoformat()} ..)")
        return pos

    def _interp(self, series: np.ndarray, t: datetime) -> float:
        pos = self._pos(t)
        i = int(pos)
        frac = pos - i
        return float(series[i] * (1 - frac) + series[i + 1] * frac)

    def covers(self, t: datetime) -> bool:
        return self.start <= t <= self.start + (self.hours - 2) * HOUR

    def price(self, asset: str, t: datetime) -> float:
        return float(np.exp(self._interp(self._log_price[asset], t)))

    def premium(self, venue: str, symbol: str, t: datetime) -> float:
        return self._interp(self._premium[(venue, symbol)], t)

    def mark_price(self, venue: str, symbol: str, t: datetime) -> float:
        inst = self.instruments[(venue, symbol)]
        return self.price(inst.params.asset, t) * (1.0 + self.premium(venue, symbol, t))

    def open_interest(self, venue: str, symbol: str, t: datetime) -> float:
        return self._interp(self._oi[(venue, symbol)], t)

    def mean_premium(self, venue: str, symbol: str, start: datetime, end: datetime) -> float:
        """Mean of the hourly premium samples in [start, end) (at least the sample at start)."""
        i0 = int(np.floor(self._pos(start)))
        i1 = max(i0 + 1, int(np.ceil(self._pos(end))))
        return float(np.mean(self._premium[(venue, symbol)][i0:i1]))

    # --- funding ----------------------------------------------------------------------------
    def settlement_times(self, venue: str, symbol: str, start: datetime, end: datetime) -> list[datetime]:
        """Settlement instants in [start, end), on multiples of the interval from 00:00 UTC."""
        h = self.instruments[(venue, symbol)].params.interval_hours
        first = max(start, self.start + timedelta(hours=h))
        t = first.replace(minute=0, second=0, microsecond=0)
        if t < first:
            t += HOUR
        while t.hour % h:
            t += HOUR
        out = []
        while t < end:
            out.append(t)
            t += timedelta(hours=h)
        return out

    def settled_funding(self, venue: str, symbol: str, settle_at: datetime) -> float:
        p = self.instruments[(venue, symbol)].params
        mean = self.mean_premium(venue, symbol, settle_at - timedelta(hours=p.interval_hours), settle_at)
        return binance_funding_from_premium(mean, p.interval_hours, p.cap)

    def current_funding(self, venue: str, symbol: str, now: datetime) -> tuple[float, datetime]:
        """The running estimate for the open period and when it settles."""
        p = self.instruments[(venue, symbol)].params
        period_start = now.replace(minute=0, second=0, microsecond=0)
        while period_start.hour % p.interval_hours:
            period_start -= HOUR
        next_settle = period_start + timedelta(hours=p.interval_hours)
        mean = self.mean_premium(venue, symbol, period_start, max(now, period_start + HOUR))
        return binance_funding_from_premium(mean, p.interval_hours, p.cap), next_settle

    def settlement_jitter_ms(self, venue: str, symbol: str, settle_at: datetime) -> int:
        """Real settlement stamps land a few ms after the hour (e.g. 08:00:00.004); so do ours."""
        digest = hashlib.sha256(f"{self.seed}:{venue}:{symbol}:{settle_at.isoformat()}".encode()).digest()
        return digest[0] % 10
