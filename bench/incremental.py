"""Incremental cost: wall time of one hourly partition run with 1 day versus 365 days of history already in the
warehouse. The ratio (365 days / 1 day) should be close to 1: an hour's run should not grow with history.

    .venv/bin/python -m bench.incremental --year-dir /work/dev/year --work-dir /tmp/incr --json /tmp/incr.json

One hourly partition run is what the schedules (orchestration/schedules.py) do for a new hour H:
`hourly_snapshots` for H (at :05), `daily_history` for today's partition (at :10; reported as its own row and
left out of the ratio with --no-history), and `marts` for today's partition (at :20: raw gate, `dbt build`
with its tests, Great Expectations suites, publish). Each runs in process in a child process
(`--child`), against the local simulator with its clock frozen at H and its default (production) rate limits,
on a fresh copy of the base warehouse, so every measurement starts from the same state:

- 365 days: a copy of the year warehouse (bench/year_warehouse.py, built at --now H-1h);
- 1 day: WORK/day1, built here if missing by `run_pipeline --simulator --days 1 --now H-1h`.

Per run: wall time of each job and of the marts steps (raw gate, dbt, GX suites, publish), dbt's models vs
tests from its run_results.json (the slowest nodes too), and peak RSS of the run's process and of dbt.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from bench.run_memory import ROOT, isolated_env, machine, run_measured, write_json

DEFAULT_YEAR_DIR = ROOT / "var" / "bench" / "year"  # the Makefile's BENCH_DIR
DEFAULT_WORK_DIR = ROOT / "var" / "bench" / "incremental"
DEFAULT_HOUR = "2026-11-21T09:00:00Z"
DBT_PROJECT = ROOT / "dbt_project"
SLOWEST = 12


def _log(msg: str) -> None:
    print(f"[incremental {datetime.now(UTC):%H:%M:%S}] {msg}", flush=True)


def parse_instant(text: str) -> datetime:
    t = datetime.fromisoformat(text.replace("Z", "+00:00"))
    return (t if t.tzinfo else t.replace(tzinfo=UTC)).astimezone(UTC)


# --- child: one hourly partition run, in process -----------------------------------------------------------
def step_seconds(instance, run_id: str) -> dict[str, float]:
    """Wall seconds of each step of a finished run, from its event log."""
    from dagster import DagsterEventType

    kinds = {DagsterEventType.STEP_START, DagsterEventType.STEP_SUCCESS, DagsterEventType.STEP_FAILURE}
    starts: dict[str, float] = {}
    out: dict[str, float] = {}
    for entry in instance.all_logs(run_id, of_type=kinds):
        if entry.dagster_event.event_type == DagsterEventType.STEP_START:
            starts[entry.step_key] = entry.timestamp
        elif entry.step_key in starts:
            out[entry.step_key] = entry.timestamp - starts[entry.step_key]
    return out


def dbt_breakdown(target_root: Path, run_id: str) -> dict:
    """Models vs tests of the run's dbt invocation, from the run_results.json dagster-dbt left in its own
    target directory (named `dbt_models-<run id[:7]>-<uuid>`)."""
    found = sorted(target_root.glob(f"dbt_models-{run_id[:7]}-*/run_results.json"))
    if not found:
        return {}
    doc = json.loads(found[-1].read_text())
    by_type: dict[str, dict[str, float]] = {}
    nodes = []
    for r in doc["results"]:
        kind = r["unique_id"].split(".", 1)[0]
        agg = by_type.setdefault(kind, {"count": 0, "seconds": 0.0})
        agg["count"] += 1
        agg["seconds"] += r["execution_time"]
        nodes.append((r["execution_time"], r["unique_id"], r["status"]))
    staging_tests = [n for n in nodes if n[1].startswith("test.") and "_stg_" in n[1]]
    return {
        "elapsed_s": round(doc.get("elapsed_time", 0.0), 1),
        "by_type": {k: {"count": v["count"], "seconds": round(v["seconds"], 1)} for k, v in by_type.items()},
        "staging_view_tests_s": round(sum(n[0] for n in staging_tests), 1),
        "slowest": [
            {"node": uid, "seconds": round(s, 2), "status": st} for s, uid, st in sorted(nodes, reverse=True)[:SLOWEST]
        ],
        "not_passed": [uid for _, uid, st in nodes if st not in ("success", "pass")],
    }


def child(hour: datetime, result_path: Path, with_history: bool) -> int:
    """Run the hour's jobs in this process (the warehouse and DBT_TARGET_PATH come from the environment)."""
    from simulator.process import running_simulator

    out: dict = {"hour": hour.isoformat(), "jobs": {}, "ok": True}
    t_all = time.monotonic()
    with running_simulator(now=hour) as sim:
        os.environ["DW_SIMULATOR_URL"] = sim.root
        os.environ["DW_SIMULATOR_NOW"] = hour.isoformat()  # snapshot assets take "the current hour" from it
        from dagster import DagsterInstance

        from orchestration.definitions import defs
        from orchestration.partitions import daily_partitions, hourly_partitions

        out["startup_s"] = round(time.monotonic() - t_all, 1)
        instance = DagsterInstance.ephemeral()
        quiet = {"loggers": {"console": {"config": {"log_level": "ERROR"}}}}
        hour_key = hourly_partitions.get_partition_key_for_timestamp(hour.timestamp())
        day_key = daily_partitions.get_partition_key_for_timestamp(hour.timestamp())
        plan = [("snapshots", "hourly_snapshots", hour_key)]
        if with_history:
            plan.append(("history", "daily_history", day_key))
        plan.append(("marts", "marts", day_key))
        for label, job, key in plan:
            t0 = time.monotonic()
            result = defs.resolve_job_def(job).execute_in_process(
                instance=instance, raise_on_error=False, run_config=quiet, partition_key=key
            )
            job_out = {
                "job": job,
                "partition": key,
                "wall_s": round(time.monotonic() - t0, 2),
                "ok": result.success,
                "steps_s": {k: round(v, 2) for k, v in step_seconds(instance, result.run_id).items()},
                "failed_checks": [
                    f"{e.asset_key.to_user_string()} {e.check_name}"
                    for e in result.get_asset_check_evaluations()
                    if not e.passed and e.severity.value != "WARN"
                ],
            }
            if job == "marts":
                job_out["dbt"] = dbt_breakdown(Path(os.environ["DBT_TARGET_PATH"]), result.run_id)
            if not result.success:
                job_out["failures"] = [
                    e.message.splitlines()[0][:300] for e in result.all_events if e.is_failure and e.message
                ]
                out["ok"] = False
            out["jobs"][label] = job_out
    out["total_s"] = round(time.monotonic() - t_all, 1)
    result_path.write_text(json.dumps(out, indent=2, sort_keys=True))
    return 0 if out["ok"] else 1


