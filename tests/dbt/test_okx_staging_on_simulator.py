"""The OKX staging models on one hourly snapshot and one settled day fetched from the simulator by our ingest code
(every OKX dataset, loaded twice under two partition keys: a re-load must add nothing). Each model is checked
against values recomputed here from the raw JSON, and for sane units and ranges."""

import json
from collections import Counter
from datetime import UTC, datetime, timedelta

import duckdb
import pytest

from ingest.config import Settings
from ingest.envelope import RawResponse
from ingest.registry import DATASETS, fetch_partition
from ingest.spec import Cadence
from ingest.windows import TimeWindow
from tests.dbt.dbt_runner import run_dbt
from warehouse.load import load_partition
from warehouse.schema import ensure_bookkeeping, ensure_raw_table

SWAPS = ["BTC-USDT-SWAP", "ETH-USDT-SWAP", "SOL-USDT-SWAP"]
HOUR_S = 3600


@pytest.fixture(scope="module")
def okx(tmp_path_factory, simulator):
    settings = Settings(simulator_url=simulator.root)
    hour = datetime.now(UTC).replace(minute=0, second=0, microsecond=0)
    day = hour.replace(hour=0) - timedelta(days=1)
    raw: dict[str, list[RawResponse]] = {}
    tmp = tmp_path_factory.mktemp("okx_sim")
    warehouse = tmp / "w.duckdb"
    con = duckdb.connect(str(warehouse))
    ensure_bookkeeping(con)
    for spec in DATASETS:
        ensure_raw_table(con, spec.venue, spec.dataset)
    for spec in (s for s in DATASETS if s.venue == "okx"):
        snapshot = spec.cadence == Cadence.HOURLY_SNAPSHOT
        window = TimeWindow(hour, hour + timedelta(hours=1)) if snapshot else TimeWindow(day, day + timedelta(days=1))
        result = fetch_partition(spec, settings, window)
        assert result.responses and not result.failures, spec.key
        raw[spec.dataset] = result.responses
        for key in ("first", "again"):
            load_partition(con, "okx", spec.dataset, f"{key}-{window.start:%Y-%m-%d-%H}", result.responses)
    con.close()
    results = run_dbt(["build", "--select", "staging.okx"], warehouse, tmp / "target")
    assert results["_returncode"] == 0, results["_stdout"][-3000:]
    con = duckdb.connect(str(warehouse), read_only=True)
    yield con, raw
    con.close()


def _data(responses: list[RawResponse], inst_type: str | None = None) -> list:
    rows = [row for r in responses for row in json.loads(r.payload)["data"]]
    return [r for r in rows if inst_type is None or r.get("instType") == inst_type]


def _by_request(responses: list[RawResponse]) -> list[tuple[str, list]]:
    """(instId of the request, rows) for the rubik statistics and candles, whose rows name no instrument."""
    return [(r.params["instId"], row) for r in responses for row in json.loads(r.payload)["data"]]


def _select(con, sql: str) -> list[tuple]:
    return con.execute(sql).fetchall()


def test_funding_now_interval_and_normalisation(okx):
    con, raw = okx
    sent = {r["instId"]: r for r in _data(raw["funding_rate"])}
    rows = _select(
        con,
        "select instrument, is_primary, funding_rate, funding_interval_hours, funding_rate_8h, funding_apr, "
        "epoch_ms(next_funding_at), mark_price from staging.stg_okx__funding_snapshots",
    )
    assert sorted(r[0] for r in rows) == SWAPS  # once each, though loaded twice
    for instrument, primary, rate, interval, rate_8h, apr, next_ms, mark in rows:
        r = sent[instrument]
        assert primary and rate == float(r["fundingRate"]) and next_ms == int(r["fundingTime"])
        assert interval == (int(r["nextFundingTime"]) - int(r["fundingTime"])) / 3_600_000
        assert (rate_8h, apr) == pytest.approx((rate * 8 / interval, rate * 8760 / interval))
        assert abs(rate) < 0.004 and mark > 0


