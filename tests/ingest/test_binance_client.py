"""The Binance client beyond the original USD-M datasets: error classification on every host, paging plans,
every dataset against the simulator (expected values from an in-process Market with the simulator's seed),
fault handling on a history endpoint, and the process-wide rate budgets."""

import json
import time
from datetime import UTC, datetime, timedelta
from types import SimpleNamespace

import duckdb
import httpx
import pytest

from ingest.config import Settings
from ingest.envelope import RawResponse
from ingest.errors import BadRequest, Banned, ExchangeDown, RateLimited, SchemaDrift, SymbolInvalid
from ingest.ratelimit import WindowBudget
from ingest.registry import Cadence, dataset, fetch_partition
from ingest.retry import RetryPolicy
from ingest.venues.binance import coinm, spot, usdm
from ingest.venues.binance.klines import NoClosedCandle, klines_params, next_klines_page, open_hour, request_weight
from ingest.venues.binance.paging import fetch_pages, next_page_backward, next_page_forward
from ingest.venues.binance.protocol import classify, observe
from ingest.venues.binance.statistics import (
    BeyondRetention,
    ensure_retained,
    fetch_open_interest_history,
    next_statistics_page,
    statistics_params,
)
from ingest.windows import TimeWindow, from_ms
from simulator import catalog, flow
from simulator.market import Market
from simulator.venues import binance_stats
from warehouse.load import load_partition
from warehouse.raw_checks import RawCheckOutcome, check_raw_partition

HOUR, DAY = timedelta(hours=1), timedelta(days=1)
HOUR_MS = 3_600_000
NOW = datetime.now(UTC)
TODAY = NOW.replace(hour=0, minute=0, second=0, microsecond=0)
# A settled day well inside the 30 days the /futures/data statistics keep.
PAST_DAY = TimeWindow(TODAY - 3 * DAY, TODAY - 2 * DAY)
HOUR_START = NOW.replace(minute=0, second=0, microsecond=0)
THIS_HOUR = TimeWindow(HOUR_START, HOUR_START + HOUR)
FAST_RETRY = RetryPolicy(base_delay=0.05, max_delay=0.5)


@pytest.fixture(scope="module")
def market() -> Market:
    """The simulator's market, built in-process from the same seed: expected values, computed independently."""
    return Market(seed=7)


@pytest.fixture
def settings(sim_env) -> Settings:
    return Settings(simulator_url=sim_env.root)


def _fetch(name: str, settings: Settings, window: TimeWindow, **client_kw):
    spec = dataset("binance", name)
    client = spec.make_client(settings, retry=client_kw.pop("retry", FAST_RETRY), **client_kw)
    return fetch_partition(spec, settings, window, client=client)


def _body(raw: RawResponse):
    return json.loads(raw.payload)


def _fault(sim, kind: str, path: str, **spec) -> None:
    body = {"kind": kind, "venue": "binance", "path": path, **spec}
    httpx.post(f"{sim.root}/_sim/faults", json=body, timeout=10).raise_for_status()


def _land(name: str, responses: list[RawResponse], window: TimeWindow) -> RawCheckOutcome:
    """Load the responses into a fresh in-memory warehouse and run the blocking raw check, as the asset does."""
    spec = dataset("binance", name)
    bounds = (window.start, window.end) if spec.cadence == Cadence.DAILY_HISTORY else None
    con = duckdb.connect()
    try:
        check = lambda c, t, k: check_raw_partition(c, t, k, spec.shape, bounds)  # noqa: E731
        return load_partition(con, "binance", name, "p", responses, check=check).check
    finally:
        con.close()


def _ms(t: datetime) -> int:
    return int(t.timestamp() * 1000)


# --- classify: every documented answer, with its exact body ------------------------------------------------
def _resp(status: int, body: str, headers: dict | None = None) -> httpx.Response:
    return httpx.Response(status, text=body, headers=headers or {})


def _binance(code: int, msg: str) -> str:
    return json.dumps({"code": code, "msg": msg}, separators=(",", ":"))


@pytest.mark.parametrize(
    "msg",
    [
        "Too much request weight used; current limit is 2400 request weight per 1 MINUTE. Please use WebSocket "
        "Streams for live updates to avoid polling the API.",
        "Too many requests; current limit of IP(127.0.0.1) is 2400 requests per minute. Please use the websocket "
        "for live updates to avoid polling the API.",
    ],
)
def test_429_is_rate_limited_with_retry_after_in_seconds(msg):
    err = classify(_resp(429, _binance(-1003, msg), {"Retry-After": "7"}))
    assert isinstance(err, RateLimited) and err.retry_after == 7.0 and err.retryable
    assert classify(_resp(429, _binance(-1003, "Too many requests queued."))).retry_after is None


