"""The simulator's Bybit v5 answers, against Bybit's documented behaviour and real recordings."""

import asyncio
import json
import re
import time
from datetime import UTC, datetime

import aiohttp
import httpx
import pytest

from simulator.process import running_simulator
from tests.conftest import shared_data

NAUTILUS = "nautechsystems__nautilus_trader/crates/adapters/bybit/test_data"
DAY_MS = 86_400_000
JAN_2026 = 1767225600000  # 2026-01-01T00:00:00Z

# Keys we send that a recording lacks: newer fields in today's v5 docs (the recordings are older or trimmed).
DOCUMENTED_EXTRAS = {
    "retExtInfo",
    "category",
    "symbolType",
    "copyTrading",
    "upperFundingRate",
    "lowerFundingRate",
    "isPreListing",
    "preListingInfo",
    "riskParameters",
    "stTag",
    "minNotionalValue",
    "maxMktOrderQty",
    "req_id",
}
# Keys a recording has that Bybit's docs do not list (nautilus_trader's own fixture fields): not sent.
UNDOCUMENTED = {"symbolId"}


def _get(sim, path, **params):
    return httpx.get(f"{sim.root}/api.bybit.com{path}", params=params, timeout=10)


def _result(sim, path, **params):
    """The `result` of a successful call; Bybit signals failure in retCode, so check it, not only the status."""
    response = _get(sim, path, **params)
    body = response.json()
    assert response.status_code == 200 and body["retCode"] == 0, body
    return body["result"]


def _error(sim, path, **params):
    response = _get(sim, path, **params)
    assert response.status_code == 200  # Bybit keeps HTTP 200 for request errors
    return response.json()


def _compare(real, ours, where="$") -> set[str]:
    """Assert ours has every key, value type and nesting the recording has (a null in the recording carries no
    type); return the keys we send that the recording lacks."""
    if real is None:
        return set()
    if isinstance(real, dict):
        assert isinstance(ours, dict), where
        real = {k: v for k, v in real.items() if k not in UNDOCUMENTED}
        assert not set(real) - set(ours), f"{where} lacks {set(real) - set(ours)}"
        extras = set(ours) - set(real)
        for key, value in real.items():
            extras |= _compare(value, ours[key], f"{where}.{key}")
        return extras
    if isinstance(real, list):
        assert isinstance(ours, list) and (ours or not real), where
        return _compare(real[0], ours[0], f"{where}[]") if real else set()
    assert type(ours) is type(real), f"{where}: {type(ours).__name__} where the venue sends {type(real).__name__}"
    return set()


@pytest.mark.parametrize(
    ("fixture", "path", "params"),
    [
        ("http_get_funding_history.json", "/v5/market/funding/history", {"category": "linear", "symbol": "BTCUSDT"}),
        ("http_get_instruments_linear.json", "/v5/market/instruments-info", {"category": "linear"}),
        ("http_get_instruments_linear_symbol_type.json", "/v5/market/instruments-info", {"category": "linear"}),
        ("http_get_instruments_inverse.json", "/v5/market/instruments-info", {"category": "inverse"}),
        ("http_get_instruments_inverse_symbol_type.json", "/v5/market/instruments-info", {"category": "inverse"}),
        ("http_get_instruments_option.json", "/v5/market/instruments-info", {"category": "option", "baseCoin": "ETH"}),
        ("http_get_instruments_option_symbol_id.json", "/v5/market/instruments-info", {"category": "option"}),
        ("http_get_instruments_spot.json", "/v5/market/instruments-info", {"category": "spot"}),
        ("http_get_klines_linear.json", "/v5/market/kline", {"category": "linear", "symbol": "BTCUSDT", "interval": 1}),
    ],
)
def test_response_shape_matches_the_real_recording(sim_env, fixture, path, params):
    real = json.loads(shared_data(f"{NAUTILUS}/{fixture}").read_text())
    ours = _get(sim_env, path, limit=2, **params).json()
    assert _compare(real, ours) <= DOCUMENTED_EXTRAS


