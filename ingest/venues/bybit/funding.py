"""Settled funding (`/v5/market/funding/history`) of both perpetuals of an asset, one day per partition.

Facts this relies on (reference/exchange_api.md section 2):
- rows `{symbol, fundingRate, fundingRateTimestamp}` come newest first, `limit` 1-200;
- `startTime` alone is an error, so both bounds are always sent; both are inclusive, so the half-open
  window [start, end) is sent as endTime = end - 1 ms and a settlement at exactly `end` belongs to the
  next day;
- a full page continues backwards with endTime just before its oldest settlement. A day holds at most 24
  settlements (1 h interval), so in practice one page per symbol.
"""

from __future__ import annotations

from ingest.envelope import RawResponse
from ingest.http import VenueClient
from ingest.venues.bybit.client import FUNDING_HISTORY, fetch_pages
from ingest.venues.bybit.paging import epoch_ms, page_back
from ingest.venues.bybit.symbols import Perpetual, perpetuals
from ingest.windows import TimeWindow

PAGE_LIMIT = 200
DATASET = "funding_rates"


def funding_history_params(perp: Perpetual, window: TimeWindow) -> dict:
    """The first request of a funding-history window (pure; unit-tested)."""
    return {
        "category": perp.category,
        "symbol": perp.symbol,
        "startTime": window.start_ms,
        "endTime": window.end_ms - 1,
        "limit": PAGE_LIMIT,
    }


def next_funding_page(params: dict, result: dict) -> dict | None:
    def settled_at(row: object) -> int:
        return epoch_ms(row.get("fundingRateTimestamp") if isinstance(row, dict) else None, "fundingRateTimestamp")

    return page_back(params, result["list"], settled_at, "startTime", "endTime")


def fetch_funding_history(client: VenueClient, asset: str, window: TimeWindow) -> list[RawResponse]:
    pages: list[RawResponse] = []
    for perp in perpetuals(asset):
        pages += fetch_pages(client, FUNDING_HISTORY, funding_history_params(perp, window), next_funding_page, DATASET)
    return pages
