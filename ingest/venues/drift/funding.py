"""Drift settled funding by UTC day: `/market/{symbol}/fundingRates/{year}/{month}/{day}`.

Why this route: the paged `/market/{symbol}/fundingRates` reaches back 31 days only and the legacy
`/fundingRates` 30, while the daily route serves any day, so a daily partition is one call per market
(reference/exchange_api.md section 8). Facts:
- a day holds the settlements stamped inside it, oldest first: 24 hourly records, `ts` in unix seconds
  (a keeper lands each one seconds to a minute after the hour);
- answers are `{"success", "records", "meta": {records, totalRecords, currentPage, totalPages, nextPage}}`;
  a further page is asked for with `page` = `meta.nextPage` (null on the last page);
- `fundingRate` is quote per base for the hour, already divided by 1e9 on this route; the hourly
  fraction is fundingRate / oraclePriceTwap.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from ingest.envelope import RawResponse
from ingest.http import VenueClient
from ingest.windows import TimeWindow

COSTS = {"requests": 1}
DAY = timedelta(days=1)


def window_days(window: TimeWindow) -> list[date]:
    """The UTC days making up a day-aligned window [start, end). The route answers whole days, so a
    window cutting a day would land settlements outside it: refuse it rather than over-fetch."""
    start, end = window.start.astimezone(UTC), window.end.astimezone(UTC)
    for edge in (start, end):
        if edge != datetime(edge.year, edge.month, edge.day, tzinfo=UTC):
            raise ValueError(f"Drift funding is fetched by whole UTC days; {edge.isoformat()} is not midnight")
    return [(start + i * DAY).date() for i in range((end - start) // DAY)]


def funding_day_path(symbol: str, day: date) -> str:
    return f"/market/{symbol}/fundingRates/{day.year}/{day.month}/{day.day}"


def next_funding_page(params: dict, body: object) -> dict | None:
    """Params of the next page of a day, or None after its last page. A body without the paging meta
    ends paging: it is landed as received and the raw check names the missing field."""
    meta = body.get("meta") if isinstance(body, dict) else None
    next_page = meta.get("nextPage") if isinstance(meta, dict) else None
    if next_page is None or str(next_page) == str(params.get("page", 1)):
        return None  # the last page, or a cursor that did not move
    return {**params, "page": next_page}


def fetch_funding_days(client: VenueClient, symbol: str, window: TimeWindow) -> list[RawResponse]:
    pages: list[RawResponse] = []
    for day in window_days(window):
        path = funding_day_path(symbol, day)
        params: dict | None = {}
        while params is not None:
            raw, body = client.get_json(path, params, dataset="funding_rates", costs=COSTS)
            pages.append(raw)
            params = next_funding_page(params, body)
    return pages
