"""Hourly candles of each asset's perpetual, in daily windows.

- Rows are `[ts, open, high, low, close, vol (contracts), volCcy (coin), volCcyQuote (USDT), confirm]`,
  newest first; `after`/`before` are exclusive. OKX candles carry no taker buy/sell split.
- `market/candles` serves the latest 1,440 bars (60 days of hours), 40 requests / 2 s; `history-candles`
  serves older ones too, 20 / 2 s. A window uses the first while it is safely inside the recent bars.
- The bar still open (`confirm` "0") changes until it closes, so a window stops at its start.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from ingest.envelope import RawResponse
from ingest.http import VenueClient
from ingest.venues.okx.paging import PUBLIC, fetch_pages, first_page, period_start
from ingest.windows import TimeWindow

BAR = "1H"
BAR_LENGTH = timedelta(hours=1)
RECENT = ("market/candles", 300)
HISTORY = ("market/history-candles", 100)
# 1,440 hourly bars are 60 days; a day's margin keeps a window from sliding out while it is paged.
RECENT_REACH = timedelta(days=59)


def candles_endpoint(window: TimeWindow, now: datetime) -> tuple[str, int]:
    """The endpoint (and its page limit) that serves this window."""
    return RECENT if window.start >= now - RECENT_REACH else HISTORY


def candles_params(inst_id: str, window: TimeWindow, now: datetime) -> tuple[str, dict]:
    """The endpoint and first request of a window of closed hourly bars (pure; unit-tested)."""
    path, limit = candles_endpoint(window, now)
    params = first_page(
        {"instId": inst_id, "bar": BAR}, window, PUBLIC, limit, closed_until=period_start(now, BAR_LENGTH)
    )
    return path, params


def fetch_candles(
    client: VenueClient, inst_id: str, window: TimeWindow, now: datetime | None = None
) -> list[RawResponse]:
    path, params = candles_params(inst_id, window, now or client.settings.now())
    return fetch_pages(client, path, params, PUBLIC, dataset="candles", record_time=lambda row: int(row[0]))
