"""Opening the warehouse: one read-write owner, any number of read-only readers of the published copy."""

from __future__ import annotations

import contextlib
import time
from collections.abc import Iterator
from pathlib import Path

import duckdb

from warehouse.paths import warehouse_path


class WarehouseLocked(RuntimeError):
    """Another process holds the write lock on the file (DuckDB allows one writer per file)."""


def _is_lock_error(exc: Exception) -> bool:
    text = str(exc)
    return "Could not set lock" in text or "Conflicting lock" in text


@contextlib.contextmanager
def connect_writer(path: Path | None = None, wait_seconds: float = 30.0) -> Iterator[duckdb.DuckDBPyConnection]:
    """Open the warehouse read-write, waiting briefly if another writer is finishing.

    The pipeline is designed so that only one writer exists (in-process executor, one `duckdb_writer`
    pool slot, dbt run as a subprocess after our connection is closed); the short wait only covers
    overlaps at hand-over, it is not a concurrency mechanism.
    """
    target = path or warehouse_path()
    target.parent.mkdir(parents=True, exist_ok=True)
    deadline = time.monotonic() + wait_seconds
    delay = 0.1
    while True:
        try:
            con = duckdb.connect(str(target), read_only=False)
            break
        except duckdb.IOException as exc:
            if not _is_lock_error(exc) or time.monotonic() >= deadline:
                if _is_lock_error(exc):
                    raise WarehouseLocked(f"warehouse {target} is locked by another writer: {exc}") from exc
                raise
            time.sleep(delay)
            delay = min(delay * 2, 2.0)
    try:
        yield con
    finally:
        con.close()


def connect_reader(path: Path) -> duckdb.DuckDBPyConnection:
    """Open a published warehouse read-only (readers never take the writer's lock)."""
    return duckdb.connect(str(path), read_only=True)
