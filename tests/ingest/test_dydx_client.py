"""dYdX indexer client: error answers classified from the indexer's own bodies (Retry-After in milliseconds),
newest-first paging plans, every dataset fetched from the simulator (expected values from an in-process
Market(seed=7)), each fault kind on the funding history, and the request budget against the venue's window."""

import json
import time
from datetime import UTC, datetime, timedelta

import duckdb
import httpx
import pytest

from ingest.config import Settings
from ingest.errors import BadRequest, Banned, ExchangeDown, RateLimited, SchemaDrift, SymbolInvalid
from ingest.ratelimit import WindowBudget
from ingest.registry import dataset, fetch_partition
from ingest.retry import RetryPolicy
from ingest.venues.dydx import candles, funding, trades
from ingest.venues.dydx.client import make_client
from ingest.venues.dydx.protocol import classify, observe
from ingest.venues.dydx.symbols import ticker
from ingest.windows import TimeWindow
from simulator import flow
from simulator.market import Market
from simulator.venues.dydx import block_time, first_block_from
from warehouse.load import load_partition
from warehouse.raw_checks import check_raw_partition

DAY = TimeWindow(datetime(2026, 1, 10, tzinfo=UTC), datetime(2026, 1, 11, tzinfo=UTC))
LATER = datetime(2026, 11, 21, tzinfo=UTC)
FUNDING = dataset("dydx", "funding_rates")
TICKERS = ["BTC-USD", "ETH-USD", "SOL-USD"]
TICKER_MSG = "ticker must be a valid ticker (BTC-USD, etc)"


def _resp(status, body, headers=None):
    return httpx.Response(status, text=body if isinstance(body, str) else json.dumps(body), headers=headers or {})


def _iso(text: str) -> datetime:
    return datetime.fromisoformat(text)


def _records(result, key: str) -> list[dict]:
    return [row for r in result.responses for row in json.loads(r.payload)[key]]


# --- classify: the indexer's error answers ---------------------------------------------------------------------------
def test_ok_is_not_an_error():
    assert classify(_resp(200, {"historicalFunding": []})) is None


def test_429_retry_after_is_milliseconds():
    err = classify(_resp(429, {"errors": [{"msg": "Too many requests"}]}, {"Retry-After": "1500"}))
    assert isinstance(err, RateLimited) and err.retry_after == 1.5 and "Too many requests" in str(err)
    assert classify(_resp(429, {"errors": [{"msg": "Too many requests"}]})).retry_after is None


def test_a_refused_ticker_alone_is_an_unknown_symbol():
    path = {"errors": [{"value": "DOGE-USD", "msg": TICKER_MSG, "param": "ticker", "location": "params"}]}
    query = {"errors": [{"value": "BTC-USD", "msg": TICKER_MSG, "param": "market", "location": "query"}]}
    assert isinstance(classify(_resp(400, path)), SymbolInvalid)
    assert isinstance(classify(_resp(400, query)), SymbolInvalid)


def test_other_validation_errors_are_bad_requests_even_with_a_ticker_error():
    both = {
        "errors": [
            {
                "value": 1001,
                "msg": "limit must be a positive integer that is not greater than max: 1000",
                "param": "limit",
                "location": "query",
            },
            {"value": "DOGE-USD", "msg": TICKER_MSG, "param": "ticker", "location": "params"},
        ]
    }
    err = classify(_resp(400, both))
    assert isinstance(err, BadRequest) and "limit must be a positive integer" in str(err)
    resolution = {"errors": [{"msg": "resolution must be a valid Candle Resolution", "param": "resolution"}]}
    assert isinstance(classify(_resp(400, resolution)), BadRequest)
    assert isinstance(
        classify(_resp(400, {"errors": [{"msg": "Only one of ticker or market may be provided"}]})), BadRequest
    )
    assert isinstance(classify(_resp(404, {"errors": [{"msg": "Not Found"}]})), BadRequest)


