"""Build the benchmark fixture: a published warehouse holding N days (default 365) of every venue for BTC, ETH
and SOL, by running the real pipeline (the Dagster jobs of `orchestration.run_pipeline`, in process) against
the local exchange simulator with a frozen clock, so the build gives the same data on any day.

    .venv/bin/python -m bench.year_warehouse --dir /work/dev/year            # 365 days ending 2026-11-21T08:00Z
    .venv/bin/python -m bench.year_warehouse --dir /tmp/w30 --days 30        # a quick one, to see the rate

RATE LIMITS ARE LIFTED FOR THIS BUILD ONLY. With the venues' real limits a 365-day backfill takes hours
(BitMEX allows 30 requests a minute), and the limits are not what this fixture is for. So, in this process
only, the client-side budgets of `ingest/ratelimit.py` (`WindowBudget.acquire`, `TokenBucket.acquire`) are
replaced by no-ops, and the simulator is started with limits raised far beyond any request rate (its
`--limits` overrides). Production code is unchanged. `bench.backfill` is the benchmark of the rate-limited
backfill; the ingest figures printed here are not a backfill benchmark.

What it runs, as a year of scheduled operation would have produced it:
1. `daily_history` in chunks of `--chunk-days` (default 28) days, oldest first, each against a simulator
   whose frozen clock stands at 08:00 (the time of day of --now) of the morning after the chunk's last day,
   and the last chunk at --now itself. Chunks are needed, not only convenient: venues serve some history for
   a limited time (Binance's /futures/data statistics: 30 days; OKX long/short ratios: 59 days, funding
   history: 90 days), and one run over 365 days at one frozen instant would be refused those datasets (the
   oldest partition fails first, which fails the whole asset, so not even the retained days would load);
2. `hourly_snapshots` for the hour of --now (one hour: snapshot-backed marts such as option chains and
   dated-futures basis hold one hour, not a year of hourly snapshots);
3. `marts` over the whole day range (`--marts-chunk-days N` splits it into N-day runs, oldest first): raw
   gate, `dbt build` with its tests, Great Expectations suites, then publish.
The runs use an ephemeral Dagster instance (--record-runs keeps them in DIR/dagster_home, which costs ~20 ms
per event in its sqlite event log: minutes over 365 days); dbt's and Dagster's chatter goes to DIR/logs/.

DIR/year_warehouse.json stamps a finished build (days, now, commit, phase times). If DIR already holds a
published warehouse stamped with the same --days and --now, nothing is rebuilt (--rebuild forces it).
Prints the wall time and peak memory of each phase, then the row counts of the main marts and the file sizes.

Measured (2 shared cores, 2026-11-21): 365 days in 70 min: ingest 58 min (46,837 requests, 14 history runs),
marts 12 min (dbt 533 s, of which ~230 s are tests on the Deribit option-trades staging view); peak RSS 3.4 GiB
in this process and 9.2 GiB in dbt; 2.9 GiB warehouse, 5.0 M mart rows.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import shutil
import subprocess
import sys
import threading
import time
from collections import defaultdict
from datetime import UTC, datetime, timedelta
from pathlib import Path

from bench.run_memory import descendants, process_kind, rss_kib

ROOT = Path(__file__).resolve().parents[1]
STAMP = "year_warehouse.json"
ASSETS = "BTC,ETH,SOL"
MAIN_MARTS = (
    "fct_funding_rates",
    "fct_funding_hourly",
    "fct_funding_signals",
    "fct_open_interest_hourly",
    "fct_open_interest_signals",
    "fct_liquidation_events",
    "fct_liquidations_hourly",
    "fct_liquidation_levels",
    "fct_option_chain",
    "fct_basis",
    "fct_order_flow_hourly",
    "fct_market_state",
    "fct_alerts",
    "fct_daily_asset",
)

# Simulator limits raised far beyond any request rate, for every venue (keys of each venue's `make_limiter`).
BIG = 10**9
LIFTED_SIMULATOR_LIMITS = {
    "binance": {"weight_limit": BIG, "funding_limit": BIG, "futures_data_limit": BIG},
    "bybit": {"ip_limit": BIG, "endpoint_limit": BIG},
    "okx": {"limit": BIG},
    "deribit": {
        "credit_pool": 1e15,
        "credit_refill_per_s": 1e15,
        "instruments_burst": BIG,
        "instruments_per_s": BIG,
    },
    "bitmex": {"limit": BIG},
    "dydx": {"limit": BIG},
    "drift": {"requests_limit": BIG},
    "gmx": {"requests_limit": BIG},
}


def _log(msg: str) -> None:
    print(f"[year {datetime.now(UTC):%H:%M:%S}] {msg}", flush=True)


def lift_client_budgets() -> None:
    """No client-side waiting, in this process only: the venues' budgets become no-ops (see the docstring)."""
    from ingest import ratelimit

    def _free(self, cost: float) -> None:
        return None

    ratelimit.WindowBudget.acquire = _free
    ratelimit.TokenBucket.acquire = _free
    ratelimit.reset_shared()


