"""`derivatives_tracker.py options` on the shared scripted market: every view's numbers in the table and the
JSON are checked against the option marts read directly, and max pain once more from the chain itself."""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import UTC, datetime, timedelta

import duckdb
import pytest

from tests.conftest import ROOT
from tests.tracker.cli import run_cli
from tests.tracker.png import assert_chart

pytestmark = pytest.mark.timeout(2700)

VENUE_ORDER = ("deribit", "okx", "bybit")
NAMES = {"deribit": "Deribit", "okx": "OKX", "bybit": "Bybit"}


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


def _latest(con, asset, as_of=None, exchanges=None):
    """exchange -> the newest fct_option_summary row at or before as_of."""
    rows = _rows(con, "select * from marts.fct_option_summary where asset = ? order by observed_at", [asset])
    out = {}
    for r in rows:
        if as_of is not None and r["observed_at"] > as_of:
            continue
        if exchanges and r["exchange"] not in exchanges:
            continue
        out[r["exchange"]] = r
    return out


def _expiries(con, asset, snapshot):
    return _rows(
        con,
        "select * from marts.fct_option_expiries where asset = ? and exchange = ? and observed_at = ? "
        "and expiry_at > observed_at order by expiry_at",
        [asset, snapshot["exchange"], snapshot["observed_at"]],
    )


def _t(text):
    return datetime.fromisoformat(text)


def _pct(x):
    return None if x is None else pytest.approx(x * 100, abs=1e-5)


def _venue_order(exchanges):
    return sorted(exchanges, key=lambda e: (VENUE_ORDER.index(e) if e in VENUE_ORDER else 9, e))


def _line(out, start):
    return next(line for line in out.splitlines() if line.startswith(start))


# ------------------------------------------------------------------------------------------------ overview


def test_overview_numbers_match_the_summary_mart(built, con):
    env, _ = built
    report = _json(["options", "BTC", "ETH", "SOL"], env)
    assert report["report"] == "options" and report["schema_version"] == 1 and report["view"] == "overview"
    assert report["data_mode"] == "simulator"
    assert [a["asset"] for a in report["assets"]] == ["BTC", "ETH", "SOL"]
    for block in report["assets"]:
        mart = _latest(con, block["asset"])
        assert [v["exchange"] for v in block["venues"]] == _venue_order(mart)
        assert block["venues"][0]["exchange"] == "deribit"  # Deribit first
        assert _t(block["as_of"]) == max(r["observed_at"] for r in mart.values())
        assert set(block["venue_last_data_at"]) == set(mart)
        assert isinstance(block["stale"], bool) and isinstance(block["stale_venues"], list)
        for v in block["venues"]:
            m = mart[v["exchange"]]
            assert _t(v["observed_at"]) == m["observed_at"]
            assert v["pcr_oi"] == pytest.approx(m["pcr_oi"], rel=1e-12)
            assert v["pcr_volume"] == pytest.approx(m["pcr_volume"], rel=1e-12)
            assert v["total_oi_usd"] == pytest.approx(m["total_oi_usd"], rel=1e-12)
            assert v["atm_iv_30d_pct"] == _pct(m["atm_iv_30d"])
            assert v["dvol_pct"] == _pct(m["dvol"])
            assert v["iv_rank_pct"] == _pct(m["iv_rank"])
            assert v["iv_percentile_pct"] == _pct(m["iv_percentile"])
            assert v["iv_rank_observations"] == m["iv_rank_observations"]
            assert v["nearest_max_pain_strike"] == m["nearest_max_pain_strike"]
            assert _t(v["nearest_expiry_at"]) == m["nearest_expiry_at"]
            # The card's reading: rank > 80 expensive, < 20 cheap.
            rank = m["iv_rank"]
            expected = None if rank is None else "expensive" if rank > 0.8 else "cheap" if rank < 0.2 else "neutral"
            assert v["iv_signal"] == expected
        # The interpretation speaks of the first venue (Deribit first) that has an IV rank.
        ranked = [v for v in block["venues"] if v["iv_rank_pct"] is not None]
        if ranked:
            assert block["iv_view"]["exchange"] == ranked[0]["exchange"]
            assert block["iv_view"]["iv_signal"] == ranked[0]["iv_signal"]
        else:
            assert block["iv_view"] is None
        assert block["strike_oi"] is None  # only for --expiry or --chart


