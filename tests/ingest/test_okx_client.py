"""The OKX client: error classification, paging plans, every dataset against the simulator (expected values from
an in-process Market with the simulator's seed), fault handling and rate limits."""

import json
import time
from datetime import UTC, datetime, timedelta

import duckdb
import httpx
import pytest

from ingest.config import Settings
from ingest.envelope import RawResponse
from ingest.errors import BadRequest, Banned, ExchangeDown, RateLimited, SchemaDrift, SymbolInvalid
from ingest.registry import Cadence, dataset, fetch_partition
from ingest.retry import RetryPolicy
from ingest.venues.okx.candles import HISTORY, RECENT, candles_params
from ingest.venues.okx.client import REQUESTS_PER_WINDOW, make_client
from ingest.venues.okx.funding import fetch_funding_history, funding_history_params
from ingest.venues.okx.liquidations import liquidation_params, next_liquidation_page
from ingest.venues.okx.paging import PUBLIC, RUBIK, BeyondRetention, ensure_retained, next_page, period_start
from ingest.venues.okx.protocol import classify
from ingest.venues.okx.rubik import fetch_open_interest_history, stat_params
from ingest.windows import TimeWindow, from_ms
from simulator import flow, options
from simulator.market import Market
from warehouse.load import load_partition
from warehouse.raw_checks import RawCheckOutcome, check_raw_partition

HOUR, DAY = timedelta(hours=1), timedelta(days=1)
HOUR_MS = 3_600_000
NOW = datetime.now(UTC)
TODAY = NOW.replace(hour=0, minute=0, second=0, microsecond=0)
# A settled day the venue still serves in full (funding: ~3 months, rubik and recent candles: 60 days).
PAST_DAY = TimeWindow(TODAY - 3 * DAY, TODAY - 2 * DAY)
HOUR_START = NOW.replace(minute=0, second=0, microsecond=0)
THIS_HOUR = TimeWindow(HOUR_START, HOUR_START + HOUR)
SWAPS = {"BTC": "BTC-USDT-SWAP", "ETH": "ETH-USDT-SWAP", "SOL": "SOL-USDT-SWAP"}
FAST_RETRY = RetryPolicy(base_delay=0.05, max_delay=0.5)


@pytest.fixture(scope="module")
def market() -> Market:
    """The simulator's market, built in-process from the same seed: expected values, computed independently."""
    return Market(seed=7)


@pytest.fixture
def settings(sim_env) -> Settings:
    return Settings(simulator_url=sim_env.root)


def _client(settings: Settings, **kw):
    return make_client(settings, retry=kw.pop("retry", FAST_RETRY), **kw)


def _data(raw: RawResponse) -> list:
    return json.loads(raw.payload)["data"]


def _fault(sim, kind: str, path: str, **spec) -> None:
    body = {"kind": kind, "venue": "okx", "path": f"/api/v5/{path}", **spec}
    httpx.post(f"{sim.root}/_sim/faults", json=body, timeout=10).raise_for_status()


def _land(name: str, responses: list[RawResponse], window: TimeWindow) -> RawCheckOutcome:
    """Load the responses into a fresh in-memory warehouse and run the blocking raw check, as the asset does."""
    spec = dataset("okx", name)
    bounds = (window.start, window.end) if spec.cadence == Cadence.DAILY_HISTORY else None
    con = duckdb.connect()
    try:
        check = lambda c, t, k: check_raw_partition(c, t, k, spec.shape, bounds)  # noqa: E731
        return load_partition(con, "okx", name, "p", responses, check=check).check
    finally:
        con.close()


def _fetch(name: str, settings: Settings, window: TimeWindow, **client_kw):
    return fetch_partition(dataset("okx", name), settings, window, client=_client(settings, **client_kw))


def _ms(t: datetime) -> int:
    return int(t.timestamp() * 1000)


# --- classify: every documented answer, with its exact body ------------------------------------------------
def _resp(status: int, body: str, headers: dict | None = None) -> httpx.Response:
    return httpx.Response(status, text=body, headers=headers or {})


