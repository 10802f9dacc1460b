"""USD-M hourly candles (`/fapi/v1/klines`, interval 1h) of each asset's perpetual, closed candles only, one day
per partition.

Rows are arrays `[open time, open, high, low, close, volume (base), close time, quote volume (USDT), trades,
taker buy base volume, taker buy quote volume, ignore]`: prices and volumes as strings, times in ms.
- startTime/endTime select candles by open time, both inclusive; ascending; `limit` up to 1500, weighted by
  size: under 100 costs 1, under 500 costs 2, up to 1000 costs 5, more costs 10;
- the last candle of an answer may still be running and changes between calls (reference/reliability.md
  4.7): the window stops before the open hour, so a partition holds closed candles only and today's
  partition grows by one candle an hour. A window with no closed candle yet (today before 01:00 UTC) fails
  with a retryable cause rather than loading an empty day.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from ingest.envelope import RawResponse
from ingest.errors import ExchangeError
from ingest.http import VenueClient
from ingest.venues.binance.paging import fetch_pages, next_page_forward, window_params
from ingest.windows import TimeWindow, to_ms

VENUE = "binance"
INTERVAL = "1h"
CANDLE = timedelta(hours=1)
# The largest page of the cheapest weight tier: a day of hours fits in one page of weight 1.
PAGE_LIMIT = 99


class NoClosedCandle(ExchangeError):
    """The window has no closed candle yet: worth fetching again once its first hour has closed."""

    retryable = True


def request_weight(limit: int) -> int:
    return 1 if limit < 100 else 2 if limit < 500 else 5 if limit <= 1000 else 10


def open_hour(now: datetime) -> datetime:
    """Open time of the candle still running at `now`."""
    return now.astimezone(UTC).replace(minute=0, second=0, microsecond=0)


def klines_params(symbol: str, window: TimeWindow, now: datetime) -> dict:
    """The first request of a window of closed hourly candles (pure; unit-tested)."""
    closed_end = min(window.end, open_hour(now))
    if closed_end <= window.start:
        raise NoClosedCandle(
            f"no hourly candle of the window starting {window.start.isoformat()} has closed yet; the first closes "
            f"at {(window.start + CANDLE).isoformat()}",
            venue=VENUE,
        )
    params = window_params(window, PAGE_LIMIT, symbol=symbol, interval=INTERVAL)
    return {**params, "endTime": to_ms(closed_end) - 1}


def next_klines_page(params: dict, rows: list) -> dict | None:
    return next_page_forward(params, rows, lambda row: int(row[0]), spacing_ms=int(CANDLE.total_seconds() * 1000))


def fetch_klines(
    client: VenueClient, symbol: str, window: TimeWindow, now: datetime | None = None
) -> list[RawResponse]:
    params = klines_params(symbol, window, now or client.settings.now())
    return fetch_pages(
        client,
        "/fapi/v1/klines",
        params,
        next_klines_page,
        dataset="klines_1h",
        costs={"weight": request_weight(PAGE_LIMIT)},
    )
