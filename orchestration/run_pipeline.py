"""Run the pipeline once from the shell, as the schedules would, and publish the result.

    python -m orchestration.run_pipeline --simulator --days 8

With --simulator it starts the local exchange simulator on 127.0.0.1 and points every venue at it;
otherwise it talks to the live venues. Runs are recorded in the Dagster instance at DAGSTER_HOME
(so they show in `dagster dev`), or an ephemeral one when DAGSTER_HOME is unset.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import os
import sys
import time
from datetime import UTC, datetime, timedelta


def _log(msg: str) -> None:
    print(f"[pipeline {datetime.now(UTC):%H:%M:%S}] {msg}", flush=True)


class _DetailedLog(io.TextIOBase):
    """The detailed log file, best effort: a full disk stops the log, it must not end the runner with a traceback
    (the steps that need the disk fail and say so on their own)."""

    def __init__(self, path) -> None:
        super().__init__()
        self.error: OSError | None = None
        try:
            self._fh = open(path, "a")  # noqa: SIM115 - closed in close()
        except OSError as exc:
            self._fh, self.error = None, exc

    def writable(self) -> bool:
        return True

    def _guard(self, action) -> None:
        if self._fh is not None and self.error is None:
            try:
                action()
            except OSError as exc:
                self.error = exc

    def write(self, text: str) -> int:
        self._guard(lambda: self._fh.write(text))
        return len(text)

    def flush(self) -> None:
        self._guard(self._fh.flush if self._fh is not None else lambda: None)

    def close(self) -> None:
        fh, self._fh = self._fh, None
        if fh is not None:
            try:
                fh.close()
            except OSError as exc:
                self.error = self.error or exc
        super().close()


def _failure_line(event) -> str:
    """The failure as one line: Dagster's own text plus the innermost error (e.g. "No space left on device")."""
    line = event.message.splitlines()[0] if event.message else str(event.event_type_value)
    error = event.step_failure_data.error if event.is_step_failure and event.step_failure_data else None
    while error is not None and error.cause is not None:
        error = error.cause
    if error is not None and error.message.strip():
        line += f" {error.message.strip().splitlines()[0][:300]}"
    return line


