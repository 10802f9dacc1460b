"""Run the liquidation collectors: `python -m ingest.collect_liquidations [--venues binance,bybit,bitmex]`.

Writes hourly files under DW_COLLECTOR_DIR (default: `collector/` beside the warehouse). Stop with
Ctrl-C or SIGTERM; --run-seconds bounds a run (tests, cron-style use).
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import signal
import sys

from ingest.config import ConfigError, Settings
from ingest.streams.collector import CollectorStats, collect
from ingest.streams.sink import HourlyFileSink, collector_dir
from ingest.streams.specs import STREAMS


async def run(venues: list[str], run_seconds: float | None) -> dict[str, CollectorStats]:
    settings = Settings.from_env()
    root = collector_dir()
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    if run_seconds:
        loop.call_later(run_seconds, stop.set)
    stats = {v: CollectorStats() for v in venues}
    print(f"collecting liquidations from {', '.join(venues)} into {root} ({settings.data_mode})", flush=True)
    for v in venues:
        if STREAMS[v].note:
            print(f"  note: {STREAMS[v].note}", flush=True)
    await asyncio.gather(
        *(
            collect(STREAMS[v], settings, HourlyFileSink(root, v, settings.data_mode), stop, stats=stats[v])
            for v in venues
        )
    )
    for v, s in stats.items():
        print(f"{v}: {s.connections} connections, {s.stored} messages stored, {s.disconnects} reconnects", flush=True)
    return stats


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m ingest.collect_liquidations", description=__doc__.split("\n\n")[0])
    p.add_argument("--venues", default=",".join(STREAMS), help=f"comma-separated, from {', '.join(STREAMS)}")
    p.add_argument("--run-seconds", type=float, default=None)
    p.add_argument("-v", "--verbose", action="store_true")
    args = p.parse_args(argv)
    venues = [v.strip() for v in args.venues.split(",") if v.strip()]
    unknown = [v for v in venues if v not in STREAMS]
    if unknown:
        p.error(f"unknown venue(s) {unknown}; choose from {', '.join(STREAMS)}")
    logging.basicConfig(level=logging.INFO if args.verbose else logging.WARNING, format="%(asctime)s %(message)s")
    try:
        asyncio.run(run(venues, args.run_seconds))
    except ConfigError as exc:
        print(f"configuration error: {exc}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
