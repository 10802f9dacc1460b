"""End to end: `derivatives_tracker.py oi` on the scripted-market warehouse (tests/conftest.py episode_market);
the numbers of the table, JSON and CSV outputs are checked against the open-interest marts read directly."""

import csv
import io
import json
import subprocess
import sys
from datetime import datetime, timedelta

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


def _pct1(fraction):
    return "n/a" if fraction is None else f"{fraction * 100:+.1f}%"


@pytest.fixture(scope="module")
def built(episode_market):
    env, published, episodes = episode_market
    con = duckdb.connect(str(published), read_only=True)
    yield env, con, episodes
    con.close()


def _signals(con, asset, hour=None):
    sql = "select * from marts.fct_open_interest_signals where asset = ?"
    params = [asset]
    if hour is not None:
        sql += " and hour_at <= ?"
        params.append(hour)
    # The report's hour: the newest with a price close (the scripted market's snapshot-only venues are stamped
    # with the wall clock, hours after the others: such an hour has no candles, hence no price).
    cur = con.execute(sql + " order by (price_close is not null) desc, hour_at desc limit 1", params)
    return dict(zip([d[0] for d in cur.description], cur.fetchone(), strict=True))


def _venue_rows(con, asset, hour):
    """Each venue's newest row at or before `hour` (within 7 days), from the mart."""
    cur = con.execute(
        "select * from marts.fct_open_interest_hourly where asset = ? and hour_at <= ? and hour_at >= ? "
        "qualify row_number() over (partition by exchange order by hour_at desc) = 1",
        [asset, hour, hour - timedelta(days=7)],
    )
    cols = [d[0] for d in cur.description]
    return {r[1]: dict(zip(cols, r, strict=True)) for r in cur.fetchall()}


def _check_default(report_block, con, asset, hour, exchanges=None):
    sig = _signals(con, asset, hour)
    assert datetime.fromisoformat(report_block["hour_at"]) == sig["hour_at"]
    assert report_block["total"]["scope"] == "all_venues"
    assert report_block["total"]["oi_usd"] == pytest.approx(sig["total_oi_usd"], rel=1e-12)
    assert report_block["total"]["oi_change_24h_pct"] == pytest.approx(sig["oi_change_24h"] * 100, abs=1e-6)
    assert report_block["price_close"] == pytest.approx(sig["price_close"])
    rows = _venue_rows(con, asset, sig["hour_at"])
    if exchanges:
        rows = {ex: r for ex, r in rows.items() if ex in exchanges}
    assert [v["exchange"] for v in report_block["venues"]] == sorted(rows, key=lambda ex: -rows[ex]["oi_usd"])
    for v in report_block["venues"]:
        r = rows[v["exchange"]]
        assert datetime.fromisoformat(v["hour_at"]) == r["hour_at"]
        assert v["oi_usd"] == pytest.approx(r["oi_usd"], rel=1e-12)
        assert v["share_pct"] == pytest.approx(r["share_of_asset_oi"] * 100, abs=1e-6)
        for key in ("oi_change_24h", "oi_change_7d"):
            if r[key] is None:
                assert v[f"{key}_pct"] is None
            else:
                assert v[f"{key}_pct"] == pytest.approx(r[key] * 100, abs=1e-6)
    # Long/short: OI-weighted long share of the venues offering an account ratio.
    offering = [r for r in rows.values() if r["long_share"] is not None]
    if offering:
        share = sum(r["long_share"] * r["oi_usd"] for r in offering) / sum(r["oi_usd"] for r in offering)
        assert report_block["long_short"]["long_share_pct"] == pytest.approx(share * 100, abs=1e-6)
        assert report_block["long_short"]["ratio"] == pytest.approx(share / (1 - share), abs=1e-6)
    return sig, rows


