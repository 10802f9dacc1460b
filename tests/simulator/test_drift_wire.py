"""The simulator's Drift Data API answers, against Drift's documented and recorded behaviour, and
against the shared market they must agree with.

No Drift recording exists under ../shared/data. The shapes below are those of public recordings of the
same backend (a `/stats/markets` body and a `/market/{symbol}/fundingRates` page recorded in 2026), of the
Data API's own route tests (daily archive meta, candle records, validation errors) and of the legacy
`/fundingRates` documentation (drift-labs/v2-teacher `_data_api.md`).
"""

import base64
import json
import time
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import httpx
import pytest

from simulator.market import Market
from simulator.process import running_simulator

HOST = "data.api.drift.trade"
FROZEN = datetime(2026, 10, 3, 12, 34, 56, tzinfo=UTC)

PERP_ROW = {
    "symbol": "str",
    "marketIndex": "int",
    "marketType": "str",
    "uiStatus": "str",
    "baseAsset": "str",
    "quoteAsset": "str",
    "status": "str",
    "precision": "int",
    "limits": {"amount": {"max": "float", "min": "float"}, "leverage": {"max": "int", "min": "int"}},
    "fees": {"maker": "float", "taker": "float"},
    "oraclePrice": "str",
    "markPrice": "str",
    "baseVolume": "str",
    "quoteVolume": "str",
    "openInterest": {"long": "str", "short": "str"},
    "fundingRate": {"long": "str", "short": "str"},
    "fundingRate24h": "str",
    "fundingRateUpdateTs": "int",
    "price": "str",
    "priceChange24h": "str",
    "priceChange24hPercent": "str",
    "priceHigh": {"fill": "str", "oracle": "str"},
    "priceLow": {"fill": "str", "oracle": "str"},
}
SPOT_KEYS = {
    "symbol",
    "marketIndex",
    "marketType",
    "status",
    "precision",
    "limits",
    "oraclePrice",
    "baseVolume",
    "quoteVolume",
    "deposits",
    "borrows",
    "price",
    "priceChange24h",
    "priceChange24hPercent",
    "priceHigh",
    "priceLow",
}
RATE_FIELDS = (
    "fundingRate",
    "fundingRateLong",
    "fundingRateShort",
    "cumulativeFundingRateLong",
    "cumulativeFundingRateShort",
    "oraclePriceTwap",
    "markPriceTwap",
    "periodRevenue",
    "baseAssetAmountWithAmm",
    "baseAssetAmountWithUnsettledLp",
)
RECORD = {
    "ts": "int",
    "txSig": "str",
    "txSigIndex": "int",
    "slot": "int",
    "recordId": "str",
    "marketIndex": "int",
    "symbol": "str",
    **dict.fromkeys(RATE_FIELDS, "str"),
}
LEGACY_RECORD = {"txSig": "str", "slot": "int", "ts": "str", "recordId": "str", "marketIndex": "int"}
LEGACY_RECORD.update(dict.fromkeys(RATE_FIELDS, "str"))
CANDLE = {"ts": "int"} | {
    f"{kind}{part}": "float" for kind in ("fill", "oracle") for part in ("Open", "High", "Low", "Close")
}
CANDLE.update({"quoteVolume": "float", "baseVolume": "float"})


@pytest.fixture(scope="module")
def frozen():
    """A simulator whose clock stands still, so its answers can be checked number by number."""
    with running_simulator(now=FROZEN, limits={"drift": {"requests_limit": 100000}}, max_lifetime_s=300) as sim:
        yield sim


@pytest.fixture(scope="module")
def market():
    """The same seeded market in this process (values do not depend on the horizon)."""
    return Market(seed=7, horizon=FROZEN + timedelta(days=60))


def _get(sim, path, **params):
    return httpx.get(f"{sim.root}/{HOST}{path}", params=params, timeout=30)


def _shape(value):
    if isinstance(value, dict):
        return {k: _shape(v) for k, v in sorted(value.items())}
    if isinstance(value, list):
        return [_shape(value[0])] if value else []
    return type(value).__name__


