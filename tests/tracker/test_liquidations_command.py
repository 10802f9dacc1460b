"""End to end: `derivatives_tracker.py liquidations` on the scripted-market warehouse (tests/conftest.py
episode_market); levels, 24 h totals, hit rate and events are checked against the liquidation marts."""

import csv
import io
import json
import subprocess
import sys
from datetime import timedelta

import duckdb
import pytest

from tests.conftest import ROOT
from tests.tracker.cli import run_cli
from tests.tracker.png import assert_chart
from tracker.render import price_text, usd

pytestmark = pytest.mark.timeout(2700)


def _cli(args, env, check=True):
    return run_cli(args, env, check)


def _json(args, env) -> dict:
    return json.loads(_cli([*args, "--output", "json"], env).stdout)


@pytest.fixture(scope="module")
def built(episode_market):
    env, published, episodes = episode_market
    con = duckdb.connect(str(published), read_only=True)
    yield env, con, episodes
    con.close()


def _dicts(con, sql, params):
    cur = con.execute(sql, params)
    cols = [d[0] for d in cur.description]
    return [dict(zip(cols, r, strict=True)) for r in cur.fetchall()]


def _levels_hour(con, asset, as_of=None):
    sql = "select max(hour_at) from marts.fct_liquidation_levels where asset = ?"
    return con.execute(sql + (" and hour_at <= ?" if as_of else ""), [asset, as_of] if as_of else [asset]).fetchone()[0]


def _check_levels(block, con, asset, hour, per_side=5):
    assert block["levels_hour_at"] == hour.isoformat()
    assert block["levels_are_estimates"] is True and block["levels_scope"] == "all_venues"
    buckets = _dicts(
        con,
        "select * from marts.fct_liquidation_levels where asset = ? and hour_at = ? and density_rank <= ?",
        [asset, hour, per_side],
    )
    close = buckets[0]["close"]
    assert block["price"] == pytest.approx(close)
    for side, key in (("long", "long_levels"), ("short", "short_levels")):
        want = sorted(
            (b for b in buckets if b["side"] == side), key=lambda b: b["bucket_price"], reverse=side == "long"
        )
        got = block[key]
        assert len(got) == len(want) <= per_side
        for g, w in zip(got, want, strict=True):
            edge = w["bucket_price_high"] if side == "long" else w["bucket_price"]
            assert g["level_price"] == pytest.approx(edge)
            assert (g["level_price"] < close) if side == "long" else (g["level_price"] > close)
            assert g["estimated_usd"] == pytest.approx(w["estimated_usd"], rel=1e-12)
            assert g["density_rank"] == w["density_rank"] and g["density_label"] == w["density_label"]
    return buckets


def _summary(con, asset, hour):
    return _dicts(con, "select * from marts.fct_liquidation_summary where asset = ? and hour_at = ?", [asset, hour])[0]


def test_default_report_layout_and_numbers(built):
    env, con, _ = built
    out = _cli(["liquidations", "BTC"], env).stdout
    lines = out.splitlines()
    assert lines[0].startswith("SIMULATED DATA")
    assert "BTC LIQUIDATION LEVELS (ESTIMATED)" in lines
    assert "LONG LIQUIDATIONS (below):" in lines and "SHORT LIQUIDATIONS (above):" in lines
    assert lines.index("LONG LIQUIDATIONS (below):") < lines.index("SHORT LIQUIDATIONS (above):")
    assert any("Levels are ESTIMATES" in line for line in lines)

    report = _json(["liquidations", "BTC"], env)
    assert report["report"] == "liquidations" and report["schema_version"] == 1
    assert report["views"] == ["levels"] and report["levels_per_side"] == 5
    block = report["assets"][0]
    hour = _levels_hour(con, "BTC")
    buckets = _check_levels(block, con, "BTC", hour)
    assert f"Current Price: {price_text(buckets[0]['close'])}  (close of the " in out
    # Every level is printed with its price, a bar, its USD and its label.
    for lv in block["long_levels"] + block["short_levels"]:
        line = next(line for line in lines if line.strip().startswith(price_text(lv["level_price"]) + " "))
        assert "█" in line and usd(lv["estimated_usd"]) in line
        if lv["density_label"]:
            assert line.endswith(f"({lv['density_label']})")
    assert any("(CRITICAL)" in line for line in lines) or not any(
        lv["density_label"] == "CRITICAL" for lv in block["long_levels"] + block["short_levels"]
    )
    # The 24 h totals are the summary mart's.
    s = _summary(con, "BTC", hour)
    assert block["summary_24h"]["long_usd"] == pytest.approx(s["long_usd_24h"])
    assert block["summary_24h"]["short_usd"] == pytest.approx(s["short_usd_24h"])
    assert f"24h Liquidations: Longs {usd(s['long_usd_24h'])} | Shorts {usd(s['short_usd_24h'])}" in lines
    # The measured hit rate: the 30 complete days before the levels' day.
    end = hour.date() - timedelta(days=1)
    hits = con.execute(
        "select sum(events_with_levels), sum(level_hits), sum(dense_level_hits) from marts.fct_liquidation_level_hits "
        "where asset = 'BTC' and event_date between ? and ?",
        [end - timedelta(days=29), end],
    ).fetchone()
    if hits[0]:
        assert block["hit_rate"]["hit_rate_pct"] == pytest.approx(hits[1] / hits[0] * 100, abs=1e-6)
        assert block["hit_rate"]["dense_hit_rate_pct"] == pytest.approx(hits[2] / hits[0] * 100, abs=1e-6)
        assert f"{hits[1] / hits[0] * 100:.1f}% of {hits[0]} liquidations hit an estimated level" in out
    assert any(line.startswith("Data as of ") for line in lines)


