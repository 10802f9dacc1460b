"""The simulator's Binance answers (USD-M fapi, COIN-M dapi, spot api, the forceOrder streams), against
Binance's documented behaviour and real recordings."""

import asyncio
import json
import time
from datetime import UTC, datetime, timedelta

import aiohttp
import httpx
import pytest

from simulator import catalog, flow
from simulator.clock import SimClock
from simulator.context import SimContext
from simulator.market import Market
from simulator.process import running_simulator
from simulator.venues import binance_ws
from tests.conftest import shared_data

NAUTILUS = "nautechsystems__nautilus_trader/tests/integration_tests/adapters/binance/resources/http_responses"
NAUTILUS_WS = "nautechsystems__nautilus_trader/crates/adapters/binance/test_data/futures/market_data_json"
CRYPTOFEED = "bmoscon__cryptofeed/sample_data"
DAY_MS = 86_400_000
HOUR_MS = 3_600_000


def _get(sim, path, **params):
    return httpx.get(f"{sim.root}/fapi.binance.com{path}", params=params, timeout=10)


def _dapi(sim, path, **params):
    return httpx.get(f"{sim.root}/dapi.binance.com{path}", params=params, timeout=10)


def _spot(sim, path, **params):
    return httpx.get(f"{sim.root}/api.binance.com{path}", params=params, timeout=10)


def _now_ms(sim):
    return _get(sim, "/fapi/v1/time").json()["serverTime"]


def _fresh_weight_window():
    """Weight counters reset on each wall-clock minute: keep a before/after comparison inside one."""
    if time.time() % 60 > 55:
        time.sleep(60 - time.time() % 60 + 0.05)


def _cryptofeed(name, url):
    """The body cryptofeed recorded for `url` (lines of `URL -> epoch: body`)."""
    for line in shared_data(f"{CRYPTOFEED}/{name}").read_text().splitlines():
        if line.startswith(f"{url} -> "):
            return json.loads(line.split(" -> ", 1)[1].split(": ", 1)[1])
    raise AssertionError(f"{url} not recorded in {name}")


def _live_timestamps(value):
    """Binance's documentation examples (the nautilus /futures/data fixtures) quote `timestamp` as a
    string; the live API sends an integer (e.g. the live call quoted in the binance_futures hexdocs)."""
    if isinstance(value, list):
        return [_live_timestamps(v) for v in value]
    return {k: int(v) if k == "timestamp" else v for k, v in value.items()}


def _shape(value):
    """Keys, value types and nesting of a JSON value (what a parser depends on)."""
    if isinstance(value, dict):
        return {k: _shape(v) for k, v in sorted(value.items())}
    if isinstance(value, list):
        return [_shape(value[0])] if value else []
    return type(value).__name__


@pytest.mark.parametrize(
    ("fixture", "path", "params"),
    [
        ("http_futures_market_funding_rate.json", "/fapi/v1/fundingRate", {"symbol": "BTCUSDT", "limit": 2}),
        ("http_futures_market_premium_index.json", "/fapi/v1/premiumIndex", {"symbol": "BTCUSDT"}),
        ("http_futures_market_open_interest.json", "/fapi/v1/openInterest", {"symbol": "BTCUSDT"}),
    ],
)
def test_response_shape_matches_the_real_recording(sim_env, fixture, path, params):
    real = json.loads(shared_data(f"{NAUTILUS}/{fixture}").read_text())
    ours = _get(sim_env, path, **params).json()
    real_shape, our_shape = _shape(real), _shape(ours)
    if fixture == "http_futures_market_funding_rate.json":
        # The recording predates the markPrice field Binance added to fundingRate in 2023.
        our_shape = [{k: v for k, v in our_shape[0].items() if k != "markPrice"}]
    assert our_shape == real_shape


def test_numbers_are_strings_and_times_are_milliseconds(sim_env):
    rows = _get(sim_env, "/fapi/v1/fundingRate", symbol="BTCUSDT", limit=3).json()
    assert len(rows) == 3
    for r in rows:
        assert isinstance(r["fundingRate"], str) and isinstance(r["fundingTime"], int)
        assert r["fundingTime"] > 1_600_000_000_000
        assert r["fundingTime"] % 3_600_000 < 10  # settles on the hour, plus a few ms like the real venue
    assert [r["fundingTime"] for r in rows] == sorted(r["fundingTime"] for r in rows)


def test_paging_by_start_time_is_ascending_and_bounded(sim_env):
    start = 1767225600000  # 2026-01-01
    end = start + 3 * 86_400_000 - 1
    first = _get(sim_env, "/fapi/v1/fundingRate", symbol="INJUSDT", startTime=start, endTime=end, limit=50).json()
    assert len(first) == 50  # hourly symbol: 72 settlements in 3 days
    rest = _get(
        sim_env,
        "/fapi/v1/fundingRate",
        symbol="INJUSDT",
        startTime=first[-1]["fundingTime"] + 1,
        endTime=end,
        limit=50,
    ).json()
    assert len(rest) == 22
    times = [r["fundingTime"] for r in first + rest]
    assert len(set(times)) == 72 and all(start <= t <= end for t in times)


