"""Publishing: readers get a checked copy of the warehouse, swapped in by one atomic rename.

Readers (the command line, analysts' duckdb sessions, BI tools) open the published file read-only.
Because the copy is replaced with os.replace, a reader sees either the previous file or the new one,
never a half-written state, and never contends with the pipeline's write lock.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

from warehouse.paths import published_path


def publish(warehouse: Path, target: Path | None = None) -> Path:
    """Copy the (closed, checkpointed) warehouse next to the published file, fsync, then rename."""
    dst = target or published_path(warehouse)
    dst.parent.mkdir(parents=True, exist_ok=True)
    wal = warehouse.with_name(warehouse.name + ".wal")
    if wal.exists() and wal.stat().st_size > 0:
        # An unflushed write-ahead log means a writer is still open or crashed mid-write: copying the
        # main file alone would publish a state that misses those writes.
        raise RuntimeError(f"refusing to publish {warehouse}: its write-ahead log {wal} is not empty")
    tmp = dst.with_name(f".{dst.name}.tmp-{os.getpid()}")
    shutil.copyfile(warehouse, tmp)
    with open(tmp, "rb") as fh:
        os.fsync(fh.fileno())
    os.replace(tmp, dst)
    dir_fd = os.open(dst.parent, os.O_RDONLY)
    try:
        os.fsync(dir_fd)
    finally:
        os.close(dir_fd)
    return dst