def test_overview_table_shows_the_same_numbers(built, con):
    env, _ = built
    out = _cli(["options", "BTC"], env, check=True).stdout
    lines = out.splitlines()
    assert lines[0].startswith("SIMULATED DATA")
    assert "BTC OPTIONS OVERVIEW" in out
    assert _line(out, "Exchange").split() == ["Exchange", "PCR", "OI", "PCR", "Vol", "Total", "OI", "ATM", "IV"] + [
        "DVOL",
        "IV",
        "Rank",
        "IV",
        "Pctl",
    ]
    assert sum(1 for line in lines if line.startswith("━")) == 3
    mart = _latest(con, "BTC")
    table_venues = [line.split()[0] for line in lines if line.split() and line.split()[0] in NAMES.values()]
    assert table_venues == [NAMES[e] for e in _venue_order(mart)]
    deribit = mart["deribit"]
    cells = _line(out, "Deribit ").split()
    assert cells[1] == f"{deribit['pcr_oi']:.2f}" and cells[2] == f"{deribit['pcr_volume']:.2f}"
    assert cells[4] == f"{deribit['atm_iv_30d'] * 100:.1f}%"
    if deribit["dvol"] is not None:
        assert cells[5] == f"{deribit['dvol'] * 100:.1f}%"
    if deribit["iv_rank"] is not None:
        assert cells[6] == f"{deribit['iv_rank'] * 100:.1f}%"
        assert _line(out, "IV Rank ").startswith(f"IV Rank {deribit['iv_rank'] * 100:.1f}% (Deribit")
    assert "IV Rank > 80: options expensive, consider selling | < 20: options cheap, consider buying" in out
    nearest = _line(out, "Nearest expiry: ")
    assert f"{deribit['nearest_expiry_at']:%Y-%m-%d %H:%M} UTC" in nearest
    assert f"Deribit ${deribit['nearest_max_pain_strike']:,.0f}" in nearest
    assert _line(out, "Data as of ").startswith("Data as of 2026-11-21")


# ------------------------------------------------------------------------------------------------ --pcr


def test_pcr_per_expiry_and_overall_match_the_marts(built, con):
    env, _ = built
    block = _json(["options", "ETH", "--pcr"], env)["assets"][0]
    mart = _latest(con, "ETH")
    assert [v["exchange"] for v in block["venues"]] == _venue_order(mart)
    calls = puts = 0.0
    for v in block["venues"]:
        snap = mart[v["exchange"]]
        expiries = _expiries(con, "ETH", snap)
        assert [_t(e["expiry_at"]) for e in v["expiries"]] == [e["expiry_at"] for e in expiries]
        for got, want in zip(v["expiries"], expiries, strict=True):
            for key in ("pcr_oi", "pcr_volume", "call_oi_coin", "put_oi_coin", "call_volume_coin", "put_volume_coin"):
                assert got[key] == pytest.approx(want[key], rel=1e-12), key
            # The ratio is what it says: puts over calls.
            assert got["pcr_oi"] == pytest.approx(want["put_oi_coin"] / want["call_oi_coin"], rel=1e-9)
        assert v["overall"]["pcr_oi"] == pytest.approx(snap["pcr_oi"], rel=1e-12)
        assert v["overall"]["pcr_volume"] == pytest.approx(snap["pcr_volume"], rel=1e-12)
        calls += snap["call_oi_coin"]
        puts += snap["put_oi_coin"]
    assert block["combined"]["pcr_oi"] == pytest.approx(puts / calls, rel=1e-9)

    out = _cli(["options", "ETH", "--pcr"], env, check=True).stdout
    assert "ETH PUT/CALL RATIO" in out
    overall_lines = [line for line in out.splitlines() if line.startswith("Overall")]
    assert len(overall_lines) == len(block["venues"])
    first = mart[block["venues"][0]["exchange"]]
    assert overall_lines[0].split()[1:3] == [f"{first['pcr_oi']:.2f}", f"{first['pcr_volume']:.2f}"]
    assert _line(out, "All venues: ").startswith(f"All venues: PCR {puts / calls:.2f} by OI")


# ------------------------------------------------------------------------------------------------ --expiry


