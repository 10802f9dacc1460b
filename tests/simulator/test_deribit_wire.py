"""The simulator's Deribit v2 public API, against real recordings and Deribit's documented behaviour."""

import csv
import json
import re
import time
from datetime import datetime

import httpx
import pytest

from tests.conftest import shared_data

NAUTILUS = "nautechsystems__nautilus_trader/crates/adapters/deribit/test_data"
CRYPTOFEED = "bmoscon__cryptofeed/sample_data"
BOTTAMA = "bottama__Deribit-Option-Data/csv_files_initial_30efbf6"
PAST = 1763600000000  # 2025-11-20 00:53 UTC: a quiet stretch well inside the simulated history
HOUR_MS = 3_600_000
EXPIRY = re.compile(r"^[1-9]\d?(JAN|FEB|MAR|APR|MAY|JUN|JUL|AUG|SEP|OCT|NOV|DEC)\d{2}$")


def _get(sim, method, **params):
    return httpx.get(f"{sim.root}/www.deribit.com/api/v2/public/{method}", params=params, timeout=30)


def _result(sim, method, **params):
    r = _get(sim, method, **params)
    assert r.status_code == 200, r.text
    return r.json()["result"]


def _shape(value):
    """Keys, value kinds and nesting of a JSON value (ints and floats are both numbers to a JSON parser)."""
    if isinstance(value, dict):
        return {k: _shape(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_shape(value[0])] if value else []
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, int | float):
        return "number"
    return "null" if value is None else type(value).__name__


def _assert_shape(ours, real, path="", subset=False):
    """Same keys (or the recording's keys a subset of ours), same kinds; null and [] match anything."""
    if real in ("null", []) or ours in ("null", []):
        return
    if isinstance(real, dict):
        assert isinstance(ours, dict), f"{path}: {ours} is not an object"
        missing, extra = set(real) - set(ours), set(ours) - set(real)
        assert not missing, f"{path}: missing {sorted(missing)}"
        assert subset or not extra, f"{path}: unexpected {sorted(extra)}"
        for key in real:
            _assert_shape(ours[key], real[key], f"{path}.{key}", subset)
    elif isinstance(real, list):
        assert isinstance(ours, list), f"{path}: {ours} is not a list"
        _assert_shape(ours[0], real[0], f"{path}[0]", subset)
    else:
        assert ours == real, f"{path}: {ours} != {real}"


def _dotted_keys(record: dict) -> set[str]:
    """Keys as a flattened CSV names them: greeks.delta for {"greeks": {"delta": ...}}."""
    return {f"{k}.{sub}" for k, v in record.items() if isinstance(v, dict) for sub in v} | {
        k for k, v in record.items() if not isinstance(v, dict)
    }


def _cryptofeed_rest(name):
    """Bodies of a cryptofeed REST recording: lines of `URL -> epoch: body`."""
    out = []
    for line in shared_data(f"{CRYPTOFEED}/{name}").read_text().splitlines():
        if " -> " in line:
            url, rest = line.split(" -> ", 1)
            out.append((url, json.loads(rest.split(": ", 1)[1])))
    return out


def _an_option(sim, currency="BTC"):
    """The most traded option of the chain right now (it has quotes on both sides)."""
    rows = _result(sim, "get_book_summary_by_currency", currency=currency, kind="option")
    return max(rows, key=lambda r: (r["bid_price"] is not None, r["volume"]))


# --- shapes against real recordings --------------------------------------------------------------------
def test_envelope_matches_the_recorded_rest_envelope(sim_env):
    _, real = _cryptofeed_rest("DERIBIT.0")[0]
    ours = _get(sim_env, "get_instruments", currency="BTC", kind="future").json()
    assert set(ours) == set(real) == {"jsonrpc", "result", "usIn", "usOut", "usDiff", "testnet"}
    assert ours["jsonrpc"] == "2.0" and ours["testnet"] is False
    assert ours["usDiff"] == ours["usOut"] - ours["usIn"] and ours["usIn"] > 1.7e15  # microseconds


