"""Perpetual funding: the open period now (`public/funding-rate`) and settled history (`funding-rate-history`).

- `fundingTime` is when the current rate settles and `nextFundingTime` the settlement after it, so the
  interval is their difference (OKX runs 1 h to 8 h intervals per instrument).
- History is newest first with exclusive `after`/`before` bounds (paging.py). OKX keeps about three months of
  it; older windows fail with `BeyondRetention` rather than load an empty answer.
- `limit` is at most 100 in the reference and 400 in docs-v5 (2026); a day holds at most 24 settlements, so
  100 fits both and a day is one page.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from ingest.envelope import RawResponse
from ingest.http import VenueClient
from ingest.venues.okx.client import get_records
from ingest.venues.okx.paging import PUBLIC, ensure_retained, fetch_pages, first_page
from ingest.windows import TimeWindow

HISTORY_PAGE_LIMIT = 100
# "About three months": the conservative end of it, so that a window is never half gone.
HISTORY_RETENTION = timedelta(days=90)


def fetch_current_funding(client: VenueClient, inst_id: str) -> RawResponse:
    raw, _ = get_records(client, "public/funding-rate", {"instId": inst_id}, dataset="funding_rate")
    return raw


def funding_history_params(inst_id: str, window: TimeWindow) -> dict:
    """The first request of a window of settlements (pure; unit-tested)."""
    return first_page({"instId": inst_id}, window, PUBLIC, HISTORY_PAGE_LIMIT)


def fetch_funding_history(
    client: VenueClient, inst_id: str, window: TimeWindow, now: datetime | None = None
) -> list[RawResponse]:
    ensure_retained(window, now or client.settings.now(), HISTORY_RETENTION, "funding-rate-history")
    return fetch_pages(
        client,
        "public/funding-rate-history",
        funding_history_params(inst_id, window),
        PUBLIC,
        dataset="funding_rate_history",
        record_time=lambda r: int(r["fundingTime"]),
    )
