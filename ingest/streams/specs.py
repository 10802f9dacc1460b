"""What differs between venues' liquidation streams: where to connect, what to send, what to keep."""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from ingest.shapes import RecordShape


@dataclass(frozen=True)
class StreamSpec:
    venue: str
    host: str
    path: str  # path and query on the host, e.g. /ws/!forceOrder@arr
    # Messages to send right after connecting (and after every reconnect), for the configured assets.
    subscribe: Callable[[Sequence[str]], list[str]]
    # Text heartbeat to send when the stream is quiet (None: the venue pings us with protocol frames).
    ping: str | None
    ping_interval: float
    # True for messages that carry data (acks, pongs and welcome messages are not stored).
    is_data: Callable[[str], bool]
    # How the raw check sees one stored message (streams have no per-message natural key).
    shape: RecordShape
    note: str = ""


def _binance_is_data(text: str) -> bool:
    return '"forceOrder"' in text


def _bybit_subscribe(assets: Sequence[str]) -> list[str]:
    return [json.dumps({"op": "subscribe", "args": [f"allLiquidation.{a}USDT" for a in assets]})]


def _bybit_is_data(text: str) -> bool:
    return text.startswith('{"topic":"allLiquidation.') or '"topic":"allLiquidation.' in text[:40]


def _bitmex_is_data(text: str) -> bool:
    return '"table":"liquidation"' in text and '"data"' in text


BINANCE = StreamSpec(
    venue="binance",
    host="fstream.binance.com",
    path="/ws/!forceOrder@arr",
    subscribe=lambda assets: [],  # the stream is named in the URL: every USD-M symbol
    ping=None,  # Binance sends ping frames; the websocket client answers them
    ping_interval=0,
    is_data=_binance_is_data,
    shape=RecordShape('{"e":"VARCHAR","E":"BIGINT","o":"JSON"}', False, (), ("e", "E", "o"), allow_empty=True),
    note="Binance pushes at most one liquidation per symbol per second (the latest), so totals are a lower bound.",
)

BYBIT = StreamSpec(
    venue="bybit",
    host="stream.bybit.com",
    path="/v5/public/linear",
    subscribe=_bybit_subscribe,
    ping=json.dumps({"op": "ping"}),
    ping_interval=20.0,
    is_data=_bybit_is_data,
    shape=RecordShape(
        '{"topic":"VARCHAR","ts":"BIGINT","data":"JSON"}', False, (), ("topic", "ts", "data"), allow_empty=True
    ),
)

BITMEX = StreamSpec(
    venue="bitmex",
    host="ws.bitmex.com",
    path="/realtime?subscribe=liquidation",
    subscribe=lambda assets: [],  # subscribed through the URL
    ping="ping",
    ping_interval=5.0,
    is_data=_bitmex_is_data,
    shape=RecordShape(
        '{"table":"VARCHAR","action":"VARCHAR","data":"JSON"}', False, (), ("table", "action", "data"), allow_empty=True
    ),
)

STREAMS: dict[str, StreamSpec] = {s.venue: s for s in (BINANCE, BYBIT, BITMEX)}