def run(
    days: int,
    use_simulator: bool,
    episodes: list[str] | None = None,
    now: datetime | None = None,
    faults: list[dict] | None = None,
) -> int:
    from simulator.process import running_simulator
    from warehouse.connection import check_writable
    from warehouse.paths import warehouse_path

    # An unwritable or full warehouse location fails here in one line, before the simulator and Dagster start.
    check_writable(warehouse_path().parent)
    sim_ctx = running_simulator(episodes=episodes, now=now) if use_simulator else contextlib.nullcontext()
    with sim_ctx as sim:
        if sim is not None:
            os.environ["DW_SIMULATOR_URL"] = sim.root
            for fault in faults or []:
                sim.add_fault(fault)
                _log(f"simulator fault injected: {json.dumps(fault, sort_keys=True)}")
            if now is not None:  # snapshot assets take "the current hour" from the simulator's clock
                os.environ["DW_SIMULATOR_NOW"] = now.isoformat()
            _log(f"exchange simulator serving at {sim.root} (simulated data)")
        t0 = time.monotonic()
        # Imported here so `--help` stays instant and the environment above is in place first.
        from dagster import DagsterInstance

        from orchestration.definitions import defs
        from orchestration.partitions import daily_partitions, hourly_partitions
        from warehouse.paths import published_path

        instance = DagsterInstance.get() if os.environ.get("DAGSTER_HOME") else DagsterInstance.ephemeral()
        # A run killed mid-step would otherwise keep the writer pool's only slot and make this run wait forever.
        from orchestration.dead_runs import release_dead_runs, runner_tags

        for line in release_dead_runs(instance):
            _log(line)
        # Step-level chatter stays in the run's log (Dagster UI); the shell gets warnings and our lines.
        quiet = {"loggers": {"console": {"config": {"log_level": os.environ.get("DW_LOG_LEVEL", "WARNING")}}}}
        now = now or datetime.now(UTC)
        hour_key = hourly_partitions.get_partition_key_for_timestamp(now.timestamp())
        first_day = (now - timedelta(days=days - 1)).strftime("%Y-%m-%d")
        last_day = daily_partitions.get_partition_key_for_timestamp(now.timestamp())
        _log(f"warehouse {warehouse_path()}")

        # dbt's own progress lines go to a log file; the shell gets one line per step.
        log_path = warehouse_path().parent / "logs" / f"pipeline-{now:%Y%m%dT%H%M%S}.log"
        log_path.parent.mkdir(parents=True, exist_ok=True)
        _log(f"detailed log: {log_path}")

        def run_job(step: str, job_name: str, **kw):
            _log(f"{step} {job_name} {kw.pop('label')}")
            kw["tags"] = {**kw.get("tags", {}), **runner_tags()}
            with _DetailedLog(log_path) as log_file, contextlib.redirect_stdout(log_file):
                result = defs.resolve_job_def(job_name).execute_in_process(
                    instance=instance, raise_on_error=False, run_config=quiet, **kw
                )
            if log_file.error is not None:
                _log(f"    detailed log incomplete: {log_file.error}")
            _log(f"    {'ok' if result.success else 'FAILED'} ({time.monotonic() - t0:.1f}s)")
            return result

        days = {
            "dagster/asset_partition_range_start": first_day,
            "dagster/asset_partition_range_end": last_day,
        }
        snap = run_job("1/3", "hourly_snapshots", partition_key=hour_key, label=f"for hour {hour_key}")
        history = run_job("2/3", "daily_history", tags=days, label=f"for days {first_day} .. {last_day} (one run)")
        marts = run_job("3/3", "marts", tags=days, label="(dbt build, checks, publish)")
        # Failed checks in their own words (the Dagster UI has the full metadata): ERROR ones stopped a step,
        # WARN ones (e.g. a stale source) did not.
        for result in (snap, history, marts):
            for evaluation in result.get_asset_check_evaluations():
                if not evaluation.passed:
                    what = f"{evaluation.asset_key.to_user_string()} {evaluation.check_name}"
                    label = "check warning" if evaluation.severity.value == "WARN" else "check failed"
                    _log(f"    {label}: {what}: {(evaluation.description or '')[:300]}")
        if not (snap.success and history.success and marts.success):
            for result in (snap, history, marts):
                for event in result.all_events:
                    if event.is_failure:
                        _log(f"    failure: {_failure_line(event)}")
            if not marts.success:
                _log("the marts run failed; readers keep the last published warehouse")
                return 1
            _log("some venues failed (see above); the marts were built from the rest and published")
        _log(f"published {published_path()} in {time.monotonic() - t0:.1f}s")
        from alerts import deliver_from_environment, logger_writing_to

        # The same delivery as the alerts_delivery sensor: their shared ledger keeps them from sending twice.
        try:
            report = deliver_from_environment(logger_writing_to(lambda line: _log(f"    {line}")))
            _log(f"alerts: {report.summary()}")
        except Exception as exc:  # the publication stands either way; the sensor retries on its next tick
            _log(f"alerts: not delivered now ({exc}); the alerts_delivery sensor retries")
        return 0


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m orchestration.run_pipeline", description=__doc__.split("\n\n")[0])
    p.add_argument("--simulator", action="store_true", help="run against the local exchange simulator")
    p.add_argument("--days", type=int, default=8, help="days of settled history to (re)load, ending today")
    p.add_argument(
        "--episode",
        action="append",
        metavar="NAME:ASSET@TIME",
        help="with --simulator: place a scripted market episode (repeatable; replaces the default schedule), "
        "e.g. long_squeeze:BTC@2026-11-10T00:00:00Z",
    )
    p.add_argument(
        "--now",
        metavar="TIME",
        help="with --simulator: run as if it were this UTC instant (the simulator's clock stands still there), "
        "so a scripted market gives the same data on any day, e.g. 2026-11-21T08:00:00Z",
    )
    p.add_argument(
        "--fault",
        action="append",
        metavar="JSON",
        help="with --simulator: inject a fault (repeatable; see simulator/faults.py), e.g. "
        '\'{"kind":"drift_rename","venue":"binance","path":"/fapi/v1/fundingRate","count":-1,'
        '"options":{"field":"fundingRate","to":"funding_rate"}}\' to watch the quality gate stop the run',
    )
    args = p.parse_args(argv)
    now = None
    if args.now:
        if not args.simulator:
            p.error("--now needs --simulator (the live venues only serve the present)")
        try:
            now = datetime.fromisoformat(args.now.replace("Z", "+00:00"))
            now = (now if now.tzinfo else now.replace(tzinfo=UTC)).astimezone(UTC)
        except (ValueError, OverflowError):  # OverflowError: an offset that takes it out of years 1..9999
            p.error(f"--now must be an ISO-8601 instant like 2026-11-21T08:00:00Z, got {args.now!r}")
    if not 1 <= args.days <= 400:
        p.error("--days must be between 1 and 400")
    if args.episode and not args.simulator:
        p.error("--episode needs --simulator")
    faults = []
    for text in args.fault or []:
        if not args.simulator:
            p.error("--fault needs --simulator")
        try:
            fault = json.loads(text)
        except ValueError as exc:
            p.error(f"--fault must be a JSON object: {exc}")
        from simulator.faults import KINDS, FaultBook

        if not isinstance(fault, dict) or fault.get("kind") not in KINDS or not fault.get("venue"):
            p.error(f'--fault needs {{"kind": one of {", ".join(KINDS)}, "venue": ...}}, got {text}')
        try:
            FaultBook().add(fault)  # the simulator's own parsing, so a bad count or options fails here, not mid-start
        except (ValueError, TypeError) as exc:
            p.error(f"--fault {text}: {exc}")
        faults.append(fault)
    if args.episode:
        from simulator.episodes import parse_episode

        for text in args.episode:
            try:
                parse_episode(text)
            except ValueError as exc:
                p.error(str(exc))
    from warehouse.connection import WarehouseStorageError

    try:
        return run(args.days, args.simulator, args.episode, now, faults)
    except WarehouseStorageError as exc:  # one line naming the path and the cause, no traceback
        print(f"error: {exc}", file=sys.stderr, flush=True)
        return 1


if __name__ == "__main__":
    sys.exit(main())
