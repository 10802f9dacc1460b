"""The simulator's clock: real time (demo) or frozen at a given instant (tests, reproducible runs)."""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import UTC, datetime


@dataclass
class SimClock:
    frozen_at: datetime | None = None

    def now(self) -> datetime:
        if self.frozen_at is not None:
            return self.frozen_at
        return datetime.now(UTC)

    def now_ms(self) -> int:
        return int(self.now().timestamp() * 1000)

    def wall(self) -> float:
        """Wall time for rate-limit windows: limits always run on real time, even with a frozen market."""
        return time.time()
