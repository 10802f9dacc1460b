"""The simulator's dYdX v4 indexer answers against the real responses nautilus_trader recorded (2025-12-08) and
the indexer's own code: string numbers, newest-first pages with inclusive cursors, block heights, express-validator
error lists, the per-IP limit and the delisted fault."""

import json
import time
from datetime import UTC, datetime, timedelta

import httpx
import pytest

from tests.conftest import shared_data

NAUTILUS = "nautechsystems__nautilus_trader/crates/adapters/dydx/test_data"
TICKER_MSG = "ticker must be a valid ticker (BTC-USD, etc)"
PAST = "2026-01-02T00:00:00.000Z"


def _get(sim, path, **params):
    return httpx.get(f"{sim.root}/indexer.dydx.trade/v4{path}", params=params, timeout=10)


def _shape(value):
    """Keys, value types and nesting of a JSON value (what a parser depends on)."""
    if isinstance(value, dict):
        return {k: _shape(v) for k, v in sorted(value.items())}
    if isinstance(value, list):
        return [_shape(value[0])] if value else []
    return type(value).__name__


def _recorded(name: str):
    """The body of a recording (nautilus wraps each in its own requestId/status/result envelope)."""
    return json.loads(shared_data(f"{NAUTILUS}/{name}").read_text())["result"]


def _iso(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


# --- shapes against the recordings -----------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("fixture", "path", "params"),
    [
        ("http_get_perpetual_markets.json", "/perpetualMarkets", {}),
        ("http_get_historical_funding.json", "/historicalFunding/BTC-USD", {"limit": 3}),
        ("http_get_candles.json", "/candles/perpetualMarkets/BTC-USD", {"resolution": "1MIN", "limit": 3}),
        ("http_get_trades.json", "/trades/perpetualMarket/BTC-USD", {"limit": 3}),
        ("http_get_time.json", "/time", {}),
        ("http_get_block_height.json", "/height", {}),
    ],
)
def test_response_shape_matches_the_real_recording(sim_env, fixture, path, params):
    ours = _get(sim_env, path, **params).json()
    assert _shape(ours) == _shape(_recorded(fixture))


def test_markets_are_the_recorded_tickers_with_their_static_parameters(sim_env):
    real = _recorded("http_get_perpetual_markets.json")["markets"]
    ours = _get(sim_env, "/perpetualMarkets").json()["markets"]
    assert set(ours) == set(real)
    static = ("clobPairId", "atomicResolution", "tickSize", "stepSize", "initialMarginFraction", "subticksPerTick")
    for ticker, market in ours.items():
        assert {k: market[k] for k in static} == {k: real[ticker][k] for k in static}
        assert market["status"] == "ACTIVE" and market["marketType"] == "CROSS"


# --- values and units ----------------------------------------------------------------------------------------------
def test_numbers_are_decimal_strings_and_open_interest_is_base_coin(sim_env):
    btc = _get(sim_env, "/perpetualMarkets", ticker="BTC-USD").json()["markets"]
    assert list(btc) == ["BTC-USD"]
    m = btc["BTC-USD"]
    for key in ("oraclePrice", "nextFundingRate", "openInterest", "volume24H", "priceChange24H"):
        assert isinstance(m[key], str) and "e" not in m[key].lower()
        float(m[key])
    assert isinstance(m["trades24H"], int)
    assert 10_000 < float(m["oraclePrice"]) < 1_000_000
    assert float(m["openInterest"]) * float(m["oraclePrice"]) > 1e6  # base coin (BTC), not USD or contracts
    assert len(m["openInterest"].split(".")[-1]) <= 4  # on the 0.0001 step


def test_funding_is_hourly_newest_first_on_block_heights(sim_env):
    rows = _get(sim_env, "/historicalFunding/ETH-USD", limit=5).json()["historicalFunding"]
    times = [_iso(r["effectiveAt"]) for r in rows]
    assert all(a - b == timedelta(hours=1) for a, b in zip(times, times[1:], strict=False))
    assert times[0] <= datetime.now(UTC) < times[0] + timedelta(hours=1, seconds=1)
    heights = [int(r["effectiveAtHeight"]) for r in rows]
    assert all(a - b == 3600 for a, b in zip(heights, heights[1:], strict=False))  # about one block a second
    for r in rows:
        assert r["ticker"] == "ETH-USD" and "e" not in r["rate"] and abs(float(r["rate"])) < 0.005  # 1 h rate
        assert _iso(r["effectiveAt"]).minute == 0


