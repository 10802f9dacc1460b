"""The liquidation marts through dbt on hand-made inputs: the Python model int_liquidation_levels (reading its
settings from vars), the ranked fct_liquidation_levels, the proximity mart and the cascade summary; then an
incremental run of one hour, which must replay the level book from the start, read the summary's 24 h
look-back, and rewrite only that hour."""

import json
from datetime import UTC, datetime, timedelta

import duckdb
import pytest

from tests.dbt.dbt_runner import run_dbt
from tests.dbt.test_liquidation_levels import levels

T0 = datetime(2026, 1, 1, tzinfo=UTC)
# The level scenario runs over hours 24..27 so that the summary has a full day of history before the window.
H = [T0 + timedelta(hours=24 + i) for i in range(4)]
WINDOW = (H[2], H[3])
# Two leverages keep the hand arithmetic short: 10x (60 %) and 20x (40 %), maintenance margin 0.5 %.
VARS = {"liq_leverage_mix": {"10": 0.6, "20": 0.4}, "liq_maintenance_margin": 0.005}
MODELS = ["int_liquidation_level_params", "int_liquidation_levels", "fct_liquidation_levels",
          "fct_liquidation_level_proximity", "fct_liquidation_summary"]  # fmt: skip
# Summary input: 100 USD liquidated every hour (60 long / 40 short) from hour 0, then 500 USD of longs in the
# window's hour (26): exactly 5 x the previous 24 h average -> a long cascade.
SPINE = [("BTC", T0 + timedelta(hours=i), 100.0) for i in range(28)]
LIQUIDATIONS = [("BTC", "okx", T0 + timedelta(hours=i), 60.0, 40.0, 100.0, 2) for i in range(26)] + [
    ("BTC", "okx", WINDOW[0], 500.0, 0.0, 500.0, 1)
]

# (asset, hour, high, low, close, increase coin, decrease coin, previous total coin, total OI USD)
HOURS = [
    # 10 coin opened at 100: 500 USD a side. Longs 300 at 100 x 0.905 = 90.5 (10x), 200 at 95.5 (20x);
    # shorts 300 at 109.5, 200 at 104.5.
    ("BTC", H[0], 100.0, 100.0, 100.0, 10.0, 0.0, 0.0, 1000.0),
    # The high (105) liquidates the 20x short at 104.5; 2 of 10 coin closed: the rest shrinks by 20 %.
    ("BTC", H[1], 105.0, 99.0, 103.0, 0.0, 2.0, 10.0, 824.0),
    # The low (96) stays above the 20x long at 95.5.
    ("BTC", H[2], 103.0, 96.0, 97.0, 0.0, 0.0, 8.0, 776.0),
    # The low (95) liquidates it.
    ("BTC", H[3], 97.0, 95.0, 96.0, 0.0, 0.0, 8.0, 768.0),
    # Another asset starts its own book: 1 coin at 10 = 5 USD a side.
    ("ETH", H[0], 10.0, 10.0, 10.0, 1.0, 0.0, 0.0, 10.0),
]


def _bucket(price: float) -> float:
    return float(levels.bucket_bounds(levels.bucket_index([price], 0.005), 0.005)[0][0])


SUMMARY = (
    "select hour_at, total_usd, long_usd_24h, short_usd_24h, avg_hourly_usd_prev_24h, is_cascade, cascade_side "
    "from marts.fct_liquidation_summary order by hour_at"
)


def _levels(con, hour=None) -> dict:
    sql = (
        "select asset, hour_at, side, bucket_price, estimated_usd, density_rank, density_label "
        "from marts.fct_liquidation_levels"
    )
    rows = con.execute(sql + (" where hour_at = ?" if hour else ""), [hour] if hour else []).fetchall()
    return {(a, h, s, round(b, 6)): (u, r, lab) for a, h, s, b, u, r, lab in rows}