def _is_last_friday(d):
    return d.weekday() == 4 and (d + timedelta(days=7)).month != d.month


def _listed(con, asset):
    listed = set()
    for snap in _latest(con, asset).values():
        listed |= {e["expiry_at"] for e in _expiries(con, asset, snap)}
    return sorted(listed)


def _expected_expiry(con, asset, word):
    rules = {
        "friday": lambda d: d.weekday() == 4,
        "month": _is_last_friday,
        "quarter": lambda d: _is_last_friday(d) and d.month in (3, 6, 9, 12),
    }
    return next(t for t in _listed(con, asset) if rules[word](t.astimezone(UTC).date()))


def _max_pain(strikes):
    """Independently: the listed strike minimising the payout to holders (ties to the lower strike)."""

    def payout(k):
        return sum(
            s["call_oi_coin"] * max(0.0, k - s["strike"]) + s["put_oi_coin"] * max(0.0, s["strike"] - k)
            for s in strikes
        )

    return min((round(payout(s["strike"]), 6), s["strike"]) for s in strikes)[1]


@pytest.mark.parametrize("word", ["friday", "month", "quarter", "date"])
def test_expiry_detail_matches_the_expiry_mart(built, con, word):
    env, _ = built
    if word == "date":
        listed = _listed(con, "BTC")
        expected = listed[min(2, len(listed) - 1)]
        arg = f"{expected:%Y-%m-%d}"
    else:
        expected = _expected_expiry(con, "BTC", word)
        arg = word
    report = _json(["options", "BTC", "--expiry", arg], env)
    assert report["view"] == "expiry" and report["expiry_requested"] == arg
    block = report["assets"][0]
    assert _t(block["expiry_at"]) == expected
    assert block["expiry_rule"] == word
    assert [_t(t) for t in block["listed_expiries"]] == _listed(con, "BTC")
    mart = _latest(con, "BTC")
    listing = []
    for exchange in _venue_order(mart):
        rows = [e for e in _expiries(con, "BTC", mart[exchange]) if e["expiry_at"] == expected]
        if rows:
            listing.append((exchange, rows[0]))
    assert [v["exchange"] for v in block["venues"]] == [e for e, _ in listing]
    assert block["not_listed_on"] == [e for e in _venue_order(mart) if e not in dict(listing)]
    for v, (_, m) in zip(block["venues"], listing, strict=True):
        assert v["max_pain_strike"] == m["max_pain_strike"]
        assert v["underlying_price"] == pytest.approx(m["underlying_price"], rel=1e-12)
        assert v["max_pain_distance_pct"] == pytest.approx(
            (m["max_pain_strike"] / m["underlying_price"] - 1) * 100, abs=1e-5
        )
        assert v["pcr_oi"] == pytest.approx(m["pcr_oi"], rel=1e-12)
        assert v["pcr_volume"] == pytest.approx(m["pcr_volume"], rel=1e-12)
        assert v["atm_iv_pct"] == _pct(m["atm_iv"])
        assert v["skew_25d_pct"] == _pct(m["skew_25d"])
        assert v["call_oi_coin"] == pytest.approx(m["call_oi_coin"], rel=1e-12)
        assert v["put_oi_coin"] == pytest.approx(m["put_oi_coin"], rel=1e-12)
    # Open interest by strike, read from the chain: it adds up to the mart's totals, and max pain recomputed
    # from it with the SPEC's formula is the mart's max pain.
    strike_oi = block["strike_oi"]
    first = dict(listing)[strike_oi["exchange"]]
    assert strike_oi["exchange"] == listing[0][0] and _t(strike_oi["expiry_at"]) == expected
    assert sum(s["call_oi_coin"] for s in strike_oi["strikes"]) == pytest.approx(first["call_oi_coin"], rel=1e-9)
    assert sum(s["put_oi_coin"] for s in strike_oi["strikes"]) == pytest.approx(first["put_oi_coin"], rel=1e-9)
    assert len(strike_oi["strikes"]) == first["strike_count"]
    assert _max_pain(strike_oi["strikes"]) == first["max_pain_strike"]

    out = _cli(["options", "BTC", "--expiry", arg], env, check=True).stdout
    assert f"BTC OPTIONS EXPIRY {expected:%Y-%m-%d %H:%M} UTC" in out
    header = _line(out, "    ").split()
    assert header == [NAMES[e] for e, _ in listing]
    assert _line(out, "Max pain  ").split()[2:] == [f"${m['max_pain_strike']:,.0f}" for _, m in listing]
    assert _line(out, "PCR (OI)").split()[2:] == [f"{m['pcr_oi']:.2f}" for _, m in listing]
    m0 = listing[0][1]
    distance = (m0["max_pain_strike"] / m0["underlying_price"] - 1) * 100
    assert f"{abs(distance):.2f}% {'below' if distance < 0 else 'above'} the underlying" in out


