"""The simulator's OKX v5 answers, against OKX's documented behaviour and real recordings."""

import asyncio
import json
import re
import time
from datetime import UTC, datetime, timedelta

import aiohttp
import httpx
import pytest

from simulator.episodes import default_schedule
from simulator.process import running_simulator
from simulator.venues.okx import CANDLE_BARS, STAT_PERIODS
from tests.conftest import shared_data

NAUTILUS = "nautechsystems__nautilus_trader/crates/adapters/okx/test_data"
CRYPTOFEED = "bmoscon__cryptofeed/sample_data/OKX.0"
HOUR_MS, DAY_MS = 3_600_000, 86_400_000
RATE_LIMITED = {
    "code": "50011",
    "data": [],
    "msg": "Rate limit reached. Please refer to API documentation and throttle requests accordingly",
}


def _get(sim, path, **params):
    return httpx.get(f"{sim.root}/www.okx.com/api/v5/{path}", params=params, timeout=30)


def _data(sim, path, **params):
    r = _get(sim, path, **params)
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["code"] == "0" and body["msg"] == "", body
    return body["data"]


def _assert_covers(real, ours, where="$"):
    """Every key of the real answer is in ours, with the same value type and nesting (ours may carry the
    fields OKX added since the recording). Arrays of scalars (candles) must match position by position."""
    if isinstance(real, dict):
        assert isinstance(ours, dict), where
        assert not set(real) - set(ours), f"{where}: missing {sorted(set(real) - set(ours))}"
        for key, value in real.items():
            _assert_covers(value, ours[key], f"{where}.{key}")
    elif isinstance(real, list):
        assert isinstance(ours, list), where
        if real and not isinstance(real[0], (dict, list)):
            assert [type(v) for v in real] == [type(v) for v in ours], where
        elif real and ours:
            _assert_covers(real[0], ours[0], f"{where}[0]")
    else:
        assert type(real) is type(ours), f"{where}: {type(real).__name__} in the recording, {type(ours).__name__} here"


def _cryptofeed_bodies():
    """The cryptofeed capture: `URL -> epoch: body` lines of real OKX answers (first of each URL)."""
    bodies = {}
    for line in shared_data(CRYPTOFEED).read_text().splitlines():
        if " -> " in line:
            url, rest = line.split(" -> ", 1)
            bodies.setdefault(url.split("/api/v5/", 1)[1], json.loads(rest.split(": ", 1)[1]))
    return bodies


@pytest.mark.parametrize(
    ("fixture", "path", "params"),
    [
        ("http_get_instruments_swap.json", "public/instruments", {"instType": "SWAP"}),
        ("http_get_instruments_futures.json", "public/instruments", {"instType": "FUTURES"}),
        ("http_get_instruments_option.json", "public/instruments", {"instType": "OPTION", "instFamily": "BTC-USD"}),
        ("http_get_instruments_spot.json", "public/instruments", {"instType": "SPOT"}),
        ("http_get_mark_price.json", "public/mark-price", {"instType": "SWAP", "instId": "BTC-USDT-SWAP"}),
        ("http_get_index_price.json", "market/index-tickers", {"instId": "BTC-USDT"}),
        ("http_get_funding_rate_history.json", "public/funding-rate-history", {"instId": "BTC-USDT-SWAP"}),
        ("http_get_candlesticks.json", "market/candles", {"instId": "BTC-USDT-SWAP", "limit": 2}),
        ("http_get_candlesticks_full.json", "market/history-candles", {"instId": "BTC-USDT-SWAP", "limit": 2}),
        ("http_get_option_summary.json", "public/opt-summary", {"instFamily": "BTC-USD"}),
    ],
)
def test_rest_shape_matches_the_nautilus_recordings(sim_env, fixture, path, params):
    real = json.loads(shared_data(f"{NAUTILUS}/{fixture}").read_text())
    ours = _get(sim_env, path, **params).json()
    _assert_covers(real, ours)


@pytest.mark.parametrize(
    ("fixture", "path", "params"),
    [
        # A websocket push carries the same row as the REST answer: compare the rows.
        ("ws_funding_rate.json", "public/funding-rate", {"instId": "BTC-USDT-SWAP"}),
        ("ws_tickers.json", "market/ticker", {"instId": "BTC-USDT"}),
    ],
)
def test_rows_match_the_pushed_rows_recorded_by_nautilus(sim_env, fixture, path, params):
    real = json.loads(shared_data(f"{NAUTILUS}/{fixture}").read_text())["data"][0]
    _assert_covers(real, _data(sim_env, path, **params)[0])


