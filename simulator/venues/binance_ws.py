"""Binance's liquidation streams: fstream.binance.com (USD-M) and dstream.binance.com (COIN-M).

Streams: `!forceOrder@arr` (every symbol) and `<symbol>@forceOrder`, as raw streams (/ws/<name>,
also under /market/ws/ where ccxt now connects) or combined (/stream?streams=a/b, each message wrapped
as {"stream": name, "data": event}); SUBSCRIBE / UNSUBSCRIBE / LIST_SUBSCRIPTIONS requests work on
any connection.

Events come from flow.liquidations(venue="binance"): `S` is the ORDER side (SELL closes a liquidated
long), quantities are base coin on USD-M and contracts on COIN-M (which adds the pair as `ps`). Binance
pushes a snapshot: per symbol at most the latest liquidation of each 1000 ms window, so the stream
undercounts; the pump works on whole seconds so a window is never split between two pushes.
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta

from aiohttp import web

from simulator import catalog, flow
from simulator.context import SimContext, VenueSim, WsRoute
from simulator.venues.binance_common import (
    VENUE,
    Contract,
    coinm_contracts,
    contracts_of,
    fmt,
    make_limiter_for,
    ms,
    price_decimals,
    qty_decimals,
    refusal,
    usage_headers,
    usdm_contracts,
)
from simulator.ws import Connection, serve

ALL_MARKETS = "!forceOrder@arr"
# A liquidation order's limit price sits beyond its average fill (the fill is at or better than it).
LIMIT_PRICE_SLIPPAGE = 0.0015
# Binance's servers ping every 3 minutes.
PING_SECONDS = 180.0


def _second(t: datetime) -> datetime:
    return t.replace(microsecond=0)


def snapshot(ctx: SimContext, inverse: bool, start: datetime, end: datetime) -> list[tuple[Contract, flow.Liquidation]]:
    """The liquidations Binance pushes for [start, end): the latest per symbol and 1000 ms window."""
    listed = {c.perp: c for c in (coinm_contracts if inverse else usdm_contracts)(ctx, end) if c.kind == "perp"}
    latest: dict[tuple[str, datetime], tuple[Contract, flow.Liquidation]] = {}
    for asset in catalog.ASSETS:
        for liq in flow.liquidations(ctx.market, asset, start, end, venue=VENUE):
            if liq.symbol in listed:
                latest[(liq.symbol, _second(liq.time))] = (listed[liq.symbol], liq)  # time-ordered: last wins
    return sorted(latest.values(), key=lambda pair: (pair[1].time, pair[0].symbol))


def force_order(ctx: SimContext, c: Contract, liq: flow.Liquidation) -> dict:
    """One forceOrder event; E is when the 1000 ms window closed and the snapshot went out."""
    side = "SELL" if liq.is_long else "BUY"
    slip = -LIMIT_PRICE_SLIPPAGE if liq.is_long else LIMIT_PRICE_SLIPPAGE
    p = price_decimals(ctx, c)
    if c.inverse:
        qty = str(max(1, contracts_of(c, liq.qty, liq.price)))
    else:
        qty = fmt(max(liq.qty, 10 ** -qty_decimals(ctx, c)), qty_decimals(ctx, c))
    order = {"s": c.symbol, **({"ps": c.pair} if c.inverse else {}), "S": side, "o": "LIMIT", "f": "IOC", "q": qty}
    order |= {"p": fmt(liq.price * (1 + slip), p), "ap": fmt(liq.price, p), "X": "FILLED", "l": qty, "z": qty}
    order["T"] = ms(liq.time)
    return {"e": "forceOrder", "E": ms(_second(liq.time) + timedelta(seconds=1)), "o": order}


def _wants(stream: str, symbol: str) -> bool:
    return stream == ALL_MARKETS or stream == f"{symbol.lower()}@forceOrder"


class Session:
    """One client's subscriptions and how far its feed has been pushed (whole seconds)."""

    def __init__(self, ctx: SimContext, inverse: bool, streams: list[str], combined: bool):
        self.ctx, self.inverse, self.combined = ctx, inverse, combined
        self.streams: list[str] = list(streams)
        self.cursor = _second(ctx.clock.now())

    async def on_message(self, conn: Connection, text: str) -> None:
        """Binance's request/response frames: {"method": ..., "params": [...], "id": n}."""
        try:
            req = json.loads(text)
        except ValueError:
            await conn.send({"error": {"code": 3, "msg": "Invalid JSON: expected value at line 1 column 1"}})
            return
        method, params, rid = req.get("method"), req.get("params") or [], req.get("id")
        if method == "SUBSCRIBE":
            self.streams.extend(s for s in params if s not in self.streams)
            await conn.send({"result": None, "id": rid})
        elif method == "UNSUBSCRIBE":
            self.streams = [s for s in self.streams if s not in params]
            await conn.send({"result": None, "id": rid})
        elif method == "LIST_SUBSCRIPTIONS":
            await conn.send({"result": self.streams, "id": rid})
        else:
            await conn.send({"error": {"code": 2, "msg": f"Invalid request: unknown variant `{method}`"}, "id": rid})

    async def pump(self, conn: Connection, last: datetime, now: datetime) -> None:
        """Push the snapshots of every whole second since the previous push."""
        end = _second(now)
        if end <= self.cursor:
            return
        events = snapshot(self.ctx, self.inverse, self.cursor, end)
        self.cursor = end
        for c, liq in events:
            for stream in self.streams:
                if _wants(stream, c.symbol):
                    event = force_order(self.ctx, c, liq)
                    await conn.send({"stream": stream, "data": event} if self.combined else event)


def _handler(inverse: bool, mode: str):
    """mode: "raw" (/ws/<stream>), "bare" (/ws, subscribe later) or "combined" (/stream?streams=)."""

    async def handle(ctx: SimContext, request: web.Request) -> web.WebSocketResponse:
        if mode == "raw":
            streams = [request.match_info["stream"]]
        elif mode == "combined":
            streams = [s for s in request.query.get("streams", "").split("/") if s]
        else:
            streams = []
        session = Session(ctx, inverse, streams, combined=mode == "combined")
        return await serve(ctx, request, VENUE, session.on_message, session.pump, heartbeat=PING_SECONDS)

    return handle


def _routes(inverse: bool, prefixes: tuple[str, ...]) -> list[WsRoute]:
    out = []
    for prefix in prefixes:
        out.append(WsRoute(f"{prefix}/ws/{{stream}}", _handler(inverse, "raw")))
        out.append(WsRoute(f"{prefix}/ws", _handler(inverse, "bare")))
        out.append(WsRoute(f"{prefix}/stream", _handler(inverse, "combined")))
    return out


def _sim(host: str, inverse: bool, prefixes: tuple[str, ...]) -> VenueSim:
    """A stream host: websockets only. The framework wants a limiter for every host; with no REST
    routes it never decides anything, so the standard one is enough."""
    return VenueSim(
        venue=VENUE,
        host=host,
        routes=[],
        make_limiter=lambda overrides: make_limiter_for(overrides, "stream_", 2400, {}),
        refusal=refusal,
        usage_headers=usage_headers,
        websockets=_routes(inverse, prefixes),
    )


SIMS = [
    _sim("fstream.binance.com", inverse=False, prefixes=("", "/market")),
    _sim("dstream.binance.com", inverse=True, prefixes=("",)),
]
