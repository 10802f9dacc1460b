"""Pure functions that turn a partition window into dbt arguments (unit-tested without Dagster)."""

from __future__ import annotations

import json
from datetime import UTC, datetime


def dbt_window_vars(start: datetime, end: datetime) -> dict[str, str]:
    """The half-open window [start, end) as the dbt vars the incremental models filter on."""
    if start.tzinfo is None or end.tzinfo is None:
        raise ValueError("partition window bounds must be timezone-aware")
    if end <= start:
        raise ValueError(f"empty partition window [{start}, {end})")
    return {
        "window_start": start.astimezone(UTC).isoformat(),
        "window_end": end.astimezone(UTC).isoformat(),
    }


def dbt_build_args(window_vars: dict[str, str], select: str | None = None) -> list[str]:
    """`dbt build` for a pipeline run. Unit tests run in the test suite, not on every run."""
    args = [
        "build",
        "--vars",
        json.dumps(window_vars, sort_keys=True),
        "--exclude-resource-type",
        "unit_test",
    ]
    if select:
        args += ["--select", select]
    return args
