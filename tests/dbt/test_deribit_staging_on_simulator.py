"""The Deribit staging models on every Deribit dataset fetched from the simulator (the ingest code, a day of history
and the current hour's snapshots), checked against the simulator's ground truth (an in-process Market(seed=7)),
against the raw answers recomputed in Python, and for duplicates when answers are loaded twice."""

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
from simulator.venues import deribit as sim
from tests.dbt.dbt_runner import run_dbt
from warehouse.load import load_partition
from warehouse.schema import ensure_bookkeeping, ensure_raw_table

DAY = TimeWindow(datetime(2026, 11, 10, tzinfo=UTC), datetime(2026, 11, 11, tzinfo=UTC))
HOURLY = ("instruments", "book_summary_options", "book_summary_futures", "index_prices")
DAILY = ("funding_rates", "dvol", "trades_futures", "trades_options")


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
    hour = TimeWindow(now, now + timedelta(hours=1))
    out = {name: fetch_partition(dataset("deribit", name), settings, hour).responses for name in HOURLY}
    out.update({name: fetch_partition(dataset("deribit", name), settings, DAY).responses for name in DAILY})
    return out


@pytest.fixture(scope="module")
def staged(fetched, tmp_path_factory):
    tmp = tmp_path_factory.mktemp("deribit_sim")
    warehouse = tmp / "w.duckdb"
    con = duckdb.connect(str(warehouse))
    ensure_bookkeeping(con)
    for name, responses in fetched.items():
        ensure_raw_table(con, "deribit", name)
        load_partition(con, "deribit", name, "p1", responses)
    # The chain and a day of trades loaded again under other partition keys: no row may come twice.
    for name in ("book_summary_options", "trades_futures", "trades_options", "funding_rates"):
        load_partition(con, "deribit", name, "p2", fetched[name])
    con.close()
    results = run_dbt(["build", "--select", "staging.deribit"], warehouse, tmp / "target")
    assert results["_returncode"] == 0, results["_stdout"][-3000:]
    with duckdb.connect(str(warehouse), read_only=True) as ro:
        yield ro


def _records(responses, *path):
    out = []
    for raw in responses:
        body = json.loads(raw.payload)
        for key in path:
            body = body[key]
        out.extend(body)
    return out


def test_option_chain_matches_the_raw_answer_and_the_listing(staged, fetched):
    raw = {r["instrument_name"]: r for r in _records(fetched["book_summary_options"], "result")}
    rows = staged.execute(
        "select s.instrument, s.mark_price_usd, s.mark_iv, s.open_interest_coin, s.open_interest_usd, s.expiry_at, "
        "s.strike, s.option_type, i.expiry_at, i.strike, i.option_type "
        "from staging.stg_deribit__option_summaries s left join staging.stg_deribit__instruments i using (instrument)"
    ).fetchall()
    assert len(rows) == len(raw) > 100  # every option once, although the chain was loaded twice
    for name, mark_usd, iv, oi, oi_usd, expiry, strike, kind, listed_expiry, listed_strike, listed_kind in rows:
        r = raw[name]
        # Inverse options: coin prices x the index (estimated_delivery_price); USDC options as quoted.
        unit = 1.0 if name.startswith("SOL_USDC") else r["estimated_delivery_price"]
        assert mark_usd == pytest.approx(r["mark_price"] * unit)
        assert oi_usd == pytest.approx(r["open_interest"] * r["estimated_delivery_price"]) and oi == r["open_interest"]
        assert iv == pytest.approx(r["mark_iv"] / 100) and 0.05 < iv < 3
        # Parsed from the name, the expiry, strike and type agree with get_instruments' own fields.
        assert (expiry, strike, kind) == (listed_expiry, listed_strike, listed_kind)


def test_futures_open_interest_in_coin_and_usd(staged, market):
    rows = staged.execute(
        "select instrument, is_primary, contract_type, oi_coin, oi_usd, mark_price, funding_rate, observed_at "
        "from staging.stg_deribit__futures_summaries"
    ).fetchall()
    primary = {r[0]: r for r in rows if r[1]}
    assert sorted(primary) == ["BTC-PERPETUAL", "ETH-PERPETUAL", "SOL_USDC-PERPETUAL"]
    for name in ("BTC-PERPETUAL", "ETH-PERPETUAL", "SOL_USDC-PERPETUAL"):
        _, _, kind, oi_coin, oi_usd, mark, funding, at = primary[name]
        truth = market.open_interest("deribit", name, at)
        assert kind == "perpetual" and funding is not None
        assert oi_coin == pytest.approx(truth, rel=0.01)  # USD rounded to whole contracts, over the mark
        assert oi_usd == pytest.approx(oi_coin * mark)
    futures = [r for r in rows if r[2] == "future"]
    assert futures and all(r[6] is None and r[3] > 0 for r in futures)