def test_intervals_mix_8h_4h_1h_as_listed_by_funding_info(sim_env):
    info = {r["symbol"]: r["fundingIntervalHours"] for r in _get(sim_env, "/fapi/v1/fundingInfo").json()}
    assert info["ORDIUSDT"] == 4 and info["INJUSDT"] == 1 and "BTCUSDT" not in info
    day = {"startTime": 1767225600000, "endTime": 1767311999999, "limit": 1000}
    counts = {
        s: len(_get(sim_env, "/fapi/v1/fundingRate", symbol=s, **day).json())
        for s in ("BTCUSDT", "ORDIUSDT", "INJUSDT")
    }
    assert counts == {"BTCUSDT": 3, "ORDIUSDT": 6, "INJUSDT": 24}


def test_errors_use_binance_bodies(sim_env):
    r = _get(sim_env, "/fapi/v1/openInterest", symbol="NOPEUSDT")
    assert r.status_code == 400 and r.json() == {"code": -1121, "msg": "Invalid symbol."}
    r = _get(sim_env, "/fapi/v1/openInterest")
    assert r.status_code == 400 and r.json()["code"] == -1102
    r = _get(sim_env, "/fapi/v1/fundingRate", symbol="BTCUSDT", limit=5000)
    assert r.status_code == 400 and r.json()["code"] == -1130
    r = _get(sim_env, "/fapi/v1/fundingRate", symbol="BTCUSDT", startTime="yesterday")
    assert r.status_code == 400 and r.json()["code"] == -1100


def test_every_answer_reports_used_weight(sim_env):
    r1 = _get(sim_env, "/fapi/v1/premiumIndex", symbol="BTCUSDT")
    r2 = _get(sim_env, "/fapi/v1/premiumIndex")  # all symbols: weight 10
    assert int(r2.headers["X-MBX-USED-WEIGHT-1M"]) - int(r1.headers["X-MBX-USED-WEIGHT-1M"]) == 10


# --- shapes against every real recording of the endpoints served --------------------------------------
@pytest.mark.parametrize(
    ("fixture", "host", "path", "params"),
    [
        ("http_futures_market_klines.json", "fapi", "/fapi/v1/klines", {"symbol": "BTCUSDT", "interval": "1h"}),
        (
            "http_futures_market_continuous_klines.json",
            "fapi",
            "/fapi/v1/klines",
            {"symbol": "BTCUSDT", "interval": "1m", "limit": 3},
        ),
        ("http_futures_market_ticker_24hr.json", "fapi", "/fapi/v1/ticker/24hr", {"symbol": "BTCUSDT"}),
        (
            "http_futures_market_open_interest_historical.json",
            "fapi",
            "/futures/data/openInterestHist",
            {"symbol": "BTCUSDT", "period": "5m", "limit": 2},
        ),
        (
            "http_futures_market_global_long_short_account_ratio.json",
            "fapi",
            "/futures/data/globalLongShortAccountRatio",
            {"symbol": "BTCUSDT", "period": "5m", "limit": 2},
        ),
        (
            "http_futures_market_top_long_short_account_ratio.json",
            "fapi",
            "/futures/data/topLongShortAccountRatio",
            {"symbol": "BTCUSDT", "period": "5m", "limit": 2},
        ),
        (
            "http_futures_market_top_long_short_position_ratio.json",
            "fapi",
            "/futures/data/topLongShortPositionRatio",
            {"symbol": "BTCUSDT", "period": "5m", "limit": 2},
        ),
        (
            "http_futures_market_taker_long_short_ratio.json",
            "fapi",
            "/futures/data/takerlongshortRatio",
            {"symbol": "BTCUSDT", "period": "5m", "limit": 2},
        ),
        # COIN-M candles have the USD-M layout (contracts where USD-M has coin).
        ("http_futures_market_klines.json", "dapi", "/dapi/v1/klines", {"symbol": "BTCUSD_PERP", "interval": "1h"}),
        ("http_spot_market_klines.json", "spot", "/api/v3/klines", {"symbol": "BTCUSDT", "interval": "1m"}),
        ("http_spot_market_ticker_price.json", "spot", "/api/v3/ticker/price", {"symbol": "BTCUSDT"}),
    ],
)
def test_new_endpoints_match_the_real_recordings(sim_env, fixture, host, path, params):
    real = json.loads(shared_data(f"{NAUTILUS}/{fixture}").read_text())
    if path.startswith("/futures/data/"):
        real = _live_timestamps(real)
    ours = {"fapi": _get, "dapi": _dapi, "spot": _spot}[host](sim_env, path, **params).json()
    assert _shape(ours) == _shape(real)


