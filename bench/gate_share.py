"""What the quality gate costs: the run time of its checks and of publishing, as a share of a full run.

Runs the whole pipeline once against the simulator (real Dagster runs recorded in a temporary instance,
real dbt), then reads each step's duration from the runs' event logs and each dbt test's time from dbt's
run_results.json. The gate is: the raw gate step, the dbt tests (inside the dbt step), the Great
Expectations suites step and the publish step.

    .venv/bin/python -m bench.gate_share --days 8
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DBT_TARGET = ROOT / "dbt_project" / "target"


def step_seconds(dagster_home: Path) -> dict[str, dict[str, float]]:
    """Per job, per step: seconds from STEP_START to its success or failure."""
    os.environ["DAGSTER_HOME"] = str(dagster_home)
    from dagster import DagsterEventType, DagsterInstance

    instance = DagsterInstance.get()
    kinds = {DagsterEventType.STEP_START, DagsterEventType.STEP_SUCCESS, DagsterEventType.STEP_FAILURE}
    out: dict[str, dict[str, float]] = defaultdict(dict)
    for run in instance.get_runs():
        starts: dict[str, float] = {}
        for entry in instance.all_logs(run.run_id, of_type=kinds):
            if entry.dagster_event.event_type == DagsterEventType.STEP_START:
                starts[entry.step_key] = entry.timestamp
            elif entry.step_key in starts:
                out[run.job_name][entry.step_key] = entry.timestamp - starts[entry.step_key]
    return out


def dbt_test_seconds(since: float) -> tuple[float, float, int]:
    """(seconds in tests, seconds in everything, number of tests) of the newest dbt build after `since`."""
    results = [p for p in DBT_TARGET.glob("*/run_results.json") if p.stat().st_mtime >= since]
    if not results:
        return 0.0, 0.0, 0
    newest = max(results, key=lambda p: p.stat().st_mtime)
    data = json.loads(newest.read_text())
    tests = [r["execution_time"] for r in data["results"] if r["unique_id"].startswith("test.")]
    return sum(tests), sum(r["execution_time"] for r in data["results"]), len(tests)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--days", type=int, default=8)
    p.add_argument("--now", default="2026-11-21T08:00:00Z")
    args = p.parse_args(argv)
    tmp = Path(tempfile.mkdtemp(prefix="gate_share_"))
    home = tmp / "dagster_home"
    home.mkdir()
    shutil.copy(ROOT / "orchestration" / "dagster.yaml", home / "dagster.yaml")
    env = {**os.environ, "DW_WAREHOUSE_PATH": str(tmp / "warehouse.duckdb"), "DAGSTER_HOME": str(home)}
    env["DW_ALERTS_LEDGER"] = str(tmp / "alerts.sqlite")
    cmd = [sys.executable, "-m", "orchestration.run_pipeline", "--simulator", "--days", str(args.days)]
    started = time.time()
    t0 = time.monotonic()
    proc = subprocess.run([*cmd, "--now", args.now], cwd=ROOT, env=env, capture_output=True, text=True)
    total = time.monotonic() - t0
    if proc.returncode != 0:
        print(proc.stdout[-3000:], proc.stderr[-3000:], sep="\n")
        return 1
    steps = step_seconds(home)
    tests, dbt_all, n_tests = dbt_test_seconds(started)
    marts = steps.get("marts", {})
    raw_gate, suites, publish = (marts.get(k, 0.0) for k in ("raw_gate", "mart_suites", "published__warehouse"))
    gate = raw_gate + tests + suites + publish
    print(f"pipeline --simulator --days {args.days}: {total:.1f} s wall (process start to exit)")
    for job, job_steps in sorted(steps.items()):
        print(f"  {job}: {sum(job_steps.values()):.1f} s in {len(job_steps)} steps")
    dbt_step = marts.get("dbt_models", 0.0)
    print(f"  dbt step {dbt_step:.1f} s; dbt's timing {dbt_all:.1f} s, of which {n_tests} data tests {tests:.1f} s")
    print("gate:")
    for name, seconds in (("raw gate", raw_gate), ("dbt tests", tests), ("GX suites", suites), ("publish", publish)):
        print(f"  {name:<10} {seconds:6.1f} s  {seconds / total:6.1%}")
    print(f"  {'total':<10} {gate:6.1f} s  {gate / total:6.1%} of the full run")
    shutil.rmtree(tmp, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