def test_envelope_numbers_as_strings_and_millisecond_times(sim_env):
    body = _get(sim_env, "/v5/market/tickers", category="linear", symbol="BTCUSDT").json()
    assert set(body) == {"retCode", "retMsg", "result", "retExtInfo", "time"}
    assert (body["retCode"], body["retMsg"], body["retExtInfo"]) == (0, "OK", {})
    assert isinstance(body["time"], int) and body["time"] > 1_700_000_000_000
    row = body["result"]["list"][0]
    assert all(isinstance(v, str) for v in row.values())
    assert int(row["nextFundingTime"]) % (8 * 3_600_000) == 0 and row["fundingIntervalHour"] == "8"
    assert float(row["bid1Price"]) < float(row["ask1Price"])


def test_linear_open_interest_is_coin_and_inverse_is_usd(sim_env):
    linear = _result(sim_env, "/v5/market/tickers", category="linear", symbol="BTCUSDT")["list"][0]
    inverse = _result(sim_env, "/v5/market/tickers", category="inverse", symbol="BTCUSD")["list"][0]
    mark = float(linear["markPrice"])
    # Linear: OI in BTC, its value in USDT. Inverse: OI in USD contracts, its value in BTC.
    assert float(linear["openInterestValue"]) == pytest.approx(float(linear["openInterest"]) * mark, rel=1e-4)
    assert float(inverse["openInterest"]) == pytest.approx(float(inverse["openInterestValue"]) * mark, rel=5e-3)
    assert 1_000 < float(linear["openInterest"]) < 1_000_000 and float(inverse["openInterest"]) > 1e8
    assert inverse["openInterest"].isdigit()  # whole contracts
    history = _result(sim_env, "/v5/market/open-interest", category="inverse", symbol="BTCUSD", intervalTime="5min")
    assert float(history["list"][0]["openInterest"]) == pytest.approx(float(inverse["openInterest"]), rel=0.05)
    candles = _result(sim_env, "/v5/market/kline", category="inverse", symbol="BTCUSD", interval="60", limit=2)
    candle = candles["list"][1]  # the last whole hour
    # Inverse candles: volume in USD contracts, turnover in BTC.
    assert float(candle[5]) == pytest.approx(float(candle[6]) * float(candle[4]), rel=0.02)


