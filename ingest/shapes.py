"""How records sit inside a venue's payload: what the raw checks need to look inside a response."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class RecordShape:
    structure: str  # a DuckDB JSON structure, e.g. '{"symbol":"VARCHAR","fundingTime":"BIGINT"}'
    is_list: bool  # the payload is a JSON array of such objects
    key_fields: tuple[str, ...]  # the natural key: must be present and unique within a partition
    required_fields: tuple[str, ...] = ()  # must be present in every record
    time_field: str | None = None  # epoch field that must fall inside the partition window
    allow_empty: bool = False  # an empty list is a valid answer (e.g. no adjusted symbols)
    # Where the records sit inside an envelope, as a JSON path ('$.result.list', '$.data', '$.records');
    # None when the payload itself is the record or the list of records.
    records_path: str | None = None
    time_unit: str = "ms"  # how time_field is written: 'ms' or 's' epoch numbers, or 'iso' (ISO-8601 text)
    # Numeric fields the venue is documented to send either as a number or as digits in a string; any other
    # field declared numeric in `structure` that arrives as a string is type drift and fails the raw check.
    text_numbers: tuple[str, ...] = ()