def test_blocks_are_bans_and_server_errors_are_exchange_down():
    assert isinstance(classify(_resp(403, {"errors": [{"msg": "Forbidden"}]})), Banned)
    assert isinstance(classify(_resp(503, "Service Unavailable")), ExchangeDown)
    assert isinstance(classify(_resp(502, "<html><title>502 Bad Gateway</title></html>")), ExchangeDown)


def test_a_low_venue_window_stops_this_seconds_budget_early():
    budget = WindowBudget("t", 10, 1.0, clock=lambda: 100.5)
    observe(_resp(200, {}, {"RateLimit-Limit": "100", "RateLimit-Remaining": "90"}), {"requests": budget})
    assert budget.used == 0  # plenty left: our own pace decides
    observe(_resp(200, {}, {"RateLimit-Limit": "100", "RateLimit-Remaining": "15"}), {"requests": budget})
    assert budget.used == pytest.approx(4)  # 15 left, 10 in reserve: 5 more may go this second


# --- paging plans --------------------------------------------------------------------------------------------------
def test_assets_map_to_tickers():
    assert [ticker(a) for a in ("BTC", "ETH", "SOL")] == TICKERS


def test_funding_asks_for_exactly_the_settlements_of_the_window():
    assert funding.funding_history_params(DAY, LATER) == {
        "effectiveBeforeOrAt": "2026-01-10T23:59:59.999Z",
        "limit": 24,
    }
    today = TimeWindow(datetime(2026, 11, 21, tzinfo=UTC), datetime(2026, 11, 22, tzinfo=UTC))
    assert funding.funding_history_params(today, datetime(2026, 11, 21, 6, 30, tzinfo=UTC))["limit"] == 7
    # At 06:00 sharp the 06:00 settlement may not be indexed yet: asking for it would reach into yesterday.
    assert funding.funding_history_params(today, datetime(2026, 11, 21, 6, 0, tzinfo=UTC))["limit"] == 6
    assert funding.funding_history_params(today, today.start)["limit"] == 1


def test_funding_pages_back_from_the_oldest_settlement_until_the_windows_first_hour():
    p = {**funding.funding_history_params(DAY, LATER), "limit": 2}
    assert funding.next_funding_page(p, [{"effectiveAt": "2026-01-10T06:00:00.219Z"}], DAY) is None  # short
    page = [{"effectiveAt": "2026-01-10T06:00:00.219Z"}, {"effectiveAt": "2026-01-10T05:00:00.219Z"}]
    # The next page asks for exactly the hours left before 05:00 (00:00 .. 04:00), so it stops at the window's start.
    assert funding.next_funding_page(p, page, DAY) == {"effectiveBeforeOrAt": "2026-01-10T05:00:00.218Z", "limit": 5}
    first_hour = [{"effectiveAt": "2026-01-10T01:00:00.219Z"}, {"effectiveAt": "2026-01-10T00:00:00.219Z"}]
    assert funding.next_funding_page(p, first_hour, DAY) is None
    with pytest.raises(SchemaDrift) as drift:
        funding.next_funding_page(p, [page[0], {"effectiveAtV2": "2026-01-10T05:00:00.219Z"}], DAY)
    assert drift.value.field == "effectiveAt"


def test_candles_are_bounded_on_both_sides_and_page_back_by_start_time():
    p = candles.candle_params(DAY)
    assert p == {
        "resolution": "1HOUR",
        "fromISO": "2026-01-10T00:00:00.000Z",
        "toISO": "2026-01-10T23:59:59.999Z",
        "limit": 1000,
    }
    p2 = {**p, "limit": 2}
    page = [{"startedAt": "2026-01-10T06:00:00.000Z"}, {"startedAt": "2026-01-10T05:00:00.000Z"}]
    assert candles.next_candle_page(p2, page, DAY)["toISO"] == "2026-01-10T04:59:59.999Z"
    assert candles.next_candle_page(p2, [page[0], {"startedAt": "2026-01-10T00:00:00.000Z"}], DAY) is None


def _fill(created_at: str, height: int) -> dict:
    return {"createdAt": created_at, "createdAtHeight": str(height)}


