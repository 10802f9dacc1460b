"""The Drift client: error classification, request plans, every dataset fetched from the simulator, fault
handling on the daily funding route and the rate budget.

Expected values come from the same seeded market in this process: the settlements of a past day are
deterministic (count, stamps, transaction signatures, rates); snapshot values are compared with the
market at the moment of the request.
"""

from __future__ import annotations

import json
import time
from datetime import UTC, date, datetime, timedelta
from types import SimpleNamespace

import httpx
import pytest

from ingest.config import Settings
from ingest.errors import BadRequest, Banned, ExchangeDown, RateLimited, SymbolInvalid
from ingest.ratelimit import WindowBudget
from ingest.registry import dataset, fetch_partition
from ingest.retry import RetryPolicy
from ingest.venues.drift.candles import candle_params, next_candle_params
from ingest.venues.drift.client import make_client
from ingest.venues.drift.funding import funding_day_path, next_funding_page, window_days
from ingest.venues.drift.protocol import classify
from ingest.windows import TimeWindow
from simulator.clock import SimClock
from simulator.faults import CDN_ERROR_PAGE
from simulator.market import Market
from simulator.venues.drift import settlements
from tests.ingest.raw_landing import land_and_check

DAY = TimeWindow(datetime(2026, 1, 10, tzinfo=UTC), datetime(2026, 1, 11, tzinfo=UTC))
DAY_ROUTE = "/market/{symbol}/fundingRates/{year}/{month}/{day}"
FAST_RETRY = RetryPolicy(base_delay=0.05, max_delay=0.2)


@pytest.fixture(scope="module")
def market():
    return Market(seed=7)


@pytest.fixture(scope="module")
def settled(market):
    """The day's settlements per market, as the simulator computes them (oldest first)."""
    ctx = SimpleNamespace(market=market, clock=SimClock())
    return {s: settlements(ctx, s, DAY.start, DAY.end) for s in ("BTC-PERP", "ETH-PERP", "SOL-PERP")}


def _settings(sim) -> Settings:
    return Settings(assets=("BTC", "ETH", "SOL"), simulator_url=sim.root)


def _client(sim, **options):
    """A client with its own budget, so that fault tests do not spend the process-wide one."""
    options.setdefault("budget", WindowBudget("drift requests", 100, 60.0))
    return make_client(_settings(sim), retry=FAST_RETRY, **options)


def _fault(sim, kind: str, path: str = DAY_ROUTE, **spec) -> None:
    body = {"kind": kind, "venue": "drift", "path": path, **spec}
    httpx.post(f"{sim.root}/_sim/faults", json=body, timeout=10).raise_for_status()


def _records(payload: str) -> list[dict]:
    return json.loads(payload)["records"]


# --- classification, with the bodies the service sends -------------------------------------------
def _resp(status: int, body: object, headers: dict | None = None) -> httpx.Response:
    text = body if isinstance(body, str) else json.dumps(body)
    return httpx.Response(status, text=text, headers=headers or {})


def test_successful_answers_are_not_errors():
    assert classify(_resp(200, {"success": True, "records": [], "meta": {"nextPage": None}})) is None
    assert classify(_resp(200, {"fundingRates": []})) is None


def test_an_answer_marked_unsuccessful_is_a_failure_even_with_200():
    err = classify(_resp(200, {"success": False, "message": "Internal error"}))
    assert isinstance(err, ExchangeDown) and "Internal error" in str(err)


def test_429_has_no_retry_after_so_the_policy_backs_off():
    err = classify(_resp(429, {"message": "Too Many Requests"}, {"x-amzn-ErrorType": "TooManyRequestsException"}))
    assert isinstance(err, RateLimited) and err.retry_after is None


def test_gateway_forbidden_is_a_ban():
    assert isinstance(classify(_resp(403, {"message": "Forbidden"})), Banned)


def test_unknown_market_is_an_invalid_symbol():
    assert isinstance(classify(_resp(400, {"error": "ValidationError", "message": "Invalid market"})), SymbolInvalid)


@pytest.mark.parametrize(
    "body",
    [
        {
            "statusCode": 400,
            "code": "FST_ERR_VALIDATION",
            "error": "Bad Request",
            "message": "querystring/limit must be <= 1000",
        },
        {"error": "ValidationError", "message": "Start timestamp must be after end timestamp"},
        {"error": "ValidationError", "message": "Invalid page token"},
    ],
)
def test_schema_and_handler_validation_errors_are_bad_requests(body):
    assert isinstance(classify(_resp(400, body)), BadRequest)