def test_instruments_match_the_recordings(sim_env):
    real = json.loads(shared_data(f"{NAUTILUS}/http_get_instruments.json").read_text())["result"]
    ours = _result(sim_env, "get_instruments", currency="BTC")
    pick = {
        "perpetual": lambda r: r["kind"] == "future" and r["settlement_period"] == "perpetual",
        "dated future": lambda r: r["kind"] == "future" and r["settlement_period"] != "perpetual",
        "option": lambda r: r["kind"] == "option",
    }
    for label, match in pick.items():
        _assert_shape(_shape(next(filter(match, ours))), _shape(next(filter(match, real))), label)
    # The 2021-2022 recordings carry fewer fields (and a retired `rfq` flag): all of theirs are in ours.
    ours_any = _result(sim_env, "get_instruments", currency="any")
    for url, body in _cryptofeed_rest("DERIBIT.0"):
        for kind in ("future", "option"):
            row = next((r for r in body["result"] if r["kind"] == kind), None)
            if row is not None:
                row.pop("rfq", None)
                mine = next(r for r in ours_any if r["kind"] == kind)
                _assert_shape(_shape(mine), _shape(row), f"{url} {kind}", subset=True)


def test_expirations_match_the_recordings(sim_env):
    real_any = json.loads(shared_data(f"{NAUTILUS}/http_get_expirations_any.json").read_text())["result"]
    real_btc = json.loads(shared_data(f"{NAUTILUS}/http_get_expirations_btc_option.json").read_text())["result"]
    ours_any = _result(sim_env, "get_expirations", currency="any", kind="any")
    ours_btc = _result(sim_env, "get_expirations", currency="BTC", kind="option")
    _assert_shape(_shape(ours_any), _shape(real_any))
    _assert_shape(_shape(ours_btc), _shape(real_btc))
    assert ours_any["future"][-1] == "PERPETUAL"
    for codes in (ours_any["option"], ours_any["future"][:-1], ours_btc["btc"]["option"]):
        assert all(EXPIRY.match(c) for c in codes)  # 5JUN26, never 05JUN26
        stamps = [datetime.strptime(c, "%d%b%y") for c in codes]
        assert stamps == sorted(stamps)


def test_perpetual_ticker_matches_the_recording(sim_env):
    real = json.loads(shared_data(f"{NAUTILUS}/ws_ticker.json").read_text())["params"]["data"]
    ours = _result(sim_env, "ticker", instrument_name="BTC-PERPETUAL")
    _assert_shape(_shape(ours), _shape(real))