@pytest.fixture(scope="module")
def warehouse(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("liquidation_levels")
    path = tmp / "w.duckdb"
    con = duckdb.connect(str(path))
    con.execute("create schema marts")
    # The model's input, made by hand (int_asset_open_interest_hourly is not selected, so dbt reads this).
    con.execute(
        "create table marts.int_asset_open_interest_hourly (asset varchar, hour_at timestamptz, high double, "
        "low double, close double, oi_increase_coin double, oi_decrease_coin double, prev_total_oi_coin double, "
        "total_oi_usd double)"
    )
    con.executemany("insert into marts.int_asset_open_interest_hourly values (?, ?, ?, ?, ?, ?, ?, ?, ?)", HOURS)
    con.execute("create schema intermediate")
    con.execute("create table intermediate.int_price_spine (asset varchar, hour_at timestamptz, close double)")
    con.executemany("insert into intermediate.int_price_spine values (?, ?, ?)", SPINE)
    con.execute(
        "create table marts.fct_liquidations_hourly (asset varchar, exchange varchar, hour_at timestamptz, "
        "long_usd double, short_usd double, total_usd double, events integer)"
    )
    con.executemany("insert into marts.fct_liquidations_hourly values (?, ?, ?, ?, ?, ?, ?)", LIQUIDATIONS)
    con.close()
    full = run_dbt(["run", "--select", *MODELS, "--vars", json.dumps(VARS)], path, tmp / "target_full")
    assert full["_returncode"] == 0, full["_stdout"][-3000:]
    con = duckdb.connect(str(path))
    before = _levels(con)
    summary_before = con.execute(SUMMARY).fetchall()
    # Lose the window's hour and rebuild it alone: the book must be replayed from its first hour, and the
    # summary must read the day before the window.
    for table in ("fct_liquidation_levels", "int_liquidation_levels", "fct_liquidation_summary"):
        con.execute(f"delete from marts.{table} where hour_at = ?", [WINDOW[0]])
    con.close()
    window = {**VARS, "window_start": WINDOW[0].isoformat(), "window_end": WINDOW[1].isoformat()}
    incremental = run_dbt(
        ["run", "--select", *MODELS[1:], "--vars", json.dumps(window)], path, tmp / "target_incremental"
    )
    assert incremental["_returncode"] == 0, incremental["_stdout"][-3000:]
    con = duckdb.connect(str(path), read_only=True)
    yield con, before, summary_before
    con.close()


def test_levels_after_the_first_hour(warehouse):
    con, before, _ = warehouse
    hour0 = {k[2:]: v[0] for k, v in before.items() if k[0] == "BTC" and k[1] == H[0]}
    assert hour0 == pytest.approx(
        {
            ("long", round(_bucket(90.5), 6)): 300.0,
            ("long", round(_bucket(95.5), 6)): 200.0,
            ("short", round(_bucket(104.5), 6)): 200.0,
            ("short", round(_bucket(109.5), 6)): 300.0,
        }
    )


def test_trade_through_shrink_and_labels(warehouse):
    con, before, _ = warehouse
    hour1 = {k[2:]: v for k, v in before.items() if k[0] == "BTC" and k[1] == H[1]}
    # The 20x short is gone; the rest shrank by 20 %. At a close of 103 the short at 109.5 (6 % away) is
    # nearer than the long at 90.5 (12 %), so it wins the 240-240 tie for CRITICAL.
    assert hour1 == {
        ("long", round(_bucket(90.5), 6)): (pytest.approx(240.0), 1, "HIGH DENSITY"),
        ("long", round(_bucket(95.5), 6)): (pytest.approx(160.0), 2, "HIGH DENSITY"),
        ("short", round(_bucket(109.5), 6)): (pytest.approx(240.0), 1, "CRITICAL"),
    }
    hour3 = {k[2:] for k in before if k[0] == "BTC" and k[1] == H[3]}
    assert hour3 == {("long", round(_bucket(90.5), 6)), ("short", round(_bucket(109.5), 6))}


def test_each_asset_has_its_own_book(warehouse):
    con, before, _ = warehouse
    eth = {k[2:]: v[0] for k, v in before.items() if k[0] == "ETH"}
    assert eth == pytest.approx(
        {
            ("long", round(_bucket(9.05), 6)): 3.0,
            ("long", round(_bucket(9.55), 6)): 2.0,
            ("short", round(_bucket(10.45), 6)): 2.0,
            ("short", round(_bucket(10.95), 6)): 3.0,
        }
    )


def test_an_incremental_run_replays_the_book_and_rewrites_only_its_hour(warehouse):
    con, before, _ = warehouse
    assert _levels(con) == before
    types = dict(
        con.execute(
            "select column_name, data_type from information_schema.columns "
            "where table_schema = 'marts' and table_name = 'fct_liquidation_levels'"
        ).fetchall()
    )
    assert types["hour_at"] == "TIMESTAMP WITH TIME ZONE" and types["density_rank"] == "INTEGER"


def test_proximity_reads_the_book(warehouse):
    con, _, _ = warehouse
    rows = con.execute(
        "select hour_at, nearest_dense_long_distance, nearest_dense_short_distance, near_dense_level "
        "from marts.fct_liquidation_level_proximity where asset = 'BTC' order by hour_at"
    ).fetchall()
    assert [r[0] for r in rows] == H
    # Hour 2, close 97: the 20x long bucket (95.5's) ends within 2 % below -> near a dense level.
    hour2 = rows[2]
    assert hour2[1] == pytest.approx(1 - levels.bucket_bounds(levels.bucket_index([95.5], 0.005), 0.005)[1][0] / 97)
    assert hour2[1] < 0.02 and hour2[3] is True


def test_summary_cascade_and_its_incremental_rebuild(warehouse):
    con, _, summary_before = warehouse
    assert len(summary_before) == 28
    cascade = [r for r in summary_before if r[5]]
    # Hour 26: 500 = 5 x the average of hours 2..25 (100) -> cascade on the long side; 24 h sums over
    # hours 3..26: longs 23 x 60 + 500 = 1880, shorts 23 x 40 = 920.
    assert cascade == [(WINDOW[0], 500.0, 1880.0, 920.0, 100.0, True, "long")]
    # Hours 0..23 have fewer than 24 previous hours: no baseline yet.
    assert all(r[4] is None for r in summary_before[:24]) and summary_before[24][4] == pytest.approx(100.0)
    # The incremental run rebuilt hour 26 from its 24 h look-back, identical, and left the rest alone.
    assert con.execute(SUMMARY).fetchall() == summary_before
