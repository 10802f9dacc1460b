"""The simulator's BitMEX v1 answers against real recordings and BitMEX's documented behaviour: REST tables with
count/start/reverse paging, inverse and quanto units, futures and indices, the token-bucket limit, the delisted
fault, and the realtime `liquidation` table during a scripted liquidation cascade."""

import asyncio
import json
import re
import time
from datetime import UTC, datetime, timedelta

import aiohttp
import httpx
import pytest

from simulator.process import running_simulator
from tests.conftest import shared_data

NAUTILUS = "nautechsystems__nautilus_trader/crates/adapters/bitmex/test_data"
CRYPTOFEED = "bmoscon__cryptofeed/sample_data/BITMEX.0"
PAST = {"startTime": "2026-01-01T00:00:00.000Z", "endTime": "2026-01-03T00:00:00.000Z"}


def _get(sim, path, **params):
    return httpx.get(f"{sim.root}/www.bitmex.com/api/v1{path}", params=params, timeout=10)


def _kind(value):
    """A JSON value's type as a parser sees it (BitMEX writes 100 and 100.5 alike: both are numbers)."""
    if isinstance(value, bool) or value is None or isinstance(value, str):
        return type(value).__name__
    return "number" if isinstance(value, (int, float)) else type(value).__name__


def _same_types(ours: dict, real: dict) -> list[str]:
    """Keys present in both whose types differ (a recorded null accepts anything)."""
    return [k for k in real if k in ours and real[k] is not None and _kind(ours[k]) != _kind(real[k])]


def _cryptofeed_rows() -> dict[str, dict]:
    line = shared_data(CRYPTOFEED).read_text().splitlines()[0]
    return {row["symbol"]: row for row in json.loads(line.split(": ", 1)[1])}


