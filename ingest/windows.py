"""Half-open UTC time windows `[start, end)`, the one convention for API calls, deletes and dbt vars."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime


@dataclass(frozen=True)
class TimeWindow:
    start: datetime
    end: datetime

    def __post_init__(self) -> None:
        if self.start.tzinfo is None or self.end.tzinfo is None:
            raise ValueError("TimeWindow needs timezone-aware datetimes (UTC)")
        if self.end <= self.start:
            raise ValueError(f"empty window: {self.start} >= {self.end}")

    @property
    def start_ms(self) -> int:
        return to_ms(self.start)

    @property
    def end_ms(self) -> int:
        return to_ms(self.end)

    def contains(self, t: datetime) -> bool:
        return self.start <= t < self.end


def to_ms(t: datetime) -> int:
    return int(t.astimezone(UTC).timestamp() * 1000)


def from_ms(ms: int | float | str) -> datetime:
    return datetime.fromtimestamp(int(ms) / 1000, tz=UTC)
