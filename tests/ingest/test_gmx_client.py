"""The GMX client: error classification, and every dataset fetched from the simulator and checked.

Expected values come from the same seeded market in this process. The simulator's clock is the real
one, so snapshot values are compared with the market at the moment of the request, within a tolerance
far below a minute's move.
"""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import httpx
import pytest

from ingest.config import Settings
from ingest.errors import BadRequest, Banned, ExchangeDown, RateLimited, SymbolInvalid
from ingest.ratelimit import WindowBudget
from ingest.registry import dataset, fetch_partition
from ingest.retry import RetryPolicy
from ingest.venues.gmx.client import make_client
from ingest.venues.gmx.protocol import classify
from ingest.windows import TimeWindow
from simulator.faults import CDN_ERROR_PAGE
from simulator.market import Market
from simulator.venues.gmx import TOKEN_ADDRESS, fake_address
from tests.ingest.raw_landing import land_and_check

NAMES = ["BTC/USD [WBTC-USDC]", "ETH/USD [WETH-USDC]", "SOL/USD [SOL-USDC]"]
DECIMALS = {"BTC": 8, "WBTC": 8, "ETH": 18, "SOL": 9, "USDC": 6}


@pytest.fixture(scope="module")
def market():
    return Market(seed=7)


def _settings(sim) -> Settings:
    return Settings(assets=("BTC", "ETH", "SOL"), simulator_url=sim.root)


def _current_hour() -> TimeWindow:
    start = datetime.now(UTC).replace(minute=0, second=0, microsecond=0)
    return TimeWindow(start, start + timedelta(hours=1))


def _x30(value: str) -> float:
    return float(Decimal(value) / Decimal(10) ** 30)


# --- classification -----------------------------------------------------------------------------
def _resp(status: int, text: str, headers: dict | None = None) -> httpx.Response:
    return httpx.Response(status, text=text, headers=headers or {})


def test_data_answers_are_not_errors():
    assert classify(_resp(200, '{"markets":[]}')) is None
    assert classify(_resp(200, '[{"tokenSymbol":"ETH"}]')) is None


def test_a_200_carrying_the_services_error_list_is_a_failure():
    err = classify(_resp(200, '{"errors":["oracle keeper unavailable"]}'))
    assert isinstance(err, ExchangeDown) and "oracle keeper unavailable" in str(err)


def test_429_from_the_proxy_carries_retry_after_in_seconds():
    err = classify(_resp(429, "Too Many Requests", {"Retry-After": "7"}))
    assert isinstance(err, RateLimited) and err.retry_after == 7.0
    assert classify(_resp(429, "Too Many Requests")).retry_after is None


def test_unknown_token_is_an_invalid_symbol_and_other_400s_are_bad_requests():
    assert isinstance(classify(_resp(400, '{"errors":["unsupported tokenSymbol"]}')), SymbolInvalid)
    err = classify(_resp(400, '{"errors":["period must be one of 1m, 5m, 15m, 1h, 4h, 1d"]}'))
    assert isinstance(err, BadRequest) and "period must be one of" in str(err)
    assert isinstance(classify(_resp(404, "Not Found")), BadRequest)


def test_firewall_and_geo_blocks_are_bans_with_an_until_when_told():
    blocked = classify(
        _resp(403, "<html><title>Attention Required! | Cloudflare</title></html>", {"Retry-After": "600"})
    )
    assert isinstance(blocked, Banned)
    assert timedelta(seconds=590) < blocked.until - datetime.now(UTC) <= timedelta(seconds=600)
    geo = classify(_resp(451, "Unavailable For Legal Reasons"))
    assert isinstance(geo, Banned) and geo.until is None


def test_server_errors_and_cdn_pages_are_exchange_down():
    assert isinstance(classify(_resp(503, "Service Unavailable")), ExchangeDown)
    assert isinstance(classify(_resp(502, CDN_ERROR_PAGE)), ExchangeDown)


def test_every_gmx_client_in_the_process_spends_one_budget():
    settings = Settings()
    assert make_client(settings).budgets["requests"] is make_client(settings).budgets["requests"]
    assert make_client(settings).budgets["requests"].capacity == 54  # a polite 60 a minute, 10 % margin


