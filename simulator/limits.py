"""Venue rate limits as the venues enforce them: fixed windows per IP, then a ban for those who keep
going. Each decision is written to the request log that tests read back through /_sim/requests."""

from __future__ import annotations

import math
import threading
from collections import Counter
from dataclasses import dataclass, field


@dataclass
class Bucket:
    """A fixed-window counter (Binance resets REQUEST_WEIGHT on each minute boundary)."""

    name: str
    limit: int
    window_seconds: float
    _window_start: float = 0.0
    _used: float = 0.0

    def _roll(self, now: float) -> None:
        start = now - (now % self.window_seconds)
        if start != self._window_start:
            self._window_start, self._used = start, 0.0

    def would_exceed(self, now: float, cost: float) -> bool:
        self._roll(now)
        return self._used + cost > self.limit

    def spend(self, now: float, cost: float) -> float:
        self._roll(now)
        self._used += cost
        return self._used

    def used(self, now: float) -> float:
        self._roll(now)
        return self._used

    def seconds_to_reset(self, now: float) -> int:
        return max(1, math.ceil(self._window_start + self.window_seconds - now))


@dataclass
class Decision:
    allowed: bool
    status: int = 200
    retry_after: int | None = None
    banned_until: float | None = None
    exceeded: str | None = None


@dataclass
class VenueLimiter:
    """One venue host's limits for one IP: named buckets, a strike count after a 429, a ban."""

    buckets: dict[str, Bucket]
    ban_after_strikes: int = 10
    ban_seconds: int = 120
    strikes: int = 0
    limited_until: float = 0.0
    banned_until: float = 0.0
    lock: threading.Lock = field(default_factory=threading.Lock)

    def decide(self, now: float, costs: dict[str, float]) -> Decision:
        with self.lock:
            if now < self.banned_until:
                return Decision(False, 418, math.ceil(self.banned_until - now), self.banned_until)
            for name, cost in costs.items():
                bucket = self.buckets[name]
                if bucket.would_exceed(now, cost):
                    if now < self.limited_until:
                        self.strikes += 1
                    else:
                        self.strikes = 1
                    retry = bucket.seconds_to_reset(now)
                    self.limited_until = now + retry
                    if self.strikes > self.ban_after_strikes:
                        self.banned_until = now + self.ban_seconds
                        return Decision(False, 418, self.ban_seconds, self.banned_until, name)
                    return Decision(False, 429, retry, None, name)
            for name, cost in costs.items():
                self.buckets[name].spend(now, cost)
            return Decision(True)

    def used(self, now: float, name: str) -> float:
        with self.lock:
            return self.buckets[name].used(now)

    def reset(self) -> None:
        with self.lock:
            self.strikes, self.limited_until, self.banned_until = 0, 0.0, 0.0
            for b in self.buckets.values():
                b._window_start, b._used = 0.0, 0.0


@dataclass
class RequestLog:
    entries: list[dict] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)
    # Bumped by clear(): a request that started before a reset (e.g. one held by a timeout fault) is not
    # logged into the next test's log when it finally completes.
    generation: int = 0

    def add(self, *, generation: int | None = None, **entry) -> None:
        with self.lock:
            if generation is not None and generation != self.generation:
                return
            self.entries.append(entry)

    def summary(self) -> dict:
        with self.lock:
            entries = list(self.entries)
        by_status = Counter(f"{e['venue']} {e['status']}" for e in entries)
        by_path = Counter(f"{e['venue']} {e['path']}" for e in entries)
        weight = Counter()
        for e in entries:
            weight[e["venue"]] += e.get("weight", 0)
        return {
            "requests": len(entries),
            "by_status": dict(by_status),
            "by_path": dict(by_path),
            "weight_used": dict(weight),
            "limit_violations": sum(1 for e in entries if e.get("refused")),
            "max_used_in_window": _max_used(entries),
        }

    def clear(self) -> None:
        with self.lock:
            self.entries.clear()
            self.generation += 1


def _max_used(entries: list[dict]) -> dict:
    out: dict[str, float] = {}
    for e in entries:
        for key, used in (e.get("used") or {}).items():
            name = f"{e['venue']}:{key}"
            out[name] = max(out.get(name, 0.0), used)
    return out
