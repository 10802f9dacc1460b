"""Stale venues in the funding report, on a small published warehouse made by hand: a venue whose newest data
lags the report's as-of by more than marts.fct_source_freshness allows is marked in the table, named in a
footer line and flagged in JSON and CSV; an as-of far behind the wall clock prints a warning line."""

import argparse
import json
import os
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import duckdb
import pytest

from tests.conftest import ROOT
from tracker.freshness import venue_freshness
from tracker.query import Query
from tracker.reports import funding

AS_OF = datetime(2026, 11, 21, 10, 5, tzinfo=UTC)
# exchange -> how long before the as-of its newest snapshot was taken
LAGS = {
    "binance": timedelta(0),
    "bybit": timedelta(hours=1, minutes=5),  # one missed hourly run: within the 1.5 h allowed
    "okx": timedelta(hours=2, minutes=15),  # two missed runs: stale
}


def _publish(path: Path, as_of: datetime, snapshot_lag_hours: float | None = 1.5) -> None:
    """The tables the funding report reads, with the columns it reads; None leaves the freshness mart out."""
    con = duckdb.connect(str(path))
    con.execute("create schema marts")
    con.execute(
        """create table marts.fct_funding_current (
            exchange varchar, asset varchar, instrument varchar, as_of timestamptz, funding_interval_hours integer,
            current_funding_rate double, current_rate_8h double, avg_24h_rate_8h double, avg_7d_rate_8h double,
            next_funding_at timestamptz, oi_usd double, data_mode varchar)"""
    )
    for i, (exchange, lag) in enumerate(LAGS.items()):
        observed = as_of - lag
        con.execute(
            "insert into marts.fct_funding_current values (?, 'BTC', ?, ?, 8, ?, ?, 0.0001, 0.0001, ?, ?, 'live')",
            [
                exchange,
                f"BTC-{exchange}",
                observed,
                0.0001 * (i + 1),
                0.0001 * (i + 1),
                observed + timedelta(hours=2),
                1e9,
            ],
        )
    con.execute(
        """create table marts.fct_funding_asset_summary as select 'BTC' as asset, 0.0002::double as weighted_rate_8h,
        0.219::double as weighted_apr, 'open_interest' as weighting, 'positive' as funding_level,
        'Moderately Bullish' as sentiment"""
    )
    if snapshot_lag_hours is not None:
        con.execute(
            """create table marts.fct_source_freshness (exchange varchar, dataset varchar, raw_table varchar,
            cadence varchar, last_fetched_at timestamptz, allowed_lag_hours double)"""
        )
        for exchange in LAGS:
            con.execute(
                "insert into marts.fct_source_freshness values (?, 'tickers', 'raw.x', 'hourly_snapshot', null, ?), "
                "(?, 'funding_rates', 'raw.y', 'daily_history', null, 0.1)",
                [exchange, snapshot_lag_hours, exchange],
            )
    con.close()


def _report(tmp_path: Path, now: datetime, snapshot_lag_hours: float | None = 1.5) -> dict:
    path = tmp_path / "w.published.duckdb"
    _publish(path, AS_OF, snapshot_lag_hours)
    con = duckdb.connect(str(path), read_only=True)
    try:
        args = argparse.Namespace(assets=["BTC"], history=None, alert_threshold=None)
        return funding.build(Query(con=con, now=now), args)
    finally:
        con.close()


def test_json_flags_the_venue_beyond_its_allowed_lag(tmp_path):
    report = _report(tmp_path, now=AS_OF + timedelta(minutes=20))
    btc = report["assets"][0]
    assert btc["as_of"] == "2026-11-21T10:05:00+00:00"
    assert btc["stale"] is False  # 20 minutes behind the wall clock: the warehouse is current
    assert btc["stale_venues"] == ["okx"]
    assert {v["exchange"]: (v["stale"], v["last_data_at"], v["allowed_lag_hours"]) for v in btc["venues"]} == {
        "binance": (False, "2026-11-21T10:05:00+00:00", 1.5),
        "bybit": (False, "2026-11-21T09:00:00+00:00", 1.5),
        "okx": (True, "2026-11-21T07:50:00+00:00", 1.5),
    }


