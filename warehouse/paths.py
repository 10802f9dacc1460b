"""Where the warehouse lives. One environment variable, read by Python and by dbt's profiles.yml."""

from __future__ import annotations

import os
from pathlib import Path

WAREHOUSE_ENV = "DW_WAREHOUSE_PATH"

# The repository root: warehouse/ sits directly under it. dbt's profiles.yml uses the same default
# (`../var/warehouse.duckdb` relative to dbt_project/), so Python and dbt agree without configuration.
PROJECT_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_WAREHOUSE = PROJECT_ROOT / "var" / "warehouse.duckdb"


def warehouse_path() -> Path:
    """The read-write warehouse file the pipeline owns (single writer)."""
    raw = os.environ.get(WAREHOUSE_ENV, "").strip()
    return Path(raw).expanduser().resolve() if raw else DEFAULT_WAREHOUSE


def published_path(warehouse: Path | None = None) -> Path:
    """The checked, read-only copy readers open: `<name>.published.duckdb` beside the warehouse."""
    w = warehouse or warehouse_path()
    return w.with_name(f"{w.stem}.published{w.suffix}")
