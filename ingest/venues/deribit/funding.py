"""Perpetual funding history: `get_funding_rate_history`, one row per hour.

Both timestamps are required and inclusive, so a half-open window [start, end) is asked as
[start, end - 1 ms]. A call returns at most 744 rows (31 days), so longer windows are cut into 744-hour
requests up front rather than trusting which end of an over-long answer the venue keeps. Each row stamps the
end of the hour it covers: `interest_1h` paid over that hour, `interest_8h` its 8-hour equivalent.
"""

from __future__ import annotations

from ingest.envelope import RawResponse
from ingest.errors import SchemaDrift
from ingest.http import VenueClient
from ingest.venues.deribit import symbols
from ingest.venues.deribit.client import VENUE, call
from ingest.windows import TimeWindow

HOUR_MS = 3_600_000
MAX_ROWS = 744


def _chunk(instrument: str, start_ms: int, last_ms: int) -> dict:
    return {
        "instrument_name": instrument,
        "start_timestamp": start_ms,
        "end_timestamp": min(last_ms, start_ms + MAX_ROWS * HOUR_MS - 1),
    }


def funding_history_params(instrument: str, window: TimeWindow) -> dict:
    """The first request of a window (pure; unit-tested)."""
    return _chunk(instrument, window.start_ms, window.end_ms - 1)


def next_funding_params(params: dict, window: TimeWindow) -> dict | None:
    """The request after `params`, or None once the window's last millisecond was asked for."""
    if params["end_timestamp"] >= window.end_ms - 1:
        return None
    return _chunk(params["instrument_name"], params["end_timestamp"] + 1, window.end_ms - 1)


def fetch_funding_history(client: VenueClient, asset: str, window: TimeWindow) -> list[RawResponse]:
    params: dict | None = funding_history_params(symbols.perpetual(asset), window)
    pages = []
    while params is not None:
        raw, result = call(client, "get_funding_rate_history", params, dataset="funding_rates", page=len(pages))
        if not isinstance(result, list):
            raise SchemaDrift(f"get_funding_rate_history returned {type(result).__name__}", venue=VENUE)
        pages.append(raw)
        params = next_funding_params(params, window)
    return pages