def _okx(code: str, msg: str) -> str:
    return json.dumps({"code": code, "data": [], "msg": msg}, separators=(",", ":"))


RATE_LIMIT_MSG = "Rate limit reached. Please refer to API documentation and throttle requests accordingly"


def test_success_is_only_code_zero():
    assert classify(_resp(200, '{"code":"0","data":[],"msg":""}')) is None
    err = classify(_resp(200, '{"data":[{"instId":"BTC-USDT-SWAP"}],"msg":""}'))
    assert isinstance(err, SchemaDrift) and err.field == "code" and not err.retryable


@pytest.mark.parametrize(("code", "msg"), [("50011", RATE_LIMIT_MSG), ("50061", "Sub-account rate limit exceeded")])
def test_rate_limits_are_429_without_retry_after(code, msg):
    err = classify(_resp(429, _okx(code, msg)))
    assert isinstance(err, RateLimited) and err.retry_after is None and err.retryable
    assert code in str(err)


def test_a_retry_after_added_by_a_proxy_is_honoured():
    err = classify(_resp(429, _okx("50011", RATE_LIMIT_MSG), {"Retry-After": "3"}))
    assert isinstance(err, RateLimited) and err.retry_after == 3.0


@pytest.mark.parametrize(
    ("status", "code", "msg"),
    [
        (503, "50001", "Service temporarily unavailable. Please try again later."),
        (400, "50004", "API endpoint request timeout (does not mean that the request was successful or failed)."),
        (410, "50005", "API is offline or unavailable."),
        (200, "50013", "Systems are busy. Please try again later."),
        (500, "50026", "System error. Try again later."),
    ],
)
def test_venue_down_codes_are_retried(status, code, msg):
    err = classify(_resp(status, _okx(code, msg)))
    assert isinstance(err, ExchangeDown) and err.retryable and err.status == status


def test_unknown_instrument_arrives_with_http_200():
    err = classify(_resp(200, _okx("51001", "Instrument ID does not exist")))
    assert isinstance(err, SymbolInvalid) and not err.retryable


@pytest.mark.parametrize(
    ("status", "code", "msg"),
    [
        (400, "50000", "Body cannot be empty."),
        (400, "50002", "JSON syntax error"),
        (400, "50014", "Parameter instId cannot be empty"),
        (400, "50015", "Either parameter uly or instFamily is required"),
        (400, "50016", "Parameter instId does not match parameter instType"),
        (400, "51000", "Parameter limit error"),
        (401, "50111", "Invalid OK-ACCESS-KEY."),
        (401, "50113", "Invalid Sign."),
    ],
)
def test_request_and_credential_errors_are_not_retried(status, code, msg):
    err = classify(_resp(status, _okx(code, msg)))
    assert type(err) is BadRequest and not err.retryable and code in str(err)


def test_cdn_blocks_and_restricted_regions_are_bans():
    assert isinstance(classify(_resp(403, "<html><body>Access denied</body></html>")), Banned)
    assert isinstance(classify(_resp(451, _okx("51155", "restricted"))), Banned)


def test_cdn_error_pages_and_cut_off_bodies():
    cdn = "<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<center>cloudflare</center>\r\n</html>\r\n"
    assert isinstance(classify(_resp(502, cdn)), ExchangeDown)
    # A cut-off 200 body is left to the HTTP layer, which reports it as retryable drift.
    assert classify(_resp(200, '{"code":"0","data":[{"instId":"BTC-US')) is None
    assert type(classify(_resp(404, "<html>Not Found</html>"))) is BadRequest


# --- paging plans (pure) -------------------------------------------------------------------------------------
WINDOW = TimeWindow(datetime(2026, 1, 10, tzinfo=UTC), datetime(2026, 1, 11, tzinfo=UTC))
START_MS, END_MS = 1768003200000, 1768089600000


def test_funding_history_window_is_sent_as_exclusive_bounds():
    # `before` = newer than (exclusive): start - 1 ms keeps a settlement at 00:00:00.000; `after` = older than end.
    assert funding_history_params("BTC-USDT-SWAP", WINDOW) == {
        "instId": "BTC-USDT-SWAP",
        "before": START_MS - 1,
        "after": END_MS,
        "limit": 100,
    }


