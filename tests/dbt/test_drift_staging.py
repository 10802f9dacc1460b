"""The Drift staging models (market snapshots, hourly funding, hourly candles from 5-minute bars).

No Drift response is recorded anywhere public, so two sources are used: bodies built here in the Data API's wire
format with round numbers (the expected values are computed by hand in the comments), and one partition of each
dataset fetched from the simulator by our ingest code, which is checked against values recomputed here from the
raw JSON (and loaded twice, to check that a re-load adds nothing)."""

import json
from datetime import UTC, datetime, timedelta

import duckdb
import pytest

from ingest.config import Settings
from ingest.envelope import RawResponse
from ingest.registry import DATASETS, dataset, fetch_partition
from ingest.windows import TimeWindow
from tests.dbt.dbt_runner import run_dbt
from warehouse.load import load_partition
from warehouse.schema import ensure_bookkeeping, ensure_raw_table

MODELS = ["stg_drift__instruments", "stg_drift__market_snapshots", "stg_drift__funding_rates", "stg_drift__candles"]
HAND_FETCHED = datetime(2020, 1, 1, 10, 20, tzinfo=UTC)


def _raw(name: str, endpoint: str, body: dict, fetched_at: datetime = HAND_FETCHED) -> RawResponse:
    return RawResponse("drift", name, endpoint, {}, 200, fetched_at, json.dumps(body), 0, "live")


def _hand_built() -> dict[tuple[str, str], list[RawResponse]]:
    perp = {
        "symbol": "SOL-PERP",
        "marketIndex": 0,
        "marketType": "perp",
        "baseAsset": "SOL",
        "quoteAsset": "USDC",
        "status": "active",
        "oraclePrice": "150.000000",
        "markPrice": "150.300000",
        "openInterest": {"long": "100", "short": "-120"},
        # Percent per hour from each side: longs pay 0.00125 % an hour.
        "fundingRate": {"long": "-0.001250", "short": "0.001250"},
        "fundingRate24h": "0.001000",
        "fundingRateUpdateTs": int(datetime(2020, 1, 1, 10, 0, 20, tzinfo=UTC).timestamp()),
    }
    spot = {"symbol": "USDC", "marketIndex": 0, "marketType": "spot", "status": "active", "oraclePrice": "1.000000"}
    multiplied = {**perp, "symbol": "1MBONK-PERP", "baseAsset": "1MBONK", "marketIndex": 4, "oraclePrice": "25.000000"}
    markets = {"success": True, "markets": [spot, perp, multiplied]}
    funding = {
        "success": True,
        "records": [
            # 0.015 USDC per SOL for the hour at an oracle TWAP of 150: 0.0001 an hour. Landed 37 s after 10:00.
            {
                "ts": int(datetime(2020, 1, 1, 10, 0, 37, tzinfo=UTC).timestamp()),
                "txSig": "sig",
                "recordId": "1",
                "symbol": "SOL-PERP",
                "marketIndex": 0,
                "fundingRate": "0.015000000",
                "fundingRateLong": "0.015000000",
                "fundingRateShort": "0.015000000",
                "oraclePriceTwap": "150.000000",
                "markPriceTwap": "150.100000",
            }
        ],
        "meta": {"nextPage": None},
    }
    # 5-minute bars, newest first as Drift sends them: all 12 of 09:00 and 11 of 10:00 (incomplete).
    bars = []
    for i in range(23):
        t = datetime(2020, 1, 1, 9, tzinfo=UTC) + timedelta(minutes=5 * i)
        price = 100.0 + i
        bars.append(
            {
                "ts": int(t.timestamp()),
                "fillOpen": price,
                "fillHigh": price + 0.5,
                "fillLow": price - 0.25,
                "fillClose": price + 1,
                "oracleOpen": price,
                "oracleHigh": price,
                "oracleLow": price,
                "oracleClose": price + 0.9,
                "quoteVolume": 2.0 * price,
                "baseVolume": 2.0,
            }
        )
    candles = {"success": True, "records": list(reversed(bars))}
    return {
        ("markets", "hand-2020-01-01-10:00"): [_raw("markets", "/stats/markets", markets)],
        ("funding_rates", "hand-2020-01-01"): [
            _raw("funding_rates", "/market/SOL-PERP/fundingRates/2020/1/1", funding),
            # The legacy route's protocol integers (x1e9, x1e6) would be 1,000 times off: not read.
            _raw(
                "funding_rates",
                "/fundingRates",
                {
                    "fundingRates": [
                        {
                            "ts": "1577876400",
                            "symbol": "BTC-PERP",
                            "fundingRate": "15000000",
                            "oraclePriceTwap": "150000000",
                        }
                    ]
                },
            ),
        ],
        ("candles", "hand-2020-01-01"): [_raw("candles", "/market/SOL-PERP/candles/5", candles)],
    }


