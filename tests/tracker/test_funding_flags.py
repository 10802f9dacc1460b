"""`funding` flags on the scripted 24-day market: --history, --alert-threshold, --as-of, --exchange, --chart.
Every number is recomputed from the marts here."""

import json
import os
from datetime import datetime, timedelta

import pytest

from tests.tracker.cli import run_cli
from tests.tracker.png import assert_chart

pytestmark = pytest.mark.timeout(2700)


def _cli(args, env, check=True):
    return run_cli(args, env, check)


def _json(args, env):
    return json.loads(_cli([*args, "--output", "json"], env).stdout)


@pytest.mark.parametrize(("window", "span"), [("24h", timedelta(hours=24)), ("7d", timedelta(days=7))])
def test_history_averages_equal_the_settled_rates(market, window, span):
    env, con = market
    report = _json(["funding", "BTC", "--history", window], env)
    btc = report["assets"][0]
    history = btc["history"]
    end = datetime.fromisoformat(history["end"])
    assert datetime.fromisoformat(history["start"]) == end - span
    instruments = {v["exchange"]: v["instrument"] for v in btc["venues"]}
    for venue in history["venues"]:
        rates = [
            r[0] * 100
            for r in con.execute(
                "select funding_rate_8h from marts.fct_funding_rates where exchange = ? and instrument = ? "
                "and funding_at > ? and funding_at <= ?",
                [venue["exchange"], instruments[venue["exchange"]], end - span, end],
            ).fetchall()
        ]
        assert venue["settlements"] == len(rates)
        if rates:
            assert venue["avg_rate_8h_pct"] == pytest.approx(sum(rates) / len(rates), abs=1e-6)
            assert venue["min_rate_8h_pct"] == pytest.approx(min(rates), abs=1e-6)
            assert venue["max_rate_8h_pct"] == pytest.approx(max(rates), abs=1e-6)
    weighted = con.execute(
        "select avg(weighted_rate_8h) from marts.fct_funding_signals where asset = 'BTC' and hour_at >= ? "
        "and hour_at < ?",
        [end - span, end],
    ).fetchone()[0]
    assert history["weighted_avg_rate_8h_pct"] == pytest.approx(weighted * 100, abs=1e-6)
    table = _cli(["funding", "BTC", "--history", window], env).stdout
    assert f"FUNDING HISTORY, last {window} (settled rates, per 8h)" in table
    assert "OI-weighted average over " in table


