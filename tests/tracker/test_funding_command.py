"""End to end: the pipeline against the simulator, then `derivatives_tracker.py funding` on the
published warehouse; numbers in the output are checked against the marts and the raw data."""

import json
import os
import subprocess
import sys
from datetime import timedelta

import duckdb
import pytest

from tests.conftest import ROOT
from tests.tracker.cli import run_cli

# The shared scripted-market run (tests/conftest.py episode_market) takes several minutes on 2 cores.
pytestmark = pytest.mark.timeout(2700)


def _cli(args, env, check=False):
    return run_cli(args, env, check)


@pytest.fixture(scope="module")
def built(episode_market):
    """The shared scripted-market pipeline run (tests/conftest.py): three assets, every venue, 24 days."""
    env, published, _ = episode_market
    return env, published


def test_funding_report_layout_and_simulated_label(built):
    env, _ = built
    out = _cli(["funding", "BTC"], env, check=True).stdout
    lines = out.splitlines()
    assert lines[0].startswith("SIMULATED DATA")
    assert "BTC PERPETUAL FUNDING RATES (per 8h)" in out
    header = next(line for line in lines if line.startswith("Exchange"))
    assert header.split() == ["Exchange", "Current", "24h", "Avg", "7d", "Avg", "Next", "Payment"]
    assert any(line.startswith("Binance ") for line in lines)
    assert sum(1 for line in lines if line.startswith("━")) == 3
    assert any(line.startswith("Weighted Avg: ") and "| Annualized: " in line for line in lines)
    assert any(line.startswith("Sentiment: ") for line in lines)
    assert any(line.startswith("Data as of ") for line in lines)


def test_json_numbers_match_the_marts_and_the_settled_history(built):
    env, published = built
    report = json.loads(_cli(["funding", "BTC", "ETH", "SOL", "--output", "json"], env, check=True).stdout)
    assert report["data_mode"] == "simulator" and report["schema_version"] == 1
    assert [a["asset"] for a in report["assets"]] == ["BTC", "ETH", "SOL"]
    con = duckdb.connect(str(published), read_only=True)
    for a in report["assets"]:
        # Every venue with a primary perpetual of the asset is in the report.
        assert {v["exchange"] for v in a["venues"]} >= {"binance", "bybit", "okx", "deribit", "bitmex", "dydx"}
        for venue in a["venues"]:
            mart = con.execute(
                "select current_rate_8h, as_of, next_funding_at, instrument from marts.fct_funding_current "
                "where asset = ? and exchange = ?",
                [a["asset"], venue["exchange"]],
            ).fetchone()
            assert venue["current_rate_8h_pct"] == pytest.approx(mart[0] * 100, abs=1e-6)
            # Recompute the averages independently from the settled rates of that instrument.
            settled = con.execute(
                "select funding_at, funding_rate, funding_interval_hours from marts.fct_funding_rates "
                "where exchange = ? and instrument = ? order by funding_at",
                [venue["exchange"], mart[3]],
            ).fetchall()
            as_of = mart[1]
            last_24h = [r * 8 / h for t, r, h in settled if as_of - timedelta(hours=24) < t <= as_of]
            last_7d = [r * 8 / h for t, r, h in settled if as_of - timedelta(days=7) < t <= as_of]
            if last_24h:
                assert venue["avg_24h_rate_8h_pct"] == pytest.approx(sum(last_24h) / len(last_24h) * 100, abs=1e-6)
                assert venue["avg_7d_rate_8h_pct"] == pytest.approx(sum(last_7d) / len(last_7d) * 100, abs=1e-6)
            if mart[2] is None:  # continuous funding (Deribit, GMX): no next payment time
                assert venue["next_funding_in_seconds"] is None
            else:
                assert venue["next_funding_in_seconds"] == int((mart[2] - as_of).total_seconds())
                assert 0 < venue["next_funding_in_seconds"] <= 8 * 3600
        # OI-weighted across the venues that report OI: sum(rate_8h x oi) / sum(oi); APR = rate_8h x 1095.
        with_oi = [v for v in a["venues"] if v["oi_usd"]]
        assert a["weighting"] == "open_interest" and len(with_oi) >= 2
        weighted = sum(v["current_rate_8h_pct"] * v["oi_usd"] for v in with_oi) / sum(v["oi_usd"] for v in with_oi)
        assert a["weighted_rate_8h_pct"] == pytest.approx(weighted, abs=1e-6)
        # Both figures are rounded to 6 decimals in the report: x 1095 carries that rounding along.
        assert a["weighted_apr_pct"] == pytest.approx(a["weighted_rate_8h_pct"] * 1095, abs=1095 * 1e-6)


