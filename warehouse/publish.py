"""Publishing: readers get a checked copy of the warehouse, swapped in by one atomic rename.

Readers (the command line, analysts' duckdb sessions, BI tools) open the published file read-only.
Because the copy is replaced with os.replace, a reader sees either the previous file or the new one,
never a half-written state, and never contends with the pipeline's write lock (the pipeline never
opens the published path itself; it writes a temporary copy beside it and renames it into place).

Each published file describes itself in `meta.publication` (which run, when, which window, how many
checks passed) and `meta.published_tables` (the row count of every table at publication), so a reader
can tell which state it sees and verify it is whole.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import duckdb

from warehouse.connection import WarehouseStorageError, storage_cause
from warehouse.paths import published_path

# Schemas readers care about; raw and the working schemas are copied too (analysts may audit them) but
# only these are counted in meta.published_tables.
PUBLISHED_SCHEMAS = ("marts", "intermediate", "staging")


@dataclass(frozen=True)
class Publication:
    """What the gate vouches for: the run that built and checked this state."""

    run_id: str
    window_start: datetime | None = None
    window_end: datetime | None = None
    checks_passed: int = 0
    checks: dict = field(default_factory=dict)  # check name -> short verdict, for the record


def _stamp(path: Path, publication: Publication) -> dict[str, int]:
    """Write the publication record into the copy (never into the working warehouse) and count its tables."""
    con = duckdb.connect(str(path))
    try:
        con.execute("create schema if not exists meta")
        con.execute(
            "create or replace table meta.publication (run_id varchar not null, published_at timestamptz not null, "
            "window_start timestamptz, window_end timestamptz, checks_passed integer not null, checks varchar)"
        )
        tables = con.execute(
            "select table_schema, table_name from information_schema.tables "
            "where table_type = 'BASE TABLE' and table_schema in (select unnest(?)) order by all",
            [list(PUBLISHED_SCHEMAS)],
        ).fetchall()
        counts = {f"{s}.{t}": con.execute(f'select count(*) from "{s}"."{t}"').fetchone()[0] for s, t in tables}
        con.execute(
            "create or replace table meta.published_tables as "
            "select unnest(?::varchar[]) as table_name, unnest(?::bigint[]) as row_count",
            [list(counts), list(counts.values())],
        )
        con.execute(
            "insert into meta.publication values (?, ?, ?, ?, ?, ?)",
            [
                publication.run_id,
                datetime.now(UTC),
                publication.window_start,
                publication.window_end,
                publication.checks_passed,
                json.dumps(publication.checks, sort_keys=True),
            ],
        )
        con.execute("checkpoint")
    finally:
        con.close()
    return counts


def _reap_dead_copies(dst: Path) -> None:
    """Delete the temporary copies of publishers that died before their rename (kill -9, power loss).

    Each is a whole warehouse and nothing else would ever remove it. A copy whose publisher is still alive
    is left alone: its name carries the publisher's pid."""
    for copy in dst.parent.glob(f".{dst.name}.tmp-*"):
        pid = copy.name.removeprefix(f".{dst.name}.tmp-").split(".")[0]
        if pid.isdigit() and not process_alive(int(pid)):
            with contextlib.suppress(OSError):  # best effort: never a reason not to publish
                copy.unlink(missing_ok=True)


def process_alive(pid: int) -> bool:
    """Whether a process of this machine with that pid exists (leftovers name the pid that made them)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # alive, owned by another user
        return True
    return True


def publish(warehouse: Path, target: Path | None = None, publication: Publication | None = None) -> Path:
    """Copy the (closed, checkpointed) warehouse next to the published file, stamp it, fsync, then rename."""
    dst = target or published_path(warehouse)
    wal = warehouse.with_name(warehouse.name + ".wal")
    if wal.exists() and wal.stat().st_size > 0:
        # An unflushed write-ahead log means a writer is still open or crashed mid-write: copying the
        # main file alone would publish a state that misses those writes.
        raise RuntimeError(f"refusing to publish {warehouse}: its write-ahead log {wal} is not empty")
    tmp = dst.with_name(f".{dst.name}.tmp-{os.getpid()}")
    try:
        dst.parent.mkdir(parents=True, exist_ok=True)
        _reap_dead_copies(dst)
        shutil.copyfile(warehouse, tmp)
        if publication is not None:
            _stamp(tmp, publication)
        # Read-only on disk: an analyst who forgets `-readonly` gets an error instead of taking a write
        # lock that would keep other readers out of this copy.
        os.chmod(tmp, 0o444)
        with open(tmp, "rb") as fh:
            os.fsync(fh.fileno())
        os.replace(tmp, dst)
    except (OSError, duckdb.Error) as exc:
        # A full disk or a read-only directory: say so in one line. The rename is the last step, so the
        # previous published file is untouched, and the half-written copy is removed below.
        cause = storage_cause(exc)
        if cause is None:
            raise
        raise WarehouseStorageError(
            f"cannot publish {warehouse} to {dst}: {cause}; readers keep the previous published file"
        ) from exc
    finally:
        for leftover in (tmp, tmp.with_name(tmp.name + ".wal")):
            # On a read-only or missing directory there is nothing to remove, and failing here would hide
            # the error that matters.
            with contextlib.suppress(OSError):
                leftover.unlink(missing_ok=True)
    dir_fd = os.open(dst.parent, os.O_RDONLY)
    try:
        os.fsync(dir_fd)
    finally:
        os.close(dir_fd)
    return dst


def read_publication(con: duckdb.DuckDBPyConnection) -> dict | None:
    """The publication record of an open published warehouse (None for a file published before stamps)."""
    try:
        row = con.execute(
            "select run_id, published_at, window_start, window_end, checks_passed, checks from meta.publication"
        ).fetchone()
    except duckdb.CatalogException:
        return None
    if row is None:
        return None
    keys = ("run_id", "published_at", "window_start", "window_end", "checks_passed", "checks")
    out = dict(zip(keys, row, strict=True))
    out["checks"] = json.loads(out["checks"]) if out["checks"] else {}
    return out
