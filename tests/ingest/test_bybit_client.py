"""The Bybit client: error classification, paging plans, every dataset against the simulator (expected values
from an in-process Market with the simulator's seed), fault handling and rate limits."""

import json
import time
from datetime import UTC, datetime, timedelta

import duckdb
import httpx
import pytest

from ingest.config import Settings
from ingest.envelope import RawResponse
from ingest.errors import BadRequest, Banned, ExchangeDown, RateLimited, SchemaDrift, SymbolInvalid
from ingest.ratelimit import WindowBudget
from ingest.registry import Cadence, FetchResult, dataset, fetch_partition
from ingest.retry import RetryPolicy
from ingest.venues.bybit.client import FUNDING_HISTORY, TICKERS, make_client
from ingest.venues.bybit.funding import funding_history_params, next_funding_page
from ingest.venues.bybit.instruments import instruments_params
from ingest.venues.bybit.klines import kline_params, next_kline_page
from ingest.venues.bybit.paging import next_cursor
from ingest.venues.bybit.positioning import account_ratio_params, open_interest_params
from ingest.venues.bybit.protocol import classify, observe
from ingest.venues.bybit.symbols import inverse_perpetual, linear_perpetual, perpetuals
from ingest.windows import TimeWindow
from simulator import catalog, flow, options
from simulator.market import Market
from warehouse.load import load_partition
from warehouse.raw_checks import RawCheckOutcome, check_raw_partition

DAY = TimeWindow(datetime(2026, 1, 10, tzinfo=UTC), datetime(2026, 1, 11, tzinfo=UTC))
DAY_START, DAY_END = 1768003200000, 1768089600000
HOUR_MS = 3_600_000
NOW = datetime(2026, 1, 10, 12, 0, 0, tzinfo=UTC)
BTC_LINEAR, BTC_INVERSE = linear_perpetual("BTC"), inverse_perpetual("BTC")


# --- classify: every documented answer ---------------------------------------------------------------------
def _resp(status: int, body: str, headers: dict | None = None, path: str = "/v5/market/tickers") -> httpx.Response:
    return httpx.Response(
        status, text=body, headers=headers or {}, request=httpx.Request("GET", f"https://api.bybit.com{path}")
    )


def _envelope(code: int, msg: str) -> str:
    return json.dumps({"retCode": code, "retMsg": msg, "result": {}, "retExtInfo": {}, "time": 1768046400000})


def test_success_is_only_ret_code_zero():
    ok = '{"retCode":0,"retMsg":"OK","result":{"category":"linear","list":[]},"retExtInfo":{},"time":1768046400000}'
    assert classify(_resp(200, ok), NOW) is None
    assert isinstance(classify(_resp(200, _envelope(10001, "params error: symbol is required")), NOW), BadRequest)


def test_ip_limit_403_is_a_ten_minute_ban():
    err = classify(_resp(403, "access too frequent"), NOW)
    assert isinstance(err, Banned) and err.until == NOW + timedelta(minutes=10) and err.status == 403


def test_ip_limit_codes_in_the_body_are_bans_too():
    for code, msg in ((10018, "Exceeded the IP Rate Limit."), (10009, "IP has been banned.")):
        err = classify(_resp(200, _envelope(code, msg)), NOW)
        assert isinstance(err, Banned) and err.until == NOW + timedelta(minutes=10), code


def test_endpoint_limit_10006_waits_until_the_reset_timestamp():
    reset_ms = int(NOW.timestamp() * 1000) + 1_250
    headers = {"X-Bapi-Limit": "50", "X-Bapi-Limit-Status": "0", "X-Bapi-Limit-Reset-Timestamp": str(reset_ms)}
    err = classify(_resp(200, _envelope(10006, "Too many visits!"), headers), NOW)
    assert isinstance(err, RateLimited) and err.retry_after == pytest.approx(1.25)
    without_reset = classify(_resp(200, _envelope(10006, "Too many visits!")), NOW)
    assert isinstance(without_reset, RateLimited) and without_reset.retry_after is None  # the backoff decides


def test_system_frequency_protection_429_honours_retry_after():
    err = classify(_resp(429, "", {"Retry-After": "3"}), NOW)
    assert isinstance(err, RateLimited) and err.retry_after == 3.0