def test_418_ban_until_comes_from_the_message_or_retry_after():
    body = _binance(
        -1003,
        "Way too much request weight used; IP banned until 1795243380599. "
        "Please use the websocket for live updates to avoid bans.",
    )
    err = classify(_resp(418, body, {"Retry-After": "120"}))
    assert isinstance(err, Banned) and not err.retryable and _ms(err.until) == 1795243380599
    before = datetime.now(UTC)
    err = classify(_resp(418, _binance(-1003, "Way too much request weight used."), {"Retry-After": "300"}))
    assert timedelta(seconds=299) <= err.until - before <= timedelta(seconds=301)


def test_waf_and_restricted_locations_are_bans():
    assert isinstance(classify(_resp(403, "<html><body><h1>403 Forbidden</h1></body></html>")), Banned)
    msg = (
        "Service unavailable from a restricted location according to 'b. Eligibility' in "
        "https://www.binance.com/en/terms. Please contact customer service if you believe you received this "
        "message in error."
    )
    err = classify(_resp(451, _binance(0, msg)))
    assert isinstance(err, Banned) and "restricted location" in str(err)


@pytest.mark.parametrize(
    ("status", "code", "msg"),
    [
        (500, -1000, "An unknown error occurred while processing the request."),
        (400, -1001, "Internal error; unable to process your request. Please try again."),
        (502, -1006, "An unexpected response was received from the message bus. Execution status unknown."),
        (
            408,
            -1007,
            "Timeout waiting for response from backend server. Send status unknown; execution status unknown.",
        ),
        (503, -1008, "Server is currently overloaded with other requests. Please try again in a few minutes."),
        (400, -1016, "This service is no longer available."),
    ],
)
def test_binance_side_failures_are_retried(status, code, msg):
    err = classify(_resp(status, _binance(code, msg)))
    assert isinstance(err, ExchangeDown) and err.retryable and err.status == status


def test_cdn_pages_and_cut_off_bodies():
    cdn = "<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<center>cloudflare</center>\r\n</html>\r\n"
    assert isinstance(classify(_resp(502, cdn)), ExchangeDown)
    assert isinstance(classify(_resp(503, "Service Unavailable")), ExchangeDown)
    # A cut-off 200 body is left to the HTTP layer, which reports it as retryable drift.
    assert classify(_resp(200, '[{"symbol":"BTCUSDT","fundingTi')) is None


@pytest.mark.parametrize(("code", "msg"), [(-1121, "Invalid symbol."), (-1122, "Invalid symbol status.")])
def test_unknown_and_delivered_instruments_are_symbol_errors(code, msg):
    err = classify(_resp(400, _binance(code, msg)))
    assert isinstance(err, SymbolInvalid) and not err.retryable


@pytest.mark.parametrize(
    "body",
    [
        _binance(-1100, "Illegal characters found in parameter 'startTime'; legal range is '^[0-9]{1,20}$'."),
        _binance(-1102, "Mandatory parameter 'symbol' was not sent, was empty/null, or malformed."),
        _binance(-1120, "Invalid interval."),
        _binance(-1128, "Combination of optional parameters invalid."),
        _binance(-1130, "Data sent for parameter 'limit' is not valid."),
        '{"msg":"parameter \'startTime\' is invalid.","code":-1130}',  # /futures/data, beyond 30 days
    ],
)
def test_request_mistakes_are_bad_requests(body):
    err = classify(_resp(400, body))
    assert type(err) is BadRequest and not err.retryable and str(json.loads(body)["code"]) in str(err)


def test_errors_inside_http_200_bodies():
    assert isinstance(classify(_resp(200, _binance(-1121, "Invalid symbol."))), SymbolInvalid)
    assert isinstance(classify(_resp(200, _binance(-1003, "Too many requests queued."))), RateLimited)
    assert isinstance(classify(_resp(200, _binance(-1007, "Timeout waiting for response"))), ExchangeDown)
    assert classify(_resp(200, '{"code":200,"msg":"success"}')) is None  # Binance's own "ok" object
    assert classify(_resp(200, '{"symbol":"BTCUSDT","price":"90000.10000000"}')) is None