def test_short_page_ends_paging():
    p = funding_history_params("BTC-USDT-SWAP", WINDOW)
    assert next_page(p, [START_MS + 16 * HOUR_MS, START_MS + 8 * HOUR_MS, START_MS], PUBLIC) is None


def test_full_page_moves_the_older_than_bound_to_its_oldest_record():
    p = {**funding_history_params("BTC-USDT-SWAP", WINDOW), "limit": 2}
    assert next_page(p, [START_MS + 16 * HOUR_MS, START_MS + 8 * HOUR_MS], PUBLIC) == {
        **p,
        "after": START_MS + 8 * HOUR_MS,
    }


def test_full_page_reaching_the_window_start_stops():
    p = {**funding_history_params("BTC-USDT-SWAP", WINDOW), "limit": 2}
    assert next_page(p, [START_MS + 8 * HOUR_MS, START_MS], PUBLIC) is None


def test_a_repeated_page_does_not_loop():
    p = {**funding_history_params("BTC-USDT-SWAP", WINDOW), "limit": 1, "after": START_MS + 8 * HOUR_MS}
    assert next_page(p, [START_MS + 8 * HOUR_MS], PUBLIC) is None


def test_rubik_window_stops_at_the_running_period():
    inside = datetime(2026, 1, 10, 13, 25, tzinfo=UTC)
    assert stat_params("BTC-USDT-SWAP", WINDOW, inside) == {
        "instId": "BTC-USDT-SWAP",
        "period": "1H",
        "begin": START_MS - 1,
        "end": START_MS + 13 * HOUR_MS,  # 13:00 is still open: bars 00:00 .. 12:00
        "limit": 100,
    }
    assert stat_params("BTC-USDT-SWAP", WINDOW, datetime(2026, 1, 12, tzinfo=UTC))["end"] == END_MS
    # In the day's first hour nothing has closed yet: an empty window, still asked (an empty answer is loaded).
    first_hour = stat_params("BTC-USDT-SWAP", WINDOW, datetime(2026, 1, 10, 0, 40, tzinfo=UTC))
    assert (first_hour["begin"], first_hour["end"]) == (START_MS - 1, START_MS)
    assert RUBIK.older_than == "end" and RUBIK.newer_than == "begin"


def test_recent_candles_use_candles_and_older_days_history_candles():
    path, p = candles_params("BTC-USDT-SWAP", WINDOW, datetime(2026, 1, 20, tzinfo=UTC))
    assert path == RECENT[0] and p == {
        "instId": "BTC-USDT-SWAP",
        "bar": "1H",
        "before": START_MS - 1,
        "after": END_MS,
        "limit": 300,
    }
    path, p = candles_params("BTC-USDT-SWAP", WINDOW, datetime(2026, 3, 20, tzinfo=UTC))
    assert path == HISTORY[0] and p["limit"] == 100


def test_period_start():
    assert period_start(datetime(2026, 1, 10, 13, 25, 7, tzinfo=UTC), HOUR) == datetime(2026, 1, 10, 13, tzinfo=UTC)


def test_windows_beyond_retention_fail_for_good():
    now = datetime(2026, 4, 9, 12, tzinfo=UTC)
    ensure_retained(WINDOW, now, timedelta(days=90), "funding-rate-history")  # 89.5 days back: served
    with pytest.raises(BeyondRetention) as err:
        ensure_retained(WINDOW, now + DAY, timedelta(days=90), "funding-rate-history")
    assert not err.value.retryable and "2026-01-10" in str(err.value)


def test_liquidation_pages_go_back_until_an_empty_page():
    p = liquidation_params("ETH")
    assert p == {"instType": "SWAP", "instFamily": "ETH-USDT", "state": "filled", "limit": 100}
    assert next_liquidation_page(p, [START_MS + 5, START_MS + 9]) == {**p, "after": START_MS + 5}
    assert next_liquidation_page({**p, "after": START_MS + 5}, [START_MS + 5]) is None
    assert next_liquidation_page(p, []) is None


