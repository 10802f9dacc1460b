"""Bybit's two ways of paging, as pure functions of the previous request and its answer.

- Time-bounded lists (funding history, candles) come newest first inside an inclusive [start, end]; a full
  page continues with the end moved to just before its oldest row.
- Grid histories (open interest, long/short ratio) and instrument lists hand back an opaque
  `nextPageCursor`; an empty cursor ends the list.

Both stop when an answer would make the next request repeat the previous one (a cursor or an end that did
not move, as a duplicated page does), so a misbehaving venue cannot hold a fetch in a loop.
"""

from __future__ import annotations

from collections.abc import Callable

from ingest.errors import SchemaDrift
from ingest.venues.bybit.client import VENUE


def epoch_ms(value: object, field: str) -> int:
    """A Bybit timestamp (ms, usually a string) as an int; anything else is drift in that field."""
    try:
        return int(value)  # type: ignore[arg-type]
    except (TypeError, ValueError) as exc:
        raise SchemaDrift(f"{field} is not an epoch-ms timestamp: {value!r}", venue=VENUE, field=field) from exc


def page_back(params: dict, rows: list, time_of: Callable[[object], int], start_key: str, end_key: str) -> dict | None:
    """The next newest-first page inside [params[start_key], params[end_key]] (both inclusive), or None."""
    if len(rows) < params["limit"]:
        return None
    before = min(time_of(row) for row in rows) - 1
    if before < params[start_key] or before >= params[end_key]:
        return None
    return {**params, end_key: before}


def next_cursor(params: dict, result: dict) -> dict | None:
    """The next cursor page, or None when the list is done or the cursor did not move."""
    cursor = result.get("nextPageCursor") or ""
    if not cursor or cursor == params.get("cursor"):
        return None
    return {**params, "cursor": cursor}
