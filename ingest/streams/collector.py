"""The collector loop: connect, subscribe, keep the connection alive, store, reconnect with backoff."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
from collections.abc import Sequence
from dataclasses import dataclass, field

import aiohttp

from ingest.config import Settings
from ingest.streams.sink import HourlyFileSink
from ingest.streams.specs import StreamSpec

log = logging.getLogger(__name__)


@dataclass
class CollectorStats:
    connections: int = 0
    messages: int = 0
    stored: int = 0
    disconnects: int = 0
    last_error: str = ""
    delays: list[float] = field(default_factory=list)


def stream_url(spec: StreamSpec, settings: Settings) -> str:
    base = settings.base_url(spec.host)
    return base.replace("https://", "wss://", 1).replace("http://", "ws://", 1) + spec.path


def backoff(attempt: int, rng: random.Random, base: float = 0.5, cap: float = 60.0) -> float:
    """Capped exponential backoff with full jitter between reconnects (never a tight loop)."""
    return rng.uniform(base / 2, min(cap, base * 2**attempt))


async def collect(
    spec: StreamSpec,
    settings: Settings,
    sink: HourlyFileSink,
    stop: asyncio.Event,
    assets: Sequence[str] | None = None,
    stats: CollectorStats | None = None,
    rng: random.Random | None = None,
) -> CollectorStats:
    """Run until `stop` is set. Every data message is appended to the sink before the next is read."""
    stats = stats or CollectorStats()
    rng = rng or random.Random()
    url = stream_url(spec, settings)
    failures = 0
    async with aiohttp.ClientSession() as session:
        while not stop.is_set():
            try:
                timeout = aiohttp.ClientWSTimeout(ws_close=5)
                async with session.ws_connect(url, autoping=True, timeout=timeout) as ws:
                    stats.connections += 1
                    failures = 0
                    for message in spec.subscribe(assets or settings.assets):
                        await ws.send_str(message)
                    log.info("%s: connected to %s", spec.venue, url)
                    await _read(spec, ws, sink, stop, stats)
            except (TimeoutError, aiohttp.ClientError, OSError) as exc:
                stats.last_error = f"{type(exc).__name__}: {exc}"
                log.warning("%s: stream error %s", spec.venue, stats.last_error)
            if stop.is_set():
                break
            stats.disconnects += 1
            delay = backoff(failures, rng)
            failures += 1
            stats.delays.append(delay)
            log.warning("%s: disconnected; reconnecting in %.1fs", spec.venue, delay)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), timeout=delay)
    sink.close()
    return stats


async def _read(
    spec: StreamSpec,
    ws: aiohttp.ClientWebSocketResponse,
    sink: HourlyFileSink,
    stop: asyncio.Event,
    stats: CollectorStats,
) -> None:
    while not stop.is_set():
        timeout = spec.ping_interval if spec.ping else 1.0
        try:
            msg = await ws.receive(timeout=timeout)
        except TimeoutError:
            if spec.ping:
                await ws.send_str(spec.ping)  # quiet stream: prove we are alive, as the venue asks
            continue
        if msg.type == aiohttp.WSMsgType.TEXT:
            stats.messages += 1
            if spec.is_data(msg.data):
                sink.append(msg.data)
                stats.stored += 1
        elif msg.type in (
            aiohttp.WSMsgType.CLOSED,
            aiohttp.WSMsgType.CLOSE,
            aiohttp.WSMsgType.CLOSING,
            aiohttp.WSMsgType.ERROR,
        ):
            return