def _iso(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


# --- shapes against the recordings -----------------------------------------------------------------------------
def test_perpetual_matches_the_2024_instrument_recording_exactly(sim_env):
    real = json.loads(shared_data(f"{NAUTILUS}/http_get_instrument_xbtusd.json").read_text())
    ours = _get(sim_env, "/instrument", symbol="XBTUSD").json()
    assert len(ours) == 1
    assert set(ours[0]) == set(real)
    assert _same_types(ours[0], real) == []


def test_active_instruments_match_the_2021_recording_where_bitmex_still_sends_the_column(sim_env):
    """The 2021 capture had columns BitMEX has since dropped; every one we omit is absent from 2024 too."""
    old = _cryptofeed_rows()
    modern = set(json.loads(shared_data(f"{NAUTILUS}/http_get_instrument_xbtusd.json").read_text()))
    ours = {r["symbol"]: r for r in _get(sim_env, "/instrument/active").json()}
    future = next(s for s in ours if ours[s]["typ"] == "FFCCSX")
    for real_symbol, our_symbol in (("XBTUSD", "XBTUSD"), ("ETHUSD", "ETHUSD"), ("XBTZ21", future)):
        real, row = old[real_symbol], ours[our_symbol]
        assert _same_types(row, real) == [], real_symbol
        dropped = {k for k in real if k not in row}
        assert dropped <= set(real) - modern | {"listedSettle"}, real_symbol
        assert set(row) - set(real) <= modern | {"openingTimestamp", "closingTimestamp"}


def test_future_matches_the_2026_futures_recording_on_dated_columns(sim_env):
    real = json.loads(shared_data(f"{NAUTILUS}/http_get_instrument_xbtm26_xbtu26_spread.json").read_text())
    row = _get(sim_env, "/instrument", symbol="XBT:quarterly").json()[0]
    for key in ("expiry", "settle", "openingTimestamp", "closingTimestamp", "listing", "front"):
        assert _kind(row[key]) == _kind(real[key]) == "str"
    assert _same_types(row, real) == []


@pytest.mark.parametrize(
    ("fixture", "path", "params"),
    [
        ("http_get_trades.json", "/trade", {"symbol": "XBTUSD", "count": 3, "reverse": "true"}),
        ("http_get_trade_bins.json", "/trade/bucketed", {"symbol": "XBTUSD", "binSize": "1m", "count": 3, **PAST}),
        ("ws_funding_rate.json", "/funding", {"symbol": "XBTUSD", "count": 3, **PAST}),
    ],
)
def test_table_rows_match_the_recordings(sim_env, fixture, path, params):
    real = json.loads(shared_data(f"{NAUTILUS}/{fixture}").read_text())
    real = real[0] if isinstance(real, list) else real
    rows = _get(sim_env, path, **params).json()
    assert len(rows) == 3
    for row in rows:
        assert set(row) == set(real) and _same_types(row, real) == []


# --- paging, ordering, determinism -------------------------------------------------------------------------------
def test_funding_starts_at_the_oldest_record_unless_reversed(sim_env):
    oldest = _get(sim_env, "/funding", symbol="XBTUSD", count=2).json()
    newest = _get(sim_env, "/funding", symbol="XBTUSD", count=2, reverse="true").json()
    assert oldest[0]["timestamp"].startswith("2024-01-01")  # the start of the simulated history
    assert oldest[0]["timestamp"] < oldest[1]["timestamp"]
    assert newest[0]["timestamp"] > newest[1]["timestamp"]
    assert _iso(newest[0]["timestamp"]) <= datetime.now(UTC)


def test_funding_pages_by_start_offset_without_gaps_and_repeats_itself(sim_env):
    first = _get(sim_env, "/funding", symbol="XBTUSD", count=4, **PAST).json()
    second = _get(sim_env, "/funding", symbol="XBTUSD", count=4, start=4, **PAST).json()
    stamps = [_iso(r["timestamp"]) for r in first + second]
    assert all(b - a == timedelta(hours=8) for a, b in zip(stamps, stamps[1:], strict=False))
    assert {t.hour for t in stamps} == {4, 12, 20}  # BitMEX settles at 04:00, 12:00, 20:00 UTC
    assert _get(sim_env, "/funding", symbol="XBTUSD", count=4, **PAST).json() == first
    for row in first:
        assert row["fundingInterval"] == "2000-01-01T08:00:00.000Z"
        assert row["fundingRateDaily"] == pytest.approx(3 * row["fundingRate"], abs=1e-6)


def test_funding_without_symbol_lists_every_perp_per_settlement(sim_env):
    rows = _get(sim_env, "/funding", count=6, **PAST).json()
    assert [r["symbol"] for r in rows[:3]] == ["XBTUSD", "ETHUSD", "SOLUSD"]
    assert len({r["timestamp"] for r in rows}) == 2


def test_columns_trim_rows_but_keep_the_keys_and_filter_selects(sim_env):
    rows = _get(sim_env, "/funding", symbol="XBTUSD", count=2, columns='["fundingRate"]', **PAST).json()
    assert set(rows[0]) == {"timestamp", "symbol", "fundingRate"}
    futures = _get(sim_env, "/instrument", filter='{"typ": "FFCCSX"}').json()
    assert futures and all(r["typ"] == "FFCCSX" for r in futures)


def test_trade_buckets_are_stamped_with_their_close_time(sim_env):
    bins = _get(sim_env, "/trade/bucketed", symbol="XBTUSD", binSize="1h", count=3, **PAST).json()
    assert [b["timestamp"] for b in bins] == [
        "2026-01-01T00:00:00.000Z",  # the bin covering 2025-12-31 23:00-24:00
        "2026-01-01T01:00:00.000Z",
        "2026-01-01T02:00:00.000Z",
    ]
    assert bins[1]["open"] == bins[0]["close"]
    latest = _get(sim_env, "/trade/bucketed", symbol="XBTUSD", binSize="5m", count=1, reverse="true").json()[0]
    assert _iso(latest["timestamp"]) <= datetime.now(UTC)
    running = _get(sim_env, "/trade/bucketed", symbol="XBTUSD", binSize="5m", count=1, reverse="true", partial="true")
    assert _iso(running.json()[0]["timestamp"]) > datetime.now(UTC) - timedelta(seconds=5)


# --- units and symbols ----------------------------------------------------------------------------------------------
def test_inverse_and_quanto_units(sim_env):
    rows = {r["symbol"]: r for r in _get(sim_env, "/instrument/active").json()}
    xbt, eth = rows["XBTUSD"], rows["ETHUSD"]
    assert xbt["isInverse"] and not xbt["isQuanto"] and xbt["multiplier"] == -100_000_000
    # Inverse: 1 USD per contract, openValue in satoshi = contracts / price.
    assert xbt["openValue"] == pytest.approx(xbt["openInterest"] / xbt["markPrice"] * 1e8, rel=1e-6)
    # Quanto: each contract is worth `multiplier` satoshi per USD of price.
    assert eth["isQuanto"] and not eth["isInverse"]
    assert eth["openValue"] == pytest.approx(eth["openInterest"] * eth["multiplier"] * eth["markPrice"], rel=1e-6)
    assert xbt["fairBasisRate"] == pytest.approx(xbt["fundingRate"] * 3 * 365, abs=1e-5)
    assert xbt["fairBasis"] == pytest.approx(xbt["fairPrice"] - xbt["indicativeSettlePrice"], abs=1e-9)
    assert _iso(xbt["fundingTimestamp"]).hour in (4, 12, 20)


def test_trade_values_in_contracts_satoshi_coin_and_usd(sim_env):
    for t in _get(sim_env, "/trade", symbol="XBTUSD", count=20, **PAST).json():
        assert t["size"] % 100 == 0 and t["foreignNotional"] == t["size"]
        assert t["grossValue"] == pytest.approx(t["size"] / t["price"] * 1e8, abs=1)
        assert t["homeNotional"] == pytest.approx(t["grossValue"] / 1e8, abs=1e-8)
        assert t["side"] in ("Buy", "Sell") and re.fullmatch(r"[0-9a-f-]{36}", t["trdMatchID"])
    for t in _get(sim_env, "/trade", symbol="ETHUSD", count=5, **PAST).json():
        assert t["grossValue"] == pytest.approx(t["size"] * 100 * t["price"], abs=1)


def test_futures_use_month_codes_and_expire_at_noon_on_a_friday(sim_env):
    futures = _get(sim_env, "/instrument", symbol="XBT:quarterly").json()
    assert len(futures) == 2
    for f in futures:
        expiry = _iso(f["expiry"])
        code = "FGHJKMNQUVXZ"[expiry.month - 1]
        assert f["symbol"] == f"XBT{code}{expiry.year % 100:02d}" and f["typ"] == "FFCCSX"
        assert expiry.weekday() == 4 and expiry.hour == 12 and expiry.month in (3, 6, 9, 12)
        assert f["fairBasis"] == pytest.approx(f["fairPrice"] - f["indicativeSettlePrice"], abs=1e-9)
        assert f["fundingRate"] is None


def test_indices_and_roots(sim_env):
    indices = {r["symbol"]: r for r in _get(sim_env, "/instrument/indices").json()}
    assert set(indices) == {".BXBT", ".BETH", ".BSOL"} and indices[".BXBT"]["typ"] == "MRCXXX"
    xbt = _get(sim_env, "/instrument", symbol="XBTUSD").json()[0]
    assert indices[".BXBT"]["lastPrice"] == pytest.approx(xbt["indicativeSettlePrice"], rel=0.005)
    root = {r["symbol"] for r in _get(sim_env, "/instrument", symbol="XBT").json()}
    assert {"XBTUSD", ".BXBT"} <= root and not root & {"ETHUSD", ".BETH"}
    both = _get(sim_env, "/instrument/activeAndIndices").json()
    assert {r["symbol"] for r in both} >= {"XBTUSD", "ETHUSD", "SOLUSD", ".BXBT"}


def test_liquidation_rest_shows_only_resting_orders(sim_env):
    rows = _get(sim_env, "/liquidation").json()
    assert isinstance(rows, list)  # usually []: filled liquidations only appear on the websocket


# --- errors, limits, faults -----------------------------------------------------------------------------------------
def test_errors_use_bitmex_bodies_and_unknown_symbols_give_empty_lists(sim_env):
    r = _get(sim_env, "/funding", count=501)
    assert r.status_code == 400 and r.json() == {"error": {"message": "count is invalid", "name": "HTTPError"}}
    r = _get(sim_env, "/instrument", filter="{not json")
    assert r.status_code == 400 and r.json()["error"]["message"] == "filter values are not valid"
    r = _get(sim_env, "/funding", startTime="yesterday")
    assert r.status_code == 400 and r.json()["error"]["message"] == "startTime is invalid"
    assert _get(sim_env, "/trade/bucketed", binSize="2h").status_code == 400
    assert _get(sim_env, "/funding", symbol="XBTM20").json() == []
    assert _get(sim_env, "/instrument", symbol="NOPE").json() == []


def test_token_bucket_refuses_with_bitmex_headers_and_body_then_refills(sim_env):
    sim_env.set_limits({"bitmex": {"limit": 3, "window_s": 3}})  # 3 tokens, one back every second
    codes = [_get(sim_env, "/instrument/indices").status_code for _ in range(3)]
    r = _get(sim_env, "/instrument/indices")
    assert codes == [200, 200, 200] and r.status_code == 429
    assert r.json() == {"error": {"message": "Rate limit exceeded, retry in 1 seconds.", "name": "RateLimitError"}}
    assert r.headers["Retry-After"] == "1"
    assert r.headers["x-ratelimit-limit"] == "3" and r.headers["x-ratelimit-remaining"] == "0"
    assert 0 <= int(r.headers["x-ratelimit-reset"]) - time.time() <= 4
    time.sleep(1.1)  # a token bucket refills continuously: no need to wait for a window to end
    ok = _get(sim_env, "/instrument/indices")
    assert ok.status_code == 200 and ok.headers["x-ratelimit-remaining"] == "0"
    assert sim_env.requests_summary()["by_status"]["bitmex 429"] == 1


def test_default_limit_is_30_requests_per_minute(sim_env):
    r = _get(sim_env, "/instrument/indices")
    assert r.headers["x-ratelimit-limit"] == "30" and r.headers["x-ratelimit-remaining"] == "29"


def test_delisted_fault_answers_like_an_unknown_symbol(sim_env):
    fault = {"kind": "delisted", "venue": "bitmex", "path": "/api/v1/funding", "options": {"symbol": "XBTUSD"}}
    httpx.post(f"{sim_env.root}/_sim/faults", json=fault, timeout=10).raise_for_status()
    r = _get(sim_env, "/funding", symbol="XBTUSD", **PAST)
    assert r.status_code == 200 and r.json() == []
    assert _get(sim_env, "/funding", symbol="XBTUSD", **PAST).json() != []  # one request only


# --- realtime websocket ----------------------------------------------------------------------------------------------
async def _messages(ws, n: int, timeout: float = 5.0) -> list:
    out = []
    for _ in range(n):
        msg = await ws.receive(timeout=timeout)
        out.append(msg.data if msg.data == "pong" else json.loads(msg.data))
    return out


def test_realtime_handshake_subscriptions_and_errors(sim_env):
    url = f"{sim_env.root}/ws.bitmex.com/realtime?subscribe=liquidation:XBTUSD"

    async def session():
        async with aiohttp.ClientSession() as http, http.ws_connect(url, timeout=10) as ws:
            welcome, ack, partial = await _messages(ws, 3)
            await ws.send_str("ping")
            (pong,) = await _messages(ws, 1)
            await ws.send_str(json.dumps({"op": "subscribe", "args": ["liquidation"]}))
            ack2, partial2 = await _messages(ws, 2)
            await ws.send_str(json.dumps({"op": "subscribe", "args": "orderBookL2"}))
            await ws.send_str("hello")
            unknown, unrecognized = await _messages(ws, 2)
            return welcome, ack, partial, pong, ack2, partial2, unknown, unrecognized

    welcome, ack, partial, pong, ack2, partial2, unknown, unrecognized = asyncio.run(session())
    assert welcome["info"] == "Welcome to the BitMEX Realtime API." and welcome["version"] == "2.0.0"
    assert ack == {"success": True, "subscribe": "liquidation:XBTUSD"}
    assert partial["table"] == "liquidation" and partial["action"] == "partial" and partial["keys"] == ["orderID"]
    assert partial["filter"] == {"symbol": "XBTUSD"} and isinstance(partial["data"], list)
    assert pong == "pong"
    request = {"op": "subscribe", "args": ["liquidation"]}
    assert ack2 == {"success": True, "subscribe": "liquidation", "request": request}
    assert partial2["filter"] == {}
    assert unknown["status"] == 400 and "orderBookL2" in unknown["error"]
    assert unrecognized["status"] == 400 and unrecognized["error"].startswith("Unrecognized request.")
    sent = httpx.get(f"{sim_env.root}/_sim/ws/sent", params={"venue": "bitmex"}, timeout=10).json()
    assert any('"Welcome to the BitMEX Realtime API."' in m["message"] for m in sent)


def test_realtime_streams_liquidations_of_a_cascade(sim_env):
    """During the scripted BTC long squeeze, liquidated longs arrive as Sell orders: insert, then delete when the
    order fills. A running clock passes the cascade's six hours in about ten seconds."""
    episodes = httpx.get(f"{sim_env.root}/_sim/episodes", timeout=10).json()
    squeeze = next(e for e in episodes if e["name"] == "long_squeeze" and e["asset"] == "BTC")
    cascade = next(p for p in squeeze["phases"] if p["name"] == "cascade")
    recorded = json.loads(shared_data(f"{NAUTILUS}/ws_liquidation.json").read_text())

    async def stream(root: str) -> list[dict]:
        url = f"{root}/ws.bitmex.com/realtime?subscribe=liquidation"
        got: list[dict] = []
        async with aiohttp.ClientSession() as http, http.ws_connect(url, timeout=10) as ws:
            deadline = time.monotonic() + 20
            while time.monotonic() < deadline and not any(m.get("action") == "delete" for m in got):
                msg = await ws.receive(timeout=max(0.1, deadline - time.monotonic()))
                got.append(json.loads(msg.data))
        return got

    with running_simulator(now=_iso(cascade["start"]), speed=2160, max_lifetime_s=120) as sim:
        messages = asyncio.run(stream(sim.root))
    inserts = [m["data"][0] for m in messages if m.get("action") == "insert"]
    deletes = [m["data"][0] for m in messages if m.get("action") == "delete"]
    assert inserts and deletes, messages
    first = inserts[0]
    assert set(first) == set(recorded) and _same_types(first, recorded) == []
    assert first["side"] == "Sell"  # the ORDER side: a liquidated long sells
    if first["symbol"] == "XBTUSD":
        assert first["leavesQty"] % 100 == 0
    assert deletes[0] == {"orderID": first["orderID"], "symbol": first["symbol"]}
