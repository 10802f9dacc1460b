"""`derivatives_tracker.py basis` on the shared scripted market: spot-perp basis, the futures term structure and
the carry opportunities in the table and the JSON, checked against the basis marts read directly."""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import datetime, timedelta

import duckdb
import pytest

from tests.conftest import ROOT
from tests.tracker.cli import run_cli

pytestmark = pytest.mark.timeout(2700)

VENUES = ("binance", "bybit", "okx", "deribit", "bitmex", "dydx", "gmx", "drift")
NAMES = {"binance": "Binance", "bybit": "Bybit", "okx": "OKX", "deribit": "Deribit", "bitmex": "BitMEX"}


def _cli(args, env, check=False):
    return run_cli(args, env, check)


def _json(args, env) -> dict:
    return json.loads(_cli([*args, "--output", "json"], env, check=True).stdout)


@pytest.fixture(scope="module")
def built(episode_market):
    env, published, _ = episode_market
    return env, published


@pytest.fixture(scope="module")
def con(built):
    connection = duckdb.connect(str(built[1]), read_only=True)
    yield connection
    connection.close()


def _rows(con, sql, params=()):
    cur = con.execute(sql, list(params))
    cols = [d[0] for d in cur.description]
    return [dict(zip(cols, r, strict=True)) for r in cur.fetchall()]


def _term(con, asset):
    return {
        (r["exchange"], r["instrument"]): r
        for r in _rows(con, "select * from marts.fct_basis_term_structure where asset = ?", [asset])
    }


def _t(text):
    return datetime.fromisoformat(text)


def _pct(x):
    return None if x is None else pytest.approx(x * 100, abs=1e-5)


def _line(out, start):
    return next(line for line in out.splitlines() if line.startswith(start))


def _venue_key(exchange):
    return VENUES.index(exchange) if exchange in VENUES else len(VENUES)


def test_spot_perp_basis_matches_the_term_structure_mart(built, con):
    env, _ = built
    report = _json(["basis", "BTC"], env)
    assert report["report"] == "basis" and report["schema_version"] == 1 and report["view"] == "spot_perp"
    assert report["data_mode"] == "simulator" and report["min_yield_pct"] == 5.0
    block = report["assets"][0]
    mart = _term(con, "BTC")
    perps = {k: r for k, r in mart.items() if r["contract_type"] == "perpetual"}
    assert {(p["exchange"], p["instrument"]) for p in block["perpetuals"]} == set(perps)
    assert [_venue_key(p["exchange"]) for p in block["perpetuals"]] == sorted(
        _venue_key(p["exchange"]) for p in block["perpetuals"]
    )
    for p in block["perpetuals"]:
        m = perps[(p["exchange"], p["instrument"])]
        assert p["mark_price"] == m["mark_price"] and p["spot_price"] == m["spot_price"]
        assert p["basis_pct"] == _pct(m["basis"])
        # The spot-perp basis is (perp mark - spot) / spot.
        assert p["basis_pct"] == pytest.approx((m["mark_price"] - m["spot_price"]) / m["spot_price"] * 100, abs=1e-5)
        assert p["funding_apr_pct"] == _pct(m["funding_apr"])
        assert p["funding_apr_source"] == "open_period"
        assert _t(p["observed_at"]) == m["observed_at"]
    assert _t(block["as_of"]) == max(r["observed_at"] for r in mart.values())
    mean = sum(r["basis"] for r in perps.values()) / len(perps)
    assert block["perp_structure"] == ("contango" if mean > 0 else "backwardation")

    out = _cli(["basis", "BTC"], env, check=True).stdout
    assert out.splitlines()[0].startswith("SIMULATED DATA")
    assert "BTC SPOT-PERP BASIS" in out
    assert _line(out, "Exchange").split() == [
        "Exchange",
        "Perpetual",
        "Perp",
        "Mark",
        "Spot",
        "Basis",
        "Funding",
        "APR",
    ]
    for (exchange, instrument), m in perps.items():
        row = next(line for line in out.splitlines() if line.split()[:2] == [NAMES[exchange], instrument])
        cells = row.split()
        assert cells[2] == f"{m['mark_price']:,.2f}" and cells[3] == f"{m['spot_price']:,.2f}"
        assert cells[4] == f"{m['basis'] * 100:+.4f}%"
        if m["funding_apr"] is not None:
            assert cells[5] == f"{m['funding_apr'] * 100:+.2f}%"
    word = "backwardation" if mean < 0 else "contango"
    assert word in _line(out, "Mean basis: ")
    assert "Positive basis: futures > spot (contango, normal)" in out
    assert _line(out, "Data as of ").startswith("Data as of 2026-11-21")


