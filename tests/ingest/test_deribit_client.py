"""Deribit ingestion: error classification, paging plans, every dataset against the simulator (expected values
from an in-process Market(seed=7)), faults on the funding history, and the credit pool."""

import base64
import json
from datetime import UTC, datetime, timedelta

import duckdb
import httpx
import pytest

from ingest.config import Settings
from ingest.errors import BadRequest, Banned, ExchangeDown, RateLimited, SchemaDrift, SymbolInvalid
from ingest.ratelimit import TokenBucket
from ingest.registry import dataset, fetch_partition
from ingest.retry import RetryPolicy
from ingest.venues.deribit import datasets, funding, symbols, trades, volatility
from ingest.venues.deribit.client import make_client
from ingest.venues.deribit.protocol import classify
from ingest.windows import TimeWindow, from_ms
from warehouse.load import load_partition
from warehouse.raw_checks import check_raw_partition

DAY = TimeWindow(datetime(2026, 11, 10, tzinfo=UTC), datetime(2026, 11, 11, tzinfo=UTC))
HOUR_MS = 3_600_000
FUNDING_PATH = "/api/v2/public/get_funding_rate_history"


def _envelope(key, value, status=200, headers=None):
    body = {"jsonrpc": "2.0", key: value, "usIn": 1763600000000000, "usOut": 1763600000000150, "usDiff": 150}
    return httpx.Response(status, text=json.dumps({**body, "testnet": False}), headers=headers or {})


def _error(code, message, status=400, data=None, headers=None):
    error = {"message": message, "code": code} | ({"data": data} if data else {})
    return _envelope("error", error, status, headers)


# --- classify: every documented answer ------------------------------------------------------------------
def test_a_result_envelope_is_usable():
    assert classify(_envelope("result", [])) is None


def test_too_many_requests_is_rate_limited_whatever_the_status():
    for status in (429, 200):
        err = classify(_error(10028, "too_many_requests", status=status))
        assert isinstance(err, RateLimited) and err.retry_after == 1.0 and err.retryable


def test_unknown_instrument_is_symbol_invalid():
    assert isinstance(classify(_error(13020, "not_found")), SymbolInvalid)


@pytest.mark.parametrize(
    ("code", "message", "data"),
    [
        (-32602, "Invalid params", {"reason": "wrong format", "param": "instrument_name"}),
        (-32602, "Invalid params", {"reason": "required", "param": "end_timestamp"}),
        (-32601, "Method not found", None),
        (11029, "invalid_arguments", None),
        (13009, "unauthorized", None),
        (13004, "invalid_credentials", None),
    ],
)
def test_request_and_credential_errors_are_not_retried(code, message, data):
    err = classify(_error(code, message, data=data))
    assert isinstance(err, BadRequest) and not err.retryable
    assert str(code) in str(err)


@pytest.mark.parametrize(
    ("code", "message"),
    [
        (10040, "retry"),
        (10041, "settlement_in_progress"),
        (10047, "matching_engine_queue_full"),
        (11051, "system_maintenance"),
        (11094, "internal_server_error"),
        (13028, "temporarily_unavailable"),
        (13888, "timed_out"),
    ],
)
def test_deribits_try_again_codes_are_exchange_down(code, message):
    assert isinstance(classify(_error(code, message, status=200)), ExchangeDown)


def test_edge_answers_without_an_envelope():
    assert isinstance(classify(httpx.Response(503, text="Service Unavailable")), ExchangeDown)
    html = "<html><head><title>502 Bad Gateway</title></head><body>cloudflare</body></html>"
    assert isinstance(classify(httpx.Response(502, text=html)), ExchangeDown)
    limited = classify(httpx.Response(429, text="Too Many Requests", headers={"Retry-After": "7"}))
    assert isinstance(limited, RateLimited) and limited.retry_after == 7.0
    before = datetime.now(UTC)
    banned = classify(httpx.Response(403, text="<html>Access denied</html>", headers={"Retry-After": "600"}))
    assert isinstance(banned, Banned) and banned.until >= before + timedelta(seconds=600)
    assert isinstance(classify(httpx.Response(451, text="restricted")), Banned)