# --- parent: bases, copies, measured child runs ------------------------------------------------------------
def ensure_day1(work: Path, base_now: datetime) -> Path:
    """WORK/day1/warehouse.duckdb: one day of history at base_now (built once, stamped with base_now)."""
    day1 = work / "day1"
    warehouse, stamp = day1 / "warehouse.duckdb", day1 / "day1.json"
    if warehouse.exists() and stamp.exists() and json.loads(stamp.read_text()).get("now") == base_now.isoformat():
        return warehouse
    shutil.rmtree(day1, ignore_errors=True)
    day1.mkdir(parents=True)
    cmd = [sys.executable, "-m", "orchestration.run_pipeline", "--simulator", "--days", "1"]
    cmd += ["--now", base_now.isoformat()]
    _log(f"building the 1-day warehouse: {' '.join(cmd[1:])} -> {warehouse}")
    m = run_measured(cmd, isolated_env(warehouse), day1 / "build.log")
    if m.returncode != 0:
        raise SystemExit(f"the 1-day build failed (exit {m.returncode}):\n{m.output_tail}")
    stamp.write_text(json.dumps({"days": 1, "now": base_now.isoformat(), "build_s": round(m.wall_s, 1)}) + "\n")
    _log(f"    built in {m.wall_s:.0f}s")
    return warehouse


def year_base(year_dir: Path, hour: datetime) -> Path:
    warehouse = year_dir / "warehouse.duckdb"
    stamp_path = year_dir / "year_warehouse.json"
    if not warehouse.exists() or not stamp_path.exists():
        raise SystemExit(f"no year warehouse in {year_dir}: build it with `python -m bench.year_warehouse --dir ...`")
    stamp = json.loads(stamp_path.read_text())
    built_now = parse_instant(stamp["now"])
    if built_now != hour - timedelta(hours=1):
        raise SystemExit(f"{year_dir} was built at {built_now:%Y-%m-%dT%H:%MZ}; --hour must be the next hour")
    return warehouse


