"""Full rebuild: `dbt build --full-refresh` of every model over a copy of the 365-day warehouse, without window
vars (so the whole history is rebuilt and tested): wall time, models and tests (count and seconds, from dbt's
run_results.json), the slowest nodes, and the peak RSS of the dbt process.

    .venv/bin/python -m bench.full_rebuild --year-dir /work/dev/year --work-dir /tmp/rebuild --json /tmp/rb.json

This is what a change to a mart's logic costs (the hourly runs only rebuild their window: bench/incremental.py).
Unit tests are left out as in the pipeline's runs (they run in the test suite); --with-unit-tests adds them.
The copy is deleted afterwards unless --keep-copy. A year-scale dbt run needs ~9 GiB: do not run two at once.
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

from bench.run_memory import ROOT, isolated_env, machine, run_measured, write_json

DEFAULT_YEAR_DIR = ROOT / "var" / "bench" / "year"  # the Makefile's BENCH_DIR
DEFAULT_WORK_DIR = ROOT / "var" / "bench" / "full_rebuild"
DBT_PROJECT = ROOT / "dbt_project"
SLOWEST = 15


def _log(msg: str) -> None:
    print(f"[full_rebuild {datetime.now(UTC):%H:%M:%S}] {msg}", flush=True)


def dbt_command(target: Path, with_unit_tests: bool) -> list[str]:
    dbt = Path(sys.executable).with_name("dbt")
    cmd = [str(dbt), "build", "--full-refresh", "--project-dir", str(DBT_PROJECT)]
    cmd += ["--profiles-dir", str(DBT_PROJECT), "--target-path", str(target)]
    if not with_unit_tests:
        cmd += ["--exclude-resource-type", "unit_test"]
    return cmd


def summarize_results(run_results: Path) -> dict:
    doc = json.loads(run_results.read_text())
    by_type: dict[str, dict] = {}
    nodes = []
    for r in doc["results"]:
        kind = r["unique_id"].split(".", 1)[0]
        agg = by_type.setdefault(kind, {"count": 0, "seconds": 0.0, "not_passed": 0})
        agg["count"] += 1
        agg["seconds"] += r["execution_time"]
        agg["not_passed"] += r["status"] not in ("success", "pass")
        nodes.append((r["execution_time"], r["unique_id"], r["status"]))
    for agg in by_type.values():
        agg["seconds"] = round(agg["seconds"], 1)
    staging_tests = sum(s for s, uid, _ in nodes if uid.startswith("test.") and "_stg_" in uid)
    return {
        "dbt_elapsed_s": round(doc.get("elapsed_time", 0.0), 1),
        "by_type": by_type,
        "staging_view_tests_s": round(staging_tests, 1),
        "slowest": [
            {"node": u, "seconds": round(s, 2), "status": st} for s, u, st in sorted(nodes, reverse=True)[:SLOWEST]
        ],
        "not_passed": [u for _, u, st in nodes if st not in ("success", "pass")],
    }


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m bench.full_rebuild", description=__doc__.split("\n\n")[0])
    p.add_argument("--year-dir", type=Path, default=DEFAULT_YEAR_DIR, help="holds the warehouse to copy")
    p.add_argument("--work-dir", type=Path, default=DEFAULT_WORK_DIR, help="where the copy and dbt's target go")
    p.add_argument("--with-unit-tests", action="store_true", help="also run dbt's unit tests")
    p.add_argument("--keep-copy", action="store_true", help="keep the rebuilt copy afterwards")
    p.add_argument("--json", type=Path, help="also write the result here")
    args = p.parse_args(argv)

    base = args.year_dir.expanduser().resolve() / "warehouse.duckdb"
    if not base.exists():
        p.error(f"no warehouse at {base}: build it with `python -m bench.year_warehouse --dir ...`")
    stamp_path = base.with_name("year_warehouse.json")
    stamp = json.loads(stamp_path.read_text()) if stamp_path.exists() else {}
    work = args.work_dir.expanduser().resolve()
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    warehouse, target = work / "warehouse.duckdb", work / "dbt_target"
    t0 = time.monotonic()
    shutil.copyfile(base, warehouse)
    _log(f"copied {base} ({base.stat().st_size / 2**20:,.0f} MiB) in {time.monotonic() - t0:.0f}s")
    cmd = dbt_command(target, args.with_unit_tests)
    _log(" ".join(["dbt", *cmd[1:]]))
    m = run_measured(cmd, isolated_env(warehouse), work / "dbt.log", root_kind="dbt")
    summary_path = target / "run_results.json"
    dbt = summarize_results(summary_path) if summary_path.exists() else {}
    size_after = warehouse.stat().st_size
    if not args.keep_copy:
        for f in work.glob("warehouse.duckdb*"):
            f.unlink()

    by_type = dbt.get("by_type", {})
    rows = [
        {"resource": kind, "count": v["count"], "seconds": v["seconds"], "not_passed": v["not_passed"]}
        for kind, v in sorted(by_type.items())
    ]
    dbt_rss = m.peaks.by_kind.get("dbt", 0)
    print(f"{'resource':<12}{'count':>8}{'seconds':>10}{'not passed':>12}")
    for row in rows:
        print(f"{row['resource']:<12}{row['count']:>8}{row['seconds']:>10.1f}{row['not_passed']:>12}")
    print("slowest nodes:")
    for node in dbt.get("slowest", [])[:10]:
        print(f"    {node['seconds']:>8.1f}s  {node['node']}")
    status = "ok" if m.returncode == 0 else f"FAILED (exit {m.returncode})"
    print(
        f"dbt build --full-refresh over {stamp.get('days', '?')} days: {status}, wall {m.wall_s:.1f} s, "
        f"peak RSS {dbt_rss / 1024:,.0f} MiB sampled / {m.wait4_maxrss_kib / 1024:,.0f} MiB wait4, "
        f"warehouse {size_after / 2**20:,.0f} MiB after"
    )
    if m.returncode != 0:
        print(m.output_tail)
    summary = {
        "ok": m.returncode == 0,
        "days": stamp.get("days"),
        "wall_s": round(m.wall_s, 1),
        "dbt_peak_rss_mib": round(dbt_rss / 1024),
        "wait4_maxrss_mib": round(m.wait4_maxrss_kib / 1024),
        "peak_rss_mib": m.peaks.as_mib(),
        "warehouse_bytes_after": size_after,
        "dbt": dbt,
        "command": " ".join(["dbt", *cmd[1:]]),
        "machine": machine(),
        "measured_at": datetime.now(UTC).isoformat(),
    }
    if args.json:
        write_json(args.json, "full_rebuild", rows, summary)
        _log(f"wrote {args.json}")
    return 0 if m.returncode == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
