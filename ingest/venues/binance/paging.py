"""Paging over Binance's time-windowed lists, shared by every history endpoint of the three hosts.

Binance bounds a list by `startTime` and `endTime`, both inclusive (epoch ms), so a half-open window
[start, end) is sent as endTime = end - 1 ms. Lists come oldest first; what differs is which end a window
holding more than `limit` records is cut from: funding and candles give the first `limit` from startTime
(the next page starts after the last record), the /futures/data statistics the newest `limit` (the next
page ends before the oldest record).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

from ingest.envelope import FailedResponse, RawResponse
from ingest.errors import SchemaDrift
from ingest.http import VenueClient
from ingest.windows import TimeWindow

RecordTime = Callable[[object], int]
NextPage = Callable[[dict, list], dict | None]


def window_params(window: TimeWindow, limit: int, **base: object) -> dict:
    """The first request of a window: inclusive bounds, so the end is one millisecond before `window.end`."""
    return {**base, "startTime": window.start_ms, "endTime": window.end_ms - 1, "limit": limit}


def next_page_forward(params: dict, rows: list, record_time: RecordTime, spacing_ms: int = 1) -> dict | None:
    """After a page cut from startTime: the records after its last one, or None when the window is done.
    `spacing_ms` is the least time between two records (a candle's length), to stop without an empty page."""
    if len(rows) < params["limit"]:
        return None
    last = record_time(rows[-1])
    if last + spacing_ms > params["endTime"] or last < params["startTime"]:
        return None  # the window is done, or the page lies before the cursor (a repeated page): never loop
    return {**params, "startTime": last + 1}


def next_page_backward(params: dict, rows: list, record_time: RecordTime) -> dict | None:
    """After a page cut from endTime (newest first): the records before its oldest, or None when done."""
    if len(rows) < params["limit"]:
        return None
    oldest = min(record_time(r) for r in rows)
    if oldest <= params["startTime"] or oldest > params["endTime"]:
        return None  # the window's first millisecond is reached, or the cursor did not move: never loop
    return {**params, "endTime": oldest - 1}


def fetch_pages(
    client: VenueClient, path: str, params: dict, next_page: NextPage, *, dataset: str, costs: Mapping[str, float]
) -> list[RawResponse]:
    """Every page of a window, as received. A body that is not a list ends the window: it is loaded as it came
    and the raw check names what is wrong with it. A full page whose records lack their time cannot be paged
    on: its body joins the client's failures and the partition fails with SchemaDrift rather than guess."""
    pages: list[RawResponse] = []
    next_params: dict | None = params
    while next_params is not None:
        raw, body = client.get_json(path, next_params, dataset=dataset, costs=costs, page=len(pages))
        pages.append(raw)
        if not isinstance(body, list):
            break
        try:
            next_params = next_page(next_params, body)
        except (KeyError, IndexError, TypeError, ValueError) as exc:
            message = f"{path}: a full page whose records lack their time ({exc!r}); cannot page on"
            client.failures.append(FailedResponse(raw, "SchemaDrift", message))
            raise SchemaDrift(message, venue=client.protocol.venue, status=raw.http_status, body=raw.payload) from exc
    return pages
