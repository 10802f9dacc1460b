"""The simulator's Binance USD-M answers, against Binance's documented behaviour and real recordings."""

import json

import httpx
import pytest

from tests.conftest import shared_data

NAUTILUS = "nautechsystems__nautilus_trader/tests/integration_tests/adapters/binance/resources/http_responses"


def _get(sim, path, **params):
    return httpx.get(f"{sim.root}/fapi.binance.com{path}", params=params, timeout=10)


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