def test_expiry_words_follow_the_calendar(built, con):
    """friday is a Friday; month the last Friday of its month; quarter the last Friday of Mar/Jun/Sep/Dec."""
    env, _ = built
    days = {}
    for word in ("friday", "month", "quarter"):
        days[word] = _t(_json(["options", "BTC", "--expiry", word], env)["assets"][0]["expiry_at"]).date()
    assert days["friday"].weekday() == 4
    assert _is_last_friday(days["month"]) and days["month"] >= days["friday"]
    assert _is_last_friday(days["quarter"]) and days["quarter"].month in (3, 6, 9, 12)
    assert days["quarter"] >= days["month"]


def test_an_unlisted_or_malformed_expiry(built, con):
    env, _ = built
    listed = _listed(con, "BTC")
    missing = (listed[0] - timedelta(days=1)).date()  # the day before the first expiry: not listed
    proc = _cli(["options", "BTC", "--expiry", missing.isoformat()], env)
    assert proc.returncode == 4 and proc.stderr.startswith("ERR_NO_DATA: ")
    assert f"listed expiries: {listed[0]:%Y-%m-%d}" in proc.stderr
    for bad in ("2026-13-01", "next-week", "31/01/2027"):
        proc = _cli(["options", "BTC", "--expiry", bad], env)
        assert proc.returncode == 2 and proc.stderr.startswith("ERR_BAD_ARGUMENT: "), bad
        assert "Traceback" not in proc.stderr


# ------------------------------------------------------------------------------------------------ --flow


def test_flow_lists_the_window_s_trades_from_the_flow_mart(built, con):
    env, _ = built
    report = _json(["options", "BTC", "--flow", "--limit", "15"], env)
    assert report["view"] == "flow" and report["flow_window_hours"] == 24
    block = report["assets"][0]
    newest = con.execute("select max(traded_at) from marts.fct_option_flow where asset = 'BTC'").fetchone()[0]
    assert _t(block["window_end"]) == newest and _t(block["as_of"]) == newest
    start = newest - timedelta(hours=24)
    window = _rows(
        con,
        "select * from marts.fct_option_flow where asset = 'BTC' and traded_at > ? and traded_at <= ? "
        "order by traded_at desc, exchange, instrument",
        [start, newest],
    )
    s = block["summary"]
    assert s["trades"] == len(window)
    assert s["block_trades"] == sum(1 for t in window if t["is_block"])
    assert s["notional_usd"] == pytest.approx(sum(t["notional_usd"] for t in window), rel=1e-9)
    assert s["buy_notional_usd"] == pytest.approx(
        sum(t["notional_usd"] for t in window if t["side"] == "buy"), rel=1e-9
    )
    assert len(block["trades"]) == min(15, len(window))
    for got, want in zip(block["trades"], window, strict=False):
        assert _t(got["traded_at"]) == want["traded_at"]
        assert got["instrument"] == want["instrument"] and got["side"] == want["side"]
        assert got["notional_usd"] == pytest.approx(want["notional_usd"], rel=1e-12)
        assert got["premium_usd"] == pytest.approx(want["premium_usd"], rel=1e-12)
        assert got["iv_pct"] == _pct(want["iv"])
        assert got["flow_label"] == want["flow_label"]

    out = _cli(["options", "BTC", "--flow", "--limit", "15"], env, check=True).stdout
    assert "BTC OPTIONS FLOW: large and block trades, 24h" in out
    assert _line(out, "Time (UTC)").split()[:4] == ["Time", "(UTC)", "Venue", "Instrument"]
    top = window[0]
    row = _line(out, f"{top['traded_at']:%m-%d %H:%M}").split()
    assert top["instrument"] in row and top["flow_label"] in row
    assert _line(out, f"{len(window):,} trades (")