def test_used_weight_header_is_fed_into_the_weight_budget():
    budget = WindowBudget("test", 2400, 60.0)
    observe(_resp(200, "[]", {"X-MBX-USED-WEIGHT-1M": "1234"}), {"weight": budget})
    assert budget.used == 1234
    observe(_resp(200, "[]", {"X-MBX-USED-WEIGHT-1M": "not-a-number"}), {"weight": budget})
    assert budget.used == 1234
    dapi = WindowBudget("test dapi", 2400, 60.0)
    coinm.PROTOCOL.observe(_resp(200, "[]", {"X-MBX-USED-WEIGHT-1M": "15"}), {coinm.WEIGHT: dapi, "weight": budget})
    assert (dapi.used, budget.used) == (15, 1234)  # each host's header feeds its own budget


# --- paging plans (pure) -------------------------------------------------------------------------------------
WINDOW = TimeWindow(datetime(2026, 1, 10, tzinfo=UTC), datetime(2026, 1, 11, tzinfo=UTC))
START_MS, END_MS = 1768003200000, 1768089600000


def test_statistics_window_is_sent_with_inclusive_bounds():
    assert statistics_params("BTCUSDT", WINDOW) == {
        "symbol": "BTCUSDT",
        "period": "1h",
        "startTime": START_MS,
        "endTime": END_MS - 1,
        "limit": 500,
    }


def test_statistics_pages_go_back_from_the_newest():
    p = {**statistics_params("BTCUSDT", WINDOW), "limit": 2}
    rows = [{"timestamp": START_MS + 22 * HOUR_MS}, {"timestamp": START_MS + 23 * HOUR_MS}]
    assert next_statistics_page(p, rows) == {**p, "endTime": START_MS + 22 * HOUR_MS - 1}
    assert next_statistics_page(p, rows[:1]) is None  # a short page is the window's oldest
    assert next_statistics_page(p, [{"timestamp": START_MS}, {"timestamp": START_MS + HOUR_MS}]) is None
    # A page newer than the cursor (served again) must not loop.
    later = {**p, "endTime": START_MS + 5 * HOUR_MS}
    assert next_page_backward(later, rows, lambda r: r["timestamp"]) is None


def test_candles_stop_before_the_open_hour():
    past = klines_params("BTCUSDT", WINDOW, datetime(2026, 1, 20, tzinfo=UTC))
    assert past == {
        "symbol": "BTCUSDT",
        "interval": "1h",
        "startTime": START_MS,
        "endTime": END_MS - 1,  # the 23:00 candle opens inside the window and has closed
        "limit": 99,
    }
    today = klines_params("BTCUSDT", WINDOW, datetime(2026, 1, 10, 13, 25, tzinfo=UTC))
    assert today["endTime"] == START_MS + 13 * HOUR_MS - 1  # 13:00 is still running: 00:00 .. 12:00
    assert open_hour(datetime(2026, 1, 10, 13, 0, tzinfo=UTC)) == datetime(2026, 1, 10, 13, tzinfo=UTC)


def test_a_day_whose_first_candle_is_still_open_fails_for_now():
    with pytest.raises(NoClosedCandle) as err:
        klines_params("BTCUSDT", WINDOW, datetime(2026, 1, 10, 0, 40, tzinfo=UTC))
    assert err.value.retryable and "01:00" in str(err.value)


def test_candle_pages_continue_after_the_last_open_time():
    p = {**klines_params("BTCUSDT", WINDOW, datetime(2026, 1, 20, tzinfo=UTC)), "limit": 2}
    rows = [[START_MS, "1"], [START_MS + HOUR_MS, "1"]]
    assert next_klines_page(p, rows) == {**p, "startTime": START_MS + HOUR_MS + 1}
    assert next_klines_page(p, rows[:1]) is None
    assert next_klines_page(p, [[END_MS - 2 * HOUR_MS, "1"], [END_MS - HOUR_MS, "1"]]) is None
    # A page older than the cursor (served again) must not loop.
    later = {**p, "startTime": START_MS + 5 * HOUR_MS}
    assert next_page_forward(later, rows, lambda r: r[0]) is None


def test_a_full_page_without_record_times_fails_and_keeps_its_body():
    body = '[{"symbol":"BTCUSDT","sumOpenInterest":"1"},{"symbol":"BTCUSDT","sumOpenInterest":"2"}]'
    client = usdm.make_client(Settings(), transport=httpx.MockTransport(lambda request: httpx.Response(200, text=body)))
    params = {**statistics_params("BTCUSDT", WINDOW), "limit": 2}
    with pytest.raises(SchemaDrift):
        fetch_pages(client, OI_PATH, params, next_statistics_page, dataset="open_interest_history", costs={})
    assert [(f.error_type, f.response.payload) for f in client.failures] == [("SchemaDrift", body)]