# --- every dataset against the simulator ---------------------------------------------------------------------
def test_funding_history_day(settings, market):
    result = _fetch("funding_rate_history", settings, PAST_DAY)
    assert len(result.responses) == 3 and not result.failures  # one page per asset
    for asset, raw in zip(("BTC", "ETH", "SOL"), result.responses, strict=True):
        inst = SWAPS[asset]
        assert raw.params == {"instId": inst, "before": PAST_DAY.start_ms - 1, "after": PAST_DAY.end_ms, "limit": 100}
        settlements = market.settlement_times("okx", inst, PAST_DAY.start, PAST_DAY.end)
        rows = _data(raw)
        assert [int(r["fundingTime"]) for r in rows] == [_ms(t) for t in reversed(settlements)]  # newest first
        assert len(rows) == 3  # OKX settles every 8 h: 00:00, 08:00, 16:00 UTC
    btc_0800 = next(r for r in _data(result.responses[0]) if int(r["fundingTime"]) == PAST_DAY.start_ms + 8 * HOUR_MS)
    expected = market.settled_funding("okx", "BTC-USDT-SWAP", PAST_DAY.start + 8 * HOUR)
    assert float(btc_0800["realizedRate"]) == pytest.approx(expected, abs=1e-16)
    assert _land("funding_rate_history", result.responses, PAST_DAY).passed


def test_funding_history_beyond_three_months_fails_without_a_request(settings):
    old = TimeWindow(TODAY - 100 * DAY, TODAY - 99 * DAY)
    client = _client(settings)
    with pytest.raises(BeyondRetention):
        fetch_partition(dataset("okx", "funding_rate_history"), settings, old, client=client)
    assert client.request_count == 0


def test_current_funding_interval_and_last_settlement(settings, market):
    result = _fetch("funding_rate", settings, THIS_HOUR)
    rows = [_data(r)[0] for r in result.responses]
    assert [r["instId"] for r in rows] == list(SWAPS.values())
    for row in rows:
        settle, observed = from_ms(row["fundingTime"]), from_ms(row["ts"])
        assert int(row["nextFundingTime"]) - int(row["fundingTime"]) == 8 * HOUR_MS  # the interval
        rate, expected_settle = market.current_funding("okx", row["instId"], observed)
        assert settle == expected_settle and float(row["fundingRate"]) == pytest.approx(rate, abs=1e-16)
        settled = market.settled_funding("okx", row["instId"], settle - 8 * HOUR)
        assert float(row["settFundingRate"]) == pytest.approx(settled, abs=1e-16)
    assert _land("funding_rate", result.responses, THIS_HOUR).passed


def test_instruments_every_swap_and_future_and_the_configured_option_chains(settings, market):
    result = _fetch("instruments", settings, THIS_HOUR)
    swaps, futures, btc_options, eth_options, sol_options = (_data(r) for r in result.responses)
    assert [r["instId"] for r in swaps] == list(SWAPS.values())
    assert {(r["instId"], r["ctVal"], r["ctValCcy"]) for r in swaps if r["instId"] == "BTC-USDT-SWAP"} == {
        ("BTC-USDT-SWAP", "0.01", "BTC")
    }
    # Six expiries (two weeklies, two months, two quarters), coin- and USDT-margined, for three assets.
    assert len(futures) == 36 and {r["instType"] for r in futures} == {"FUTURES"}
    assert {r["alias"] for r in futures} == {
        "this_week",
        "next_week",
        "this_month",
        "next_month",
        "quarter",
        "next_quarter",
    }
    # The chain listed at the moment of each answer (strikes follow the spot price as the session runs).
    assert len(btc_options) == len(options.chain(market, "okx", "BTC", result.responses[2].fetched_at))
    assert len(eth_options) == len(options.chain(market, "okx", "ETH", result.responses[3].fetched_at))
    assert sol_options == []  # OKX lists no SOL options: an empty chain is a valid snapshot
    assert {(r["ctVal"], r["ctMult"], r["settleCcy"]) for r in btc_options} == {("1", "0.01", "BTC")}
    assert [r.params for r in result.responses][:3] == [
        {"instType": "SWAP"},
        {"instType": "FUTURES"},
        {"instType": "OPTION", "instFamily": "BTC-USD"},
    ]
    assert _land("instruments", result.responses, THIS_HOUR).passed