def _from_simulator(root: str) -> dict[tuple[str, str], list[RawResponse]]:
    settings = Settings(simulator_url=root)
    hour = datetime.now(UTC).replace(minute=0, second=0, microsecond=0)
    day = hour.replace(hour=0) - timedelta(days=1)
    out = {}
    for name, window in (
        ("markets", TimeWindow(hour, hour + timedelta(hours=1))),
        ("funding_rates", TimeWindow(day, day + timedelta(days=1))),
        ("candles", TimeWindow(day, day + timedelta(days=1))),
    ):
        result = fetch_partition(dataset("drift", name), settings, window)
        assert result.responses and not result.failures
        # The same answers under two partition keys: a re-load must not add rows.
        out[(name, f"sim-{window.start:%Y-%m-%d-%H}")] = result.responses
        out[(name, f"sim-again-{window.start:%Y-%m-%d-%H}")] = result.responses
    return out


@pytest.fixture(scope="module")
def drift(tmp_path_factory, simulator):
    tmp = tmp_path_factory.mktemp("drift_staging")
    warehouse = tmp / "w.duckdb"
    simulated = _from_simulator(simulator.root)
    con = duckdb.connect(str(warehouse))
    ensure_bookkeeping(con)
    for spec in DATASETS:
        ensure_raw_table(con, spec.venue, spec.dataset)
    for (name, key), responses in {**_hand_built(), **simulated}.items():
        load_partition(con, "drift", name, key, responses)
    con.close()
    results = run_dbt(["build", "--select", *MODELS], warehouse, tmp / "target")
    assert results["_returncode"] == 0, results["_stdout"][-3000:]
    con = duckdb.connect(str(warehouse), read_only=True)
    yield con, simulated
    con.close()


def _records(responses: list[RawResponse], key: str) -> list[tuple[str, dict]]:
    """(endpoint, record) of every record of some raw answers."""
    return [(r.endpoint, rec) for r in responses for rec in json.loads(r.payload)[key]]


def test_hand_built_market_snapshot(drift):
    con, _ = drift
    rows = con.execute(
        "select instrument, asset, is_primary, funding_rate, funding_interval_hours, funding_rate_8h, funding_apr, "
        "next_funding_at, mark_price, index_price, oi_coin, oi_usd, long_oi_usd, short_oi_usd, price, price_kind "
        "from staging.stg_drift__market_snapshots where observed_at = ? order by instrument",
        [HAND_FETCHED],
    ).fetchall()
    assert [r[:3] for r in rows] == [("1MBONK-PERP", "BONK", False), ("SOL-PERP", "SOL", True)]
    sol = rows[1]
    # 0.00125 % an hour = 1.25e-5 per hour; x 8 = 1e-4 per 8 h; x 8760 = 0.1095 a year.
    assert sol[3:7] == pytest.approx((1.25e-5, 1.0, 1e-4, 0.1095))
    assert sol[7] == datetime(2020, 1, 1, 11, tzinfo=UTC)
    # OI is the larger side: |short| 120 SOL at the oracle's 150 = 18,000 USD; longs 100 x 150 = 15,000 USD.
    assert sol[8:14] == pytest.approx((150.3, 150.0, 120.0, 18_000.0, 15_000.0, 18_000.0))
    assert sol[14:] == (150.0, "oracle")
    # A multiplied market is priced per 1M coins: its oracle stays out of the per-asset prices.
    assert rows[0][14] is None