def test_long_squeeze_names_the_dense_long_level_below_price(built):
    """In the BTC long-squeeze episode the report shows the dense long level the scenario fired on."""
    env, con, _ = built
    row = con.execute(
        "select hour_at, nearest_dense_long_price, close from marts.fct_confluence_scenarios "
        "where asset = 'BTC' and scenario_id = 1 and nearest_dense_long_price is not null "
        "order by hour_at limit 1"
    ).fetchone()
    assert row is not None, "the long squeeze episode did not fire for BTC"
    hour, dense_price, close = row
    report = _json(["liquidations", "BTC", "--as-of", hour.isoformat()], env)
    block = report["assets"][0]
    assert block["levels_hour_at"] == hour.isoformat()
    _check_levels(block, con, "BTC", hour)
    dense = [lv for lv in block["long_levels"] if lv["level_price"] == pytest.approx(dense_price)]
    assert dense and dense[0]["density_label"] in ("HIGH DENSITY", "CRITICAL")
    assert dense[0]["level_price"] < close
    out = _cli(["liquidations", "BTC", "--as-of", hour.isoformat()], env).stdout
    lines = out.splitlines()
    long_part = lines[lines.index("LONG LIQUIDATIONS (below):") : lines.index("SHORT LIQUIDATIONS (above):")]
    line = next(line for line in long_part if line.strip().startswith(price_text(dense_price) + " "))
    assert line.endswith(f"({dense[0]['density_label']})")
    assert block["nearest_dense_long"]["level_price"] == pytest.approx(dense_price)
    assert f"Nearest dense levels: long {price_text(dense_price)} (" in out
    # With one level per side the nearest dense level is still named.
    out = _cli(["liquidations", "BTC", "--as-of", hour.isoformat(), "--levels", "1"], env).stdout
    assert f"Nearest dense levels: long {price_text(dense_price)} (" in out


def test_as_of_gives_that_hours_levels(built):
    env, con, _ = built
    newest = _levels_hour(con, "SOL")
    earlier = newest - timedelta(days=5, hours=7)
    report = _json(["liquidations", "SOL", "--as-of", (earlier + timedelta(minutes=20)).isoformat()], env)
    block = report["assets"][0]
    _check_levels(block, con, "SOL", earlier)
    s = _summary(con, "SOL", earlier)
    assert block["summary_24h"]["long_usd"] == pytest.approx(s["long_usd_24h"])
    assert block["summary_24h"]["short_usd"] == pytest.approx(s["short_usd_24h"])
    assert block["stale"] is False