def test_candle_weight_follows_the_page_size():
    assert [request_weight(n) for n in (99, 100, 499, 500, 1000, 1500)] == [1, 2, 2, 5, 5, 10]


def test_statistics_older_than_thirty_days_fail_for_good():
    ensure_retained(WINDOW, datetime(2026, 2, 8, 23, tzinfo=UTC))  # 29 days and 23 hours back: served
    with pytest.raises(BeyondRetention) as err:
        ensure_retained(WINDOW, datetime(2026, 2, 9, 0, 1, tzinfo=UTC))
    assert isinstance(err.value, BadRequest) and not err.value.retryable and "2026-01-10" in str(err.value)


# --- every new dataset against the simulator -------------------------------------------------------------------
def test_coinm_funding_history_day(settings, market):
    result = _fetch("coinm_funding_rates", settings, PAST_DAY)
    assert [r.params["symbol"] for r in result.responses] == ["BTCUSD_PERP", "ETHUSD_PERP", "SOLUSD_PERP"]
    assert result.responses[0].params == {
        "symbol": "BTCUSD_PERP",
        "startTime": PAST_DAY.start_ms,
        "endTime": PAST_DAY.end_ms - 1,
        "limit": 1000,
    }
    for raw in result.responses:
        symbol = raw.params["symbol"]
        settlements = market.settlement_times("binance", symbol, PAST_DAY.start, PAST_DAY.end)
        rows = _body(raw)
        assert len(rows) == 3  # every 8 h: 00:00, 08:00, 16:00 UTC, stamped a few ms late
        assert [r["fundingTime"] for r in rows] == [
            _ms(t) + market.settlement_jitter_ms("binance", symbol, t) for t in settlements
        ]
        assert "markPrice" not in rows[0]  # COIN-M records carry none
    btc_0800 = _body(result.responses[0])[1]
    expected = market.settled_funding("binance", "BTCUSD_PERP", PAST_DAY.start + 8 * HOUR)
    assert btc_0800["fundingRate"] == f"{expected:.8f}"
    assert _land("coinm_funding_rates", result.responses, PAST_DAY).passed


def test_coinm_premium_index_of_perpetuals_and_delivery_contracts(settings, market):
    result = _fetch("coinm_premium_index", settings, THIS_HOUR)
    assert [r.params for r in result.responses] == [{"pair": "BTCUSD"}, {"pair": "ETHUSD"}, {"pair": "SOLUSD"}]
    btc = _body(result.responses[0])
    observed = from_ms(btc[0]["time"])
    quarters = [f"BTCUSD_{e:%y%m%d}" for e in catalog.quarterly_expiries(observed, 2)]
    assert [r["symbol"] for r in btc] == ["BTCUSD_PERP", *quarters]
    rate, settles = market.current_funding("binance", "BTCUSD_PERP", observed)
    assert float(btc[0]["lastFundingRate"]) == pytest.approx(rate, abs=1e-8)
    assert btc[0]["nextFundingTime"] == _ms(settles)
    assert [(r["lastFundingRate"], r["nextFundingTime"]) for r in btc[1:]] == [("", 0), ("", 0)]  # no funding
    assert float(btc[0]["indexPrice"]) == pytest.approx(market.price("BTC", observed), rel=1e-6)
    assert _land("coinm_premium_index", result.responses, THIS_HOUR).passed


def test_coinm_open_interest_of_every_trading_contract_in_contracts(settings, market):
    result = _fetch("coinm_open_interest", settings, THIS_HOUR)
    rows = [_body(r) for r in result.responses]
    assert len(rows) == 9 and result.request_count == 10  # the listing, then 3 perpetuals and 6 delivery contracts
    assert [r["symbol"] for r in rows[:3]] == [
        "BTCUSD_PERP",
        *(f"BTCUSD_{e:%y%m%d}" for e in catalog.quarterly_expiries(NOW, 2)),
    ]
    perp = rows[0]
    t = from_ms(perp["time"])
    coins = market.open_interest("binance", "BTCUSD_PERP", t)
    usd = coins * market.mark_price("binance", "BTCUSD_PERP", t)
    assert int(perp["openInterest"]) == pytest.approx(usd / 100, rel=1e-5)  # 100 USD per BTC contract
    assert (perp["pair"], perp["contractType"]) == ("BTCUSD", "PERPETUAL")
    assert _land("coinm_open_interest", result.responses, THIS_HOUR).passed