def test_quarterly_term_structure(built, con):
    env, _ = built
    block = _json(["basis", "ETH", "--quarterly"], env)["assets"][0]
    mart = _term(con, "ETH")
    assert len(block["term_structure"]) == len(mart)
    # Per venue: the perpetual first (the shortest point), then the dated futures by expiry.
    by_venue = {}
    for p in block["term_structure"]:
        by_venue.setdefault(p["exchange"], []).append(p)
    for points in by_venue.values():
        kinds = [p["contract_type"] for p in points]
        assert kinds == sorted(kinds, key=lambda k: k != "perpetual")
        days = [p["days_to_expiry"] for p in points]
        assert days == sorted(days)
    for p in block["term_structure"]:
        m = mart[(p["exchange"], p["instrument"])]
        assert p["basis_pct"] == _pct(m["basis"])
        assert p["annualised_yield_pct"] == _pct(m["annualised_yield"])
        assert p["yield_kind"] == m["yield_kind"]
        if p["contract_type"] == "future":
            # Dated futures: F / S - 1 and basis x 365 / days.
            assert p["basis_pct"] == pytest.approx((m["mark_price"] / m["spot_price"] - 1) * 100, abs=1e-5)
            assert p["annualised_yield_pct"] == pytest.approx(
                (m["mark_price"] / m["spot_price"] - 1) * 365 / m["days_to_expiry"] * 100, abs=1e-5
            )
            assert _t(p["expiry_at"]) == m["expiry_at"]
        else:
            assert p["days_to_expiry"] == 0 and p["yield_kind"] == "funding_apr"

    out = _cli(["basis", "ETH", "--quarterly"], env, check=True).stdout
    assert "ETH FUTURES TERM STRUCTURE (perpetual = shortest point)" in out
    futures = [m for m in mart.values() if m["contract_type"] == "future"]
    for m in futures:
        row = next(line for line in out.splitlines() if line.split()[:2] == [NAMES[m["exchange"]], m["instrument"]])
        cells = row.split()
        assert cells[2] == f"{m['expiry_at']:%Y-%m-%d}"
        assert cells[4] == f"{m['basis'] * 100:+.3f}%" and cells[5] == f"{m['annualised_yield'] * 100:+.2f}%"
    if futures:
        best = max(futures, key=lambda m: m["annualised_yield"])
        line = _line(out, "Best cash-and-carry: ")
        assert f"{best['annualised_yield'] * 100:+.2f}%" in line
        assert "Cash-and-carry: buy spot + sell futures when the basis is high" in out


def test_all_opportunities_are_the_carry_mart_ranked(built, con):
    env, _ = built
    report = _json(["basis", "--all"], env)
    assert report["view"] == "opportunities" and report["min_yield_pct"] == 5.0
    mart_assets = [
        r[0] for r in con.execute("select distinct asset from marts.fct_basis_term_structure order by 1").fetchall()
    ]
    assert [a["asset"] for a in report["assets"]] == mart_assets
    carry = _rows(con, "select * from marts.fct_carry_opportunities order by asset, opportunity_rank")
    got = [(a["asset"], o) for a in report["assets"] for o in a["opportunities"]]
    assert len(got) == len(carry)
    mine = {(asset, o["exchange"], o["instrument"]): o for asset, o in got}
    for c in carry:
        o = mine[(c["asset"], c["exchange"], c["instrument"])]
        assert o["annualised_yield_pct"] == _pct(c["annualised_yield"])
        assert o["carry_kind"] == c["carry_kind"] and o["trade"] == c["trade"]
        assert o["rank"] == c["opportunity_rank"]
        assert o["basis_pct"] == _pct(c["basis"])

    out = _cli(["basis", "--all"], env, check=True).stdout
    assert "BASIS OPPORTUNITIES (annualised yield >= 5.00%)" in out
    ranked = sorted(carry, key=lambda c: (-c["annualised_yield"], c["asset"], c["exchange"], c["instrument"]))
    rows = [c for c in (line.split() for line in out.splitlines()) if len(c) == 8 and c[0].isdigit()]
    assert [int(r[0]) for r in rows] == list(range(1, len(carry) + 1))
    assert [(r[1], r[3]) for r in rows] == [(c["asset"], c["instrument"]) for c in ranked]
    assert [r[-1] for r in rows] == [f"{c['annualised_yield'] * 100:+.2f}%" for c in ranked]
    assert "Cash-and-carry: buy spot + sell the future" in out
    for asset in mart_assets:
        assert _line(out, f"{asset}: Data as of ")


