"""Shared fixtures: the real recorded data folder, a running simulator, temporary warehouses."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SHARED_DATA = ROOT.parent / "shared" / "data"
DBT_DIR = ROOT / "dbt_project"


def shared_data(relative: str) -> Path:
    """A path under ../shared/data, or skip the test with the reason when it is absent."""
    path = SHARED_DATA / relative
    if not path.exists():
        pytest.skip(f"real recorded data not available: {path} is absent (a clone without ../shared)")
    return path


@pytest.fixture(scope="session", autouse=True)
def dbt_manifest() -> Path:
    """Orchestration needs a parsed dbt manifest (make prepare builds it; build it here if missing)."""
    manifest = DBT_DIR / "target" / "manifest.json"
    if not manifest.exists():
        dbt = Path(sys.executable).with_name("dbt")
        subprocess.run(
            [str(dbt), "parse", "--project-dir", str(DBT_DIR), "--profiles-dir", str(DBT_DIR), "--quiet"],
            check=True,
        )
    return manifest


@pytest.fixture
def warehouse_file(tmp_path, monkeypatch) -> Path:
    """A fresh warehouse path for this test, exported the way Python and dbt both read it."""
    path = tmp_path / "warehouse.duckdb"
    monkeypatch.setenv("DW_WAREHOUSE_PATH", str(path))
    return path


@pytest.fixture(scope="session")
def simulator():
    from simulator.process import running_simulator

    with running_simulator(max_lifetime_s=1800) as sim:
        yield sim


@pytest.fixture
def sim_env(simulator, monkeypatch):
    """Point every venue at the session's simulator, with its request log and limits reset."""
    from ingest.ratelimit import reset_shared

    simulator.reset()
    simulator.set_limits({})
    reset_shared()  # the simulator's counters start over, so do our process-wide budgets
    monkeypatch.setenv("DW_SIMULATOR_URL", simulator.root)
    monkeypatch.setenv("DW_ASSETS", "BTC,ETH,SOL")
    return simulator
