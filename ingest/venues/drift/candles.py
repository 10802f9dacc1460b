"""Drift candles: `/market/{symbol}/candles/{resolution}`, closed candles of fills and oracle prices.

Each record has `ts` (the candle's open, unix seconds), fill and oracle open/high/low/close, and quote
and base volume; Drift does not split volume by taker side. Paging runs backwards: `startTs` is the
newer bound and `endTs` the older one (both candle opens, inclusive), newest first, at most 1000 a
call; a `startTs` not after `endTs` is refused. The forming candle is left out.

Five-minute candles: a day is 288 records, still one call per market, and today's partition already
holds candles at its first refresh (ten minutes past midnight), when no hourly candle has closed yet.
"""

from __future__ import annotations

from ingest.envelope import RawResponse
from ingest.http import VenueClient
from ingest.windows import TimeWindow

COSTS = {"requests": 1}
RESOLUTION = "5"  # minutes
PAGE_LIMIT = 1000


def candles_path(symbol: str) -> str:
    return f"/market/{symbol}/candles/{RESOLUTION}"


def candle_params(window: TimeWindow) -> dict:
    """The first request for the candles opening in [start, end): the newest open allowed is one
    second before the end, the oldest is the start (both bounds inclusive, in seconds)."""
    start_s, end_s = window.start_ms // 1000, window.end_ms // 1000
    return {"startTs": end_s - 1, "endTs": start_s, "limit": PAGE_LIMIT}


def next_candle_params(params: dict, body: object) -> dict | None:
    """Params of the next (older) page, or None when this page was short or reached the window's start.
    A body without readable records ends paging: it is landed and the raw check names the problem."""
    records = body.get("records") if isinstance(body, dict) else None
    if not isinstance(records, list) or len(records) < params["limit"]:
        return None
    opens = [r["ts"] for r in records if isinstance(r, dict) and isinstance(r.get("ts"), int)]
    if len(opens) < len(records):
        return None
    newer_bound = min(opens) - 1
    if newer_bound <= params["endTs"]:
        return None
    return {**params, "startTs": newer_bound}


def fetch_candles(client: VenueClient, symbol: str, window: TimeWindow) -> list[RawResponse]:
    pages: list[RawResponse] = []
    params: dict | None = candle_params(window)
    while params is not None:
        raw, body = client.get_json(candles_path(symbol), params, dataset="candles", costs=COSTS)
        pages.append(raw)
        params = next_candle_params(params, body)
    return pages