def test_trades_page_back_by_inclusive_height_until_a_page_reaches_before_the_window():
    p = trades.trades_params(DAY)
    assert p == {"createdBeforeOrAt": "2026-01-10T23:59:59.999Z", "limit": 1000}
    p2 = {**p, "limit": 2}
    inside = [_fill("2026-01-10T05:00:01.000Z", 120), _fill("2026-01-10T05:00:00.000Z", 119)]
    assert trades.next_trades_page(p2, inside, DAY) == {**p2, "createdBeforeOrAtHeight": "119"}  # 119 may go on
    before = [inside[0], _fill("2026-01-09T23:59:59.000Z", 100)]
    assert trades.next_trades_page(p2, before, DAY) is None
    assert trades.next_trades_page(p2, inside[:1], DAY) is None  # short page: the tape is exhausted


def test_a_block_filling_a_whole_page_steps_below_it_to_make_progress():
    p = {**trades.trades_params(DAY), "limit": 2, "createdBeforeOrAtHeight": "119"}
    one_block = [_fill("2026-01-10T05:00:00.000Z", 119), _fill("2026-01-10T05:00:00.000Z", 119)]
    assert trades.next_trades_page(p, one_block, DAY)["createdBeforeOrAtHeight"] == "118"


# --- every dataset against the simulator -------------------------------------------------------------------------
@pytest.fixture(scope="module")
def market():
    return Market(seed=7)


def _settings(sim) -> Settings:
    return Settings(simulator_url=sim.root)


def _client(sim, **kw):
    return make_client(_settings(sim), retry=RetryPolicy(base_delay=0.01, max_delay=0.05), **kw)


def test_perpetual_markets_snapshot_has_oracle_price_next_hourly_rate_and_base_open_interest(sim_env, market):
    start = datetime.now(UTC).replace(minute=0, second=0, microsecond=0)
    result = fetch_partition(
        dataset("dydx", "perpetual_markets"), _settings(sim_env), TimeWindow(start, start + timedelta(hours=1))
    )
    assert [(r.endpoint, r.params) for r in result.responses] == [("/v4/perpetualMarkets", {})]
    markets = json.loads(result.responses[0].payload)["markets"]
    assert sorted(markets) == TICKERS
    btc = markets["BTC-USD"]
    # The predicted rate of the hour under way depends only on that hour's premium.
    rate, _ = market.current_funding("dydx", "BTC-USD", datetime.now(UTC))
    assert float(btc["nextFundingRate"]) == pytest.approx(round(rate, 12), abs=1e-15)
    assert float(btc["openInterest"]) * float(btc["oraclePrice"]) > 1e6  # base coin, not USD


def test_funding_history_holds_the_days_24_hourly_settlements_per_market(sim_env, market):
    result = fetch_partition(FUNDING, _settings(sim_env), DAY)
    assert [r.endpoint for r in result.responses] == [f"/v4/historicalFunding/{t}" for t in TICKERS]
    assert result.request_count == 3 and [r.params["limit"] for r in result.responses] == [24] * 3
    rows = _records(result, "historicalFunding")
    assert len(rows) == 72 and all(DAY.contains(_iso(r["effectiveAt"])) for r in rows)
    btc = [r for r in rows if r["ticker"] == "BTC-USD"]
    assert _iso(btc[0]["effectiveAt"]).hour == 23 and _iso(btc[-1]["effectiveAt"]).hour == 0  # newest first
    noon = next(r for r in btc if _iso(r["effectiveAt"]).hour == 12)
    expected = market.settled_funding("dydx", "BTC-USD", datetime(2026, 1, 10, 12, tzinfo=UTC))
    assert float(noon["rate"]) == pytest.approx(expected, abs=1e-12)