def test_recent_events_and_min_size(built):
    env, con, _ = built
    # The hour with the most liquidated USD over its trailing 24 h: a busy window.
    asset, hour = con.execute(
        "select asset, hour_at from marts.fct_liquidation_summary order by total_usd_24h desc limit 1"
    ).fetchone()
    args = ["liquidations", asset, "--recent", "--as-of", hour.isoformat(), "--limit", "1000"]
    report = _json(args, env)
    assert report["views"] == ["levels", "events"]
    block = report["assets"][0]
    assert block["levels_hour_at"] == hour.isoformat()
    events = _dicts(
        con,
        "select * from marts.fct_liquidation_events where asset = ? and hour_at between ? and ? "
        "order by liquidated_at desc",
        [asset, hour - timedelta(hours=23), hour],
    )
    e = block["events"]
    assert e["count"] == len(events) > 0
    assert [x["size_usd"] for x in e["items"]] == pytest.approx([x["size_usd"] for x in events])
    # The events of the window add up to the summary's 24 h totals.
    s = _summary(con, asset, hour)
    assert e["long_usd"] == pytest.approx(s["long_usd_24h"], rel=1e-9)
    assert e["short_usd"] == pytest.approx(s["short_usd_24h"], rel=1e-9)
    assert e["largest"]["size_usd"] == pytest.approx(max(x["size_usd"] for x in events))

    sizes = sorted(x["size_usd"] for x in events)
    threshold = sizes[len(sizes) // 2]
    report = _json(["liquidations", asset, "--min-size", str(threshold), "--as-of", hour.isoformat()], env)
    e = report["assets"][0]["events"]
    assert report["min_size_usd"] == pytest.approx(threshold)
    assert e["count"] == sum(1 for x in events if x["size_usd"] >= threshold)
    assert all(x["size_usd"] >= threshold for x in e["items"]) and len(e["items"]) <= 20
    out = _cli(["liquidations", asset, "--min-size", str(threshold), "--as-of", hour.isoformat()], env).stdout
    assert f"{asset} RECENT LIQUIDATIONS (" in out and f">= {usd(threshold)}" in out
    assert f"{e['count']} events" in out
    newest = e["items"][0]
    assert any(
        usd(newest["size_usd"]) in line and newest["side"].upper() in line and price_text(newest["price"]) in line
        for line in out.splitlines()
    )


def test_exchange_filters_events_and_totals_levels_stay_all_venue(built):
    env, con, _ = built
    asset, hour = con.execute(
        "select asset, hour_at from marts.fct_liquidation_summary order by total_usd_24h desc limit 1"
    ).fetchone()
    venue = con.execute(
        "select exchange from marts.fct_liquidation_events where asset = ? and hour_at between ? and ? "
        "group by exchange order by count(*) desc limit 1",
        [asset, hour - timedelta(hours=23), hour],
    ).fetchone()[0]
    report = _json(["liquidations", asset, "--recent", "--exchange", venue, "--as-of", hour.isoformat()], env)
    block = report["assets"][0]
    _check_levels(block, con, asset, hour)  # the levels do not depend on the venue
    long_usd, short_usd = con.execute(
        "select sum(long_usd), sum(short_usd) from marts.fct_liquidations_hourly "
        "where asset = ? and exchange = ? and hour_at between ? and ?",
        [asset, venue, hour - timedelta(hours=23), hour],
    ).fetchone()
    s = block["summary_24h"]
    assert s["scope"] == "shown_venues" and s["cascade_scope"] == "all_venues"
    assert s["long_usd"] == pytest.approx(long_usd) and s["short_usd"] == pytest.approx(short_usd)
    assert {x["exchange"] for x in block["events"]["items"]} == {venue}
    out = _cli(["liquidations", asset, "--exchange", venue, "--as-of", hour.isoformat()], env).stdout
    assert f"24h Liquidations (shown venues): Longs {usd(long_usd)} | Shorts {usd(short_usd)}" in out
    assert "Levels are ESTIMATES (all venues, not only the shown ones)" in out


def test_csv_outputs(built):
    env, con, _ = built
    rows = list(csv.reader(io.StringIO(_cli(["liquidations", "ETH", "--output", "csv"], env).stdout)))
    assert rows[0] == [
        "asset",
        "levels_hour_at",
        "price",
        "side",
        "level_price",
        "bucket_price_low",
        "bucket_price_high",
        "estimated_usd",
        "distance_pct",
        "density_rank",
        "density_label",
    ]
    hour = _levels_hour(con, "ETH")
    want = {
        (b["side"], round(b["bucket_price"], 6)): b
        for b in _dicts(
            con,
            "select * from marts.fct_liquidation_levels where asset = 'ETH' and hour_at = ? and density_rank <= 5",
            [hour],
        )
    }
    assert len(rows) - 1 == len(want)
    for r in rows[1:]:
        b = want[(r[3], round(float(r[5]), 6))]
        assert float(r[7]) == pytest.approx(b["estimated_usd"], rel=1e-9)
        assert r[10] == (b["density_label"] or "")
        assert float(r[8]) == pytest.approx((float(r[4]) / b["close"] - 1) * 100, abs=1e-5)
    events = list(csv.reader(io.StringIO(_cli(["liquidations", "ETH", "--recent", "--output", "csv"], env).stdout)))
    assert events[0] == ["asset", "liquidated_at", "exchange", "instrument", "side", "price", "size_usd"]
    assert all(r[0] == "ETH" and r[4] in ("long", "short") for r in events[1:])


def test_chart(built, tmp_path):
    env, _, _ = built
    path = tmp_path / "liq.png"
    proc = _cli(["liquidations", "BTC", "SOL", "--chart", str(path)], env)
    assert "chart written to" in proc.stderr
    assert_chart(path)


@pytest.mark.parametrize(
    ("args", "code", "exit_code", "fragment"),
    [
        (["liquidations", "BTC", "--min-size", "-1"], "ERR_BAD_ARGUMENT", 2, "non-negative"),
        (["liquidations", "BTC", "--min-size", "abc"], "ERR_BAD_ARGUMENT", 2, "non-negative"),
        (["liquidations", "BTC", "--min-size", "nan"], "ERR_BAD_ARGUMENT", 2, "non-negative"),
        (["liquidations", "BTC", "--min-size", "inf"], "ERR_BAD_ARGUMENT", 2, "non-negative"),
        (["liquidations", "BTC", "--levels", "0"], "ERR_BAD_ARGUMENT", 2, "--levels"),
        (["liquidations", "DOGE"], "ERR_SYMBOL_INVALID", 3, "known assets"),
        (["liquidations", "BTC", "--as-of", "2025-01-01"], "ERR_NO_DATA", 4, "liquidation levels for BTC"),
    ],
)
def test_errors(built, args, code, exit_code, fragment):
    env, _, _ = built
    proc = _cli(args, env, check=False)
    assert proc.returncode == exit_code
    assert proc.stderr.startswith(f"{code}: ") and fragment in proc.stderr
    assert "Traceback" not in proc.stderr and proc.stdout == ""


def test_min_size_accepts_suffixes(built):
    env, _, _ = built
    assert _json(["liquidations", "BTC", "--min-size", "100k"], env)["min_size_usd"] == 100_000
    assert _json(["liquidations", "BTC", "--min-size", "2.5M"], env)["min_size_usd"] == 2_500_000


def test_no_heavy_imports(built):
    env, _, _ = built
    probe = (
        "import sys, io, contextlib; sys.modules.setdefault('pandas', None); from tracker.cli import main\n"
        "with contextlib.redirect_stdout(io.StringIO()): main(['liquidations', 'BTC', '--recent'])\n"
        "heavy = {'pandas', 'numpy', 'polars', 'matplotlib', 'dagster', 'dbt', 'great_expectations'}\n"
        "print(sorted({k.split('.')[0] for k, v in sys.modules.items() if v is not None} & heavy))"
    )
    out = subprocess.run([sys.executable, "-c", probe], cwd=ROOT, env=env, capture_output=True, text=True, check=True)
    assert out.stdout.strip().splitlines()[-1] == "[]"


@pytest.fixture(scope="module")
def stale_okx(built, tmp_path_factory):
    """A small published warehouse copied from the scripted market (BTC, last 3 days), OKX's OI (the levels'
    input) 3 hours behind the levels."""
    env, con, _ = built
    published = con.execute("select path from duckdb_databases() where not internal").fetchone()[0]
    hour = _levels_hour(con, "BTC")
    work = tmp_path_factory.mktemp("liq_stale") / "w.duckdb"
    out = duckdb.connect(str(work.with_name("w.published.duckdb")))
    out.execute(f"attach '{published}' as src (read_only)")
    out.execute("create schema marts")
    since = hour - timedelta(days=3)
    for table in (
        "fct_liquidation_levels",
        "fct_liquidation_summary",
        "fct_liquidations_hourly",
        "fct_liquidation_events",
        "fct_open_interest_hourly",
        "fct_open_interest_signals",
    ):
        out.execute(
            f"create table marts.{table} as select * from src.marts.{table} where asset = 'BTC' and hour_at >= ?",
            [since],
        )
    out.execute("create table marts.fct_liquidation_level_hits as select * from src.marts.fct_liquidation_level_hits")
    out.execute("create table marts.fct_source_freshness as select * from src.marts.fct_source_freshness")
    out.execute(
        "delete from marts.fct_open_interest_hourly where exchange = 'okx' and hour_at > ?", [hour - timedelta(hours=3)]
    )
    out.close()
    return {**env, "DW_WAREHOUSE_PATH": str(work)}, hour


def test_a_venue_whose_oi_lags_the_levels_is_flagged_stale(stale_okx):
    env, hour = stale_okx
    report = _json(["liquidations", "BTC", "--exchange", "binance"], env)
    block = report["assets"][0]
    # The levels are all-venue: OKX's lagging OI makes them stale even when only Binance's events are shown.
    assert block["stale_venues"] == ["okx"]
    assert block["as_of"] == block["levels_hour_at"] == hour.isoformat()
    out = _cli(["liquidations", "BTC"], env).stdout
    assert "Stale: OKX (last data 3h 00m before the as-of" in out
    assert f"Data as of {hour:%Y-%m-%d %H:%M} UTC" in out
