"""An analyst in a separate process: opens the published warehouse read-only again and again while the
pipeline republishes it, and counts what it saw.

    python -m tests.e2e.published_reader PUBLISHED --stop-file F --summary S [--deadline-s N] [--pause-s N]

Each read opens the file read-only, reads `meta.publication`, checks that every table listed in
`meta.published_tables` holds exactly the rows the publisher counted (and that no base table in the published
schemas is unlisted), runs two analyst queries, and closes. It is a separate process on purpose: DuckDB's
lock is per process, so only another process shows whether the pipeline ever blocks readers.

It stops when the stop file appears, at the deadline, or after --max-reads attempts, whichever comes first,
and writes the summary JSON (atomically, also every couple of seconds as progress) for the test to assert on.
It depends only on the published-file contract, not on how the pipeline builds or checks the state.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

import duckdb

PUBLISHED_SCHEMAS = ("marts", "intermediate", "staging")
KEEP_MESSAGES = 5  # the first few messages of each kind explain a failure; thousands would drown it
PROGRESS_EVERY_S = 2.0

ANALYST_QUERIES = (
    "select * from marts.fct_funding_current",
    "select exchange, asset, count(*) as hours, avg(funding_rate_8h) as avg_8h, max(hour_at) as last_hour "
    "from marts.fct_funding_hourly group by all order by all",
)


class Inconsistent(Exception):
    """The file opened fine but is not the whole state its own stamp describes."""


def read_once(path: Path) -> dict:
    """One analyst session; returns the publication it saw. Raises on any failure (classified by the caller)."""
    con = duckdb.connect(str(path), read_only=True)
    try:
        row = con.execute("select run_id, checks_passed from meta.publication").fetchall()
        if len(row) != 1:
            raise Inconsistent(f"meta.publication has {len(row)} rows, expected 1")
        run_id, checks_passed = row[0]
        listed = dict(con.execute("select table_name, row_count from meta.published_tables").fetchall())
        if not listed:
            raise Inconsistent("meta.published_tables is empty")
        actual_tables = {
            f"{s}.{t}"
            for s, t in con.execute(
                "select table_schema, table_name from information_schema.tables "
                "where table_type = 'BASE TABLE' and table_schema in (select unnest(?))",
                [list(PUBLISHED_SCHEMAS)],
            ).fetchall()
        }
        if actual_tables != set(listed):
            raise Inconsistent(
                f"tables differ from meta.published_tables: unlisted {sorted(actual_tables - set(listed))[:5]}, "
                f"absent {sorted(set(listed) - actual_tables)[:5]}"
            )
        for name, expected in listed.items():
            schema, table = name.split(".", 1)
            (count,) = con.execute(f'select count(*) from "{schema}"."{table}"').fetchone()
            if count != expected:
                raise Inconsistent(f"{name}: {count} rows, meta.published_tables says {expected}")
        rows = [len(con.execute(sql).fetchall()) for sql in ANALYST_QUERIES]
        return {"run_id": run_id, "checks_passed": checks_passed, "tables": len(listed), "query_rows": rows}
    finally:
        con.close()


def _inode(path: Path) -> int | None:
    try:
        return path.stat().st_ino
    except FileNotFoundError:
        return None


def _write_json(path: Path, data: dict) -> None:
    # Temp name + rename, so the test polling the progress never reads half a file.
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(json.dumps(data, indent=2, sort_keys=True))
    os.replace(tmp, path)


def run(published: Path, stop_file: Path, summary: Path, deadline_s: float, pause_s: float, max_reads: int) -> dict:
    s: dict = {
        "attempts": 0,
        "reads": 0,
        "lock_errors": 0,
        "other_errors": 0,
        "missing": 0,
        "inconsistent": 0,
        "unchecked": 0,  # reads whose publication vouches for fewer than one passed check
        "min_checks_passed": None,
        "run_ids": [],  # distinct, in the order first seen
        "reads_per_run_id": {},
        "reads_spanning_a_swap": 0,  # the path was replaced while this read had the file open
        "max_read_s": 0.0,
        "total_read_s": 0.0,
        "error_messages": [],
        "inconsistent_messages": [],
        "stopped_by": "max_reads",
        "pid": os.getpid(),
    }
    t0 = time.monotonic()
    last_progress = 0.0
    for _ in range(max_reads):  # bounded: a stuck test cannot leave this process spinning forever
        if stop_file.exists():
            s["stopped_by"] = "stop_file"
            break
        if time.monotonic() - t0 > deadline_s:
            s["stopped_by"] = "deadline"
            break
        s["attempts"] += 1
        before = _inode(published)
        if before is None:
            # The publisher renames over the old file atomically, so once a state exists the path must
            # never be absent; if it is, readers would get "file not found" mid-run.
            s["missing"] += 1
            if len(s["error_messages"]) < KEEP_MESSAGES:
                s["error_messages"].append(f"missing: {published} does not exist")
        else:
            started = time.monotonic()
            try:
                seen = read_once(published)
            except Inconsistent as exc:
                s["inconsistent"] += 1
                if len(s["inconsistent_messages"]) < KEEP_MESSAGES:
                    s["inconsistent_messages"].append(str(exc))
            except Exception as exc:  # any failure is a finding; classify rather than crash the reader
                text = f"{type(exc).__name__}: {exc}"
                # "Could not set lock on file ... Conflicting lock is held" is the blocked-reader case.
                if "lock" in text.lower():
                    s["lock_errors"] += 1
                else:
                    s["other_errors"] += 1
                if len(s["error_messages"]) < KEEP_MESSAGES:
                    s["error_messages"].append(text[:500])
            else:
                elapsed = time.monotonic() - started
                s["reads"] += 1
                s["total_read_s"] += elapsed
                s["max_read_s"] = max(s["max_read_s"], elapsed)
                run_id = str(seen["run_id"])
                if run_id not in s["reads_per_run_id"]:
                    s["run_ids"].append(run_id)
                s["reads_per_run_id"][run_id] = s["reads_per_run_id"].get(run_id, 0) + 1
                cp = seen["checks_passed"]
                s["min_checks_passed"] = cp if s["min_checks_passed"] is None else min(s["min_checks_passed"], cp)
                if cp is None or cp < 1:
                    s["unchecked"] += 1
                if _inode(published) != before:
                    s["reads_spanning_a_swap"] += 1
        now = time.monotonic()
        if now - last_progress >= PROGRESS_EVERY_S:
            s["elapsed_s"] = now - t0
            _write_json(summary, s)
            last_progress = now
        time.sleep(pause_s)
    s["elapsed_s"] = time.monotonic() - t0
    _write_json(summary, s)
    return s


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m tests.e2e.published_reader", description=__doc__.split("\n\n")[0])
    p.add_argument("published", type=Path, help="the published warehouse file")
    p.add_argument("--stop-file", type=Path, required=True, help="stop once this file exists")
    p.add_argument("--summary", type=Path, required=True, help="where to write the JSON summary")
    p.add_argument("--deadline-s", type=float, default=1800.0, help="stop after this many seconds regardless")
    # A short pause keeps the reader from taking a whole core from the pipeline on a small machine while still
    # sampling every publication many times (each lives for a whole run, a minute or more).
    p.add_argument("--pause-s", type=float, default=0.1, help="sleep between reads")
    p.add_argument("--max-reads", type=int, default=100_000, help="upper bound on read attempts")
    args = p.parse_args(argv)
    run(args.published, args.stop_file, args.summary, args.deadline_s, args.pause_s, args.max_reads)
    return 0


if __name__ == "__main__":
    sys.exit(main())