def test_exchange_info_matches_cryptofeed_and_nautilus_recordings(sim_env):
    """Top-level keys and each contract's fields as recorded live in 2021 (fapi and dapi) and in the
    nautilus fixture; spot's exchangeInfo is minimal: a subset of the recorded fields, same types."""
    fapi_real = _cryptofeed("BINANCE_FUTURES.0", "https://fapi.binance.com/fapi/v1/exchangeInfo")
    fapi = _get(sim_env, "/fapi/v1/exchangeInfo").json()
    assert sorted(fapi) == sorted(fapi_real)
    real_syms = {s["symbol"]: s for s in fapi_real["symbols"]}
    ours = {s["symbol"]: s for s in fapi["symbols"]}
    quarterly = next(s for s in ours if s.startswith("BTCUSDT_"))
    assert _shape(ours["BTCUSDT"]) == _shape(real_syms["BTCUSDT"])
    assert _shape(ours[quarterly]) == _shape(real_syms["BTCUSDT_210924"])
    nautilus = json.loads(shared_data(f"{NAUTILUS}/http_futures_market_exchange_info.json").read_text())
    assert _shape(ours["BTCUSDT"]) == _shape(next(s for s in nautilus["symbols"] if s["symbol"] == "BTCUSDT"))

    dapi_real = _cryptofeed("BINANCE_DELIVERY.0", "https://dapi.binance.com/dapi/v1/exchangeInfo")
    dapi = _dapi(sim_env, "/dapi/v1/exchangeInfo").json()
    assert sorted(dapi) == sorted(dapi_real)
    real_syms = {s["symbol"]: s for s in dapi_real["symbols"]}
    ours = {s["symbol"]: s for s in dapi["symbols"]}
    assert _shape(ours["BTCUSD_PERP"]) == _shape(real_syms["BTCUSD_PERP"])
    assert _shape(ours[next(s for s in ours if s.startswith("BTCUSD_2"))]) == _shape(real_syms["BTCUSD_210924"])

    spot_real = json.loads(shared_data(f"{NAUTILUS}/http_spot_market_exchange_info.json").read_text())
    spot = _spot(sim_env, "/api/v3/exchangeInfo").json()
    real_shape, our_shape = _shape(spot_real), _shape(spot)
    assert set(our_shape) <= set(real_shape)
    real_symbol, our_symbol = real_shape["symbols"][0], our_shape["symbols"][0]
    assert set(our_symbol) <= set(real_symbol)
    assert all(our_symbol[k] == real_symbol[k] for k in our_symbol if k != "filters")


# --- klines --------------------------------------------------------------------------------------------
def test_klines_page_forward_from_start_and_back_from_end(sim_env):
    start = 1767225600000  # 2026-01-01
    first = _get(sim_env, "/fapi/v1/klines", symbol="BTCUSDT", interval="1h", startTime=start + 1, limit=5).json()
    # Candles open at or after startTime; each closes 1 ms before the next opens.
    assert [k[0] for k in first] == [start + HOUR_MS * i for i in range(1, 6)]
    assert all(k[6] == k[0] + HOUR_MS - 1 for k in first)
    back = _get(sim_env, "/fapi/v1/klines", symbol="BTCUSDT", interval="1h", endTime=start + 1, limit=3).json()
    assert [k[0] for k in back] == [start - 2 * HOUR_MS, start - HOUR_MS, start]  # up to the one open at endTime
    both = _get(
        sim_env, "/fapi/v1/klines", symbol="BTCUSDT", interval="1h", startTime=start, endTime=start + DAY_MS, limit=4
    ).json()
    assert [k[0] for k in both] == [start + HOUR_MS * i for i in range(4)]  # the first `limit` from startTime
    again = _get(sim_env, "/fapi/v1/klines", symbol="BTCUSDT", interval="1h", startTime=start + 1, limit=5).json()
    assert again == first  # the past is deterministic
    assert back[-1][4] == first[0][1]  # a candle closes where the next one opens


def test_kline_fields_units_and_the_running_candle(sim_env):
    rows = _get(sim_env, "/fapi/v1/klines", symbol="BTCUSDT", interval="5m").json()
    assert len(rows) == 500  # default limit
    for k in rows:
        o, h, lo, c, vol, quote, taker, taker_quote = (float(k[i]) for i in (1, 2, 3, 4, 5, 7, 9, 10))
        assert lo <= min(o, c) <= max(o, c) <= h
        assert 0 < taker <= vol and lo * vol * 0.999 <= quote <= h * vol * 1.001
        assert 0 <= taker_quote <= quote and isinstance(k[8], int) and k[11] == "0"
        assert k[1].count(".") == 1 and len(k[1].split(".")[1]) == 2 and len(k[5].split(".")[1]) == 3
    now = _now_ms(sim_env)
    assert rows[-1][0] <= now < rows[-1][6] + 1  # the last candle is the one still running
    mark = float(_get(sim_env, "/fapi/v1/premiumIndex", symbol="BTCUSDT").json()["markPrice"])
    assert abs(float(rows[-1][4]) / mark - 1) < 5e-4  # its close is the price now


