"""Public trades of a currency by time: `get_last_trades_by_currency_and_time`, oldest first, at most 1000 a call.

Futures trades carry `liquidation` ("M" maker, "T" taker, "MT" both sides liquidated), options trades `iv` and,
for block trades, `block_trade_id`. Both timestamps are inclusive, so [start, end) is asked as
[start, end - 1 ms].

Paging by time alone has a trap: several trades share a millisecond (a sweep through the book, the legs of a
block), and a full page (`has_more`) may stop in the middle of its last millisecond. Restarting at that
millisecond would load its first trades twice, restarting after it would lose the rest. So a full page only
tells where to cut: the range is asked again up to the millisecond before its last trade (an answer that is
complete by construction), and the next request starts at that last millisecond. Every kept page covers its
whole range and the ranges tile the window: no trade is lost and none is loaded twice, for about two calls per
thousand trades.
"""

from __future__ import annotations

from dataclasses import dataclass

from ingest.envelope import RawResponse
from ingest.errors import SchemaDrift
from ingest.http import VenueClient
from ingest.venues.deribit.client import VENUE, call
from ingest.windows import TimeWindow

PAGE_SIZE = 1000


@dataclass(frozen=True)
class PageVerdict:
    keep: bool  # the answer holds every trade of its range: it belongs to the partition
    next_params: dict | None  # the next request, or None when the window is done


def trades_params(currency: str, kind: str, window: TimeWindow) -> dict:
    """The first request of a window (pure; unit-tested)."""
    return {
        "currency": currency,
        "kind": kind,
        "start_timestamp": window.start_ms,
        "end_timestamp": window.end_ms - 1,
        "count": PAGE_SIZE,
        "sorting": "asc",
    }


def after_trades_page(params: dict, trades: list[dict], has_more: bool, window: TimeWindow) -> PageVerdict:
    """What to do with an answer to `params` and what to ask next (pure; unit-tested)."""
    if has_more:
        if not trades:
            raise SchemaDrift("has_more without trades", venue=VENUE, field="trades")
        cut = int(trades[-1]["timestamp"])
        if cut <= params["start_timestamp"]:
            raise SchemaDrift(
                f"more than {params['count']} trades at {cut} ms: a time range cannot be split further",
                venue=VENUE,
                field="has_more",
            )
        return PageVerdict(keep=False, next_params={**params, "end_timestamp": cut - 1})
    last_ms = window.end_ms - 1
    if params["end_timestamp"] >= last_ms:
        return PageVerdict(keep=True, next_params=None)
    return PageVerdict(
        keep=True, next_params={**params, "start_timestamp": params["end_timestamp"] + 1, "end_timestamp": last_ms}
    )


def fetch_trades(client: VenueClient, currency: str, kind: str, window: TimeWindow, dataset: str) -> list[RawResponse]:
    params: dict | None = trades_params(currency, kind, window)
    pages = []
    while params is not None:
        raw, result = call(client, "get_last_trades_by_currency_and_time", params, dataset=dataset, page=len(pages))
        if not isinstance(result, dict) or not isinstance(result.get("trades"), list) or "has_more" not in result:
            raise SchemaDrift("trades result lacks trades or has_more", venue=VENUE, field="trades")
        verdict = after_trades_page(params, result["trades"], bool(result["has_more"]), window)
        # An overflowing answer is not kept: each of its trades comes back in a kept page.
        if verdict.keep:
            pages.append(raw)
        params = verdict.next_params
    return pages
