"""The quality gate on real runs: each kind of bad data the simulator can inject is stopped by the check made
for it, nothing is published, the published warehouse stays byte for byte the last good one, and the check's
metadata names the cause (which table or venue, which rows, sample values).

One good state is built once (a real pipeline run: simulator, Dagster jobs, dbt, checks, publish); each case
starts from a copy of it and runs the whole pipeline again with one fault injected through `--fault`.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

from tests.pipeline_env import pipeline_env

pytestmark = [pytest.mark.slow, pytest.mark.timeout(2700)]

ROOT = Path(__file__).resolve().parents[2]
NOW = "2026-11-21T08:00:00Z"
DAY = "2026-11-21"


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _pipeline(workdir: Path, *faults: dict) -> subprocess.CompletedProcess:
    cmd = [sys.executable, "-m", "orchestration.run_pipeline", "--simulator", "--days", "1", "--now", NOW]
    for fault in faults:
        cmd += ["--fault", json.dumps(fault)]
    return subprocess.run(cmd, cwd=ROOT, env=pipeline_env(workdir), capture_output=True, text=True, timeout=1500)


@pytest.fixture(scope="module")
def good_state(tmp_path_factory) -> Path:
    workdir = tmp_path_factory.mktemp("good")
    proc = _pipeline(workdir)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    published = workdir / "warehouse.published.duckdb"
    con = duckdb.connect(str(published), read_only=True)
    try:
        assert con.execute("select checks_passed from meta.publication").fetchone()[0] > 0
    finally:
        con.close()
    return workdir


def _check_evaluation(workdir: Path, asset: list[str], check: str) -> dict:
    """The latest evaluation of one check in the case's Dagster instance: passed, description, metadata."""
    code = f"""
import json
from dagster import AssetCheckKey, AssetKey, DagsterInstance
inst = DagsterInstance.get()
recs = inst.event_log_storage.get_asset_check_execution_history(AssetCheckKey(AssetKey({asset!r}), {check!r}), limit=1)
ev = recs[0].event.dagster_event.event_specific_data
print(json.dumps({{"passed": ev.passed, "description": ev.description,
                  "metadata": {{k: getattr(v, "value", v) for k, v in ev.metadata.items()}}}}, default=str))
"""
    out = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env=pipeline_env(workdir), capture_output=True, text=True, timeout=120
    )
    assert out.returncode == 0, out.stderr
    return json.loads(out.stdout.strip().splitlines()[-1])


def _run_case(good_state: Path, tmp_path: Path, fault: dict) -> tuple[Path, subprocess.CompletedProcess, str]:
    workdir = tmp_path / "case"
    workdir.mkdir()
    for name in ("warehouse.duckdb", "warehouse.published.duckdb"):
        shutil.copy(good_state / name, workdir / name)
    published = workdir / "warehouse.published.duckdb"
    before = _sha256(published)
    proc = _pipeline(workdir, fault)
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert "the marts run failed; readers keep the last published warehouse" in proc.stdout
    assert _sha256(published) == before, "a failed run changed the published warehouse"
    assert not list(workdir.glob(".warehouse.published.duckdb.tmp-*")), "a publication was left half done"
    return workdir, proc, before


def test_a_renamed_field_is_stopped_by_the_raw_gate(good_state, tmp_path):
    fault = {
        "kind": "drift_rename",
        "venue": "binance",
        "path": "/fapi/v1/fundingRate",
        "count": -1,
        "options": {"field": "fundingRate", "to": "funding_rate"},
    }
    workdir, proc, _ = _run_case(good_state, tmp_path, fault)
    verdict = _check_evaluation(workdir, ["raw", "binance", "funding_rates"], "window_loads_passed")
    assert not verdict["passed"]
    failed = verdict["metadata"]["failed_partitions"]
    assert [p["partition"] for p in failed] == [DAY]
    assert failed[0]["failures"][0].startswith("schema: ")
    assert "fundingRate" in failed[0]["failures"][0]
    # The gate stopped the run before dbt: the other raw tables passed theirs.
    assert _check_evaluation(workdir, ["raw", "bybit", "funding_rates"], "window_loads_passed")["passed"]
    assert "check failed: raw/binance/funding_rates window_loads_passed" in proc.stdout


def test_a_number_sent_as_a_string_is_stopped_by_the_raw_gate(good_state, tmp_path):
    fault = {
        "kind": "drift_string",
        "venue": "deribit",
        "path": "/api/v2/public/get_funding_rate_history",
        "count": -1,
        "options": {"field": "interest_8h"},
    }
    workdir, _, _ = _run_case(good_state, tmp_path, fault)
    verdict = _check_evaluation(workdir, ["raw", "deribit", "funding_rates"], "window_loads_passed")
    assert not verdict["passed"]
    (failed,) = verdict["metadata"]["failed_partitions"]
    assert failed["partition"] == DAY
    assert failed["failures"][0].startswith("types: ")
    assert "interest_8h as a string where the venue sends a number" in failed["failures"][0]


