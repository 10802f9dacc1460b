"""The environment of a pipeline run in its own directory, for tests that run `run_pipeline` as a process."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def pipeline_env(workdir: Path) -> dict[str, str]:
    """Warehouse, Dagster instance (with the project's dagster.yaml, as `make prepare` does) and alerts ledger all
    under `workdir`; no DW_ variable of the caller's shell leaks in (another simulator, a webhook, fewer assets)."""
    home = workdir / "dagster_home"
    home.mkdir(parents=True, exist_ok=True)
    shutil.copy(ROOT / "orchestration" / "dagster.yaml", home / "dagster.yaml")
    env = {k: v for k, v in os.environ.items() if not k.startswith("DW_")}
    env.update(
        DW_WAREHOUSE_PATH=str(workdir / "warehouse.duckdb"),
        DAGSTER_HOME=str(home),
        DW_ALERTS_LEDGER=str(workdir / "alerts.sqlite"),
    )
    return env
