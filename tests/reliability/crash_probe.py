"""Run the whole pipeline exactly as `python -m orchestration.run_pipeline` does, but stop dead at one chosen
point so a test can kill -9 the process there, deterministically.

    python -m tests.reliability.crash_probe --marker M --partition 2026-11-20 [--nth 3] -- --simulator --days 2 ...
    python -m tests.reliability.crash_probe --marker M --trap publish -- --simulator --days 2 ...
    python -m tests.reliability.crash_probe --trap none --simulated-fetch-clock -- --simulator --days 2 ...

--trap load (the default): `warehouse.load.load_partition` is wrapped before the orchestration modules import
it (they bind it by name at import). On the Nth load of the given partition key, the wrapper hands
load_partition a connection whose `commit` first counts the partition's rows inside the still-open
transaction, writes that to the marker file, then sleeps: the delete, the insert and the manifest row are all
done and nothing is committed.

--trap publish: publish() stops once its temporary copy of the warehouse is written, before the rename.

--trap none: no crash point, the run goes to its end (for runs that are killed from outside, or not at all).

The test waits for the marker and sends SIGKILL. No hook is added to production code.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

EXIT_NEVER_REACHED = 98  # the run finished without loading the partition: the test's setup is wrong
EXIT_NOT_KILLED = 97  # nobody killed us while we held the transaction open: never commit it


class _CommitTrap:
    """A DuckDB connection whose `commit` stops the process, with the transaction still open, instead."""

    def __init__(self, con, table: str, partition_key: str, marker: Path, hold_s: float):
        self._con = con
        self._table = table
        self._partition_key = partition_key
        self._marker = marker
        self._hold_s = hold_s

    def __getattr__(self, name):
        return getattr(self._con, name)

    def execute(self, sql, *args, **kwargs):
        if sql.strip().lower() != "commit":
            return self._con.execute(sql, *args, **kwargs)
        table = self._table
        rows = self._con.execute(
            f"select count(*) from {table} where partition_key = ?", [self._partition_key]
        ).fetchone()[0]
        manifest_rows = self._con.execute(
            "select count(*) from raw.load_manifest where raw_table = ? and partition_key = ?",
            [table, self._partition_key],
        ).fetchone()[0]
        _hold_until_killed(
            self._marker,
            {
                "stage": "raw load, inserted and not committed",
                "raw_table": table,
                "partition_key": self._partition_key,
                "rows_in_open_transaction": rows,
                "manifest_rows_in_open_transaction": manifest_rows,
            },
            self._hold_s,
        )


def _hold_until_killed(marker: Path, facts: dict, hold_s: float) -> None:
    """Tell the test where we are, then wait for its SIGKILL; never carry on past the crash point."""
    # Written to a temporary name and renamed, so the test never reads half a marker.
    tmp = marker.with_name(marker.name + ".tmp")
    tmp.write_text(json.dumps({"pid": os.getpid(), **facts}))
    os.replace(tmp, marker)
    time.sleep(hold_s)
    print(f"crash_probe: not killed within {hold_s:.0f} s; exiting at the crash point", flush=True)
    os._exit(EXIT_NOT_KILLED)


def install_load_trap(partition_key: str, nth: int, marker: Path, hold_s: float) -> list[int]:
    """Wrap warehouse.load.load_partition; returns the live counter of matching calls (for the exit check)."""
    import warehouse.load
    from warehouse.schema import raw_table_name

    for module in ("orchestration.assets.raw", "orchestration.assets.streams"):
        # They import load_partition by name: wrapping after their import would silently miss them.
        assert module not in sys.modules, f"{module} was imported before the trap was installed"
    real = warehouse.load.load_partition
    seen = [0]

    def load_partition(con, venue, dataset, key, records, *args, **kwargs):
        if key == partition_key:
            seen[0] += 1
            if seen[0] == nth:
                con = _CommitTrap(con, raw_table_name(venue, dataset), key, marker, hold_s)
        return real(con, venue, dataset, key, records, *args, **kwargs)

    warehouse.load.load_partition = load_partition
    return seen


def install_publish_trap(marker: Path, hold_s: float) -> list[int]:
    """Stop publish() once its temporary copy of the warehouse is written, before it is stamped and renamed."""
    import warehouse.publish

    seen = [0]

    # publish() looks _stamp up in its module at each call, so replacing it here is enough.
    def _stamp(path: Path, publication) -> dict[str, int]:
        seen[0] += 1
        _hold_until_killed(marker, {"stage": "publish, copy written and not renamed", "copy": str(path)}, hold_s)
        raise AssertionError("unreachable")

    warehouse.publish._stamp = _stamp
    return seen


def freeze_fetch_clock() -> None:
    """Stamp every response's fetched_at from the simulator's standing clock instead of the wall clock.

    The ingest client stamps fetched_at with datetime.now() (ingest/http.py), and snapshot marts take their
    observed_at (hence hour_at, days_to_expiry, ...) from it, so two runs of the same `--now` command differ
    in content. With this, they do not, and a crashed-then-rerun warehouse can be compared with a reference
    run value for value. Each response gets the simulator's instant plus one microsecond per request in this
    process, so responses keep the order they were fetched in (models break ties on fetched_at)."""
    import itertools
    from datetime import UTC, datetime, timedelta

    import ingest.http

    ticks = itertools.count()

    class SimulatedClock(datetime):
        @classmethod
        def now(cls, tz=None):
            base = datetime.fromisoformat(os.environ["DW_SIMULATOR_NOW"]).astimezone(UTC)
            return (base + timedelta(microseconds=next(ticks))).astimezone(tz)

    ingest.http.datetime = SimulatedClock


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m tests.reliability.crash_probe")
    p.add_argument("--marker", type=Path, help="file written once the process holds at the trap")
    p.add_argument(
        "--trap", choices=("load", "publish", "none"), default="load", help="where the process stops (none: nowhere)"
    )
    p.add_argument(
        "--simulated-fetch-clock", action="store_true", help="stamp fetched_at from the simulator's clock (see above)"
    )
    p.add_argument("--partition", help="with --trap load: the partition key whose load is trapped")
    p.add_argument("--nth", type=int, default=1, help="trap the Nth load of that partition key (any raw table)")
    p.add_argument("--hold-s", type=float, default=900.0, help="how long to wait for the kill before giving up")
    p.add_argument("pipeline_args", nargs=argparse.REMAINDER, help="-- then run_pipeline's own arguments")
    args = p.parse_args(argv)
    pipeline_args = args.pipeline_args[1:] if args.pipeline_args[:1] == ["--"] else args.pipeline_args
    if args.trap != "none" and not args.marker:
        p.error(f"--trap {args.trap} needs --marker")
    if args.trap == "load":
        if not args.partition:
            p.error("--trap load needs --partition")
        seen = install_load_trap(args.partition, args.nth, args.marker, args.hold_s)
    elif args.trap == "publish":
        seen = install_publish_trap(args.marker, args.hold_s)
    if args.simulated_fetch_clock:
        freeze_fetch_clock()

    from orchestration.run_pipeline import main as run_pipeline

    code = run_pipeline(pipeline_args)
    if args.trap == "none":
        return code
    print(
        f"crash_probe: the pipeline ended (exit {code}) without reaching the trap ({seen[0]} matching calls)",
        flush=True,
    )
    return EXIT_NEVER_REACHED


if __name__ == "__main__":
    sys.exit(main())
