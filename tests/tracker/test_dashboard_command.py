"""`dashboard` on the scripted 24-day market (tests/conftest.py episode_market): every section's numbers equal
the marts at the dashboard's hour, and inside the long-squeeze episode the BTC dashboard names scenario 1
with its evidence and the dense long level below price."""

import json
from datetime import datetime, timedelta

import pytest

from tests.tracker.cli import run_cli

pytestmark = pytest.mark.timeout(2700)


def _cli(args, env, check=True):
    return run_cli(args, env, check)


def _one(con, sql, params):
    cur = con.execute(sql, params)
    cols = [d[0] for d in cur.description]
    row = cur.fetchone()
    return None if row is None else dict(zip(cols, row, strict=True))


def test_sections_equal_the_marts_at_the_newest_hour(market):
    env, con = market
    report = json.loads(_cli(["dashboard", "BTC", "ETH", "SOL", "--output", "json"], env).stdout)
    assert report["report"] == "dashboard" and report["schema_version"] == 1
    assert [a["asset"] for a in report["assets"]] == ["BTC", "ETH", "SOL"]
    funding = json.loads(_cli(["funding", "BTC", "ETH", "SOL", "--output", "json"], env).stdout)
    for a, f in zip(report["assets"], funding["assets"], strict=True):
        hour = _one(con, "select max(hour_at) as h from marts.fct_market_state where asset = ?", [a["asset"]])["h"]
        assert datetime.fromisoformat(a["hour_at"]) == hour
        state = _one(con, "select * from marts.fct_market_state where asset = ? and hour_at = ?", [a["asset"], hour])
        assert a["price"] == pytest.approx(state["close"])
        # Funding is the funding report's own numbers.
        assert a["funding"]["weighted_rate_8h_pct"] == f["weighted_rate_8h_pct"]
        assert a["funding"]["sentiment"] == f["sentiment"]
        oi = _one(
            con, "select * from marts.fct_open_interest_signals where asset = ? and hour_at = ?", [a["asset"], hour]
        )
        assert a["open_interest"]["total_oi_usd"] == pytest.approx(oi["total_oi_usd"])
        assert a["open_interest"]["oi_change_24h_pct"] == pytest.approx(oi["oi_change_24h"] * 100, abs=1e-4)
        assert a["open_interest"]["quadrant"] == oi["quadrant"]
        liq = _one(
            con, "select * from marts.fct_liquidation_summary where asset = ? and hour_at = ?", [a["asset"], hour]
        )
        assert a["liquidations"]["long_usd_24h"] == pytest.approx(liq["long_usd_24h"])
        assert a["liquidations"]["short_usd_24h"] == pytest.approx(liq["short_usd_24h"])
        assert a["liquidations"]["levels_are_estimates"] is True
        alerts = con.execute(
            "select count(*) from marts.fct_alerts where asset = ? and fired_at > ? and fired_at <= ?",
            [a["asset"], hour - timedelta(hours=24), hour],
        ).fetchone()[0]
        assert len(a["alerts_24h"]) == alerts
    btc_options = report["assets"][0]["options"]
    summary = _one(
        con,
        "select * from marts.fct_option_summary where asset = 'BTC' and exchange = ? order by observed_at desc limit 1",
        [btc_options["exchange"]],
    )
    assert btc_options["pcr_oi"] == pytest.approx(summary["pcr_oi"])
    assert btc_options["nearest_max_pain_strike"] == pytest.approx(summary["nearest_max_pain_strike"])


def test_inside_the_long_squeeze_the_btc_dashboard_names_scenario_1_and_the_dense_long_level(market):
    env, con = market
    hour = con.execute(
        "select max(hour_at) from marts.fct_market_state where asset = 'BTC' and active_scenario = 1"
    ).fetchone()[0]
    assert hour is not None, "the scripted long squeeze never became the active scenario"
    as_of = (hour + timedelta(minutes=30)).isoformat()
    report = json.loads(_cli(["dashboard", "BTC", "--as-of", as_of, "--output", "json"], env).stdout)
    btc = report["assets"][0]
    assert datetime.fromisoformat(btc["hour_at"]) == hour
    assert btc["scenario"]["scenario_id"] == 1
    evidence = con.execute(
        "select scenario_name, evidence from marts.fct_confluence_scenarios "
        "where asset = 'BTC' and hour_at = ? and scenario_id = 1",
        [hour],
    ).fetchone()
    assert (btc["scenario"]["name"], btc["scenario"]["evidence"]) == evidence
    dense = btc["liquidations"]["nearest_dense_long"]
    assert dense is not None and dense["price"] < btc["price"]
    near = con.execute(
        "select nearest_dense_long_price from marts.fct_liquidation_level_proximity "
        "where asset = 'BTC' and hour_at = ?",
        [hour],
    ).fetchone()[0]
    assert dense["price"] == pytest.approx(near)
    table = _cli(["dashboard", "BTC", "--as-of", as_of], env).stdout
    assert f"Scenario      1. {evidence[0]}" in table
    assert f"evidence: {evidence[1]}" in table
    assert "dense longs below $" in table
    assert f"POINT-IN-TIME VIEW as of {datetime.fromisoformat(as_of):%Y-%m-%d %H:%M} UTC" in table


def test_table_layout_and_csv(market):
    env, _ = market
    out = _cli(["dashboard", "BTC", "ETH", "SOL"], env).stdout
    lines = out.splitlines()
    assert lines[0].startswith("SIMULATED DATA")
    for asset in ("BTC", "ETH", "SOL"):
        assert any(line.startswith(f"{asset} DERIVATIVES DASHBOARD") for line in lines)
    for label in ("Funding", "Open interest", "Liquidations", "Levels (est.)", "Options", "Basis", "Scenario"):
        assert sum(line.startswith(label) for line in lines) == 3, label
    assert sum(line.startswith("Data as of ") for line in lines) == 3
    rows = _cli(["dashboard", "BTC", "ETH", "--output", "csv"], env).stdout.splitlines()
    assert rows[0].startswith("asset,hour_at,price,") and len(rows) == 3
    assert [r.split(",")[0] for r in rows[1:]] == ["BTC", "ETH"]


def test_exchange_filter_limits_the_venues_shown(market):
    env, _ = market
    report = json.loads(_cli(["dashboard", "ETH", "--exchange", "binance,okx", "--output", "json"], env).stdout)
    eth = report["assets"][0]
    assert report["exchanges"] == ["binance", "okx"]
    assert {v["exchange"] for v in eth["funding"]["venues"]} <= {"binance", "okx"}
    assert {v["exchange"] for v in eth["open_interest"]["venues"]} <= {"binance", "okx"}