def test_a_gone_route_is_a_bad_request():
    body = {"message": "Route GET:/contracts not found", "error": "Not Found", "statusCode": 404}
    err = classify(_resp(404, body))
    assert isinstance(err, BadRequest) and "Route GET:/contracts not found" in str(err)


def test_server_errors_are_exchange_down():
    assert isinstance(classify(_resp(502, CDN_ERROR_PAGE)), ExchangeDown)
    assert isinstance(classify(_resp(504, {"message": "Endpoint request timed out"})), ExchangeDown)
    assert isinstance(classify(_resp(503, "Service Unavailable")), ExchangeDown)


# --- budget and request plans -------------------------------------------------------------------
def test_every_drift_client_in_the_process_spends_one_budget():
    settings = Settings()
    assert make_client(settings).budgets["requests"] is make_client(settings).budgets["requests"]
    assert make_client(settings).budgets["requests"].capacity == 90  # 100 a minute, 10 % margin


def test_a_partition_is_its_whole_utc_days():
    assert window_days(DAY) == [date(2026, 1, 10)]
    two = TimeWindow(datetime(2026, 2, 28, tzinfo=UTC), datetime(2026, 3, 2, tzinfo=UTC))
    assert window_days(two) == [date(2026, 2, 28), date(2026, 3, 1)]
    with pytest.raises(ValueError, match="not midnight"):
        window_days(TimeWindow(DAY.start, DAY.start + timedelta(hours=1)))


def test_the_day_route_takes_unpadded_dates():
    assert funding_day_path("SOL-PERP", date(2026, 3, 7)) == "/market/SOL-PERP/fundingRates/2026/3/7"


def test_day_paging_follows_next_page_and_stops_on_null_or_a_stuck_cursor():
    last = {"records": [], "meta": {"currentPage": 1, "totalPages": 1, "nextPage": None}}
    assert next_funding_page({}, last) is None
    more = {"records": [], "meta": {"currentPage": 1, "totalPages": 2, "nextPage": 2}}
    assert next_funding_page({}, more) == {"page": 2}
    assert next_funding_page({"page": 2}, {"meta": {"nextPage": 2}}) is None  # the cursor did not move
    assert next_funding_page({}, {"success": True, "data": []}) is None  # drifted: landed, check names it


def test_candle_window_bounds_are_inclusive_opens_newest_first():
    p = candle_params(DAY)
    # Opens in [00:00, 24:00): the newer bound is one second before the end, the older one the start.
    assert p == {"startTs": 1768089599, "endTs": 1768003200, "limit": 1000}


def test_candle_paging_moves_the_newer_bound_below_the_oldest_open():
    p = {**candle_params(DAY), "limit": 3}
    page = {"records": [{"ts": 1768089300}, {"ts": 1768089000}, {"ts": 1768088700}]}
    assert next_candle_params(p, page) == {**p, "startTs": 1768088699}
    assert next_candle_params(p, {"records": page["records"][:2]}) is None  # a short page is the last
    at_start = {"records": [{"ts": 1768003800}, {"ts": 1768003500}, {"ts": 1768003200}]}
    assert next_candle_params(p, at_start) is None  # reached the window's start
    assert next_candle_params(p, {"success": True}) is None


# --- every dataset against the simulator -----------------------------------------------------------
def test_funding_day_has_24_settlements_per_market_matching_the_market(sim_env, market, settled):
    spec = dataset("drift", "funding_rates")
    result = fetch_partition(spec, _settings(sim_env), DAY)
    assert [r.endpoint for r in result.responses] == [
        f"/market/{s}/fundingRates/2026/1/10" for s in ("BTC-PERP", "ETH-PERP", "SOL-PERP")
    ]
    for raw, symbol in zip(result.responses, ("BTC-PERP", "ETH-PERP", "SOL-PERP"), strict=True):
        records, expected = _records(raw.payload), settled[symbol]
        assert len(records) == len(expected) == 24
        assert [(r["ts"], r["txSig"]) for r in records] == [(s.ts, s.tx_sig) for s in expected]
        assert all(DAY.start_ms <= r["ts"] * 1000 < DAY.end_ms for r in records)
    eth_noon = _records(result.responses[1].payload)[12]
    assert eth_noon["fundingRate"] == f"{settled['ETH-PERP'][12].quote_rate:.9f}"
    hourly = float(eth_noon["fundingRate"]) / float(eth_noon["oraclePriceTwap"])
    assert hourly == pytest.approx(
        market.settled_funding("drift", "ETH-PERP", DAY.start + timedelta(hours=12)), abs=1e-9
    )
    assert land_and_check(spec, result.responses, DAY).passed