def test_unknown_instruments_are_symbol_invalid():
    for msg in ("Not supported symbols", "params error: baseCoin XRP invalid"):
        assert isinstance(classify(_resp(200, _envelope(10001, msg)), NOW), SymbolInvalid), msg
    whitelist = "The requested symbol is invalid, please check symbol whitelist."
    assert isinstance(classify(_resp(200, _envelope(10029, whitelist)), NOW), SymbolInvalid)


def test_other_parameter_and_auth_errors_are_bad_requests():
    both_bounds = _envelope(10001, "params error: startTime and endTime must be passed together")
    assert isinstance(classify(_resp(200, both_bounds), NOW), BadRequest)
    assert isinstance(classify(_resp(200, _envelope(10001, "Illegal category")), NOW), BadRequest)
    assert isinstance(classify(_resp(401, _envelope(10003, "API key is invalid.")), NOW), BadRequest)
    assert isinstance(classify(_resp(404, "404 page not found"), NOW), BadRequest)
    assert isinstance(classify(_resp(200, _envelope(10017, "Route not found.")), NOW), BadRequest)


def test_venue_outages_are_exchange_down():
    assert isinstance(classify(_resp(200, _envelope(10000, "Server Timeout")), NOW), ExchangeDown)
    assert isinstance(classify(_resp(200, _envelope(10016, "Server error.")), NOW), ExchangeDown)
    assert isinstance(classify(_resp(503, "Service Unavailable"), NOW), ExchangeDown)
    assert isinstance(classify(_resp(502, "<html><title>502 Bad Gateway</title></html>"), NOW), ExchangeDown)


def test_bodies_that_are_not_bybits_envelope():
    # A cut-off 200 body is left to the shared client, which retries it as a SchemaDrift.
    assert classify(_resp(200, '{"retCode":0,"retMsg":"OK","result":{"list":[{"sym'), NOW) is None
    err = classify(_resp(200, '{"list":[]}'), NOW)
    assert isinstance(err, SchemaDrift) and err.field == "retCode"


def test_limit_headers_teach_the_endpoint_budget():
    budgets = {
        path: WindowBudget(path, 600, 1.0, safety=1.0, clock=lambda: 100.0) for path in (TICKERS, FUNDING_HISTORY)
    }
    headers = {"X-Bapi-Limit": "20", "X-Bapi-Limit-Status": "15", "X-Bapi-Limit-Reset-Timestamp": "1"}
    observe(_resp(200, "{}", headers, path="/api.bybit.com/v5/market/tickers"), budgets)
    assert budgets[TICKERS].limit == 20 and budgets[TICKERS].used == 5
    assert budgets[FUNDING_HISTORY].limit == 600  # other endpoints keep their own budget


def test_every_client_of_the_process_spends_one_ip_budget():
    first, second = make_client(Settings()), make_client(Settings())
    assert first.budgets["ip"] is second.budgets["ip"] and first.budgets["ip"].capacity == 270
    assert first.budgets[TICKERS] is second.budgets[TICKERS]  # endpoint budgets are per process too


# --- paging plans ------------------------------------------------------------------------------------------
def test_assets_map_to_both_perpetuals():
    assert perpetuals("ETH") == (("linear", "ETHUSDT"), ("inverse", "ETHUSD"))
    assert instruments_params("option", "SOL") == {"category": "option", "baseCoin": "SOL", "limit": 1000}


def test_funding_window_sends_both_bounds_with_an_inclusive_end():
    assert funding_history_params(BTC_LINEAR, DAY) == {
        "category": "linear",
        "symbol": "BTCUSDT",
        "startTime": DAY_START,
        "endTime": DAY_END - 1,
        "limit": 200,
    }


def _funding_rows(*stamps: int) -> dict:
    return {"list": [{"symbol": "BTCUSDT", "fundingRate": "0.0001", "fundingRateTimestamp": str(s)} for s in stamps]}


def test_funding_pages_back_from_the_oldest_row_of_a_full_page():
    first = {**funding_history_params(BTC_LINEAR, DAY), "limit": 2}
    assert next_funding_page(first, _funding_rows(DAY_START + 16 * HOUR_MS)) is None  # short page: done
    nxt = next_funding_page(first, _funding_rows(DAY_START + 16 * HOUR_MS, DAY_START + 8 * HOUR_MS))
    assert nxt == {**first, "endTime": DAY_START + 8 * HOUR_MS - 1}
    # A full page that reached the window's start, or a page that did not move back (served twice), ends it.
    assert next_funding_page(first, _funding_rows(DAY_START + 8 * HOUR_MS, DAY_START)) is None
    assert next_funding_page(nxt, _funding_rows(DAY_START + 16 * HOUR_MS, DAY_START + 8 * HOUR_MS)) is None