def fresh_copy(base: Path, dest_dir: Path) -> Path:
    """A pristine copy of the base warehouse, so each measured run starts from the same state."""
    shutil.rmtree(dest_dir, ignore_errors=True)
    dest_dir.mkdir(parents=True)
    dest = dest_dir / "warehouse.duckdb"
    shutil.copyfile(base, dest)
    return dest


def measure_case(label: str, days: int, base: Path, work: Path, hour: datetime, with_history: bool) -> dict:
    run_dir = work / "runs" / label
    t0 = time.monotonic()
    warehouse = fresh_copy(base, run_dir)
    copy_s = time.monotonic() - t0
    target = run_dir / "dbt_target"
    target.mkdir()
    # dagster-dbt copies a partial-parse file from DBT_TARGET_PATH into each run's target, as in production.
    partial = DBT_PROJECT / "target" / "partial_parse.msgpack"
    if partial.exists():
        shutil.copyfile(partial, target / "partial_parse.msgpack")
    result_path = run_dir / "result.json"
    cmd = [sys.executable, "-m", "bench.incremental", "--child", "--hour", hour.isoformat()]
    cmd += ["--result", str(result_path)] + ([] if with_history else ["--no-history"])
    _log(f"{label}: {base.stat().st_size / 2**20:,.0f} MiB base copied in {copy_s:.0f}s; running hour {hour:%H:%MZ}")
    env = isolated_env(warehouse, DBT_TARGET_PATH=str(target), DW_LOG_LEVEL="ERROR")
    m = run_measured(cmd, env, run_dir / "run.log")
    if not result_path.exists():
        raise SystemExit(f"{label}: the hourly run crashed (exit {m.returncode}):\n{m.output_tail}")
    res = json.loads(result_path.read_text())
    res.update(
        label=label,
        history_days=days,
        warehouse_mib=round(base.stat().st_size / 2**20),
        process_wall_s=round(m.wall_s, 1),
        peak_rss_mib=m.peaks.as_mib(),
        wait4_maxrss_mib=round(m.wait4_maxrss_kib / 1024),
    )
    _log(f"    {'ok' if res['ok'] else 'FAILED'} in {m.wall_s:.0f}s")
    return res


def phases(res: dict) -> dict[str, float]:
    """Wall seconds per phase of one run (the marts run split into its steps; `marts other` is Dagster's own
    time around them: planning, event handling, the check steps' bookkeeping)."""
    jobs = res["jobs"]
    marts = jobs["marts"]
    steps = marts["steps_s"]
    dbt = marts.get("dbt", {}).get("by_type", {})
    out = {"snapshots": jobs["snapshots"]["wall_s"]}
    if "history" in jobs:
        out["history (today's partition)"] = jobs["history"]["wall_s"]
    out.update(
        {
            "marts: raw gate": steps.get("raw_gate", 0.0),
            "marts: dbt build": steps.get("dbt_models", 0.0),
            "    dbt models": dbt.get("model", {}).get("seconds", 0.0),
            "    dbt tests": dbt.get("test", {}).get("seconds", 0.0),
            "    of which staging-view tests": marts.get("dbt", {}).get("staging_view_tests_s", 0.0),
            "marts: GX suites": steps.get("mart_suites", 0.0),
            "marts: publish": steps.get("published__warehouse", 0.0),
        }
    )
    known = sum(steps.get(k, 0.0) for k in ("raw_gate", "dbt_models", "mart_suites", "published__warehouse"))
    out["marts: other (Dagster)"] = round(marts["wall_s"] - known, 2)
    out["marts total"] = marts["wall_s"]
    out["hourly run (snapshots + marts)"] = round(jobs["snapshots"]["wall_s"] + marts["wall_s"], 2)
    if "history" in jobs:
        out["hourly run incl. history"] = round(out["hourly run (snapshots + marts)"] + jobs["history"]["wall_s"], 2)
    return out


