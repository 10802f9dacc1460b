"""`/v4/historicalFunding/{ticker}`: hourly settlements (`rate` is the 1-hour rate, `price` the oracle price),
newest first, at most `limit` per page, `effectiveAt <= effectiveBeforeOrAt` (inclusive). There is no lower bound,
so a page reaches as far back as `limit` allows: asking for exactly the number of settlements the window holds
keeps a partition's records inside it (a full page would otherwise reach weeks into the past). Each settlement is
stamped a fraction of a second after its hour (the block that carried it).
"""

from __future__ import annotations

from datetime import datetime, timedelta

from ingest.envelope import RawResponse
from ingest.errors import SchemaDrift
from ingest.http import VenueClient
from ingest.venues.dydx.client import ONE_REQUEST
from ingest.venues.dydx.protocol import API
from ingest.venues.dydx.wire import MS, cursor_time, iso_ms, page_records, reject
from ingest.windows import TimeWindow

HOUR = timedelta(hours=1)
API_LIMIT = 1000  # the indexer's largest page
# The settlement of hour h is stamped just after h, once the block carrying it is indexed. The current
# hour's is not counted on the first page until this long after its hour: a page asking for one settlement
# more than exists reaches into the previous day. Counting one too few costs nothing (paging fetches it).
SETTLE_GRACE = timedelta(minutes=5)


def first_settlement_hour(window: TimeWindow) -> datetime:
    first = window.start.replace(minute=0, second=0, microsecond=0)
    return first if first == window.start else first + HOUR


def settlements_due(window: TimeWindow, now: datetime) -> int:
    """Top-of-the-hour settlements in [start, end) already published (their hour is SETTLE_GRACE past)."""
    first = first_settlement_hour(window)
    last = min(window.end - MS, now - SETTLE_GRACE)
    return (last - first) // HOUR + 1 if last >= first else 0


def funding_history_params(window: TimeWindow, now: datetime) -> dict:
    """The first request of a window (pure; unit-tested): newest settlement of the window, a page its size."""
    return {
        "effectiveBeforeOrAt": iso_ms(window.end - MS),
        "limit": min(API_LIMIT, max(1, settlements_due(window, now))),
    }


def next_funding_page(params: dict, rows: list[dict], window: TimeWindow) -> dict | None:
    """Older settlements of the window, or None after a short page or once the window's start is reached."""
    if len(rows) < params["limit"]:
        return None
    oldest = cursor_time(rows[-1], "effectiveAt")
    first = first_settlement_hour(window)
    if oldest < first + HOUR:
        # The oldest is the window's first settlement (stamped just after its hour): nothing older is in the window.
        return None
    # One settlement per hour: ask for exactly the hours left in [first, oldest's hour), so the page stops at the
    # window's start; stepping 1 ms below the oldest neither repeats nor skips one.
    remaining = (oldest.replace(minute=0, second=0, microsecond=0) - first) // HOUR
    return {**params, "effectiveBeforeOrAt": iso_ms(oldest - MS), "limit": min(API_LIMIT, remaining)}


def fetch_funding_history(client: VenueClient, ticker: str, window: TimeWindow) -> list[RawResponse]:
    path = f"{API}/historicalFunding/{ticker}"
    params: dict | None = funding_history_params(window, client.settings.now())
    pages: list[RawResponse] = []
    while params is not None:
        raw, body = client.get_json(path, params, dataset="funding_rates", costs=ONE_REQUEST, page=len(pages))
        pages.append(raw)
        try:
            params = next_funding_page(params, page_records(body, "historicalFunding"), window)
        except SchemaDrift as error:
            reject(client, raw, error)
    return pages
