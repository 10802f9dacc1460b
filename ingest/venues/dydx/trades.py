"""`/v4/trades/perpetualMarket/{ticker}`: taker fills (`side`, `size` in base coin, `price`, `type`), newest first,
`createdAt <= createdBeforeOrAt` and `createdAtHeight <= createdBeforeOrAtHeight` (both inclusive). Fills of type
LIQUIDATED and DELEVERAGED are the venue's liquidations.

Paging goes back by block height from the window's end until a page reaches before the window's start; there is no
lower bound, so the last page also holds older fills (staging keeps a partition's window). All fills of one block
share its time, and a page can end in the middle of a block, so the next page starts AT the oldest block again
(inclusive cursor): the part of that block already received comes twice and staging keeps one row per `id`.
Stepping below it instead would silently lose the rest of the block.
"""

from __future__ import annotations

import logging

from ingest.envelope import RawResponse
from ingest.errors import SchemaDrift
from ingest.http import VenueClient
from ingest.venues.dydx.client import ONE_REQUEST
from ingest.venues.dydx.protocol import API
from ingest.venues.dydx.wire import MS, cursor_height, cursor_time, iso_ms, page_records, reject
from ingest.windows import TimeWindow

log = logging.getLogger(__name__)

API_LIMIT = 1000


def trades_params(window: TimeWindow) -> dict:
    """The first request of a window (pure; unit-tested): the newest fills at or before its last millisecond."""
    return {"createdBeforeOrAt": iso_ms(window.end - MS), "limit": API_LIMIT}


def next_trades_page(params: dict, rows: list[dict], window: TimeWindow) -> dict | None:
    """The next page's height cursor, or None after a short page or once a page reaches before the window."""
    if len(rows) < params["limit"]:
        return None
    if cursor_time(rows[-1], "createdAt") < window.start:
        return None
    oldest = cursor_height(rows[-1], "createdAtHeight")
    if cursor_height(rows[0], "createdAtHeight") == oldest:
        # One block filled the whole page: the inclusive cursor would serve this page forever, and the indexer
        # has no finer cursor, so the rest of this block cannot be reached.
        log.warning(
            "dydx trades: block %s holds more fills than a page of %s; its older fills are skipped",
            oldest,
            params["limit"],
        )
        oldest -= 1
    return {**params, "createdBeforeOrAtHeight": str(oldest)}


def fetch_trades(client: VenueClient, ticker: str, window: TimeWindow) -> list[RawResponse]:
    path = f"{API}/trades/perpetualMarket/{ticker}"
    params: dict | None = trades_params(window)
    pages: list[RawResponse] = []
    while params is not None:
        raw, body = client.get_json(path, params, dataset="trades", costs=ONE_REQUEST, page=len(pages))
        pages.append(raw)
        try:
            params = next_trades_page(params, page_records(body, "trades"), window)
        except SchemaDrift as error:
            reject(client, raw, error)
    return pages