# --- every dataset against the simulator ---------------------------------------------------------
def test_markets_catalogue(sim_env):
    spec = dataset("gmx", "markets")
    window = _current_hour()
    result = fetch_partition(spec, _settings(sim_env), window)
    assert [(r.endpoint, r.params, r.http_status) for r in result.responses] == [("/markets", {}, 200)]
    rows = json.loads(result.responses[0].payload)["markets"]
    assert [r["marketToken"] for r in rows] == [fake_address(f"market:{name}") for name in NAMES]
    assert [r["indexToken"] for r in rows] == [TOKEN_ADDRESS[s] for s in ("BTC", "ETH", "SOL")]
    assert rows[0]["longToken"] == TOKEN_ADDRESS["WBTC"] and {r["shortToken"] for r in rows} == {TOKEN_ADDRESS["USDC"]}
    assert rows[2]["listingDate"] == "2023-09-14T00:00:00.000Z"
    assert land_and_check(spec, result.responses, window).passed


def test_markets_info_open_interest_and_rates_per_side(sim_env, market):
    spec = dataset("gmx", "markets_info")
    window = _current_hour()
    result = fetch_partition(spec, _settings(sim_env), window)
    assert len(result.responses) == 1 and result.request_count == 1
    raw = result.responses[0]
    rows = json.loads(raw.payload)["markets"]
    assert [r["name"] for r in rows] == NAMES
    for row in rows:
        oi_long, oi_short = market.gmx_open_interest_usd(row["name"], raw.fetched_at)
        assert _x30(row["openInterestLong"]) == pytest.approx(oi_long, rel=1e-4)
        assert _x30(row["openInterestShort"]) == pytest.approx(oi_short, rel=1e-4)
        rates = market.gmx_rates(row["name"], raw.fetched_at)
        assert _x30(row["fundingRateLong"]) == pytest.approx(rates["funding_long"], rel=1e-3, abs=1e-6)
        assert _x30(row["borrowingRateShort"]) == pytest.approx(rates["borrowing_short"], rel=1e-3)
    assert land_and_check(spec, result.responses, window).passed


def test_tickers_oracle_prices_scaled_by_token_decimals(sim_env, market):
    spec = dataset("gmx", "tickers")
    window = _current_hour()
    result = fetch_partition(spec, _settings(sim_env), window)
    raw = result.responses[0]
    tickers = json.loads(raw.payload)
    assert [t["tokenSymbol"] for t in tickers] == ["BTC", "WBTC", "ETH", "SOL", "USDC"]
    assert {t["tokenSymbol"]: t["tokenAddress"] for t in tickers} == TOKEN_ADDRESS
    eth = next(t for t in tickers if t["tokenSymbol"] == "ETH")
    scale = 10 ** (30 - DECIMALS["ETH"])
    mid = (int(eth["minPrice"]) + int(eth["maxPrice"])) / 2 / scale
    assert mid == pytest.approx(market.price("ETH", raw.fetched_at), rel=1e-4)
    assert land_and_check(spec, result.responses, window).passed


def test_a_renamed_ticker_field_is_landed_and_named_by_the_raw_check(sim_env):
    fault = {"kind": "drift_rename", "venue": "gmx", "path": "/prices/tickers", "options": {"field": "minPrice"}}
    httpx.post(f"{sim_env.root}/_sim/faults", json=fault, timeout=10).raise_for_status()
    spec = dataset("gmx", "tickers")
    window = _current_hour()
    result = fetch_partition(spec, _settings(sim_env), window)
    assert '"minPrice_v2"' in result.responses[0].payload
    outcome = land_and_check(spec, result.responses, window)
    assert not outcome.passed and outcome.failures[0].startswith("schema: 5 records lack")


def test_a_429_is_waited_out_and_the_snapshot_succeeds(sim_env):
    """GMX's proxy refuses over budget with a Retry-After; the client sleeps it and tries again."""
    sim_env.set_limits({"gmx": {"requests_limit": 2, "window_s": 1}})
    retry = RetryPolicy(base_delay=0.05)
    client = make_client(_settings(sim_env), budget=WindowBudget("gmx requests", 10, 1.0), retry=retry)
    window = _current_hour()
    time.sleep(1 - time.time() % 1 + 0.02)  # all three calls inside one of the simulator's 1 s windows
    with client:
        for name in ("markets", "markets_info", "tickers"):
            result = fetch_partition(dataset("gmx", name), _settings(sim_env), window, client=client)
            assert [r.http_status for r in result.responses] == [200]
    assert [f.error_type for f in client.failures] == ["RateLimited"]
    assert sim_env.requests_summary()["by_status"] == {"gmx 200": 3, "gmx 429": 1}