def test_alert_threshold_flags_exactly_the_venues_at_or_beyond_it(market):
    env, _ = market
    base = _json(["funding", "BTC"], env)["assets"][0]
    rates = sorted(abs(v["current_rate_8h_pct"]) for v in base["venues"])
    threshold = rates[len(rates) // 2]  # half the venues at or beyond it
    report = _json(["funding", "BTC", "--alert-threshold", repr(threshold)], env)
    btc = report["assets"][0]
    expected = [v["exchange"] for v in base["venues"] if abs(v["current_rate_8h_pct"]) >= threshold]
    assert btc["alert_venues"] == expected and expected
    assert [v["exchange"] for v in btc["venues"] if v["alert"]] == expected
    table = _cli(["funding", "BTC", "--alert-threshold", repr(threshold)], env).stdout
    assert sum(line.rstrip().endswith("ALERT") for line in table.splitlines()) == len(expected)
    assert f"Alert (|rate| >= {threshold:.4f}% per 8h): " in table


def test_as_of_gives_the_rate_in_force_in_that_hour(market):
    env, con = market
    hour = con.execute("select max(hour_at) from marts.fct_funding_hourly where asset = 'ETH'").fetchone()[0]
    past = hour - timedelta(days=5, hours=3)
    as_of = past + timedelta(hours=1, minutes=20)  # the hour starting at `past` is the last complete one
    report = _json(["funding", "ETH", "--as-of", as_of.isoformat()], env)
    eth = report["assets"][0]
    assert report["as_of_requested"] == as_of.isoformat()
    assert report["venue_problems"] == []  # the latest run's failures do not belong in a view of the past
    for v in eth["venues"]:
        row = con.execute(
            "select funding_rate_8h, hour_at from marts.fct_funding_hourly where asset = 'ETH' and exchange = ? "
            "and hour_at <= ? order by hour_at desc limit 1",
            [v["exchange"], past],
        ).fetchone()
        assert v["current_rate_8h_pct"] == pytest.approx(row[0] * 100, abs=1e-6)
        assert datetime.fromisoformat(v["as_of"]) == row[1] + timedelta(hours=1)
        settled = [
            r[0] * 100
            for r in con.execute(
                "select funding_rate_8h from marts.fct_funding_rates where exchange = ? and instrument = ? "
                "and funding_at > ? and funding_at <= ?",
                [v["exchange"], v["instrument"], as_of - timedelta(hours=24), as_of],
            ).fetchall()
        ]
        if settled:
            assert v["avg_24h_rate_8h_pct"] == pytest.approx(sum(settled) / len(settled), abs=1e-6)
    signal = con.execute(
        "select weighted_rate_8h, sentiment from marts.fct_funding_signals where asset = 'ETH' and hour_at = ?",
        [past],
    ).fetchone()
    assert eth["weighted_rate_8h_pct"] == pytest.approx(signal[0] * 100, abs=1e-6)
    assert eth["sentiment"] == signal[1]
    assert "POINT-IN-TIME VIEW as of " in _cli(["funding", "ETH", "--as-of", as_of.isoformat()], env).stdout


def test_exchange_filter_reweights_over_the_shown_venues(market):
    env, _ = market
    report = _json(["funding", "SOL", "--exchange", "binance", "--exchange", "OKX"], env)
    sol = report["assets"][0]
    assert report["exchanges"] == ["binance", "okx"]
    assert {v["exchange"] for v in sol["venues"]} == {"binance", "okx"}
    with_oi = [v for v in sol["venues"] if v["oi_usd"]]
    expected = sum(v["current_rate_8h_pct"] * v["oi_usd"] for v in with_oi) / sum(v["oi_usd"] for v in with_oi)
    assert sol["weighted_rate_8h_pct"] == pytest.approx(expected, abs=1e-5)
    assert sol["sentiment_scope"] == "all_venues"


def test_history_chart_is_a_png_that_is_not_blank(market, tmp_path):
    env, _ = market
    path = tmp_path / "funding.png"
    proc = _cli(["funding", "BTC", "ETH", "--history", "7d", "--chart", str(path)], env)
    assert proc.stderr == f"chart written to {path}\n"
    assert_chart(path)
    umask = os.umask(0)
    os.umask(umask)
    assert path.stat().st_mode & 0o777 == 0o666 & ~umask  # not the temporary file's private mode


@pytest.mark.parametrize(
    ("args", "fragment"),
    [
        (["--history", "9y"], "--history '9y' is not a window"),
        (["--history", "0d"], "is not a window"),
        (["--alert-threshold", "-0.1"], "--alert-threshold '-0.1'"),
        (["--alert-threshold", "nan"], "--alert-threshold 'nan'"),
        (["--as-of", "2099-01-01"], "is in the future"),
        (["--as-of", "tuesday"], "is not a date or time"),
        (["--exchange", "binanse"], "did you mean binance?"),
        (["--chart", "out.jpg"], "must name a .png file"),
        (["--chart", "/no/such/dir/x.png"], "does not exist"),
    ],
)
def test_bad_flag_values_are_bad_arguments(market, args, fragment):
    env, _ = market
    proc = _cli(["funding", "BTC", *args], env, check=False)
    assert proc.returncode == 2 and proc.stdout == ""
    assert proc.stderr.startswith("ERR_BAD_ARGUMENT: ") and fragment in proc.stderr, proc.stderr


def test_an_as_of_before_the_history_is_no_data(market):
    env, _ = market
    proc = _cli(["funding", "BTC", "--as-of", "2020-01-01"], env, check=False)
    assert proc.returncode == 4 and proc.stderr.startswith("ERR_NO_DATA: no funding data for BTC at or before ")
