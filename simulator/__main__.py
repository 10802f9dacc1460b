"""Run the exchange simulator: `python -m simulator [--port 8765] [--now 2026-11-20T12:00:00Z]`.

Prints `SIMULATOR READY http://127.0.0.1:<port>` and one line per venue base URL, then serves until
SIGINT/SIGTERM (or --run-seconds elapses). Point the pipeline at it with DW_SIMULATOR_URL.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import signal
import sys
from datetime import UTC, datetime, timedelta

from aiohttp import web

from simulator.clock import SimClock
from simulator.context import SimContext
from simulator.episodes import parse_episode
from simulator.market import DEFAULT_HISTORY_START, Market
from simulator.server import base_urls, create_app


def _instant(text: str) -> datetime:
    t = datetime.fromisoformat(text.replace("Z", "+00:00"))
    return t if t.tzinfo else t.replace(tzinfo=UTC)


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="python -m simulator", description=__doc__.split("\n\n")[0])
    p.add_argument("--host", default="127.0.0.1", help="bind address (loopback by default)")
    p.add_argument("--port", type=int, default=8765, help="0 picks a free port")
    p.add_argument("--seed", type=int, default=7)
    p.add_argument("--now", type=_instant, default=None, help="start the market clock at this UTC instant")
    p.add_argument(
        "--speed", type=float, default=0.0, help="with --now: simulated seconds per real second (0 freezes the clock)"
    )
    p.add_argument(
        "--episode",
        action="append",
        type=parse_episode,
        default=[],
        help="place a scripted episode, NAME:ASSET@ISO-TIME (repeatable); replaces the default schedule",
    )
    p.add_argument("--no-episodes", action="store_true", help="a market without scripted episodes")
    p.add_argument("--history-start", type=_instant, default=DEFAULT_HISTORY_START)
    p.add_argument(
        "--limits", type=json.loads, default={}, help='JSON overrides, e.g. {"binance": {"weight_limit": 20}}'
    )
    p.add_argument("--run-seconds", type=float, default=None, help="stop by itself after this long")
    return p.parse_args(argv)


async def serve(args: argparse.Namespace) -> None:
    clock = SimClock(args.now, args.speed)
    # The model covers history up to 60 days past the later of the frozen clock and the wall clock.
    horizon = max(args.now or datetime.now(UTC), datetime.now(UTC)) + timedelta(days=60)
    episodes = [] if args.no_episodes else (args.episode or None)
    market = Market(seed=args.seed, history_start=args.history_start, horizon=horizon, episodes=episodes)
    ctx = SimContext(market=market, clock=clock, limit_overrides=dict(args.limits))
    runner = web.AppRunner(create_app(ctx), access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, args.host, args.port)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # the real port when --port 0
    clock.restart()
    root = f"http://{args.host}:{port}"
    print(f"SIMULATOR READY {root}", flush=True)
    for host, url in base_urls(root).items():
        print(f"  {host:<22} {url}", flush=True)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    try:
        if args.run_seconds:
            await asyncio.wait_for(stop.wait(), timeout=args.run_seconds)
        else:
            await stop.wait()
    except TimeoutError:
        pass
    finally:
        await runner.cleanup()
        print("SIMULATOR STOPPED", flush=True)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    try:
        asyncio.run(serve(args))
    except OSError as exc:
        print(f"simulator: cannot listen on {args.host}:{args.port}: {exc}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
