"""Open interest and liquidations from positions, so that liquidation events happen where the
positions that were opened say they should (the estimated heatmap can be checked against them).

Each hour the aggregate open interest of an asset moves toward its target path. New OI dOI opened at
price p adds dOI of longs and dOI of shorts spread over a leverage mix: long liquidation level
p x (1 - 1/L + mmr), short level p x (1 + 1/L - mmr) (SPEC section 4). Closed OI shrinks every level
pro rata. When the hour's low trades through a long level (or the high through a short level), that
level is liquidated: it becomes liquidation events and leaves the open interest.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

# The simulated market's "true" leverage mix. Most open interest carries low leverage (or is hedged), so
# only a small share sits close to the price; the warehouse's heatmap estimate uses its own, configurable
# mix and is judged by how many of these events fall near its levels.
LEVERAGE_MIX: tuple[tuple[float, float], ...] = (
    (2, 0.35),
    (3, 0.20),
    (5, 0.20),
    (10, 0.13),
    (25, 0.08),
    (50, 0.03),
    (100, 0.01),
)
MAINTENANCE_MARGIN = 0.005
BUCKET_LOG_STEP = np.log1p(0.0025)  # levels are kept in 0.25 % price buckets
STEPS_PER_HOUR = 12
REFILL_PER_HOUR = 0.03
SCRIPT_TRACKING = 0.5


@dataclass
class LiquidationTape:
    """Liquidation events of one asset (all venues together), in time order."""

    step: np.ndarray  # 5-minute step index of the event
    is_long: np.ndarray  # True: a long position was liquidated
    price: np.ndarray  # the liquidation level (bankruptcy-ish price)
    qty: np.ndarray  # base coin


def run_engine(
    log_price_5m: np.ndarray, target_oi: np.ndarray, script: np.ndarray | None = None
) -> tuple[np.ndarray, LiquidationTape]:
    """Simulate hourly OI and the liquidation tape. Returns (oi per hour in coin, tape).

    `script` holds, for hours inside a scripted episode, the episode's cumulative log OI move (NaN elsewhere).
    There the OI tracks the OI at the episode's start times that move, closely (positions lost to liquidations
    are replaced within hours), so an episode's promised OI change is what the venues report."""
    hours = len(target_oi)
    script = np.full(hours, np.nan) if script is None else script
    episode_base = 0.0
    lo_k = int(np.floor(log_price_5m.min() / BUCKET_LOG_STEP)) - 800
    hi_k = int(np.ceil(log_price_5m.max() / BUCKET_LOG_STEP)) + 800
    size = hi_k - lo_k + 1
    longs = np.zeros(size)
    shorts = np.zeros(size)
    lev = np.array([m[0] for m in LEVERAGE_MIX])
    weights = np.array([m[1] for m in LEVERAGE_MIX])
    long_offsets = np.log(1 - 1 / lev + MAINTENANCE_MARGIN) / BUCKET_LOG_STEP
    short_offsets = np.log(1 + 1 / lev - MAINTENANCE_MARGIN) / BUCKET_LOG_STEP
    oi = np.empty(hours)
    current = float(target_oi[0])
    ev_step, ev_long, ev_k, ev_qty = [], [], [], []
    # Seed the books as if the initial OI had been opened at the first price.
    k0 = log_price_5m[0] / BUCKET_LOG_STEP
    np.add.at(longs, np.round(k0 + long_offsets).astype(int) - lo_k, current * weights)
    np.add.at(shorts, np.round(k0 + short_offsets).astype(int) - lo_k, current * weights)
    for h in range(hours):
        sub = log_price_5m[h * STEPS_PER_HOUR : (h + 1) * STEPS_PER_HOUR + 1]
        k_open = sub[0] / BUCKET_LOG_STEP
        # New positions follow the target's own moves; the gap left by liquidations refills slowly
        # (a few percent per hour), as traders re-enter after a flush rather than instantly.
        if np.isnan(script[h]):
            step = float(target_oi[h] - target_oi[h - 1]) if h else 0.0
            delta = step + REFILL_PER_HOUR * (float(target_oi[h]) - current)
        else:
            if h == 0 or np.isnan(script[h - 1]):
                episode_base = current
            delta = SCRIPT_TRACKING * (episode_base * float(np.exp(script[h])) - current)
        if delta > 0:
            np.add.at(longs, np.round(k_open + long_offsets).astype(int) - lo_k, delta * weights)
            np.add.at(shorts, np.round(k_open + short_offsets).astype(int) - lo_k, delta * weights)
            current += delta
        elif delta < 0 and current > 0:
            keep = max(0.0, 1.0 + delta / current)
            longs *= keep
            shorts *= keep
            current *= keep
        # Longs whose level is at or above the hour's low are liquidated, shorts at or below its high.
        k_low = int(np.ceil(sub.min() / BUCKET_LOG_STEP)) - lo_k  # first level at or above the low
        k_high = int(np.floor(sub.max() / BUCKET_LOG_STEP)) - lo_k  # last level at or below the high
        liq_long = np.nonzero(longs[k_low:] > 1e-9)[0] + k_low
        liq_short = np.nonzero(shorts[: k_high + 1] > 1e-9)[0]
        for idx, book, other, is_long in ((liq_long, longs, shorts, True), (liq_short, shorts, longs, False)):
            if idx.size == 0:
                continue
            levels = (idx + lo_k) * BUCKET_LOG_STEP
            # The first 5-minute step in which the price reached each level.
            reached = (sub[None, 1:] <= levels[:, None]) if is_long else (sub[None, 1:] >= levels[:, None])
            first = np.argmax(reached, axis=1)
            qty = book[idx].copy()
            book[idx] = 0.0
            # The liquidated positions leave the open interest; their counterparties' side shrinks with them
            # so that both books always hold the current OI.
            q = float(qty.sum())
            if current > 0:
                other *= max(0.0, 1.0 - q / current)
            current = max(0.0, current - q)
            ev_step.append(h * STEPS_PER_HOUR + first)
            ev_long.append(np.full(idx.size, is_long))
            ev_k.append(idx + lo_k)
            ev_qty.append(qty)
        oi[h] = current
    if ev_step:
        steps = np.concatenate(ev_step)
        order = np.argsort(steps, kind="stable")
        tape = LiquidationTape(
            steps[order],
            np.concatenate(ev_long)[order],
            np.exp(np.concatenate(ev_k)[order] * BUCKET_LOG_STEP),
            np.concatenate(ev_qty)[order],
        )
    else:
        empty = np.array([])
        tape = LiquidationTape(empty.astype(int), empty.astype(bool), empty, empty)
    return oi, tape
