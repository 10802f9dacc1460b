"""Backfill benchmark: N days of every history dataset for BTC, ETH, SOL across all venues, against the
simulator with its real rate limits. One thread per venue (venues have independent budgets), each venue's
datasets and days in sequence. Prints, per venue: requests, wall time, and the floor that the venue's
documented budget implies for that many requests; then the simulator's count of limit violations.

    .venv/bin/python -m bench.backfill --days 30
"""

from __future__ import annotations

import argparse
import math
import threading
import time
from collections import Counter, defaultdict
from datetime import UTC, datetime, timedelta
from pathlib import Path

from bench.results import machine_line, write_json
from ingest.config import Settings
from ingest.registry import DATASETS, Cadence, fetch_partition
from ingest.windows import TimeWindow
from simulator.process import running_simulator


# Tightest documented budget per venue for history calls: (burst capacity in requests, requests per second
# once the burst is spent). Fixed windows count as a burst of one window's limit.
def _fixed(limit: float, window_s: float) -> tuple[float, float]:
    return limit, limit / window_s


BUDGETS = {
    "bitmex": (30.0, 0.5),  # token bucket: 30 requests, refilled one every 2 s
    "deribit": (100.0, 20.0),  # 50,000 credits refilled at 10,000/s, 500 per request
    "dydx": _fixed(100, 10),
    "drift": _fixed(100, 60),
    "gmx": _fixed(300, 60),
    "bybit": _fixed(600, 5),
}
# Per-endpoint budgets (the tightest bucket each path is charged to).
PATH_BUDGETS = {
    ("binance", "/fapi/v1/fundingRate"): _fixed(500, 300),
    ("binance", "/dapi/v1/fundingRate"): _fixed(500, 300),
    ("binance", "/futures/data/"): _fixed(1000, 300),
    ("okx", "/api/v5/public/funding-rate-history"): _fixed(10, 2),
    ("okx", "/api/v5/rubik/"): (5, 2.5),
    ("okx", "/api/v5/market/"): _fixed(20, 2),
}


def floor_seconds(venue: str, paths: Counter) -> float:
    """The shortest time the venue's budgets allow for these requests (burst first, then the steady rate)."""
    groups: dict[tuple, int] = defaultdict(int)
    for path, n in paths.items():
        budget = next((b for (v, prefix), b in PATH_BUDGETS.items() if v == venue and path.startswith(prefix)), None)
        groups[budget or BUDGETS.get(venue, (math.inf, math.inf))] += n
    return max((max(0.0, n - burst) / rate for (burst, rate), n in groups.items() if rate != math.inf), default=0.0)


def backfill_venue(venue: str, settings: Settings, days: list[TimeWindow], out: dict) -> None:
    started = time.monotonic()
    requests, errors = 0, []
    for spec in (s for s in DATASETS if s.venue == venue and s.cadence == Cadence.DAILY_HISTORY):
        for window in days:
            try:
                requests += fetch_partition(spec, settings, window).request_count
            except Exception as exc:  # noqa: BLE001 - a benchmark reports and goes on
                errors.append(f"{spec.dataset} {window.start:%Y-%m-%d}: {type(exc).__name__}: {exc}")
    out[venue] = {"requests": requests, "seconds": time.monotonic() - started, "errors": errors}


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m bench.backfill", description=__doc__.split("\n\n")[0])
    p.add_argument("--days", type=int, default=30, help="daily partitions, ending with today's (open) one")
    p.add_argument("--json", type=Path, metavar="PATH", help="also write the figures as JSON (bench/report.py)")
    args = p.parse_args(argv)
    today = datetime.now(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    # The daily partitions a `--days N` pipeline run fetches: today's open one and the N - 1 before it. Binance
    # serves its statistics for 30 days, so a 30-day backfill must end today to stay inside that retention.
    days = [TimeWindow(today - timedelta(days=d), today - timedelta(days=d - 1)) for d in range(args.days - 1, -1, -1)]
    venues = sorted({s.venue for s in DATASETS if s.cadence == Cadence.DAILY_HISTORY})
    with running_simulator(max_lifetime_s=7200) as sim:
        settings = Settings(assets=("BTC", "ETH", "SOL"), simulator_url=sim.root)
        results: dict[str, dict] = {}
        threads = [threading.Thread(target=backfill_venue, args=(v, settings, days, results)) for v in venues]
        t0 = time.monotonic()
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        total = time.monotonic() - t0
        log = sim.requests_summary()
        entries = sim.full_log()
    per_path: dict[str, Counter] = defaultdict(Counter)
    for e in entries:
        path = e["path"]
        per_path[e["venue"]][path] += 1
    print(f"backfill of {args.days} days x BTC, ETH, SOL, all venues (one thread per venue) against the simulator")
    print(machine_line())
    print(f"{'venue':<10}{'requests':>10}{'wall s':>10}{'floor s':>10}{'wall/floor':>12}  errors")
    rows = []
    for v in venues:
        r = results[v]
        floor = floor_seconds(v, per_path[v])
        ratio = f"{r['seconds'] / floor:.2f}" if floor > 0 else "-"
        print(f"{v:<10}{r['requests']:>10}{r['seconds']:>10.1f}{floor:>10.1f}{ratio:>12}  {len(r['errors'])}")
        for err in r["errors"][:3]:
            print(f"    {err}")
        rows.append(
            {"venue": v, "requests": r["requests"], "wall_s": r["seconds"], "floor_s": floor, "errors": r["errors"]}
        )
    violations = log["limit_violations"]
    print(f"total wall time {total:.1f} s; simulator requests {log['requests']}; limit violations {violations}")
    # The whole backfill cannot end before its slowest venue's floor: that is the figure to compare with.
    floor_total = max(row["floor_s"] for row in rows)
    summary = {
        "days": args.days,
        "wall_s": total,
        "floor_s": floor_total,
        "wall_over_floor": total / floor_total if floor_total else None,
        "requests": log["requests"],
        "limit_violations": violations,
        "errors": sum(len(row["errors"]) for row in rows),
    }
    write_json(args.json, "backfill", rows, summary)
    return 0 if violations == 0 else 1


if __name__ == "__main__":
    raise SystemExit(main())
