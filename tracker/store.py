"""Read-only access to the published warehouse (never the pipeline's working file)."""

from __future__ import annotations

import os
import time
from pathlib import Path

import duckdb

from tracker.errors import CliError
from warehouse.paths import WAREHOUSE_ENV, PathConfigError, published_path

FILL_HINT = "run `make demo` (simulated data) or `python -m orchestration.run_pipeline` to fill it"


def open_published(path: Path | None = None, wait_seconds: float = 3.0) -> duckdb.DuckDBPyConnection:
    try:
        target = path or published_path()
    except PathConfigError as exc:
        raise CliError("ERR_BAD_ARGUMENT", str(exc), f"set {WAREHOUSE_ENV} to the warehouse file") from exc
    try:
        exists = target.exists()
    except OSError as exc:  # e.g. a name too long for the file system
        raise CliError("ERR_NO_DATA", f"cannot open {target}: {exc.strerror or exc}", FILL_HINT) from exc
    if not exists:
        raise CliError(
            "ERR_NO_DATA",
            f"no published warehouse at {target}"
            + (f" (from {WAREHOUSE_ENV})" if os.environ.get(WAREHOUSE_ENV) else ""),
            FILL_HINT,
        )
    deadline = time.monotonic() + wait_seconds
    while True:
        try:
            return duckdb.connect(str(target), read_only=True)
        except duckdb.IOException as exc:
            if "lock" not in str(exc).lower() or time.monotonic() > deadline:
                raise CliError("ERR_NO_DATA", f"cannot open {target}: {str(exc).splitlines()[0]}", FILL_HINT) from exc
            time.sleep(0.1)


def fetch_dicts(con: duckdb.DuckDBPyConnection, sql: str, params: list | None = None) -> list[dict]:
    try:
        cur = con.execute(sql, params or [])
    except duckdb.CatalogException as exc:
        raise CliError(
            "ERR_NO_DATA",
            f"the published warehouse lacks a table this report needs ({str(exc).splitlines()[0]})",
            FILL_HINT,
        ) from exc
    cols = [d[0] for d in cur.description]
    return [dict(zip(cols, row, strict=True)) for row in cur.fetchall()]