def test_instruments_match_the_cryptofeed_capture(sim_env):
    for query, real in _cryptofeed_bodies().items():
        params = dict(p.split("=") for p in query.split("?", 1)[1].split("&"))
        _assert_covers(real, _get(sim_env, "public/instruments", **params).json(), query)


def test_numbers_and_times_are_strings(sim_env):
    typed = {"futureSettlement": bool, "instIdCode": int, "tradeQuoteCcyList": list, "upcChg": list}
    for path, params in [
        ("public/instruments", {"instType": "SWAP"}),
        ("public/funding-rate", {"instId": "ANY"}),
        ("public/open-interest", {"instType": "SWAP"}),
        ("market/tickers", {"instType": "FUTURES"}),
        ("public/opt-summary", {"instFamily": "ETH-USD"}),
    ]:
        for row in _data(sim_env, path, **params):
            for key, value in row.items():
                assert isinstance(value, typed.get(key, str)), (path, key, value)
    for path in ("market/candles", "rubik/stat/contracts/open-interest-history"):
        rows = _data(sim_env, path, instId="ETH-USDT-SWAP", limit=5)
        assert all(isinstance(v, str) for row in rows for v in row)
        assert [int(r[0]) for r in rows] == sorted((int(r[0]) for r in rows), reverse=True)  # newest first


def test_funding_now_interval_and_the_last_settlement(sim_env):
    rows = _data(sim_env, "public/funding-rate", instId="ANY")
    assert [r["instId"] for r in rows] == ["BTC-USDT-SWAP", "ETH-USDT-SWAP", "SOL-USDT-SWAP"]
    btc = rows[0]
    assert int(btc["nextFundingTime"]) - int(btc["fundingTime"]) == 8 * HOUR_MS  # the interval, as OKX says
    assert btc["method"] == "current_period" and btc["nextFundingRate"] == ""
    last = _data(sim_env, "public/funding-rate-history", instId="BTC-USDT-SWAP", limit=1)[0]
    if last["fundingTime"] == btc["fundingTime"]:  # the (real) clock crossed a settlement between the calls
        btc = _data(sim_env, "public/funding-rate", instId="BTC-USDT-SWAP")[0]
    assert (last["fundingTime"], last["realizedRate"]) == (btc["prevFundingTime"], btc["settFundingRate"])


def test_funding_history_pages_newest_first_with_exclusive_cursors(sim_env):
    first = _data(sim_env, "public/funding-rate-history", instId="BTC-USDT-SWAP", limit=5)
    older = _data(
        sim_env, "public/funding-rate-history", instId="BTC-USDT-SWAP", limit=5, after=first[-1]["fundingTime"]
    )
    times = [int(r["fundingTime"]) for r in first + older]
    assert all(a - b == 8 * HOUR_MS for a, b in zip(times, times[1:], strict=False))  # no gap, no overlap
    newer = _data(sim_env, "public/funding-rate-history", instId="BTC-USDT-SWAP", before=older[0]["fundingTime"])
    assert newer == first
    again = _data(
        sim_env, "public/funding-rate-history", instId="BTC-USDT-SWAP", limit=5, after=first[-1]["fundingTime"]
    )
    assert again == older  # the past does not change


def test_funding_history_keeps_about_three_months(sim_env):
    rows = _data(sim_env, "public/funding-rate-history", instId="SOL-USDT-SWAP")
    assert len(rows) <= 400
    every = rows + _data(sim_env, "public/funding-rate-history", instId="SOL-USDT-SWAP", after=rows[-1]["fundingTime"])
    span_days = (int(every[0]["fundingTime"]) - int(every[-1]["fundingTime"])) / DAY_MS
    assert 88 <= span_days <= 92 and len(every) == len({r["fundingTime"] for r in every})


def test_open_interest_units_contracts_coin_and_usd(sim_env):
    specs = {i["instId"]: float(i["ctVal"]) for i in _data(sim_env, "public/instruments", instType="SWAP")}
    marks = {m["instId"]: float(m["markPx"]) for m in _data(sim_env, "public/mark-price", instType="SWAP")}
    for row in _data(sim_env, "public/open-interest", instType="SWAP"):
        coin = float(row["oiCcy"])
        assert float(row["oi"]) * specs[row["instId"]] == pytest.approx(coin, rel=1e-6)
        assert float(row["oiUsd"]) == pytest.approx(coin * marks[row["instId"]], rel=5e-3)
    btc = _data(sim_env, "public/open-interest", instType="FUTURES", instFamily="BTC-USD")
    assert btc and all(r["instId"].startswith("BTC-USD-") for r in btc)
    for row in btc:  # inverse futures: one contract is 100 USD
        assert float(row["oi"]) * 100 == pytest.approx(float(row["oiUsd"]), rel=1e-3)