def test_inverse_quarterlies_carry_basis_and_delivery_time(sim_env):
    rows = _result(sim_env, "/v5/market/tickers", category="inverse")["list"]
    info = {r["symbol"]: r for r in _result(sim_env, "/v5/market/instruments-info", category="inverse")["list"]}
    futures = [r for r in rows if re.fullmatch(r"(BTC|ETH)USD[HMUZ]\d\d", r["symbol"])]
    assert len(futures) == 6 and {r["symbol"] for r in rows} == set(info)
    for r in futures:
        delivery = datetime.fromtimestamp(int(r["deliveryTime"]) / 1000, UTC)
        assert delivery.weekday() == 4 and delivery.hour == 8 and delivery.month in (3, 6, 9, 12)
        assert "HMUZ"[(delivery.month - 3) // 3] == r["symbol"][-3] and r["symbol"].endswith(f"{delivery:%y}")
        basis = float(r["lastPrice"]) - float(r["indexPrice"])
        assert float(r["basis"]) == pytest.approx(basis, abs=0.01)
        assert float(r["basisRate"]) == pytest.approx(basis / float(r["indexPrice"]), rel=1e-3)
        assert r["fundingRate"] == "" and info[r["symbol"]]["contractType"] == "InverseFutures"
        assert info[r["symbol"]]["deliveryTime"] == r["deliveryTime"] and info[r["symbol"]]["fundingInterval"] == 0
    perp = next(r for r in rows if r["symbol"] == "BTCUSD")
    assert (perp["basis"], perp["deliveryTime"], info["BTCUSD"]["fundingInterval"]) == ("", "0", 480)


def test_option_chain_in_usd_with_fractional_iv(sim_env):
    assert _error(sim_env, "/v5/market/tickers", category="option")["retCode"] == 10001  # baseCoin or symbol needed
    chain = _result(sim_env, "/v5/market/tickers", category="option", baseCoin="BTC")["list"]
    assert len(chain) > 100
    for row in chain:
        assert re.fullmatch(r"BTC-[1-9]\d?[A-Z]{3}\d\d-\d+-[CP]", row["symbol"]), row["symbol"]
        assert 0.05 < float(row["markIv"]) < 3  # a fraction, not Deribit's percent
        assert 0 <= float(row["markPrice"]) < float(row["underlyingPrice"])  # USD, not BTC
        assert (0 <= float(row["delta"]) <= 1) if row["symbol"].endswith("C") else (-1 <= float(row["delta"]) <= 0)
    label = chain[0]["symbol"].split("-")[1]
    one_expiry = _result(sim_env, "/v5/market/tickers", category="option", baseCoin="BTC", expDate=label)["list"]
    assert one_expiry and all(r["symbol"].split("-")[1] == label for r in one_expiry)
    single = _result(sim_env, "/v5/market/tickers", category="option", symbol=chain[0]["symbol"])["list"]
    assert [r["symbol"] for r in single] == [chain[0]["symbol"]]


def test_instruments_page_with_limit_and_cursor(sim_env):
    everything = _result(sim_env, "/v5/market/instruments-info", category="option", baseCoin="BTC", limit=1000)
    assert everything["nextPageCursor"] == ""
    symbols, cursor, btc_options = [], None, {"category": "option", "baseCoin": "BTC"}
    for _ in range(50):
        page = _result(sim_env, "/v5/market/instruments-info", limit=99, cursor=cursor, **btc_options)
        symbols += [r["symbol"] for r in page["list"]]
        cursor = page["nextPageCursor"]
        if not cursor:
            break
    assert symbols == [r["symbol"] for r in everything["list"]] and len(set(symbols)) == len(symbols) > 300
    # Quirk: with baseCoin, category=linear also returns the coin's inverse contracts.
    by_coin = _result(sim_env, "/v5/market/instruments-info", category="linear", baseCoin="BTC")["list"]
    assert {"BTCUSDT", "BTCUSD"} <= {r["symbol"] for r in by_coin}
    assert _result(sim_env, "/v5/market/instruments-info", category="linear", symbol="NOPEUSDT")["list"] == []


def test_funding_history_window_rules(sim_env):
    path, sym = "/v5/market/funding/history", {"category": "linear", "symbol": "BTCUSDT"}
    latest = _result(sim_env, path, **sym)["list"]
    stamps = [int(r["fundingRateTimestamp"]) for r in latest]
    assert len(stamps) == 200 and stamps == sorted(stamps, reverse=True)
    assert all(s % 28_800_000 == 0 for s in stamps)  # on the 8-hour settlement grid, to the millisecond
    assert {a - b for a, b in zip(stamps, stamps[1:], strict=False)} == {28_800_000}
    assert _error(sim_env, path, startTime=JAN_2026, **sym)["retCode"] == 10001  # startTime alone is an error
    end_only = _result(sim_env, path, endTime=JAN_2026 + 1, limit=5, **sym)["list"]
    assert [int(r["fundingRateTimestamp"]) for r in end_only] == [JAN_2026 - i * 28_800_000 for i in range(5)]
    window = {"startTime": JAN_2026, "endTime": JAN_2026 + 10 * DAY_MS - 1}
    full = _result(sim_env, path, **window, **sym)["list"]
    assert len(full) == 30 and _result(sim_env, path, limit=5, **window, **sym)["list"] == full[:5]
    assert _result(sim_env, path, **window, **sym)["list"] == full  # the past does not change
    older = _result(sim_env, path, endTime=int(full[-1]["fundingRateTimestamp"]) - 1, limit=3, **sym)["list"]
    assert int(older[0]["fundingRateTimestamp"]) == JAN_2026 - 28_800_000  # paging back by endTime leaves no gap
    assert _error(sim_env, path, limit=201, **sym)["retCode"] == 10001


def test_open_interest_pages_newest_first_by_cursor(sim_env):
    params = {"category": "linear", "symbol": "ETHUSDT", "intervalTime": "1h", "limit": 200}
    window = {"startTime": JAN_2026, "endTime": JAN_2026 + 10 * DAY_MS - 1}
    first = _result(sim_env, "/v5/market/open-interest", **params, **window)
    assert re.fullmatch(r"lastid%3D\d+", first["nextPageCursor"]) and first["symbol"] == "ETHUSDT"
    second = _result(sim_env, "/v5/market/open-interest", **params, **window, cursor=first["nextPageCursor"])
    assert second["nextPageCursor"] == ""
    stamps = [int(r["timestamp"]) for r in first["list"] + second["list"]]
    assert stamps == [JAN_2026 + 10 * DAY_MS - 3_600_000 * (i + 1) for i in range(240)]
    assert all(re.fullmatch(r"\d+\.\d{8}", r["openInterest"]) for r in first["list"])
    assert _error(sim_env, "/v5/market/open-interest", **{**params, "intervalTime": "2h"})["retCode"] == 10001
    assert _error(sim_env, "/v5/market/open-interest", **{**params, "limit": 201})["retCode"] == 10001


def test_account_ratio_shares_and_cursor(sim_env):
    params = {"category": "linear", "symbol": "BTCUSDT", "period": "4h", "limit": 3, "endTime": JAN_2026}
    first = _result(sim_env, "/v5/market/account-ratio", **params)
    assert set(first) == {"list", "nextPageCursor"}  # unlike its siblings, no category
    last = int(first["list"][-1]["timestamp"])
    assert first["nextPageCursor"] == f"lastid%3D0%26lasttime%3D{last // 1000}"
    for row in first["list"]:
        assert float(row["buyRatio"]) + float(row["sellRatio"]) == pytest.approx(1.0)
        assert 0.2 <= float(row["buyRatio"]) <= 0.8
    second = _result(sim_env, "/v5/market/account-ratio", **params, cursor=first["nextPageCursor"])
    assert int(second["list"][0]["timestamp"]) == last - 4 * 3_600_000


def test_kline_newest_first_with_start_anchored_pages(sim_env):
    params = {"category": "linear", "symbol": "SOLUSDT", "interval": "60", "limit": 5}
    from_start = _result(sim_env, "/v5/market/kline", start=JAN_2026, **params)
    opens = [int(row[0]) for row in from_start["list"]]
    assert opens == [JAN_2026 + 3_600_000 * i for i in range(4, -1, -1)]  # the first five from start, newest first
    assert all(len(row) == 7 and all(isinstance(x, str) for x in row) for row in from_start["list"])
    up_to_end = _result(sim_env, "/v5/market/kline", end=JAN_2026, **params)["list"]
    assert [int(row[0]) for row in up_to_end] == [JAN_2026 - 3_600_000 * i for i in range(5)]
    for row in from_start["list"]:
        o, h, low, c = map(float, row[1:5])
        assert low <= min(o, c) <= max(o, c) <= h
    assert _result(sim_env, "/v5/market/kline", start=JAN_2026, **params) == from_start
    latest = _result(sim_env, "/v5/market/kline", **params)["list"][0]
    ticker = _result(sim_env, "/v5/market/tickers", category="linear", symbol="SOLUSDT")["list"][0]
    assert float(latest[4]) == pytest.approx(float(ticker["lastPrice"]), rel=1e-3)  # the open candle closes at now
    assert _error(sim_env, "/v5/market/kline", **{**params, "interval": "2"})["retCode"] == 10001


def test_historical_volatility_has_its_own_envelope(sim_env):
    body = _get(sim_env, "/v5/market/historical-volatility", category="option", baseCoin="ETH", period=30).json()
    assert set(body) == {"retCode", "retMsg", "category", "result"}
    assert (body["retCode"], body["retMsg"], body["category"], len(body["result"])) == (0, "SUCCESS", "option", 1)
    window = {"startTime": JAN_2026, "endTime": JAN_2026 + DAY_MS}
    points = _get(sim_env, "/v5/market/historical-volatility", category="option", **window).json()["result"]
    assert [int(p["time"]) for p in points] == [JAN_2026 + 3_600_000 * i for i in range(25)]
    assert all(p["period"] == 7 and 0.05 < float(p["value"]) < 3 for p in points)
    path = "/v5/market/historical-volatility"
    assert _error(sim_env, path, category="option", startTime=JAN_2026)["retCode"] == 10001
    too_long = {"startTime": JAN_2026, "endTime": JAN_2026 + 31 * DAY_MS}  # windows are capped at 30 days
    assert _error(sim_env, path, category="option", **too_long)["retCode"] == 10001


def test_errors_keep_http_200_with_ret_code(sim_env):
    body = _error(sim_env, "/v5/market/tickers", category="linear", symbol="NOPEUSDT")
    assert {k: body[k] for k in ("retCode", "retMsg", "result", "retExtInfo")} == {
        "retCode": 10001,
        "retMsg": "Not supported symbols",
        "result": {},
        "retExtInfo": {},
    }
    assert _error(sim_env, "/v5/market/tickers", symbol="BTCUSDT")["retMsg"] == "Illegal category"
    assert _error(sim_env, "/v5/market/funding/history", category="linear")["retCode"] == 10001  # symbol needed
    assert _error(sim_env, "/v5/market/funding/history", category="inverse", symbol="BTCUSDT")["retCode"] == 10001


def test_prices_agree_with_binance(sim_env):
    """One market behind every venue: the same index, whichever venue is asked."""
    bybit = _result(sim_env, "/v5/market/tickers", category="linear", symbol="ETHUSDT")["list"][0]
    binance = httpx.get(f"{sim_env.root}/fapi.binance.com/fapi/v1/premiumIndex", params={"symbol": "ETHUSDT"}).json()
    assert float(bybit["indexPrice"]) == pytest.approx(float(binance["indexPrice"]), rel=1e-4)


def test_endpoint_budget_answers_10006_with_limit_headers(sim_env):
    sim_env.set_limits({"bybit": {"endpoint_limit": 3, "endpoint_window_s": 30}})
    if 30 - time.time() % 30 < 2:  # keep the burst inside one window
        time.sleep(2.5)
    codes = [_get(sim_env, "/v5/market/tickers", category="spot").json()["retCode"] for _ in range(3)]
    refused = _get(sim_env, "/v5/market/tickers", category="spot")
    body = refused.json()
    assert codes == [0, 0, 0] and refused.status_code == 200
    assert {k: body[k] for k in ("retCode", "retMsg", "result", "retExtInfo")} == {
        "retCode": 10006,
        "retMsg": "Too many visits!",
        "result": {},
        "retExtInfo": {},
    }
    assert refused.headers["X-Bapi-Limit"] == "3" and refused.headers["X-Bapi-Limit-Status"] == "0"
    reset_ms = int(refused.headers["X-Bapi-Limit-Reset-Timestamp"])
    assert time.time() * 1000 < reset_ms <= time.time() * 1000 + 30_000 and reset_ms % 30_000 == 0
    assert _get(sim_env, "/v5/market/kline", category="linear", symbol="BTCUSDT", interval="D").json()["retCode"] == 0


def test_ip_limit_answers_403_and_bans(sim_env):
    sim_env.set_limits({"bybit": {"ip_limit": 3, "ip_window_s": 30, "ban_seconds": 60}})
    if 30 - time.time() % 30 < 2:
        time.sleep(2.5)
    codes = [_get(sim_env, "/v5/market/tickers", category="spot").status_code for _ in range(4)]
    assert codes == [200, 200, 200, 403]
    banned = _get(sim_env, "/v5/market/instruments-info", category="spot")  # every path of the host: the IP is banned
    assert (banned.status_code, banned.text) == (403, "access too frequent")
    assert sim_env.requests_summary()["by_status"]["bybit 403"] == 2


def test_delisted_fault_answers_the_unknown_symbol_error(sim_env):
    fault = {
        "kind": "delisted",
        "venue": "bybit",
        "path": "/v5/market/funding/history",
        "options": {"symbol": "SOLUSDT"},
    }
    httpx.post(f"{sim_env.root}/_sim/faults", json=fault, timeout=10).raise_for_status()
    body = _error(sim_env, "/v5/market/funding/history", category="linear", symbol="SOLUSDT")
    assert (body["retCode"], body["retMsg"], body["result"]) == (10001, "Not supported symbols", {})
    assert _result(sim_env, "/v5/market/funding/history", category="linear", symbol="SOLUSDT")["list"]  # used up


async def _stream(root: str, seconds: float, pushes_wanted: int) -> dict[str, list[dict]]:
    """Subscribe on both public streams, ping, and collect what each sends until the linear stream has pushed
    `pushes_wanted` liquidation messages or `seconds` have passed (every wait is bounded)."""
    received: dict[str, list[dict]] = {"linear": [], "inverse": []}
    base = f"{root.replace('http', 'ws', 1)}/stream.bybit.com/v5/public"
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=seconds + 10)) as session:
        streams = {name: await session.ws_connect(f"{base}/{name}") for name in received}
        await streams["linear"].send_json({"op": "subscribe", "args": ["allLiquidation.BTCUSDT"], "req_id": "liq-1"})
        await streams["linear"].send_json({"op": "subscribe", "args": ["allLiquidation.BTCUSD"]})  # wrong stream
        await streams["linear"].send_json({"op": "ping", "req_id": "p-1"})
        await streams["inverse"].send_json({"op": "subscribe", "args": ["allLiquidation.BTCUSD"]})
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline and sum("topic" in m for m in received["linear"]) < pushes_wanted:
            for name, ws in streams.items():
                try:
                    received[name].append(json.loads((await ws.receive(timeout=0.2)).data))
                except TimeoutError:
                    continue
        for ws in streams.values():
            await ws.close()
    return received