def test_a_2xx_body_without_result_is_drift_and_a_cut_body_is_left_to_the_client():
    drift = classify(httpx.Response(200, text='{"jsonrpc":"2.0","usIn":1}'))
    assert isinstance(drift, SchemaDrift) and drift.field == "result"
    assert classify(httpx.Response(200, text='{"jsonrpc":"2.0","result":[{"trade')) is None


def test_api_key_travels_in_a_header_only():
    seen = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return _envelope("result", {"index_price": 1.0, "estimated_delivery_price": 1.0})

    settings = Settings(assets=("BTC",), api_keys={"deribit": "client-id:client-secret"})
    with make_client(settings, transport=httpx.MockTransport(handler)) as client:
        result = fetch_partition(dataset("deribit", "index_prices"), settings, DAY, client)
    expected = "Basic " + base64.b64encode(b"client-id:client-secret").decode()
    assert seen[0].headers["Authorization"] == expected
    assert "client-secret" not in str(seen[0].url) and "client-secret" not in json.dumps(result.responses[0].params)


# --- symbols and paging plans ---------------------------------------------------------------------------
def test_assets_map_to_deribit_names_in_one_place():
    assert [symbols.perpetual(a) for a in ("BTC", "ETH", "SOL")] == [
        "BTC-PERPETUAL",
        "ETH-PERPETUAL",
        "SOL_USDC-PERPETUAL",
    ]
    assert [symbols.index_name(a) for a in ("BTC", "SOL")] == ["btc_usd", "sol_usdc"]
    assert symbols.currencies(("BTC", "SOL", "XRP", "ETH")) == ("BTC", "USDC", "ETH")
    assert symbols.dvol_currency("SOL") is None


def test_funding_window_is_sent_with_an_inclusive_end():
    params = funding.funding_history_params("BTC-PERPETUAL", DAY)
    assert params == {
        "instrument_name": "BTC-PERPETUAL",
        "start_timestamp": DAY.start_ms,
        "end_timestamp": DAY.end_ms - 1,
    }
    assert funding.next_funding_params(params, DAY) is None


def test_long_funding_windows_are_cut_into_744_hour_requests():
    window = TimeWindow(DAY.start, DAY.start + timedelta(days=40))
    first = funding.funding_history_params("ETH-PERPETUAL", window)
    assert first["end_timestamp"] - first["start_timestamp"] + 1 == 744 * HOUR_MS
    second = funding.next_funding_params(first, window)
    assert second["start_timestamp"] == first["end_timestamp"] + 1
    assert second["end_timestamp"] == window.end_ms - 1
    assert funding.next_funding_params(second, window) is None


def test_dvol_pages_run_newest_first_on_continuation():
    params = volatility.dvol_params("BTC", DAY, "60")
    assert params == {
        "currency": "BTC",
        "start_timestamp": DAY.start_ms,
        "end_timestamp": DAY.end_ms - 1,
        "resolution": "60",
    }
    older = volatility.next_dvol_params(params, {"data": [], "continuation": DAY.start_ms + 439 * 60_000})
    assert older == {**params, "end_timestamp": DAY.start_ms + 439 * 60_000}
    assert volatility.next_dvol_params(older, {"data": [], "continuation": None}) is None
    assert volatility.next_dvol_params(older, {"data": [], "continuation": DAY.start_ms - 60_000}) is None
    with pytest.raises(SchemaDrift):
        volatility.next_dvol_params(older, {"data": [], "continuation": older["end_timestamp"]})


def test_a_full_trades_page_is_asked_again_up_to_its_last_millisecond():
    params = trades.trades_params("BTC", "future", DAY)
    assert params == {
        "currency": "BTC",
        "kind": "future",
        "start_timestamp": DAY.start_ms,
        "end_timestamp": DAY.end_ms - 1,
        "count": 1000,
        "sorting": "asc",
    }
    cut = DAY.start_ms + 5_000
    full = [{"timestamp": DAY.start_ms + i} for i in range(999)] + [{"timestamp": cut}]
    verdict = trades.after_trades_page(params, full, True, DAY)
    assert not verdict.keep and verdict.next_params == {**params, "end_timestamp": cut - 1}
    complete = trades.after_trades_page(verdict.next_params, full[:999], False, DAY)
    assert complete.keep
    assert complete.next_params == {**params, "start_timestamp": cut, "end_timestamp": DAY.end_ms - 1}
    last = trades.after_trades_page(complete.next_params, [{"timestamp": DAY.end_ms - 1}], False, DAY)
    assert last.keep and last.next_params is None