def test_futures_ladder_symbols_and_contract_types(sim_env):
    rows = _data(sim_env, "public/instruments", instType="FUTURES", instFamily="BTC-USD")
    aliases = [r["alias"] for r in rows]
    assert sorted(aliases) == sorted(["this_week", "next_week", "this_month", "next_month", "quarter", "next_quarter"])
    for r in rows:
        expiry = datetime.fromtimestamp(int(r["expTime"]) / 1000, tz=UTC)
        assert r["instId"] == f"BTC-USD-{expiry:%y%m%d}" and (expiry.weekday(), expiry.hour) == (4, 8)
        assert (r["ctType"], r["ctVal"], r["ctValCcy"], r["settleCcy"]) == ("inverse", "100", "USD", "BTC")
        assert int(r["listTime"]) < int(time.time() * 1000)
    linear = _data(sim_env, "public/instruments", instType="FUTURES", instFamily="BTC-USDT")
    assert {r["expTime"] for r in linear} == {r["expTime"] for r in rows}
    assert {(r["ctType"], r["ctVal"], r["settleCcy"]) for r in linear} == {("linear", "0.01", "USDT")}


def test_options_ids_iv_fraction_and_coin_greeks(sim_env):
    insts = _data(sim_env, "public/instruments", instType="OPTION", instFamily="BTC-USD")
    assert all(re.fullmatch(r"BTC-USD-\d{6}-\d+-[CP]", i["instId"]) for i in insts)
    assert {(i["ctVal"], i["ctMult"], i["settleCcy"]) for i in insts} == {("1", "0.01", "BTC")}
    expiry = insts[-1]["instId"].split("-")[2]
    summary = _data(sim_env, "public/opt-summary", instFamily="BTC-USD", expTime=expiry)
    assert summary and {s["instId"].split("-")[2] for s in summary} == {expiry}
    marks = {m["instId"]: float(m["markPx"]) for m in _data(sim_env, "public/mark-price", instType="OPTION")}
    for s in summary:
        assert 0.05 < float(s["markVol"]) < 3  # a fraction, not Deribit's percent
        assert float(s["bidVol"]) < float(s["markVol"]) < float(s["askVol"])
        # Coin delta is the Black-Scholes delta less the option's price in coin.
        assert float(s["delta"]) == pytest.approx(float(s["deltaBS"]) - marks[s["instId"]], abs=2e-3)
    assert _get(sim_env, "public/opt-summary").json()["code"] == "50015"


def test_candles_bars_open_on_utc8_days_unless_utc(sim_env):
    day = _data(sim_env, "market/candles", instId="BTC-USDT-SWAP", bar="1D", limit=3)
    day_utc = _data(sim_env, "market/candles", instId="BTC-USDT-SWAP", bar="1Dutc", limit=3)
    assert all(int(r[0]) % DAY_MS == 16 * HOUR_MS for r in day)  # 00:00 in UTC+8
    assert all(int(r[0]) % DAY_MS == 0 for r in day_utc)
    assert [r[8] for r in day] == ["0", "1", "1"]  # the open bar comes first, unconfirmed
    row = day[1]
    assert float(row[5]) * 0.01 == pytest.approx(float(row[6]), rel=1e-6)  # vol in contracts, volCcy in coin
    low, high = float(row[3]), float(row[2])
    assert low * float(row[6]) <= float(row[7]) <= high * float(row[6])  # volCcyQuote in USDT


def test_candles_keep_1440_bars_and_history_candles_the_rest(sim_env):
    recent = _data(sim_env, "market/candles", instId="ETH-USDT-SWAP", bar="1H", limit=3)
    old_cursor = int(recent[0][0]) - 1440 * HOUR_MS
    assert _data(sim_env, "market/candles", instId="ETH-USDT-SWAP", bar="1H", after=old_cursor) == []
    older = _data(sim_env, "market/history-candles", instId="ETH-USDT-SWAP", bar="1H", after=old_cursor, limit=3)
    assert [int(r[0]) for r in older] == [old_cursor - HOUR_MS * k for k in (1, 2, 3)]  # `after` is exclusive
    assert (
        _data(sim_env, "market/history-candles", instId="ETH-USDT-SWAP", bar="1H", after=old_cursor, limit=3) == older
    )
    assert _get(sim_env, "market/history-candles", instId="ETH-USDT-SWAP", limit=101).json()["code"] == "51000"
    assert _get(sim_env, "market/candles", instId="ETH-USDT-SWAP", bar="1s").json()["msg"] == "Parameter bar error"


