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

    # Bounded by itself even if the session is killed; longer than a whole suite run (CI stops at 90 min).
    with running_simulator(max_lifetime_s=5400) as sim:
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


# The scripted market the end-to-end tests share: one pipeline run against the simulator with an episode of
# each kind placed on the three assets, then a quiet week. Hours before now (the run ends at the current hour).
EPISODE_PLAN = (
    ("long_squeeze", "BTC", 20 * 24),
    ("healthy_trend", "BTC", 15 * 24),
    ("short_squeeze", "ETH", 20 * 24),
    ("pre_event", "ETH", 372),
    ("oi_price_divergence", "ETH", 12 * 24),
    ("exhaustion", "SOL", 20 * 24),
    ("vacuum", "SOL", 13 * 24),
)
EPISODE_DAYS = 24  # three days of history before the first episode: 24 h and 72 h look-backs are filled
# The run happens "at" this instant (the simulator's clock stands still there), so the market, noise included,
# is the same on every day the suite runs.
EPISODE_NOW = "2026-11-21T08:00:00+00:00"


@pytest.fixture(scope="session")
def episode_market(tmp_path_factory):
    """Run `run_pipeline --simulator --days 24 --episode ...` once; yield (env, published path, episodes)."""
    import os
    from datetime import datetime, timedelta

    from simulator.episodes import schedule

    now = datetime.fromisoformat(EPISODE_NOW)
    episodes = [schedule(name, asset, now - timedelta(hours=hours)) for name, asset, hours in EPISODE_PLAN]
    prebuilt = os.environ.get("DW_TEST_EPISODE_MARKET", "").strip()
    if prebuilt and not os.environ.get("CI"):
        # A developer's shortcut while iterating on readers of the market: a directory holding a warehouse
        # built by this same run (README, "Tests"). CI always builds it.
        env = {k: v for k, v in os.environ.items() if k not in ("DAGSTER_HOME", "DW_SIMULATOR_URL")}
        env.update(DW_WAREHOUSE_PATH=str(Path(prebuilt) / "warehouse.duckdb"), DW_ASSETS="BTC,ETH,SOL")
        return env, Path(prebuilt) / "warehouse.published.duckdb", episodes
    tmp = tmp_path_factory.mktemp("episode_market")
    env = {k: v for k, v in os.environ.items() if k not in ("DAGSTER_HOME", "DW_SIMULATOR_URL")}
    env.update(DW_WAREHOUSE_PATH=str(tmp / "warehouse.duckdb"), DW_ASSETS="BTC,ETH,SOL")
    args = [a for e in episodes for a in ("--episode", f"{e.name}:{e.asset}@{e.start.isoformat()}")]
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "orchestration.run_pipeline",
            "--simulator",
            "--now",
            EPISODE_NOW,
            "--days",
            str(EPISODE_DAYS),
            *args,
        ],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=1800,
    )
    assert proc.returncode == 0, proc.stdout[-4000:] + proc.stderr[-4000:]
    return env, tmp / "warehouse.published.duckdb", episodes