def test_a_drifted_timestamp_cannot_be_paged():
    params = {**funding_history_params(BTC_LINEAR, DAY), "limit": 1}
    with pytest.raises(SchemaDrift) as info:
        next_funding_page(params, {"list": [{"symbol": "BTCUSDT", "fundingRate": "0.0001"}]})
    assert info.value.field == "fundingRateTimestamp"


def test_grid_histories_send_inclusive_bounds_and_follow_the_cursor():
    oi = open_interest_params(BTC_INVERSE, DAY)
    assert oi == {
        "category": "inverse",
        "symbol": "BTCUSD",
        "intervalTime": "1h",
        "startTime": DAY_START,
        "endTime": DAY_END - 1,
        "limit": 200,
    }
    ratio = account_ratio_params(BTC_LINEAR, DAY)
    assert (ratio["period"], ratio["endTime"], ratio["limit"]) == ("1h", DAY_END - 1, 500)
    assert next_cursor(oi, {"list": [], "nextPageCursor": ""}) is None
    assert next_cursor(oi, {"list": [], "nextPageCursor": None}) is None
    nxt = next_cursor(oi, {"list": [], "nextPageCursor": "lastid%3D5892"})
    assert nxt == {**oi, "cursor": "lastid%3D5892"}
    assert next_cursor(nxt, {"list": [], "nextPageCursor": "lastid%3D5892"}) is None  # the cursor did not move


def test_candles_page_back_by_end():
    first = kline_params(BTC_LINEAR, DAY)
    assert (first["interval"], first["start"], first["end"], first["limit"]) == ("60", DAY_START, DAY_END - 1, 1000)
    small = {**first, "limit": 2}
    rows = {"list": [[str(DAY_START + 5 * HOUR_MS), "1", "1", "1", "1", "1", "1"], [str(DAY_START + 4 * HOUR_MS)] * 7]}
    assert next_kline_page(small, rows) == {**small, "end": DAY_START + 4 * HOUR_MS - 1}
    assert next_kline_page(first, rows) is None


# --- every dataset against the simulator -------------------------------------------------------------------
@pytest.fixture(scope="module")
def market() -> Market:
    """The simulator's market, built in process with the same seed: the source of expected values."""
    return Market(seed=7)


def _settings(sim) -> Settings:
    return Settings(assets=("BTC", "ETH", "SOL"), simulator_url=sim.root)


def _client(sim, **kw):
    """A client that retries fast and gives up on a held request quickly."""
    retry = RetryPolicy(base_delay=0.01, max_delay=0.05)
    return make_client(_settings(sim), retry=retry, timeout=httpx.Timeout(1.0, connect=1.0), **kw)


def _fetch(sim, name: str, window: TimeWindow = DAY, client=None) -> FetchResult:
    return fetch_partition(dataset("bybit", name), _settings(sim), window, client or _client(sim))


def _results(fetched: FetchResult) -> list[dict]:
    return [json.loads(r.payload)["result"] for r in fetched.responses]


def _rows_by_symbol(fetched: FetchResult) -> dict[str, list]:
    out: dict[str, list] = {}
    for result in _results(fetched):
        for row in result["list"]:
            symbol = row["symbol"] if isinstance(row, dict) and "symbol" in row else result["symbol"]
            out.setdefault(symbol, []).append(row)
    return out


def _check(name: str, fetched: FetchResult, window: TimeWindow = DAY) -> RawCheckOutcome:
    """Load the partition into a scratch warehouse with the blocking raw check, as the raw asset does."""
    spec = dataset("bybit", name)
    bounds = (window.start, window.end) if spec.cadence == Cadence.DAILY_HISTORY else None
    con = duckdb.connect()
    try:
        loaded = load_partition(
            con,
            "bybit",
            name,
            "p",
            fetched.responses,
            check=lambda c, t, k: check_raw_partition(c, t, k, spec.shape, bounds),
        )
    finally:
        con.close()
    return loaded.check


def _ms(t: datetime) -> int:
    return int(t.timestamp() * 1000)


