"""Opening the warehouse: one read-write owner, any number of read-only readers of the published copy."""

from __future__ import annotations

import contextlib
import errno
import os
import time
from collections.abc import Iterator
from pathlib import Path

import duckdb

from warehouse.paths import warehouse_path


class WarehouseLocked(RuntimeError):
    """Another process holds the write lock on the file (DuckDB allows one writer per file)."""


class WarehouseStorageError(RuntimeError):
    """The warehouse's directory cannot take the write: read-only, no permission, or the disk is full.

    The message is one line naming the path and the cause, so the runner and the command line can show it as is.
    """


# errno -> the cause in words; ENOSPC and EFBIG say what to do about it.
_STORAGE_ERRNOS = {
    errno.ENOSPC: "no space left on device (the disk is full: free some space and re-run)",
    errno.EDQUOT: "disk quota exceeded (free some space and re-run)",
    errno.EFBIG: "file too large (a file size limit was reached)",
    errno.EROFS: "read-only file system",
    errno.EACCES: "permission denied",
    errno.EPERM: "operation not permitted",
    errno.ENOTDIR: "a parent of the path is not a directory",
    errno.ENAMETOOLONG: "file name too long",
}
# DuckDB reports the same conditions as text inside its IO and transaction errors.
_STORAGE_TEXTS = {os.strerror(code): cause for code, cause in _STORAGE_ERRNOS.items()}


def storage_cause(exc: BaseException) -> str | None:
    """The cause in words when `exc` (or what it wraps) is a storage problem, else None."""
    seen: BaseException | None = exc
    while seen is not None:
        if isinstance(seen, OSError) and seen.errno in _STORAGE_ERRNOS:
            return _STORAGE_ERRNOS[seen.errno]
        if isinstance(seen, duckdb.Error):
            text = str(seen)
            for needle, cause in _STORAGE_TEXTS.items():
                if needle in text:
                    return cause
        seen = seen.__cause__ or seen.__context__
    return None


def check_writable(directory: Path) -> None:
    """Create `directory` if needed and prove a file can be written in it, or raise WarehouseStorageError.

    Run before a pipeline starts, so an unwritable or full warehouse location fails in one line up front rather
    than as a step failure deep inside a run."""
    probe = directory / f".write-probe-{os.getpid()}"
    try:
        directory.mkdir(parents=True, exist_ok=True)
        fd = os.open(probe, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        try:
            os.write(fd, b"\0" * 4096)  # one block: a full disk refuses it, an empty file would not
            os.fsync(fd)
        finally:
            os.close(fd)
    except OSError as exc:
        raise WarehouseStorageError(f"cannot write in the warehouse directory {directory}: {_cause(exc)}") from exc
    finally:
        with contextlib.suppress(OSError):
            probe.unlink()


def _cause(exc: BaseException) -> str:
    return storage_cause(exc) or str(exc).splitlines()[0]


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
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise WarehouseStorageError(f"cannot create the warehouse directory {target.parent}: {_cause(exc)}") from exc
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
                if storage_cause(exc):
                    raise WarehouseStorageError(
                        f"cannot open the warehouse {target} for writing: {storage_cause(exc)}"
                    ) from exc
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