def test_option_ticker_matches_the_recordings(sim_env):
    recorded = [
        json.loads(line.split(": ", 1)[1])
        for line in shared_data(f"{CRYPTOFEED}/DERIBIT.ws.1.0").read_text().splitlines()
        if '"channel":"ticker.' in line
    ]
    real = next(m["params"]["data"] for m in recorded if m["params"]["data"]["stats"]["volume"] is not None)
    ours = _result(sim_env, "ticker", instrument_name=_an_option(sim_env)["instrument_name"])
    _assert_shape(_shape(ours), _shape(real))
    # The flattened chain (public/get_order_book) has the ticker's fields plus the book's own.
    with shared_data(f"{BOTTAMA}/btc_option_data.csv").open() as f:
        rows = list(csv.DictReader(f))
    book_only = {"change_id", "bids", "asks", "settlement_period"}
    assert set(rows[0]) - book_only == _dotted_keys(ours)
    # Units as Deribit sends them: IV in percent, option prices in BTC.
    real_iv = sorted(float(r["mark_iv"]) for r in rows)[len(rows) // 2]
    assert 20 < real_iv < 300 and 20 < ours["mark_iv"] < 300
    for row in [*rows, ours]:  # in BTC: never worth more than the strike or the index in USD
        strike = float(row["instrument_name"].split("-")[2])
        assert 0 <= float(row["mark_price"]) * float(row["index_price"]) < max(strike, float(row["index_price"]))


def test_trades_match_the_recordings(sim_env):
    real = json.loads(shared_data(f"{NAUTILUS}/http_get_last_trades.json").read_text())["result"]
    page = _result(
        sim_env,
        "get_last_trades_by_instrument_and_time",
        instrument_name="ETH-PERPETUAL",
        start_timestamp=PAST,
        end_timestamp=PAST + HOUR_MS,
        count=50,
        sorting="asc",
    )
    plain = [t for t in page["trades"] if "liquidation" not in t and "block_trade_id" not in t]
    _assert_shape(_shape({**page, "trades": plain}), _shape(real))
    # Option trades against the option legs of a recorded combo trade (less the combo's own fields).
    combo = json.loads(shared_data(f"{NAUTILUS}/http_get_last_trades_option_combo.json").read_text())
    leg = {k: v for k, v in combo["result"]["trades"][0]["legs"][0].items() if not k.startswith("combo")}
    options = _result(
        sim_env,
        "get_last_trades_by_currency_and_time",
        currency="BTC",
        kind="option",
        start_timestamp=PAST,
        end_timestamp=PAST + HOUR_MS,
        count=50,
    )["trades"]
    _assert_shape(_shape(next(t for t in options if "block_trade_id" not in t)), _shape(leg))


# --- units, names and numbers ------------------------------------------------------------------------
def test_book_summary_units_follow_deribit(sim_env):
    futures = {
        r["instrument_name"]: r for r in _result(sim_env, "get_book_summary_by_currency", currency="BTC", kind="future")
    }
    perp = futures.pop("BTC-PERPETUAL")
    assert {"funding_8h", "current_funding"} <= set(perp)
    assert perp["open_interest"] % 10 == 0  # USD, whole 10 USD contracts
    assert 1_000 < perp["open_interest"] / perp["estimated_delivery_price"] < 1_000_000  # in BTC terms
    assert futures and all(re.match(r"^BTC-\d{1,2}[A-Z]{3}\d{2}$", n) for n in futures)
    assert all("funding_8h" not in r and r["open_interest"] % 10 == 0 for r in futures.values())
    sol = _result(sim_env, "get_book_summary_by_currency", currency="USDC", kind="future")
    assert [r["instrument_name"] for r in sol] == ["SOL_USDC-PERPETUAL"]
    assert sol[0]["quote_currency"] == "USDC" and 1e6 < sol[0]["open_interest"] * sol[0]["mark_price"] < 1e10  # SOL

    option = _an_option(sim_env)
    assert option["quote_currency"] == "BTC" and 0 < option["mark_price"] < 1.5  # coin
    assert 5 < option["mark_iv"] < 300  # percent
    assert option["bid_price"] <= option["mid_price"] <= option["ask_price"]
    assert option["underlying_index"].startswith(("BTC-", "SYN.BTC-"))
    ticker = _result(sim_env, "ticker", instrument_name=option["instrument_name"])
    assert ticker["mark_iv"] == pytest.approx(option["mark_iv"], rel=0.02)
    assert ticker["open_interest"] == pytest.approx(option["open_interest"], rel=0.01)  # coin on both


def test_option_greeks_and_quotes(sim_env):
    name = _an_option(sim_env)["instrument_name"]
    t = _result(sim_env, "ticker", instrument_name=name)
    g = t["greeks"]
    assert set(g) == {"delta", "gamma", "vega", "theta", "rho"}
    assert -1 <= g["delta"] <= 1 and g["gamma"] >= 0 and g["vega"] >= 0 and g["theta"] <= 0
    assert (g["rho"] > 0) == name.endswith("-C")
    assert t["bid_iv"] <= t["mark_iv"] <= t["ask_iv"]
    assert t["best_bid_price"] <= t["best_ask_price"]
    instruments = {r["instrument_name"]: r for r in _result(sim_env, "get_instruments", currency="BTC", kind="option")}
    assert instruments[name]["quote_currency"] == "BTC" and instruments[name]["instrument_type"] == "reversed"
    sol_options = _result(sim_env, "get_instruments", currency="USDC", kind="option")
    assert sol_options and all(r["instrument_name"].startswith("SOL_USDC-") for r in sol_options)
    assert any("d" in r["instrument_name"].split("-")[2] for r in sol_options)  # 142d5: d for the decimal point
    assert {r["settlement_currency"] for r in sol_options} == {"USDC"}


def test_expired_instruments_are_recent_and_inactive(sim_env):
    now = _result(sim_env, "get_time")
    rows = _result(sim_env, "get_instruments", currency="BTC", kind="option", expired="true")
    assert rows and all(not r["is_active"] and now - 8 * 86_400_000 < r["expiration_timestamp"] <= now for r in rows)


def test_funding_history_is_hourly_bounded_and_deterministic(sim_env):
    params = {"instrument_name": "BTC-PERPETUAL", "start_timestamp": PAST, "end_timestamp": PAST + 72 * HOUR_MS}
    rows = _result(sim_env, "get_funding_rate_history", **params)
    assert len(rows) == 72 and all(r["timestamp"] % HOUR_MS == 0 for r in rows)
    assert [r["timestamp"] for r in rows] == sorted(r["timestamp"] for r in rows)
    assert all(b["prev_index_price"] == a["index_price"] for a, b in zip(rows, rows[1:], strict=False))
    assert set(rows[0]) == {"timestamp", "index_price", "prev_index_price", "interest_1h", "interest_8h"}
    assert _result(sim_env, "get_funding_rate_history", **params) == rows
    month = _result(
        sim_env,
        "get_funding_rate_history",
        instrument_name="SOL_USDC-PERPETUAL",
        start_timestamp=PAST,
        end_timestamp=PAST + 40 * 24 * HOUR_MS,
    )
    assert len(month) == 744  # at most 31 days a call
    r = _get(sim_env, "get_funding_rate_history", instrument_name="BTC-PERPETUAL", start_timestamp=PAST)
    assert r.status_code == 400 and r.json()["error"]["code"] == -32602
    assert r.json()["error"]["data"]["param"] == "end_timestamp"


def test_index_price_and_dvol(sim_env):
    index = _result(sim_env, "get_index_price", index_name="btc_usd")
    assert set(index) == {"index_price", "estimated_delivery_price"}
    perp = _result(sim_env, "ticker", instrument_name="BTC-PERPETUAL")
    assert index["index_price"] == pytest.approx(perp["index_price"], rel=1e-3)
    dvol = _result(sim_env, "get_index_price", index_name="btcdvol_usdc")["index_price"]
    assert 10 < dvol < 300  # percent, like the options' mark_iv
    r = _get(sim_env, "get_index_price", index_name="btc_eur")
    assert r.status_code == 400 and r.json()["error"]["data"] == {"reason": "wrong format", "param": "index_name"}


def test_volatility_index_pages_backwards_with_continuation(sim_env):
    day = {"currency": "BTC", "start_timestamp": PAST, "end_timestamp": PAST + 24 * HOUR_MS - 1, "resolution": "60"}
    first = _result(sim_env, "get_volatility_index_data", **day)
    assert len(first["data"]) == 1000 and first["continuation"] is not None
    rest = _result(sim_env, "get_volatility_index_data", **{**day, "end_timestamp": first["continuation"]})
    assert len(rest["data"]) == 440 and rest["continuation"] is None
    stamps = [c[0] for c in rest["data"] + first["data"]]
    assert stamps == list(range(stamps[0], stamps[0] + 1440 * 60_000, 60_000))
    for _, o, h, low, c in first["data"]:
        assert low <= min(o, c) <= max(o, c) <= h and 10 < c < 300
    assert _result(sim_env, "get_volatility_index_data", **{**day, "currency": "USDC"}) == {
        "data": [],
        "continuation": None,
    }


def test_historical_volatility_is_hourly_percent(sim_env):
    rows = _result(sim_env, "get_historical_volatility", currency="BTC")
    assert len(rows) == 384
    assert all(isinstance(ts, int) and ts % HOUR_MS == 0 and 5 < v < 300 for ts, v in rows)
    assert [ts for ts, _ in rows] == sorted(ts for ts, _ in rows)


# --- trades: paging, liquidations, blocks -------------------------------------------------------------
def test_trade_pages_cover_the_window_once(sim_env):
    window = {"currency": "BTC", "kind": "future", "start_timestamp": PAST, "end_timestamp": PAST + 2 * HOUR_MS}
    whole = _result(sim_env, "get_last_trades_by_currency_and_time", count=1000, sorting="asc", **window)
    assert not whole["has_more"] and 50 < len(whole["trades"]) < 1000
    paged, start = [], PAST
    while True:
        page = _result(
            sim_env,
            "get_last_trades_by_currency_and_time",
            **{**window, "start_timestamp": start},
            count=40,
            sorting="asc",
        )
        paged += page["trades"]
        if not page["has_more"]:
            break
        start = page["trades"][-1]["timestamp"] + 1
    assert [t["trade_id"] for t in paged] == [t["trade_id"] for t in whole["trades"]]
    newest = _result(sim_env, "get_last_trades_by_currency_and_time", count=5, sorting="desc", **window)
    assert newest["trades"] == whole["trades"][::-1][:5] and newest["has_more"]
    assert _result(sim_env, "get_last_trades_by_currency_and_time", count=1000, sorting="asc", **window) == whole
    for t in whole["trades"]:
        assert t["amount"] == t["contracts"] * 10  # USD amounts in 10 USD contracts (inverse futures)
        assert re.fullmatch(r"\d+", t["trade_id"]) and t["direction"] in ("buy", "sell")
    eth = _result(sim_env, "get_last_trades_by_currency", currency="ETH", kind="future", count=3)
    assert all(t["trade_id"].startswith("ETH-") for t in eth["trades"])
    r = _get(sim_env, "get_last_trades_by_currency_and_time", count=1001, **window)
    assert r.status_code == 400 and r.json()["error"]["data"]["param"] == "count"


def test_option_trades_carry_iv_and_block_legs(sim_env):
    trades = _result(
        sim_env,
        "get_last_trades_by_currency_and_time",
        currency="BTC",
        kind="option",
        start_timestamp=PAST,
        end_timestamp=PAST + 3 * HOUR_MS,
        count=1000,
        sorting="asc",
    )["trades"]
    assert trades and all(re.match(r"^BTC-\d{1,2}[A-Z]{3}\d{2}-\d+-[CP]$", t["instrument_name"]) for t in trades)
    assert all(5 < t["iv"] < 300 and t["price"] < 1.5 for t in trades)  # IV percent, price in BTC
    assert all(abs(t["amount"] * 10 - round(t["amount"] * 10)) < 1e-9 for t in trades)  # 0.1 BTC lots
    blocks: dict[str, list] = {}
    for t in trades:
        if "block_trade_id" in t:
            blocks.setdefault(t["block_trade_id"], []).append(t)
    assert blocks and any(len(legs) == 2 for legs in blocks.values())
    for legs in blocks.values():
        assert all(leg["block_trade_leg_count"] == len(legs) and leg["amount"] >= 25 for leg in legs)
        assert len({leg["timestamp"] for leg in legs}) == 1


def test_liquidations_show_up_as_flagged_trades_in_a_cascade(sim_env):
    episodes = httpx.get(f"{sim_env.root}/_sim/episodes", timeout=10).json()
    squeeze = next(e for e in episodes if e["name"] == "long_squeeze" and e["asset"] == "BTC")
    cascade = next(p for p in squeeze["phases"] if p["name"] == "cascade")
    start, end = (int(datetime.fromisoformat(cascade[k]).timestamp() * 1000) for k in ("start", "end"))
    window = {"currency": "BTC", "kind": "future", "start_timestamp": start, "end_timestamp": end}
    trades = _result(sim_env, "get_last_trades_by_currency_and_time", count=1000, sorting="asc", **window)["trades"]
    flagged = [t for t in trades if "liquidation" in t]
    assert flagged and {t["liquidation"] for t in flagged} <= {"M", "T", "MT"}
    assert all(t["instrument_name"] == "BTC-PERPETUAL" for t in flagged)


# --- errors, limits, faults ---------------------------------------------------------------------------
def _error(response):
    body = response.json()
    assert set(body) == {"jsonrpc", "error", "usIn", "usOut", "usDiff", "testnet"}
    return response.status_code, body["error"]


def test_errors_use_deribit_json_rpc_bodies(sim_env):
    assert _error(_get(sim_env, "ticker", instrument_name="BTC-1JAN20")) == (
        400,
        {"message": "not_found", "code": 13020},
    )
    assert _error(_get(sim_env, "ticker", instrument_name="btc perpetual")) == (
        400,
        {"message": "Invalid params", "data": {"reason": "wrong format", "param": "instrument_name"}, "code": -32602},
    )
    status, error = _error(_get(sim_env, "get_book_summary_by_currency", currency="SOL"))
    assert status == 400 and error["data"]["param"] == "currency"  # SOL settles in USDC on Deribit
    status, error = _error(_get(sim_env, "get_book_summary_by_currency"))
    assert status == 400 and error["code"] == -32602 and error["data"]["param"] == "currency"
    assert _error(_get(sim_env, "get_order_flow")) == (400, {"message": "Method not found", "code": -32601})


def test_out_of_credits_answers_10028_and_closes_the_connection(sim_env):
    sim_env.set_limits({"deribit": {"credit_pool": 1000, "credit_refill_per_s": 400}})
    with httpx.Client(timeout=10) as client:
        url = f"{sim_env.root}/www.deribit.com/api/v2/public/get_time"
        codes = [client.get(url).status_code for _ in range(2)]
        refused = client.get(url)
    assert codes == [200, 200]
    assert refused.status_code == 429 and refused.headers["Connection"] == "close"
    assert refused.headers["Content-Type"].startswith("application/json")
    body = refused.json()
    assert body["error"] == {"message": "too_many_requests", "code": 10028}
    assert set(body) == {"jsonrpc", "error", "usIn", "usOut", "usDiff", "testnet"}
    time.sleep(1.4)  # 400 credits/s: one request's 500 credits are back
    assert httpx.get(url, timeout=10).status_code == 200
    assert sim_env.requests_summary()["by_status"].get("deribit 429") == 1


def test_delisted_fault_answers_not_found(sim_env):
    fault = {
        "kind": "delisted",
        "venue": "deribit",
        "path": "/api/v2/public/ticker",
        "options": {"symbol": "ETH-PERPETUAL"},
    }
    assert httpx.post(f"{sim_env.root}/_sim/faults", json=fault, timeout=10).status_code == 200
    assert _get(sim_env, "ticker", instrument_name="BTC-PERPETUAL").status_code == 200  # another symbol
    assert _error(_get(sim_env, "ticker", instrument_name="ETH-PERPETUAL")) == (
        400,
        {"message": "not_found", "code": 13020},
    )
    assert _get(sim_env, "ticker", instrument_name="ETH-PERPETUAL").status_code == 200  # the fault was used up