def test_candles_are_the_days_288_five_minute_candles(sim_env, market):
    spec = dataset("drift", "candles")
    result = fetch_partition(spec, _settings(sim_env), DAY)
    assert [r.params for r in result.responses] == [candle_params(DAY)] * 3
    sol = _records(result.responses[2].payload)
    opens = [c["ts"] for c in sol]
    assert len(opens) == 288 and opens == list(range(DAY.end_ms // 1000 - 300, DAY.start_ms // 1000 - 1, -300))
    noon = next(c for c in sol if c["ts"] == DAY.start_ms // 1000 + 12 * 3600)
    assert noon["oracleOpen"] == pytest.approx(market.price("SOL", DAY.start + timedelta(hours=12)), abs=1e-5)
    assert land_and_check(spec, result.responses, DAY).passed


def test_market_stats_snapshot_has_the_perps_current_state(sim_env, market):
    spec = dataset("drift", "markets")
    start = datetime.now(UTC).replace(minute=0, second=0, microsecond=0)
    hour = TimeWindow(start, start + timedelta(hours=1))
    result = fetch_partition(spec, _settings(sim_env), hour)
    raw = result.responses[0]
    body = json.loads(raw.payload)
    perps = {m["symbol"]: m for m in body["markets"] if m["marketType"] == "perp"}
    assert list(perps) == ["SOL-PERP", "BTC-PERP", "ETH-PERP"]
    btc = perps["BTC-PERP"]
    assert float(btc["oraclePrice"]) == pytest.approx(market.price("BTC", raw.fetched_at), rel=1e-5)
    rate, _ = market.current_funding("drift", "BTC-PERP", raw.fetched_at)
    assert float(btc["fundingRate"]["short"]) == pytest.approx(rate * 100, abs=1e-5)  # percent per hour
    oi = max(float(btc["openInterest"]["long"]), -float(btc["openInterest"]["short"]))
    assert oi == pytest.approx(market.open_interest("drift", "BTC-PERP", raw.fetched_at), rel=1e-4)
    assert land_and_check(spec, result.responses, hour).passed


# --- faults on the daily funding route ---------------------------------------------------------------
@pytest.mark.parametrize(
    ("kind", "options", "failed_as", "requests"),
    [
        ("http_5xx", {"count": 3}, ["ExchangeDown"] * 3, 6),
        ("html", {}, ["ExchangeDown"], 4),
        ("reset", {}, [], 4),  # no body to keep
        ("truncated", {}, ["SchemaDrift"], 4),
        ("timeout", {"options": {"seconds": 2}}, [], 4),
    ],
)
def test_transient_faults_end_in_the_full_day_after_retries(sim_env, kind, options, failed_as, requests):
    _fault(sim_env, kind, **options)
    client = _client(sim_env, timeout=httpx.Timeout(1.0))
    with client:
        result = fetch_partition(dataset("drift", "funding_rates"), _settings(sim_env), DAY, client=client)
    assert [len(_records(r.payload)) for r in result.responses] == [24, 24, 24]
    assert [f.error_type for f in result.failures] == failed_as
    assert result.request_count == requests
    if kind == "html":
        assert result.failures[0].response.payload.startswith("<html>")  # the failed body is kept
    if kind == "truncated":
        assert not result.failures[0].response.payload.endswith("}")


def test_a_gateway_block_stops_at_once_with_a_typed_error(sim_env):
    _fault(sim_env, "http_5xx", options={"status": 403})
    with pytest.raises(Banned) as caught:
        fetch_partition(dataset("drift", "funding_rates"), _settings(sim_env), DAY, client=_client(sim_env))
    assert [f.response.http_status for f in caught.value.failed_responses] == [403]
    assert sim_env.requests_summary()["requests"] == 1  # never retried


def test_a_refusal_that_lasts_ends_rate_limited_without_calling_through_it(sim_env):
    """Drift refuses callers who keep going for a further minute, with the same 429: after the retry
    budget the partition fails as RateLimited (retryable later), each attempt in a new window."""
    sim_env.set_limits({"drift": {"requests_limit": 1, "window_s": 60, "ban_after_strikes": 0}})
    client = _client(sim_env, budget=WindowBudget("drift requests", 100, 0.5))
    with pytest.raises(RateLimited):
        fetch_partition(dataset("drift", "funding_rates"), _settings(sim_env), DAY, client=client)
    assert [f.error_type for f in client.failures] == ["RateLimited"] * FAST_RETRY.max_attempts
    assert client.budgets["requests"].waited_seconds > 0  # each retry waited for a fresh window


def test_a_delisted_market_is_skipped_and_the_others_land(sim_env):
    # The route names the market in its path, so the fault takes the next call whatever its market: BTC.
    _fault(sim_env, "delisted", count=1)
    result = fetch_partition(dataset("drift", "funding_rates"), _settings(sim_env), DAY, client=_client(sim_env))
    assert list(result.skipped_assets) == ["BTC"] and "Invalid market" in result.skipped_assets["BTC"]
    assert [_records(r.payload)[0]["symbol"] for r in result.responses] == ["ETH-PERP", "SOL-PERP"]


def test_a_renamed_record_list_is_landed_and_named_by_the_raw_check(sim_env):
    _fault(sim_env, "drift_rename", options={"field": "records", "to": "data"})
    spec = dataset("drift", "funding_rates")
    result = fetch_partition(spec, _settings(sim_env), DAY, client=_client(sim_env))
    assert len(result.responses) == 3 and '"data":[' in result.responses[0].payload
    outcome = land_and_check(spec, result.responses, DAY)
    assert not outcome.passed
    assert outcome.failures == ["schema: 1 responses lack the record list at $.records (renamed or dropped field?)"]


def test_a_page_answered_twice_is_caught_as_a_duplicate(sim_env):
    # The simulator repeats the route's previous answer: make it BTC's day, then fault ETH's call.
    httpx.get(f"{sim_env.root}/data.api.drift.trade/market/BTC-PERP/fundingRates/2026/1/10", timeout=10)
    _fault(sim_env, "duplicate_page")
    spec = dataset("drift", "funding_rates")
    settings = Settings(assets=("ETH", "BTC"), simulator_url=sim_env.root)
    result = fetch_partition(spec, settings, DAY, client=_client(sim_env))
    assert result.responses[0].payload == result.responses[1].payload
    outcome = land_and_check(spec, result.responses, DAY)
    assert not outcome.passed and outcome.failures[0].startswith("duplicates: 24 keys ['symbol', 'ts']")


# --- the rate budget -------------------------------------------------------------------------------------
def _refusals(sim) -> list[bool]:
    entries = httpx.get(f"{sim.root}/_sim/requests", params={"full": 1}, timeout=10).json()["entries"]
    return [bool(e.get("refused")) for e in entries if e["venue"] == "drift"]


TWO_DAYS = TimeWindow(DAY.start, DAY.end + timedelta(days=1))


def test_a_budget_sized_to_the_limit_waits_instead_of_being_refused(sim_env):
    sim_env.set_limits({"drift": {"requests_limit": 3, "window_s": 2}})
    time.sleep(2 - time.time() % 2 + 0.02)  # our windows and the simulator's both start on even seconds
    budget = WindowBudget("drift requests", 3, 2.0, safety=1.0)
    result = fetch_partition(
        dataset("drift", "funding_rates"), _settings(sim_env), TWO_DAYS, client=_client(sim_env, budget=budget)
    )
    assert len(result.responses) == 6 and not result.failures
    assert budget.waited_seconds > 0 and not any(_refusals(sim_env))


def test_a_limit_lower_than_planned_costs_one_429_per_window_and_no_ban(sim_env):
    sim_env.set_limits({"drift": {"requests_limit": 3, "window_s": 2}})
    time.sleep(2 - time.time() % 2 + 0.02)  # start at the start of a window, so the 4th call is refused
    budget = WindowBudget("drift requests", 10, 2.0)
    result = fetch_partition(
        dataset("drift", "funding_rates"), _settings(sim_env), TWO_DAYS, client=_client(sim_env, budget=budget)
    )
    assert len(result.responses) == 6 and [f.error_type for f in result.failures] == ["RateLimited"]
    refusals = _refusals(sim_env)
    assert refusals == [False, False, False, True, False, False, False]  # never called through a 429
