"""The simulator's clock: real time (demo), frozen at an instant, or running from an instant at a
chosen speed (so websocket streams and snapshots move through a scripted episode in minutes)."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta


@dataclass
class SimClock:
    start_at: datetime | None = None  # None: the real clock
    speed: float = 0.0  # 0 with start_at: frozen; 60: one simulated minute per real second
    _wall0: float = field(default_factory=time.time)

    @property
    def frozen_at(self) -> datetime | None:
        return self.start_at if self.speed == 0 else None

    def restart(self) -> None:
        """Start counting from now: called once the simulator serves, so building the market does not
        advance a running clock."""
        self._wall0 = time.time()

    def now(self) -> datetime:
        if self.start_at is None:
            return datetime.now(UTC)
        return self.start_at + timedelta(seconds=(time.time() - self._wall0) * self.speed)

    def now_ms(self) -> int:
        return int(self.now().timestamp() * 1000)

    def wall(self) -> float:
        """Wall time for rate-limit windows: limits always run on real time, whatever the market clock."""
        return time.time()