def test_hourly_candles_carry_the_open_interest_history(sim_env, market):
    result = fetch_partition(dataset("dydx", "candles_1h"), _settings(sim_env), DAY)
    assert [r.params["resolution"] for r in result.responses] == ["1HOUR"] * 3
    rows = _records(result, "candles")
    assert len(rows) == 72 and all(DAY.contains(_iso(r["startedAt"])) for r in rows)
    btc = [r for r in rows if r["ticker"] == "BTC-USD"]
    assert btc[0]["startedAt"] == "2026-01-10T23:00:00.000Z" and btc[-1]["startedAt"] == "2026-01-10T00:00:00.000Z"
    first = flow.candles(market, "dydx", "BTC-USD", 60, DAY.start, DAY.start + timedelta(hours=1))[0]
    assert float(btc[-1]["startingOpenInterest"]) == pytest.approx(first.open_interest, abs=0.0001)
    assert btc[-1]["trades"] == first.trades and float(btc[-1]["usdVolume"]) > 0


def test_trades_cover_the_whole_day_and_flag_liquidations(sim_env, market):
    result = fetch_partition(dataset("dydx", "trades"), _settings(sim_env), DAY)
    btc_pages = [r for r in result.responses if r.endpoint.endswith("BTC-USD")]
    assert [sorted(p.params) for p in btc_pages] == [
        ["createdBeforeOrAt", "limit"],
        ["createdBeforeOrAt", "createdBeforeOrAtHeight", "limit"],
    ]
    fills = [row for p in btc_pages for row in json.loads(p.payload)["trades"]]
    in_day = {r["id"]: r for r in fills if DAY.contains(_iso(r["createdAt"]))}
    # A fill is stamped with the block that carried it (the first block at or after the fill).
    tape = flow.trades(market, "dydx", "BTC-USD", DAY.start - timedelta(hours=1), DAY.end)
    expected = [t for t in tape if DAY.contains(block_time(first_block_from(t.time)))]
    assert len(in_day) == len(expected)  # nothing lost between pages; the repeated block collapses on id
    assert min(_iso(r["createdAt"]) for r in fills) < DAY.start  # the last page reaches into the day before
    forced = [r for r in in_day.values() if r["type"] in ("LIQUIDATED", "DELEVERAGED")]
    assert len(forced) == sum(t.liquidation for t in expected)


# --- faults on the funding history -----------------------------------------------------------------------------------
def _fault(sim, kind: str, **spec) -> None:
    fault = {"kind": kind, "venue": "dydx", "path": "/v4/historicalFunding/{ticker}", **spec}
    httpx.post(f"{sim.root}/_sim/faults", json=fault, timeout=10).raise_for_status()


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
    assert len(_records(result, "historicalFunding")) == 72
    assert [f.error_type for f in result.failures] == kept_failures


def test_a_delisted_market_is_skipped_with_its_answer_kept(sim_env):
    _fault(sim_env, "delisted")  # the next request, whichever ticker: BTC-USD
    result = fetch_partition(FUNDING, _settings(sim_env), DAY, client=_client(sim_env))
    assert list(result.skipped_assets) == ["BTC"] and "unknown ticker" in result.skipped_assets["BTC"]
    assert [json.loads(r.payload)["historicalFunding"][0]["ticker"] for r in result.responses] == TICKERS[1:]
    assert [(f.error_type, f.response.http_status) for f in result.failures] == [("SymbolInvalid", 400)]


@pytest.mark.parametrize(
    ("kind", "options", "counts"),
    [
        ("empty", {}, [0, 24, 24]),
        ("maintenance_gap", {"start": "2026-01-10T04:00:00Z", "end": "2026-01-10T06:00:00Z"}, [22, 24, 24]),
    ],
)
def test_short_answers_are_loaded_as_received(sim_env, kind, options, counts):
    _fault(sim_env, kind, options=options)
    result = fetch_partition(FUNDING, _settings(sim_env), DAY, client=_client(sim_env))
    assert [len(json.loads(r.payload)["historicalFunding"]) for r in result.responses] == counts


def _load_and_check(tmp_path, result):
    con = duckdb.connect(str(tmp_path / "w.duckdb"))
    try:
        loaded = load_partition(
            con,
            "dydx",
            "funding_rates",
            "2026-01-10",
            result.responses,
            check=lambda c, t, k: check_raw_partition(c, t, k, FUNDING.shape, (DAY.start, DAY.end)),
        )
        stored = con.execute("select count(*) from raw.dydx__funding_rates").fetchone()[0]
    finally:
        con.close()
    assert stored == len(result.responses)  # loaded whatever the check says: raw is never dropped
    return loaded.check