def test_default_report_layout_and_numbers(built):
    env, con, _ = built
    out = _cli(["oi", "BTC"], env).stdout
    lines = out.splitlines()
    assert lines[0].startswith("SIMULATED DATA")
    assert "BTC OPEN INTEREST ANALYSIS" in lines
    header = next(line for line in lines if line.startswith("Exchange"))
    assert header.split() == ["Exchange", "OI", "(USD)", "24h", "Chg", "7d", "Chg", "Share"]
    assert sum(1 for line in lines if line.startswith("━")) == 3

    report = _json(["oi", "BTC"], env)
    assert report["report"] == "oi" and report["schema_version"] == 1 and report["data_mode"] == "simulator"
    block = report["assets"][0]
    newest = con.execute("select max(hour_at) from marts.fct_open_interest_signals where asset = 'BTC'").fetchone()[0]
    sig, rows = _check_default(block, con, "BTC", newest)
    assert {"binance", "bybit", "okx"} <= set(rows)
    assert block["as_of"] and set(block["stale_venues"]) == {v["exchange"] for v in block["venues"] if v["stale"]}

    # The table prints the same numbers.
    for v in block["venues"]:
        r = rows[v["exchange"]]
        name = {"okx": "OKX", "bitmex": "BitMEX", "dydx": "dYdX", "gmx": "GMX"}.get(
            v["exchange"], v["exchange"].title()
        )
        line = next(line for line in lines if line.startswith(name + " "))
        cells = line.split()
        assert cells[1] == usd(r["oi_usd"])
        assert cells[2] == _pct1(r["oi_change_24h"])
        assert cells[3] == _pct1(r["oi_change_7d"])
        assert cells[4] == f"{r['share_of_asset_oi'] * 100:.1f}%"
    assert f"Total OI: {usd(sig['total_oi_usd'])} ({_pct1(sig['oi_change_24h'])} 24h)" in lines
    ls = block["long_short"]
    assert f"Long/Short Ratio: {ls['ratio']:.2f} ({ls['long_share_pct']:.1f}% long)" in lines
    quadrant = next(line for line in lines if line.startswith("Price/OI: "))
    labels = {
        "new_longs": "Rising OI + Rising Price",
        "short_covering": "Falling OI + Rising Price",
        "new_shorts": "Rising OI + Falling Price",
        "long_capitulation": "Falling OI + Falling Price",
    }
    assert block["quadrant"]["key"] == sig["quadrant"]
    if sig["quadrant"]:
        assert labels[sig["quadrant"]] in quadrant
    assert any(line.startswith("Data as of ") for line in lines)


def test_quadrant_readings_follow_the_mart(built):
    """Every quadrant the mart holds for BTC reads as the skill card's interpretation at that hour."""
    env, con, _ = built
    readings = {
        "new_longs": "Strong bullish trend",
        "short_covering": "Short covering rally",
        "new_shorts": "Strong bearish trend",
        "long_capitulation": "Long liquidations",
    }
    hours = con.execute(
        "select quadrant, max(hour_at) from marts.fct_open_interest_signals where asset = 'BTC' "
        "and quadrant is not null group by quadrant"
    ).fetchall()
    assert len(hours) >= 3
    for quadrant, hour in hours:
        block = _json(["oi", "BTC", "--as-of", hour.isoformat()], env)["assets"][0]
        assert block["quadrant"]["key"] == quadrant
        assert block["quadrant"]["interpretation"].startswith(readings[quadrant])


def test_as_of_gives_that_hours_numbers(built):
    env, con, _ = built
    newest = con.execute("select max(hour_at) from marts.fct_open_interest_signals where asset = 'ETH'").fetchone()[0]
    earlier = newest - timedelta(days=6, hours=5)
    report = _json(["oi", "ETH", "--as-of", (earlier + timedelta(minutes=30)).isoformat()], env)
    assert report["as_of_requested"] is not None
    block = report["assets"][0]
    assert datetime.fromisoformat(block["hour_at"]) == earlier
    assert block["stale"] is False
    sig, _ = _check_default(block, con, "ETH", earlier)
    out = _cli(["oi", "ETH", "--as-of", earlier.isoformat()], env).stdout
    assert "POINT-IN-TIME VIEW" in out
    assert f"Total OI: {usd(sig['total_oi_usd'])} ({_pct1(sig['oi_change_24h'])} 24h)" in out