def test_a_contract_delivered_after_the_listing_is_left_out(sim_env, settings):
    delivered = f"BTCUSD_{catalog.quarterly_expiries(NOW, 1)[0]:%y%m%d}"
    _fault(sim_env, "delisted", "/dapi/v1/openInterest", count=-1, options={"symbol": delivered})
    result = _fetch("coinm_open_interest", settings, THIS_HOUR)
    symbols = [_body(r)["symbol"] for r in result.responses]
    assert len(symbols) == 8 and delivered not in symbols
    assert [(f.error_type, f.response.params) for f in result.failures] == [("SymbolInvalid", {"symbol": delivered})]


def test_open_interest_history_hourly(settings, market):
    result = _fetch("open_interest_history", settings, PAST_DAY)
    for raw, symbol in zip(result.responses, ("BTCUSDT", "ETHUSDT", "SOLUSDT"), strict=True):
        rows = _body(raw)
        assert [r["timestamp"] for r in rows] == [PAST_DAY.start_ms + h * HOUR_MS for h in range(24)]
        nine = rows[9]
        coins = market.open_interest("binance", symbol, PAST_DAY.start + 9 * HOUR)
        assert (nine["symbol"], nine["sumOpenInterest"]) == (symbol, f"{coins:.8f}")
    outcome = _land("open_interest_history", result.responses, PAST_DAY)
    assert outcome.passed and outcome.metadata["records"] == 72


@pytest.mark.parametrize("name", ["open_interest_history", "long_short_ratio", "taker_long_short_ratio"])
def test_statistics_beyond_thirty_days_fail_without_a_request(settings, name):
    old = TimeWindow(TODAY - 31 * DAY, TODAY - 30 * DAY)
    spec = dataset("binance", name)
    client = spec.make_client(settings)
    with pytest.raises(BeyondRetention):
        fetch_partition(spec, settings, old, client=client)
    assert client.request_count == 0


def test_long_short_ratios_of_all_accounts_and_top_positions(settings, market):
    result = _fetch("long_short_ratio", settings, PAST_DAY)
    assert [(r.endpoint, r.params["symbol"]) for r in result.responses[:2]] == [
        ("/futures/data/globalLongShortAccountRatio", "BTCUSDT"),
        ("/futures/data/topLongShortPositionRatio", "BTCUSDT"),
    ]
    assert [len(_body(r)) for r in result.responses] == [24] * 6
    nine = PAST_DAY.start + 9 * HOUR
    accounts, positions = (_body(r)[9] for r in result.responses[:2])
    share = market.long_account_share("binance", "BTC", nine)
    assert (accounts["timestamp"], accounts["longAccount"]) == (_ms(nine), f"{share:.4f}")
    top = binance_stats.top_position_long_share(SimpleNamespace(market=market), "BTC", nine)
    assert positions["longAccount"] == f"{top:.4f}"
    assert positions["longShortRatio"] == f"{top / (1 - top):.4f}"
    assert _land("long_short_ratio", result.responses, PAST_DAY).passed


def test_taker_volume_per_hour(settings, market):
    result = _fetch("taker_long_short_ratio", settings, PAST_DAY)
    btc = _body(result.responses[0])
    assert [r["timestamp"] for r in btc] == [PAST_DAY.start_ms + h * HOUR_MS for h in range(24)]
    # The simulator stamps a period's volume at its end: 09:00 holds the 08:00-09:00 candle's taker buys.
    nine = PAST_DAY.start + 9 * HOUR
    candle = flow.candles(market, "binance", "BTCUSDT", 60, nine - HOUR, nine)[0]
    assert btc[9]["buyVol"] == f"{candle.taker_buy_volume:.4f}"
    assert btc[9]["sellVol"] == f"{candle.volume - candle.taker_buy_volume:.4f}"
    assert _land("taker_long_short_ratio", result.responses, PAST_DAY).passed


def test_closed_hourly_candles_with_taker_volume(settings, market):
    result = _fetch("klines_1h", settings, PAST_DAY)
    rows = _body(result.responses[0])
    assert [r[0] for r in rows] == [PAST_DAY.start_ms + h * HOUR_MS for h in range(24)]
    assert all(r[6] == r[0] + HOUR_MS - 1 for r in rows)  # close time: each candle is whole
    eight = PAST_DAY.start + 8 * HOUR
    candle = flow.candles(market, "binance", "BTCUSDT", 60, eight, eight + HOUR)[0]
    assert (rows[8][4], rows[8][5], rows[8][9]) == (
        f"{candle.close:.2f}",
        f"{candle.volume:.3f}",
        f"{candle.taker_buy_volume:.3f}",  # taker buy base volume
    )
    outcome = _land("klines_1h", result.responses, PAST_DAY)
    assert outcome.passed and outcome.metadata["records"] == 72


