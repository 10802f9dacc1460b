"""The dYdX v4 staging models on every dYdX dataset fetched from the simulator (a day of history and the current
hour's market snapshot), checked against the simulator's ground truth (an in-process Market(seed=7)) and for
duplicates when pages overlap or a day is loaded twice."""

import hashlib
import json
from datetime import UTC, datetime, timedelta

import duckdb
import pytest

from ingest.config import Settings
from ingest.ratelimit import reset_shared
from ingest.registry import dataset, fetch_partition
from ingest.windows import TimeWindow
from simulator import flow
from simulator.market import Market
from simulator.venues.dydx import block_time, first_block_from
from tests.dbt.dbt_runner import run_dbt
from warehouse.load import load_partition
from warehouse.schema import ensure_bookkeeping, ensure_raw_table

DAY = TimeWindow(datetime(2026, 11, 10, tzinfo=UTC), datetime(2026, 11, 11, tzinfo=UTC))
TICKERS = ("BTC-USD", "ETH-USD", "SOL-USD")


@pytest.fixture(scope="module")
def market():
    return Market(seed=7)


@pytest.fixture(scope="module")
def fetched(simulator):
    simulator.reset()
    simulator.set_limits({})
    reset_shared()
    settings = Settings(assets=("BTC", "ETH", "SOL"), simulator_url=simulator.root)
    now = datetime.now(UTC).replace(minute=0, second=0, microsecond=0)
    out = {
        "perpetual_markets": fetch_partition(
            dataset("dydx", "perpetual_markets"), settings, TimeWindow(now, now + timedelta(hours=1))
        ).responses
    }
    for name in ("funding_rates", "candles_1h", "trades"):
        out[name] = fetch_partition(dataset("dydx", name), settings, DAY).responses
    return out


@pytest.fixture(scope="module")
def staged(fetched, tmp_path_factory):
    tmp = tmp_path_factory.mktemp("dydx_sim")
    warehouse = tmp / "w.duckdb"
    con = duckdb.connect(str(warehouse))
    ensure_bookkeeping(con)
    for name, responses in fetched.items():
        ensure_raw_table(con, "dydx", name)
        load_partition(con, "dydx", name, "p1", responses)
        load_partition(con, "dydx", name, "p2", responses)  # the same answers again: no row may come twice
    con.close()
    results = run_dbt(["build", "--select", "staging.dydx"], warehouse, tmp / "target")
    assert results["_returncode"] == 0, results["_stdout"][-3000:]
    with duckdb.connect(str(warehouse), read_only=True) as ro:
        yield ro


def test_market_snapshot_units(staged, fetched, market):
    raw = json.loads(fetched["perpetual_markets"][0].payload)["markets"]
    rows = staged.execute(
        "select instrument, asset, observed_at, price, oi_coin, oi_usd, funding_rate, next_funding_at "
        "from staging.stg_dydx__market_snapshots order by instrument"
    ).fetchall()
    assert [r[0] for r in rows] == list(TICKERS)
    for ticker, asset, at, price, oi_coin, oi_usd, rate, next_at in rows:
        assert price == float(raw[ticker]["oraclePrice"]) == pytest.approx(market.price(asset, at), rel=0.002)
        assert oi_coin == float(raw[ticker]["openInterest"])
        assert oi_usd == pytest.approx(oi_coin * price)
        assert oi_coin == pytest.approx(market.open_interest("dydx", ticker, at), rel=0.01)
        assert rate == float(raw[ticker]["nextFundingRate"])
        assert next_at == at.replace(minute=0, second=0, microsecond=0) + timedelta(hours=1)


def test_funding_is_the_markets_hourly_settlement(staged, market):
    rows = staged.execute(
        "select instrument, funding_at, effective_at, funding_rate, funding_apr from staging.stg_dydx__funding_rates"
    ).fetchall()
    assert len(rows) == 72  # 24 settlements per market, once each although loaded twice
    for ticker, at, effective_at, rate, apr in rows:
        assert at.minute == 0 and timedelta(0) <= effective_at - at < timedelta(seconds=2)
        assert rate == pytest.approx(market.settled_funding("dydx", ticker, at), abs=1e-12)
        assert apr == pytest.approx(rate * 8760)


def test_candles_and_open_interest_history(staged, market):
    rows = staged.execute(
        "select instrument, hour_at, observed_at, open, close, volume_coin, oi_coin, oi_usd, oi_source, is_complete "
        "from staging.stg_dydx__candles where instrument = 'BTC-USD' order by hour_at"
    ).fetchall()
    assert [r[1] for r in rows] == [DAY.start + timedelta(hours=h) for h in range(24)]
    truth = flow.candles(market, "dydx", "BTC-USD", 60, DAY.start, DAY.end)
    for row, candle in zip(rows, truth, strict=True):
        _, hour_at, observed_at, open_, close, volume, oi_coin, oi_usd, source, complete = row
        assert observed_at == hour_at and source == "history" and complete
        assert close == pytest.approx(candle.close, abs=1) and volume == pytest.approx(candle.volume, abs=0.0001)
        assert oi_coin == pytest.approx(candle.open_interest, abs=0.0001)
        assert oi_usd == pytest.approx(oi_coin * open_)


def test_liquidations_side_from_the_liquidation_orders(staged, market):
    events = dict(
        staged.execute(
            "select event_key, position_side from staging.stg_dydx__liquidations where instrument = 'BTC-USD'"
        ).fetchall()
    )
    tape = flow.trades(market, "dydx", "BTC-USD", DAY.start - timedelta(hours=1), DAY.end)
    forced = [t for t in tape if t.liquidation and DAY.contains(block_time(first_block_from(t.time)))]
    assert forced
    for t in forced:
        # The indexer's id: block height, transaction index 2, an event index (as the simulator numbers fills).
        event = int.from_bytes(hashlib.sha256(t.trade_id.encode()).digest()[:2], "big")
        key = f"BTC-USD:{first_block_from(t.time):08x}{2:08x}{event:08x}"
        # The liquidation order is the taker: selling closes a long.
        assert events[key] == ("short" if t.taker_buy else "long")
    sizes = staged.execute(
        "select count(*) filter (where abs(size_usd - price * quantity_coin) > 1e-6 or quantity_coin <= 0) "
        "from staging.stg_dydx__liquidations"
    ).fetchone()[0]
    assert sizes == 0