def test_settled_funding_of_a_day(okx):
    con, raw = okx
    sent = {(r["instId"], int(r["fundingTime"])): float(r["realizedRate"]) for r in _data(raw["funding_rate_history"])}
    rows = _select(
        con,
        "select instrument, epoch_ms(funding_at), funding_rate, funding_interval_hours "
        "from staging.stg_okx__funding_rates",
    )
    assert len(rows) == len(sent)
    times = {}
    for instrument, ms, rate, interval in rows:
        assert rate == sent[(instrument, ms)]
        times.setdefault(instrument, []).append((ms, interval))
    for settlements in times.values():
        settlements.sort()
        gaps = {(b - a) / 3_600_000 for (a, _), (b, _) in zip(settlements, settlements[1:], strict=False)}
        assert {interval for _, interval in settlements} == gaps  # each day is settled at one interval


def test_marks_of_perpetuals_and_futures_with_their_own_index(okx):
    con, raw = okx
    sent = {r["instId"]: float(r["markPx"]) for t in ("SWAP", "FUTURES") for r in _data(raw["mark_price"], t)}
    expiries = {r["instId"]: int(r["expTime"]) for r in _data(raw["instruments"], "FUTURES")}
    indexes = {r["instId"]: float(r["idxPx"]) for r in _data(raw["index_tickers"])}
    rows = _select(
        con,
        "select instrument, contract_type, epoch_ms(expiry_at), mark_price, index_price "
        "from staging.stg_okx__mark_prices",
    )
    assert sorted(r[0] for r in rows) == sorted(sent)
    for instrument, kind, expiry_ms, mark, index in rows:
        family = "-".join(instrument.split("-")[:2])
        assert mark == sent[instrument] and index == indexes[family]
        if instrument.endswith("-SWAP"):
            assert (kind, expiry_ms) == ("perpetual", None) and abs(mark / index - 1) < 0.01
        else:  # a quarter out, the basis runs to several percent
            assert (kind, expiry_ms) == ("future", expiries[instrument]) and abs(mark / index - 1) < 0.2


def test_one_index_price_per_asset_the_usd_one(okx):
    con, _ = okx
    rows = _select(
        con, "select asset, instrument, price_kind from staging.stg_okx__index_prices where price is not null"
    )
    assert sorted(rows) == [("BTC", "BTC-USD", "index"), ("ETH", "ETH-USD", "index"), ("SOL", "SOL-USD", "index")]


def test_open_interest_of_futures_and_perpetuals_in_coin_and_usd(okx):
    con, raw = okx
    sent = {r["instId"]: r for t in ("SWAP", "FUTURES") for r in _data(raw["open_interest"], t)}
    rows = _select(con, "select instrument, is_primary, oi_coin, oi_usd from staging.stg_okx__open_interests")
    assert sorted(r[0] for r in rows) == sorted(sent)  # no option rows, no repeats
    assert sorted(r[0] for r in rows if r[1]) == SWAPS
    for instrument, _, coin, usd in rows:
        assert (coin, usd) == (float(sent[instrument]["oiCcy"]), float(sent[instrument]["oiUsd"]))