def test_funding_rates_three_settlements_per_symbol_per_day(sim_env, market):
    fetched = _fetch(sim_env, "funding_rates")
    assert len(fetched.responses) == fetched.request_count == 6  # BTC, ETH, SOL x linear, inverse
    rows = _rows_by_symbol(fetched)
    assert sorted(rows) == ["BTCUSD", "BTCUSDT", "ETHUSD", "ETHUSDT", "SOLUSD", "SOLUSDT"]
    for symbol, settled in rows.items():
        expected = market.settlement_times("bybit", symbol, DAY.start, DAY.end)
        assert [int(r["fundingRateTimestamp"]) for r in settled] == [_ms(t) for t in reversed(expected)]
    at_8 = next(r for r in rows["ETHUSDT"] if int(r["fundingRateTimestamp"]) == DAY_START + 8 * HOUR_MS)
    rate = market.settled_funding("bybit", "ETHUSDT", DAY.start + timedelta(hours=8))
    assert float(at_8["fundingRate"]) == round(rate, 8)  # Bybit prints rates with up to 8 decimals
    assert _check("funding_rates", fetched).passed


def test_open_interest_history_hourly_in_coin_and_usd(sim_env, market):
    fetched = _fetch(sim_env, "open_interest_history")
    rows = _rows_by_symbol(fetched)
    assert len(fetched.responses) == 6 and all(len(r) == 24 for r in rows.values())
    assert [int(r["timestamp"]) for r in rows["BTCUSDT"]] == [DAY_END - HOUR_MS * (i + 1) for i in range(24)]
    noon = DAY.start + timedelta(hours=12)
    linear = next(r for r in rows["BTCUSDT"] if int(r["timestamp"]) == _ms(noon))
    inverse = next(r for r in rows["BTCUSD"] if int(r["timestamp"]) == _ms(noon))
    assert float(linear["openInterest"]) == pytest.approx(market.open_interest("bybit", "BTCUSDT", noon), abs=1e-3)
    usd = market.open_interest("bybit", "BTCUSD", noon) * market.price("BTC", noon)
    assert float(inverse["openInterest"]) == pytest.approx(usd, abs=1.0)
    assert _check("open_interest_history", fetched).passed


def test_long_short_ratio_hourly_shares(sim_env, market):
    fetched = _fetch(sim_env, "long_short_ratio")
    rows = _rows_by_symbol(fetched)
    assert len(fetched.responses) == 6 and {len(r) for r in rows.values()} == {24}
    first = rows["SOLUSDT"][-1]  # oldest: the day's first hour
    share = round(market.long_account_share("bybit", "SOL", DAY.start) * 10_000) / 10_000
    assert (int(first["timestamp"]), float(first["buyRatio"])) == (DAY_START, pytest.approx(share))
    assert float(first["buyRatio"]) + float(first["sellRatio"]) == pytest.approx(1.0)
    assert _check("long_short_ratio", fetched).passed


def test_candles_hourly_with_volume_and_turnover(sim_env, market):
    fetched = _fetch(sim_env, "candles_1h")
    rows = _rows_by_symbol(fetched)
    assert len(fetched.responses) == 6 and {len(r) for r in rows.values()} == {24}
    expected = flow.candles(market, "bybit", "BTCUSDT", 60, DAY.start, DAY.end)
    newest = rows["BTCUSDT"][0]
    assert int(newest[0]) == _ms(expected[-1].open_time) == DAY_END - HOUR_MS
    assert float(newest[4]) == pytest.approx(expected[-1].close, abs=0.1)
    assert float(newest[5]) == pytest.approx(expected[-1].volume, abs=1e-3)
    assert _check("candles_1h", fetched).passed


def test_instruments_per_asset_and_category(sim_env, market):
    fetched = _fetch(sim_env, "instruments")
    results = _results(fetched)
    assert [r["category"] for r in results] == ["linear", "inverse", "option"] * 3
    btc_linear = {row["symbol"]: row for row in results[0]["list"]}
    assert btc_linear["BTCUSDT"]["contractType"] == "LinearPerpetual"
    assert btc_linear["BTCUSDT"]["fundingInterval"] == market.perp("bybit", "BTCUSDT").params.interval_hours * 60
    quarterlies = [r for r in results[1]["list"] if r["contractType"] == "InverseFutures"]
    assert len(quarterlies) == len(catalog.future_expiries(datetime.now(UTC))) == 3
    assert results[2]["list"] and all(r["symbol"].startswith("BTC-") for r in results[2]["list"])
    assert _check("instruments", fetched).passed