def test_more_trades_in_one_millisecond_than_a_page_cannot_be_paged_by_time():
    params = {**trades.trades_params("BTC", "option", DAY), "start_timestamp": DAY.start_ms + 7}
    same_ms = [{"timestamp": DAY.start_ms + 7}] * 1000
    with pytest.raises(SchemaDrift):
        trades.after_trades_page(params, same_ms, True, DAY)
    with pytest.raises(SchemaDrift):
        trades.after_trades_page(params, [], True, DAY)


# --- every dataset against the simulator ----------------------------------------------------------------
@pytest.fixture(scope="module")
def market():
    from simulator.market import Market

    return Market(seed=7)


@pytest.fixture
def settings(sim_env):
    return Settings.from_env()


def _fetch(name, settings, window=DAY, client=None):
    return fetch_partition(dataset("deribit", name), settings, window, client)


def _results(fetched):
    return [json.loads(r.payload)["result"] for r in fetched.responses]


def _current_hour():
    start = datetime.now(UTC).replace(minute=0, second=0, microsecond=0)
    return TimeWindow(start, start + timedelta(hours=1))


def _hours(window):
    return [window.start + timedelta(hours=h) for h in range(int((window.end - window.start) / timedelta(hours=1)))]


def test_funding_history_is_24_hourly_rows_per_perpetual(settings, market):
    fetched = _fetch("funding_rates", settings)
    assert [r.params["instrument_name"] for r in fetched.responses] == [
        "BTC-PERPETUAL",
        "ETH-PERPETUAL",
        "SOL_USDC-PERPETUAL",
    ]
    btc, eth, sol = _results(fetched)
    assert [len(rows) for rows in (btc, eth, sol)] == [24, 24, 24]
    assert [row["timestamp"] for row in btc] == [DAY.start_ms + h * HOUR_MS for h in range(24)]
    eight = DAY.start + timedelta(hours=8)
    assert btc[8]["interest_8h"] == market.funding_8h_now("deribit", "BTC-PERPETUAL", eight)
    assert btc[8]["index_price"] == round(market.price("BTC", eight), 2)
    assert sol[0]["index_price"] == round(market.price("SOL", DAY.start), 4)
    assert fetched.request_count == 3


def test_dvol_is_24_hourly_candles_for_btc_and_eth_and_no_call_for_sol(settings, market):
    fetched = _fetch("dvol", settings)
    assert [r.params["currency"] for r in fetched.responses] == ["BTC", "ETH"]
    assert fetched.request_count == 2 and not fetched.skipped_assets
    btc, eth = _results(fetched)
    assert [c[0] for c in btc["data"]] == [DAY.start_ms + h * HOUR_MS for h in range(24)]
    assert btc["continuation"] is None and len(eth["data"]) == 24
    assert btc["data"][0][1] == round(market.dvol("BTC", DAY.start), 2)


def test_minute_dvol_pages_newest_first_and_tiles_the_day(settings):
    with make_client(settings) as client:
        pages = volatility.fetch_dvol(client, "ETH", DAY, resolution="60")
    stamps = [[c[0] for c in json.loads(p.payload)["result"]["data"]] for p in pages]
    assert [len(s) for s in stamps] == [1000, 440]
    assert stamps[0][-1] == DAY.end_ms - 60_000 and stamps[1][0] == DAY.start_ms
    assert stamps[1][-1] + 60_000 == stamps[0][0]