def test_rubik_statistics_stamped_at_the_period_close(okx):
    con, raw = okx
    oi = {(i, int(r[0]) // 1000 + HOUR_S): float(r[2]) for i, r in _by_request(raw["open_interest_history"])}
    rows = _select(
        con, "select instrument, epoch(observed_at)::bigint, oi_coin from staging.stg_okx__open_interest_histories"
    )
    assert len(rows) == len(oi) == 3 * 24
    assert all(coin == oi[(i, t)] for i, t, coin in rows)
    ratios = {(i, int(r[0]) // 1000 + HOUR_S): float(r[1]) for i, r in _by_request(raw["long_short_account_ratio"])}
    rows = _select(
        con,
        "select instrument, epoch(observed_at)::bigint, long_share, short_share "
        "from staging.stg_okx__long_short_ratios",
    )
    assert len(rows) == len(ratios) == 3 * 24
    for instrument, t, long_share, short_share in rows:
        ratio = ratios[(instrument, t)]
        assert (long_share, short_share) == pytest.approx((ratio / (1 + ratio), 1 / (1 + ratio)))


def test_hourly_candles_volumes_as_sent(okx):
    con, raw = okx
    sent = {(i, int(r[0]) // 1000): (float(r[6]), float(r[7])) for i, r in _by_request(raw["candles"]) if r[8] == "1"}
    rows = _select(
        con,
        "select instrument, epoch(hour_at)::bigint, volume_coin, volume_usd, open, high, low, close "
        "from staging.stg_okx__candles",
    )
    assert len(rows) == len(sent) == 3 * 24
    for instrument, t, coin, usd, open_, high, low, close in rows:
        assert (coin, usd) == sent[(instrument, t)]
        assert low <= min(open_, close) <= max(open_, close) <= high


def test_liquidations_once_each_with_the_position_side(okx):
    con, raw = okx
    contract = {r["instId"]: float(r["ctVal"]) * float(r["ctMult"]) for r in _data(raw["instruments"], "SWAP")}
    orders = Counter()
    expected = {}
    for entry in _data(raw["liquidation_orders"]):
        for d in entry["details"]:
            key = (entry["instId"], int(d["ts"]), d["bkPx"], d["sz"])
            orders[key] += 1
            expected[key] = (d["posSide"], float(d["sz"]) * contract[entry["instId"]])
    rows = _select(
        con,
        "select instrument, epoch_ms(liquidated_at), price, quantity_contracts, position_side, order_side, "
        "quantity_coin, size_usd from staging.stg_okx__liquidations",
    )
    assert orders and len(rows) == len(orders)
    sides = Counter()
    for instrument, ms, price, contracts, side, order_side, coin, usd in rows:
        key = next(k for k in expected if k[:2] == (instrument, ms) and float(k[3]) == contracts)
        assert (side, coin) == (expected[key][0], pytest.approx(expected[key][1]))
        assert {side, order_side} in ({"long", "sell"}, {"short", "buy"})
        assert usd == pytest.approx(price * coin)
        sides[side] += 1
    assert set(sides) <= {"long", "short"}


def test_option_chain_in_usd_at_the_index(okx):
    con, raw = okx
    marks = {r["instId"]: float(r["markPx"]) for r in _data(raw["mark_price"], "OPTION")}
    oi = {r["instId"]: float(r["oiCcy"]) for r in _data(raw["open_interest"], "OPTION")}
    volume = {r["instId"]: float(r["volCcy24h"]) for r in _data(raw["option_tickers"], "OPTION")}
    indexes = {r["instId"]: float(r["idxPx"]) for r in _data(raw["index_tickers"])}
    summaries = {r["instId"]: r for r in _data(raw["option_summary"])}
    rows = _select(
        con,
        "select instrument, asset, option_type, mark_iv, mark_price_usd, open_interest_coin, open_interest_usd, "
        "volume_coin, underlying_price, delta from staging.stg_okx__option_summaries",
    )
    assert len(rows) == len(summaries) > 0
    assert {r[1] for r in rows} == {"BTC", "ETH"}  # OKX lists options on BTC-USD and ETH-USD only
    for instrument, asset, option_type, iv, mark_usd, oi_coin, oi_usd, vol_coin, forward, delta in rows:
        index = indexes[f"{asset}-USD"]
        s = summaries[instrument]
        assert iv == float(s["markVol"]) and 0.05 < iv < 5
        assert mark_usd == pytest.approx(marks[instrument] * index)
        assert oi_coin == oi[instrument] and vol_coin == volume[instrument]
        assert oi_usd == pytest.approx(oi_coin * index, rel=1e-4)
        assert forward == float(s["fwdPx"]) and delta == float(s["deltaBS"])
        assert (0 <= delta <= 1) if option_type == "call" else (-1 <= delta <= 0)