def test_every_documented_bar_and_period_answers(sim_env):
    sim_env.set_limits({"okx": {"limit": 1000}})  # a sweep of ~55 calls: lift OKX's 20 per 2 s
    sweep = [("BTC-USDT-SWAP", bar) for bar in CANDLE_BARS]
    sweep += [(inst, bar) for inst in ("ETH-USDT", "SOL-USD-" + _front_future(sim_env)) for bar in ("1H", "1M")]
    for inst_id, bar in sweep:
        rows = _data(sim_env, "market/history-candles", instId=inst_id, bar=bar, limit=2)
        assert len(rows) == 2 and all(len(r) == 9 for r in rows), (inst_id, bar)
        assert [r[8] for r in rows] == ["0", "1"]
    for period in STAT_PERIODS:
        rows = _data(
            sim_env, "rubik/stat/contracts/open-interest-history", instId="ETH-USDT-SWAP", period=period, limit=2
        )
        assert rows and int(rows[0][0]) <= int(time.time() * 1000), period


def _front_future(sim):
    rows = _data(sim, "public/instruments", instType="FUTURES", instFamily="SOL-USD")
    return next(r["instId"] for r in rows if r["alias"] == "this_week").rsplit("-", 1)[1]


def test_rubik_statistics_have_exclusive_bounds(sim_env):
    rows = _data(sim_env, "rubik/stat/contracts/open-interest-history", instId="BTC-USDT-SWAP", period="1H", limit=10)
    assert len(rows) == 10 and all(len(r) == 4 for r in rows)
    inside = _data(
        sim_env,
        "rubik/stat/contracts/open-interest-history",
        instId="BTC-USDT-SWAP",
        period="1H",
        begin=rows[6][0],
        end=rows[2][0],
    )
    assert inside == rows[3:6]
    ratio = _data(sim_env, "rubik/stat/contracts/long-short-account-ratio-contract", instId="BTC-USDT-SWAP", limit=3)
    assert len(ratio) == 3 and all(len(r) == 2 and float(r[1]) > 0 for r in ratio)
    per_coin = _data(sim_env, "rubik/stat/contracts/long-short-account-ratio", ccy="ETH", period="1H")
    assert 24 * 29 <= len(per_coin) <= 24 * 30 + 1  # 1H keeps 30 days


def test_errors_use_okx_bodies(sim_env):
    r = _get(sim_env, "public/funding-rate", instId="BTC-USD-SWAP")  # not listed by the simulator
    assert r.status_code == 200 and r.json() == {"code": "51001", "data": [], "msg": "Instrument ID does not exist"}
    r = _get(sim_env, "public/funding-rate-history")
    assert r.status_code == 400 and r.json() == {"code": "50014", "data": [], "msg": "Parameter instId cannot be empty"}
    r = _get(sim_env, "public/funding-rate-history", instId="BTC-USDT-SWAP", limit=401)
    assert r.status_code == 400 and r.json()["code"] == "51000"
    r = _get(sim_env, "public/instruments", instType="PERP")
    assert r.status_code == 400 and r.json()["msg"] == "Parameter instType error"
    assert _get(sim_env, "public/instruments", instType="OPTION").json()["code"] == "50015"


def test_rate_limit_is_per_endpoint_and_instrument(sim_env):
    sim_env.set_limits({"okx": {"limit": 3, "window_s": 4}})
    time.sleep(4 - time.time() % 4 + 0.05)  # start at a window boundary so the burst lands in one window
    codes = [_get(sim_env, "public/funding-rate", instId="BTC-USDT-SWAP").status_code for _ in range(4)]
    assert codes == [200, 200, 200, 429]
    r = _get(sim_env, "public/funding-rate", instId="BTC-USDT-SWAP")
    assert r.status_code == 429 and r.json() == RATE_LIMITED
    assert r.headers["Content-Type"].startswith("application/json") and "Retry-After" not in r.headers
    # OKX keys this limit on IP + instrument: another instrument still has its own budget.
    assert _get(sim_env, "public/funding-rate", instId="ETH-USDT-SWAP").status_code == 200
    assert sim_env.requests_summary()["by_status"]["okx 429"] == 2


