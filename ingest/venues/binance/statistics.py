"""USD-M trading statistics under /futures/data/ (fapi): open interest history, long/short ratios and taker
buy/sell volume of each asset's perpetual, hourly, one day per partition.

Facts this relies on (reference/exchange_api.md section 1.1 (4) and (6); the simulator agrees):
- parameters `symbol`, `period`, `startTime`/`endTime` (inclusive, ms), `limit` (default 30, max 500);
- records are stamped on period boundaries, oldest first; a window holding more than `limit` records is
  answered with its newest `limit` (the simulator's reading of "the most recent data is returned"; a day of
  hours is 24 records, one page either way);
- only the last 30 days are served: an older startTime is refused with HTTP 400 -1130 "parameter 'startTime'
  is invalid.", so such a window fails here, before any request, for good;
- no weight, but 1000 requests / 5 min / IP across /futures/data;
- takerlongshortRatio rows name no symbol; the account and position ratios share one row layout.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from ingest.envelope import RawResponse
from ingest.errors import BadRequest
from ingest.http import VenueClient
from ingest.venues.binance.paging import fetch_pages, next_page_backward, window_params
from ingest.windows import TimeWindow

VENUE = "binance"
PERIOD = "1h"
PAGE_LIMIT = 500
RETENTION = timedelta(days=30)
# Our clock and Binance's may differ by a little; a window this close to the edge could be refused.
CLOCK_MARGIN = timedelta(minutes=5)
COSTS = {"futures_data": 1}

OPEN_INTEREST_HISTORY = "/futures/data/openInterestHist"
GLOBAL_ACCOUNT_RATIO = "/futures/data/globalLongShortAccountRatio"
TOP_POSITION_RATIO = "/futures/data/topLongShortPositionRatio"
TAKER_VOLUME = "/futures/data/takerlongshortRatio"


class BeyondRetention(BadRequest):
    """Binance no longer serves this window: fetching again cannot help, so the partition fails for good
    instead of loading a refusal or an empty answer as if nothing had happened."""


def ensure_retained(window: TimeWindow, now: datetime) -> None:
    oldest = now - RETENTION + CLOCK_MARGIN
    if window.start < oldest:
        raise BeyondRetention(
            f"Binance serves /futures/data statistics for the last {RETENTION.days} days only: the window starting "
            f"{window.start.isoformat()} begins before {oldest.isoformat()} and can no longer be fetched",
            venue=VENUE,
        )


def statistics_params(symbol: str, window: TimeWindow) -> dict:
    """The first request of a window of hourly statistics (pure; unit-tested)."""
    return window_params(window, PAGE_LIMIT, symbol=symbol, period=PERIOD)


def next_statistics_page(params: dict, rows: list) -> dict | None:
    return next_page_backward(params, rows, lambda row: int(row["timestamp"]))


def _fetch(client: VenueClient, path: str, dataset: str, symbol: str, window: TimeWindow) -> list[RawResponse]:
    params = statistics_params(symbol, window)
    return fetch_pages(client, path, params, next_statistics_page, dataset=dataset, costs=COSTS)


def fetch_open_interest_history(
    client: VenueClient, symbol: str, window: TimeWindow, now: datetime | None = None
) -> list[RawResponse]:
    """sumOpenInterest (base coin) and sumOpenInterestValue (USDT) at each hour."""
    ensure_retained(window, now or client.settings.now())
    return _fetch(client, OPEN_INTEREST_HISTORY, "open_interest_history", symbol, window)


def fetch_long_short_ratios(
    client: VenueClient, symbol: str, window: TimeWindow, now: datetime | None = None
) -> list[RawResponse]:
    """The long/short account ratio of all accounts, then the position ratio of the top traders (top 20 % by
    margin); the raw row's endpoint tells them apart."""
    ensure_retained(window, now or client.settings.now())
    return [
        page
        for path in (GLOBAL_ACCOUNT_RATIO, TOP_POSITION_RATIO)
        for page in _fetch(client, path, "long_short_ratio", symbol, window)
    ]


def fetch_taker_volume(
    client: VenueClient, symbol: str, window: TimeWindow, now: datetime | None = None
) -> list[RawResponse]:
    """Taker buy and sell volume (base coin) and their ratio per hour."""
    ensure_retained(window, now or client.settings.now())
    return _fetch(client, TAKER_VOLUME, "taker_long_short_ratio", symbol, window)