def test_tickers_linear_per_asset_and_the_inverse_category(sim_env, market):
    fetched = _fetch(sim_env, "tickers")
    results = _results(fetched)
    assert [r["category"] for r in results] == ["inverse", "linear", "linear", "linear"]
    inverse = {row["symbol"]: row for row in results[0]["list"]}
    assert {"BTCUSD", "ETHUSD", "SOLUSD"} <= set(inverse) and len(inverse) == 9  # 3 perps + 6 quarterlies
    assert sum(1 for row in inverse.values() if row["basisRate"]) == 6
    btc = results[1]["list"][0]
    _, next_settlement = market.current_funding("bybit", "BTCUSDT", datetime.now(UTC))
    assert (btc["symbol"], int(btc["nextFundingTime"])) == ("BTCUSDT", _ms(next_settlement))
    assert float(btc["markPrice"]) == pytest.approx(market.mark_price("bybit", "BTCUSDT", datetime.now(UTC)), rel=1e-3)
    assert _check("tickers", fetched).passed


def test_option_chains_per_base_coin(sim_env, market):
    fetched = _fetch(sim_env, "option_tickers")
    results = _results(fetched)
    assert len(results) == 3
    for asset, result in zip(("BTC", "ETH", "SOL"), results, strict=True):
        assert result["list"] and all(row["symbol"].startswith(f"{asset}-") for row in result["list"])
    chain = options.chain(market, "bybit", "BTC", datetime.now(UTC))
    assert len(results[0]["list"]) == len(chain)
    assert all(0.05 < float(row["markIv"]) < 3 for row in results[0]["list"])  # a fraction, not percent
    assert _check("option_tickers", fetched).passed


def test_a_window_end_sent_inclusive_fails_the_raw_check():
    leaked = json.dumps(
        {
            "retCode": 0,
            "result": {"category": "linear", "list": _funding_rows(DAY_END, DAY_END - 8 * HOUR_MS)["list"]},
            "time": DAY_END,
        }
    )
    raw = RawResponse("bybit", "funding_rates", FUNDING_HISTORY, {}, 200, NOW, leaked)
    outcome = _check("funding_rates", FetchResult(responses=[raw]))
    assert not outcome.passed and outcome.failures[0].startswith("window:")


# --- faults on the funding-history endpoint ----------------------------------------------------------------
def _fault(sim, kind: str, count: int = 1, **fault_options) -> None:
    spec = {"kind": kind, "venue": "bybit", "path": FUNDING_HISTORY, "count": count, "options": fault_options}
    httpx.post(f"{sim.root}/_sim/faults", json=spec, timeout=10).raise_for_status()


@pytest.mark.parametrize(
    ("kind", "count", "fault_options", "error_type"),
    [
        ("http_5xx", 2, {"status": 503}, "ExchangeDown"),
        ("html", 1, {}, "ExchangeDown"),
        ("truncated", 1, {}, "SchemaDrift"),
        ("reset", 1, {}, None),  # no answer at all: nothing to keep
        ("timeout", 1, {"seconds": 1.5}, None),
    ],
)
def test_transient_faults_end_in_success_after_retries(sim_env, kind, count, fault_options, error_type):
    _fault(sim_env, kind, count, **fault_options)
    fetched = _fetch(sim_env, "funding_rates")
    assert len(fetched.responses) == 6 and fetched.request_count == 6 + count
    assert [f.error_type for f in fetched.failures] == ([error_type] * count if error_type else [])
    if kind == "html":
        assert "502 Bad Gateway" in fetched.failures[0].response.payload
    assert _check("funding_rates", fetched).passed


def test_a_ban_ends_the_partition_with_a_typed_error_and_keeps_the_body(sim_env):
    sim_env.set_limits({"bybit": {"ip_limit": 3, "ip_window_s": 60, "ban_seconds": 30}})
    if 60 - time.time() % 60 < 3:  # keep the burst inside one of the simulator's windows
        time.sleep(3.5)
    with pytest.raises(Banned) as info:
        _fetch(sim_env, "funding_rates")
    assert info.value.until > datetime.now(UTC) + timedelta(minutes=9)
    failed = info.value.failed_responses
    assert [(f.error_type, f.response.http_status, f.response.payload) for f in failed] == [
        ("Banned", 403, "access too frequent")
    ]
    assert sim_env.requests_summary()["by_status"]["bybit 403"] == 1  # not retried


