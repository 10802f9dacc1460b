"""Every benchmark in one go, then one table: the figures of SPEC section 7 (and issue 8) with their ratios.

    .venv/bin/python -m bench.report --dir var/bench            # `make bench`: all, about 2 h the first time
    .venv/bin/python -m bench.report --dir var/bench --only cli_speed backfill
    .venv/bin/python -m bench.report --dir var/bench --table-only # reprint the table from the last results

Each benchmark runs as its own process (`python -m bench.<name> ... --json DIR/results/<name>.json`), so one
that fails is reported and the others still run; its own detailed table goes to the terminal as it runs. The
365-day warehouse several of them read is built first by `bench.year_warehouse` (about 70 min once, then
reused while its days and --now match). Nothing here is part of the test suite's pass/fail: the figures
depend on the machine, and the README records them with the machine they were taken on.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from bench.results import machine_line

YEAR_NOW = "2026-11-21T08:00Z"


@dataclass(frozen=True)
class Benchmark:
    name: str
    what: str  # the words for what is measured
    argv: Callable[[Path], list[str]]  # arguments after `python -m bench.<name>`, given the bench directory
    figure: Callable[[dict], tuple[str, str]]  # (figure, ratio or verdict) from the JSON summary
    needs_year: bool = False


def _s(x: float | None, digits: int = 1) -> str:
    return "-" if x is None else f"{x:,.{digits}f}"


def _ingest(s: dict) -> tuple[str, str]:
    return (
        f"{s.get('records_in_payloads', 0):,} records from {s.get('payload_source')} payload files",
        f"ours / read_json rows/s: raw {_s(s.get('ratio_raw'), 3)}, raw + staging "
        f"{_s(s.get('ratio_raw_plus_staging'), 3)}",
    )


def _incremental(s: dict) -> tuple[str, str]:
    return (
        f"1 day: {_s(s.get('small_s'))} s; 365 days: {_s(s.get('large_s'))} s",
        f"365 d / 1 d = {_s(s.get('ratio'), 2)} (flat = 1); dbt build alone {_s(s.get('dbt_ratio'), 2)}",
    )


def _rebuild(s: dict) -> tuple[str, str]:
    by_type = (s.get("dbt") or {}).get("by_type", {})
    models, tests = by_type.get("model", {}), by_type.get("test", {})
    return (
        f"{_s(s.get('wall_s'))} s: {models.get('count', '-')} models {_s(models.get('seconds'))} s, "
        f"{tests.get('count', '-')} tests {_s(tests.get('seconds'))} s",
        f"dbt peak RSS {_s((s.get('wait4_maxrss_mib') or 0) / 1024, 1)} GiB",
    )


def _backfill(s: dict) -> tuple[str, str]:
    return (
        f"{s.get('days')} days: {_s(s.get('wall_s'))} s, {s.get('requests', 0):,} requests, "
        f"{s.get('limit_violations')} limit violations",
        f"wall / floor = {_s(s.get('wall_over_floor'), 2)} (floor {_s(s.get('floor_s'))} s)",
    )


def _cli(s: dict) -> tuple[str, str]:
    h = s.get("headline") or {}
    return (
        f"{h.get('command')}: median {_s(h.get('median_s'), 3)} s; slowest command median "
        f"{_s(s.get('slowest_median_s'), 3)} s",
        f"peak RSS {_s(s.get('peak_rss_mib'), 0)} MiB; target < 0.8 s",
    )


def _memory(s: dict) -> tuple[str, str]:
    peak = s.get("peak_rss_mib") or {}
    return (
        f"full run, {s.get('days')} days: {_s(s.get('wall_s'))} s",
        f"peak RSS: pipeline {_s(peak.get('by_kind_mib', {}).get('pipeline'), 0)} MiB, largest child "
        f"({peak.get('largest_child')}) {_s(peak.get('largest_child_mib'), 0)} MiB, whole tree "
        f"{_s(peak.get('tree_mib'), 0)} MiB",
    )


BENCHMARKS = (
    Benchmark(
        "ingest_throughput",
        "ingest throughput against DuckDB's own read_json of the same files",
        lambda d: [],
        _ingest,
    ),
    Benchmark(
        "incremental",
        "one hourly partition run with 1 day vs 365 days of history",
        lambda d: ["--year-dir", str(d / "year"), "--work-dir", str(d / "incremental")],
        _incremental,
        needs_year=True,
    ),
    Benchmark(
        "full_rebuild",
        "full dbt build of all marts over 365 days x 3 assets x 8 venues",
        lambda d: ["--year-dir", str(d / "year"), "--work-dir", str(d / "rebuild")],
        _rebuild,
        needs_year=True,
    ),
    Benchmark("backfill", "30-day backfill at the venues' real rate limits", lambda d: ["--days", "30"], _backfill),
    Benchmark(
        "cli_speed",
        "median whole-process time per command on the 365-day warehouse",
        lambda d: ["--warehouse", str(d / "year" / "warehouse.duckdb"), "--runs", "15"],
        _cli,
        needs_year=True,
    ),
    Benchmark("run_memory", "peak RSS of a full pipeline run", lambda d: ["--work-dir", str(d / "memory")], _memory),
)
NAMES = [b.name for b in BENCHMARKS]


def _run(argv: list[str]) -> tuple[int, float]:
    t0 = time.monotonic()
    print(f"\n$ {' '.join(argv)}", flush=True)
    code = subprocess.run(argv, check=False).returncode
    return code, time.monotonic() - t0


def table(results_dir: Path, chosen: list[Benchmark], outcomes: dict[str, str]) -> list[str]:
    lines = ["| benchmark | figure | ratio / verdict |", "|---|---|---|"]
    for b in chosen:
        path = results_dir / f"{b.name}.json"
        if path.exists():
            doc = json.loads(path.read_text())
            figure, ratio = b.figure(doc.get("summary", {}))
        else:
            figure, ratio = outcomes.get(b.name, "not run"), ""
        lines.append(f"| {b.what} | {figure} | {ratio} |")
    return lines


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m bench.report", description=__doc__.split("\n\n")[0])
    p.add_argument("--dir", type=Path, default=Path("var/bench"), help="where fixtures and results live")
    p.add_argument("--only", nargs="+", choices=NAMES, metavar="NAME", help=f"run only these: {', '.join(NAMES)}")
    p.add_argument("--table-only", action="store_true", help="run nothing; print the table of the last results")
    args = p.parse_args(argv)
    bench_dir = args.dir.expanduser().resolve()
    results_dir = bench_dir / "results"
    results_dir.mkdir(parents=True, exist_ok=True)
    chosen = [b for b in BENCHMARKS if not args.only or b.name in args.only]
    outcomes: dict[str, str] = {}
    failed = []
    if not args.table_only:
        if any(b.needs_year for b in chosen):
            code, _ = _run([sys.executable, "-m", "bench.year_warehouse", "--dir", str(bench_dir / "year")])
            if code != 0:
                print("the 365-day warehouse could not be built; the benchmarks that read it are skipped")
                chosen = [b for b in chosen if not b.needs_year]
                failed.append("year_warehouse")
        for b in chosen:
            out = results_dir / f"{b.name}.json"
            out.unlink(missing_ok=True)  # a failed run must not leave the previous figures looking current
            code, seconds = _run([sys.executable, "-m", f"bench.{b.name}", *b.argv(bench_dir), "--json", str(out)])
            if code != 0:
                failed.append(b.name)
                outcomes[b.name] = f"FAILED (exit {code} after {seconds:.0f} s)"
    print()
    print(machine_line())
    print("\n".join(table(results_dir, chosen, outcomes)))
    if failed:
        print(f"failed: {', '.join(failed)}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
