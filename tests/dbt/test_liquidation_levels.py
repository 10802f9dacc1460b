"""The estimated-liquidation-level arithmetic (the pure functions of the dbt Python model
int_liquidation_levels), with hand-computed values."""

import importlib.util
import math

import numpy as np
import pytest

from tests.conftest import DBT_DIR

_PATH = DBT_DIR / "models" / "marts" / "liquidations" / "int_liquidation_levels.py"
_spec = importlib.util.spec_from_file_location("int_liquidation_levels", _PATH)
levels = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(levels)

MIX = [5, 10, 25, 50, 100]
WEIGHTS = [0.30, 0.30, 0.20, 0.12, 0.08]
MMR = 0.005


def _book() -> "levels.LevelBook":
    return levels.LevelBook(MIX, WEIGHTS, MMR)


def _open_levels(book) -> dict[tuple[str, float], float]:
    """{(side, rounded price): usd} of the book's open levels."""
    sides = np.where(book.is_long, "long", "short")
    return {(s, round(float(p), 6)): float(u) for s, p, u in zip(sides, book.price, book.usd, strict=True)}


def test_level_prices_for_each_leverage_of_the_mix():
    # p x (1 - 1/L + mmr) and p x (1 + 1/L - mmr) at p = 100, mmr = 0.5 %.
    long_prices, short_prices = levels.level_prices(100.0, MIX, MMR)
    assert long_prices == pytest.approx([80.5, 90.5, 96.5, 98.5, 99.5])
    assert short_prices == pytest.approx([119.5, 109.5, 103.5, 101.5, 100.5])
    # At another price and margin: p = 2000, mmr = 1 %, 20x -> 2000 x 0.96 = 1920 and 2000 x 1.04 = 2080.
    long_prices, short_prices = levels.level_prices(2000.0, [20], 0.01)
    assert long_prices == pytest.approx([1920.0]) and short_prices == pytest.approx([2080.0])


def test_new_open_interest_is_split_half_long_half_short_over_the_mix():
    book = _book()
    # 10 coin of new OI at a close of 100 = 1000 USD: 500 USD of longs and 500 of shorts, x the weights.
    book.step(high=100.0, low=100.0, close=100.0, increase_coin=10.0, decrease_coin=0.0, prev_total_coin=0.0)
    assert _open_levels(book) == pytest.approx(
        {
            ("long", 80.5): 150.0,
            ("long", 90.5): 150.0,
            ("long", 96.5): 100.0,
            ("long", 98.5): 60.0,
            ("long", 99.5): 40.0,
            ("short", 119.5): 150.0,
            ("short", 109.5): 150.0,
            ("short", 103.5): 100.0,
            ("short", 101.5): 60.0,
            ("short", 100.5): 40.0,
        }
    )
    assert book.side_total("long") == pytest.approx(500.0) and book.side_total("short") == pytest.approx(500.0)


def test_weights_are_normalised():
    book = levels.LevelBook([10, 20], [1.0, 3.0], MMR)
    book.open_positions(100.0, 400.0)
    assert sorted(book.usd[book.is_long]) == pytest.approx([100.0, 300.0])


def test_levels_are_removed_when_price_trades_through_them():
    book = _book()
    book.open_positions(100.0, 1000.0)  # long 300/300/200/120/80 at 80.5/90.5/96.5/98.5/99.5, shorts mirrored
    # The low touches the 25x long level (96.5) exactly: low <= level removes it. The high passes 100.5 but
    # not 101.5. (Exact boundaries use the stored level price: 100 x 0.965 is not exactly 96.5 in binary.)
    level_25x_long = float(book.price[book.is_long][2])
    assert level_25x_long == pytest.approx(96.5)
    removed_long, removed_short = book.trade_through(high=101.0, low=level_25x_long)
    assert removed_long == pytest.approx(200.0 + 120.0 + 80.0)
    assert removed_short == pytest.approx(80.0)
    assert _open_levels(book) == pytest.approx(
        {
            ("long", 80.5): 300.0,
            ("long", 90.5): 300.0,
            ("short", 101.5): 120.0,
            ("short", 103.5): 200.0,
            ("short", 109.5): 300.0,
            ("short", 119.5): 300.0,
        }
    )
    # A high exactly at a short level (the 50x one, 101.5) removes it too.
    level_50x_short = float(book.price[~book.is_long].min())
    assert level_50x_short == pytest.approx(101.5)
    assert book.trade_through(high=level_50x_short, low=100.0) == pytest.approx((0.0, 120.0))


def test_levels_shrink_pro_rata_when_open_interest_falls_by_20_percent():
    book = _book()
    book.open_positions(100.0, 1000.0)
    # 20 of 100 coin closed, price inside the range that removes nothing (99.6 .. 100.4).
    book.step(high=100.4, low=99.6, close=100.0, increase_coin=0.0, decrease_coin=20.0, prev_total_coin=100.0)
    assert sorted(book.usd[book.is_long]) == pytest.approx([64.0, 96.0, 160.0, 240.0, 240.0])
    assert book.side_total("long") == pytest.approx(800.0) and book.side_total("short") == pytest.approx(800.0)