def test_the_current_rate_is_what_the_venue_reported(built):
    env, published = built
    con = duckdb.connect(str(published), read_only=True)
    raw = con.execute(
        "select json_extract_string(payload, '$.lastFundingRate') from raw.binance__premium_index "
        "where json_extract_string(payload, '$.symbol') = 'BTCUSDT' order by fetched_at desc limit 1"
    ).fetchone()[0]
    report = json.loads(_cli(["funding", "BTC", "--output", "json"], env, check=True).stdout)
    binance = next(v for v in report["assets"][0]["venues"] if v["exchange"] == "binance")
    assert binance["current_rate_pct"] == pytest.approx(float(raw) * 100, abs=1e-9)


def test_csv_output(built):
    env, _ = built
    out = _cli(["funding", "ETH", "--output", "csv"], env, check=True).stdout.splitlines()
    assert out[0].startswith("asset,exchange,instrument,funding_interval_hours")
    assert out[1].startswith("ETH,binance,ETHUSDT,8,")


@pytest.mark.parametrize(
    ("args", "code", "exit_code", "fragment"),
    [
        (["funding", "BTCUSDT"], "ERR_SYMBOL_INVALID", 3, "use the asset name, e.g. BTC"),
        (["funding", "btc-perpetual"], "ERR_SYMBOL_INVALID", 3, "e.g. BTC"),
        (["funding", "BTX"], "ERR_SYMBOL_INVALID", 3, "did you mean BTC?"),
        (["funding", "B$C"], "ERR_SYMBOL_INVALID", 3, "expected 2-10 letters"),
        (["funding"], "ERR_BAD_ARGUMENT", 2, "hint:"),
        (["funding", "BTC", "--output", "xml"], "ERR_BAD_ARGUMENT", 2, "invalid choice"),
        (["fundng", "BTC"], "ERR_BAD_ARGUMENT", 2, "unknown command"),
    ],
)
def test_errors_are_one_line_with_a_hint_and_no_traceback(built, args, code, exit_code, fragment):
    env, _ = built
    proc = _cli(args, env)
    assert proc.returncode == exit_code
    assert proc.stderr.startswith(f"{code}: ")
    assert fragment in proc.stderr
    assert "Traceback" not in proc.stderr + proc.stdout
    assert proc.stdout == ""


def test_no_published_warehouse_says_how_to_fill_it(tmp_path):
    env = {**os.environ, "DW_WAREHOUSE_PATH": str(tmp_path / "nothing.duckdb")}
    proc = _cli(["funding", "BTC"], env)
    assert proc.returncode == 4
    assert proc.stderr.startswith("ERR_NO_DATA: no published warehouse at ")
    assert "make demo" in proc.stderr and "Traceback" not in proc.stderr


def test_the_command_line_imports_no_dagster_dbt_or_gx(built):
    env, _ = built
    probe = (
        "import sys; from tracker.cli import main; main(['funding', 'BTC']); "
        "heavy = {'dagster', 'dbt', 'great_expectations', 'dagster_dbt'}; "
        "print(sorted({m.split('.')[0] for m in sys.modules} & heavy))"
    )
    out = subprocess.run([sys.executable, "-c", probe], cwd=ROOT, env=env, capture_output=True, text=True, check=True)
    assert out.stdout.strip().splitlines()[-1] == "[]"
