"""The raw gate of a marts run: did every raw partition the run consumes pass its blocking check?

Each partition load records its raw check verdict in `raw.load_manifest` (warehouse/load.py). A partition
whose latest load failed keeps its bad responses in the raw table (raw is never dropped), so the marts
built over it must not be published: the gate names the tables and partitions, with the check's words.
A fetch that failed outright loads nothing and leaves the last good slice; that is a freshness matter,
not a gate failure, so one venue being down never stops the others from being published.
"""

from __future__ import annotations

import json
from collections.abc import Sequence

import duckdb


def failed_loads(
    con: duckdb.DuckDBPyConnection, raw_tables: Sequence[str], partition_keys: Sequence[str]
) -> dict[str, list[dict]]:
    """Per raw table (`raw.<venue>__<dataset>`), the partitions of `partition_keys` whose latest load failed."""
    exists = con.execute(
        "select count(*) from information_schema.tables where table_schema = 'raw' and table_name = 'load_manifest'"
    ).fetchone()[0]
    if not exists:
        return {}
    rows = con.execute(
        """
        with latest as (
            select *, row_number() over (partition by raw_table, partition_key order by loaded_at desc) as nth
            from raw.load_manifest
            where raw_table in (select unnest(?::varchar[])) and partition_key in (select unnest(?::varchar[]))
        )
        select raw_table, partition_key, loaded_at, run_id, check_failures
        from latest where nth = 1 and check_passed = false
        order by raw_table, partition_key
        """,
        [list(raw_tables), list(partition_keys)],
    ).fetchall()
    out: dict[str, list[dict]] = {}
    for table, key, loaded_at, run_id, failures in rows:
        out.setdefault(table, []).append(
            {
                "partition": key,
                "loaded_at": loaded_at.isoformat(),
                "load_run_id": run_id,
                "failures": json.loads(failures) if failures else [],
            }
        )
    return out
