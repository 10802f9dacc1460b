"""The BitMEX staging models on partitions our ingest code fetched from the simulator (the current hour's
instrument and index snapshots, three days of funding and hourly bins), each loaded twice under two partition
keys, and checked against values recomputed from the raw JSON. Liquidations are a websocket stream: three days are
built with the simulator's own `liquidation` table messages from an in-process Market(seed=7) (the simulator's
default seed), whose events are the ground truth for the liquidated side and size."""

import json
from datetime import UTC, datetime, timedelta
from types import SimpleNamespace

import duckdb
import pytest

from ingest.config import Settings
from ingest.envelope import RawResponse
from ingest.registry import dataset, fetch_partition
from ingest.streams.loader import WS_STATUS
from ingest.windows import TimeWindow
from simulator import flow
from simulator.market import Market
from simulator.venues import bitmex as sim
from tests.dbt.dbt_runner import run_dbt
from warehouse.load import load_partition
from warehouse.schema import ensure_bookkeeping

HOURLY = ("instruments", "indices")
DAILY = ("funding_rates", "candles_1h")
WS_PATH = "/realtime?subscribe=liquidation"


def _ts(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def _liquidation_messages(start: datetime, end: datetime) -> tuple[list[RawResponse], list[flow.Liquidation]]:
    """An insert when each liquidation order appears and a delete when it fills, as simulator/venues/bitmex.py
    sends them, received one second after the event."""
    market = Market(seed=7)
    ctx = SimpleNamespace(market=market)
    events = sim._liquidations(ctx, start, end)
    messages = []
    for e in events:
        row = sim._liquidation_row(ctx, e)
        for action, data, delay in (
            ("insert", row, 1),
            ("delete", {"orderID": row["orderID"], "symbol": row["symbol"]}, 6),
        ):
            body = json.dumps({"table": "liquidation", "action": action, "data": [data]})
            received = e.time + timedelta(seconds=delay)
            messages.append(RawResponse("bitmex", "liquidations", WS_PATH, {}, WS_STATUS, received, body, 0))
    return [m.with_page(i) for i, m in enumerate(messages)], events


@pytest.fixture(scope="module")
def bitmex(tmp_path_factory, simulator):
    settings = Settings(simulator_url=simulator.root)
    hour = datetime.now(UTC).replace(minute=0, second=0, microsecond=0)
    # BitMEX liquidates a handful of orders a day in the simulator: three days give enough of both sides.
    days = [hour.replace(hour=0) - timedelta(days=n) for n in (3, 2, 1)]
    tmp = tmp_path_factory.mktemp("bitmex_sim")
    warehouse = tmp / "w.duckdb"
    con = duckdb.connect(str(warehouse))
    ensure_bookkeeping(con)
    raw: dict[str, list] = {}
    windows = [(name, TimeWindow(hour, hour + timedelta(hours=1))) for name in HOURLY]
    windows += [(name, TimeWindow(day, day + timedelta(1))) for name in DAILY for day in days]
    for name, window in windows:
        result = fetch_partition(dataset("bitmex", name), settings, window)
        assert result.responses and not result.failures, name
        raw.setdefault(name, []).extend(json.loads(r.payload) for r in result.responses)
        # The same answers under two partition keys: a re-load must not add rows.
        load_partition(con, "bitmex", name, f"sim-{window.start:%Y-%m-%d-%H}", result.responses)
        load_partition(con, "bitmex", name, f"sim-again-{window.start:%Y-%m-%d-%H}", result.responses)
    messages, events = _liquidation_messages(days[0], days[-1] + timedelta(1))
    load_partition(con, "bitmex", "liquidations", "sim-days", messages)
    load_partition(con, "bitmex", "liquidations", "sim-again", messages[:20])
    raw["events"] = events
    con.close()
    results = run_dbt(["build", "--select", "staging.bitmex"], warehouse, tmp / "target")
    assert results["_returncode"] == 0, results["_stdout"][-3000:]
    ro = duckdb.connect(str(warehouse), read_only=True)
    yield ro, raw
    ro.close()


def test_contract_snapshots_recomputed_from_the_answer(bitmex):
    con, raw = bitmex
    active = [r for body in raw["instruments"] for r in body]
    btc_index = next(r["indicativeSettlePrice"] for r in active if r["symbol"] == "XBTUSD")
    staged = {
        r[0]: r
        for r in con.execute(
            "select instrument, asset, is_primary, contract_type, funding_rate, funding_interval_hours, funding_apr, "
            "next_funding_at, mark_price, index_price, oi_coin, oi_usd, expiry_at "
            "from staging.stg_bitmex__contract_snapshots"
        ).fetchall()
    }
    assert sorted(staged) == sorted(r["symbol"] for r in active)
    assert {s for s, r in staged.items() if r[2]} == {"XBTUSD", "ETHUSD", "SOLUSD"}
    for r in active:
        s = staged[r["symbol"]]
        contracts, mark = r["openInterest"], r["markPrice"]
        if r["isQuanto"]:  # multiplier satoshi per 1.0 of price: coin = contracts x multiplier / 1e8 x BTC price
            coin = contracts * r["multiplier"] / 1e8 * btc_index
            assert s[10:12] == pytest.approx((coin, coin * mark))
            # openValue is computed at the unrounded mark: equal to a few parts per million.
            assert s[11] == pytest.approx(r["openValue"] / 1e8 * btc_index, rel=2e-5)
        else:  # inverse: 1 USD a contract
            assert s[10:12] == pytest.approx((contracts / mark, contracts))
        assert s[8:10] == (mark, r["indicativeSettlePrice"])
        if r["typ"] == "FFWCSX":
            assert s[3:8] == (
                "perpetual",
                r["fundingRate"],
                8.0,
                pytest.approx(r["fundingRate"] * 1095),
                _ts(r["fundingTimestamp"]),
            )
            assert s[7].hour in (4, 12, 20)
        else:
            assert s[3:8] == ("future", None, None, None, None) and s[12] == _ts(r["expiry"])


def test_index_prices_are_the_b_indices(bitmex):
    con, raw = bitmex
    indices = {r["rootSymbol"]: r for body in raw["indices"] for r in body}
    staged = con.execute(
        "select asset, observed_at, price, price_kind, instrument from staging.stg_bitmex__index_prices"
    ).fetchall()
    assert sorted(r[0] for r in staged) == ["BTC", "ETH", "SOL"]
    for asset, at, price, kind, instrument in staged:
        r = indices["XBT" if asset == "BTC" else asset]
        assert (instrument, at, price, kind) == (r["symbol"], _ts(r["timestamp"]), r["lastPrice"], "index")


def test_funding_days_are_three_8_hourly_settlements_per_perpetual(bitmex):
    con, raw = bitmex
    answered = {(r["symbol"], _ts(r["timestamp"])): r["fundingRate"] for body in raw["funding_rates"] for r in body}
    staged = con.execute(
        "select instrument, funding_at, funding_rate, funding_interval_hours, funding_rate_8h, funding_apr "
        "from staging.stg_bitmex__funding_rates"
    ).fetchall()
    assert len(staged) == len(answered) == 3 * 3 * 3  # perpetuals x settlements x days
    for instrument, at, rate, hours, rate_8h, apr in staged:
        assert at.hour in (4, 12, 20) and rate == answered[(instrument, at)]
        assert (hours, rate_8h, apr) == (8.0, rate, pytest.approx(rate * 1095))


def test_candles_start_an_hour_before_the_bitmex_stamp(bitmex):
    con, raw = bitmex
    answered = {(r["symbol"], _ts(r["timestamp"])): r for body in raw["candles_1h"] for r in body}
    staged = con.execute(
        "select instrument, hour_at, open, close, volume_coin, volume_usd, taker_buy_coin "
        "from staging.stg_bitmex__candles"
    ).fetchall()
    assert len(staged) == len(answered) == 3 * 24 * 3
    for instrument, hour_at, open_, close, coin, usd, taker in staged:
        r = answered[(instrument, hour_at + timedelta(hours=1))]  # the bin closing an hour after it opened
        assert (open_, close, coin, usd, taker) == (
            r["open"],
            r["close"],
            r["homeNotional"],
            r["foreignNotional"],
            None,
        )


def test_liquidations_side_is_the_opposite_of_the_order(bitmex):
    con, raw = bitmex
    events = raw["events"]
    staged = con.execute(
        "select instrument, liquidated_at, position_side, price, quantity_coin, size_usd, event_key "
        "from staging.stg_bitmex__liquidations"
    ).fetchall()
    assert len(staged) == len(events) >= 10
    market = Market(seed=7)
    # Each order was first received a second after the event.
    by_time = {(s[0], s[1] - timedelta(seconds=1)): s for s in staged}
    for e in events:
        instrument, _, side, price, coin, usd, _ = by_time[(e.symbol, e.time)]
        # The simulator's event knows the truth: a liquidated long sends a Sell order.
        assert side == ("long" if e.is_long else "short")
        spec = sim.SPECS[e.asset]
        assert price == pytest.approx(e.price, abs=spec.tick)
        contracts = sim._lots(spec, sim._contracts(spec, e.qty, e.price, market.price("BTC", e.time)))
        # Back to coin: contracts of 1 USD / price (XBTUSD), or x multiplier / 1e8 x the BTC price (quantos,
        # converted at the latest hourly BTC price before the event, so within a fraction of a percent).
        if e.asset == "BTC":
            assert coin == pytest.approx(contracts / price) and usd == pytest.approx(contracts)
        else:
            assert coin == pytest.approx(contracts * spec.multiplier / 1e8 * market.price("BTC", e.time), rel=0.02)
            assert usd == pytest.approx(coin * price)
    assert {s[2] for s in staged} == {"long", "short"}