def _sim_trades(market, hour_trades, window):
    from simulator.venues import deribit as sim

    out = []
    for asset in ("BTC", "ETH", "SOL"):
        rows = [t for h in _hours(window) for t in hour_trades(sim, market, asset, h)]
        out.append(sorted(rows, key=lambda t: (t["timestamp"], t["trade_id"])))
    return out


def _check_tiling(fetched, window):
    for raw in fetched.responses:
        stamps = [t["timestamp"] for t in json.loads(raw.payload)["result"]["trades"]]
        assert all(raw.params["start_timestamp"] <= s <= raw.params["end_timestamp"] for s in stamps)
        assert not json.loads(raw.payload)["result"]["has_more"]
    per_currency = {}
    for raw in fetched.responses:
        per_currency.setdefault(raw.params["currency"], []).append(raw.params)
    for ranges in per_currency.values():
        assert ranges[0]["start_timestamp"] == window.start_ms and ranges[-1]["end_timestamp"] == window.end_ms - 1
        assert all(a["end_timestamp"] + 1 == b["start_timestamp"] for a, b in zip(ranges, ranges[1:], strict=False))


def test_futures_trades_of_a_day_are_complete_and_carry_liquidations(settings, market):
    fetched = _fetch("trades_futures", settings)
    _check_tiling(fetched, DAY)
    got = {}
    for raw in fetched.responses:
        got.setdefault(raw.params["currency"], []).extend(json.loads(raw.payload)["result"]["trades"])
    expected = _sim_trades(market, lambda sim, m, a, h: sim._future_hour(m, a, h), DAY)
    for currency, want in zip(("BTC", "ETH", "USDC"), expected, strict=True):
        assert [t["trade_id"] for t in got[currency]] == [t["trade_id"] for t in want]
    liquidations = [t for t in got["BTC"] if "liquidation" in t]
    assert len(liquidations) == sum(1 for t in expected[0] if "liquidation" in t)
    assert {t["liquidation"] for t in liquidations} <= {"M", "T", "MT"}
    assert got["BTC"][0] == expected[0][0]


def test_options_trades_of_a_day_are_complete_with_block_trades(settings, market):
    fetched = _fetch("trades_options", settings)
    _check_tiling(fetched, DAY)
    got = {}
    for raw in fetched.responses:
        got.setdefault(raw.params["currency"], []).extend(json.loads(raw.payload)["result"]["trades"])
    expected = _sim_trades(market, lambda sim, m, a, h: sim._option_hour(m, a, h), DAY)
    for currency, want in zip(("BTC", "ETH", "USDC"), expected, strict=True):
        assert len(got[currency]) == len(want)
        assert len({t["trade_id"] for t in got[currency]}) == len(want)
    blocks = [t for t in got["BTC"] if "block_trade_id" in t]
    assert len(blocks) == sum(1 for t in expected[0] if "block_trade_id" in t) > 0
    assert all("iv" in t for t in got["ETH"])
    # A full page costs a second call; 1000-trade pages mean about two calls per thousand trades.
    assert fetched.request_count < 2 * len(fetched.responses) + 3


def test_instruments_list_futures_and_options_of_each_currency(settings):
    from simulator import catalog

    fetched = _fetch("instruments", settings, _current_hour())
    assert [(r.params["currency"], r.params["kind"]) for r in fetched.responses] == [
        ("BTC", "future"),
        ("BTC", "option"),
        ("ETH", "future"),
        ("ETH", "option"),
        ("USDC", "future"),
        ("USDC", "option"),
    ]
    btc_futures, btc_options, _, _, usdc_futures, _ = _results(fetched)
    perp = next(r for r in btc_futures if r["instrument_name"] == "BTC-PERPETUAL")
    assert (perp["settlement_period"], perp["contract_size"], perp["settlement_currency"]) == ("perpetual", 10.0, "BTC")
    assert [r["instrument_name"] for r in usdc_futures] == ["SOL_USDC-PERPETUAL"]
    assert len(btc_futures) == 1 + len(catalog.future_expiries(datetime.now(UTC))) and len(btc_options) > 100
    assert {r["option_type"] for r in btc_options} == {"call", "put"}