# --- memory --------------------------------------------------------------------------------------------
class MemorySampler:
    """Peak RSS of this process, of the simulator and of dbt (its subprocess), sampled every `interval` s,
    per phase (`phase(name)` switches)."""

    def __init__(self, interval: float = 0.5):
        self.interval, self.name = interval, "start"
        self.peaks: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def __enter__(self) -> MemorySampler:
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join(timeout=5)

    def phase(self, name: str) -> None:
        self.name = name

    def _run(self) -> None:
        me = os.getpid()
        while not self._stop.wait(self.interval):
            sample = {"builder": rss_kib(me)}
            for pid, cmd in descendants(me).items():
                kind = process_kind(cmd)
                sample[kind] = sample.get(kind, 0) + rss_kib(pid)
            sample["total"] = sum(sample.values())
            peaks = self.peaks[self.name]
            for kind, kib in sample.items():
                peaks[kind] = max(peaks[kind], kib)


# --- the build -----------------------------------------------------------------------------------------
def history_chunks(now: datetime, days: int, chunk_days: int) -> list[tuple[datetime, datetime, datetime]]:
    """(first day, last day, the simulator's frozen clock) per chunk, oldest first. The last chunk ends today
    at `now`; each earlier one is fetched at the time of day of `now` on the morning after its last day."""
    today = now.replace(hour=0, minute=0, second=0, microsecond=0)
    first = today - timedelta(days=days - 1)
    chunks = []
    last = today
    while last >= first:
        start = max(first, last - timedelta(days=chunk_days - 1))
        clock = now if last == today else now - (today - last) + timedelta(days=1)
        chunks.append((start, last, clock))
        last = start - timedelta(days=1)
    return chunks[::-1]


def day_chunks(first: datetime, last: datetime, size: int) -> list[tuple[datetime, datetime]]:
    if size <= 0:
        return [(first, last)]
    out, start = [], first
    while start <= last:
        end = min(last, start + timedelta(days=size - 1))
        out.append((start, end))
        start = end + timedelta(days=1)
    return out


def _range_tags(first: datetime, last: datetime) -> dict[str, str]:
    return {
        "dagster/asset_partition_range_start": f"{first:%Y-%m-%d}",
        "dagster/asset_partition_range_end": f"{last:%Y-%m-%d}",
    }