def test_weekly_and_monthly_candles_open_on_mondays_and_month_starts(sim_env):
    weeks = _get(sim_env, "/fapi/v1/klines", symbol="ETHUSDT", interval="1w", limit=3).json()
    assert all(datetime.fromtimestamp(k[0] / 1000, UTC).weekday() == 0 for k in weeks)
    months = _spot(sim_env, "/api/v3/klines", symbol="ETHUSDT", interval="1M", limit=3).json()
    opens = [datetime.fromtimestamp(k[0] / 1000, UTC) for k in months]
    assert all(t.day == 1 and t.hour == 0 for t in opens)
    assert months[0][6] == months[1][0] - 1


def test_kline_errors_and_weights(sim_env):
    r = _get(sim_env, "/fapi/v1/klines", symbol="BTCUSDT")
    assert r.status_code == 400 and r.json() == {
        "code": -1102,
        "msg": "Mandatory parameter 'interval' was not sent, was empty/null, or malformed.",
    }
    r = _get(sim_env, "/fapi/v1/klines", symbol="BTCUSDT", interval="7m")
    assert r.status_code == 400 and r.json() == {"code": -1120, "msg": "Invalid interval."}
    r = _get(sim_env, "/fapi/v1/klines", symbol="BTCUSDT", interval="1m", limit=1501)
    assert r.status_code == 400 and r.json() == {"code": -1130, "msg": "Data sent for parameter 'limit' is not valid."}
    assert len(_spot(sim_env, "/api/v3/klines", symbol="BTCUSDT", interval="1m", limit=5000).json()) == 1000
    used = []
    _fresh_weight_window()
    for limit in (99, 100, 1000, 1500):
        r = _get(sim_env, "/fapi/v1/klines", symbol="BTCUSDT", interval="1m", limit=limit)
        used.append(int(r.headers["X-MBX-USED-WEIGHT-1M"]))
    assert [b - a for a, b in zip(used, used[1:], strict=False)] == [2, 5, 10]


# --- USD-M quarterlies and the 24 h ticker ------------------------------------------------------------
def test_usdm_quarterlies_are_listed_with_delivery_dates(sim_env):
    now = datetime.fromtimestamp(_now_ms(sim_env) / 1000, UTC)
    expected = catalog.future_expiries(now)[:2]
    symbols = {s["symbol"]: s for s in _get(sim_env, "/fapi/v1/exchangeInfo").json()["symbols"]}
    for asset in ("BTC", "ETH"):
        for ctype, expiry in zip(("CURRENT_QUARTER", "NEXT_QUARTER"), expected, strict=True):
            info = symbols[f"{asset}USDT_{expiry:%y%m%d}"]
            assert info["contractType"] == ctype and info["pair"] == f"{asset}USDT"
            assert info["deliveryDate"] == int(expiry.timestamp() * 1000)
    assert symbols["BTCUSDT"]["deliveryDate"] == 4133404800000
    quarterly = f"BTCUSDT_{expected[0]:%y%m%d}"
    prem = _get(sim_env, "/fapi/v1/premiumIndex", symbol=quarterly).json()
    assert (prem["lastFundingRate"], prem["interestRate"], prem["nextFundingTime"]) == ("", "", 0)
    assert quarterly in {r["symbol"] for r in _get(sim_env, "/fapi/v1/premiumIndex").json()}
    assert _get(sim_env, "/fapi/v1/fundingRate", symbol=quarterly).json() == []
    perp_oi = float(_get(sim_env, "/fapi/v1/openInterest", symbol="BTCUSDT").json()["openInterest"])
    assert 0 < float(_get(sim_env, "/fapi/v1/openInterest", symbol=quarterly).json()["openInterest"]) < perp_oi


def test_ticker_24hr_agrees_with_the_candles(sim_env):
    t = _get(sim_env, "/fapi/v1/ticker/24hr", symbol="BTCUSDT").json()
    assert t["closeTime"] - t["openTime"] == DAY_MS and t["lastId"] - t["firstId"] + 1 == t["count"]
    assert float(t["lowPrice"]) <= float(t["weightedAvgPrice"]) <= float(t["highPrice"])
    change = float(t["lastPrice"]) - float(t["openPrice"])
    assert abs(float(t["priceChange"]) - change) < 0.02
    assert abs(float(t["priceChangePercent"]) - 100 * change / float(t["openPrice"])) < 1e-3
    hours = _get(sim_env, "/fapi/v1/klines", symbol="BTCUSDT", interval="1h", limit=24).json()
    assert abs(float(t["openPrice"]) / float(hours[0][1]) - 1) < 0.02
    _fresh_weight_window()
    every = _get(sim_env, "/fapi/v1/ticker/24hr")
    assert isinstance(every.json(), list) and {"BTCUSDT", "INJUSDT"} <= {r["symbol"] for r in every.json()}
    used = int(every.headers["X-MBX-USED-WEIGHT-1M"])
    after = _get(sim_env, "/fapi/v1/ticker/24hr", symbol="ETHUSDT").headers["X-MBX-USED-WEIGHT-1M"]
    assert int(after) - used == 1


