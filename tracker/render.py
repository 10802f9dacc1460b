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


def usd(value: float | None) -> str:
    """$8.2B, $125M, $45.2M, $850K, $950 (the skill card's short form)."""
    if value is None:
        return "n/a"
    sign = "-" if value < 0 else ""
    v = abs(value)
    for scale, suffix in ((1e12, "T"), (1e9, "B"), (1e6, "M"), (1e3, "K")):
        if v >= scale * 0.9995:
            n = v / scale
            return f"{sign}${n:.0f}{suffix}" if n >= 99.95 else f"{sign}${n:.1f}{suffix}"
    return f"{sign}${v:,.0f}"


def price_text(value: float | None) -> str:
    """$67,500 / $152.34 / $0.4213: digits that suit the price's size."""
    if value is None:
        return "n/a"
    if abs(value) >= 1000:
        return f"${value:,.0f}"
    if abs(value) >= 10:
        return f"${value:,.2f}"
    return f"${value:,.4f}"