def test_min_yield_filters_the_opportunities(built, con):
    env, _ = built
    report = _json(["basis", "BTC", "ETH", "--all", "--min-yield", "10"], env)
    assert report["min_yield_pct"] == 10.0
    for block in report["assets"]:
        want = {
            (r["exchange"], r["instrument"])
            for r in _term(con, block["asset"]).values()
            if r["annualised_yield"] is not None and r["annualised_yield"] >= 0.10
        }
        assert {(o["exchange"], o["instrument"]) for o in block["opportunities"]} == want
        yields = [o["annualised_yield_pct"] for o in block["opportunities"]]
        assert yields == sorted(yields, reverse=True)
    # --min-yield alone selects the opportunities view too; "%" is allowed.
    assert _json(["basis", "BTC", "--min-yield", "7.5%"], env)["view"] == "opportunities"
    csv = _cli(["basis", "BTC", "--all", "--min-yield", "10", "--output", "csv"], env, check=True).stdout.splitlines()
    assert csv[0].startswith("rank,asset,carry_kind,exchange,instrument,contract_type,expiry_at,days_to_expiry")
    assert len(csv) == 1 + len(report["assets"][0]["opportunities"])


@pytest.mark.parametrize(
    ("args", "fragment"),
    [
        (["basis", "--min-yield", "lots"], "is not a number"),
        (["basis", "--min-yield", "1e9"], "out of range"),
        (["basis", "--min-yield", "nan"], "out of range"),
        (["basis", "BTC", "--quarterly", "--min-yield", "5"], "not the term structure"),
        (["basis", "BTC", "--quarterly", "--all"], "not allowed with"),
    ],
)
def test_bad_arguments(built, args, fragment):
    env, _ = built
    proc = _cli(args, env)
    assert proc.returncode == 2 and proc.stderr.startswith("ERR_BAD_ARGUMENT: ")
    assert fragment in proc.stderr and "Traceback" not in proc.stderr + proc.stdout


def test_unknown_asset_and_missing_data(built, con):
    env, _ = built
    proc = _cli(["basis", "BTX"], env)
    assert (
        proc.returncode == 3 and proc.stderr.startswith("ERR_SYMBOL_INVALID: ") and "did you mean BTC?" in proc.stderr
    )
    first = con.execute("select min(observed_at) from marts.fct_basis").fetchone()[0]
    proc = _cli(["basis", "BTC", "--as-of", (first - timedelta(minutes=1)).isoformat()], env)
    assert proc.returncode == 4 and proc.stderr.startswith("ERR_NO_DATA: no futures basis quotes for BTC at or before")


def test_no_asset_means_every_asset(built, con):
    env, _ = built
    report = _json(["basis"], env)
    assets = [
        r[0] for r in con.execute("select distinct asset from marts.fct_basis_term_structure order by 1").fetchall()
    ]
    assert [a["asset"] for a in report["assets"]] == assets
    out = _cli(["basis"], env, check=True).stdout
    for asset in assets:
        assert f"{asset} SPOT-PERP BASIS" in out