# --- /futures/data statistics --------------------------------------------------------------------------
def test_statistics_serve_only_the_last_30_days(sim_env):
    now = _now_ms(sim_env)
    r = _get(sim_env, "/futures/data/openInterestHist", symbol="BTCUSDT", period="1h", startTime=now - 31 * DAY_MS)
    assert r.status_code == 400 and r.text == '{"msg":"parameter \'startTime\' is invalid.","code":-1130}'
    rows = _get(
        sim_env, "/futures/data/openInterestHist", symbol="BTCUSDT", period="1d", startTime=now - 29 * DAY_MS
    ).json()
    assert len(rows) == 29 and all(r["timestamp"] % DAY_MS == 0 for r in rows)
    old_end = _get(
        sim_env, "/futures/data/topLongShortAccountRatio", symbol="BTCUSDT", period="1h", endTime=now - 40 * DAY_MS
    )
    assert old_end.json() == []


def test_statistics_return_the_newest_records_of_the_window(sim_env):
    now = _now_ms(sim_env)
    rows = _get(
        sim_env, "/futures/data/openInterestHist", symbol="BTCUSDT", period="1h", startTime=now - 2 * DAY_MS, limit=5
    ).json()
    stamps = [r["timestamp"] for r in rows]
    assert stamps == [now // HOUR_MS * HOUR_MS - HOUR_MS * i for i in range(4, -1, -1)]
    assert len(_get(sim_env, "/futures/data/openInterestHist", symbol="BTCUSDT", period="5m").json()) == 30
    end = now - 3 * DAY_MS
    window = _get(sim_env, "/futures/data/openInterestHist", symbol="BTCUSDT", period="4h", endTime=end, limit=3)
    assert [r["timestamp"] for r in window.json()] == [
        end // (4 * HOUR_MS) * 4 * HOUR_MS - 4 * HOUR_MS * i for i in (2, 1, 0)
    ]
    assert (
        window.json()
        == _get(sim_env, "/futures/data/openInterestHist", symbol="BTCUSDT", period="4h", endTime=end, limit=3).json()
    )
    oi = rows[-1]
    price = float(oi["sumOpenInterestValue"]) / float(oi["sumOpenInterest"])  # value in USDT, OI in coin
    mark = float(_get(sim_env, "/fapi/v1/premiumIndex", symbol="BTCUSDT").json()["markPrice"])
    assert abs(price / mark - 1) < 0.02


def test_statistics_parameter_errors(sim_env):
    r = _get(sim_env, "/futures/data/openInterestHist", symbol="BTCUSDT")
    assert r.status_code == 400 and r.json() == {
        "code": -1102,
        "msg": "Mandatory parameter 'period' was not sent, was empty/null, or malformed.",
    }
    r = _get(sim_env, "/futures/data/globalLongShortAccountRatio", symbol="BTCUSDT", period="1h", limit=501)
    assert r.status_code == 400 and r.json()["code"] == -1130
    r = _get(sim_env, "/futures/data/takerlongshortRatio", symbol="NOPEUSDT", period="1h")
    assert r.status_code == 400 and r.json() == {"code": -1121, "msg": "Invalid symbol."}
    r = _get(sim_env, "/futures/data/basis", pair="BTCUSDT", contractType="PERPETUAL", period="1h")
    assert r.status_code == 400 and r.json() == {
        "code": -1102,
        "msg": "Mandatory parameter 'limit' was not sent, was empty/null, or malformed.",
    }
    optional = _dapi(sim_env, "/futures/data/basis", pair="BTCUSD", contractType="PERPETUAL", period="1h")
    assert optional.status_code == 200 and len(optional.json()) == 30  # dapi: limit optional, default 30


def test_long_short_ratios_are_consistent_fractions(sim_env):
    for path in ("globalLongShortAccountRatio", "topLongShortAccountRatio", "topLongShortPositionRatio"):
        for r in _get(sim_env, f"/futures/data/{path}", symbol="SOLUSDT", period="15m", limit=20).json():
            long, short = float(r["longAccount"]), float(r["shortAccount"])
            assert abs(long + short - 1) < 2e-4 and abs(float(r["longShortRatio"]) - long / short) < 2e-3
    coinm = _dapi(sim_env, "/futures/data/topLongShortPositionRatio", pair="BTCUSD", period="1h", limit=2).json()
    assert sorted(coinm[0]) == ["longPosition", "longShortRatio", "pair", "shortPosition", "timestamp"]


def test_taker_volume_is_the_candle_of_the_period_that_ends_at_the_record(sim_env):
    rows = _get(sim_env, "/futures/data/takerlongshortRatio", symbol="ETHUSDT", period="1h", limit=3).json()
    first_open = rows[0]["timestamp"] - HOUR_MS
    candles = _get(sim_env, "/fapi/v1/klines", symbol="ETHUSDT", interval="1h", startTime=first_open, limit=3).json()
    for row, k in zip(rows, candles, strict=True):
        assert abs(float(row["buyVol"]) - float(k[9])) < 0.01
        assert abs(float(row["buyVol"]) + float(row["sellVol"]) - float(k[5])) < 0.01
        assert abs(float(row["buySellRatio"]) - float(row["buyVol"]) / float(row["sellVol"])) < 1e-3


def test_basis_for_quarters_and_the_perpetual(sim_env):
    now = datetime.fromtimestamp(_now_ms(sim_env) / 1000, UTC)
    for host, pair in ((_get, "BTCUSDT"), (_dapi, "BTCUSD")):
        quarter = host(sim_env, "/futures/data/basis", pair=pair, contractType="CURRENT_QUARTER", period="1h", limit=3)
        for r in quarter.json():
            index, future = float(r["indexPrice"]), float(r["futuresPrice"])
            assert abs(float(r["basis"]) - (future - index)) < 0.2 and r["pair"] == pair
            assert abs(float(r["basisRate"]) - (future - index) / index) < 1e-4
            days = (catalog.future_expiries(now)[0] - now).total_seconds() / 86400
            assert abs(float(r["annualizedBasisRate"]) - float(r["basisRate"]) * 365 / days) < 0.01
        perp = host(sim_env, "/futures/data/basis", pair=pair, contractType="PERPETUAL", period="1h", limit=1).json()
        assert perp[0]["annualizedBasisRate"] == "" and perp[0]["contractType"] == "PERPETUAL"


# --- COIN-M ------------------------------------------------------------------------------------------
def test_coinm_premium_index_is_always_an_array(sim_env):
    one = _dapi(sim_env, "/dapi/v1/premiumIndex", symbol="BTCUSD_PERP").json()
    assert isinstance(one, list) and len(one) == 1 and one[0]["pair"] == "BTCUSD"
    real = json.loads(shared_data(f"{NAUTILUS}/http_futures_market_premium_index.json").read_text())
    assert _shape(one[0]) == _shape({**real, "pair": "BTCUSD"})  # USD-M fields plus the pair
    by_pair = _dapi(sim_env, "/dapi/v1/premiumIndex", pair="BTCUSD").json()
    assert [r["symbol"].split("_")[1] == "PERP" for r in by_pair] == [True, False, False]
    assert all(r["lastFundingRate"] == "" and r["nextFundingTime"] == 0 for r in by_pair[1:])
    unknown = _dapi(sim_env, "/dapi/v1/premiumIndex", pair="NOPEUSD")
    assert (unknown.status_code, unknown.json()) == (400, {"code": -1121, "msg": "Invalid symbol."})


def test_coinm_open_interest_counts_contracts(sim_env):
    sizes = {s["symbol"]: s["contractSize"] for s in _dapi(sim_env, "/dapi/v1/exchangeInfo").json()["symbols"]}
    assert sizes["BTCUSD_PERP"] == 100 and sizes["ETHUSD_PERP"] == 10 and sizes["SOLUSD_PERP"] == 10
    oi = _dapi(sim_env, "/dapi/v1/openInterest", symbol="BTCUSD_PERP").json()
    assert sorted(oi) == ["contractType", "openInterest", "pair", "symbol", "time"]
    assert oi["openInterest"].isdigit() and oi["contractType"] == "PERPETUAL"
    hist = _dapi(
        sim_env, "/futures/data/openInterestHist", pair="BTCUSD", contractType="PERPETUAL", period="5m", limit=1
    ).json()[0]
    mark = float(_dapi(sim_env, "/dapi/v1/premiumIndex", symbol="BTCUSD_PERP").json()[0]["markPrice"])
    coins = int(hist["sumOpenInterest"]) * 100 / mark  # contracts of 100 USD -> BTC
    assert abs(coins / float(hist["sumOpenInterestValue"]) - 1) < 0.02
    assert abs(int(oi["openInterest"]) / int(hist["sumOpenInterest"]) - 1) < 0.05
    every = _dapi(sim_env, "/futures/data/openInterestHist", pair="BTCUSD", contractType="ALL", period="5m", limit=1)
    assert int(every.json()[0]["sumOpenInterest"]) > int(hist["sumOpenInterest"])


def test_coinm_delivery_contracts_follow_the_catalog(sim_env):
    now = datetime.fromtimestamp(_now_ms(sim_env) / 1000, UTC)
    expected = catalog.future_expiries(now)[:2]
    info = {s["symbol"]: s for s in _dapi(sim_env, "/dapi/v1/exchangeInfo").json()["symbols"]}
    for ctype, expiry in zip(("CURRENT_QUARTER", "NEXT_QUARTER"), expected, strict=True):
        contract = info[f"BTCUSD_{expiry:%y%m%d}"]
        assert contract["contractType"] == ctype and contract["deliveryDate"] == int(expiry.timestamp() * 1000)
        assert contract["contractStatus"] == "TRADING" and "status" not in contract
    delivery = f"BTCUSD_{expected[0]:%y%m%d}"
    assert _dapi(sim_env, "/dapi/v1/fundingRate", symbol=delivery).json() == []
    rows = _dapi(sim_env, "/dapi/v1/fundingRate", symbol="BTCUSD_PERP", limit=3).json()
    real = json.loads(shared_data(f"{NAUTILUS}/http_futures_market_funding_rate.json").read_text())
    assert len(rows) == 3 and _shape(rows) == _shape(real)  # COIN-M rows never gained markPrice
    assert _dapi(sim_env, "/dapi/v1/fundingRate").json()["code"] == -1102


def test_coinm_klines_and_ticker_count_contracts(sim_env):
    rows = _dapi(sim_env, "/dapi/v1/klines", symbol="ETHUSD_PERP", interval="15m", limit=4).json()
    assert len(rows) == 4 and len(rows[0]) == 12
    for k in rows:
        typical = sum(float(k[i]) for i in (1, 2, 3, 4)) / 4
        assert k[5].isdigit() and k[9].isdigit()
        assert abs(int(k[5]) * 10 / typical - float(k[7])) <= 0.02 * float(k[7]) + 10 / typical
    ticker = _dapi(sim_env, "/dapi/v1/ticker/24hr", symbol="ETHUSD_PERP").json()
    assert isinstance(ticker, list) and ticker[0]["pair"] == "ETHUSD"
    assert "baseVolume" in ticker[0] and "quoteVolume" not in ticker[0]
    by_pair = [r["symbol"] for r in _dapi(sim_env, "/dapi/v1/ticker/24hr", pair="ETHUSD").json()]
    assert by_pair[0] == "ETHUSD_PERP" and len(by_pair) == 3 and all(s.startswith("ETHUSD_") for s in by_pair)


# --- spot ----------------------------------------------------------------------------------------------
def test_spot_prices_are_the_index(sim_env):
    one = _spot(sim_env, "/api/v3/ticker/price", symbol="BTCUSDT").json()
    index = float(_get(sim_env, "/fapi/v1/premiumIndex", symbol="BTCUSDT").json()["indexPrice"])
    assert abs(float(one["price"]) / index - 1) < 5e-4
    some = _spot(sim_env, "/api/v3/ticker/price", symbols='["BTCUSDT","SOLUSDT"]').json()
    assert [r["symbol"] for r in some] == ["BTCUSDT", "SOLUSDT"]
    assert {r["symbol"] for r in _spot(sim_env, "/api/v3/ticker/price").json()} >= {"BTCUSDT", "ETHUSDT", "SOLUSDT"}
    r = _spot(sim_env, "/api/v3/ticker/price", symbol="NOPEUSDT")
    assert r.status_code == 400 and r.json() == {"code": -1121, "msg": "Invalid symbol."}
    assert _spot(sim_env, "/api/v3/ticker/price", symbols="BTCUSDT").json()["code"] == -1100
    candle = _spot(sim_env, "/api/v3/klines", symbol="BTCUSDT", interval="1m", limit=1).json()[0]
    assert abs(float(candle[4]) / float(one["price"]) - 1) < 5e-4 and len(candle[1].split(".")[1]) == 8


# --- delisted fault ------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("host", "path", "params", "other"),
    [
        ("fapi", "/fapi/v1/klines", {"symbol": "SOLUSDT", "interval": "1h"}, {"symbol": "BTCUSDT", "interval": "1h"}),
        ("dapi", "/dapi/v1/premiumIndex", {"symbol": "ETHUSD_PERP"}, {"symbol": "BTCUSD_PERP"}),
        ("spot", "/api/v3/ticker/price", {"symbol": "ETHUSDT"}, {"symbol": "BTCUSDT"}),
    ],
)
def test_delisted_fault_answers_invalid_symbol(sim_env, host, path, params, other):
    fault = {"kind": "delisted", "venue": "binance", "path": path, "count": -1, "options": {"symbol": params["symbol"]}}
    httpx.post(f"{sim_env.root}/_sim/faults", json=fault, timeout=10).raise_for_status()
    get = {"fapi": _get, "dapi": _dapi, "spot": _spot}[host]
    r = get(sim_env, path, **params)
    assert (r.status_code, r.json()) == (400, {"code": -1121, "msg": "Invalid symbol."})
    assert get(sim_env, path, **other).status_code == 200


