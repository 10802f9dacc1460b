"""Formatting shared by the reports: the ruled tables of the skill card, percents, durations."""

from __future__ import annotations

from datetime import datetime, timedelta

RULE = "━" * 60


def pct(fraction: float | None, digits: int = 4) -> str:
    if fraction is None:
        return "n/a"
    return f"{fraction * 100:+.{digits}f}%"


def duration(delta: timedelta | None) -> str:
    if delta is None:
        return "n/a"
    seconds = int(delta.total_seconds())
    if seconds < 0:
        return "due"
    hours, rem = divmod(seconds, 3600)
    minutes = rem // 60
    if hours >= 24:
        return f"{hours // 24}d {hours % 24}h"
    return f"{hours}h {minutes:02d}m"


def utc(t: datetime | None) -> str:
    return "n/a" if t is None else t.strftime("%Y-%m-%d %H:%M UTC")


def table(headers: list[str], rows: list[list[str]], widths: list[int], notes: list[str] | None = None) -> list[str]:
    """The ruled table; `notes` (one per row, may be empty) are appended after a row's last column."""

    def line(cells: list[str]) -> str:
        return "".join(c.ljust(w) if i == 0 else c.rjust(w) for i, (c, w) in enumerate(zip(cells, widths, strict=True)))

    notes = notes or [""] * len(rows)
    return [RULE, line(headers), RULE, *(line(r) + n for r, n in zip(rows, notes, strict=True)), RULE]