def test_funding_pages_by_inclusive_cursor_and_answers_the_past_identically(sim_env):
    first = _get(sim_env, "/historicalFunding/BTC-USD", limit=3, effectiveBeforeOrAt=PAST).json()
    again = _get(sim_env, "/historicalFunding/BTC-USD", limit=3, effectiveBeforeOrAt=PAST).json()
    assert first == again
    rows = first["historicalFunding"]
    assert rows[0]["effectiveAt"] < PAST
    oldest = rows[-1]
    older = _get(sim_env, "/historicalFunding/BTC-USD", limit=3, effectiveBeforeOrAt=oldest["effectiveAt"]).json()
    assert older["historicalFunding"][0] == oldest  # the cursor is inclusive: the boundary row repeats
    by_height = _get(
        sim_env, "/historicalFunding/BTC-USD", limit=1, effectiveBeforeOrAtHeight=int(oldest["effectiveAtHeight"]) - 1
    ).json()
    assert by_height["historicalFunding"][0] == older["historicalFunding"][1]


def test_default_page_is_the_api_limit_of_1000(sim_env):
    rows = _get(sim_env, "/historicalFunding/SOL-USD", effectiveBeforeOrAt=PAST).json()["historicalFunding"]
    assert len(rows) == 1000


def test_height_and_time_agree(sim_env):
    height = _get(sim_env, "/height").json()
    clock = _get(sim_env, "/time").json()
    assert isinstance(height["height"], str) and int(height["height"]) > 66_622_979
    assert abs(_iso(clock["iso"]).timestamp() - clock["epoch"]) < 0.001
    assert 0 <= _iso(clock["iso"]).timestamp() - _iso(height["time"]).timestamp() < 5


def test_candles_newest_first_within_inclusive_bounds(sim_env):
    body = _get(
        sim_env,
        "/candles/perpetualMarkets/SOL-USD",
        resolution="4HOURS",
        fromISO="2026-01-01T00:00:00Z",
        toISO="2026-01-02T00:00:00Z",
    ).json()
    starts = [c["startedAt"] for c in body["candles"]]
    assert starts[0] == "2026-01-02T00:00:00.000Z" and starts[-1] == "2026-01-01T00:00:00.000Z" and len(starts) == 7
    c = body["candles"][1]
    assert c["resolution"] == "4HOURS" and c["ticker"] == "SOL-USD"
    assert float(c["low"]) <= float(c["open"]) <= float(c["high"]) and float(c["low"]) <= float(c["close"])
    assert float(c["usdVolume"]) == pytest.approx(float(c["baseTokenVolume"]) * float(c["close"]), rel=0.05)
    latest = _get(sim_env, "/candles/perpetualMarkets/BTC-USD", resolution="1HOUR", limit=2).json()["candles"]
    assert _iso(latest[0]["startedAt"]) <= datetime.now(UTC) < _iso(latest[0]["startedAt"]) + timedelta(hours=1)


def test_trades_newest_first_with_liquidations_during_the_cascade(sim_env):
    """The scripted BTC long squeeze liquidates longs on dYdX too: they show as LIQUIDATED (or DELEVERAGED)."""
    episodes = httpx.get(f"{sim_env.root}/_sim/episodes", timeout=10).json()
    squeeze = next(e for e in episodes if e["name"] == "long_squeeze" and e["asset"] == "BTC")
    cascade = next(p for p in squeeze["phases"] if p["name"] == "cascade")
    trades = _get(sim_env, "/trades/perpetualMarket/BTC-USD", createdBeforeOrAt=cascade["end"]).json()["trades"]
    assert len(trades) == 1000
    heights = [int(t["createdAtHeight"]) for t in trades]
    assert heights == sorted(heights, reverse=True)
    assert {t["type"] for t in trades} <= {"LIMIT", "LIQUIDATED", "DELEVERAGED"}
    forced = [t for t in trades if t["type"] != "LIMIT" and t["createdAt"] >= cascade["start"][:19]]
    assert forced and all(t["side"] == "SELL" for t in forced)  # liquidated longs sell
    for t in trades[:20]:
        assert int(t["id"][:8], 16) == int(t["createdAtHeight"])  # the event id starts with the block height
        assert t["side"] in ("BUY", "SELL") and float(t["size"]) > 0


