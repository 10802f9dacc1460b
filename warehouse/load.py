"""Idempotent partition loads into the raw layer.

A partition load replaces the partition's slice of one raw table: delete the slice, insert the new
responses and write the load manifest row, all in one transaction. A crash leaves either the old
slice or the new one, never both; re-running a partition in any order leaves identical content.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Protocol

import duckdb
import pyarrow as pa

from warehouse.raw_checks import RawCheckOutcome
from warehouse.schema import RAW_COLUMN_NAMES, RAW_COLUMNS_DDL, RAW_SCHEMA, ensure_bookkeeping, ensure_raw_table


class RawRecord(Protocol):
    """What the loader needs from a fetched response (ingest.envelope.RawResponse satisfies it)."""

    venue: str
    dataset: str
    endpoint: str
    params: dict
    http_status: int
    fetched_at: datetime
    page: int
    data_mode: str
    payload: str

    @property
    def payload_sha256(self) -> str: ...


@dataclass(frozen=True)
class LoadResult:
    raw_table: str
    partition_key: str
    response_count: int
    payload_bytes: int
    partition_sha256: str
    replaced_rows: int
    check: RawCheckOutcome | None = field(default=None)


# A check of the partition just inserted, run inside the load's transaction so that the manifest row
# records the data and its verdict together.
PartitionCheck = Callable[[duckdb.DuckDBPyConnection, str, str], RawCheckOutcome]


_RAW_ARROW_SCHEMA = pa.schema(
    [
        ("venue", pa.string()),
        ("dataset", pa.string()),
        ("endpoint", pa.string()),
        ("request_params", pa.string()),
        ("http_status", pa.int32()),
        ("fetched_at", pa.timestamp("us", tz="UTC")),
        ("partition_key", pa.string()),
        ("page", pa.int32()),
        ("data_mode", pa.string()),
        ("payload", pa.string()),
        ("payload_sha256", pa.string()),
    ]
)


def _to_arrow(records: Sequence[RawRecord], partition_key: str) -> pa.Table:
    cols: dict[str, list] = {name: [] for name in RAW_COLUMN_NAMES}
    for r in records:
        cols["venue"].append(r.venue)
        cols["dataset"].append(r.dataset)
        cols["endpoint"].append(r.endpoint)
        cols["request_params"].append(json.dumps(r.params, sort_keys=True))
        cols["http_status"].append(r.http_status)
        cols["fetched_at"].append(r.fetched_at.astimezone(UTC))
        cols["partition_key"].append(partition_key)
        cols["page"].append(r.page)
        cols["data_mode"].append(r.data_mode)
        cols["payload"].append(r.payload)
        cols["payload_sha256"].append(r.payload_sha256)
    return pa.table(cols, schema=_RAW_ARROW_SCHEMA)


def partition_hash(records: Sequence[RawRecord]) -> str:
    """A hash over the ordered payload hashes: equal exactly when the partition's bodies are equal."""
    h = hashlib.sha256()
    for r in sorted(records, key=lambda r: r.page):
        h.update(r.payload_sha256.encode())
    return h.hexdigest()


def load_partition(
    con: duckdb.DuckDBPyConnection,
    venue: str,
    dataset: str,
    partition_key: str,
    records: Sequence[RawRecord],
    run_id: str | None = None,
    check: PartitionCheck | None = None,
) -> LoadResult:
    """Replace one partition of `raw.<venue>__<dataset>` with `records`, in one transaction.

    The records are kept whatever `check` says (raw is never dropped); its verdict goes into the manifest,
    which is what downstream gates read."""
    table = ensure_raw_table(con, venue, dataset)
    ensure_bookkeeping(con)
    batch = _to_arrow(records, partition_key)
    digest = partition_hash(records)
    payload_bytes = sum(len(r.payload.encode()) for r in records)
    con.execute("begin transaction")
    try:
        replaced = con.execute(f"select count(*) from {table} where partition_key = ?", [partition_key]).fetchone()[0]
        if replaced:
            con.execute(
                f"create or replace temp table _previous_slice as select * from {table} where partition_key = ?",
                [partition_key],
            )
        con.execute(f"delete from {table} where partition_key = ?", [partition_key])
        con.register("_raw_batch", batch)
        # INSERT ... SELECT from Arrow: a bulk insert, never row by row.
        con.execute(f"insert into {table} select * from _raw_batch")
        con.unregister("_raw_batch")
        outcome = check(con, table, partition_key) if check else None
        if replaced:
            _keep_previous_slice_if_worse(con, table, replaced, len(records), outcome, run_id)
        con.execute(
            "insert into raw.load_manifest values (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [
                table,
                partition_key,
                datetime.now(UTC),
                run_id,
                len(records),
                payload_bytes,
                digest,
                outcome.passed if outcome else None,
                json.dumps(outcome.failures) if outcome else None,
            ],
        )
        con.execute("commit")
    except BaseException:
        # A commit that failed (e.g. the disk is full) has already rolled back, and a second rollback would
        # raise "no transaction is active" and hide the real cause.
        with contextlib.suppress(duckdb.TransactionException):
            con.execute("rollback")
        raise
    return LoadResult(table, partition_key, len(records), payload_bytes, digest, replaced, outcome)


SUPERSEDED_TABLE = f"{RAW_SCHEMA}.superseded_responses"


def _keep_previous_slice_if_worse(
    con: duckdb.DuckDBPyConnection, table: str, replaced: int, loaded: int, outcome, run_id: str | None
) -> None:
    """Raw is never lost: when a reload fails its check (a drifted or empty answer) or brings fewer responses
    (an asset the venue now calls unknown), the slice it replaced moves to `raw.superseded_responses` in the same
    transaction. A reload as good as the last one archives nothing, so re-runs do not grow the warehouse."""
    failed = outcome is not None and not outcome.passed
    if failed or loaded < replaced:
        reason = "the reload failed its raw check" if failed else f"the reload brought {loaded} of {replaced} responses"
        con.execute(
            f"create table if not exists {SUPERSEDED_TABLE} ({RAW_COLUMNS_DDL}, "
            "raw_table varchar not null, superseded_at timestamptz not null, superseded_by_run varchar, "
            "reason varchar not null)"
        )
        con.execute(
            f"insert into {SUPERSEDED_TABLE} select *, ?, ?, ?, ? from _previous_slice",
            [table, datetime.now(UTC), run_id, reason],
        )
    con.execute("drop table _previous_slice")


def record_failure(
    con: duckdb.DuckDBPyConnection,
    record: RawRecord,
    partition_key: str,
    error_type: str,
    error_message: str,
    run_id: str | None = None,
) -> None:
    """Keep a body that could not be used (error status, unparseable, drifted): raw is never dropped.

    Failures are appended to `raw.fetch_failures` and never replace the partition's last good slice.
    """
    ensure_bookkeeping(con)
    batch = _to_arrow([record], partition_key)
    con.register("_failed_batch", batch)
    con.execute(
        "insert into raw.fetch_failures select *, ?, ?, ? from _failed_batch",
        [error_type, error_message[:2000], run_id],
    )
    con.unregister("_failed_batch")