class Build:
    def __init__(self, log_path: Path, record_runs: bool):
        from dagster import DagsterInstance

        from orchestration.definitions import defs

        self.defs, self.log_path = defs, log_path
        # Ephemeral by default: the sqlite event log of a DAGSTER_HOME costs ~20 ms per event, and a marts run
        # over a range plans and records a materialization per model and day (2 x 105 x 365 events).
        self.instance = DagsterInstance.get() if record_runs else DagsterInstance.ephemeral()
        self.quiet = {"loggers": {"console": {"config": {"log_level": os.environ.get("DW_LOG_LEVEL", "ERROR")}}}}
        self.failures: list[str] = []

    def run_job(self, job_name: str, **kw):
        with open(self.log_path, "a") as log_file, contextlib.redirect_stdout(log_file):
            result = self.defs.resolve_job_def(job_name).execute_in_process(
                instance=self.instance, raise_on_error=False, run_config=self.quiet, **kw
            )
        for evaluation in result.get_asset_check_evaluations():
            if not evaluation.passed:
                what = f"{evaluation.asset_key.to_user_string()} {evaluation.check_name}"
                label = "check warning" if evaluation.severity.value == "WARN" else "check failed"
                line = f"{job_name}: {label}: {what}: {(evaluation.description or '')[:400]}"
                _log("    " + line)
                if label == "check failed":
                    self.failures.append(line)
        if not result.success:
            for event in result.all_events:
                if event.is_failure:
                    line = f"{job_name}: failure: {event.message.splitlines()[0][:400]}"
                    _log("    " + line)
                    self.failures.append(line)
        return result

    def step_seconds(self, run_id: str) -> dict[str, float]:
        from dagster import DagsterEventType

        kinds = {DagsterEventType.STEP_START, DagsterEventType.STEP_SUCCESS, DagsterEventType.STEP_FAILURE}
        starts: dict[str, float] = {}
        out: dict[str, float] = {}
        for entry in self.instance.all_logs(run_id, of_type=kinds):
            if entry.dagster_event.event_type == DagsterEventType.STEP_START:
                starts[entry.step_key] = entry.timestamp
            elif entry.step_key in starts:
                out[entry.step_key] = entry.timestamp - starts[entry.step_key]
        return out


def _git_commit() -> str:
    try:
        out = subprocess.run(["git", "rev-parse", "HEAD"], cwd=ROOT, capture_output=True, text=True, timeout=10)
        dirty = subprocess.run(["git", "status", "--porcelain"], cwd=ROOT, capture_output=True, text=True, timeout=10)
        return out.stdout.strip() + ("+dirty" if dirty.stdout.strip() else "")
    except (OSError, subprocess.SubprocessError):
        return "unknown"


def report_tables(published: Path, warehouse: Path) -> dict:
    import duckdb

    con = duckdb.connect(str(published), read_only=True)
    try:
        counts = dict(con.execute("select table_name, row_count from meta.published_tables").fetchall())
        pub = con.execute("select run_id, window_start, window_end, checks_passed from meta.publication").fetchone()
    finally:
        con.close()
    marts = {k.split(".", 1)[1]: v for k, v in counts.items() if k.startswith("marts.")}
    print(f"published window {pub[1]:%Y-%m-%d} .. {pub[2]:%Y-%m-%d} (run {pub[0][:8]}, {pub[3]} checks passed)")
    print(f"{'mart':<34}{'rows':>14}")
    for name in MAIN_MARTS:
        if name in marts:
            print(f"{name:<34}{marts[name]:>14,}")
    biggest = sorted(((v, k) for k, v in marts.items() if k not in MAIN_MARTS), reverse=True)[:5]
    for rows, name in biggest:
        print(f"{name + ' (other)':<34}{rows:>14,}")
    total_marts = sum(marts.values())
    print(f"{'all ' + str(len(marts)) + ' marts':<34}{total_marts:>14,}")
    sizes = {p.name: p.stat().st_size for p in (warehouse, published) if p.exists()}
    for name, size in sizes.items():
        print(f"file {name}: {size / 2**20:,.1f} MiB")
    return {"marts": marts, "sizes": sizes}


