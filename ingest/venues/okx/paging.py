"""Newest-first paging over OKX histories in half-open UTC windows, and what OKX still keeps.

OKX lists history newest first. The public endpoints bound a page with `after` (records older than a
timestamp) and `before` (newer than); the rubik statistics call the same bounds `end` and `begin`. All four
are exclusive, so a window [start, end) is asked as newer than start - 1 ms and older than end, and each next
page moves the older-than bound to the oldest record received, until a short page or the window's start.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from ingest.envelope import RawResponse
from ingest.errors import BadRequest
from ingest.http import VenueClient
from ingest.venues.okx.client import VENUE, get_records, unpageable
from ingest.windows import TimeWindow, to_ms


@dataclass(frozen=True)
class Bounds:
    """The names an endpoint gives its exclusive lower (newer-than) and upper (older-than) time bounds."""

    newer_than: str
    older_than: str


PUBLIC = Bounds(newer_than="before", older_than="after")
RUBIK = Bounds(newer_than="begin", older_than="end")


def first_page(
    base: dict, window: TimeWindow, bounds: Bounds, limit: int, closed_until: datetime | None = None
) -> dict:
    """The first request of a window. `closed_until` (the open period's start) keeps a period that is still
    running out of the partition: its values change until it closes, and a later run fetches it whole."""
    older_than = (
        window.end_ms if closed_until is None else max(window.start_ms, min(window.end_ms, to_ms(closed_until)))
    )
    return {**base, bounds.newer_than: window.start_ms - 1, bounds.older_than: older_than, "limit": limit}


def next_page(params: dict, page_times: list[int], bounds: Bounds) -> dict | None:
    """The next (older) page, or None when this page was the window's last."""
    if len(page_times) < params["limit"]:
        return None
    oldest = min(page_times)
    if oldest <= params[bounds.newer_than] + 1:
        return None  # the page reached the window's first millisecond
    if oldest >= params[bounds.older_than]:
        return None  # the cursor did not move (a repeated page): stop rather than loop
    return {**params, bounds.older_than: oldest}


def period_start(now: datetime, period: timedelta) -> datetime:
    """The start of the period running at `now` (periods up to a day, aligned on UTC midnight)."""
    midnight = now.replace(hour=0, minute=0, second=0, microsecond=0)
    return midnight + (now - midnight) // period * period


class BeyondRetention(BadRequest):
    """The venue no longer serves this window: fetching again cannot help, so the partition fails for good
    instead of loading an empty answer as if nothing had happened."""


def ensure_retained(window: TimeWindow, now: datetime, retention: timedelta, what: str) -> None:
    oldest = now - retention
    if window.start < oldest:
        raise BeyondRetention(
            f"OKX keeps {what} for about {retention.days} days: the window starting {window.start.isoformat()} "
            f"begins before {oldest.isoformat()} and can no longer be fetched",
            venue=VENUE,
        )


def fetch_pages(
    client: VenueClient,
    path: str,
    params: dict,
    bounds: Bounds,
    *,
    dataset: str,
    record_time: Callable[[object], int],
) -> list[RawResponse]:
    """Every page of a window, newest first, as received. `record_time` reads a record's epoch ms."""
    pages: list[RawResponse] = []
    next_params: dict | None = params
    while next_params is not None:
        raw, records = get_records(client, path, next_params, dataset=dataset)
        pages.append(raw)
        times: list[int] = []  # a short page is the window's last: it needs no cursor
        if len(records) >= next_params["limit"]:
            try:
                times = [record_time(r) for r in records]
            except (KeyError, IndexError, TypeError, ValueError) as exc:
                raise unpageable(client, raw, f"{path}: a record without its time ({exc!r})", "time") from exc
        next_params = next_page(next_params, times, bounds)
    return pages