def report(results: list[dict]) -> tuple[list[dict], dict]:
    small, big = results[0], results[-1]
    p_small, p_big = phases(small), phases(big)
    rows = []
    print()
    print(f"hourly partition run for {small['hour'][:16]}Z: {small['history_days']} day vs {big['history_days']} days")
    print(f"{'phase':<38}{'1 day s':>10}{'365 days s':>12}{'ratio':>8}")
    for name in p_small:
        a, b = p_small[name], p_big.get(name, 0.0)
        ratio = b / a if a > 0.05 else None
        rows.append({"phase": name, "small_s": a, "large_s": b, "ratio": round(ratio, 2) if ratio else None})
        print(f"{name:<38}{a:>10.1f}{b:>12.1f}{(f'{ratio:.2f}' if ratio else '-'):>8}")
    mem_rows = []
    for r in (small, big):
        kinds = r["peak_rss_mib"]["by_kind_mib"]
        mem_rows.append((r["history_days"], kinds.get("pipeline", 0), kinds.get("dbt", 0), r["wait4_maxrss_mib"]))
    print(f"{'peak RSS MiB':<20}{'run process':>12}{'dbt':>8}{'wait4':>8}")
    for days, proc, dbt, w4 in mem_rows:
        print(f"{str(days) + ' day(s)':<20}{proc:>12,}{dbt:>8,}{w4:>8,}")
    for r in (small, big):
        dbt = r["jobs"]["marts"].get("dbt", {})
        print(f"slowest dbt nodes at {r['history_days']} day(s):")
        for node in dbt.get("slowest", [])[:8]:
            print(f"    {node['seconds']:>8.1f}s  {node['node']}")
        if not r["ok"]:
            for label, job in r["jobs"].items():
                for line in job.get("failures", []) + job.get("failed_checks", []):
                    print(f"    FAILED {label}: {line}")
    key = "hourly run (snapshots + marts)"
    summary = {
        "hour": small["hour"],
        "small_days": small["history_days"],
        "large_days": big["history_days"],
        "small_s": p_small[key],
        "large_s": p_big[key],
        "ratio": round(p_big[key] / p_small[key], 2),
        "dbt_ratio": round(p_big["marts: dbt build"] / max(p_small["marts: dbt build"], 0.01), 2),
        "ok": small["ok"] and big["ok"],
        "peak_rss_mib": {str(d): {"run_process": p, "dbt": b, "wait4": w} for d, p, b, w in mem_rows},
        "dbt": {str(r["history_days"]): r["jobs"]["marts"].get("dbt", {}) for r in results},
        "warehouse_mib": {str(r["history_days"]): r["warehouse_mib"] for r in results},
        "machine": machine(),
        "measured_at": datetime.now(UTC).isoformat(),
    }
    print(f"ratio 365 days / 1 day, snapshots + marts: {summary['ratio']:.2f}", end="")
    print(f" (dbt build alone {summary['dbt_ratio']:.2f})")
    return rows, summary


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m bench.incremental", description=__doc__.split("\n\n")[0])
    p.add_argument("--year-dir", type=Path, default=DEFAULT_YEAR_DIR, help="the year warehouse (read, copied)")
    p.add_argument("--work-dir", type=Path, default=DEFAULT_WORK_DIR, help="the 1-day base and the run copies")
    p.add_argument("--hour", default=DEFAULT_HOUR, help="the new hour (UTC): the year build's --now plus one hour")
    p.add_argument("--no-history", action="store_true", help="leave out today's daily_history refresh")
    p.add_argument("--only", choices=("day1", "year"), help="measure one case (its JSON row only)")
    p.add_argument("--keep-copies", action="store_true", help="keep the run copies (2.9 GB each) afterwards")
    p.add_argument("--json", type=Path, help="also write the result here")
    p.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    p.add_argument("--result", type=Path, help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    hour = parse_instant(args.hour).replace(minute=0, second=0, microsecond=0)
    if args.child:
        return child(hour, args.result, not args.no_history)

    work = args.work_dir.expanduser().resolve()
    work.mkdir(parents=True, exist_ok=True)
    cases = []
    if args.only != "year":
        cases.append(("day1", 1, ensure_day1(work, hour - timedelta(hours=1))))
    if args.only != "day1":
        cases.append(("year", 365, year_base(args.year_dir.expanduser().resolve(), hour)))
    # One case at a time: a year-scale dbt run needs ~9 GiB.
    results = [measure_case(label, days, base, work, hour, not args.no_history) for label, days, base in cases]
    if not args.keep_copies:
        for label, _, _ in cases:
            for f in (work / "runs" / label).glob("warehouse*.duckdb*"):
                f.unlink()
    if len(results) == 2:
        rows, summary = report(results)
    else:
        rows, summary = [{"phase": k, "seconds": v} for k, v in phases(results[0]).items()], {"case": results[0]}
        for row in rows:
            print(f"{row['phase']:<38}{row['seconds']:>10.1f}")
    if args.json:
        write_json(args.json, "incremental", rows, summary)
        _log(f"wrote {args.json}")
    return 0 if all(r["ok"] for r in results) else 1


if __name__ == "__main__":
    sys.exit(main())