def test_as_of_rebuilds_the_curve_from_the_basis_history(built, con):
    env, _ = built
    newest = con.execute("select max(observed_at) from marts.fct_basis where asset = 'BTC'").fetchone()[0]
    as_of = newest
    report = _json(["basis", "BTC", "--quarterly", "--as-of", as_of.isoformat()], env)
    assert report["as_of_requested"] is not None
    block = report["assets"][0]
    mart = _term(con, "BTC")
    # At the newest hour the history gives the current term structure's points and numbers.
    assert {(p["exchange"], p["instrument"]) for p in block["term_structure"]} == set(mart)
    for p in block["term_structure"]:
        m = mart[(p["exchange"], p["instrument"])]
        assert p["basis_pct"] == _pct(m["basis"]) and p["mark_price"] == m["mark_price"]
        assert _t(p["observed_at"]) == m["observed_at"]
        if p["contract_type"] == "future":
            assert p["annualised_yield_pct"] == _pct(m["annualised_yield"])
    # The perpetuals' funding then is the rate in force that hour (fct_funding_hourly, primary perpetuals).
    for p in block["perpetuals"]:
        hour = _t(p["observed_at"]).replace(minute=0, second=0, microsecond=0)
        row = con.execute(
            "select funding_apr from marts.fct_funding_hourly where asset = 'BTC' and exchange = ? and instrument = ? "
            "and hour_at = ?",
            [p["exchange"], p["instrument"], hour],
        ).fetchone()
        if row is None:
            assert p["funding_apr_pct"] is None and p["funding_apr_source"] is None
        else:
            assert p["funding_apr_pct"] == _pct(row[0]) and p["funding_apr_source"] == "in_force_hour"
    out = _cli(["basis", "BTC", "--as-of", as_of.isoformat()], env, check=True).stdout
    assert "POINT-IN-TIME VIEW as of " in out and "BTC SPOT-PERP BASIS" in out
    # A dated future that had expired by the as-of is not on the curve.
    assert all(_t(p["expiry_at"]) > as_of for p in block["term_structure"] if p["expiry_at"])


def test_exchange_filter_and_csv(built, con):
    env, _ = built
    block = _json(["basis", "BTC", "--quarterly", "--exchange", "deribit"], env)["assets"][0]
    assert {p["exchange"] for p in block["term_structure"]} == {"deribit"}
    assert len(block["term_structure"]) == sum(1 for k in _term(con, "BTC") if k[0] == "deribit")
    out = _cli(["basis", "BTC", "--exchange", "deribit"], env, check=True).stdout
    assert "Venues: Deribit only" in out and "Binance" not in out
    csv = _cli(["basis", "BTC", "--output", "csv"], env, check=True).stdout.splitlines()
    assert csv[0] == (
        "asset,exchange,instrument,contract_type,expiry_at,days_to_expiry,observed_at,mark_price,spot_price,"
        "spot_source,basis_pct,annualised_yield_pct,yield_kind,funding_apr_pct,funding_apr_source,stale"
    )
    perps = [r for r in _term(con, "BTC").values() if r["contract_type"] == "perpetual"]
    assert len(csv) == 1 + len(perps) and all(line.startswith("BTC,") for line in csv[1:])
    quarterly = _cli(["basis", "BTC", "--quarterly", "--output", "csv"], env, check=True).stdout.splitlines()
    assert len(quarterly) == 1 + len(_term(con, "BTC"))


def test_the_command_line_stays_light(built):
    env, _ = built
    probe = (
        "import sys, io, contextlib; sys.modules.setdefault('pandas', None); from tracker.cli import main\n"
        "for argv in (['basis'], ['basis', 'BTC', '--quarterly'], ['basis', '--all']):\n"
        "    with contextlib.redirect_stdout(io.StringIO()): assert main(argv) == 0\n"
        "heavy = {'pandas', 'polars', 'numpy', 'dagster', 'dbt', 'great_expectations', 'matplotlib'}\n"
        "print(sorted({m.split('.')[0] for m in sys.modules if sys.modules[m] is not None} & heavy))"
    )
    out = subprocess.run([sys.executable, "-c", probe], cwd=ROOT, env=env, capture_output=True, text=True, check=True)
    assert out.stdout.strip().splitlines()[-1] == "[]"