def test_today_s_candles_are_the_closed_ones(settings):
    today = TimeWindow(TODAY, TODAY + DAY)
    if open_hour(datetime.now(UTC)) == TODAY:
        with pytest.raises(NoClosedCandle):
            _fetch("klines_1h", settings, today)
        return
    result = _fetch("klines_1h", settings, today)
    rows = _body(result.responses[0])
    assert rows[-1][0] == _ms(open_hour(datetime.now(UTC))) - HOUR_MS  # the last closed hour, not the running one
    assert _land("klines_1h", result.responses, today).passed


def test_spot_prices(settings, market):
    result = _fetch("spot_prices", settings, THIS_HOUR)
    rows = [_body(r) for r in result.responses]
    assert [r["symbol"] for r in rows] == ["BTCUSDT", "ETHUSDT", "SOLUSDT"]
    for raw, row, asset in zip(result.responses, rows, ("BTC", "ETH", "SOL"), strict=True):
        assert float(row["price"]) == pytest.approx(market.price(asset, raw.fetched_at), rel=1e-4)
    assert _land("spot_prices", result.responses, THIS_HOUR).passed


def test_exchange_info_of_both_futures_hosts(settings):
    result = _fetch("exchange_info", settings, THIS_HOUR)
    assert [r.endpoint for r in result.responses] == ["/fapi/v1/exchangeInfo", "/dapi/v1/exchangeInfo"]
    assert result.request_count == 2
    usdm_symbols, coinm_symbols = (_body(r)["symbols"] for r in result.responses)
    quarters = [f"{e:%y%m%d}" for e in catalog.quarterly_expiries(NOW, 2)]
    assert {s["symbol"] for s in usdm_symbols if s["contractType"] != "PERPETUAL"} == {
        f"{a}USDT_{q}" for a in ("BTC", "ETH") for q in quarters
    }
    assert len([s for s in usdm_symbols if s["contractType"] == "PERPETUAL"]) == 6  # BTC, ETH, SOL and three alts
    assert [(s["symbol"], s["contractSize"]) for s in coinm_symbols if s["contractType"] == "PERPETUAL"] == [
        ("BTCUSD_PERP", 100),
        ("ETHUSD_PERP", 10),
        ("SOLUSD_PERP", 10),
    ]
    assert len(coinm_symbols) == 9
    outcome = _land("exchange_info", result.responses, THIS_HOUR)
    assert outcome.passed and outcome.metadata["records"] == 19


def test_a_dapi_failure_of_the_listing_is_kept_with_the_partition(sim_env, settings):
    _fault(sim_env, "http_5xx", "/dapi/v1/exchangeInfo", count=1)
    result = _fetch("exchange_info", settings, THIS_HOUR)
    assert [r.endpoint for r in result.responses] == ["/fapi/v1/exchangeInfo", "/dapi/v1/exchangeInfo"]
    assert [(f.error_type, f.response.endpoint) for f in result.failures] == [("ExchangeDown", "/dapi/v1/exchangeInfo")]
    assert result.request_count == 3


# --- faults on the open interest history ---------------------------------------------------------------------
OI_PATH = "/futures/data/openInterestHist"


def _history(settings: Settings, **client_kw):
    spec = dataset("binance", "open_interest_history")
    client = spec.make_client(settings, retry=client_kw.pop("retry", FAST_RETRY), **client_kw)
    return client, fetch_partition(spec, settings, PAST_DAY, client=client)


def test_5xx_bursts_html_pages_and_cut_off_bodies_end_in_success(sim_env, settings):
    _fault(sim_env, "http_5xx", OI_PATH, count=2)
    _fault(sim_env, "html", OI_PATH, count=1)
    _fault(sim_env, "truncated", OI_PATH, count=1)
    _, result = _history(settings)
    assert [len(_body(r)) for r in result.responses] == [24, 24, 24]
    kept = [(f.error_type, f.response.http_status) for f in result.failures]
    assert kept == [("ExchangeDown", 503), ("ExchangeDown", 503), ("ExchangeDown", 502), ("SchemaDrift", 200)]
    assert "cloudflare" in result.failures[2].response.payload
    assert _land("open_interest_history", result.responses, PAST_DAY).passed


def test_timeouts_and_resets_end_in_success(sim_env, settings):
    _fault(sim_env, "timeout", OI_PATH, count=1, options={"seconds": 1.5})
    _fault(sim_env, "reset", OI_PATH, count=1)
    client, result = _history(settings, timeout=httpx.Timeout(0.5, connect=2.0))
    assert [len(_body(r)) for r in result.responses] == [24, 24, 24]
    assert client.request_count == 5 and result.failures == []  # nothing arrived to keep