def test_all_liquidation_stream_reports_the_position_side(sim_env):
    episodes = httpx.get(f"{sim_env.root}/_sim/episodes", timeout=10).json()
    squeeze = next(e for e in episodes if e["name"] == "long_squeeze" and e["asset"] == "BTC")
    cascade = datetime.fromisoformat(next(p for p in squeeze["phases"] if p["name"] == "cascade")["start"])
    # 20 simulated minutes per real second. The clock starts before the market is built, so it is already a
    # startup's worth (one to three simulated hours) into the six-hour cascade when the stream connects.
    with running_simulator(now=cascade, speed=1200, max_lifetime_s=120) as sim:
        received = asyncio.run(_stream(sim.root, seconds=10, pushes_wanted=2))
        sent = httpx.get(f"{sim.root}/_sim/ws/sent", params={"venue": "bybit"}, timeout=10).json()
    replies = [m for m in received["linear"] + received["inverse"] if "op" in m]
    pushes = [m for m in received["linear"] + received["inverse"] if "topic" in m]
    subscribed, wrong_stream, pong = received["linear"][:3]
    assert (subscribed["success"], subscribed["ret_msg"], subscribed["req_id"]) == (True, "subscribe", "liq-1")
    assert not wrong_stream["success"] and "allLiquidation.BTCUSD" in wrong_stream["ret_msg"]
    assert (pong["op"], pong["ret_msg"], pong["req_id"]) == ("ping", "pong", "p-1")
    assert received["inverse"][0]["success"]
    ack_real = json.loads(shared_data(f"{NAUTILUS}/ws_subscription_ack.json").read_text())
    failure_real = json.loads(shared_data(f"{NAUTILUS}/ws_subscription_failure.json").read_text())
    assert _compare(ack_real, subscribed) == set()
    assert _compare(failure_real, wrong_stream) <= DOCUMENTED_EXTRAS
    linear = [p for p in pushes if p["topic"] == "allLiquidation.BTCUSDT"]
    assert linear, "no liquidation pushed during the cascade"
    for push in pushes:
        assert set(push) == {"topic", "type", "ts", "data"} and push["type"] == "snapshot"
        for item in push["data"]:
            assert set(item) == {"T", "s", "S", "v", "p"} and item["T"] <= push["ts"]
            assert item["s"] == push["topic"].split(".")[1] and item["S"] in ("Buy", "Sell")
            # v is in contracts: whole USD on the inverse stream, BTC to 0.001 on the linear one.
            assert item["v"].isdigit() if item["s"] == "BTCUSD" else re.fullmatch(r"\d+\.\d{3}", item["v"])
    sides = [item["S"] for p in linear for item in p["data"]]
    assert sides.count("Buy") > sides.count("Sell")  # a long squeeze liquidates longs: S is the position side
    assert len(sent) == len(replies) + len(pushes)  # the simulator recorded every message it sent
