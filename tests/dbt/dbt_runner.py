"""Run dbt against a test warehouse in a subprocess, as the pipeline does."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from tests.conftest import DBT_DIR


def run_dbt(args: list[str], warehouse: Path, target: Path) -> dict:
    """Run `dbt <args>` on `warehouse`, writing artifacts to `target`; return run_results.json."""
    dbt = Path(sys.executable).with_name("dbt")
    env = {**os.environ, "DW_WAREHOUSE_PATH": str(warehouse)}
    proc = subprocess.run(
        [
            str(dbt),
            *args,
            "--project-dir",
            str(DBT_DIR),
            "--profiles-dir",
            str(DBT_DIR),
            "--target-path",
            str(target),
        ],
        env=env,
        capture_output=True,
        text=True,
    )
    results = json.loads((target / "run_results.json").read_text()) if (target / "run_results.json").exists() else {}
    results["_stdout"] = proc.stdout
    results["_returncode"] = proc.returncode
    return results