def test_a_fetch_that_never_gets_an_answer_records_its_final_attempt(sim_env, settings):
    # Every attempt reset: nothing arrived, yet the failure ledger must show the venue was down (status 0).
    _fault(sim_env, "reset", OI_PATH, count=-1)
    client = dataset("binance", "open_interest_history").make_client(settings, retry=FAST_RETRY)
    with pytest.raises(ExchangeDown) as err:
        fetch_partition(dataset("binance", "open_interest_history"), settings, PAST_DAY, client=client)
    kept = err.value.failed_responses
    assert [(f.error_type, f.response.http_status, f.response.payload) for f in kept] == [("ExchangeDown", 0, "")]
    assert kept[0].response.endpoint == OI_PATH and "connection error" in kept[0].error_message


def test_a_real_ban_is_not_retried_and_says_until_when(sim_env, settings):
    # One request per window, and the first refusal already bans: Binance's 418 with "banned until <ms>".
    sim_env.set_limits({"binance": {"futures_data_limit": 1, "ban_after_strikes": 0, "ban_seconds": 120}})
    client = dataset("binance", "open_interest_history").make_client(settings, retry=FAST_RETRY)
    with pytest.raises(Banned) as err:
        fetch_partition(dataset("binance", "open_interest_history"), settings, PAST_DAY, client=client)
    assert client.request_count == 2 and [f.response.http_status for f in err.value.failed_responses] == [418]
    assert timedelta(seconds=100) < err.value.until - datetime.now(UTC) <= timedelta(seconds=121)


def test_a_waf_block_is_a_ban(sim_env, settings):
    _fault(sim_env, "http_5xx", OI_PATH, count=1, options={"status": 403})
    client = dataset("binance", "open_interest_history").make_client(settings, retry=FAST_RETRY)
    with pytest.raises(Banned):
        fetch_partition(dataset("binance", "open_interest_history"), settings, PAST_DAY, client=client)
    assert client.request_count == 1


def test_a_delisted_symbol_skips_its_asset(sim_env, settings):
    _fault(sim_env, "delisted", OI_PATH, count=-1, options={"symbol": "ETHUSDT"})
    _, result = _history(settings)
    assert list(result.skipped_assets) == ["ETH"] and "-1121" in result.skipped_assets["ETH"]
    assert [r.params["symbol"] for r in result.responses] == ["BTCUSDT", "SOLUSDT"]
    assert _land("open_interest_history", result.responses, PAST_DAY).passed


def test_a_renamed_field_is_loaded_and_caught_by_the_raw_check(sim_env, settings):
    _fault(sim_env, "drift_rename", OI_PATH, count=-1, options={"field": "sumOpenInterest", "to": "openInterest"})
    _, result = _history(settings)
    outcome = _land("open_interest_history", result.responses, PAST_DAY)
    assert not outcome.passed and outcome.failures[0].startswith("schema: 72 records lack")
    assert "sumOpenInterest" in outcome.failures[0]


def test_a_missing_time_is_caught_and_a_stringified_one_is_read(sim_env, settings):
    _fault(sim_env, "drift_missing", OI_PATH, count=1, options={"field": "timestamp"})
    _, result = _history(settings)
    outcome = _land("open_interest_history", result.responses, PAST_DAY)
    assert not outcome.passed and outcome.failures[0].startswith("schema: 24 records lack")
    _fault(sim_env, "drift_string", OI_PATH, count=-1, options={"field": "timestamp"})
    _, result = _history(settings)
    assert isinstance(_body(result.responses[0])[0]["timestamp"], str)
    # Binance documents this timestamp both ways (shape.text_numbers): "1768..." reads as BIGINT.
    assert _land("open_interest_history", result.responses, PAST_DAY).passed


def test_an_emptied_answer_is_caught_by_the_raw_check(sim_env):
    _fault(sim_env, "empty", OI_PATH, count=1)
    _, result = _history(Settings(simulator_url=sim_env.root, assets=("BTC",)))
    assert [_body(r) for r in result.responses] == [[]]
    outcome = _land("open_interest_history", result.responses, PAST_DAY)
    assert not outcome.passed and outcome.failures == ["non-empty: the responses hold no records"]


