"""DDL of the raw landing layer.

Every venue dataset lands in its own table `raw.<venue>__<dataset>` with one row per HTTP response,
kept exactly as received, plus the request metadata needed to replay or audit it. Parsing happens
in dbt staging, so a parser fix is a re-run of SQL over these rows, never a refetch.
"""

from __future__ import annotations

import re

import duckdb

RAW_SCHEMA = "raw"

_IDENT = re.compile(r"^[a-z][a-z0-9_]*$")

RAW_COLUMNS_DDL = """
    venue           varchar     not null,
    dataset         varchar     not null,
    endpoint        varchar     not null,
    request_params  varchar     not null,  -- JSON object, never keys or signatures
    http_status     integer     not null,
    fetched_at      timestamptz not null,  -- UTC
    partition_key   varchar     not null,
    page            integer     not null,  -- order of the response within the partition's fetch
    data_mode       varchar     not null,  -- 'live' or 'simulator'
    payload         varchar     not null,  -- the body exactly as received
    payload_sha256  varchar     not null
"""

RAW_COLUMN_NAMES = [
    "venue",
    "dataset",
    "endpoint",
    "request_params",
    "http_status",
    "fetched_at",
    "partition_key",
    "page",
    "data_mode",
    "payload",
    "payload_sha256",
]


def raw_table_name(venue: str, dataset: str) -> str:
    """`raw.<venue>__<dataset>`; both parts are validated identifiers (they end up in SQL)."""
    for part in (venue, dataset):
        if not _IDENT.match(part):
            raise ValueError(f"not a valid raw table identifier part: {part!r}")
    return f"{RAW_SCHEMA}.{venue}__{dataset}"


def ensure_raw_table(con: duckdb.DuckDBPyConnection, venue: str, dataset: str) -> str:
    table = raw_table_name(venue, dataset)
    con.execute(f"create schema if not exists {RAW_SCHEMA}")
    con.execute(f"create table if not exists {table} ({RAW_COLUMNS_DDL})")
    return table


def ensure_bookkeeping(con: duckdb.DuckDBPyConnection) -> None:
    """The load manifest (one row per partition load) and the failed-fetch ledger (append only)."""
    con.execute(f"create schema if not exists {RAW_SCHEMA}")
    con.execute(
        f"""
        create table if not exists {RAW_SCHEMA}.load_manifest (
            raw_table       varchar     not null,
            partition_key   varchar     not null,
            loaded_at       timestamptz not null,
            run_id          varchar,
            response_count  integer     not null,
            payload_bytes   bigint      not null,
            partition_sha256 varchar    not null, -- hash over the ordered payload hashes
            check_passed    boolean,              -- the blocking raw check, run inside the load's transaction
            check_failures  varchar               -- JSON list of what failed, with samples
        )
        """
    )
    con.execute(
        f"""
        create table if not exists {RAW_SCHEMA}.fetch_failures (
            {RAW_COLUMNS_DDL},
            error_type      varchar     not null,
            error_message   varchar     not null,
            run_id          varchar
        )
        """
    )