def test_mark_prices(settings, market):
    result = _fetch("mark_price", settings, THIS_HOUR)
    swaps = _data(result.responses[0])
    btc = next(r for r in swaps if r["instId"] == "BTC-USDT-SWAP")
    expected = market.mark_price("okx", "BTC-USDT-SWAP", from_ms(btc["ts"]))
    assert float(btc["markPx"]) == pytest.approx(expected, abs=0.06)  # to the 0.1 tick
    assert len(_data(result.responses[1])) == 36
    btc_options = _data(result.responses[2])
    assert btc_options and all(0 <= float(r["markPx"]) < 1 for r in btc_options)  # option marks are in coin
    assert _land("mark_price", result.responses, THIS_HOUR).passed


def test_index_prices_in_usd_and_usdt(settings, market):
    result = _fetch("index_tickers", settings, THIS_HOUR)
    usd, usdt = (_data(r) for r in result.responses)
    assert [r["instId"] for r in usd] == ["BTC-USD", "ETH-USD", "SOL-USD"]
    assert [r["instId"] for r in usdt] == ["BTC-USDT", "ETH-USDT", "SOL-USDT"]
    btc = usdt[0]
    assert float(btc["idxPx"]) == pytest.approx(market.price("BTC", from_ms(btc["ts"])), abs=0.06)
    assert _land("index_tickers", result.responses, THIS_HOUR).passed


def test_open_interest_in_contracts_coin_and_usd(settings, market):
    result = _fetch("open_interest", settings, THIS_HOUR)
    btc = next(r for r in _data(result.responses[0]) if r["instId"] == "BTC-USDT-SWAP")
    coin = market.open_interest("okx", "BTC-USDT-SWAP", from_ms(btc["ts"]))
    # `ts` is the venue's clock cut to the millisecond: open interest moves a little in that fraction.
    assert float(btc["oiCcy"]) == pytest.approx(coin, rel=1e-6)
    assert float(btc["oi"]) == pytest.approx(coin / 0.01, rel=1e-6)  # contracts of 0.01 BTC
    mark = market.mark_price("okx", "BTC-USDT-SWAP", from_ms(btc["ts"]))
    assert float(btc["oiUsd"]) == pytest.approx(coin * mark, rel=1e-6)
    assert len(_data(result.responses[1])) == 36
    assert len(_data(result.responses[2])) == len(options.chain(market, "okx", "BTC", result.responses[2].fetched_at))
    assert _land("open_interest", result.responses, THIS_HOUR).passed


def test_open_interest_history_hourly_closed_periods(settings, market):
    result = _fetch("open_interest_history", settings, PAST_DAY)
    for asset, raw in zip(("BTC", "ETH", "SOL"), result.responses, strict=True):
        rows = _data(raw)
        assert [int(r[0]) for r in rows] == [PAST_DAY.start_ms + h * HOUR_MS for h in range(23, -1, -1)]
        # A period reports its level at its close: 09:00 holds the open interest of 10:00.
        nine = next(r for r in rows if int(r[0]) == PAST_DAY.start_ms + 9 * HOUR_MS)
        coin = market.open_interest("okx", SWAPS[asset], PAST_DAY.start + 10 * HOUR)
        assert float(nine[2]) == pytest.approx(coin, abs=1e-8)
    assert _land("open_interest_history", result.responses, PAST_DAY).passed


def test_open_interest_history_beyond_sixty_days_fails_without_a_request(settings):
    client = _client(settings)
    with pytest.raises(BeyondRetention):
        fetch_open_interest_history(client, "BTC-USDT-SWAP", TimeWindow(TODAY - 61 * DAY, TODAY - 60 * DAY))
    assert client.request_count == 0