def test_table_marks_the_row_and_names_the_venue_in_a_footer(tmp_path):
    out = funding.render_table(_report(tmp_path, now=AS_OF + timedelta(minutes=20))).splitlines()
    okx = next(line for line in out if line.startswith("OKX"))
    assert okx == "OKX                +0.0300%   +0.0100%   +0.0100%        2h 00m  STALE 2h 15m"
    assert [line for line in out if "STALE" in line] == [okx]
    assert "Stale: OKX (last data 2h 15m before the as-of, allowed 1h 30m)" in out
    assert out[-1] == "Data as of 2026-11-21 10:05 UTC"
    assert not any(line.startswith("WARNING") for line in out)


def test_the_allowed_lag_comes_from_the_freshness_mart(tmp_path):
    report = _report(tmp_path, now=AS_OF, snapshot_lag_hours=2.5)
    assert report["assets"][0]["stale_venues"] == []
    assert {v["allowed_lag_hours"] for v in report["assets"][0]["venues"]} == {2.5}


def test_a_warehouse_published_before_the_mart_uses_the_var_default(tmp_path):
    report = _report(tmp_path, now=AS_OF, snapshot_lag_hours=None)
    assert report["assets"][0]["stale_venues"] == ["okx"]
    assert {v["allowed_lag_hours"] for v in report["assets"][0]["venues"]} == {1.5}


def test_an_as_of_far_behind_the_wall_clock_prints_a_warning_line(tmp_path):
    report = _report(tmp_path, now=AS_OF + timedelta(hours=2, minutes=55))
    assert report["assets"][0]["stale"] is True
    out = funding.render_table(report).splitlines()
    assert out[-2:] == [
        "Data as of 2026-11-21 10:05 UTC",
        "WARNING: the warehouse is behind: newest BTC data is 2h 55m old (schedules running?)",
    ]


def _cli(args: list[str], warehouse: Path) -> str:
    env = {**os.environ, "DW_WAREHOUSE_PATH": str(warehouse)}
    cmd = [sys.executable, "derivatives_tracker.py", *args]
    return subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True, check=True).stdout


def test_the_command_line_outputs(tmp_path):
    # Data of a few minutes ago by the wall clock: only OKX is stale, the warehouse is not behind.
    as_of = datetime.now(UTC).replace(second=0, microsecond=0) - timedelta(minutes=5)
    _publish(tmp_path / "w.published.duckdb", as_of)
    warehouse = tmp_path / "w.duckdb"
    table = _cli(["funding", "BTC"], warehouse).splitlines()
    assert "Stale: OKX (last data 2h 15m before the as-of, allowed 1h 30m)" in table
    assert not any(line.startswith("WARNING") for line in table)
    report = json.loads(_cli(["funding", "BTC", "--output", "json"], warehouse))
    okx = next(v for v in report["assets"][0]["venues"] if v["exchange"] == "okx")
    assert (okx["stale"], okx["last_data_at"]) == (True, (as_of - LAGS["okx"]).isoformat())
    assert report["assets"][0]["stale"] is False and report["assets"][0]["stale_venues"] == ["okx"]
    csv_rows = _cli(["funding", "BTC", "--output", "csv"], warehouse).splitlines()
    assert csv_rows[0].endswith(",as_of,data_mode,stale,last_data_at,alert")
    stale_column = {row.split(",")[1]: row.split(",")[-3] for row in csv_rows[1:]}
    assert stale_column == {"binance": "false", "bybit": "false", "okx": "true"}


@pytest.mark.parametrize(("minutes", "stale"), [(90, False), (91, True)])
def test_stale_means_strictly_more_than_the_allowed_lag(minutes, stale):
    verdict = venue_freshness(AS_OF - timedelta(minutes=minutes), AS_OF, timedelta(hours=1.5))
    assert (verdict.lag, verdict.stale) == (timedelta(minutes=minutes), stale)
