"""Scripted market episodes: known ground truth for the pipeline's signal detection.

Each episode is a sequence of phases applied to one asset across every venue: a target funding level
(per 8 h, turned into the premium index that produces it under the CEX formula), a price move, an
open-interest move and a volatility multiplier. `SIGNALS` says which signals an episode should
trigger (SPEC section 4), so tests can check detection against it.

Tests and users place episodes with `--episode NAME:ASSET@ISO-TIME`; without any, a default
schedule puts one of each in the history at fixed dates, with quiet stretches between.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta


@dataclass(frozen=True)
class Phase:
    name: str
    hours: int
    funding_8h: float | None  # target funding per 8 h (fraction); None leaves the premium alone
    price_change: float = 0.0  # total relative price move over the phase (0.05 = +5 %)
    oi_change: float = 0.0  # total relative OI move over the phase
    vol_mult: float = 1.0  # multiplier on price volatility during the phase


EPISODES: dict[str, tuple[Phase, ...]] = {
    # Scenario 1: crowded longs pay high funding while OI builds, then a cascade through long levels.
    "long_squeeze": (
        Phase("build_up", 72, 0.0010, price_change=0.04, oi_change=0.25),
        Phase("cascade", 6, 0.0002, price_change=-0.12, oi_change=-0.30, vol_mult=3.0),
        Phase("aftermath", 24, 0.0001, price_change=0.0, oi_change=0.0),
    ),
    # Scenario 2: the mirror: shorts pay, OI builds, then a squeeze up through short levels.
    "short_squeeze": (
        Phase("build_up", 72, -0.0008, price_change=-0.04, oi_change=0.25),
        Phase("squeeze", 6, -0.0001, price_change=0.12, oi_change=-0.28, vol_mult=3.0),
        Phase("aftermath", 24, 0.0001),
    ),
    # Scenario 3: mild positive funding, OI rising with price, calm.
    "healthy_trend": (Phase("trend", 168, 0.0002, price_change=0.10, oi_change=0.12, vol_mult=0.7),),
    # Scenario 4: funding extreme and still rising with the trend, OI accelerating.
    "exhaustion": (
        Phase("trend", 72, 0.0005, price_change=0.06, oi_change=0.10),
        Phase("blow_off", 48, 0.0015, price_change=0.07, oi_change=0.22),
    ),
    # Scenario 5: no conviction: flat funding, OI sliding to its lows, quiet price.
    "vacuum": (Phase("drain", 144, 0.00005, price_change=0.0, oi_change=-0.22, vol_mult=0.4),),
    # Scenario 6: moderate directional funding, OI +15 % or more within 48 h, price pinned.
    "pre_event": (Phase("build", 48, 0.0004, price_change=0.0, oi_change=0.20, vol_mult=0.5),),
    # OI/price divergence: price rises while OI falls, sustained for 4 days.
    "oi_price_divergence": (Phase("divergence", 96, 0.0001, price_change=0.07, oi_change=-0.14, vol_mult=0.7),),
}

SIGNALS: dict[str, list[str]] = {
    "long_squeeze": [
        "build_up: funding >= 0.08 % per 8 h on at least two venues for 3+ consecutive periods",
        "build_up: OI rising, above its 30-day median; dense long liquidation levels 3-5 % below price",
        "build_up: confluence scenario 1 (long squeeze setup); extreme-funding fade signal (short bias)",
        "cascade: long liquidations cluster (hourly liquidated USD >= 5x trailing 24 h average)",
    ],
    "short_squeeze": [
        "build_up: funding <= -0.05 % per 8 h on several venues; OI rising",
        "build_up: confluence scenario 2 (short squeeze setup); dense short levels 3-5 % above",
        "squeeze: short liquidation cascade",
    ],
    "healthy_trend": ["confluence scenario 3 (healthy trend): funding 0.01-0.03 %, OI rising with price"],
    "exhaustion": ["blow_off: confluence scenario 4 (exhaustion): funding extreme and rising, OI accelerating"],
    "vacuum": ["confluence scenario 5 (vacuum): |funding| <= 0.01 %, OI near its 30-day low and falling"],
    "pre_event": ["confluence scenario 6 (pre-event build): OI +15 % or more in 48 h, moderate funding"],
    "oi_price_divergence": ["OI/price divergence ratio > 1 sustained 3+ days with OI down >= 8 %"],
}


@dataclass(frozen=True)
class ScheduledEpisode:
    name: str
    asset: str
    start: datetime
    phases: tuple[Phase, ...] = field(default=())

    @property
    def end(self) -> datetime:
        return self.start + timedelta(hours=sum(p.hours for p in self.phases))

    def phase_windows(self) -> list[tuple[Phase, datetime, datetime]]:
        out, t = [], self.start
        for p in self.phases:
            out.append((p, t, t + timedelta(hours=p.hours)))
            t += timedelta(hours=p.hours)
        return out

    def describe(self) -> dict:
        return {
            "name": self.name,
            "asset": self.asset,
            "start": self.start.isoformat(),
            "end": self.end.isoformat(),
            "phases": [
                {
                    "name": p.name,
                    "start": s.isoformat(),
                    "end": e.isoformat(),
                    "funding_8h": p.funding_8h,
                    "price_change": p.price_change,
                    "oi_change": p.oi_change,
                }
                for p, s, e in self.phase_windows()
            ],
            "signals": SIGNALS[self.name],
        }


def schedule(name: str, asset: str, start: datetime) -> ScheduledEpisode:
    if name not in EPISODES:
        raise ValueError(f"unknown episode {name!r}; known: {', '.join(EPISODES)}")
    return ScheduledEpisode(
        name, asset, start.astimezone(UTC).replace(minute=0, second=0, microsecond=0), EPISODES[name]
    )


def parse_episode(text: str) -> ScheduledEpisode:
    """`NAME:ASSET@ISO-TIME`, e.g. `long_squeeze:BTC@2026-10-01T00:00:00Z`."""
    try:
        head, when = text.split("@", 1)
        name, asset = head.split(":", 1)
        start = datetime.fromisoformat(when.replace("Z", "+00:00"))
    except ValueError as exc:
        raise ValueError(f"episode must look like long_squeeze:BTC@2026-10-01T00:00:00Z, got {text!r}") from exc
    if start.tzinfo is None:
        start = start.replace(tzinfo=UTC)
    return schedule(name, asset.upper(), start)


def default_schedule() -> list[ScheduledEpisode]:
    """One of each episode in the year before 2026-11-01, three weeks apart, each on a fixed asset."""
    first = datetime(2025, 12, 1, tzinfo=UTC)
    plan = [
        ("long_squeeze", "BTC"),
        ("short_squeeze", "ETH"),
        ("healthy_trend", "BTC"),
        ("exhaustion", "SOL"),
        ("vacuum", "BTC"),
        ("pre_event", "ETH"),
        ("oi_price_divergence", "BTC"),
        ("long_squeeze", "SOL"),
        ("short_squeeze", "BTC"),
        ("healthy_trend", "ETH"),
        ("exhaustion", "BTC"),
        ("pre_event", "SOL"),
        ("vacuum", "ETH"),
        ("oi_price_divergence", "SOL"),
    ]
    return [schedule(name, asset, first + timedelta(days=21 * i)) for i, (name, asset) in enumerate(plan)]