def test_long_short_account_ratio(settings, market):
    result = _fetch("long_short_account_ratio", settings, PAST_DAY)
    rows = _data(result.responses[0])
    assert len(rows) == 24 and all(len(r) == 2 for r in rows)
    share = market.long_account_share("okx", "BTC", PAST_DAY.start + 10 * HOUR)
    nine = next(r for r in rows if int(r[0]) == PAST_DAY.start_ms + 9 * HOUR_MS)
    assert float(nine[1]) == pytest.approx(share / (1 - share), abs=6e-5)  # four decimals
    assert _land("long_short_account_ratio", result.responses, PAST_DAY).passed


def test_candles_closed_hourly_bars(settings, market):
    result = _fetch("candles", settings, PAST_DAY)
    assert {r.endpoint for r in result.responses} == {"/api/v5/market/candles"}
    rows = _data(result.responses[0])
    assert [int(r[0]) for r in rows] == [PAST_DAY.start_ms + h * HOUR_MS for h in range(23, -1, -1)]
    assert {r[8] for r in rows} == {"1"}  # every bar confirmed
    eight = next(r for r in rows if int(r[0]) == PAST_DAY.start_ms + 8 * HOUR_MS)
    eight_open = PAST_DAY.start + 8 * HOUR
    bar = flow.candles(market, "okx", "BTC-USDT-SWAP", 60, eight_open, eight_open + timedelta(seconds=1))[0]
    assert float(eight[4]) == pytest.approx(bar.close, abs=0.05 + 1e-9)
    assert float(eight[6]) == pytest.approx(bar.volume, abs=1e-8)  # volCcy: coin
    assert _land("candles", result.responses, PAST_DAY).passed


def test_older_candles_come_from_history_candles(settings):
    old = TimeWindow(TODAY - 70 * DAY, TODAY - 69 * DAY)
    result = _fetch("candles", settings, old)
    assert {r.endpoint for r in result.responses} == {"/api/v5/market/history-candles"}
    assert [len(_data(r)) for r in result.responses] == [24, 24, 24]


def test_liquidation_orders_of_the_recent_day(settings, market):
    result = _fetch("liquidation_orders", settings, THIS_HOUR)
    by_family: dict[str, list[RawResponse]] = {}
    for raw in result.responses:
        by_family.setdefault(raw.params["instFamily"], []).append(raw)
    assert list(by_family) == ["BTC-USDT", "ETH-USDT", "SOL-USDT"]
    assert all(_data(pages[-1]) == [] for pages in by_family.values())  # paged back to an empty page
    first, older = by_family["BTC-USDT"][:2]
    (btc_entry,) = _data(first)
    assert btc_entry["instId"] == "BTC-USDT-SWAP"
    details = btc_entry["details"]
    times = [int(d["ts"]) for d in details]
    assert times == sorted(times, reverse=True) and older.params["after"] == times[-1]
    assert from_ms(times[-1]) >= NOW - DAY - HOUR  # only the recent day
    events = {
        _ms(e.time): e
        for e in flow.liquidations(market, "BTC", NOW - 2 * DAY, NOW + HOUR, venue="okx")
        if e.symbol == "BTC-USDT-SWAP"
    }
    for d in details:
        event = events[int(d["ts"])]
        assert (d["side"], d["posSide"]) == (("sell", "long") if event.is_long else ("buy", "short"))
        assert float(d["sz"]) == pytest.approx(max(event.qty / 0.01, 0.01), abs=0.0051)  # contracts of 0.01 BTC
    assert _land("liquidation_orders", result.responses, THIS_HOUR).passed


def test_option_summary(settings, market):
    result = _fetch("option_summary", settings, THIS_HOUR)
    btc, eth, sol = (_data(r) for r in result.responses)
    btc_chain = options.chain(market, "okx", "BTC", result.responses[0].fetched_at)
    assert len(btc) == len(btc_chain) and len(eth) > 0 and sol == []
    calls = {(f"{q.expiry:%y%m%d}", q.strike): q for q in btc_chain if q.is_call}
    row = next(r for r in btc if r["instId"].endswith("-C"))
    _, _, expiry, strike, _ = row["instId"].split("-")
    assert float(row["markVol"]) == pytest.approx(calls[(expiry, float(strike))].mark_iv, abs=0.02)  # a fraction
    assert _land("option_summary", result.responses, THIS_HOUR).passed


