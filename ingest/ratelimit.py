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
from typing import TypeVar

T = TypeVar("T")


_SHARED: dict[str, object] = {}
_SHARED_LOCK = threading.Lock()


def shared(name: str, factory: Callable[[], T]) -> T:
    """One budget per name for the whole process: venues count usage per IP, so every client of a venue
    (one per partition during a backfill) must spend the same budget rather than a fresh one."""
    with _SHARED_LOCK:
        if name not in _SHARED:
            _SHARED[name] = factory()
        return _SHARED[name]  # type: ignore[return-value]


def reset_shared() -> None:
    """Forget the process-wide budgets (tests start each case from a fresh IP)."""
    with _SHARED_LOCK:
        _SHARED.clear()


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


@dataclass
class TokenBucket:
    """A refilling bucket (Deribit credits, BitMEX requests): `capacity` tokens, `refill_per_second`.

    Same interface as WindowBudget, so a venue's budgets can mix both kinds."""

    name: str
    capacity: float
    refill_per_second: float
    safety: float = 0.9
    clock: Callable[[], float] = time.monotonic
    sleep: Callable[[float], None] = time.sleep
    _tokens: float | None = field(default=None, init=False)
    _updated: float = field(default=0.0, init=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, init=False, repr=False)
    waited_seconds: float = field(default=0.0, init=False)

    def _refill(self, now: float) -> None:
        if self._tokens is None:
            self._tokens, self._updated = self.capacity * self.safety, now
            return
        self._tokens = min(self.capacity * self.safety, self._tokens + (now - self._updated) * self.refill_per_second)
        self._updated = now

    def acquire(self, cost: float) -> None:
        if cost > self.capacity * self.safety:
            raise ValueError(f"{self.name}: request cost {cost} exceeds the bucket {self.capacity * self.safety}")
        while True:
            with self._lock:
                now = self.clock()
                self._refill(now)
                if self._tokens >= cost:
                    self._tokens -= cost
                    return
                wait = (cost - self._tokens) / self.refill_per_second + 0.005
            self.waited_seconds += wait
            self.sleep(wait)

    def observe(self, remaining: float) -> None:
        """Adopt the venue's reported remaining tokens when lower than ours."""
        with self._lock:
            self._refill(self.clock())
            self._tokens = min(self._tokens, remaining)

    def exhaust(self) -> None:
        with self._lock:
            self._refill(self.clock())
            self._tokens = 0.0

    @property
    def used(self) -> float:
        with self._lock:
            self._refill(self.clock())
            return self.capacity * self.safety - self._tokens