def test_flow_min_notional_filters_and_as_of_moves_the_window(built, con):
    env, _ = built
    floor = 2_000_000
    newest = con.execute("select max(traded_at) from marts.fct_option_flow where asset = 'BTC'").fetchone()[0]
    as_of = newest - timedelta(hours=6)
    report = _json(
        ["options", "BTC", "--flow", "--min-notional", "2m", "--as-of", as_of.isoformat(), "--limit", "500"], env
    )
    assert report["flow_min_notional_usd"] == floor
    block = report["assets"][0]
    assert _t(block["window_end"]) == as_of and _t(block["window_start"]) == as_of - timedelta(hours=24)
    count = con.execute(
        "select count(*) from marts.fct_option_flow where asset = 'BTC' and traded_at > ? and traded_at <= ? "
        "and notional_usd >= ?",
        [as_of - timedelta(hours=24), as_of, floor],
    ).fetchone()[0]
    assert block["summary"]["trades"] == count
    assert all(t["notional_usd"] >= floor for t in block["trades"])
    assert all(_t(t["traded_at"]) <= as_of for t in block["trades"])
    assert len(block["trades"]) == min(500, count)


# ------------------------------------------------------------------------------------------------ --as-of, --exchange


def test_as_of_reads_the_snapshot_standing_then(built, con):
    env, _ = built
    times = [
        r[0]
        for r in con.execute(
            "select distinct observed_at from marts.fct_option_summary where asset = 'BTC' and exchange = 'deribit' "
            "order by 1"
        ).fetchall()
    ]
    first = con.execute("select min(observed_at) from marts.fct_option_summary where asset = 'BTC'").fetchone()[0]
    # Before the first chain snapshot there is nothing to show: ERR_NO_DATA naming the view and the time.
    proc = _cli(["options", "BTC", "--as-of", (first - timedelta(minutes=1)).isoformat()], env)
    assert proc.returncode == 4
    assert proc.stderr.startswith("ERR_NO_DATA: no option chains for BTC at or before ")
    assert "make demo" in proc.stderr
    # At each snapshot time (the newest two), Deribit's row is that snapshot's.
    for t in times[-2:]:
        report = _json(["options", "BTC", "--as-of", t.isoformat()], env)
        assert report["as_of_requested"] is not None and report["venue_problems"] == []
        deribit = next(v for v in report["assets"][0]["venues"] if v["exchange"] == "deribit")
        assert _t(deribit["observed_at"]) == t
        mart = _latest(con, "BTC", as_of=t)
        assert deribit["pcr_oi"] == pytest.approx(mart["deribit"]["pcr_oi"], rel=1e-12)
        assert {v["exchange"] for v in report["assets"][0]["venues"]} == set(mart)
    out = _cli(["options", "BTC", "--as-of", times[-1].isoformat()], env, check=True).stdout
    assert "POINT-IN-TIME VIEW as of " in out


def test_exchange_filter(built, con):
    env, _ = built
    block = _json(["options", "BTC", "--exchange", "okx"], env)["assets"][0]
    assert [v["exchange"] for v in block["venues"]] == ["okx"]
    assert block["venues"][0]["pcr_oi"] == pytest.approx(_latest(con, "BTC")["okx"]["pcr_oi"], rel=1e-12)
    out = _cli(["options", "BTC", "--exchange", "okx"], env, check=True).stdout
    assert "Venues: OKX only" in out and "Deribit" not in out
    # A venue that lists no options of an asset: ERR_NO_DATA, not an empty table.
    venues_with_sol = set(_latest(con, "SOL"))
    missing = next((v for v in ("okx", "bybit", "deribit") if v not in venues_with_sol), "binance")
    proc = _cli(["options", "SOL", "--exchange", missing], env)
    assert proc.returncode == 4 and proc.stderr.startswith(f"ERR_NO_DATA: no option chains for SOL on {missing}")


# ------------------------------------------------------------------------------------------------ csv, chart, errors