def test_a_renamed_envelope_is_loaded_then_named_by_the_raw_check(sim_env, tmp_path):
    _fault(sim_env, "drift_rename", options={"field": "historicalFunding", "to": "funding"})
    outcome = _load_and_check(tmp_path, fetch_partition(FUNDING, _settings(sim_env), DAY, client=_client(sim_env)))
    assert not outcome.passed and outcome.failures[0].startswith(
        "schema: 1 responses lack the record list at $.historicalFunding"
    )


def test_a_renamed_cursor_field_fails_the_fetch_with_its_name_and_keeps_the_body(sim_env):
    _fault(sim_env, "drift_rename", options={"field": "effectiveAt", "to": "effectiveAtV2"})
    with pytest.raises(SchemaDrift) as drift:
        fetch_partition(FUNDING, _settings(sim_env), DAY, client=_client(sim_env))
    assert drift.value.field == "effectiveAt"
    kept = drift.value.failed_responses
    assert [f.error_type for f in kept] == ["SchemaDrift"] and "effectiveAtV2" in kept[0].response.payload


def test_record_fields_off_the_cursor_are_named_by_the_record_level_check(sim_env, tmp_path):
    """What the raw check cannot see yet (it reads only the top level): a renamed `rate` inside the records."""
    _fault(sim_env, "drift_rename", options={"field": "rate", "to": "rateV2"})
    result = fetch_partition(FUNDING, _settings(sim_env), DAY, client=_client(sim_env))
    assert "rateV2" in result.responses[0].payload
    outcome = _load_and_check(tmp_path, result)
    assert not outcome.passed and outcome.failures[0].startswith("schema: 24 records lack")


def test_a_page_served_again_is_loaded_then_named_duplicates(sim_env, tmp_path):
    with _client(sim_env) as client:
        funding.fetch_funding_history(client, "ETH-USD", DAY)  # the answer the stale page repeats
    _fault(sim_env, "duplicate_page")
    result = fetch_partition(FUNDING, _settings(sim_env), DAY, client=_client(sim_env))
    assert result.responses[0].payload == result.responses[1].payload  # BTC-USD's request got ETH-USD's page
    outcome = _load_and_check(tmp_path, result)
    assert not outcome.passed and outcome.failures[0].startswith("duplicates: 24 keys ['ticker', 'effectiveAt']")


# --- rate limits ----------------------------------------------------------------------------------------------------
def test_a_429_caused_by_another_client_on_the_ip_is_waited_out_for_its_milliseconds(sim_env):
    sim_env.set_limits({"dydx": {"limit": 4, "window_s": 2}})
    for _ in range(4):  # someone else on our IP spends the window
        httpx.get(f"{sim_env.root}/indexer.dydx.trade/v4/time", timeout=10).raise_for_status()
    started = time.monotonic()
    with _client(sim_env) as client:
        result = fetch_partition(FUNDING, _settings(sim_env), DAY, client=client)
    # Read as seconds, a Retry-After of up to 2000 would exceed the policy's longest wait and fail the partition.
    assert time.monotonic() - started < 10
    assert len(_records(result, "historicalFunding")) == 72
    assert [f.error_type for f in result.failures][:1] == ["RateLimited"]
    statuses = sim_env.requests_summary()["by_status"]
    assert statuses["dydx 429"] == len(result.failures) and statuses["dydx 200"] == 4 + 3


def test_a_burst_is_paced_under_the_venue_window(sim_env):
    with _client(sim_env) as client:
        for _ in range(25):
            client.get_json("/v4/perpetualMarkets", {}, dataset="perpetual_markets", costs={"requests": 1})
        waited = client.budgets["requests"].waited_seconds
    summary = sim_env.requests_summary()
    assert summary["by_status"] == {"dydx 200": 25} and summary["limit_violations"] == 0
    assert waited > 0  # 9 a second: the budget, not the venue, set the pace