def test_changes_view(built):
    env, con, _ = built
    report = _json(["oi", "SOL", "--changes"], env)
    assert report["views"] == ["changes"]
    block = report["assets"][0]
    sig = _signals(con, "SOL")
    c = block["changes"]
    for key in ("oi_change_24h", "oi_change_48h", "oi_change_72h", "oi_change_7d"):
        assert c[f"{key}_pct"] == pytest.approx(sig[key] * 100, abs=1e-6)
    assert c["spike_flag"] is sig["spike_flag"]
    # Per venue 48h/72h: chained from the mart's like-for-like 24 h changes at the venue's hour, 24 h and 48 h
    # before it.
    for v in block["venues"]:
        hour = datetime.fromisoformat(v["hour_at"])
        steps = [
            con.execute(
                "select oi_change_24h from marts.fct_open_interest_hourly "
                "where asset = 'SOL' and exchange = ? and hour_at = ?",
                [v["exchange"], hour - timedelta(hours=24 * k)],
            ).fetchone()
            for k in range(3)
        ]
        for days in (2, 3):
            got = v[f"oi_change_{days * 24}h_pct"]
            if any(step is None or step[0] is None for step in steps[:days]):
                assert got is None
            else:
                want = 1.0
                for step in steps[:days]:
                    want *= 1 + step[0]
                assert got == pytest.approx((want - 1) * 100, abs=1e-6)
    assert any(v["oi_change_48h_pct"] is not None for v in block["venues"])
    out = _cli(["oi", "SOL", "--changes"], env).stdout
    lines = out.splitlines()
    assert "SOL OPEN INTEREST CHANGES" in lines and "SOL OPEN INTEREST ANALYSIS" not in lines
    total = next(line for line in lines if line.startswith("All venues")).split()
    assert total[2:7] == [
        usd(sig["total_oi_usd"]),
        _pct1(sig["oi_change_24h"]),
        _pct1(sig["oi_change_48h"]),
        _pct1(sig["oi_change_72h"]),
        _pct1(sig["oi_change_7d"]),
    ]
    assert any(line.startswith(f"OI spike: {'YES' if sig['spike_flag'] else 'no'} ") for line in lines)


def test_spike_hour_is_flagged(built):
    env, con, _ = built
    row = con.execute(
        "select asset, hour_at, oi_change_24h from marts.fct_open_interest_signals where spike_flag "
        "order by oi_change_24h desc limit 1"
    ).fetchone()
    assert row is not None, "the scripted market has no OI spike"
    asset, hour, change = row
    out = _cli(["oi", asset, "--changes", "--as-of", hour.isoformat()], env).stdout
    assert f"OI spike: YES (24h {_pct1(change)};" in out
    assert next(line for line in out.splitlines() if line.startswith("All venues")).endswith("SPIKE")


def test_divergence_view_at_the_divergence_episode(built):
    env, con, _ = built
    # The longest divergence streak of the ETH oi_price_divergence episode.
    hour, hours = con.execute(
        "select hour_at, divergence_hours from marts.fct_open_interest_signals where asset = 'ETH' "
        "order by divergence_hours desc, hour_at limit 1"
    ).fetchone()
    assert hours >= 24
    report = _json(["oi", "ETH", "--divergence", "--as-of", hour.isoformat()], env)
    assert report["views"] == ["divergence"]
    d = report["assets"][0]["divergence"]
    sig = _signals(con, "ETH", hour)
    assert d["diverging"] is True
    assert d["ratio"] == pytest.approx(sig["divergence_ratio"], abs=1e-9)
    assert d["class"] == sig["divergence_class"]
    assert d["hours"] == sig["divergence_hours"] == hours
    assert d["sustained"] is sig["divergence_sustained"]
    assert d["price_change_24h_pct"] == pytest.approx(sig["price_change_24h"] * 100, abs=1e-6)
    assert d["oi_change_24h_pct"] == pytest.approx(sig["oi_change_24h"] * 100, abs=1e-6)
    out = _cli(["oi", "ETH", "--divergence", "--as-of", hour.isoformat()], env).stdout
    assert "ETH OI vs PRICE DIVERGENCE (24h, all venues)" in out
    assert f"Divergence ratio: {sig['divergence_ratio']:.2f} ({sig['divergence_class'] or 'below signal'})" in out
    assert f"diverging for {hours}h" in out
    assert f"Price: {price_text(sig['price_close'])} " in out
    reading = next(line for line in out.splitlines() if line.startswith("Reading: "))
    assert ("Price rising on falling OI" if sig["price_change_24h"] > 0 else "Price falling on rising OI") in reading
    # A sustained divergence (SPEC: 3 days, OI down 8 %) is reported where the mart has one.
    sustained = con.execute(
        "select asset, hour_at from marts.fct_open_interest_signals where divergence_sustained limit 1"
    ).fetchone()
    if sustained:
        block = _json(["oi", sustained[0], "--divergence", "--as-of", sustained[1].isoformat()], env)["assets"][0]
        assert block["divergence"]["sustained"] is True
        assert "SUSTAINED" in block["divergence"]["interpretation"]


