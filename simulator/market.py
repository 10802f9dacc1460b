"""One consistent, seeded, deterministic market behind every simulated venue.

Everything is generated on a grid that starts at a fixed instant (not at "now"), so the same seed
gives the same value for the same time whenever the simulator is started. Each series has its own
random stream (seeded by its name), so adding a series never shifts another.

- Prices: correlated log random walks on a 5-minute grid (each asset takes `beta` of the BTC shock),
  bent to pass realistic anchor levels; scripted episodes add their moves.
- Perp premium index per venue instrument: AR(1) with fat-tailed shocks (calibration.py), plus a
  venue offset; episodes override it with the premium that produces their target funding.
- Funding per venue style: the CEX formula premium + clamp(interest - premium, +-0.05 %) scaled to the
  interval (Binance, Bybit, OKX, BitMEX), hourly premium/8 (dYdX, Drift), Deribit's dampened 8 h rate,
  GMX's per-side rates from the long/short imbalance.
- Open interest and liquidations: positions.py (OI per asset, split to venues by share).
- Dated futures: spot x (1 + annual basis x years to expiry), basis mean-reverting per asset.
- Options, trades and candles: options.py and flow.py, computed on demand from these series.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta

import numpy as np

from simulator import catalog
from simulator.calibration import ASSETS, BINANCE_USDM, CLAMP_8H, INTEREST_RATE_8H, PRICE_ANCHOR, PerpParams
from simulator.episodes import ScheduledEpisode, default_schedule
from simulator.positions import STEPS_PER_HOUR, LiquidationTape, run_engine

DEFAULT_HISTORY_START = datetime(2024, 1, 1, tzinfo=UTC)
HOUR = timedelta(hours=1)
STEP = timedelta(minutes=5)


def stream(seed: int, name: str) -> np.random.Generator:
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


def clamp_funding(mean_premium: float, interval_hours: int, cap: float) -> float:
    """The CEX formula for one settlement from the interval's mean premium (fractions, per interval)."""
    rate = mean_premium + min(max(INTEREST_RATE_8H - mean_premium, -CLAMP_8H), CLAMP_8H)
    return float(min(max(rate * interval_hours / 8.0, -cap), cap))


def premium_for_funding(funding_8h: float) -> float:
    """The premium index that makes the CEX formula settle at `funding_8h` (inverse of the clamp)."""
    return funding_8h + CLAMP_8H if funding_8h >= INTEREST_RATE_8H else funding_8h - CLAMP_8H


@dataclass(frozen=True)
class Instrument:
    """A perpetual as the market sees it. `params` carries the funding calibration."""

    venue: str
    symbol: str
    params: PerpParams
    perp: catalog.Perp


@dataclass(frozen=True)
class OptionSpec:
    asset: str
    expiry: datetime
    strike: float
    is_call: bool


