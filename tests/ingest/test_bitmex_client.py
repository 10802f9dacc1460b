"""BitMEX client: error answers classified from BitMEX's own bodies, window paging plans, every dataset fetched
from the simulator (expected values from an in-process Market(seed=7)), each fault kind on the funding history,
and the token bucket against the venue's."""

import json
import time
from datetime import UTC, datetime, timedelta

import duckdb
import httpx
import pytest

from ingest.config import Settings
from ingest.errors import BadRequest, Banned, ExchangeDown, RateLimited
from ingest.ratelimit import TokenBucket
from ingest.registry import dataset, fetch_partition
from ingest.retry import RetryPolicy
from ingest.venues.bitmex import history
from ingest.venues.bitmex.client import make_client
from ingest.venues.bitmex.protocol import classify, observe
from ingest.venues.bitmex.symbols import perp_symbol
from ingest.windows import TimeWindow
from simulator import flow
from simulator.market import Market
from tests.conftest import shared_data
from warehouse.load import load_partition
from warehouse.raw_checks import check_raw_partition

DAY = TimeWindow(datetime(2026, 1, 10, tzinfo=UTC), datetime(2026, 1, 11, tzinfo=UTC))
FUNDING = dataset("bitmex", "funding_rates")
SYMBOLS = ["XBTUSD", "ETHUSD", "SOLUSD"]


def _resp(status, body, headers=None):
    return httpx.Response(status, text=body if isinstance(body, str) else json.dumps(body), headers=headers or {})


def _iso(text: str) -> datetime:
    return datetime.fromisoformat(text)


def _records(result) -> list[dict]:
    return [row for r in result.responses for row in json.loads(r.payload)]


# --- classify: BitMEX's error answers --------------------------------------------------------------------------------
def test_ok_is_not_an_error():
    assert classify(_resp(200, [])) is None


def test_429_waits_the_retry_after_seconds_or_the_wait_in_the_message():
    body = {"error": {"message": "Rate limit exceeded, retry in 3 seconds.", "name": "RateLimitError"}}
    err = classify(_resp(429, body, {"Retry-After": "3"}))
    assert isinstance(err, RateLimited) and err.retry_after == 3.0 and "RateLimitError" in str(err)
    assert classify(_resp(429, body)).retry_after == 3.0


def test_403_after_repeated_429s_is_a_ban_until_retry_after():
    body = {"error": {"message": "Forbidden", "name": "HTTPError"}}
    err = classify(_resp(403, body, {"Retry-After": "3600"}))
    assert isinstance(err, Banned) and not err.retryable
    assert err.until == pytest.approx(datetime.now(UTC) + timedelta(hours=1), abs=timedelta(seconds=5))


def test_503_overloaded_backs_off_at_least_500_ms():
    body = {"error": {"message": "The system is currently overloaded. Please try again later.", "name": "HTTPError"}}
    err = classify(_resp(503, body))
    assert isinstance(err, RateLimited) and err.retry_after == 0.5


def test_other_server_errors_and_cdn_pages_are_exchange_down():
    assert isinstance(classify(_resp(503, "Service Unavailable")), ExchangeDown)
    assert isinstance(classify(_resp(502, "<html><title>502 Bad Gateway</title></html>")), ExchangeDown)


def test_refused_parameters_and_keys_are_bad_requests():
    body = {"error": {"message": "count is invalid", "name": "HTTPError"}}
    err = classify(_resp(400, body))
    assert isinstance(err, BadRequest) and "count is invalid" in str(err)
    real = shared_data("nautechsystems__nautilus_trader/crates/adapters/bitmex/test_data/http_error_response.json")
    err = classify(_resp(401, real.read_text()))
    assert isinstance(err, BadRequest) and "Invalid API Key." in str(err)
    assert isinstance(classify(_resp(404, {"error": {"message": "Not Found", "name": "HTTPError"}})), BadRequest)


