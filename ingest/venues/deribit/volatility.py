"""DVOL, Deribit's 30-day implied volatility index (percent): `get_volatility_index_data` candles.

Both timestamps are inclusive, so [start, end) is asked as [start, end - 1 ms]. An answer holds the newest
candles of the range; `continuation` is the end_timestamp of the next, older page (null on the last one), so
pages run newest first. Hourly candles (resolution 3600 s) serve IV rank and percentile; other resolutions
("1", "60", "43200", "1D") page the same way.
"""

from __future__ import annotations

from ingest.envelope import RawResponse
from ingest.errors import SchemaDrift
from ingest.http import VenueClient
from ingest.venues.deribit import symbols
from ingest.venues.deribit.client import VENUE, call
from ingest.windows import TimeWindow

DVOL_RESOLUTION = "3600"


def dvol_params(currency: str, window: TimeWindow, resolution: str = DVOL_RESOLUTION) -> dict:
    """The first (newest) request of a window (pure; unit-tested)."""
    return {
        "currency": currency,
        "start_timestamp": window.start_ms,
        "end_timestamp": window.end_ms - 1,
        "resolution": resolution,
    }


def next_dvol_params(params: dict, result: dict) -> dict | None:
    """The older page after this one, or None when `continuation` says the range is done."""
    continuation = result.get("continuation")
    if continuation is None or int(continuation) < params["start_timestamp"]:
        return None
    if int(continuation) >= params["end_timestamp"]:
        raise SchemaDrift(f"DVOL continuation {continuation} did not move back", venue=VENUE, field="continuation")
    return {**params, "end_timestamp": int(continuation)}


def fetch_dvol(
    client: VenueClient, asset: str, window: TimeWindow, resolution: str = DVOL_RESOLUTION
) -> list[RawResponse]:
    """Every page of the window, or nothing for an asset without a DVOL index (no call is spent on it)."""
    currency = symbols.dvol_currency(asset)
    if currency is None:
        return []
    params: dict | None = dvol_params(currency, window, resolution)
    pages = []
    while params is not None:
        raw, result = call(client, "get_volatility_index_data", params, dataset="dvol", page=len(pages))
        if not isinstance(result, dict) or not isinstance(result.get("data"), list):
            raise SchemaDrift("get_volatility_index_data result lacks its data list", venue=VENUE, field="data")
        pages.append(raw)
        params = next_dvol_params(params, result)
    return pages