def test_csv_columns(built, con):
    env, _ = built
    out = _cli(["options", "BTC", "--output", "csv"], env, check=True).stdout.splitlines()
    assert out[0].startswith("asset,exchange,observed_at,pcr_oi,pcr_volume,total_oi_usd,atm_iv_30d_pct,dvol_pct")
    assert out[0].endswith(",nearest_expiry_at,nearest_max_pain_strike,stale")
    assert out[1].startswith("BTC,deribit,")
    assert len(out) == 1 + len(_latest(con, "BTC"))
    pcr = _cli(["options", "BTC", "--pcr", "--output", "csv"], env, check=True).stdout.splitlines()
    assert pcr[0] == (
        "asset,exchange,observed_at,expiry_at,days_to_expiry,pcr_oi,pcr_volume,call_oi_coin,put_oi_coin,"
        "call_volume_coin,put_volume_coin"
    )
    assert sum(1 for line in pcr if ",overall," in line) == len(_latest(con, "BTC"))
    expiry = _cli(["options", "BTC", "--expiry", "friday", "--output", "csv"], env, check=True).stdout.splitlines()
    assert expiry[0].startswith("asset,exchange,observed_at,expiry_at,days_to_expiry,underlying_price,max_pain_strike")
    flow = _cli(["options", "BTC", "--flow", "--limit", "3", "--output", "csv"], env, check=True).stdout.splitlines()
    assert flow[0].startswith("asset,traded_at,exchange,instrument,") and len(flow) == 4


def test_chart_of_open_interest_by_strike(built, tmp_path):
    env, _ = built
    path = tmp_path / "options.png"
    proc = _cli(["options", "BTC", "ETH", "--chart", str(path)], env, check=True)
    assert f"chart written to {path}" in proc.stderr
    assert_chart(path)
    quarterly = tmp_path / "quarter.png"
    report = json.loads(
        _cli(["options", "BTC", "--expiry", "quarter", "--chart", str(quarterly), "--output", "json"], env, True).stdout
    )
    assert_chart(quarterly)
    assert report["assets"][0]["strike_oi"]["expiry_at"] == report["assets"][0]["expiry_at"]


@pytest.mark.parametrize(
    ("args", "code", "exit_code", "fragment"),
    [
        (["options", "BTX"], "ERR_SYMBOL_INVALID", 3, "did you mean BTC?"),
        (["options", "BTCUSDT"], "ERR_SYMBOL_INVALID", 3, "use the asset name"),
        (["options"], "ERR_BAD_ARGUMENT", 2, "hint:"),
        (["options", "BTC", "--pcr", "--flow"], "ERR_BAD_ARGUMENT", 2, "not allowed with"),
        (["options", "BTC", "--limit", "5"], "ERR_BAD_ARGUMENT", 2, "go with --flow"),
        (["options", "BTC", "--flow", "--min-notional", "lots"], "ERR_BAD_ARGUMENT", 2, "not an amount"),
        (["options", "BTC", "--flow", "--limit", "0"], "ERR_BAD_ARGUMENT", 2, "out of range"),
        (["options", "BTC", "--chart", "x.jpg"], "ERR_BAD_ARGUMENT", 2, ".png"),
    ],
)
def test_errors_are_one_line_with_a_hint(built, args, code, exit_code, fragment):
    env, _ = built
    proc = _cli(args, env)
    assert proc.returncode == exit_code
    assert proc.stderr.startswith(f"{code}: ")
    assert fragment in proc.stderr
    assert "Traceback" not in proc.stderr + proc.stdout


def test_the_command_line_stays_light(built):
    env, _ = built
    probe = (
        "import sys, io, contextlib; sys.modules.setdefault('pandas', None); from tracker.cli import main\n"
        "for argv in (['options', 'BTC'], ['options', 'BTC', '--pcr'], ['options', 'BTC', '--expiry', 'friday'],"
        " ['options', 'BTC', '--flow']):\n"
        "    with contextlib.redirect_stdout(io.StringIO()): assert main(argv) == 0\n"
        "heavy = {'pandas', 'polars', 'numpy', 'dagster', 'dbt', 'great_expectations', 'matplotlib'}\n"
        "print(sorted({m.split('.')[0] for m in sys.modules if sys.modules[m] is not None} & heavy))"
    )
    out = subprocess.run([sys.executable, "-c", probe], cwd=ROOT, env=env, capture_output=True, text=True, check=True)
    assert out.stdout.strip().splitlines()[-1] == "[]"