def _hour(ts: int) -> datetime:
    return datetime.fromtimestamp(ts - ts % 3600, tz=UTC)


def test_stats_markets_has_the_recorded_shape(sim_env):
    body = _get(sim_env, "/stats/markets").json()
    assert list(body) == ["success", "markets"] and body["success"] is True
    perps = [m for m in body["markets"] if m["marketType"] == "perp"]
    spots = [m for m in body["markets"] if m["marketType"] == "spot"]
    assert [m["symbol"] for m in perps] == ["SOL-PERP", "BTC-PERP", "ETH-PERP"]
    assert [m["marketIndex"] for m in perps] == [0, 1, 2]
    assert [_shape(m) for m in perps] == [PERP_ROW] * 3
    assert [(m["symbol"], m["marketIndex"]) for m in spots] == [("USDC", 0), ("SOL", 1)]
    assert {frozenset(m) for m in spots} == {frozenset(SPOT_KEYS)}
    assert {m["quoteAsset"] for m in perps} == {"USDC"}


def test_funding_pages_have_the_recorded_shape(sim_env):
    page = _get(sim_env, "/market/BTC-PERP/fundingRates").json()
    assert list(page) == ["success", "records", "meta"] and page["success"] is True
    assert len(page["records"]) == 20 and isinstance(page["meta"]["nextPage"], str)
    assert all(_shape(r) == RECORD for r in page["records"])
    day = _get(sim_env, "/market/BTC-PERP/fundingRates/2026/10/3").json()
    assert set(day["meta"]) == {"records", "totalRecords", "currentPage", "totalPages", "nextPage"}
    assert _shape(day["records"][0]) == RECORD
    legacy = _get(sim_env, "/fundingRates", marketName="BTC-PERP").json()
    assert list(legacy) == ["fundingRates"]
    assert _shape(legacy["fundingRates"][0]) == LEGACY_RECORD
    candles = _get(sim_env, "/market/BTC-PERP/candles/60", limit=2).json()
    assert list(candles) == ["success", "records"] and _shape(candles["records"][0]) == CANDLE