def test_delisted_fault_answers_51001(sim_env):
    fault = {
        "kind": "delisted",
        "venue": "okx",
        "path": "/api/v5/public/mark-price",
        "options": {"symbol": "ETH-USDT-SWAP"},
    }
    httpx.post(f"{sim_env.root}/_sim/faults", json=fault, timeout=10).raise_for_status()
    r = _get(sim_env, "public/mark-price", instType="SWAP", instId="ETH-USDT-SWAP")
    assert r.status_code == 200 and r.json() == {"code": "51001", "data": [], "msg": "Instrument ID does not exist"}
    assert _get(sim_env, "public/mark-price", instType="SWAP", instId="ETH-USDT-SWAP").json()["code"] == "0"


async def _watch_liquidations(root: str, seconds: float) -> tuple[list, list]:
    """Subscribe to liquidation-orders and collect pushes for a bounded time (loopback only)."""
    url = root.replace("http://", "ws://") + "/ws.okx.com/ws/v5/public"
    replies, pushes = [], []
    async with aiohttp.ClientSession() as session, session.ws_connect(url, timeout=10) as ws:
        await ws.send_str(
            json.dumps({"op": "subscribe", "args": [{"channel": "liquidation-orders", "instType": "SWAP"}]})
        )
        replies.append(json.loads((await ws.receive(timeout=5)).data))
        await ws.send_str("ping")
        replies.append((await ws.receive(timeout=5)).data)
        await ws.send_str(json.dumps({"op": "subscribe", "args": [{"channel": "liquidations", "instType": "SWAP"}]}))
        replies.append(json.loads((await ws.receive(timeout=5)).data))
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline and len(pushes) < 2:
            try:
                msg = await ws.receive(timeout=max(0.1, deadline - time.monotonic()))
            except TimeoutError:
                break
            if msg.type == aiohttp.WSMsgType.TEXT:
                pushes.append(json.loads(msg.data))
    return replies, pushes


def test_websocket_pushes_the_liquidations_rest_reports():
    squeeze = next(e for e in default_schedule() if (e.name, e.asset) == ("short_squeeze", "ETH"))
    squeeze_start = next(s for phase, s, _ in squeeze.phase_windows() if phase.name == "squeeze")
    # OKX's orders in this squeeze come in bursts from 1 h to 9 h in; at an hour per second the bursts
    # keep arriving however long the simulator takes to start (its clock starts before the market is built).
    start = squeeze_start - timedelta(minutes=30)
    with running_simulator(now=start, speed=3600, max_lifetime_s=120) as sim:
        replies, pushes = asyncio.run(_watch_liquidations(sim.root, seconds=12))
        health = httpx.get(f"{sim.root}/_sim/health", timeout=10).json()
        ack, pong, error = replies
        assert ack["event"] == "subscribe" and ack["arg"] == {"channel": "liquidation-orders", "instType": "SWAP"}
        assert re.fullmatch(r"[0-9a-f]{8}", ack["connId"]) and pong == "pong"
        assert error["event"] == "error" and error["code"] == "60018"
        assert pushes, f"no liquidation pushed during a scripted squeeze (simulated clock at {health['now']})"
        for push in pushes:
            assert push["arg"] == ack["arg"] and len(push["data"]) == 1
            entry = push["data"][0]
            assert entry["instFamily"] == entry["uly"] == entry["instId"].removesuffix("-SWAP")
            detail = entry["details"][0]
            assert (detail["side"], detail["posSide"]) in {("sell", "long"), ("buy", "short")}
            rest = _data(sim, "public/liquidation-orders", instType="SWAP", instFamily=entry["instFamily"])
            assert detail in rest[0]["details"]  # the same order, field for field
            stamps = [int(d["ts"]) for d in rest[0]["details"]]
            assert stamps == sorted(stamps, reverse=True) and stamps[0] - stamps[-1] <= DAY_MS
        sent = httpx.get(f"{sim.root}/_sim/ws/sent", params={"venue": "okx"}, timeout=10).json()
        assert sum('"liquidation-orders"' in m["message"] and '"data"' in m["message"] for m in sent) >= len(pushes)
        assert _data(sim, "public/liquidation-orders", instType="SWAP", instFamily="ETH-USDT", state="unfilled") == []
