"""The simulator's GMX v2 (Arbitrum oracle REST API) answers, against GMX's documented and recorded
behaviour, and against the shared market they must agree with.

No GMX recording exists under ../shared/data; the shapes below come from public ones: the
/markets/info example in reference/exchange_api.md section 7 (with the documented field list) and a
recorded /prices/tickers body (2024), to which the reference adds `timestamp` in seconds.
"""

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import httpx
import pytest

from simulator.market import Market
from simulator.process import running_simulator
from simulator.venues.gmx import checksum_address, keccak256

HOST = "arbitrum-api.gmxinfra.io"
FROZEN = datetime(2026, 10, 3, 12, 34, 56, tzinfo=UTC)
DECIMALS = {"BTC": 8, "WBTC": 8, "ETH": 18, "SOL": 9, "USDC": 6}
ASSET_OF = {"BTC": "BTC", "WBTC": "BTC", "ETH": "ETH", "SOL": "SOL"}

INFO_ROW = {
    "name": "str",
    "marketToken": "str",
    "indexToken": "str",
    "longToken": "str",
    "shortToken": "str",
    "isListed": "bool",
    "listingDate": "str",
    "isDisabled": "bool",
    **{
        f"{field}{side}": "str"
        for field in (
            "openInterest",
            "availableLiquidity",
            "poolAmount",
            "fundingRate",
            "borrowingRate",
            "netRate",
        )
        for side in ("Long", "Short")
    },
}
TICKER = {
    "tokenAddress": "str",
    "tokenSymbol": "str",
    "minPrice": "str",
    "maxPrice": "str",
    "updatedAt": "int",
    "timestamp": "int",
}


@pytest.fixture(scope="module")
def frozen():
    """A simulator whose clock stands still, so its answers can be checked number by number."""
    with running_simulator(now=FROZEN, max_lifetime_s=300) as sim:
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


def _usd(x30: str) -> float:
    return float(Decimal(x30) / Decimal(10) ** 30)


def test_info_and_tickers_have_the_documented_shape(sim_env):
    info = _get(sim_env, "/markets/info").json()
    assert list(info) == ["markets"]
    assert [_shape(row) for row in info["markets"]] == [INFO_ROW] * 3
    tickers = _get(sim_env, "/prices/tickers").json()
    assert isinstance(tickers, list)  # no envelope, unlike /markets and /markets/info
    assert all(_shape(t) == TICKER for t in tickers)
    catalogue = _get(sim_env, "/markets").json()["markets"]
    assert [set(row) for row in catalogue] == [
        {"marketToken", "indexToken", "longToken", "shortToken", "isListed", "listingDate"}
    ] * 3


def test_names_and_addresses_are_stable_checksummed_and_shared(sim_env):
    # EIP-55 needs Ethereum's Keccak-256: check it on its published vectors first.
    assert keccak256(b"").hex() == "c5d2460186f7233c927e7db2dcc703c0e500b653ca82273b7bfad8045d85a470"
    assert checksum_address("5aaeb6053f3e94c9b9a09f33669435e7ef1beaed") == "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed"
    info = _get(sim_env, "/markets/info").json()["markets"]
    assert [r["name"] for r in info] == ["BTC/USD [WBTC-USDC]", "ETH/USD [WETH-USDC]", "SOL/USD [SOL-USDC]"]
    catalogue = _get(sim_env, "/markets").json()["markets"]
    assert [c["marketToken"] for c in catalogue] == [r["marketToken"] for r in info]
    tickers = {t["tokenSymbol"]: t["tokenAddress"] for t in _get(sim_env, "/prices/tickers").json()}
    assert set(tickers) == set(DECIMALS)
    eth = info[1]
    assert eth["indexToken"] == eth["longToken"] == tickers["ETH"]  # WETH is ETH in the oracle's list
    assert info[0]["indexToken"] == tickers["BTC"] and info[0]["longToken"] == tickers["WBTC"]
    assert {r["shortToken"] for r in info} == {tickers["USDC"]}
    for address in [*tickers.values(), *(r["marketToken"] for r in info)]:
        assert len(address) == 42 and checksum_address(address[2:].lower()) == address
    assert _get(sim_env, "/markets").json()["markets"] == catalogue  # stable across calls


def test_open_interest_and_rates_come_from_the_shared_market(frozen, market):
    rows = _get(frozen, "/markets/info").json()["markets"]
    for row in rows:
        oi_long, oi_short = market.gmx_open_interest_usd(row["name"], FROZEN)
        assert _usd(row["openInterestLong"]) == pytest.approx(oi_long, rel=1e-12)
        assert _usd(row["openInterestShort"]) == pytest.approx(oi_short, rel=1e-12)
        rates = market.gmx_rates(row["name"], FROZEN)
        # Annualised fractions x 1e30: positive funding is received, borrowing is a cost.
        assert _usd(row["fundingRateLong"]) == pytest.approx(rates["funding_long"], rel=1e-12)
        assert _usd(row["fundingRateShort"]) == pytest.approx(rates["funding_short"], rel=1e-12)
        assert _usd(row["borrowingRateLong"]) == pytest.approx(rates["borrowing_long"], rel=1e-12)
        for side in ("Long", "Short"):
            net = _usd(row[f"fundingRate{side}"]) - _usd(row[f"borrowingRate{side}"])
            assert _usd(row[f"netRate{side}"]) == pytest.approx(net, rel=1e-9)
            assert _usd(row[f"availableLiquidity{side}"]) > 0
        # The larger side pays funding, the smaller receives.
        assert (_usd(row["fundingRateLong"]) < 0) == (oi_long > oi_short)
    assert _get(frozen, "/markets/info").text == _get(frozen, "/markets/info").text


