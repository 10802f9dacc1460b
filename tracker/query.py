"""What every report is asked: which point in time (--as-of), which venues (--exchange), and the connection.

Reports read history marts and take, per key, the newest row at or before the as-of. Without --as-of the
as-of is "the newest data", so the same SQL serves the present and any past hour. All SQL takes its values as
parameters (one placeholder per value: a list parameter would make duckdb import pandas, a second of start-up).
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass
from datetime import UTC, datetime

import duckdb

from tracker.errors import CliError

VENUES = ("binance", "bybit", "okx", "deribit", "bitmex", "dydx", "gmx", "drift")
VENUE_NAMES = {
    "binance": "Binance",
    "bybit": "Bybit",
    "okx": "OKX",
    "deribit": "Deribit",
    "bitmex": "BitMEX",
    "dydx": "dYdX",
    "gmx": "GMX",
    "drift": "Drift",
}


def venue_name(exchange: str) -> str:
    return VENUE_NAMES.get(exchange, exchange)


@dataclass(frozen=True)
class Query:
    con: duckdb.DuckDBPyConnection
    now: datetime  # the wall clock when the command started (UTC)
    as_of: datetime | None = None  # --as-of: a point-in-time view; None = the newest data
    exchanges: tuple[str, ...] | None = None  # --exchange: only these venues; None = all

    def upto(self, column: str) -> tuple[str, list]:
        """`and column <= ?` for --as-of, or nothing."""
        if self.as_of is None:
            return "", []
        return f" and {column} <= ?", [self.as_of]

    def venues(self, column: str = "exchange") -> tuple[str, list]:
        """`and column in (?, ...)` for --exchange, or nothing."""
        if not self.exchanges:
            return "", []
        return f" and {column} in ({marks(self.exchanges)})", list(self.exchanges)

    def wants(self, exchange: str) -> bool:
        return not self.exchanges or exchange in self.exchanges


def marks(values) -> str:
    return ", ".join("?" for _ in values)


def parse_as_of(text: str, now: datetime) -> datetime:
    """--as-of: an ISO-8601 date or instant, UTC unless it says otherwise. A date means its end (23:59:59)."""
    raw = text.strip()
    try:
        t = datetime.fromisoformat(raw.replace("Z", "+00:00").replace("z", "+00:00"))
    except ValueError:
        raise CliError(
            "ERR_BAD_ARGUMENT",
            f"--as-of {text[:40]!r} is not a date or time",
            "use ISO-8601 UTC, e.g. 2026-11-20, 2026-11-20T14:00 or 2026-11-20T14:00Z",
        ) from None
    if len(raw) == 10:  # a bare date: the whole day is visible
        t = t.replace(hour=23, minute=59, second=59)
    t = t.replace(tzinfo=UTC) if t.tzinfo is None else t.astimezone(UTC)
    if t > now:
        raise CliError(
            "ERR_BAD_ARGUMENT",
            f"--as-of {t:%Y-%m-%d %H:%M} UTC is in the future",
            "leave --as-of out for the newest data",
        )
    return t


def parse_exchanges(values: list[str] | None) -> tuple[str, ...] | None:
    """--exchange binance --exchange okx, or --exchange binance,okx; venue names in any case."""
    if not values:
        return None
    chosen: list[str] = []
    for value in values:
        for part in value.split(","):
            name = part.strip().lower()
            if not name:
                continue
            if name not in VENUES:
                close = difflib.get_close_matches(name, VENUES, n=2, cutoff=0.5)
                hint = f"did you mean {' or '.join(close)}? " if close else ""
                raise CliError(
                    "ERR_BAD_ARGUMENT",
                    f"--exchange {part.strip()[:30]!r} is not a venue we collect",
                    f"{hint}venues: {', '.join(VENUES)}",
                )
            if name not in chosen:
                chosen.append(name)
    if not chosen:
        raise CliError("ERR_BAD_ARGUMENT", "--exchange names no venue", f"venues: {', '.join(VENUES)}")
    return tuple(chosen)