def test_usage_headers_keep_the_reserve_share_of_the_venues_bucket():
    bucket = TokenBucket("t", 30, 0.5, clock=lambda: 100.0)
    observe(_resp(200, [], {"x-ratelimit-limit": "30", "x-ratelimit-remaining": "10"}), {"requests": bucket})
    assert bucket.used == pytest.approx(27 - 7)  # 10 left at the venue, 3 of them kept in reserve
    observe(_resp(200, [], {"x-ratelimit-limit": "30", "x-ratelimit-remaining": "29"}), {"requests": bucket})
    assert bucket.used == pytest.approx(20)  # a higher count never adds tokens we did not earn


# --- paging plans --------------------------------------------------------------------------------------------------
def test_assets_map_to_bitmex_perpetuals():
    assert [perp_symbol(a) for a in ("BTC", "ETH", "SOL")] == SYMBOLS


def test_a_day_is_sent_with_an_inclusive_end_one_ms_before_midnight_from_offset_zero():
    assert history.funding_history_params("XBTUSD", DAY) == {
        "symbol": "XBTUSD",
        "startTime": "2026-01-10T00:00:00.000Z",
        "endTime": "2026-01-10T23:59:59.999Z",
        "count": 500,
        "start": 0,
    }
    assert history.hourly_bin_params("ETHUSD", DAY)["binSize"] == "1h"


def test_pages_go_forward_by_offset_until_a_short_page():
    p = history.funding_history_params("XBTUSD", DAY)
    assert history.next_table_page(p, [{}] * 499) is None
    second = history.next_table_page(p, [{}] * 500)
    assert second == {**p, "start": 500}
    assert history.next_table_page(second, [{}] * 500)["start"] == 1000


def test_an_empty_answer_means_an_unknown_symbol_only_once_a_record_is_due():
    today = TimeWindow(datetime(2026, 11, 21, tzinfo=UTC), datetime(2026, 11, 22, tzinfo=UTC))
    assert history.settlement_due(DAY, datetime(2026, 11, 21, tzinfo=UTC))
    assert not history.settlement_due(today, datetime(2026, 11, 21, 3, 59, tzinfo=UTC))
    assert history.settlement_due(today, datetime(2026, 11, 21, 4, tzinfo=UTC))
    evening = TimeWindow(datetime(2026, 1, 10, 20, 30, tzinfo=UTC), datetime(2026, 1, 10, 23, tzinfo=UTC))
    assert history.first_settlement_at_or_after(evening.start) == datetime(2026, 1, 11, 4, tzinfo=UTC)
    assert not history.settlement_due(evening, datetime(2026, 11, 21, tzinfo=UTC))
    assert history.bin_close_due(today, datetime(2026, 11, 21, 0, 0, 1, tzinfo=UTC))  # the bin closing at 00:00
    quarter = TimeWindow(datetime(2026, 1, 10, 0, 30, tzinfo=UTC), datetime(2026, 1, 10, 0, 45, tzinfo=UTC))
    assert not history.bin_close_due(quarter, datetime(2026, 11, 21, tzinfo=UTC))


# --- every dataset against the simulator -------------------------------------------------------------------------
@pytest.fixture(scope="module")
def market():
    return Market(seed=7)


def _settings(sim) -> Settings:
    return Settings(simulator_url=sim.root)


def _client(sim, **kw):
    return make_client(_settings(sim), retry=RetryPolicy(base_delay=0.01, max_delay=0.05), **kw)


def _this_hour() -> TimeWindow:
    start = datetime.now(UTC).replace(minute=0, second=0, microsecond=0)
    return TimeWindow(start, start + timedelta(hours=1))


