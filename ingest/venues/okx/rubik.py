"""Trading statistics (`/rubik/stat/contracts/...`) of each asset's perpetual, hourly, in daily windows.

- open-interest-history rows are `[ts, oi contracts, oi coin, oi USD]`; long-short-account-ratio-contract
  rows are `[ts, long/short accounts]`. `ts` opens the period; bounds `begin`/`end` are exclusive.
- The period still running reports a live value, so a window stops at its start (paging.first_page).
- OKX keeps the latest 1,440 entries per period: 60 days of hourly values. Older windows fail with
  `BeyondRetention`, a day early so that a window is never half gone.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from ingest.envelope import RawResponse
from ingest.http import VenueClient
from ingest.venues.okx.paging import RUBIK, ensure_retained, fetch_pages, first_page, period_start
from ingest.windows import TimeWindow

PERIOD = "1H"
PERIOD_LENGTH = timedelta(hours=1)
PAGE_LIMIT = 100
RETENTION = timedelta(days=59)

OPEN_INTEREST_HISTORY = "rubik/stat/contracts/open-interest-history"
LONG_SHORT_RATIO = "rubik/stat/contracts/long-short-account-ratio-contract"


def stat_params(inst_id: str, window: TimeWindow, now: datetime) -> dict:
    """The first request of a window of hourly statistics, closed periods only (pure; unit-tested)."""
    return first_page(
        {"instId": inst_id, "period": PERIOD}, window, RUBIK, PAGE_LIMIT, closed_until=period_start(now, PERIOD_LENGTH)
    )


def _fetch(
    client: VenueClient, path: str, dataset: str, inst_id: str, window: TimeWindow, now: datetime | None
) -> list[RawResponse]:
    now = now or client.settings.now()
    ensure_retained(window, now, RETENTION, path.rsplit("/", 1)[-1])
    params = stat_params(inst_id, window, now)
    return fetch_pages(client, path, params, RUBIK, dataset=dataset, record_time=lambda row: int(row[0]))


def fetch_open_interest_history(
    client: VenueClient, inst_id: str, window: TimeWindow, now: datetime | None = None
) -> list[RawResponse]:
    return _fetch(client, OPEN_INTEREST_HISTORY, "open_interest_history", inst_id, window, now)


def fetch_long_short_ratio(
    client: VenueClient, inst_id: str, window: TimeWindow, now: datetime | None = None
) -> list[RawResponse]:
    return _fetch(client, LONG_SHORT_RATIO, "long_short_account_ratio", inst_id, window, now)