def test_legacy_funding_is_protocol_integers_matching_the_market(frozen, market):
    rows = _get(frozen, "/fundingRates", marketName="SOL-PERP").json()["fundingRates"]
    assert len(rows) == 30 * 24  # the last 30 days, hourly
    stamps = [int(r["ts"]) for r in rows]
    assert stamps == sorted(stamps) and FROZEN.timestamp() - 30 * 86400 <= stamps[0]
    for r in rows[:: len(rows) // 12]:
        assert r["ts"].isdigit() and 0 < int(r["ts"]) % 3600 <= 60  # a keeper lands it within a minute
        per_hour = (int(r["fundingRate"]) / 1e9) / (int(r["oraclePriceTwap"]) / 1e6)
        assert per_hour == pytest.approx(market.settled_funding("drift", "SOL-PERP", _hour(int(r["ts"]))), abs=1e-10)
        assert int(r["oraclePriceTwap"]) / 1e6 == pytest.approx(market.price("SOL", _hour(int(r["ts"]))), rel=0.02)
    by_index = _get(frozen, "/fundingRates", marketIndex="0").json()
    assert by_index == {"fundingRates": rows}


def test_newer_routes_apply_each_precision(frozen):
    legacy = _get(frozen, "/fundingRates", marketName="ETH-PERP").json()["fundingRates"][-1]
    newest = _get(frozen, "/market/ETH-PERP/fundingRates", limit=1).json()["records"][0]
    assert newest["ts"] == int(legacy["ts"]) and newest["txSig"] == legacy["txSig"]
    scale = {"oraclePriceTwap": 6, "markPriceTwap": 6, "periodRevenue": 6}
    for field in RATE_FIELDS:
        places = scale.get(field, 9)
        assert len(newest[field].split(".")[1]) == places
        assert Decimal(newest[field]) == pytest.approx(Decimal(legacy[field]) / 10**places, abs=Decimal(10) ** -places)


def test_paging_is_newest_first_by_cursor_over_31_days(frozen):
    records, token, calls = [], None, 0
    while calls < 10:
        params = {"limit": 200} | ({"page": token} if token else {})
        body = _get(frozen, "/market/SOL-PERP/fundingRates", **params).json()
        records += body["records"]
        token, calls = body["meta"]["nextPage"], calls + 1
        if token is None:
            break
    stamps = [r["ts"] for r in records]
    assert token is None and stamps == sorted(stamps, reverse=True) and len(set(stamps)) == len(stamps)
    assert len(records) == 31 * 24 and FROZEN.timestamp() - 31 * 86400 <= stamps[-1]
    # The cursor is DynamoDB's last evaluated key: base64 JSON naming the market and the last record.
    first = _get(frozen, "/market/SOL-PERP/fundingRates").json()
    key = json.loads(base64.b64decode(first["meta"]["nextPage"]))
    assert key["pk"] == "MARKET#SOL-PERP" and key["sk"].startswith(f"FUNDING_RATE#TS#{first['records'][-1]['ts']}#")
    assert len(first["records"]) == 20


def test_daily_archive_is_oldest_first_and_deterministic(sim_env):
    path = "/market/SOL-PERP/fundingRates/2026/10/3"
    day = _get(sim_env, path).json()
    stamps = [r["ts"] for r in day["records"]]
    start = datetime(2026, 10, 3, tzinfo=UTC).timestamp()
    assert len(stamps) == 24 and stamps == sorted(stamps) and all(start <= t < start + 86400 for t in stamps)
    assert day["meta"] == {"records": 24, "totalRecords": 24, "currentPage": 1, "totalPages": 1, "nextPage": None}
    assert _get(sim_env, path).text == _get(sim_env, path).text
    future = _get(sim_env, "/market/SOL-PERP/fundingRates/2099/1/1").json()
    assert future["records"] == [] and future["meta"]["totalRecords"] == 0


def test_stats_markets_units_agree_with_the_market(frozen, market):
    body = _get(frozen, "/stats/markets").json()
    sol = next(m for m in body["markets"] if m["symbol"] == "SOL-PERP")
    rate, _ = market.current_funding("drift", "SOL-PERP", FROZEN)
    # Percent per hour, from each side's point of view: a positive rate means longs pay.
    assert float(sol["fundingRate"]["short"]) == pytest.approx(rate * 100, abs=1e-6)
    assert float(sol["fundingRate"]["long"]) == -float(sol["fundingRate"]["short"])
    long_oi, short_oi = float(sol["openInterest"]["long"]), float(sol["openInterest"]["short"])
    assert short_oi < 0 < long_oi
    assert max(long_oi, -short_oi) == pytest.approx(market.open_interest("drift", "SOL-PERP", FROZEN), rel=1e-6)
    assert float(sol["oraclePrice"]) == pytest.approx(market.price("SOL", FROZEN), abs=1e-6)
    assert float(sol["markPrice"]) == pytest.approx(market.mark_price("drift", "SOL-PERP", FROZEN), abs=1e-6)
    newest = _get(frozen, "/market/SOL-PERP/fundingRates", limit=24).json()["records"]
    assert sol["fundingRateUpdateTs"] == newest[0]["ts"]
    mean = sum(market.settled_funding("drift", "SOL-PERP", _hour(r["ts"])) for r in newest) / 24
    assert float(sol["fundingRate24h"]) == pytest.approx(mean * 100, abs=1e-6)


def test_candles_newest_first_with_the_backwards_window(frozen, market):
    body = _get(frozen, "/market/SOL-PERP/candles/60", limit=5).json()
    stamps = [c["ts"] for c in body["records"]]
    assert stamps == sorted(stamps, reverse=True) and all(t % 3600 == 0 for t in stamps)
    assert stamps[0] + 3600 <= FROZEN.timestamp() < stamps[0] + 7200  # closed candles only
    opened = datetime.fromtimestamp(stamps[1], tz=UTC)
    assert body["records"][1]["oracleOpen"] == pytest.approx(market.price("SOL", opened), abs=1e-6)
    # startTs is the newer bound and endTs the older one; the window is inclusive of candle starts.
    window = _get(frozen, "/market/SOL-PERP/candles/60", startTs=stamps[1], endTs=stamps[3]).json()["records"]
    assert [c["ts"] for c in window] == stamps[1:4]
    r = _get(frozen, "/market/SOL-PERP/candles/60", startTs=stamps[3], endTs=stamps[1])
    assert (r.status_code, r.json()) == (
        400,
        {"error": "ValidationError", "message": "Start timestamp must be after end timestamp"},
    )
    daily = _get(frozen, "/market/SOL-PERP/candles/D", limit=3).json()["records"]
    assert [c["ts"] % 86400 for c in daily] == [0, 0, 0]


@pytest.mark.parametrize(
    ("path", "params", "status", "body"),
    [
        ("/contracts", {}, 404, {"message": "Route GET:/contracts not found", "error": "Not Found", "statusCode": 404}),
        ("/fundingRates", {"marketName": "DOGE-PERP"}, 400, {"error": "ValidationError", "message": "Invalid market"}),
        ("/market/DOGE-PERP/fundingRates", {}, 400, {"error": "ValidationError", "message": "Invalid market"}),
        ("/fundingRates", {}, 400, {"error": "ValidationError", "message": "marketName or marketIndex is required"}),
        ("/market/SOL-PERP/fundingRates", {"page": "not-a-cursor"}, 400, None),
        ("/market/SOL-PERP/fundingRates", {"limit": "1001"}, 400, None),
        ("/market/SOL-PERP/fundingRates/2024/13/32", {}, 400, None),
        ("/market/SOL-PERP/candles/2", {}, 400, None),
        ("/market/SOL-PERP/candles/60", {"startTs": "yesterday"}, 400, None),
    ],
)
def test_errors_use_drift_bodies(sim_env, path, params, status, body):
    r = _get(sim_env, path, **params)
    assert r.status_code == status
    if body is not None:
        assert r.json() == body
    else:
        assert r.json()["error"] in ("Bad Request", "ValidationError") and r.json()["message"]


def test_over_budget_answers_429_without_retry_after_until_the_client_backs_off(sim_env):
    sim_env.set_limits({"drift": {"requests_limit": 2, "window_s": 1, "ban_after_strikes": 2, "ban_seconds": 30}})
    time.sleep(1 - time.time() % 1 + 0.02)  # start the burst at the start of a window
    codes = [_get(sim_env, "/market/SOL-PERP/candles/1", limit=1).status_code for _ in range(5)]
    assert codes == [200, 200, 429, 429, 429]
    r = _get(sim_env, "/stats/markets")
    assert r.status_code == 429 and r.json() == {"message": "Too Many Requests"}
    assert r.headers["x-amzn-ErrorType"] == "TooManyRequestsException" and "Retry-After" not in r.headers
    # Calling through the 429s kept the client refused after its window reset: only backing off helps.
    time.sleep(1.1)
    assert _get(sim_env, "/market/SOL-PERP/candles/1", limit=1).status_code == 429


def test_delisted_fault_answers_the_unknown_market_error(sim_env):
    fault = {"kind": "delisted", "venue": "drift", "path": "/fundingRates", "options": {"symbol": "SOL-PERP"}}
    httpx.post(f"{sim_env.root}/_sim/faults", json=fault, timeout=10).raise_for_status()
    assert _get(sim_env, "/fundingRates", marketName="BTC-PERP").status_code == 200
    r = _get(sim_env, "/fundingRates", marketName="SOL-PERP")
    assert (r.status_code, r.json()) == (400, {"error": "ValidationError", "message": "Invalid market"})
    assert _get(sim_env, "/fundingRates", marketName="SOL-PERP").status_code == 200
