"""Rate limits: the simulator answers like Binance (fapi, dapi and spot each with its own budget), and our
client waits it out and succeeds."""

import time

import httpx

from ingest.config import Settings
from ingest.ratelimit import WindowBudget
from ingest.retry import RetryPolicy
from ingest.venues.binance import usdm


def _burn(sim, n):
    codes = []
    for _ in range(n):
        codes.append(httpx.get(f"{sim.root}/fapi.binance.com/fapi/v1/time", timeout=10).status_code)
    return codes


def test_429_with_retry_after_when_weight_budget_is_exceeded(sim_env):
    sim_env.set_limits({"binance": {"weight_limit": 5, "weight_window_s": 4}})
    # Align to the start of a window so the burst lands in one window.
    time.sleep(4 - time.time() % 4 + 0.05)
    codes = _burn(sim_env, 6)
    assert codes == [200] * 5 + [429]
    r = httpx.get(f"{sim_env.root}/fapi.binance.com/fapi/v1/time", timeout=10)
    assert r.status_code == 429
    assert 1 <= int(r.headers["Retry-After"]) <= 4
    assert r.json()["code"] == -1003 and "Too many requests" in r.json()["msg"]


def test_client_honours_retry_after_and_succeeds(sim_env):
    """Another process on our IP spent the budget; our client gets a 429, waits Retry-After, succeeds."""
    sim_env.set_limits({"binance": {"weight_limit": 5, "weight_window_s": 3}})
    time.sleep(3 - time.time() % 3 + 0.05)
    assert _burn(sim_env, 5) == [200] * 5
    sleeps = []

    def sleep(s):
        sleeps.append(s)
        time.sleep(s)

    client = usdm.make_client(Settings(simulator_url=sim_env.root), retry=RetryPolicy(sleep=sleep))
    # Our own budget knows the (shrunk) window, as it knows Binance's real minute; the process-wide one would
    # hold the request until the next full minute after the 429.
    client.budgets = {"weight": WindowBudget("test weight", 2400, 3.0), "funding": WindowBudget("test f", 500, 3.0)}
    started = time.monotonic()
    with client:
        raw = usdm.fetch_premium_index(client, "BTCUSDT")
    assert raw.http_status == 200 and '"symbol":"BTCUSDT"' in raw.payload
    assert sleeps and sleeps[0] >= 1  # the Retry-After the simulator sent, never less
    assert [f.error_type for f in client.failures] == ["RateLimited"]  # the 429 body is kept
    assert time.monotonic() - started >= sleeps[0]
    summary = sim_env.requests_summary()
    assert summary["by_status"].get("binance 429") == 1


def test_hammering_through_429s_earns_a_418_ban(sim_env):
    sim_env.set_limits(
        {"binance": {"weight_limit": 2, "weight_window_s": 30, "ban_after_strikes": 3, "ban_seconds": 60}}
    )
    codes = _burn(sim_env, 7)
    assert codes[:2] == [200, 200] and codes[2:5] == [429, 429, 429] and codes[5:] == [418, 418]
    r = httpx.get(f"{sim_env.root}/fapi.binance.com/fapi/v1/time", timeout=10)
    assert r.status_code == 418 and "IP banned until" in r.json()["msg"]
    assert 50 <= int(r.headers["Retry-After"]) <= 60


def test_client_budget_keeps_a_burst_under_the_limit(sim_env):
    """Our own budget paces requests so the venue never has to refuse one."""
    sim_env.set_limits({"binance": {"weight_limit": 10, "weight_window_s": 2}})
    client = usdm.make_client(Settings(simulator_url=sim_env.root))
    client.budgets["weight"] = type(client.budgets["weight"])("test", 10, 2.0, safety=0.9)
    with client:
        for _ in range(20):
            usdm.fetch_open_interest(client, "BTCUSDT")
    summary = sim_env.requests_summary()
    assert summary["limit_violations"] == 0
    assert summary["by_status"] == {"binance 200": 20}


def _too_many(limit):
    return {
        "code": -1003,
        "msg": f"Too many requests; current limit of IP(127.0.0.1) is {limit} requests per minute. "
        "Please use the websocket for live updates to avoid polling the API.",
    }


def _host_get(sim, host, path, **params):
    return httpx.get(f"{sim.root}/{host}{path}", params=params, timeout=10)


def test_coinm_and_spot_have_weight_budgets_of_their_own(sim_env):
    sim_env.set_limits(
        {
            "binance": {
                "coinm_weight_limit": 3,
                "coinm_weight_window_s": 3,
                "spot_weight_limit": 5,
                "spot_weight_window_s": 3,
            }
        }
    )
    time.sleep(3 - time.time() % 3 + 0.05)
    dapi = [_host_get(sim_env, "dapi.binance.com", "/dapi/v1/time") for _ in range(4)]
    assert [r.status_code for r in dapi] == [200, 200, 200, 429]
    refused = dapi[-1]
    assert refused.json() == _too_many(3)
    assert refused.headers["X-MBX-USED-WEIGHT-1M"] == "3" and 1 <= int(refused.headers["Retry-After"]) <= 3
    # USD-M's budget is untouched by COIN-M's.
    assert _host_get(sim_env, "fapi.binance.com", "/fapi/v1/time").headers["X-MBX-USED-WEIGHT-1M"] == "1"
    spot = [_host_get(sim_env, "api.binance.com", "/api/v3/ticker/price", symbol="BTCUSDT") for _ in range(3)]
    assert [r.status_code for r in spot] == [200, 200, 429]  # weight 2 each against 5
    assert [r.headers["X-MBX-USED-WEIGHT-1M"] for r in spot] == ["2", "4", "4"]
    assert spot[-1].json() == _too_many(5) and 1 <= int(spot[-1].headers["Retry-After"]) <= 3


def test_futures_data_requests_have_their_own_bucket(sim_env):
    """/futures/data costs no weight on USD-M but counts against 1000 requests / 5 min (shrunk here)."""
    sim_env.set_limits({"binance": {"futures_data_limit": 2, "futures_data_window_s": 3}})
    time.sleep(3 - time.time() % 3 + 0.05)
    params = {"symbol": "BTCUSDT", "period": "5m", "limit": 1}
    codes = []
    for _ in range(3):
        r = _host_get(sim_env, "fapi.binance.com", "/futures/data/openInterestHist", **params)
        codes.append(r.status_code)
        assert r.headers["X-MBX-USED-WEIGHT-1M"] == "0"
    assert codes == [200, 200, 429] and r.json() == _too_many(2)
    assert _host_get(sim_env, "fapi.binance.com", "/fapi/v1/time").status_code == 200


def test_coinm_ban_after_hammering(sim_env):
    sim_env.set_limits(
        {
            "binance": {
                "coinm_weight_limit": 1,
                "coinm_weight_window_s": 30,
                "coinm_ban_after_strikes": 1,
                "coinm_ban_seconds": 60,
            }
        }
    )
    codes = [_host_get(sim_env, "dapi.binance.com", "/dapi/v1/time").status_code for _ in range(3)]
    assert codes == [200, 429, 418]
    r = _host_get(sim_env, "dapi.binance.com", "/dapi/v1/time")
    assert r.status_code == 418 and "IP banned until" in r.json()["msg"] and r.json()["code"] == -1003
    assert 50 <= int(r.headers["Retry-After"]) <= 60
    assert _host_get(sim_env, "fapi.binance.com", "/fapi/v1/time").status_code == 200