def test_ticker_prices_are_scaled_by_token_decimals(frozen, market):
    now_ms = int(FROZEN.timestamp() * 1000)
    for t in _get(frozen, "/prices/tickers").json():
        scale = 10 ** (30 - DECIMALS[t["tokenSymbol"]])
        low, high = int(t["minPrice"]) / scale, int(t["maxPrice"]) / scale
        asset = ASSET_OF.get(t["tokenSymbol"])
        mid = market.price(asset, FROZEN) if asset else 1.0
        assert low < mid < high and high / low - 1 < 0.0005
        assert now_ms - 2000 < t["updatedAt"] <= now_ms and t["timestamp"] == t["updatedAt"] // 1000


def test_candles_newest_first_aligned_and_from_the_index_price(frozen, market):
    body = _get(frozen, "/prices/candles", tokenSymbol="SOL", period="1h", limit=5).json()
    assert body["period"] == "1h" and len(body["candles"]) == 5
    times = [c[0] for c in body["candles"]]
    assert times == sorted(times, reverse=True) and all(t % 3600 == 0 for t in times)
    assert times[0] <= FROZEN.timestamp() < times[0] + 3600  # the forming candle comes first
    forming, last_closed = body["candles"][0], body["candles"][1]
    assert forming[4] == pytest.approx(market.price("SOL", FROZEN), abs=1e-4)
    assert last_closed[4] == forming[1]  # one candle closes where the next opens
    opened = datetime.fromtimestamp(last_closed[0], tz=UTC)
    assert last_closed[1] == pytest.approx(market.price("SOL", opened), abs=1e-4)
    assert (
        last_closed[3] <= min(last_closed[1], last_closed[4]) <= max(last_closed[1], last_closed[4]) <= last_closed[2]
    )
    again = _get(frozen, "/prices/candles", tokenSymbol="SOL", period="1h", limit=5).json()
    assert again == body
    daily = _get(frozen, "/prices/candles", tokenSymbol="BTC", period="1d").json()["candles"]
    assert len(daily) == 1000 and all(c[0] % 86400 == 0 for c in daily)


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"period": "1h"}, "tokenSymbol is required"),
        ({"tokenSymbol": "DOGE", "period": "1h"}, "unsupported tokenSymbol"),
        ({"tokenSymbol": "ETH", "period": "2h"}, "period must be one of 1m, 5m, 15m, 1h, 4h, 1d"),
        ({"tokenSymbol": "ETH", "period": "1h", "limit": "0"}, "limit must be an integer from 1 to 10000"),
        ({"tokenSymbol": "ETH", "period": "1h", "limit": "10001"}, "limit must be an integer from 1 to 10000"),
    ],
)
def test_candle_errors(sim_env, params, message):
    r = _get(sim_env, "/prices/candles", **params)
    assert r.status_code == 400 and r.json() == {"errors": [message]}


def test_over_budget_answers_a_plain_429_and_never_bans(sim_env):
    sim_env.set_limits({"gmx": {"requests_limit": 3, "window_s": 600}})
    codes = [_get(sim_env, "/prices/tickers").status_code for _ in range(8)]
    assert codes == [200] * 3 + [429] * 5  # no 418 ban, however long the client keeps calling
    r = _get(sim_env, "/markets/info")
    assert (r.status_code, r.text) == (429, "Too Many Requests")
    assert r.headers["content-type"].startswith("text/plain")
    assert 1 <= int(r.headers["Retry-After"]) <= 600
    assert sim_env.requests_summary()["by_status"]["gmx 429"] == 6


def test_delisted_fault_answers_the_unknown_token_error(sim_env):
    fault = {"kind": "delisted", "venue": "gmx", "path": "/prices/candles", "options": {"symbol": "ETH"}}
    httpx.post(f"{sim_env.root}/_sim/faults", json=fault, timeout=10).raise_for_status()
    assert _get(sim_env, "/prices/candles", tokenSymbol="BTC", period="1h", limit=1).status_code == 200
    r = _get(sim_env, "/prices/candles", tokenSymbol="ETH", period="1h", limit=1)
    assert (r.status_code, r.json()) == (400, {"errors": ["unsupported tokenSymbol"]})
    assert _get(sim_env, "/prices/candles", tokenSymbol="ETH", period="1h", limit=1).status_code == 200
