"""How records sit inside a venue's payload: what the raw checks need to look inside a response."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class RecordShape:
    structure: str  # a DuckDB JSON structure, e.g. '{"symbol":"VARCHAR","fundingTime":"BIGINT"}'
    is_list: bool  # the payload is a JSON array of such objects
    key_fields: tuple[str, ...]  # the natural key: must be present and unique within a partition
    required_fields: tuple[str, ...] = ()  # must be present in every record
    time_field: str | None = None  # epoch-ms field that must fall inside the partition window
    allow_empty: bool = False  # an empty list is a valid answer (e.g. no adjusted symbols)