def test_instruments_snapshot_has_perpetual_funding_open_interest_and_futures_basis(sim_env, market):
    result = fetch_partition(dataset("bitmex", "instruments"), _settings(sim_env), _this_hour())
    assert [(r.endpoint, r.params, r.dataset) for r in result.responses] == [
        ("/api/v1/instrument/active", {}, "instruments")
    ]
    rows = {r["symbol"]: r for r in _records(result)}
    perps = [s for s, r in rows.items() if r["typ"] == "FFWCSX"]
    futures = [s for s, r in rows.items() if r["typ"] == "FFCCSX"]
    assert sorted(perps) == sorted(SYMBOLS) and len(futures) == 2
    xbt = rows["XBTUSD"]
    settle = _iso(xbt["fundingTimestamp"])
    assert settle.hour in (4, 12, 20) and xbt["fundingInterval"] == "2000-01-01T08:00:00.000Z"
    # The current rate is fixed one interval ahead: it is the premium of the interval before the last.
    assert xbt["fundingRate"] == round(market.settled_funding("bitmex", "XBTUSD", settle - timedelta(hours=8)), 6)
    assert xbt["openValue"] == pytest.approx(xbt["openInterest"] / xbt["markPrice"] * 1e8, rel=1e-6)  # satoshi
    for symbol in futures:
        assert rows[symbol]["expiry"] and rows[symbol]["fairBasis"] == pytest.approx(
            rows[symbol]["fairPrice"] - rows[symbol]["indicativeSettlePrice"], abs=1e-6
        )


def test_indices_snapshot_has_each_assets_composite_index(sim_env, market):
    result = fetch_partition(dataset("bitmex", "indices"), _settings(sim_env), _this_hour())
    assert [r.endpoint for r in result.responses] == ["/api/v1/instrument/indices"]
    rows = {r["symbol"]: r for r in _records(result)}
    assert set(rows) == {".BXBT", ".BETH", ".BSOL"}
    bxbt = rows[".BXBT"]
    assert bxbt["lastPrice"] == pytest.approx(market.price("BTC", _iso(bxbt["timestamp"])), abs=0.01)


def test_funding_history_holds_the_days_three_settlements_per_perpetual(sim_env, market):
    result = fetch_partition(FUNDING, _settings(sim_env), DAY)
    assert [r.params["symbol"] for r in result.responses] == SYMBOLS and result.request_count == 3
    rows = _records(result)
    assert len(rows) == 9 and not result.failures and not result.skipped_assets
    assert sorted({_iso(r["timestamp"]).hour for r in rows}) == [4, 12, 20]
    assert all(DAY.contains(_iso(r["timestamp"])) for r in rows)
    first = next(r for r in rows if r["symbol"] == "XBTUSD")
    assert first["timestamp"] == "2026-01-10T04:00:00.000Z"
    expected = market.settled_funding("bitmex", "XBTUSD", datetime(2026, 1, 9, 20, tzinfo=UTC))
    assert first["fundingRate"] == round(expected, 6)


def test_funding_pages_by_offset_through_a_longer_window(sim_env, monkeypatch):
    monkeypatch.setattr(history, "PAGE_COUNT", 5)
    four_days = TimeWindow(DAY.start, DAY.start + timedelta(days=4))
    with _client(sim_env) as client:
        pages = history.fetch_funding_history(client, "XBTUSD", four_days)
    assert [p.params["start"] for p in pages] == [0, 5, 10]
    stamps = [_iso(r["timestamp"]) for p in pages for r in json.loads(p.payload)]
    assert len(stamps) == 12 and all(b - a == timedelta(hours=8) for a, b in zip(stamps, stamps[1:], strict=False))


def test_hourly_bins_are_the_24_that_closed_in_the_day(sim_env, market):
    result = fetch_partition(dataset("bitmex", "candles_1h"), _settings(sim_env), DAY)
    assert [r.params["binSize"] for r in result.responses] == ["1h"] * 3
    rows = _records(result)
    assert len(rows) == 72
    xbt = [r for r in rows if r["symbol"] == "XBTUSD"]
    assert xbt[0]["timestamp"] == "2026-01-10T00:00:00.000Z" and xbt[-1]["timestamp"] == "2026-01-10T23:00:00.000Z"
    assert all(DAY.contains(_iso(r["timestamp"])) for r in rows)
    # The bin stamped 01:00 covers 00:00-01:00.
    candle = flow.candles(market, "bitmex", "XBTUSD", 60, DAY.start, DAY.start + timedelta(hours=1))[0]
    assert xbt[1]["timestamp"] == "2026-01-10T01:00:00.000Z"
    assert xbt[1]["close"] == pytest.approx(round(candle.close / 0.1) * 0.1, abs=1e-6)
    assert xbt[1]["trades"] == candle.trades