def test_option_tickers(sim_env, market):
    # ETH only, and a patient client: the simulator computes option tickers in quadratic time (~13 s for ETH's
    # 540 options, ~33 s for BTC's 896); see the report.
    eth = Settings(simulator_url=sim_env.root, assets=("ETH",))
    result = _fetch("option_tickers", eth, THIS_HOUR, timeout=httpx.Timeout(90.0, connect=5.0))
    rows = _data(result.responses[0])
    assert len(rows) == len(options.chain(market, "okx", "ETH", result.responses[0].fetched_at))
    assert {r["instType"] for r in rows} == {"OPTION"} and all(r["instId"].startswith("ETH-USD-") for r in rows)
    assert result.responses[0].params == {"instType": "OPTION", "instFamily": "ETH-USD"}
    assert _land("option_tickers", result.responses, THIS_HOUR).passed


def test_futures_tickers(settings):
    result = _fetch("futures_tickers", settings, THIS_HOUR)
    rows = _data(result.responses[0])
    assert len(rows) == 36 and {r["instType"] for r in rows} == {"FUTURES"}
    assert all(float(r["bidPx"]) < float(r["askPx"]) for r in rows)
    assert _land("futures_tickers", result.responses, THIS_HOUR).passed


# --- faults on the funding history ---------------------------------------------------------------------------
HISTORY_PATH = "public/funding-rate-history"


def _history(settings: Settings, **client_kw):
    client = _client(settings, **client_kw)
    return client, fetch_partition(dataset("okx", "funding_rate_history"), settings, PAST_DAY, client=client)


def test_5xx_bursts_html_pages_and_cut_off_bodies_end_in_success(sim_env, settings):
    _fault(sim_env, "http_5xx", HISTORY_PATH, count=2)
    _fault(sim_env, "html", HISTORY_PATH, count=1)
    _fault(sim_env, "truncated", HISTORY_PATH, count=1)
    _, result = _history(settings)
    assert [len(_data(r)) for r in result.responses] == [3, 3, 3]
    kept = [(f.error_type, f.response.http_status) for f in result.failures]
    assert kept == [("ExchangeDown", 503), ("ExchangeDown", 503), ("ExchangeDown", 502), ("SchemaDrift", 200)]
    assert "cloudflare" in result.failures[2].response.payload
    assert _land("funding_rate_history", result.responses, PAST_DAY).passed


def test_timeouts_and_resets_end_in_success(sim_env, settings):
    _fault(sim_env, "timeout", HISTORY_PATH, count=1, options={"seconds": 1.5})
    _fault(sim_env, "reset", HISTORY_PATH, count=1)
    client, result = _history(settings, timeout=httpx.Timeout(0.5, connect=2.0))
    assert [len(_data(r)) for r in result.responses] == [3, 3, 3]
    assert client.request_count == 5 and result.failures == []  # nothing arrived to keep


def test_a_block_is_a_ban_and_not_retried(sim_env, settings):
    _fault(sim_env, "http_5xx", HISTORY_PATH, count=1, options={"status": 403})
    client = _client(settings)
    with pytest.raises(Banned) as err:
        fetch_partition(dataset("okx", "funding_rate_history"), settings, PAST_DAY, client=client)
    assert client.request_count == 1 and [f.response.http_status for f in err.value.failed_responses] == [403]


def test_a_delisted_instrument_skips_its_asset(sim_env, settings):
    _fault(sim_env, "delisted", HISTORY_PATH, count=-1, options={"symbol": "ETH-USDT-SWAP"})
    _, result = _history(settings)
    assert list(result.skipped_assets) == ["ETH"] and "51001" in result.skipped_assets["ETH"]
    assert [_data(r)[0]["instId"] for r in result.responses] == ["BTC-USDT-SWAP", "SOL-USDT-SWAP"]
    assert _land("funding_rate_history", result.responses, PAST_DAY).passed