# --- forceOrder streams ------------------------------------------------------------------------------
def _small_context(now):
    market = Market(history_start=now - timedelta(days=2), horizon=now + timedelta(days=2), episodes=[])
    return SimContext(market=market, clock=SimClock(now, 0.0))


def test_force_order_snapshot_keeps_the_latest_per_symbol_and_second(monkeypatch):
    now = datetime(2026, 11, 2, tzinfo=UTC)
    ctx = _small_context(now)
    t0 = now - timedelta(minutes=10)

    def liq(symbol, asset, offset_ms, is_long, qty=2.0, price=90_000.0):
        return flow.Liquidation(
            t0 + timedelta(milliseconds=offset_ms), "binance", symbol, asset, is_long, price, qty, 0
        )

    tape = {
        "BTC": [
            liq("BTCUSDT", "BTC", 100, True),
            liq("BTCUSDT", "BTC", 900, True, 3.0),
            liq("BTCUSDT", "BTC", 1200, False),
        ],
        "ETH": [liq("ETHUSDT", "ETH", 500, True, 1.0, 3000.0), liq("ETHUSD_PERP", "ETH", 600, False, 5.0, 3000.0)],
        "SOL": [],
    }
    monkeypatch.setattr(binance_ws.flow, "liquidations", lambda m, asset, s, e, venue=None: tape[asset])
    usdm = [(c.symbol, liq.time) for c, liq in binance_ws.snapshot(ctx, False, t0, now)]
    assert usdm == [
        ("ETHUSDT", t0 + timedelta(milliseconds=500)),
        ("BTCUSDT", t0 + timedelta(milliseconds=900)),  # the 100 ms one of the same second is not pushed
        ("BTCUSDT", t0 + timedelta(milliseconds=1200)),
    ]
    events = [binance_ws.force_order(ctx, c, liq) for c, liq in binance_ws.snapshot(ctx, False, t0, now)]
    long_liquidated = events[1]["o"]
    assert long_liquidated["S"] == "SELL" and long_liquidated["q"] == "3.000"
    assert float(long_liquidated["p"]) < float(long_liquidated["ap"])  # the IOC limit sits beyond the fill
    assert events[2]["o"]["S"] == "BUY" and events[1]["E"] == int((t0 + timedelta(seconds=1)).timestamp() * 1000)
    (coinm,) = [binance_ws.force_order(ctx, c, liq) for c, liq in binance_ws.snapshot(ctx, True, t0, now)]
    assert coinm["o"]["s"] == "ETHUSD_PERP" and coinm["o"]["ps"] == "ETHUSD"
    assert coinm["o"]["q"] == str(round(5.0 * 3000.0 / 10))  # contracts of 10 USD