def test_hourly_funding_is_the_simulators_interest_1h(staged, market):
    rows = staged.execute(
        "select instrument, funding_at, funding_rate, funding_rate_8h from staging.stg_deribit__funding_rates"
    ).fetchall()
    assert len(rows) == 3 * 24  # three perpetuals, 24 hours, once each although loaded twice
    for name, at, rate, rate_8h in rows:
        assert rate == pytest.approx(sim._interest_1h(market, name, at), abs=1e-15)
        assert rate_8h == pytest.approx(rate * 8)


def test_index_and_dvol(staged, market):
    index = staged.execute("select asset, observed_at, price from staging.stg_deribit__index_prices").fetchall()
    assert sorted(r[0] for r in index) == ["BTC", "ETH", "SOL"]
    for asset, at, price in index:
        assert price == pytest.approx(market.price(asset, at), rel=0.002)
    dvol = staged.execute(
        "select asset, observed_at, candle_at, dvol, is_complete from staging.stg_deribit__dvols order by all"
    ).fetchall()
    assert len(dvol) == 48 and {r[0] for r in dvol} == {"BTC", "ETH"}
    for asset, at, candle_at, value, complete in dvol:
        assert complete and at == candle_at + timedelta(hours=1)
        assert value == pytest.approx(market.dvol(asset, at) / 100, abs=0.0001)  # the close, at the candle's end


def test_liquidated_sides_follow_the_liquidation_orders(staged, market):
    events = staged.execute(
        "select liquidated_at, liquidation_flag, liquidated_party, position_side, quantity_coin, size_usd, price "
        "from staging.stg_deribit__liquidations where instrument = 'BTC-PERPETUAL'"
    ).fetchall()
    # Ground truth: the market's liquidation orders (a taker SELL is a long being closed).
    truth = [
        t
        for t in flow.trades(market, "deribit", "BTC-PERPETUAL", DAY.start, DAY.end)
        if t.liquidation and DAY.start <= t.time < DAY.end
    ]
    assert truth and len({e[0] for e in events}) == len(truth)
    by_time = {}
    for e in events:
        by_time.setdefault(e[0].replace(microsecond=e[0].microsecond // 1000 * 1000), []).append(e)
    for t in truth:
        at = t.time.replace(microsecond=t.time.microsecond // 1000 * 1000)
        expected = "short" if t.taker_buy else "long"
        flagged = by_time[at]
        flag = flagged[0][1]
        # The liquidation order is the taker for T and MT, the resting maker for M.
        party = "maker" if flag == "M" else "taker"
        assert [e[3] for e in flagged if e[2] == party] == [expected]
        if flag == "MT":
            assert {e[3] for e in flagged} == {"long", "short"}
        for e in flagged:
            assert e[5] == pytest.approx(e[4] * e[6])  # USD amount = coin x price
            assert e[4] == pytest.approx(e[5] / e[6])


def test_option_trades_once_each_with_usd_prices(staged, fetched):
    raw = {t["trade_id"]: t for t in _records(fetched["trades_options"], "result", "trades")}
    rows = staged.execute(
        "select trade_key, instrument, price_usd, amount_coin, notional_usd, premium_usd, trade_iv, is_block, "
        "block_trade_id from staging.stg_deribit__option_trades"
    ).fetchall()
    assert len(rows) == len(raw) > 1000
    blocks = {}
    for key, name, price_usd, amount, notional, premium, iv, is_block, block_id in rows:
        r = raw[key]
        unit = 1.0 if name.startswith("SOL_USDC") else r["index_price"]
        assert price_usd == pytest.approx(r["price"] * unit)
        assert notional == pytest.approx(r["amount"] * r["index_price"]) and amount == r["amount"]
        assert premium == pytest.approx(amount * price_usd)
        assert iv == pytest.approx(r["iv"] / 100)
        assert is_block == ("block_trade_id" in r)
        if is_block:
            blocks.setdefault(block_id, []).append(r["block_trade_leg_count"])
    assert blocks and all(len(legs) == legs[0] for legs in blocks.values())
