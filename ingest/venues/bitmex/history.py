"""Settled BitMEX history, one UTC day per partition: funding settlements (`/funding`) and hourly trade bins
(`/trade/bucketed?binSize=1h`).

Both are BitMEX tables with the same paging (reference/exchange_api.md section 5):
- filtered by `symbol` and `startTime`/`endTime`; the bounds are treated as inclusive, so a half-open window
  [start, end) is sent as endTime = end - 1 ms (nothing settles or closes on a non-round millisecond, so this is
  right whether BitMEX includes endTime or not);
- oldest first unless `reverse=true`, which is what a window needs: we page forward by `start` (an offset) in
  steps of `count` until a short page;
- bins are stamped with their CLOSE time (the 01:00 bin covers 00:00-01:00), so a partition holds the bins that
  closed in its window: from the 00:00 stamp (the previous day's last hour) to 23:00. Without `partial=true`
  BitMEX never sends the bin still open, so today's partition holds only finished hours.

BitMEX treats `symbol` as a filter: an unknown or delisted symbol answers `[]`, not an error. An empty first page
for a window in which a listed perpetual must have records (a settlement at 04:00, 12:00 or 20:00 UTC, or a bin
close, that is already past) therefore means the venue does not list the symbol: it is raised as SymbolInvalid
(the asset is skipped, the empty body kept in the failure ledger). An empty answer before the first settlement
of today is simply empty.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from ingest.envelope import FailedResponse, RawResponse
from ingest.errors import ExchangeError, SchemaDrift, SymbolInvalid
from ingest.http import VenueClient
from ingest.venues.bitmex.client import ONE_REQUEST
from ingest.venues.bitmex.protocol import API, VENUE
from ingest.windows import TimeWindow

MS = timedelta(milliseconds=1)
HOUR = timedelta(hours=1)
# The largest `count` BitMEX accepts on its tables (500; /trade alone takes 1000).
PAGE_COUNT = 500
SETTLEMENT_HOURS = (4, 12, 20)  # UTC; every 8 h, as the perpetuals' fundingInterval says


def iso_ms(t: datetime) -> str:
    """BitMEX's timestamp format: ISO-8601 UTC with milliseconds."""
    t = t.astimezone(UTC)
    return t.strftime("%Y-%m-%dT%H:%M:%S.") + f"{t.microsecond // 1000:03d}Z"


def table_params(symbol: str, window: TimeWindow, **fixed: str) -> dict:
    """The first request of a window over a BitMEX table (pure; unit-tested)."""
    return {
        "symbol": symbol,
        **fixed,
        "startTime": iso_ms(window.start),
        "endTime": iso_ms(window.end - MS),
        "count": PAGE_COUNT,
        "start": 0,
    }


def next_table_page(params: dict, rows: list) -> dict | None:
    """The next offset, or None after a short page (the window is exhausted)."""
    if len(rows) < params["count"]:
        return None
    return {**params, "start": params["start"] + params["count"]}


def funding_history_params(symbol: str, window: TimeWindow) -> dict:
    return table_params(symbol, window)


def hourly_bin_params(symbol: str, window: TimeWindow) -> dict:
    return table_params(symbol, window, binSize="1h")


def _ceil_hour(t: datetime) -> datetime:
    floor = t.replace(minute=0, second=0, microsecond=0)
    return floor if floor == t else floor + HOUR


def first_settlement_at_or_after(t: datetime) -> datetime:
    settle = _ceil_hour(t)
    while settle.hour not in SETTLEMENT_HOURS:
        settle += HOUR
    return settle


def settlement_due(window: TimeWindow, now: datetime) -> bool:
    """Whether a listed perpetual must already have a funding record in the window."""
    first = first_settlement_at_or_after(window.start)
    return first < window.end and first <= now


def bin_close_due(window: TimeWindow, now: datetime) -> bool:
    """Whether a listed perpetual must already have an hourly bin closing in the window."""
    first = _ceil_hour(window.start)
    return first < window.end and first <= now


def _reject(client: VenueClient, raw: RawResponse, error: ExchangeError) -> None:
    """Raise an error found in a usable answer, keeping the body in the failure ledger (raw is never dropped)."""
    error.venue, error.status, error.body = VENUE, raw.http_status, raw.payload
    client.failures.append(FailedResponse(raw, type(error).__name__, str(error)))
    raise error


def _fetch_table(client: VenueClient, path: str, dataset: str, params: dict, records_due: bool) -> list[RawResponse]:
    pages: list[RawResponse] = []
    next_params: dict | None = params
    while next_params is not None:
        raw, body = client.get_json(path, next_params, dataset=dataset, costs=ONE_REQUEST, page=len(pages))
        if not isinstance(body, list):
            _reject(client, raw, SchemaDrift(f"{path} answered a {type(body).__name__}, expected a list"))
        if not pages and not body and records_due:
            _reject(
                client,
                raw,
                SymbolInvalid(
                    f"BitMEX has no {dataset} for {params['symbol']} in [{params['startTime']}, {params['endTime']}]"
                    " although the window is past a settlement or bin close: the symbol is unknown or delisted"
                ),
            )
        pages.append(raw)
        next_params = next_table_page(next_params, body)
    return pages


def fetch_funding_history(client: VenueClient, symbol: str, window: TimeWindow) -> list[RawResponse]:
    due = settlement_due(window, client.settings.now())
    return _fetch_table(client, f"{API}/funding", "funding_rates", funding_history_params(symbol, window), due)


def fetch_hourly_bins(client: VenueClient, symbol: str, window: TimeWindow) -> list[RawResponse]:
    due = bin_close_due(window, client.settings.now())
    return _fetch_table(client, f"{API}/trade/bucketed", "candles_1h", hourly_bin_params(symbol, window), due)