def test_a_duplicated_page_is_stopped_by_the_raw_gate(good_state, tmp_path):
    # The first of the three assets' requests is served and becomes the page repeated for the next two.
    fault = {"kind": "duplicate_page", "venue": "binance", "path": "/fapi/v1/fundingRate", "count": 3}
    workdir, _, _ = _run_case(good_state, tmp_path, fault)
    verdict = _check_evaluation(workdir, ["raw", "binance", "funding_rates"], "window_loads_passed")
    assert not verdict["passed"]
    (failed,) = verdict["metadata"]["failed_partitions"]
    assert failed["failures"][0].startswith("duplicates: ")
    assert "['symbol', 'fundingTime'] appear more than once" in failed["failures"][0]


def test_an_out_of_range_funding_rate_is_stopped_by_the_mart_suite(good_state, tmp_path):
    # Binance sends rates as strings; the raw layer accepts "0.5" (it is a well-formed rate): the mart suite's
    # venue cap is the check made for it.
    fault = {
        "kind": "out_of_range",
        "venue": "binance",
        "path": "/fapi/v1/fundingRate",
        "count": -1,
        "options": {"field": "fundingRate", "value": 0.5},
    }
    workdir, _, _ = _run_case(good_state, tmp_path, fault)
    assert _check_evaluation(workdir, ["raw", "binance", "funding_rates"], "window_loads_passed")["passed"]
    verdict = _check_evaluation(workdir, ["marts", "fct_funding_rates"], "gx_suite")
    assert not verdict["passed"]
    failures = verdict["metadata"]["failed_expectations"]
    binance = [f for f in failures if f["exchange"] == "binance" and f["column"] == "funding_rate"]
    assert binance, failures
    assert binance[0]["rule"] == "funding_rate within binance's cap of +-3.00% per interval"
    assert binance[0]["unexpected_count"] >= 3  # every settlement of the day, for each asset
    assert set(binance[0]["sample_values"]) == {0.5}
    assert {row["exchange"] for row in binance[0]["sample_rows"]} == {"binance"}
    # No other venue is blamed.
    assert {f["exchange"] for f in failures if f["column"] == "funding_rate"} == {"binance"}


def test_a_missing_venue_hour_is_stopped_by_the_completeness_suite(good_state, tmp_path):
    fault = {
        "kind": "maintenance_gap",
        "venue": "binance",
        "path": "/futures/data/openInterestHist",
        "count": -1,
        "options": {"start": f"{DAY}T02:00:00Z", "end": f"{DAY}T04:00:00Z"},
    }
    workdir, _, _ = _run_case(good_state, tmp_path, fault)
    verdict = _check_evaluation(workdir, ["marts", "fct_open_interest_hourly"], "gx_suite")
    assert not verdict["passed"]
    (failure,) = verdict["metadata"]["failed_expectations"]
    assert failure["suite"] == "fct_open_interest_hourly:hourly_completeness"
    assert failure["rule"] == "every venue hour present"
    assert failure["unexpected_count"] == 6  # 2 hours x 3 assets, all on Binance
    missing = {(r["exchange"], r["asset"], r["hour_at"][:16]) for r in failure["sample_rows"]}
    assert {e for e, _, _ in missing} == {"binance"}
    assert {h for _, _, h in missing} <= {f"{DAY} 02:00", f"{DAY} 03:00"}


def test_a_venue_that_fails_still_publishes_and_readers_see_it_flagged(good_state, tmp_path):
    """One venue down and one rate-limited through every retry: the run publishes from the rest (their last
    good slices stay in raw), and every report flags the two venues with the code of their failure."""
    workdir = tmp_path / "case"
    workdir.mkdir()
    for name in ("warehouse.duckdb", "warehouse.published.duckdb"):
        shutil.copy(good_state / name, workdir / name)
    down = {"kind": "http_5xx", "venue": "okx", "path": "*", "count": -1}
    limited = {"kind": "rate_limited", "venue": "bybit", "path": "*", "count": -1, "options": {"retry_after": 1}}
    proc = _pipeline(workdir, down, limited)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    assert "some venues failed (see above); the marts were built from the rest and published" in proc.stdout
    env = pipeline_env(workdir)
    for command in (["funding", "BTC"], ["dashboard", "BTC", "ETH"]):
        cli = subprocess.run(
            [sys.executable, "derivatives_tracker.py", *command], cwd=ROOT, env=env, capture_output=True, text=True
        )
        assert (cli.returncode, cli.stderr) == (0, ""), cli.stderr
        assert "ERR_EXCHANGE_DOWN: OKX failed in the latest run" in cli.stdout
        assert "ERR_RATE_LIMIT: Bybit failed in the latest run" in cli.stdout
    cli = subprocess.run(
        [sys.executable, "derivatives_tracker.py", "funding", "BTC", "--output", "json"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    problems = {p["exchange"]: p for p in json.loads(cli.stdout)["venue_problems"]}
    assert {e: p["code"] for e, p in problems.items()} == {"okx": "ERR_EXCHANGE_DOWN", "bybit": "ERR_RATE_LIMIT"}
    assert problems["okx"]["datasets"] and problems["bybit"]["datasets"]
    # --exchange narrows the flags to the venues asked for.
    only = subprocess.run(
        [sys.executable, "derivatives_tracker.py", "funding", "BTC", "--exchange", "binance,okx", "--output", "json"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    assert [p["exchange"] for p in json.loads(only.stdout)["venue_problems"]] == ["okx"]