def build(args: argparse.Namespace, directory: Path, now: datetime) -> int:
    warehouse = directory / "warehouse.duckdb"
    published = directory / "warehouse.published.duckdb"
    home = directory / "dagster_home"
    for path in (warehouse, published, directory / STAMP):
        path.unlink(missing_ok=True)
    for path in (warehouse.with_suffix(".duckdb.wal"),):
        path.unlink(missing_ok=True)
    shutil.rmtree(home, ignore_errors=True)
    if args.record_runs:
        home.mkdir(parents=True)
        shutil.copy(ROOT / "orchestration" / "dagster.yaml", home / "dagster.yaml")
        os.environ["DAGSTER_HOME"] = str(home)
    else:
        os.environ.pop("DAGSTER_HOME", None)
    log_path = directory / "logs" / f"build-{datetime.now(UTC):%Y%m%dT%H%M%S}.log"
    log_path.parent.mkdir(parents=True, exist_ok=True)

    today = now.replace(hour=0, minute=0, second=0, microsecond=0)
    first_day = today - timedelta(days=args.days - 1)
    os.environ.update(
        {
            "DW_WAREHOUSE_PATH": str(warehouse),
            "DW_ASSETS": ASSETS,
            "DW_ALERTS_LEDGER": str(directory / "alerts.sqlite"),
        }
    )
    if first_day < datetime.fromisoformat(os.environ.get("DW_HISTORY_START", "2025-06-01")).replace(tzinfo=UTC):
        os.environ["DW_HISTORY_START"] = f"{first_day:%Y-%m-%d}"
    os.environ.pop("DW_SIMULATOR_URL", None)
    os.environ.pop("DW_SIMULATOR_NOW", None)

    span = f"{first_day:%Y-%m-%d} .. {today:%Y-%m-%d}, now {now:%Y-%m-%dT%H:%MZ}"
    _log(f"building {args.days} days x {ASSETS} x all venues, {span}")
    _log("RATE LIMITS LIFTED for this fixture (client budgets are no-ops in this process, simulator limits raised);")
    _log("    the rate-limited backfill is benchmarked by `python -m bench.backfill`")
    _log(f"warehouse {warehouse}; detailed log {log_path}")
    lift_client_budgets()
    from orchestration.partitions import hourly_partitions
    from simulator.process import running_simulator

    t_load = time.monotonic()
    b = Build(log_path, args.record_runs)
    _log(f"definitions loaded in {time.monotonic() - t_load:.1f}s")
    phases: dict[str, float] = defaultdict(float)
    steps: dict[str, float] = defaultdict(float)
    requests = {"requests": 0, "limit_violations": 0}
    chunks = history_chunks(now, args.days, args.chunk_days)
    with MemorySampler() as mem:
        mem.phase("ingest")
        for i, (start, last, clock) in enumerate(chunks, 1):
            t0 = time.monotonic()
            # The simulator's market model covers the whole history whatever its clock: only "now" moves.
            with running_simulator(now=clock, limits=LIFTED_SIMULATOR_LIMITS, max_lifetime_s=4 * 3600) as sim:
                t_sim = time.monotonic() - t0
                os.environ["DW_SIMULATOR_URL"] = sim.root
                os.environ["DW_SIMULATOR_NOW"] = clock.isoformat()
                result = b.run_job("daily_history", tags=_range_tags(start, last))
                snap, snap_took, hour_key = None, 0.0, ""
                if last == today:
                    t_snap = time.monotonic()
                    hour_key = hourly_partitions.get_partition_key_for_timestamp(now.timestamp())
                    snap = b.run_job("hourly_snapshots", partition_key=hour_key)
                    snap_took = time.monotonic() - t_snap
                summary = sim.requests_summary()
            requests["requests"] += summary["requests"]
            requests["limit_violations"] += summary["limit_violations"]
            took = time.monotonic() - t0
            phases["ingest: daily_history"] += took - snap_took - t_sim
            phases["ingest: hourly_snapshots"] += snap_took
            phases["ingest: simulator start"] += t_sim
            status = "ok" if result.success and (snap is None or snap.success) else "FAILED"
            _log(
                f"history {i}/{len(chunks)} {start:%Y-%m-%d} .. {last:%Y-%m-%d} (clock {clock:%Y-%m-%dT%H:%MZ})"
                f"{' + snapshots ' + hour_key if snap is not None else ''}: {status}, "
                f"{summary['requests']} requests, {summary['limit_violations']} limit violations, {took:.1f}s "
                f"(simulator start {t_sim:.1f}s)"
            )
            failed = not result.success or (snap is not None and not snap.success)
            if failed and not args.keep_going:
                _log("a load run failed: stopping (the marts would miss data); --keep-going builds the rest")
                return 1
        os.environ.pop("DW_SIMULATOR_URL", None)
        os.environ.pop("DW_SIMULATOR_NOW", None)

        mem.phase("marts")
        marts_chunks = day_chunks(first_day, today, args.marts_chunk_days)
        for i, (start, last) in enumerate(marts_chunks, 1):
            t0 = time.monotonic()
            result = b.run_job("marts", tags=_range_tags(start, last))
            took = time.monotonic() - t0
            run_steps = b.step_seconds(result.run_id)
            for key, seconds in run_steps.items():
                steps[key] += seconds
            detail = ", ".join(f"{k} {v:.1f}s" for k, v in sorted(run_steps.items(), key=lambda kv: -kv[1]))
            _log(
                f"marts {i}/{len(marts_chunks)} {start:%Y-%m-%d} .. {last:%Y-%m-%d}: "
                f"{'ok' if result.success else 'FAILED'} in {took:.1f}s ({detail})"
            )
            phases["marts: run"] += took
            if not result.success:
                _log("the marts run failed: nothing (more) was published; see the failures above and " + str(log_path))
                return 1
        peaks = {k: dict(v) for k, v in mem.peaks.items()}

    dbt = steps.get("dbt_models", 0.0)
    publish = steps.get("published__warehouse", 0.0)
    gate = steps.get("raw_gate", 0.0) + steps.get("mart_suites", 0.0)
    other = phases["marts: run"] - dbt - publish - gate
    ingest = phases["ingest: daily_history"] + phases["ingest: hourly_snapshots"] + phases["ingest: simulator start"]
    table = [
        ("ingest: daily_history", phases["ingest: daily_history"]),
        ("ingest: hourly_snapshots", phases["ingest: hourly_snapshots"]),
        ("ingest: simulator starts", phases["ingest: simulator start"]),
        ("ingest total", ingest),
        ("marts: dbt build (models + tests)", dbt),
        ("marts: raw gate + GX suites", gate),
        ("marts: publish", publish),
        ("marts: other (run overhead)", other),
        ("marts total", phases["marts: run"]),
        ("build total", ingest + phases["marts: run"]),
    ]
    print()
    print(
        f"year warehouse: {args.days} days, now {now:%Y-%m-%dT%H:%MZ}, {len(chunks)} history runs, "
        f"{len(marts_chunks)} marts run(s); {requests['requests']:,} simulator requests, "
        f"{requests['limit_violations']} limit violations (limits lifted)"
    )
    print(f"{'phase':<36}{'wall s':>10}")
    for name, seconds in table:
        print(f"{name:<36}{seconds:>10.1f}")
    print(f"{'peak RSS MiB':<16}{'builder':>10}{'simulator':>11}{'dbt':>8}{'all':>8}")
    for phase, p in peaks.items():
        print(
            f"{phase:<16}{p.get('builder', 0) / 1024:>10.0f}{p.get('simulator', 0) / 1024:>11.0f}"
            f"{p.get('dbt', 0) / 1024:>8.0f}{p.get('total', 0) / 1024:>8.0f}"
        )
    print()
    tables = report_tables(published, warehouse)
    stamp = {
        "days": args.days,
        "now": now.isoformat(),
        "chunk_days": args.chunk_days,
        "marts_chunk_days": args.marts_chunk_days,
        "assets": ASSETS,
        "commit": _git_commit(),
        "built_at": datetime.now(UTC).isoformat(),
        "limits": "lifted (fixture build; see bench/year_warehouse.py)",
        "phases_s": [[name, round(seconds, 1)] for name, seconds in table],
        "steps_s": {k: round(v, 1) for k, v in steps.items()},
        "peak_rss_mib": {ph: {k: round(v / 1024) for k, v in p.items()} for ph, p in peaks.items()},
        "requests": requests,
        "published_tables": tables["marts"],
        "sizes": tables["sizes"],
    }
    (directory / STAMP).write_text(json.dumps(stamp, indent=2, sort_keys=True) + "\n")
    _log(f"stamped {directory / STAMP}")
    return 0


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m bench.year_warehouse", description=__doc__.split("\n\n")[0])
    p.add_argument("--dir", required=True, type=Path, help="where to build (outside the repository)")
    p.add_argument("--days", type=int, default=365)
    p.add_argument("--now", default="2026-11-21T08:00Z", help="the frozen instant the build runs at (UTC)")
    p.add_argument("--chunk-days", type=int, default=28, help="days per daily_history run (at most 29)")
    p.add_argument("--marts-chunk-days", type=int, default=0, help="days per marts run (0: one run)")
    p.add_argument(
        "--record-runs",
        action="store_true",
        help="record the Dagster runs in DIR/dagster_home (slower: ~20 ms per event in its sqlite event log)",
    )
    p.add_argument("--rebuild", action="store_true", help="build even if DIR holds the same build")
    p.add_argument("--keep-going", action="store_true", help="go on to the marts when a load run failed")
    args = p.parse_args(argv)
    try:
        now = datetime.fromisoformat(args.now.replace("Z", "+00:00"))
    except ValueError:
        p.error(f"--now must be an ISO-8601 instant like 2026-11-21T08:00Z, got {args.now!r}")
    now = (now if now.tzinfo else now.replace(tzinfo=UTC)).astimezone(UTC).replace(second=0, microsecond=0)
    if not 1 <= args.days <= 730:
        p.error("--days must be between 1 and 730")
    if not 1 <= args.chunk_days <= 29:
        p.error("--chunk-days must be between 1 and 29 (Binance serves its statistics for 30 days)")
    directory = args.dir.expanduser().resolve()
    if directory == ROOT or ROOT in directory.parents:
        p.error(f"--dir must be outside the repository ({ROOT})")
    directory.mkdir(parents=True, exist_ok=True)

    stamp_path = directory / STAMP
    published = directory / "warehouse.published.duckdb"
    if stamp_path.exists() and published.exists() and not args.rebuild:
        stamp = json.loads(stamp_path.read_text())
        if stamp.get("days") == args.days and stamp.get("now") == now.isoformat():
            _log(
                f"{directory} already holds this build ({args.days} days, now {now:%Y-%m-%dT%H:%MZ}, built "
                f"{stamp.get('built_at', '?')[:16]} at commit {stamp.get('commit', '?')[:12]}): skipped "
                "(--rebuild forces a new one)"
            )
            head = _git_commit()
            if stamp.get("commit") != head:
                _log(f"    note: the repository is now at {head[:12]}; --rebuild to build with it")
            phases = stamp.get("phases_s", [])
            for name, seconds in phases.items() if isinstance(phases, dict) else phases:
                print(f"  {name:<36}{seconds:>10.1f} s (when built)")
            print()
            report_tables(published, directory / "warehouse.duckdb")
            return 0
        _log(f"{directory} holds a different build ({stamp.get('days')} days, now {stamp.get('now')}): rebuilding")
    return build(args, directory, now)


if __name__ == "__main__":
    sys.exit(main())