def test_hand_built_funding_settlement(drift):
    con, _ = drift
    rows = con.execute(
        "select instrument, funding_at, settled_at, funding_rate, funding_interval_hours, funding_rate_8h, "
        "funding_apr from staging.stg_drift__funding_rates where funding_at < '2021-01-01'"
    ).fetchall()
    # Only the /market/... record: 0.015 / 150 = 1e-4 an hour, 8e-4 per 8 h, 0.876 a year.
    assert len(rows) == 1
    assert rows[0][:3] == (
        "SOL-PERP",
        datetime(2020, 1, 1, 10, tzinfo=UTC),
        datetime(2020, 1, 1, 10, 0, 37, tzinfo=UTC),
    )
    assert rows[0][3:] == pytest.approx((1e-4, 1.0, 8e-4, 0.876))


def test_hand_built_candles_roll_up_complete_hours_only(drift):
    con, _ = drift
    rows = con.execute(
        "select instrument, hour_at, open, high, low, close, volume_coin, volume_usd, oracle_close "
        "from staging.stg_drift__candles where hour_at < '2021-01-01'"
    ).fetchall()
    # 09:00-10:00: bars i = 0..11 at price 100 + i; open 100, close 111 + 1 = 112, high 111.5, low 99.75,
    # 12 x 2 = 24 SOL, quote 2 x (100 + ... + 111) = 2 x 1266 = 2532. 10:00 has 11 bars: left out.
    assert rows == [("SOL-PERP", datetime(2020, 1, 1, 9, tzinfo=UTC), 100.0, 111.5, 99.75, 112.0, 24.0, 2532.0, 111.9)]


def test_simulated_snapshot_matches_the_raw_answer(drift):
    con, simulated = drift
    responses = next(v for (name, key), v in simulated.items() if name == "markets")
    perps = {m["symbol"]: m for _, m in _records(responses, "markets") if m["marketType"] == "perp"}
    rows = con.execute(
        "select instrument, funding_rate, oi_coin, long_oi_usd, short_oi_usd, index_price, price "
        "from staging.stg_drift__market_snapshots where observed_at > '2021-01-01'"
    ).fetchall()
    assert sorted(r[0] for r in rows) == sorted(perps) == ["BTC-PERP", "ETH-PERP", "SOL-PERP"]
    for instrument, rate, oi, long_usd, short_usd, oracle, price in rows:
        m = perps[instrument]
        long_coin, short_coin = float(m["openInterest"]["long"]), -float(m["openInterest"]["short"])
        assert rate == pytest.approx(-float(m["fundingRate"]["long"]) / 100)
        assert abs(rate) < 0.001  # an hourly rate, as a fraction
        assert oi == pytest.approx(max(long_coin, short_coin))
        assert (long_usd, short_usd) == pytest.approx((long_coin * oracle, short_coin * oracle))
        assert price == oracle == float(m["oraclePrice"])


def test_simulated_funding_day_is_24_hourly_settlements(drift):
    con, simulated = drift
    responses = next(v for (name, key), v in simulated.items() if name == "funding_rates")
    expected = {
        (rec["symbol"], rec["ts"] // 3600 * 3600): float(rec["fundingRate"]) / float(rec["oraclePriceTwap"])
        for _, rec in _records(responses, "records")
    }
    rows = con.execute(
        "select instrument, epoch(funding_at)::bigint, funding_rate from staging.stg_drift__funding_rates "
        "where funding_at > '2021-01-01'"
    ).fetchall()
    assert len(rows) == len(expected) == 3 * 24  # three markets, one settlement per hour, loaded twice
    for instrument, hour, rate in rows:
        assert rate == pytest.approx(expected[(instrument, hour)], rel=1e-9)


def test_simulated_candles_are_24_complete_hours_per_market(drift):
    con, simulated = drift
    responses = next(v for (name, key), v in simulated.items() if name == "candles")
    volume: dict[tuple[str, int], float] = {}
    for endpoint, rec in _records(responses, "records"):
        key = (endpoint.split("/")[2], rec["ts"] // 3600 * 3600)
        volume[key] = volume.get(key, 0.0) + rec["baseVolume"]
    rows = con.execute(
        "select instrument, epoch(hour_at)::bigint, volume_coin, open, high, low, close "
        "from staging.stg_drift__candles where hour_at > '2021-01-01'"
    ).fetchall()
    assert len(rows) == 3 * 24
    for instrument, hour, coin, open_, high, low, close in rows:
        assert coin == pytest.approx(volume[(instrument, hour)])
        assert low <= min(open_, close) <= max(open_, close) <= high
