"""Set aside a raw partition that failed its check and cannot be fetched again, so publishing can resume.

A failed partition blocks every marts run whose window holds it (warehouse/raw_gate.py). History partitions
are fixed by loading them again; a snapshot hour cannot be: the venue only serves the present. Quarantine
moves the partition's responses, untouched, to `raw.quarantined_responses` (raw is never dropped) and records
a manifest row saying so, in one transaction. Staging then no longer reads them (that hour becomes a gap,
reported by freshness and completeness), and the gate sees a latest load that is not a failure.

    python -m warehouse.quarantine raw.okx__tickers 2026-11-21-09:00 --reason "OKX sent last as a number"

Run it while no pipeline run is writing (it takes the warehouse's write lock like any writer).
"""

from __future__ import annotations

import argparse
import json
import sys
from datetime import UTC, datetime

import duckdb

from warehouse.connection import connect_writer
from warehouse.schema import RAW_COLUMNS_DDL, RAW_SCHEMA, ensure_bookkeeping

QUARANTINE_TABLE = f"{RAW_SCHEMA}.quarantined_responses"


def quarantine_partition(con: duckdb.DuckDBPyConnection, raw_table: str, partition_key: str, reason: str) -> int:
    """Move one partition of `raw_table` (`raw.<venue>__<dataset>`) aside; returns the number of responses moved."""
    if not reason.strip():
        raise ValueError("say why the partition is set aside (--reason)")
    known = {
        f"{RAW_SCHEMA}.{t}"
        for (t,) in con.execute(
            "select table_name from information_schema.tables where table_schema = ? and table_name like '%\\_\\_%' "
            "escape '\\'",
            [RAW_SCHEMA],
        ).fetchall()
    }
    if raw_table not in known:
        raise ValueError(f"{raw_table} is not a raw table of this warehouse")
    ensure_bookkeeping(con)
    con.execute(
        f"create table if not exists {QUARANTINE_TABLE} ({RAW_COLUMNS_DDL}, "
        "raw_table varchar not null, quarantined_at timestamptz not null, reason varchar not null)"
    )
    now = datetime.now(UTC)
    con.execute("begin transaction")
    try:
        moved = con.execute(f"select count(*) from {raw_table} where partition_key = ?", [partition_key]).fetchone()[0]
        if moved == 0:
            raise ValueError(f"{raw_table} has no partition {partition_key!r}")
        con.execute(
            f"insert into {QUARANTINE_TABLE} select *, ?, ?, ? from {raw_table} where partition_key = ?",
            [raw_table, now, reason, partition_key],
        )
        con.execute(f"delete from {raw_table} where partition_key = ?", [partition_key])
        # check_passed is null: neither a pass (nothing was checked) nor a failure the gate should block on.
        con.execute(
            "insert into raw.load_manifest values (?, ?, ?, ?, 0, 0, ?, null, ?)",
            [raw_table, partition_key, now, None, "quarantined", json.dumps([f"quarantined: {reason}"])],
        )
        con.execute("commit")
    except BaseException:
        con.execute("rollback")
        raise
    return moved


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m warehouse.quarantine", description=__doc__.split("\n\n")[0])
    p.add_argument("raw_table", help="e.g. raw.okx__tickers")
    p.add_argument("partition_key", help="e.g. 2026-11-21-09:00 (hourly) or 2026-11-21 (daily)")
    p.add_argument("--reason", required=True, help="why it is set aside (kept with the responses)")
    args = p.parse_args(argv)
    try:
        with connect_writer() as con:
            moved = quarantine_partition(con, args.raw_table, args.partition_key, args.reason)
    except ValueError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    print(f"{args.raw_table} {args.partition_key}: {moved} responses moved to {QUARANTINE_TABLE}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
