"""Client-side rate budgets, so that a backfill runs close to a venue's limit and never over it.

Venues count usage in fixed windows per IP (Binance resets REQUEST_WEIGHT every minute and reports
the running total in `X-MBX-USED-WEIGHT-1M`). A `WindowBudget` mirrors that: it adds each request's
cost to the current window, waits for the next window when the cost would cross `limit x safety`,
and adopts the venue's own count when a response reports a higher one (other processes on the same
IP spend the same budget).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field


@dataclass
class WindowBudget:
    name: str
    limit: int
    window_seconds: float
    safety: float = 0.9
    clock: Callable[[], float] = time.time
    sleep: Callable[[float], None] = time.sleep
    _window_start: float = field(default=0.0, init=False)
    _used: float = field(default=0.0, init=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, init=False, repr=False)
    waited_seconds: float = field(default=0.0, init=False)

    def _roll(self, now: float) -> None:
        start = now - (now % self.window_seconds)
        if start != self._window_start:
            self._window_start = start
            self._used = 0.0

    @property
    def capacity(self) -> float:
        return self.limit * self.safety

    def acquire(self, cost: float) -> None:
        """Block until `cost` fits in the current window, then spend it."""
        if cost > self.capacity:
            raise ValueError(f"{self.name}: request cost {cost} exceeds the budget {self.capacity}")
        while True:
            with self._lock:
                now = self.clock()
                self._roll(now)
                if self._used + cost <= self.capacity:
                    self._used += cost
                    return
                wait = self._window_start + self.window_seconds - now + 0.01
            self.waited_seconds += wait
            self.sleep(wait)

    def observe(self, used_in_window: float) -> None:
        """Adopt the venue's reported usage for the current window when it is higher than ours."""
        with self._lock:
            self._roll(self.clock())
            self._used = max(self._used, used_in_window)

    def exhaust(self) -> None:
        """The venue said 429: treat the rest of this window as spent."""
        with self._lock:
            self._roll(self.clock())
            self._used = self.capacity

    @property
    def used(self) -> float:
        with self._lock:
            self._roll(self.clock())
            return self._used
