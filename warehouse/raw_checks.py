"""Blocking checks on one raw partition, run right after it is loaded.

They answer: did we get something, can it be parsed, does it have the fields staging needs, are its
numbers still numbers, are there duplicate natural keys, and do its timestamps fall inside the
partition's window. The result carries samples so that a failure explains itself in the Dagster UI,
and its verdict goes into the load manifest, which the marts run's raw gate reads.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime
from typing import Protocol

import duckdb


class RecordShape(Protocol):
    """How to see records inside a payload (ingest.shapes.RecordShape is the implementation)."""

    structure: str
    is_list: bool
    key_fields: tuple[str, ...]
    required_fields: tuple[str, ...]
    time_field: str | None
    allow_empty: bool
    records_path: str | None
    time_unit: str
    text_numbers: tuple[str, ...]


@dataclass
class RawCheckOutcome:
    passed: bool
    failures: list[str] = field(default_factory=list)
    metadata: dict = field(default_factory=dict)


def check_raw_partition(
    con: duckdb.DuckDBPyConnection,
    table: str,
    partition_key: str,
    shape: RecordShape,
    window: tuple[datetime, datetime] | None = None,
) -> RawCheckOutcome:
    out = RawCheckOutcome(passed=True)
    stats = con.execute(
        f"""
        select count(*) as responses,
               -- 200 for HTTP answers, 101 for messages received on an upgraded websocket connection
               count(*) filter (where http_status not in (200, 101)) as bad_status,
               count(*) filter (where not coalesce(json_valid(payload), false)) as unparseable,
               any_value(payload) filter (where not coalesce(json_valid(payload), false)) as unparseable_sample
        from {table} where partition_key = ?
        """,
        [partition_key],
    ).fetchone()
    responses, bad_status, unparseable, unparseable_sample = stats
    out.metadata.update({"responses": responses, "unparseable_responses": unparseable})
    if responses == 0:
        out.failures.append("non-empty: the partition holds no responses")
    if bad_status:
        out.failures.append(f"status: {bad_status} responses without HTTP 200 (or 101 for stream messages)")
    if unparseable:
        out.failures.append(f"parseable: {unparseable} responses are not valid JSON, e.g. {unparseable_sample[:120]!r}")
    if out.failures:
        out.passed = False
        return out

    if shape.records_path:
        lost = con.execute(
            f"select count(*) from {table} where partition_key = ? and json_extract(payload, ?) is null",
            [partition_key, shape.records_path],
        ).fetchone()[0]
        if lost:
            out.failures.append(
                f"schema: {lost} responses lack the record list at {shape.records_path} (renamed or dropped field?)"
            )
            out.passed = False
            return out
    # Records may sit inside the venue's envelope ({"result": {"list": [...]}}): look them up first. Each
    # record is kept both as JSON text (j: what the venue sent, for type checks) and typed (r).
    source = "json_extract(payload, ?)" if shape.records_path else "payload"
    records = f"unnest(from_json({source}, '[\"JSON\"]'))" if shape.is_list else f"{source}::json"
    # Placeholders in text order: the structure, the envelope path (if any), the partition.
    params = [shape.structure] + ([shape.records_path] if shape.records_path else []) + [partition_key]
    con.execute(
        f"create or replace temp table _raw_check_records as select j, from_json(j, ?) as r "
        f"from (select {records} as j from {table} where partition_key = ?)",
        params,
    )
    records = con.execute("select count(*) from _raw_check_records").fetchone()[0]
    out.metadata["records"] = records
    if records == 0 and not shape.allow_empty:
        out.failures.append("non-empty: the responses hold no records")

    required = tuple(dict.fromkeys(shape.key_fields + shape.required_fields))
    missing_cond = " or ".join(f"r.{f} is null" for f in required) or "false"
    missing = con.execute(f"select count(*) from _raw_check_records where {missing_cond}").fetchone()[0]
    if missing:
        out.failures.append(
            f"schema: {missing} records lack one of the fields {list(required)} (renamed or dropped field?)"
        )
        out.metadata["records_missing_fields"] = missing

    drifted = _numbers_sent_as_text(con, shape)
    if drifted:
        out.failures.append(
            "types: "
            + "; ".join(
                f"{n} records carry {f} as a string where the venue sends a number, e.g. {v!r}" for f, n, v in drifted
            )
        )
        out.metadata["records_with_type_drift"] = {f: n for f, n, _ in drifted}

    key_list = ", ".join(f"r.{f}" for f in shape.key_fields)
    # Streams have no natural key per message (two liquidations can share a millisecond): no duplicate check.
    dups = (
        []
        if not shape.key_fields
        else con.execute(
            f"select {key_list}, count(*) as n from _raw_check_records where not ({missing_cond}) "
            f"group by all having count(*) > 1 order by n desc limit 5"
        ).fetchall()
    )
    if dups:
        dup_total = con.execute(
            f"select count(*) from (select {key_list} from _raw_check_records group by all having count(*) > 1)"
        ).fetchone()[0]
        out.failures.append(
            f"duplicates: {dup_total} keys {list(shape.key_fields)} appear more than once, e.g. {dups[:3]}"
        )
        out.metadata["duplicate_keys"] = dup_total

    if window is not None and shape.time_field:
        # Venues stamp records in epoch ms, epoch seconds or ISO-8601 text: compare in epoch ms.
        field = f"r.{shape.time_field}"
        stamp = {"ms": field, "s": f"({field} * 1000)", "iso": f"epoch_ms(try_cast({field} as timestamptz))"}[
            shape.time_unit
        ]
        start_ms = int(window[0].timestamp() * 1000)
        end_ms = int(window[1].timestamp() * 1000)
        outside = con.execute(
            f"select count(*), min({field}), max({field}) from _raw_check_records "
            # A missing stamp is reported under "schema"; a stamp that does not parse counts as outside.
            f"where {field} is not null and ({stamp} is null or {stamp} < ? or {stamp} >= ?)",
            [start_ms, end_ms],
        ).fetchone()
        if outside[0]:
            out.failures.append(
                f"window: {outside[0]} records have {shape.time_field} outside "
                f"[{window[0].isoformat()}, {window[1].isoformat()}) (min {outside[1]}, max {outside[2]})"
            )
    con.execute("drop table if exists _raw_check_records")
    out.passed = not out.failures
    return out


_NUMERIC = ("TINYINT", "SMALLINT", "INTEGER", "BIGINT", "HUGEINT", "UBIGINT", "UINTEGER", "FLOAT", "DOUBLE", "DECIMAL")


def _numeric_fields(structure: str) -> list[str]:
    """Top-level fields the shape declares numeric: the venue sends them as JSON numbers."""
    try:
        decl = json.loads(structure)
    except ValueError:
        return []
    if not isinstance(decl, dict):
        return []
    return [f for f, t in decl.items() if isinstance(t, str) and t.upper().startswith(_NUMERIC)]


def _numbers_sent_as_text(con: duckdb.DuckDBPyConnection, shape: RecordShape) -> list[tuple[str, int, str]]:
    """Fields declared numeric that arrive as JSON strings: schema drift that a cast would hide (DuckDB reads
    "0.0001" into a DOUBLE), so the next change of that field (to "N/A", to percent) would pass silently."""
    out = []
    for f in _numeric_fields(shape.structure):
        if f in shape.text_numbers:
            continue
        n, sample = con.execute(
            "select count(*), any_value(json_extract(j, ?)::varchar) from _raw_check_records "
            "where json_type(j, ?) = 'VARCHAR'",
            [f"$.{f}", f"$.{f}"],
        ).fetchone()
        if n:
            out.append((f, n, sample))
    return out
