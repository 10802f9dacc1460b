"""Reading fired alerts from the published warehouse.

Only the published copy is read, never the pipeline's working file (which has one writer). Each read opens the
file read-only, reads, and closes at once: the publisher replaces the file by rename every hour and readers
must never hold it longer than a query.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import duckdb

from alerts.model import Alert
from warehouse.publish import read_publication

ALERTS_TABLE = "marts.fct_alerts"


class AlertsNotPublished(Exception):
    """The published file, or its alerts table, does not exist yet (nothing to deliver, not an error)."""


@dataclass(frozen=True)
class PublishedAlerts:
    """The alerts of one published state, and the key that names that state."""

    publication_key: str
    run_id: str | None  # meta.publication.run_id; None for a file published before stamps existed
    alerts: list[Alert]


@contextmanager
def _read_only(path: Path) -> Iterator[tuple[duckdb.DuckDBPyConnection, str]]:
    """The open file and its fingerprint, taken before opening: if a publication lands in between, the
    fingerprint is the older one, so the sensor looks again next tick (the safe direction)."""
    try:
        st = os.stat(path)
    except FileNotFoundError:
        raise AlertsNotPublished(f"no published warehouse at {path}") from None
    # A file published without a stamp still changes identity at every publication (a new file renamed into
    # place), so its inode, size and mtime name the state well enough for the sensor's cursor.
    fingerprint = f"file:{st.st_ino}:{st.st_size}:{st.st_mtime_ns}"
    con = duckdb.connect(str(path), read_only=True)
    try:
        yield con, fingerprint
    finally:
        con.close()


def _key(con: duckdb.DuckDBPyConnection, fingerprint: str) -> tuple[str, str | None]:
    publication = read_publication(con)
    if publication is not None:
        return publication["run_id"], publication["run_id"]
    return fingerprint, None


def publication_key(path: Path) -> str:
    """What names the published state: meta.publication.run_id (or a file fingerprint for unstamped files)."""
    with _read_only(path) as (con, fingerprint):
        return _key(con, fingerprint)[0]


def read_published_alerts(path: Path) -> PublishedAlerts:
    """Every alert of the published file, oldest first, with the key of the state they were read from."""
    columns = Alert.column_names()
    with _read_only(path) as (con, fingerprint):
        key, run_id = _key(con, fingerprint)
        try:
            rows = con.execute(
                f"select {', '.join(columns)} from {ALERTS_TABLE} order by fired_at, alert_id"
            ).fetchall()
        except duckdb.CatalogException as exc:
            if not _table_exists(con):
                raise AlertsNotPublished(f"{path} has no {ALERTS_TABLE} yet") from exc
            raise  # the table is there but a contract column is missing: loud, not skipped
    return PublishedAlerts(key, run_id, [Alert(**dict(zip(columns, row, strict=True))) for row in rows])


def _table_exists(con: duckdb.DuckDBPyConnection) -> bool:
    schema, table = ALERTS_TABLE.split(".")
    found = con.execute(
        "select count(*) from information_schema.tables where table_schema = ? and table_name = ?", [schema, table]
    ).fetchone()
    return bool(found and found[0])
