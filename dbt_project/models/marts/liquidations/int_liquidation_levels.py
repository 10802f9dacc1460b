"""Estimated liquidation levels (the "heatmap"), one row per (asset, hour_at, side, bucket_price).

These are ESTIMATES from a model, not observed positions: no venue publishes where its users' liquidation
prices are. The model (SPEC section 4, "Liquidations"):

* When open interest rises by dOI in an hour, positions were opened at the hour's close p. Each new
  contract has a long and a short side; the USD of the increase is split half to longs, half to shorts
  (so the level mass of both sides together equals the tracked OI increase), and each half is spread over
  the leverage mix (var liq_leverage_mix, weights normalised to sum to 1).
* A position with leverage L is liquidated near p x (1 - 1/L + mmr) (long) or p x (1 + 1/L - mmr)
  (short), mmr = var liq_maintenance_margin.
* A level is removed (liquidated) once price trades through it: long levels when the hour's low <= level,
  short levels when the hour's high >= level. Removal comes first in an hour, then the hour's new
  positions are added at its close (a position cannot be liquidated by prices before it was opened).
* When positions are closed (OI falls by dOI), every open level shrinks pro rata: by dOI / the total OI
  before the hour, whatever its vintage.
* Levels are summed per price bucket of the geometric grid [(1 + w)^k, (1 + w)^(k + 1)), w = var
  liq_bucket_width: every bucket is w of its own price wide and its edges do not move from hour to hour,
  so the hours of a heatmap line up. A level exactly on an edge belongs to the bucket above the edge.
* Published: buckets whose nearest edge lies within liq_level_range of the close and that hold at least
  liq_level_floor_share of their side's open level mass.

The path is inherently sequential (each hour's book depends on every earlier hour), hence Python. The
level arithmetic is in pure functions at the top of this file (tested in tests/dbt/test_liquidation_levels.py);
`model` only reads the inputs and writes the rows. The book is replayed from the first hour on every run
(it is small); an incremental run writes only the hours its window touches. Ranks and labels are added by
the SQL model fct_liquidation_levels, which carries the enforced contract (dbt contracts do not apply to
Python models).
"""

import math

import numpy as np
import pyarrow as pa

# log(price) / log(1 + w) of a price exactly on a bucket edge can come out a hair below the integer.
_GRID_EPSILON = 1e-9
# Levels shrunk below a cent by repeated closes are dropped so that the book does not grow forever.
_MIN_LEVEL_USD = 0.01

OUTPUT_SCHEMA = pa.schema(
    [
        ("asset", pa.string()),
        ("hour_at", pa.timestamp("us", tz="UTC")),
        ("side", pa.string()),
        ("bucket_price", pa.float64()),
        ("bucket_price_high", pa.float64()),
        ("level_usd", pa.float64()),
        ("level_count", pa.int64()),
        ("distance_from_close", pa.float64()),
        ("close", pa.float64()),
        ("side_total_usd", pa.float64()),
    ]
)


def level_prices(price: float, leverages, maintenance_margin: float) -> tuple[np.ndarray, np.ndarray]:
    """Liquidation prices of longs and shorts opened at `price`, one per leverage."""
    lev = np.asarray(leverages, dtype=float)
    return price * (1.0 - 1.0 / lev + maintenance_margin), price * (1.0 + 1.0 / lev - maintenance_margin)


def bucket_index(prices, width: float) -> np.ndarray:
    """The grid bucket k of each price: (1 + width)^k <= price < (1 + width)^(k + 1)."""
    return np.floor(np.log(np.asarray(prices, dtype=float)) / math.log1p(width) + _GRID_EPSILON).astype(np.int64)


def bucket_bounds(index, width: float) -> tuple[np.ndarray, np.ndarray]:
    """Lower (inclusive) and upper (exclusive) price of grid buckets."""
    low = np.power(1.0 + width, np.asarray(index, dtype=float))
    return low, low * (1.0 + width)


def distance_from_close(side: str, bucket_low, bucket_high, close: float) -> np.ndarray:
    """How far price must move from `close` (a fraction, >= 0) to reach the bucket's nearest edge.

    Long levels lie below the close (a long level above it has been traded through), short levels above.
    """
    if side == "long":
        return np.maximum(0.0, 1.0 - np.asarray(bucket_high, dtype=float) / close)
    return np.maximum(0.0, np.asarray(bucket_low, dtype=float) / close - 1.0)


