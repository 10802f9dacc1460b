"""Each fault kind the simulator can inject, with the exact status and body it produces (on Binance
USD-M paths; the mechanism is the same for every venue, only `delisted` uses the venue's own error)."""

import json
import time

import httpx
import pytest

from simulator.faults import CDN_ERROR_PAGE

PATH = "/fapi/v1/fundingRate"
DAY = {"symbol": "BTCUSDT", "startTime": 1767225600000, "endTime": 1767311999999, "limit": 1000}


def _fault(sim, kind, count=1, path=PATH, **options):
    r = httpx.post(
        f"{sim.root}/_sim/faults",
        json={"kind": kind, "venue": "binance", "path": path, "count": count, "options": options},
        timeout=10,
    )
    r.raise_for_status()


def _get(sim, params=DAY, path=PATH, timeout=10.0):
    return httpx.get(f"{sim.root}/fapi.binance.com{path}", params=params, timeout=timeout)


def test_http_5xx_then_back_to_normal(sim_env):
    _fault(sim_env, "http_5xx", count=2, status=503)
    assert [(_get(sim_env).status_code) for _ in range(3)] == [503, 503, 200]
    _fault(sim_env, "http_5xx", status=500)
    r = _get(sim_env)
    assert (r.status_code, r.text) == (500, "Service Unavailable")


def test_html_error_page(sim_env):
    _fault(sim_env, "html")
    r = _get(sim_env)
    assert r.status_code == 502 and r.headers["content-type"].startswith("text/html") and r.text == CDN_ERROR_PAGE


def test_timeout_holds_the_answer(sim_env):
    _fault(sim_env, "timeout", seconds=2)
    with pytest.raises(httpx.ReadTimeout):
        _get(sim_env, timeout=0.5)
    started = time.monotonic()
    assert _get(sim_env).status_code == 200  # the fault was used up by the first request
    assert time.monotonic() - started < 2


def test_connection_reset(sim_env):
    _fault(sim_env, "reset")
    with pytest.raises((httpx.RemoteProtocolError, httpx.ReadError)):
        _get(sim_env)
    assert _get(sim_env).status_code == 200


def test_truncated_body_is_a_prefix_that_does_not_parse(sim_env):
    full = _get(sim_env).text
    _fault(sim_env, "truncated")
    r = _get(sim_env)
    assert r.status_code == 200 and full.startswith(r.text) and len(r.text) == len(full) // 2
    with pytest.raises(json.JSONDecodeError):
        json.loads(r.text)


@pytest.mark.parametrize(
    ("kind", "options", "check"),
    [
        (
            "drift_rename",
            {"field": "fundingRate", "to": "funding_rate"},
            lambda row: "fundingRate" not in row and isinstance(row["funding_rate"], str),
        ),
        ("drift_missing", {"field": "markPrice"}, lambda row: "markPrice" not in row and "fundingRate" in row),
        ("drift_string", {"field": "fundingTime"}, lambda row: isinstance(row["fundingTime"], str)),
        # Binance sends rates as strings: the overwritten rate keeps the venue's encoding.
        ("out_of_range", {"field": "fundingRate", "value": 0.5}, lambda row: row["fundingRate"] == "0.5"),
    ],
)
def test_schema_drift(sim_env, kind, options, check):
    clean = _get(sim_env).json()
    _fault(sim_env, kind, **options)
    drifted = _get(sim_env).json()
    assert len(drifted) == len(clean) == 3
    assert all(check(row) for row in drifted)


def test_empty_page(sim_env):
    _fault(sim_env, "empty")
    r = _get(sim_env)
    assert r.status_code == 200 and r.json() == []


def test_duplicate_page_repeats_the_previous_answer(sim_env):
    first = _get(sim_env).text
    _fault(sim_env, "duplicate_page")
    next_day = {**DAY, "startTime": DAY["startTime"] + 86_400_000, "endTime": DAY["endTime"] + 86_400_000}
    r = _get(sim_env, params=next_day)
    assert r.text == first  # the cursor "did not move"


def test_maintenance_gap_leaves_out_the_window(sim_env):
    _fault(sim_env, "maintenance_gap", start="2026-01-01T06:00:00Z", end="2026-01-01T12:00:00Z")
    times = [row["fundingTime"] for row in _get(sim_env).json()]
    assert len(times) == 2  # the 08:00 settlement fell in the gap
    assert all(not (1767247200000 <= t < 1767268800000) for t in times)


def test_delisted_symbol_gets_the_venues_error(sim_env):
    _fault(sim_env, "delisted", count=-1, path="/fapi/v1/premiumIndex", symbol="SOLUSDT")
    r = _get(sim_env, params={"symbol": "SOLUSDT"}, path="/fapi/v1/premiumIndex")
    assert r.status_code == 400 and r.json() == {"code": -1121, "msg": "Invalid symbol."}
    assert _get(sim_env, params={"symbol": "BTCUSDT"}, path="/fapi/v1/premiumIndex").status_code == 200


def test_unknown_fault_kind_is_refused(sim_env):
    r = httpx.post(f"{sim_env.root}/_sim/faults", json={"kind": "gremlins", "venue": "binance"}, timeout=10)
    assert r.status_code == 400 and "unknown fault kind" in r.json()["error"]


def test_faults_are_logged_and_cleared(sim_env):
    _fault(sim_env, "http_5xx", count=-1)
    _get(sim_env)
    log = httpx.get(f"{sim_env.root}/_sim/faults", timeout=10).json()
    assert log["applied"] == [{"kind": "http_5xx", "venue": "binance", "path": PATH}]
    assert len(log["pending"]) == 1
    httpx.delete(f"{sim_env.root}/_sim/faults", timeout=10)
    assert _get(sim_env).status_code == 200