def test_a_delisted_symbol_skips_its_asset_only(sim_env):
    _fault(sim_env, "delisted", symbol="SOLUSDT")
    fetched = _fetch(sim_env, "funding_rates")
    assert list(fetched.skipped_assets) == ["SOL"] and "Not supported symbols" in fetched.skipped_assets["SOL"]
    assert sorted(_rows_by_symbol(fetched)) == ["BTCUSD", "BTCUSDT", "ETHUSD", "ETHUSDT"]
    assert _check("funding_rates", fetched).passed


@pytest.mark.parametrize(
    ("kind", "fault_options"),
    [("drift_rename", {"field": "fundingRate", "to": "rate"}), ("drift_missing", {"field": "fundingRateTimestamp"})],
)
def test_drift_is_loaded_then_caught_by_the_raw_check(sim_env, kind, fault_options):
    _fault(sim_env, kind, **fault_options)
    fetched = _fetch(sim_env, "funding_rates")
    assert len(fetched.responses) == 6 and not fetched.failures  # raw keeps what the venue sent
    outcome = _check("funding_rates", fetched)
    assert not outcome.passed and [f.split(":")[0] for f in outcome.failures] == ["schema"]


def test_a_page_served_twice_is_loaded_then_caught_as_duplicates(sim_env):
    # The fault replays the endpoint's previous answer: make ETHUSDT's the previous one, then fetch the day.
    client = _client(sim_env)
    client.get_json(FUNDING_HISTORY, funding_history_params(linear_perpetual("ETH"), DAY), dataset="x", costs={})
    _fault(sim_env, "duplicate_page")
    fetched = _fetch(sim_env, "funding_rates", client=client)
    first = json.loads(fetched.responses[0].payload)["result"]["list"][0]
    assert first["symbol"] == "ETHUSDT"  # asked for BTCUSDT, got ETHUSDT's page again
    outcome = _check("funding_rates", fetched)
    assert not outcome.passed and [f.split(":")[0] for f in outcome.failures] == ["duplicates"]


def test_an_emptied_list_fails_the_raw_check(sim_env):
    _fault(sim_env, "empty")
    outcome = _check("funding_rates", _fetch(sim_env, "funding_rates"))
    assert not outcome.passed and outcome.failures[0].startswith("schema:")


def test_a_maintenance_gap_passes_the_raw_check_and_a_stringified_time_does_not(sim_env):
    # A maintenance gap drops the 08:00 settlement (staging's gap model and the mart suites' completeness
    # report it, not the raw check); the envelope's time turned string is type drift.
    _fault(sim_env, "maintenance_gap", start="2026-01-10T08:00:00Z", end="2026-01-10T09:00:00Z")
    fetched = _fetch(sim_env, "funding_rates")
    assert len(_rows_by_symbol(fetched)["BTCUSDT"]) == 2
    assert _check("funding_rates", fetched).passed
    _fault(sim_env, "drift_string", field="time")
    outcome = _check("funding_rates", _fetch(sim_env, "funding_rates"))
    assert not outcome.passed and len(outcome.failures) == 1
    assert outcome.failures[0].startswith("types: 1 records carry time as a string where the venue sends a number")


# --- rate limits -------------------------------------------------------------------------------------------
def test_an_endpoint_refusal_waits_for_the_reset_then_paces_below_the_learned_limit(sim_env):
    sim_env.set_limits({"bybit": {"endpoint_limit": 2, "endpoint_window_s": 1}})
    client = _client(sim_env)
    fetched = _fetch(sim_env, "funding_rates", client=client)
    assert len(fetched.responses) == 6 and _check("funding_rates", fetched).passed
    assert client.budgets[FUNDING_HISTORY].limit == 2  # learned from X-Bapi-Limit
    summary = sim_env.requests_summary()
    assert "bybit 403" not in summary["by_status"]
    assert 1 <= summary["limit_violations"] == len(fetched.failures) <= 2


def test_the_ip_budget_paces_a_fetch_without_any_refusal(sim_env):
    sim_env.set_limits({"bybit": {"ip_limit": 12, "ip_window_s": 5}})
    client = _client(sim_env, ip_limit=12)  # 45 % of 12: five requests per five-second window
    fetched = _fetch(sim_env, "funding_rates", client=client)
    assert len(fetched.responses) == 6 and not fetched.failures
    assert client.budgets["ip"].waited_seconds > 0
    summary = sim_env.requests_summary()
    assert summary["limit_violations"] == 0 and summary["by_status"] == {"bybit 200": 6}