def test_an_hour_removes_first_then_adds_its_new_positions_at_the_close():
    book = _book()
    book.open_positions(100.0, 1000.0)
    # The hour trades down to 94 and closes at 95 with 2 coin of new OI: the old 25x/50x/100x longs are
    # liquidated; the new 100x long at 95 x 0.995 = 94.525 and short at 95 x 1.005 = 95.475 lie inside the
    # hour's range but stay: prices before a position was opened cannot liquidate it.
    book.step(high=100.0, low=94.0, close=95.0, increase_coin=2.0, decrease_coin=0.0, prev_total_coin=100.0)
    open_levels = _open_levels(book)
    assert ("long", 96.5) not in open_levels and ("long", 99.5) not in open_levels
    # New: 2 coin x 95 / 2 = 95 USD per side; 100x long at 95 x 0.995 = 94.525 holds 95 x 0.08 = 7.6 USD.
    assert open_levels[("long", 94.525)] == pytest.approx(7.6)
    assert open_levels[("short", round(95 * 1.005, 6))] == pytest.approx(7.6)
    assert book.side_total("long") == pytest.approx(600.0 + 95.0)


def test_bucket_assignment_at_a_boundary():
    width = 0.005
    edge = 1.005**700  # the lower edge of bucket 700 (about 32.8)
    assert levels.bucket_index([edge], width)[0] == 700
    assert levels.bucket_index([edge * (1 - 1e-7)], width)[0] == 699
    assert levels.bucket_index([edge * 1.005 * (1 - 1e-7)], width)[0] == 700
    assert levels.bucket_index([edge * 1.005], width)[0] == 701
    low, high = levels.bucket_bounds(np.array([700]), width)
    assert low[0] == pytest.approx(edge) and high[0] == pytest.approx(edge * 1.005)
    # A price of 100 lies in bucket floor(ln 100 / ln 1.005) = floor(923.3) = 923.
    assert levels.bucket_index([100.0], width)[0] == math.floor(math.log(100) / math.log(1.005)) == 923


def test_distance_to_the_nearest_bucket_edge():
    assert levels.distance_from_close("long", [90.0], [95.0], 100.0)[0] == pytest.approx(0.05)
    assert levels.distance_from_close("short", [103.0], [104.0], 100.0)[0] == pytest.approx(0.03)
    # The bucket holding the close is at distance 0 on either side.
    assert levels.distance_from_close("long", [99.8], [100.3], 100.0)[0] == 0.0


def test_published_buckets_are_within_range_and_above_the_floor():
    book = levels.LevelBook([10], [1.0], 0.0)
    # Hand-placed long levels below a close of 100: 90 (1000 USD) and 90.1 share a bucket
    # (1.005^902 = 89.89 .. 90.34), 84 is 16 % below (outside 15 %), 95 holds 0.5 USD (< 0.1 % of 2001.5).
    book.is_long = np.array([True, True, True, True])
    book.price = np.array([90.0, 90.1, 84.0, 95.0])
    book.usd = np.array([1000.0, 500.0, 501.0, 0.5])
    rows = book.buckets(close=100.0, width=0.005, level_range=0.15, floor_share=0.001)
    assert len(rows) == 1
    (row,) = rows
    assert row["side"] == "long" and row["level_usd"] == pytest.approx(1500.0) and row["level_count"] == 2
    assert row["bucket_price"] == pytest.approx(1.005**902) and row["bucket_price_high"] == pytest.approx(1.005**903)
    assert row["distance_from_close"] == pytest.approx(1 - 1.005**903 / 100)
    assert row["side_total_usd"] == pytest.approx(2001.5)


def test_replay_keeps_state_across_hours_and_emits_only_the_window():
    params = {
        "leverages": np.array([10.0]),
        "weights": np.array([1.0]),
        "maintenance_margin": 0.0,
        "bucket_width": 0.005,
        "level_range": 0.15,
        "level_floor_share": 0.001,
    }
    hour = 3_600_000_000
    hours = {
        "asset": ["BTC", "BTC", "BTC", "ETH"],
        "hour_us": [0, hour, 2 * hour, 0],
        "high": [100.0, 100.0, 100.0, 10.0],
        "low": [100.0, 100.0, 100.0, 10.0],
        "close": [100.0, 100.0, 100.0, 10.0],
        # BTC: 10 coin opened in hour 0 (500 USD a side at 90 and 110), 5 of 10 closed in hour 1.
        "oi_increase_coin": [10.0, 0.0, 0.0, 1.0],
        "oi_decrease_coin": [0.0, 5.0, 0.0, 0.0],
        "prev_total_oi_coin": [0.0, 10.0, 5.0, 0.0],
    }
    out = levels.replay(hours, params, window=(hour, 3 * hour))
    assert out["hour_at"] == [hour, hour, 2 * hour, 2 * hour]  # hour 0 and ETH (hour 0) are outside the window
    assert out["side"] == ["long", "short", "long", "short"]
    assert out["level_usd"] == pytest.approx([250.0, 250.0, 250.0, 250.0])
    everything = levels.replay(hours, params)
    assert everything["asset"] == ["BTC"] * 6 + ["ETH"] * 2
    assert everything["level_usd"][:2] == pytest.approx([500.0, 500.0])