# --- faults on the funding history -----------------------------------------------------------------------------------
def _fault(sim, kind: str, **spec) -> None:
    fault = {"kind": kind, "venue": "bitmex", "path": "/api/v1/funding", **spec}
    httpx.post(f"{sim.root}/_sim/faults", json=fault, timeout=10).raise_for_status()


def _applied(sim) -> list[str]:
    return [f["kind"] for f in httpx.get(f"{sim.root}/_sim/faults", timeout=10).json()["applied"]]


@pytest.mark.parametrize(
    ("kind", "spec", "kept_failures"),
    [
        ("http_5xx", {"count": 2}, ["ExchangeDown", "ExchangeDown"]),
        ("html", {}, ["ExchangeDown"]),
        ("truncated", {}, ["SchemaDrift"]),
        ("reset", {}, []),  # no answer, so no body to keep
        ("timeout", {"options": {"seconds": 1.0}}, []),
    ],
)
def test_transient_faults_end_in_success_after_retries(sim_env, kind, spec, kept_failures):
    _fault(sim_env, kind, **spec)
    with _client(sim_env, timeout=httpx.Timeout(0.3)) as client:
        result = fetch_partition(FUNDING, _settings(sim_env), DAY, client=client)
    if kind == "timeout":
        time.sleep(1.0)  # the simulator still answers the request it held: let it land in this test's log
    assert len(_records(result)) == 9
    assert [f.error_type for f in result.failures] == kept_failures
    assert kind in _applied(sim_env)
    if kind == "truncated":
        full = result.responses[0].payload
        assert full.startswith(result.failures[0].response.payload) and len(result.failures[0].response.payload) < len(
            full
        )


def test_a_ban_fails_the_partition_at_once_with_its_end(sim_env):
    sim_env.set_limits({"bitmex": {"limit": 1, "window_s": 60, "ban_after_strikes": 0, "ban_seconds": 600}})
    with pytest.raises(Banned) as caught:
        fetch_partition(FUNDING, _settings(sim_env), DAY, client=_client(sim_env))
    assert caught.value.until == pytest.approx(datetime.now(UTC) + timedelta(seconds=600), abs=timedelta(seconds=10))
    assert [f.error_type for f in caught.value.failed_responses] == ["Banned"]
    statuses = sim_env.requests_summary()["by_status"]
    assert statuses["bitmex 403"] == 1 and "bitmex 429" not in statuses  # never retried


@pytest.mark.parametrize(
    ("kind", "spec", "skipped"),
    [
        ("delisted", {"options": {"symbol": "SOLUSD"}}, "SOL"),
        ("empty", {}, "BTC"),  # BitMEX's answer for a symbol it does not list: the same []
    ],
)
def test_a_symbol_bitmex_does_not_list_is_skipped_and_its_empty_answer_kept(sim_env, kind, spec, skipped):
    _fault(sim_env, kind, **spec)
    result = fetch_partition(FUNDING, _settings(sim_env), DAY, client=_client(sim_env))
    assert list(result.skipped_assets) == [skipped] and "unknown or delisted" in result.skipped_assets[skipped]
    assert len(result.responses) == 2 and len(_records(result)) == 6
    assert [(f.error_type, f.response.payload) for f in result.failures] == [("SymbolInvalid", "[]")]


def test_a_maintenance_gap_is_loaded_as_received(sim_env):
    _fault(sim_env, "maintenance_gap", options={"start": "2026-01-10T04:00:00Z", "end": "2026-01-10T05:00:00Z"})
    result = fetch_partition(FUNDING, _settings(sim_env), DAY, client=_client(sim_env))
    assert [len(json.loads(r.payload)) for r in result.responses] == [2, 3, 3]  # staging's gap model finds it