def test_a_renamed_field_is_loaded_and_caught_by_the_raw_check(sim_env, settings):
    _fault(sim_env, "drift_rename", HISTORY_PATH, count=-1, options={"field": "fundingRate", "to": "rate"})
    _, result = _history(settings)
    outcome = _land("funding_rate_history", result.responses, PAST_DAY)
    assert not outcome.passed and outcome.failures[0].startswith("schema: 3 records lack")
    assert "data[1].fundingRate" in outcome.failures[0]


def test_an_emptied_page_is_caught_by_the_raw_check(sim_env, settings):
    _fault(sim_env, "empty", HISTORY_PATH, count=1)
    _, result = _history(settings)
    outcome = _land("funding_rate_history", result.responses, PAST_DAY)
    assert [len(_data(r)) for r in result.responses] == [0, 3, 3]
    assert not outcome.passed and outcome.failures[0].startswith("schema: 1 records lack")


def test_a_repeated_page_is_loaded_and_caught_as_a_duplicate(sim_env, settings):
    eth = Settings(simulator_url=sim_env.root, assets=("ETH",))
    _history(eth)  # the simulator repeats the previous answer of the path: ETH's page
    _fault(sim_env, "duplicate_page", HISTORY_PATH, count=1)
    _, result = _history(Settings(simulator_url=sim_env.root, assets=("BTC", "ETH")))
    assert [_data(r)[0]["instId"] for r in result.responses] == ["ETH-USDT-SWAP", "ETH-USDT-SWAP"]
    outcome = _land("funding_rate_history", result.responses, PAST_DAY)
    assert not outcome.passed and outcome.failures[0].startswith("duplicates: 1 keys")


def test_a_maintenance_gap_loads_what_the_venue_served(sim_env, settings):
    gap = {"start": (PAST_DAY.start + 7 * HOUR).isoformat(), "end": (PAST_DAY.start + 9 * HOUR).isoformat()}
    _fault(sim_env, "maintenance_gap", HISTORY_PATH, count=-1, options=gap)
    _, result = _history(settings)
    assert [len(_data(r)) for r in result.responses] == [2, 2, 2]  # 08:00 is missing; staging sees the gap
    assert _land("funding_rate_history", result.responses, PAST_DAY).passed


# --- rate limits ---------------------------------------------------------------------------------------------
def test_a_burst_stays_inside_the_documented_limit(sim_env, settings):
    client = _client(settings)
    days = [TimeWindow(PAST_DAY.start - k * DAY, PAST_DAY.end - k * DAY) for k in range(20)]
    for window in days:
        fetch_funding_history(client, "BTC-USDT-SWAP", window)
    summary = sim_env.requests_summary()
    assert summary["by_status"] == {"okx 200": 20} and summary["limit_violations"] == 0
    # 10 per 2 s documented, 9 spent per window: 20 requests cannot fit in two windows without waiting.
    assert REQUESTS_PER_WINDOW["funding-rate-history"] == 10
    assert client.budgets["funding-rate-history"].waited_seconds > 0


def test_a_tighter_venue_limit_is_waited_out_without_a_ban(sim_env, settings):
    sim_env.set_limits({"okx": {"funding-rate-history_limit": 2, "funding-rate-history_window_s": 2}})
    client = _client(settings, retry=RetryPolicy(max_attempts=8, base_delay=0.25, max_delay=2.0))
    days = [TimeWindow(PAST_DAY.start - k * DAY, PAST_DAY.end - k * DAY) for k in range(6)]
    started = time.monotonic()
    pages = [p for window in days for p in fetch_funding_history(client, "BTC-USDT-SWAP", window)]
    assert [len(_data(p)) for p in pages] == [3] * 6
    summary = sim_env.requests_summary()["by_status"]
    assert summary["okx 200"] == 6 and summary.get("okx 429", 0) >= 1 and "okx 418" not in summary
    assert {json.loads(f.response.payload)["code"] for f in client.failures} == {"50011"}
    assert time.monotonic() - started >= 2.0  # it waited for the venue's next windows
