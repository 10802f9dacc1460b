"""Where the warehouse lives. One environment variable, read by Python and by dbt's profiles.yml."""

from __future__ import annotations

import os
from pathlib import Path

WAREHOUSE_ENV = "DW_WAREHOUSE_PATH"

# The repository root: warehouse/ sits directly under it. dbt's profiles.yml uses the same default
# (`../var/warehouse.duckdb` relative to dbt_project/), so Python and dbt agree without configuration.
PROJECT_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_WAREHOUSE = PROJECT_ROOT / "var" / "warehouse.duckdb"


# File names longer than this (in bytes) fail on common file systems (255), with room for ".published".
_MAX_NAME_BYTES = 255 - len(".published")


class PathConfigError(ValueError):
    """A path variable (DW_WAREHOUSE_PATH, DW_ALERTS_LEDGER, ...) that cannot name a file; says which and why."""


def path_from_env(name: str) -> Path | None:
    """The path in environment variable `name`, absolute (None when unset or blank), or PathConfigError."""
    raw = os.environ.get(name, "").strip()
    if not raw:
        return None
    try:
        path = Path(raw).expanduser().resolve()
    except (RuntimeError, OSError, ValueError) as exc:  # e.g. "~nosuchuser/...": no home directory to expand
        raise PathConfigError(f"{name}={raw[:200]!r} is not a usable path: {exc}") from None
    if not path.name:
        raise PathConfigError(f"{name}={raw[:200]!r} is the file system root; name a path below it")
    if len(path.name.encode(errors="surrogateescape")) > _MAX_NAME_BYTES:
        raise PathConfigError(f"{name} has a file name longer than {_MAX_NAME_BYTES} bytes")
    return path


def warehouse_path() -> Path:
    """The read-write warehouse file the pipeline owns (single writer)."""
    return path_from_env(WAREHOUSE_ENV) or DEFAULT_WAREHOUSE


def published_path(warehouse: Path | None = None) -> Path:
    """The checked, read-only copy readers open: `<name>.published.duckdb` beside the warehouse."""
    w = warehouse or warehouse_path()
    return w.with_name(f"{w.stem}.published{w.suffix}")