def test_book_summaries_carry_funding_oi_and_the_chain(settings, market):
    futures = _results(_fetch("book_summary_futures", settings, _current_hour()))
    perp = next(r for r in futures[0] if r["instrument_name"] == "BTC-PERPETUAL")
    observed = from_ms(perp["creation_timestamp"])
    assert perp["funding_8h"] == market.funding_8h_now("deribit", "BTC-PERPETUAL", observed)
    usd = market.open_interest("deribit", "BTC-PERPETUAL", observed) * market.price("BTC", observed)
    assert perp["open_interest"] == pytest.approx(usd, rel=1e-3)  # inverse: USD, whole 10 USD contracts
    options = _results(_fetch("book_summary_options", settings, _current_hour()))
    listed = _results(_fetch("instruments", settings, _current_hour()))
    assert [len(chain) for chain in options] == [len(listed[1]), len(listed[3]), len(listed[5])]
    row = max(options[0], key=lambda r: r["open_interest"])
    assert 20 < row["mark_iv"] < 200  # percent, as Deribit reports it
    assert row["underlying_index"].startswith(("BTC-", "SYN.BTC-"))


def test_index_prices_follow_each_assets_index(settings, market):
    fetched = _fetch("index_prices", settings, _current_hour())
    assert [r.params["index_name"] for r in fetched.responses] == ["btc_usd", "eth_usd", "sol_usdc"]
    btc = json.loads(fetched.responses[0].payload)
    at = datetime.fromtimestamp(btc["usIn"] / 1e6, tz=UTC)
    assert btc["result"]["index_price"] == pytest.approx(market.price("BTC", at), abs=0.02)


# --- faults on the funding history ----------------------------------------------------------------------
def _fault(sim, kind, count=1, **options):
    spec = {"kind": kind, "venue": "deribit", "path": FUNDING_PATH, "count": count, "options": options}
    httpx.post(f"{sim.root}/_sim/faults", json=spec, timeout=10).raise_for_status()


def _quick_client(settings, timeout=5.0):
    return make_client(settings, retry=RetryPolicy(base_delay=0.01, max_delay=0.05), timeout=httpx.Timeout(timeout))


@pytest.mark.parametrize(
    ("kind", "count", "options", "failed_as"),
    [
        ("http_5xx", 2, {}, ["ExchangeDown", "ExchangeDown"]),
        ("html", 1, {}, ["ExchangeDown"]),
        ("truncated", 1, {}, ["SchemaDrift"]),
        ("reset", 1, {}, []),  # no body came back: nothing to keep
        ("timeout", 1, {"seconds": 1.0}, []),  # the client gives up after 0.3 s
    ],
)
def test_transient_faults_end_in_success_with_failed_bodies_kept(sim_env, settings, kind, count, options, failed_as):
    _fault(sim_env, kind, count=count, **options)
    with _quick_client(settings, timeout=0.3) as client:
        fetched = _fetch("funding_rates", settings, client=client)
    assert [len(rows) for rows in _results(fetched)] == [24, 24, 24]
    assert [f.error_type for f in fetched.failures] == failed_as
    assert fetched.request_count == 3 + max(1, len(failed_as))


def test_a_block_in_front_of_deribit_is_a_ban_and_is_not_retried(sim_env, settings):
    _fault(sim_env, "http_5xx", status=403)
    with _quick_client(settings) as client, pytest.raises(Banned):
        _fetch("funding_rates", settings, client=client)
    assert client.request_count == 1


def test_a_delisted_perpetual_skips_its_asset_only(sim_env, settings):
    _fault(sim_env, "delisted", count=-1, symbol="SOL_USDC-PERPETUAL")
    fetched = _fetch("funding_rates", settings)
    assert list(fetched.skipped_assets) == ["SOL"] and "13020" in fetched.skipped_assets["SOL"]
    assert [r.params["instrument_name"] for r in fetched.responses] == ["BTC-PERPETUAL", "ETH-PERPETUAL"]