def _load_and_check(tmp_path, result):
    con = duckdb.connect(str(tmp_path / "w.duckdb"))
    try:
        loaded = load_partition(
            con,
            "bitmex",
            "funding_rates",
            "2026-01-10",
            result.responses,
            check=lambda c, t, k: check_raw_partition(c, t, k, FUNDING.shape, (DAY.start, DAY.end)),
        )
        stored = con.execute("select count(*) from raw.bitmex__funding_rates").fetchone()[0]
    finally:
        con.close()
    assert stored == len(result.responses)  # loaded whatever the check says: raw is never dropped
    return loaded.check


@pytest.mark.parametrize(
    ("kind", "options"),
    [
        ("drift_rename", {"field": "fundingRate", "to": "fundingRateV2"}),
        ("drift_missing", {"field": "fundingInterval"}),
    ],
)
def test_schema_drift_is_loaded_then_named_by_the_raw_check(sim_env, tmp_path, kind, options):
    _fault(sim_env, kind, options=options)
    outcome = _load_and_check(tmp_path, fetch_partition(FUNDING, _settings(sim_env), DAY, client=_client(sim_env)))
    assert not outcome.passed
    assert [f.split(":")[0] for f in outcome.failures] == ["schema"] and "3 records" in outcome.failures[0]


def test_numbers_sent_as_strings_are_named_as_type_drift(sim_env, tmp_path):
    _fault(sim_env, "drift_string", options={"field": "fundingRate"})
    result = fetch_partition(FUNDING, _settings(sim_env), DAY, client=_client(sim_env))
    assert isinstance(json.loads(result.responses[0].payload)[0]["fundingRate"], str)
    # Staging's try_cast would read "0.0001", but a changed encoding is a contract change the gate stops.
    outcome = _load_and_check(tmp_path, result)
    assert not outcome.passed and outcome.failures[0].startswith("types: 3 records carry fundingRate as a string")


def test_a_page_served_again_is_loaded_then_named_duplicates(sim_env, tmp_path):
    with _client(sim_env) as client:
        history.fetch_funding_history(client, "ETHUSD", DAY)  # the answer the stale page repeats
    _fault(sim_env, "duplicate_page")
    result = fetch_partition(FUNDING, _settings(sim_env), DAY, client=_client(sim_env))
    assert result.responses[0].payload == result.responses[1].payload  # BTC's request got ETH's page
    outcome = _load_and_check(tmp_path, result)
    assert not outcome.passed and outcome.failures[0].startswith("duplicates: 3 keys")


# --- rate limits ----------------------------------------------------------------------------------------------------
def test_the_budget_follows_the_venues_bucket_and_waits_instead_of_a_429(sim_env):
    sim_env.set_limits({"bitmex": {"limit": 2, "window_s": 2}})  # 2 tokens, one back every second
    with _client(sim_env) as client:
        fetch_partition(FUNDING, _settings(sim_env), DAY, client=client)
        waited = client.budgets["requests"].waited_seconds
    summary = sim_env.requests_summary()
    assert summary["by_status"] == {"bitmex 200": 3} and summary["limit_violations"] == 0
    assert waited > 0


def test_a_429_caused_by_another_client_on_the_ip_is_waited_out_without_a_ban(sim_env):
    sim_env.set_limits({"bitmex": {"limit": 2, "window_s": 2}})
    for _ in range(2):  # someone else on our IP empties the bucket
        httpx.get(f"{sim_env.root}/www.bitmex.com/api/v1/instrument/indices", timeout=10).raise_for_status()
    with _client(sim_env) as client:
        pages = history.fetch_funding_history(client, "XBTUSD", DAY)
        assert len(json.loads(pages[0].payload)) == 3
        assert [f.error_type for f in client.failures] == ["RateLimited"]
    statuses = sim_env.requests_summary()["by_status"]
    assert statuses.get("bitmex 429", 0) >= 1 and "bitmex 403" not in statuses