async def _collect(base, want, seconds):
    """Messages per stream path until the raw USD-M stream has `want` events and the COIN-M one some,
    or `seconds` pass (bounded, loopback only)."""
    paths = [
        "/fstream.binance.com/ws/!forceOrder@arr",
        "/fstream.binance.com/market/ws/!forceOrder@arr",
        "/dstream.binance.com/stream?streams=!forceOrder@arr",
        "/fstream.binance.com/ws",
    ]
    got = {p: [] for p in paths}
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=seconds + 10)) as session:
        sockets = {p: await session.ws_connect(f"{base}{p}") for p in paths}
        await sockets[paths[3]].send_str(json.dumps({"method": "SUBSCRIBE", "params": ["btcusdt@forceOrder"], "id": 7}))
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline and (len(got[paths[0]]) < want or not got[paths[2]]):
            for p, ws in sockets.items():
                try:
                    msg = await ws.receive(timeout=0.05)
                except TimeoutError:
                    continue
                if msg.type == aiohttp.WSMsgType.TEXT:
                    got[p].append(json.loads(msg.data))
        for ws in sockets.values():
            await ws.close()
    return got


def test_force_order_streams_during_a_cascade(sim_env):
    # BTC's long-squeeze cascade of the default schedule; at 1800x (half an hour per second) its first
    # hour, with several USD-M and COIN-M liquidations, passes in a couple of seconds.
    phase = next(
        p
        for e in httpx.get(f"{sim_env.root}/_sim/episodes", timeout=10).json()
        if e["name"] == "long_squeeze" and e["asset"] == "BTC"
        for p in e["phases"]
        if p["name"] == "cascade"
    )
    cascade, cascade_end = datetime.fromisoformat(phase["start"]), datetime.fromisoformat(phase["end"])
    real = json.loads(shared_data(f"{NAUTILUS_WS}/liquidation_stream.json").read_text())
    with running_simulator(now=cascade, speed=1800, max_lifetime_s=120) as sim:
        got = asyncio.run(_collect(sim.root.replace("http://", "ws://"), want=3, seconds=15))
        sent = httpx.get(f"{sim.root}/_sim/ws/sent", params={"venue": "binance"}, timeout=10).json()
    raw, market_path, combined, subscribed = got.values()
    assert len(raw) >= 3 and combined
    assert {json.dumps(e) for e in market_path} & {json.dumps(e) for e in raw}  # /market/ws is the same feed
    for event in raw:
        assert _shape(event) == _shape(real)
        o = event["o"]
        assert not o["s"].endswith("_PERP") and o["X"] == "FILLED" and o["q"] == o["l"] == o["z"]
        assert event["E"] % 1000 == 0 and o["T"] < event["E"] <= o["T"] + 1000
        if o["s"] == "BTCUSDT" and cascade.timestamp() * 1000 <= o["T"] < cascade_end.timestamp() * 1000:
            assert o["S"] == "SELL"  # longs are liquidated in a long squeeze: their closing orders sell
    seconds = [(e["o"]["s"], e["o"]["T"] // 1000) for e in raw]
    assert len(seconds) == len(set(seconds))  # at most one event per symbol and 1000 ms window
    assert subscribed[0] == {"result": None, "id": 7}
    assert all(e["o"]["s"] == "BTCUSDT" for e in subscribed[1:])
    for wrapped in combined:
        assert wrapped["stream"] == "!forceOrder@arr" and wrapped["data"]["o"]["s"].endswith("_PERP")
        assert wrapped["data"]["o"]["ps"] + "_PERP" == wrapped["data"]["o"]["s"] and wrapped["data"]["o"]["q"].isdigit()
    assert len(sent) >= len(raw) + len(combined)
