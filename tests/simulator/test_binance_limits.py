"""Rate limits: the simulator answers like Binance, and our client waits it out and succeeds."""

import time

import httpx

from ingest.config import Settings
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