def test_trades_page_by_inclusive_time_and_by_height(sim_env):
    page = _get(sim_env, "/trades/perpetualMarket/ETH-USD", limit=5, createdBeforeOrAt=PAST).json()["trades"]
    assert page[0]["createdAt"] <= PAST
    older = _get(sim_env, "/trades/perpetualMarket/ETH-USD", limit=5, createdBeforeOrAt=page[-1]["createdAt"]).json()
    assert older["trades"][0] == page[-1]  # the block of the cursor is served again
    lower = int(page[-1]["createdAtHeight"]) - 1
    by_height = _get(sim_env, "/trades/perpetualMarket/ETH-USD", limit=5, createdBeforeOrAtHeight=lower).json()
    assert all(int(t["createdAtHeight"]) <= lower for t in by_height["trades"])


# --- errors, limits, faults ------------------------------------------------------------------------------------------
def test_validation_errors_list_every_bad_parameter(sim_env):
    r = _get(sim_env, "/historicalFunding/DOGE-USD", limit=1001)
    assert r.status_code == 400
    assert r.json() == {
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
    r = _get(sim_env, "/candles/perpetualMarkets/BTC-USD")
    assert r.status_code == 400 and "value" not in r.json()["errors"][0]  # a missing parameter has no value
    assert r.json()["errors"][0]["msg"].startswith("resolution must be a valid Candle Resolution, one of 1MIN,")
    r = _get(sim_env, "/trades/perpetualMarket/BTC-USD", createdBeforeOrAtHeight="-5")
    assert r.json()["errors"][0]["msg"] == "createdBeforeOrAtHeight must be a non-negative integer"
    r = _get(sim_env, "/perpetualMarkets", ticker="BTC-USD", market="ETH-USD")
    assert r.status_code == 400 and r.json() == {"errors": [{"msg": "Only one of ticker or market may be provided"}]}


def test_rate_limit_answers_429_with_retry_after_in_milliseconds(sim_env):
    sim_env.set_limits({"dydx": {"limit": 2, "window_s": 5}})
    ok = [_get(sim_env, "/time") for _ in range(2)]
    assert [r.status_code for r in ok] == [200, 200]
    assert ok[0].headers["RateLimit-Limit"] == "2" and ok[1].headers["RateLimit-Remaining"] == "0"
    r = _get(sim_env, "/time")
    assert r.status_code == 429 and r.json() == {"errors": [{"msg": "Too many requests"}]}
    assert 1000 < int(r.headers["Retry-After"]) <= 5000  # milliseconds, as comlink sends them
    assert 0 < int(r.headers["RateLimit-Reset"]) - time.time() * 1000 <= 5000
    assert r.headers["RateLimit-Remaining"] == "0"


def test_delisted_fault_answers_with_the_ticker_validation_error(sim_env):
    fault = {"kind": "delisted", "venue": "dydx", "path": "/v4/perpetualMarkets", "options": {"symbol": "BTC-USD"}}
    httpx.post(f"{sim_env.root}/_sim/faults", json=fault, timeout=10).raise_for_status()
    r = _get(sim_env, "/perpetualMarkets", ticker="BTC-USD")
    assert r.status_code == 400
    assert r.json() == {"errors": [{"value": "BTC-USD", "msg": TICKER_MSG, "param": "ticker", "location": "query"}]}
    # Path tickers: fault matching sees query parameters only, so this fault names no symbol.
    fault = {"kind": "delisted", "venue": "dydx", "path": "/v4/historicalFunding/{ticker}"}
    httpx.post(f"{sim_env.root}/_sim/faults", json=fault, timeout=10).raise_for_status()
    r = _get(sim_env, "/historicalFunding/SOL-USD")
    assert r.json() == {"errors": [{"value": "SOL-USD", "msg": TICKER_MSG, "param": "ticker", "location": "params"}]}
    assert _get(sim_env, "/historicalFunding/SOL-USD", limit=1).status_code == 200