def test_a_repeated_page_is_loaded_and_caught_as_a_duplicate(sim_env):
    _history(Settings(simulator_url=sim_env.root, assets=("ETH",)))  # the simulator repeats the path's last answer
    _fault(sim_env, "duplicate_page", OI_PATH, count=1)
    _, result = _history(Settings(simulator_url=sim_env.root, assets=("BTC", "ETH")))
    assert [_body(r)[0]["symbol"] for r in result.responses] == ["ETHUSDT", "ETHUSDT"]
    outcome = _land("open_interest_history", result.responses, PAST_DAY)
    assert not outcome.passed and outcome.failures[0].startswith("duplicates: 24 keys ['symbol', 'timestamp']")


def test_a_maintenance_gap_loads_what_the_venue_served(sim_env, settings):
    gap = {"start": (PAST_DAY.start + 7 * HOUR).isoformat(), "end": (PAST_DAY.start + 9 * HOUR).isoformat()}
    _fault(sim_env, "maintenance_gap", OI_PATH, count=-1, options=gap)
    _, result = _history(settings)
    assert [len(_body(r)) for r in result.responses] == [22, 22, 22]  # 07:00 and 08:00 missing; staging sees it
    assert _land("open_interest_history", result.responses, PAST_DAY).passed


# --- rate budgets --------------------------------------------------------------------------------------------
def test_budgets_are_the_documented_limits_and_process_wide(settings):
    fapi, dapi, api = usdm.make_client(settings), coinm.make_client(settings), spot.make_client(settings)
    limits = {
        (host, name): (b.limit, b.window_seconds, b.safety)
        for host, c in (("fapi", fapi), ("dapi", dapi), ("api", api))
        for name, b in c.budgets.items()
    }
    assert limits == {
        ("fapi", "weight"): (2400, 60.0, 0.9),
        ("fapi", "funding"): (500, 300.0, 0.9),
        ("fapi", "futures_data"): (1000, 300.0, 0.9),
        ("dapi", "dapi_weight"): (2400, 60.0, 0.9),
        ("api", "api_weight"): (6000, 60.0, 0.9),
    }
    # Binance counts per IP: a second client (another partition) spends the very same budgets, per host.
    assert usdm.make_client(settings).budgets["futures_data"] is fapi.budgets["futures_data"]
    assert coinm.make_client(settings).budgets["dapi_weight"] is dapi.budgets["dapi_weight"]
    assert fapi.budgets["weight"] is not dapi.budgets["dapi_weight"]


def _short_window_budgets(futures_data_limit: int) -> dict[str, WindowBudget]:
    """The fapi budgets with 2-second windows, so a test does not wait out Binance's real 5 minutes."""
    return {
        "weight": WindowBudget("test weight", 2400, 2.0),
        "funding": WindowBudget("test funding", 500, 2.0),
        "futures_data": WindowBudget("test futures data", futures_data_limit, 2.0),
    }


def test_a_burst_is_paced_inside_the_limit(sim_env, settings):
    sim_env.set_limits({"binance": {"futures_data_limit": 5, "futures_data_window_s": 2}})
    client = usdm.make_client(settings, retry=FAST_RETRY)
    client.budgets = _short_window_budgets(5)
    for k in range(2):
        day = TimeWindow(PAST_DAY.start - k * DAY, PAST_DAY.end - k * DAY)
        fetch_partition(dataset("binance", "long_short_ratio"), settings, day, client=client)
    summary = sim_env.requests_summary()
    assert summary["by_status"] == {"binance 200": 12} and summary["limit_violations"] == 0
    assert client.budgets["futures_data"].waited_seconds > 0  # 4 per window of 5 at 90 %: it had to wait


def test_a_tighter_venue_limit_is_waited_out_without_a_ban(sim_env, settings):
    sim_env.set_limits({"binance": {"futures_data_limit": 2, "futures_data_window_s": 2}})
    client = usdm.make_client(settings, retry=RetryPolicy(max_attempts=8, base_delay=0.25, max_delay=2.0))
    client.budgets = _short_window_budgets(1000)  # our side believes the documented limit
    started = time.monotonic()
    result = fetch_partition(dataset("binance", "long_short_ratio"), settings, PAST_DAY, client=client)
    assert [len(_body(r)) for r in result.responses] == [24] * 6
    summary = sim_env.requests_summary()["by_status"]
    assert summary["binance 200"] == 6 and summary.get("binance 429", 0) >= 1 and "binance 418" not in summary
    assert {json.loads(f.response.payload)["code"] for f in result.failures} == {-1003}
    assert time.monotonic() - started >= 2.0  # it waited for the venue's next windows
    assert fetch_open_interest_history(client, "BTCUSDT", PAST_DAY)[0].http_status == 200
