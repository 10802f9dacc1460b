"""Hourly candles (`/v5/market/kline`, interval 60) of both perpetuals of an asset, one day per partition.

Rows are arrays `[start, open, high, low, close, volume, turnover]` of strings, newest first. Volume is in
contracts (coin for linear, USD for inverse) and turnover in the quote (USDT for linear, coin for inverse);
Bybit's candles carry no taker-side volume. `start` and `end` are inclusive, so [start, end) is sent as
end = end - 1 ms; `limit` is 1-1000, so a day of 24 candles is one page, and a full page would continue
backwards with `end` before its oldest candle. The current day's last candle is still open: raw keeps it
as received and staging decides what is final.
"""

from __future__ import annotations

from ingest.envelope import RawResponse
from ingest.http import VenueClient
from ingest.venues.bybit.client import KLINE, fetch_pages
from ingest.venues.bybit.paging import epoch_ms, page_back
from ingest.venues.bybit.symbols import Perpetual, perpetuals
from ingest.windows import TimeWindow

INTERVAL = "60"
PAGE_LIMIT = 1000
DATASET = "candles_1h"


def kline_params(perp: Perpetual, window: TimeWindow) -> dict:
    """The first request of a candle window (pure; unit-tested)."""
    return {
        "category": perp.category,
        "symbol": perp.symbol,
        "interval": INTERVAL,
        "start": window.start_ms,
        "end": window.end_ms - 1,
        "limit": PAGE_LIMIT,
    }


def next_kline_page(params: dict, result: dict) -> dict | None:
    def opened_at(row: object) -> int:
        return epoch_ms(row[0] if isinstance(row, list) and row else None, "start")

    return page_back(params, result["list"], opened_at, "start", "end")


def fetch_klines(client: VenueClient, asset: str, window: TimeWindow) -> list[RawResponse]:
    pages: list[RawResponse] = []
    for perp in perpetuals(asset):
        pages += fetch_pages(client, KLINE, kline_params(perp, window), next_kline_page, DATASET)
    return pages
