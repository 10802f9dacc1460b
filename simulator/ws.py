"""Shared websocket plumbing for the simulated venues: connection bookkeeping (so tests can cut
connections and read back what was sent) and a pump that pushes market events as the clock moves."""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
from collections.abc import Awaitable, Callable
from datetime import datetime

from aiohttp import WSMsgType, web

from simulator.context import SimContext

_ids = itertools.count(1)


class Connection:
    """One accepted websocket: `send` records every message in ctx.ws_sent for the tests."""

    def __init__(self, ctx: SimContext, venue: str, ws: web.WebSocketResponse):
        self.ctx, self.venue, self.ws, self.id = ctx, venue, ws, next(_ids)

    async def send(self, message: dict | str) -> None:
        text = message if isinstance(message, str) else json.dumps(message, separators=(",", ":"))
        await self.ws.send_str(text)
        self.ctx.record_ws(self.venue, self.id, text)


async def serve(
    ctx: SimContext,
    request: web.Request,
    venue: str,
    on_message: Callable[[Connection, str], Awaitable[None]],
    pump: Callable[[Connection, datetime, datetime], Awaitable[None]],
    period: float = 0.5,
    heartbeat: float | None = None,
) -> web.WebSocketResponse:
    """Accept a websocket, hand incoming text to `on_message`, and every `period` seconds call `pump`
    with the market-clock interval since the last call, until the client or a test closes it."""
    ws = web.WebSocketResponse(heartbeat=heartbeat)
    await ws.prepare(request)
    conn = Connection(ctx, venue, ws)
    ctx.ws_connections.setdefault(venue, set()).add(ws)

    async def pumping() -> None:
        last = ctx.clock.now()
        while not ws.closed:
            await asyncio.sleep(period)
            now = ctx.clock.now()
            if now > last:
                await pump(conn, last, now)
                last = now

    task = asyncio.create_task(pumping())
    try:
        async for msg in ws:
            if msg.type == WSMsgType.TEXT:
                await on_message(conn, msg.data)
            elif msg.type in (WSMsgType.ERROR, WSMsgType.CLOSE):
                break
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError, ConnectionResetError):
            await task
        ctx.ws_connections.get(venue, set()).discard(ws)
    return ws
