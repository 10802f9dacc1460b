"""`/v4/candles/perpetualMarkets/{ticker}?resolution=1HOUR`: hourly candles with OHLC, `baseTokenVolume`,
`usdVolume`, `trades` and `startingOpenInterest` (base coin at the candle's start: dYdX's only open-interest history).
Newest first, `startedAt` within [fromISO, toISO] (both inclusive, so the window's end is sent minus 1 ms).

The indexer serves the candle still open; today's partition keeps it as received and staging drops candles that
had not closed when fetched (startedAt + 1 h > fetched_at). The reference spells the bounds `fromISO`/`toISO`
(ccxt writes `fromIso`/`toIso`): the indexer's candle controller reads `fromISO`/`toISO`.
"""

from __future__ import annotations

from ingest.envelope import RawResponse
from ingest.errors import SchemaDrift
from ingest.http import VenueClient
from ingest.venues.dydx.client import ONE_REQUEST
from ingest.venues.dydx.protocol import API
from ingest.venues.dydx.wire import MS, cursor_time, iso_ms, page_records, reject
from ingest.windows import TimeWindow

RESOLUTION = "1HOUR"
API_LIMIT = 1000  # 24 hourly candles a day: one page per partition


def candle_params(window: TimeWindow) -> dict:
    """The first request of a window (pure; unit-tested)."""
    return {
        "resolution": RESOLUTION,
        "fromISO": iso_ms(window.start),
        "toISO": iso_ms(window.end - MS),
        "limit": API_LIMIT,
    }


def next_candle_page(params: dict, rows: list[dict], window: TimeWindow) -> dict | None:
    """Older candles of the window, or None after a short page or once the window's start is reached."""
    if len(rows) < params["limit"]:
        return None
    oldest = cursor_time(rows[-1], "startedAt")
    if oldest <= window.start:
        return None
    return {**params, "toISO": iso_ms(oldest - MS)}


def fetch_hourly_candles(client: VenueClient, ticker: str, window: TimeWindow) -> list[RawResponse]:
    path = f"{API}/candles/perpetualMarkets/{ticker}"
    params: dict | None = candle_params(window)
    pages: list[RawResponse] = []
    while params is not None:
        raw, body = client.get_json(path, params, dataset="candles_1h", costs=ONE_REQUEST, page=len(pages))
        pages.append(raw)
        try:
            params = next_candle_page(params, page_records(body, "candles"), window)
        except SchemaDrift as error:
            reject(client, raw, error)
    return pages