class LevelBook:
    """The open estimated levels of one asset: side, liquidation price and USD notional of each."""

    def __init__(self, leverages, weights, maintenance_margin: float):
        weights = np.asarray(weights, dtype=float)
        self.leverages = np.asarray(leverages, dtype=float)
        self.weights = weights / weights.sum()
        self.maintenance_margin = maintenance_margin
        self.is_long = np.zeros(0, dtype=bool)
        self.price = np.zeros(0)
        self.usd = np.zeros(0)

    def _keep(self, mask: np.ndarray) -> None:
        self.is_long, self.price, self.usd = self.is_long[mask], self.price[mask], self.usd[mask]

    def side_total(self, side: str) -> float:
        return float(self.usd[self.is_long == (side == "long")].sum())

    def trade_through(self, high: float, low: float) -> tuple[float, float]:
        """Remove the levels the hour's range reached; return the USD removed (long, short)."""
        hit = np.where(self.is_long, self.price >= low, self.price <= high)
        removed = (float(self.usd[hit & self.is_long].sum()), float(self.usd[hit & ~self.is_long].sum()))
        self._keep(~hit)
        return removed

    def shrink(self, closed_fraction: float) -> None:
        """Positions closed without liquidation: every level loses the same fraction."""
        self.usd = self.usd * (1.0 - min(max(closed_fraction, 0.0), 1.0))
        self._keep(self.usd >= _MIN_LEVEL_USD)

    def open_positions(self, price: float, usd_per_side: float) -> None:
        """New positions at `price`: usd_per_side of longs and of shorts, spread over the leverage mix."""
        long_prices, short_prices = level_prices(price, self.leverages, self.maintenance_margin)
        prices = np.concatenate([long_prices, short_prices])
        valid = prices > 0
        self.is_long = np.concatenate([self.is_long, np.repeat([True, False], len(self.leverages))[valid]])
        self.price = np.concatenate([self.price, prices[valid]])
        self.usd = np.concatenate([self.usd, np.tile(self.weights * usd_per_side, 2)[valid]])

    def step(
        self, high: float, low: float, close: float, increase_coin: float, decrease_coin: float, prev_total_coin: float
    ) -> None:
        """One hour: liquidate what its range reached, shrink for closed positions, add the opened ones."""
        self.trade_through(high, low)
        if decrease_coin > 0 and prev_total_coin and prev_total_coin > 0:
            self.shrink(decrease_coin / prev_total_coin)
        if increase_coin > 0 and close > 0:
            self.open_positions(close, increase_coin * close / 2.0)

    def buckets(self, close: float, width: float, level_range: float, floor_share: float) -> list[dict]:
        """The published buckets at `close`: per side, within level_range of it and above the floor."""
        rows = []
        for side in ("long", "short"):
            mask = self.is_long == (side == "long")
            side_total = float(self.usd[mask].sum())
            if side_total <= 0:
                continue
            keys, inverse = np.unique(bucket_index(self.price[mask], width), return_inverse=True)
            mass = np.bincount(inverse, weights=self.usd[mask])
            count = np.bincount(inverse)
            low, high = bucket_bounds(keys, width)
            distance = distance_from_close(side, low, high, close)
            published = (distance <= level_range) & (mass >= floor_share * side_total)
            for i in np.flatnonzero(published):
                rows.append(
                    {
                        "side": side,
                        "bucket_price": float(low[i]),
                        "bucket_price_high": float(high[i]),
                        "level_usd": float(mass[i]),
                        "level_count": int(count[i]),
                        "distance_from_close": float(distance[i]),
                        "close": close,
                        "side_total_usd": side_total,
                    }
                )
        return rows


def replay(hours: dict, params: dict, window: tuple[int, int] | None = None) -> dict[str, list]:
    """Replay the book of each asset over its hours (sorted by asset, hour) and collect the buckets.

    `hours` holds equal-length sequences: asset, hour_us (epoch microseconds), high, low, close,
    oi_increase_coin, oi_decrease_coin, prev_total_oi_coin. `window` = (start_us, end_us) keeps only the
    hours in [start, end) in the output; the book still replays every hour before it.
    """
    out = {name: [] for name in OUTPUT_SCHEMA.names}
    book, current_asset = None, None
    for i in range(len(hours["asset"])):
        asset = hours["asset"][i]
        if asset != current_asset:
            book = LevelBook(params["leverages"], params["weights"], params["maintenance_margin"])
            current_asset = asset
        close = float(hours["close"][i])
        book.step(
            float(hours["high"][i]),
            float(hours["low"][i]),
            close,
            _number(hours["oi_increase_coin"][i]),
            _number(hours["oi_decrease_coin"][i]),
            _number(hours["prev_total_oi_coin"][i]),
        )
        hour_us = int(hours["hour_us"][i])
        if window is not None and not (window[0] <= hour_us < window[1]):
            continue
        for row in book.buckets(close, params["bucket_width"], params["level_range"], params["level_floor_share"]):
            out["asset"].append(asset)
            out["hour_at"].append(hour_us)
            for name, value in row.items():
                out[name].append(value)
    return out


def _number(value) -> float:
    return 0.0 if value is None or (isinstance(value, float) and math.isnan(value)) else float(value)


def model(dbt, session):
    dbt.config(
        materialized="incremental",
        incremental_strategy="delete+insert",
        unique_key=["asset", "hour_at"],
    )
    settings = dbt.ref("int_liquidation_level_params").project(
        "leverage, weight, maintenance_margin, bucket_width, level_range, level_floor_share, "
        "epoch_us(window_start) as window_start_us, epoch_us(window_end) as window_end_us"
    )
    p = settings.fetchnumpy()
    params = {
        "leverages": p["leverage"],
        "weights": p["weight"],
        "maintenance_margin": float(p["maintenance_margin"][0]),
        "bucket_width": float(p["bucket_width"][0]),
        "level_range": float(p["level_range"][0]),
        "level_floor_share": float(p["level_floor_share"][0]),
    }
    hours = (
        dbt.ref("int_asset_open_interest_hourly")
        .project(
            "asset, epoch_us(hour_at) as hour_us, high, low, close, coalesce(oi_increase_coin, 0) as oi_increase_coin, "
            "coalesce(oi_decrease_coin, 0) as oi_decrease_coin, coalesce(prev_total_oi_coin, 0) as prev_total_oi_coin"
        )
        .filter("close > 0")
        .order("asset, hour_us")
        .fetchnumpy()
    )
    hours = {name: np.asarray(values) for name, values in hours.items()}
    window = (int(p["window_start_us"][0]), int(p["window_end_us"][0])) if dbt.is_incremental else None
    out = replay(hours, params, window)
    out["hour_at"] = pa.array(out["hour_at"], type=pa.int64()).cast(pa.timestamp("us", tz="UTC"))
    return pa.table(out, schema=OUTPUT_SCHEMA)