def test_exchange_filter_shows_those_venues_and_labels_the_all_venue_total(built):
    env, con, _ = built
    report = _json(["oi", "BTC", "--exchange", "okx,binance"], env)
    assert report["exchanges"] == ["okx", "binance"]
    block = report["assets"][0]
    assert {v["exchange"] for v in block["venues"]} == {"okx", "binance"}
    newest = con.execute("select max(hour_at) from marts.fct_open_interest_signals where asset = 'BTC'").fetchone()[0]
    sig, rows = _check_default(block, con, "BTC", newest, exchanges={"okx", "binance"})
    shown = sum(r["oi_usd"] for r in rows.values())
    assert block["shown"]["oi_usd"] == pytest.approx(shown, rel=1e-12)
    assert block["shown"]["share_of_total_pct"] == pytest.approx(shown / sig["total_oi_usd"] * 100, abs=1e-6)
    assert set(block["stale_venues"]) <= {"okx", "binance"}
    out = _cli(["oi", "BTC", "--exchange", "okx", "--exchange", "binance"], env).stdout
    assert "Venues: OKX, Binance only" in out
    assert f"Total OI (all venues): {usd(sig['total_oi_usd'])}" in out
    assert f"Shown venues: {usd(shown)} (" in out
    assert not any(line.startswith("Bybit ") for line in out.splitlines())


def test_csv_outputs(built):
    env, con, _ = built
    rows = list(csv.reader(io.StringIO(_cli(["oi", "BTC", "ETH", "--output", "csv"], env).stdout)))
    assert rows[0] == [
        "asset",
        "hour_at",
        "exchange",
        "oi_usd",
        "oi_change_24h_pct",
        "oi_change_7d_pct",
        "share_pct",
        "long_short_ratio",
        "long_share_pct",
        "stale",
    ]
    for asset in ("BTC", "ETH"):
        sig = _signals(con, asset)
        total = next(r for r in rows[1:] if r[0] == asset and r[2] == "all")
        assert float(total[3]) == pytest.approx(sig["total_oi_usd"], rel=1e-9)
        assert float(total[4]) == pytest.approx(sig["oi_change_24h"] * 100, abs=1e-6)
        venues = _venue_rows(con, asset, sig["hour_at"])
        for r in (r for r in rows[1:] if r[0] == asset and r[2] != "all"):
            assert float(r[3]) == pytest.approx(venues[r[2]]["oi_usd"], rel=1e-9)
            assert float(r[6]) == pytest.approx(venues[r[2]]["share_of_asset_oi"] * 100, abs=1e-6)

    changes = list(csv.reader(io.StringIO(_cli(["oi", "SOL", "--changes", "--output", "csv"], env).stdout)))
    assert changes[0][:8] == [
        "asset",
        "hour_at",
        "exchange",
        "oi_usd",
        "oi_change_24h_pct",
        "oi_change_48h_pct",
        "oi_change_72h_pct",
        "oi_change_7d_pct",
    ]
    sig = _signals(con, "SOL")
    assert changes[1][2] == "all"
    assert float(changes[1][5]) == pytest.approx(sig["oi_change_48h"] * 100, abs=1e-6)
    assert float(changes[1][6]) == pytest.approx(sig["oi_change_72h"] * 100, abs=1e-6)

    div = list(csv.reader(io.StringIO(_cli(["oi", "ETH", "--divergence", "--output", "csv"], env).stdout)))
    assert div[0][:4] == ["asset", "hour_at", "price_close", "price_change_24h_pct"]
    assert len(div) == 2 and int(div[1][div[0].index("divergence_hours")]) == _signals(con, "ETH")["divergence_hours"]