def _load_and_check(fetched, shape, path=None):
    """Load a partition into a scratch warehouse and run the blocking raw check; with `path`, on the records
    found there (what the check sees once it can descend into Deribit's envelope)."""
    con = duckdb.connect()
    load_partition(con, "deribit", "funding_rates", "2026-11-10", fetched.responses)
    table = "raw.deribit__funding_rates"
    if path:
        records = f"json_extract(payload, '{path}')::varchar"
        con.execute(f"create temp view records as select * replace ({records} as payload) from {table}")
        table = "records"
    return check_raw_partition(con, table, "2026-11-10", shape, (DAY.start, DAY.end))


def test_a_repeated_page_is_loaded_and_caught_as_duplicates(sim_env, settings):
    with make_client(settings) as client:
        funding.fetch_funding_history(client, "ETH", DAY)  # the answer the venue will repeat
    _fault(sim_env, "duplicate_page")
    fetched = _fetch("funding_rates", settings)
    btc, eth, _ = _results(fetched)
    assert btc == eth  # BTC's request got ETH's page again
    outcome = _load_and_check(fetched, dataset("deribit", "funding_rates").shape)
    assert not outcome.passed and outcome.failures[0].startswith("duplicates:")
    records = _load_and_check(fetched, datasets.FUNDING_RATES.shape, datasets.FUNDING_RATES.json_path)
    assert records.failures[0].startswith("duplicates: 24 keys")


def test_a_renamed_field_is_loaded_and_caught_at_the_records(sim_env, settings):
    _fault(sim_env, "drift_rename", count=-1, field="interest_8h", to="interest_8h_v2")
    fetched = _fetch("funding_rates", settings)
    assert all("interest_8h_v2" in r.payload for r in fetched.responses)
    records = _load_and_check(fetched, datasets.FUNDING_RATES.shape, datasets.FUNDING_RATES.json_path)
    assert not records.passed and records.failures[0].startswith("schema: 72 records lack")
    # The registered shape looks inside Deribit's envelope, so the blocking check catches it too.
    outcome = _load_and_check(fetched, dataset("deribit", "funding_rates").shape)
    assert not outcome.passed and outcome.failures[0].startswith("schema: 72 records lack")


def test_a_clean_partition_passes_both_checks(sim_env, settings):
    fetched = _fetch("funding_rates", settings)
    assert _load_and_check(fetched, dataset("deribit", "funding_rates").shape).passed
    records = _load_and_check(fetched, datasets.FUNDING_RATES.shape, datasets.FUNDING_RATES.json_path)
    assert records.passed and records.metadata["records"] == 72


# --- the credit pool ------------------------------------------------------------------------------------
SMALL_POOL = {"deribit": {"credit_pool": 2500, "credit_refill_per_s": 2500}}  # 5 calls, refilled 5 a second


def test_a_budget_matching_the_pool_waits_and_is_never_refused(sim_env, settings):
    sim_env.set_limits(SMALL_POOL)
    client = make_client(settings)
    client.budgets["credits"] = TokenBucket("deribit credits", 2500, 2500 * 0.9, safety=0.9)
    with client:
        for _ in range(4):
            _fetch("index_prices", settings, _current_hour(), client)
    summary = sim_env.requests_summary()
    assert summary["limit_violations"] == 0 and summary["by_status"] == {"deribit 200": 12}
    assert client.budgets["credits"].waited_seconds > 1.0


def test_too_many_requests_closes_the_connection_and_the_retry_succeeds_on_a_new_one(sim_env, settings):
    """Another process on the same IP spent the pool: our budget cannot know, Deribit answers 10028 and drops
    the connection; the client waits for the refill and carries on, and Deribit never bans."""
    sim_env.set_limits(SMALL_POOL)
    with make_client(settings) as client:
        fetched = [_fetch("index_prices", settings, _current_hour(), client) for _ in range(4)]
    assert all(len(f.responses) == 3 for f in fetched)
    refused = [f for f in client.failures if f.error_type == "RateLimited"]
    assert refused and all(f.response.http_status == 429 for f in refused)
    assert '"code":10028' in refused[0].response.payload
    summary = sim_env.requests_summary()
    assert summary["by_status"]["deribit 200"] == 12
    assert set(summary["by_status"]) == {"deribit 200", "deribit 429"}  # refused, never banned