class Market:
    def __init__(
        self,
        seed: int = 7,
        history_start: datetime = DEFAULT_HISTORY_START,
        horizon: datetime | None = None,
        episodes: list[ScheduledEpisode] | None = None,
    ):
        self.seed = seed
        self.start = history_start.astimezone(UTC).replace(minute=0, second=0, microsecond=0)
        end = horizon or (datetime.now(UTC) + timedelta(days=60))
        self.hours = int((end - self.start) / HOUR) + 2
        self.steps = self.hours * STEPS_PER_HOUR + 1
        self.episodes = list(default_schedule() if episodes is None else episodes)
        self._prem_override, self._oi_mult, self._vol_mult = self._episode_overlays()
        self._log_price = self._prices()
        self.instruments = self._instruments()
        self._premium = {key: self._premium_series(inst) for key, inst in self.instruments.items()}
        self._basis = {a: ar1(stream(seed, f"basis:{a}"), self.hours, 0.07, 0.03, 0.995) for a in catalog.ASSETS}
        self._iv = {a: ar1(stream(seed, f"iv:{a}"), self.hours, 0.0, 0.18, 0.995) for a in catalog.ASSETS}
        self._oi_total: dict[str, np.ndarray] = {}
        self._tapes: dict[str, LiquidationTape] = {}
        for asset in catalog.ASSETS:
            self._oi_total[asset], self._tapes[asset] = run_engine(
                self._log_price[asset], self._target_oi(asset), self._oi_script(asset)
            )
        self._alt_oi = {
            key: inst.params.oi_coins * np.exp(ar1(stream(seed, f"oi:{key}"), self.hours, 0.0, 0.12, 0.995))
            for key, inst in self.instruments.items()
            if inst.params.asset not in catalog.ASSETS
        }
        self._share_noise = {
            key: np.exp(ar1(stream(seed, f"share:{key}"), self.hours, 0.0, 0.08, 0.998)) for key in self.instruments
        }

    # --- generation ------------------------------------------------------------------------
    def _instruments(self) -> dict[tuple[str, str], Instrument]:
        out = {}
        for perp in catalog.PERPS:
            base = BINANCE_USDM[f"{perp.asset}USDT"]
            interval = perp.interval_hours or 8
            params = replace(base, interval_hours=interval, premium_mu_bp=base.premium_mu_bp + perp.premium_bias_bp)
            out[(perp.venue, perp.symbol)] = Instrument(perp.venue, perp.symbol, params, perp)
        for symbol, params in BINANCE_USDM.items():
            if params.asset not in catalog.ASSETS:
                perp = catalog.Perp(
                    "binance", symbol, params.asset, params.interval_hours, "clamp", "USDT", False, 1.0, 0.0
                )
                out[("binance", symbol)] = Instrument("binance", symbol, params, perp)
        return out

    def _episode_overlays(self):
        prem, oi, vol = {}, {}, {}
        all_assets = set(ASSETS)
        for a in all_assets:
            prem[a] = np.full(self.hours, np.nan)
            oi[a] = np.zeros(self.hours)
            vol[a] = np.ones(self.hours)
        for ep in self.episodes:
            if ep.asset not in all_assets:
                raise ValueError(f"episode {ep.name} on unknown asset {ep.asset}")
            oi_level = 0.0
            for phase, s, _end in ep.phase_windows():
                i0 = int((s - self.start) / HOUR)
                n = phase.hours
                if i0 < 0 or i0 + n >= self.hours:
                    continue
                ramp = np.arange(1, n + 1) / n
                if phase.funding_8h is not None:
                    prem[ep.asset][i0 : i0 + n] = premium_for_funding(phase.funding_8h)
                oi[ep.asset][i0 : i0 + n] = oi_level + np.log1p(phase.oi_change) * ramp
                vol[ep.asset][i0 : i0 + n] = phase.vol_mult
                oi_level += np.log1p(phase.oi_change)
            # After the episode the OI move fades back over two days (the price keeps its move).
            i_end = int((ep.end - self.start) / HOUR)
            if 0 <= i_end < self.hours:
                fade = np.exp(-np.arange(self.hours - i_end) / 48.0)
                oi[ep.asset][i_end:] += oi_level * fade
        return prem, oi, vol

    def _prices(self) -> dict[str, np.ndarray]:
        n = self.steps
        btc_shock = stream(self.seed, "price5m:BTC").standard_normal(n)
        out = {}
        for asset, p in ASSETS.items():
            own = stream(self.seed, f"price5m:{asset}:own").standard_normal(n)
            shock = p.beta_to_btc * btc_shock + np.sqrt(max(0.0, 1 - p.beta_to_btc**2)) * own
            step_vol = p.hourly_vol / np.sqrt(STEPS_PER_HOUR)
            vol_mult = np.repeat(self._vol_mult[asset], STEPS_PER_HOUR)[: n - 1] if asset in self._vol_mult else 1.0
            steps = np.zeros(n)
            steps[1:] = shock[1:] * step_vol * vol_mult - 0.5 * (step_vol * vol_mult) ** 2
            # Each episode phase moves the price by exactly its scripted amount: the noise inside the
            # phase keeps its shape but loses its net drift, and the scripted move is spread over it.
            for i0, i1, move in self._phase_steps(asset, "price_change"):
                steps[i0:i1] += move / (i1 - i0) - steps[i0:i1].mean()
            walk = np.log(p.start_price) + np.cumsum(steps)
            # Bend the walk linearly so it passes the anchor price: deterministic and realistic levels.
            anchor = int((PRICE_ANCHOR - self.start) / STEP)
            if 0 < anchor < n:
                walk = walk + (np.log(p.anchor_price) - walk[anchor]) * np.minimum(np.arange(n) / anchor, 1.0)
            out[asset] = walk
        return out

    def _oi_script(self, asset: str) -> np.ndarray:
        """Cumulative log OI move of each episode hour since its episode started (NaN outside episodes)."""
        script = np.full(self.hours, np.nan)
        for ep in self.episodes:
            if ep.asset != asset:
                continue
            level = 0.0
            for phase, s, _end in ep.phase_windows():
                i0 = int((s - self.start) / HOUR)
                if i0 < 0 or i0 + phase.hours >= self.hours:
                    continue
                script[i0 : i0 + phase.hours] = (
                    level + np.log1p(phase.oi_change) * np.arange(1, phase.hours + 1) / phase.hours
                )
                level += np.log1p(phase.oi_change)
        return script

    def _phase_steps(self, asset: str, attribute: str):
        """(first step, end step, log move) of every episode phase of `asset` on the 5-minute grid."""
        for ep in self.episodes:
            if ep.asset != asset:
                continue
            for phase, s, e in ep.phase_windows():
                i0, i1 = int((s - self.start) / STEP), int((e - self.start) / STEP)
                if i0 > 0 and i1 < self.steps:
                    yield i0, i1, float(np.log1p(getattr(phase, attribute)))

    def _premium_series(self, inst: Instrument) -> np.ndarray:
        p = inst.params
        rng = stream(self.seed, f"premium:{inst.venue}:{inst.symbol}")
        series = ar1(rng, self.hours, p.premium_mu_bp * 1e-4, p.premium_sd_bp * 1e-4, p.premium_phi)
        override = self._prem_override.get(p.asset)
        if override is not None:
            mask = ~np.isnan(override)
            # Episodes set the level; each venue keeps a little of its own noise around it.
            noise = (series - p.premium_mu_bp * 1e-4) * 0.15
            series = np.where(mask, np.nan_to_num(override) + noise, series)
        return series

    def _target_oi(self, asset: str) -> np.ndarray:
        # The calibrated Binance USD-M level scaled up by its share: the asset's OI across all venues.
        binance = self.instruments[("binance", f"{asset}USDT")]
        total = binance.params.oi_coins / binance.perp.oi_share
        base = ar1(stream(self.seed, f"oi_target:{asset}"), self.hours, 0.0, 0.10, 0.997)
        # Inside an episode the scripted OI move replaces the noise's drift (held at its value when the
        # episode starts); afterwards the noise reconnects over a day.
        for ep in self.episodes:
            if ep.asset != asset:
                continue
            i0, i1 = int((ep.start - self.start) / HOUR), int((ep.end - self.start) / HOUR)
            if i0 > 0 and i1 < self.hours:
                gap = base[i1] - base[i0]
                base[i0:i1] = base[i0]
                tail = np.arange(self.hours - i1)
                base[i1:] -= gap * np.exp(-tail / 24.0)
        return total * np.exp(base + self._oi_mult[asset])

    # --- time helpers ------------------------------------------------------------------------
    def _pos(self, t: datetime) -> float:
        pos = (t - self.start) / HOUR
        if pos < 0 or pos > self.hours - 2:
            raise ValueError(f"{t.isoformat()} is outside the simulated history ({self.start.isoformat()} ..)")
        return pos

    def covers(self, t: datetime) -> bool:
        return self.start <= t <= self.start + (self.hours - 2) * HOUR

    def _interp_hourly(self, series: np.ndarray, t: datetime) -> float:
        pos = self._pos(t)
        i = int(pos)
        frac = pos - i
        return float(series[i] * (1 - frac) + series[i + 1] * frac)

    def step_index(self, t: datetime) -> float:
        return self._pos(t) * STEPS_PER_HOUR

    def step_time(self, step: int) -> datetime:
        return self.start + step * STEP

    # --- prices ------------------------------------------------------------------------------
    def price(self, asset: str, t: datetime) -> float:
        """Spot / index price."""
        pos = self.step_index(t)
        i = int(pos)
        frac = pos - i
        lp = self._log_price[asset]
        return float(np.exp(lp[i] * (1 - frac) + lp[min(i + 1, len(lp) - 1)] * frac))

    def log_prices_5m(self, asset: str, start: datetime, end: datetime) -> tuple[int, np.ndarray]:
        i0 = int(np.floor(self.step_index(start)))
        i1 = int(np.ceil(self.step_index(end)))
        return i0, self._log_price[asset][i0 : i1 + 1]

    def perp(self, venue: str, symbol: str) -> Instrument:
        return self.instruments[(venue, symbol)]

    def perps(self, venue: str) -> list[Instrument]:
        return [i for (v, _), i in self.instruments.items() if v == venue]

    def premium(self, venue: str, symbol: str, t: datetime) -> float:
        return self._interp_hourly(self._premium[(venue, symbol)], t)

    def mark_price(self, venue: str, symbol: str, t: datetime) -> float:
        inst = self.instruments[(venue, symbol)]
        return self.price(inst.params.asset, t) * (1.0 + self.premium(venue, symbol, t))

    def mean_premium(self, venue: str, symbol: str, start: datetime, end: datetime) -> float:
        """Mean of the hourly premium samples in [start, end) (at least the sample at start)."""
        i0 = int(np.floor(self._pos(start)))
        i1 = max(i0 + 1, int(np.ceil(self._pos(end))))
        return float(np.mean(self._premium[(venue, symbol)][i0:i1]))

    # --- funding -----------------------------------------------------------------------------
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

    def _rate(self, inst: Instrument, mean_premium: float) -> float:
        p = inst.params
        if inst.perp.funding_style == "hourly":
            # dYdX / Drift: the hourly rate is the premium spread over 8 hours, plus interest, capped.
            return float(np.clip((mean_premium + INTEREST_RATE_8H) / 8.0, -0.04 / 8, 0.04 / 8))
        if inst.perp.funding_style == "deribit":
            # Deribit's 8 h rate: the premium beyond a +-0.05 % dampener.
            return float(max(0.0, mean_premium - CLAMP_8H) + min(0.0, mean_premium + CLAMP_8H))
        return clamp_funding(mean_premium, p.interval_hours, p.cap)

    def settled_funding(self, venue: str, symbol: str, settle_at: datetime) -> float:
        inst = self.instruments[(venue, symbol)]
        h = inst.params.interval_hours
        mean = self.mean_premium(venue, symbol, settle_at - timedelta(hours=h), settle_at)
        return self._rate(inst, mean)

    def current_funding(self, venue: str, symbol: str, now: datetime) -> tuple[float, datetime]:
        """The running estimate for the open period and when it settles."""
        inst = self.instruments[(venue, symbol)]
        h = inst.params.interval_hours
        period_start = now.replace(minute=0, second=0, microsecond=0)
        while period_start.hour % h:
            period_start -= HOUR
        next_settle = period_start + timedelta(hours=h)
        mean = self.mean_premium(venue, symbol, period_start, max(now, period_start + HOUR))
        return self._rate(inst, mean), next_settle

    def funding_8h_now(self, venue: str, symbol: str, t: datetime) -> float:
        """Deribit's `funding_8h`: the 8 h-equivalent rate over the last 8 hours."""
        inst = self.instruments[(venue, symbol)]
        return self._rate(inst, self.mean_premium(venue, symbol, t - timedelta(hours=8), t))

    def settlement_jitter_ms(self, venue: str, symbol: str, settle_at: datetime) -> int:
        """Real settlement stamps land a few ms after the hour (e.g. 08:00:00.004); so do ours."""
        digest = hashlib.sha256(f"{self.seed}:{venue}:{symbol}:{settle_at.isoformat()}".encode()).digest()
        return digest[0] % 10

    def gmx_rates(self, symbol: str, t: datetime) -> dict[str, float]:
        """GMX per-side annualised rates: funding from the long/short imbalance, borrowing on usage."""
        long_usd, short_usd = self.gmx_open_interest_usd(symbol, t)
        imbalance = (long_usd - short_usd) / max(long_usd + short_usd, 1.0)
        funding_long = -imbalance * 0.60  # the larger side pays; magnitudes are annual fractions
        funding_short = imbalance * 0.60 * long_usd / max(short_usd, 1.0)
        borrow = 0.05 + 0.25 * abs(imbalance)
        return {
            "funding_long": funding_long,
            "funding_short": funding_short,
            "borrowing_long": borrow,
            "borrowing_short": borrow,
        }

    # --- open interest -----------------------------------------------------------------------
    def asset_open_interest(self, asset: str, t: datetime) -> float:
        return self._interp_hourly(self._oi_total[asset], t)

    def open_interest(self, venue: str, symbol: str, t: datetime) -> float:
        """Open interest of one perpetual in base coin."""
        inst = self.instruments[(venue, symbol)]
        key = (venue, symbol)
        if key in self._alt_oi:
            return self._interp_hourly(self._alt_oi[key], t)
        share = inst.perp.oi_share * self._interp_hourly(self._share_noise[key], t)
        return self.asset_open_interest(inst.params.asset, t) * share

    def long_account_share(self, venue: str, asset: str, t: datetime) -> float:
        """Share of accounts net long: crowded longs when the premium is high."""
        sym = {"binance": f"{asset}USDT", "bybit": f"{asset}USDT", "okx": f"{asset}-USDT-SWAP"}[venue]
        prem = self.premium(venue, sym, t)
        return float(np.clip(0.5 + prem * 250 + 0.03, 0.2, 0.8))

    def gmx_open_interest_usd(self, symbol: str, t: datetime) -> tuple[float, float]:
        inst = self.instruments[("gmx", symbol)]
        total_usd = self.open_interest("gmx", symbol, t) * self.price(inst.params.asset, t)
        long_share = self.long_account_share("binance", inst.params.asset, t)
        return total_usd * long_share, total_usd * (1 - long_share)

    # --- dated futures -----------------------------------------------------------------------
    def basis_annual(self, asset: str, t: datetime) -> float:
        return self._interp_hourly(self._basis[asset], t)

    def future_price(self, asset: str, expiry: datetime, t: datetime, venue_bias: float = 0.0) -> float:
        years = max((expiry - t).total_seconds(), 0.0) / (365 * 86400)
        return self.price(asset, t) * (1.0 + (self.basis_annual(asset, t) + venue_bias) * years)

    # --- volatility --------------------------------------------------------------------------
    def atm_iv(self, asset: str, t: datetime, years: float) -> float:
        """ATM implied vol (fraction) for a given time to expiry: level + term structure."""
        base = {"BTC": 0.50, "ETH": 0.62, "SOL": 0.80}[asset]
        level = base * np.exp(self._interp_hourly(self._iv[asset], t))
        term = 1.0 + 0.08 * np.log(max(years, 1 / 365) * 12) / np.log(12)  # gentle upward slope
        return float(level * term)

    def dvol(self, asset: str, t: datetime) -> float:
        """Deribit's DVOL: 30-day ATM implied volatility, in percent."""
        return self.atm_iv(asset, t, 30 / 365) * 100

    # --- liquidations ------------------------------------------------------------------------
    def liquidation_tape(self, asset: str) -> LiquidationTape:
        return self._tapes[asset]