def test_chart(built, tmp_path):
    env, _, _ = built
    path = tmp_path / "oi.png"
    proc = _cli(["oi", "BTC", "ETH", "--chart", str(path)], env)
    assert "chart written to" in proc.stderr
    assert_chart(path)
    path2 = tmp_path / "oi_okx.png"
    _cli(["oi", "SOL", "--exchange", "okx", "--as-of", "2026-11-10", "--chart", str(path2), "--output", "json"], env)
    assert_chart(path2)


@pytest.mark.parametrize(
    ("args", "code", "exit_code", "fragment"),
    [
        (["oi", "DOGE"], "ERR_SYMBOL_INVALID", 3, "known assets"),
        (["oi", "BTX"], "ERR_SYMBOL_INVALID", 3, "did you mean BTC?"),
        (["oi", "BTC", "--as-of", "2025-01-01"], "ERR_NO_DATA", 4, "no open interest for BTC"),
        (["oi", "BTC", "--changes", "--divergence", "--output", "csv"], "ERR_BAD_ARGUMENT", 2, "one view"),
        (["oi", "BTC", "--min-size", "5"], "ERR_BAD_ARGUMENT", 2, "hint:"),
    ],
)
def test_errors(built, args, code, exit_code, fragment):
    env, _, _ = built
    proc = _cli(args, env, check=False)
    assert proc.returncode == exit_code
    assert proc.stderr.startswith(f"{code}: ") and fragment in proc.stderr
    assert "Traceback" not in proc.stderr and proc.stdout == ""


def test_no_heavy_imports(built):
    env, _, _ = built
    probe = (
        "import sys, io, contextlib; sys.modules.setdefault('pandas', None); from tracker.cli import main\n"
        "with contextlib.redirect_stdout(io.StringIO()): main(['oi', 'BTC', '--changes', '--divergence'])\n"
        "heavy = {'pandas', 'numpy', 'polars', 'matplotlib', 'dagster', 'dbt', 'great_expectations'}\n"
        "print(sorted({k.split('.')[0] for k, v in sys.modules.items() if v is not None} & heavy))"
    )
    out = subprocess.run([sys.executable, "-c", probe], cwd=ROOT, env=env, capture_output=True, text=True, check=True)
    assert out.stdout.strip().splitlines()[-1] == "[]"


@pytest.fixture(scope="module")
def stale_okx(built, tmp_path_factory):
    """A small published warehouse copied from the scripted market (BTC), with OKX's last 3 hours removed."""
    env, con, _ = built
    published = con.execute("select path from duckdb_databases() where not internal").fetchone()[0]
    work = tmp_path_factory.mktemp("oi_stale") / "w.duckdb"
    out = duckdb.connect(str(work.with_name("w.published.duckdb")))
    out.execute(f"attach '{published}' as src (read_only)")
    out.execute("create schema marts")
    for table in ("fct_open_interest_signals", "fct_open_interest_hourly"):
        out.execute(f"create table marts.{table} as select * from src.marts.{table} where asset = 'BTC'")
    out.execute("create table marts.fct_source_freshness as select * from src.marts.fct_source_freshness")
    hour = _signals(con, "BTC")["hour_at"]
    out.execute(
        "delete from marts.fct_open_interest_hourly where exchange = 'okx' and hour_at > ?", [hour - timedelta(hours=3)]
    )
    out.close()
    return {**env, "DW_WAREHOUSE_PATH": str(work)}, hour


def test_a_lagging_venue_is_flagged_stale(stale_okx):
    env, hour = stale_okx
    block = _json(["oi", "BTC"], env)["assets"][0]
    assert block["stale_venues"] == ["okx"]
    okx = next(v for v in block["venues"] if v["exchange"] == "okx")
    assert okx["stale"] is True and datetime.fromisoformat(okx["hour_at"]) == hour - timedelta(hours=3)
    assert datetime.fromisoformat(block["as_of"]) == hour
    out = _cli(["oi", "BTC"], env).stdout
    assert (
        next(line for line in out.splitlines() if line.startswith("OKX "))
        .rstrip()
        .endswith(f"STALE (last {(hour - timedelta(hours=3)):%m-%d %H:%M})")
    )
    assert "Stale: OKX (last data 3h 00m before the as-of" in out
