"""Positioning histories on Bybit's time grid, one day per partition, for both perpetuals of an asset:

- open interest (`/v5/market/open-interest`, intervalTime 1h): `{openInterest, timestamp}`; linear in base
  coin, inverse in USD (contracts); the symbol is in `result.symbol`, not in the rows;
- the long/short account ratio (`/v5/market/account-ratio`, period 1h): `{symbol, buyRatio, sellRatio,
  timestamp}`, the shares of accounts net long and net short.

Both come newest first and page with an opaque `nextPageCursor`; startTime and endTime are inclusive, so the
half-open window [start, end) is sent as endTime = end - 1 ms. A day is 24 rows: one page at these limits.
"""

from __future__ import annotations

from ingest.envelope import RawResponse
from ingest.http import VenueClient
from ingest.venues.bybit.client import ACCOUNT_RATIO, OPEN_INTEREST, fetch_pages
from ingest.venues.bybit.paging import next_cursor
from ingest.venues.bybit.symbols import Perpetual, perpetuals
from ingest.windows import TimeWindow

INTERVAL = "1h"
OPEN_INTEREST_PAGE_LIMIT = 200
ACCOUNT_RATIO_PAGE_LIMIT = 500
OPEN_INTEREST_DATASET = "open_interest_history"
ACCOUNT_RATIO_DATASET = "long_short_ratio"


def _window(window: TimeWindow) -> dict:
    return {"startTime": window.start_ms, "endTime": window.end_ms - 1}


def open_interest_params(perp: Perpetual, window: TimeWindow) -> dict:
    """The first request of an open-interest window (pure; unit-tested)."""
    return {
        "category": perp.category,
        "symbol": perp.symbol,
        "intervalTime": INTERVAL,
        **_window(window),
        "limit": OPEN_INTEREST_PAGE_LIMIT,
    }


def account_ratio_params(perp: Perpetual, window: TimeWindow) -> dict:
    """The first request of a long/short-ratio window (pure; unit-tested)."""
    return {
        "category": perp.category,
        "symbol": perp.symbol,
        "period": INTERVAL,
        **_window(window),
        "limit": ACCOUNT_RATIO_PAGE_LIMIT,
    }


def fetch_open_interest_history(client: VenueClient, asset: str, window: TimeWindow) -> list[RawResponse]:
    pages: list[RawResponse] = []
    for perp in perpetuals(asset):
        first = open_interest_params(perp, window)
        pages += fetch_pages(client, OPEN_INTEREST, first, next_cursor, OPEN_INTEREST_DATASET)
    return pages


def fetch_account_ratio(client: VenueClient, asset: str, window: TimeWindow) -> list[RawResponse]:
    pages: list[RawResponse] = []
    for perp in perpetuals(asset):
        first = account_ratio_params(perp, window)
        pages += fetch_pages(client, ACCOUNT_RATIO, first, next_cursor, ACCOUNT_RATIO_DATASET)
    return pages
