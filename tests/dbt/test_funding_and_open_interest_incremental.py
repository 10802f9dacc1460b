"""The funding and open-interest marts are incremental with look-backs: re-running a partition window (a day in
the middle of the history, or the last hour as the hourly schedule does) must give exactly what a full rebuild
gives. The marts read intermediate relations only, so the test puts synthetic `intermediate.int_*` tables (35
days, two assets, three venues with 8 h, 4 h and 1 h funding) into a fresh warehouse and runs only the marts."""

import math
from datetime import UTC, datetime, timedelta

import duckdb
import polars as pl
import pytest

from tests.dbt.dbt_runner import run_dbt

START = datetime(2026, 1, 1, tzinfo=UTC)
DAYS = 35
SELECT = ["--select", "marts.funding", "marts.open_interest"]
INCREMENTAL = {
    "fct_funding_rates": "funding_at",
    "fct_funding_hourly": "hour_at",
    "fct_funding_signals": "hour_at",
    "fct_open_interest_hourly": "hour_at",
    "fct_open_interest_signals": "hour_at",
}
MARTS = [*INCREMENTAL, "fct_funding_current", "fct_funding_asset_summary"]
# venue -> (primary perpetual per asset, funding interval in hours)
VENUES = {"binance": ("{a}USDT", 8), "bybit": ("{a}USDT", 4), "dydx": ("{a}-USD", 1)}
ASSETS = {"BTC": 0.0, "ETH": 1.3}


def _hours():
    return [START + timedelta(hours=i) for i in range(DAYS * 24)]


def _synthetic(con: duckdb.DuckDBPyConnection) -> None:
    """Smooth, deterministic series with long stretches of high funding (fades), OI swings and price trends."""
    con.execute("create schema intermediate")
    settlements, snapshots, oi, ratios, prices = [], [], [], [], []
    last = _hours()[-1]
    for asset, phase in ASSETS.items():
        for i, t in enumerate(_hours()):
            close = 100 * (1 + 0.2 * math.sin(i / 50 + phase) + 0.005 * math.sin(i / 7))
            prices.append((asset, t, close, close, close, close, 1.0, 1, False))
            for v, (venue, (symbol, interval)) in enumerate(VENUES.items()):
                instrument = symbol.format(a=asset)
                rate_8h = 0.0003 + 0.0009 * math.sin(i / 60 + phase + v / 5)
                rate = rate_8h * interval / 8
                if i % interval == 0:
                    settlements.append((venue, asset, instrument, True, t, rate, float(interval), "simulator"))
                # The venue's OI history; the COIN-M contract only from our snapshots of the last day.
                oi_usd = 1e9 * (1 + v) * (1 + 0.3 * math.sin(i / (40 + 10 * v) + phase))
                oi.append((venue, asset, instrument, True, t, oi_usd / close, oi_usd, "history"))
                if venue == "binance" and t > last - timedelta(days=1):
                    snap_at = t + timedelta(minutes=5)
                    oi.append((venue, asset, f"{asset}USD_PERP", False, snap_at, 1e4, 1e4 * close, "snapshot"))
                if t >= last - timedelta(hours=1):
                    next_at = t + timedelta(hours=interval)
                    snapshots.append((venue, asset, instrument, True, t, rate, float(interval), next_at, close))
                if venue != "dydx":
                    long_share = 0.5 + 0.1 * math.sin(i / 30 + v)
                    ratios.append((venue, asset, instrument, t, long_share, long_share / (1 - long_share)))
    _table(con, "int_funding_settlements", SETTLEMENT_COLUMNS, settlements, SETTLEMENT_EXTRA)
    _table(con, "int_funding_snapshots", SNAPSHOT_COLUMNS, snapshots, SNAPSHOT_EXTRA)
    _table(con, "int_open_interest", OI_COLUMNS, oi, OI_EXTRA)
    _table(con, "int_long_short_ratios", RATIO_COLUMNS, ratios, RATIO_EXTRA)
    _table(con, "int_price_spine", PRICE_COLUMNS, prices, "")


SETTLEMENT_COLUMNS = "exchange asset instrument is_primary funding_at funding_rate funding_interval_hours data_mode"
SETTLEMENT_EXTRA = (
    ", funding_rate * 8 / funding_interval_hours as funding_rate_8h"
    ", funding_rate * 8760 / funding_interval_hours as funding_apr"
)
SNAPSHOT_COLUMNS = (
    "exchange asset instrument is_primary observed_at funding_rate funding_interval_hours next_funding_at mark_price"
)
SNAPSHOT_EXTRA = (
    ", funding_rate * 8 / funding_interval_hours as funding_rate_8h"
    ", funding_rate * 8760 / funding_interval_hours as funding_apr, mark_price as index_price, 'simulator' as data_mode"
)
OI_COLUMNS = "exchange asset instrument is_primary observed_at oi_coin oi_usd oi_source"
OI_EXTRA = ", null::double as long_oi_usd, null::double as short_oi_usd, 'simulator' as data_mode"
RATIO_COLUMNS = "exchange asset instrument observed_at long_share long_short_ratio"
RATIO_EXTRA = ", 'accounts' as ratio_kind, 1 - long_share as short_share, 'simulator' as data_mode"
PRICE_COLUMNS = "asset hour_at open high low close volume_usd venue_count is_filled"


def _table(con: duckdb.DuckDBPyConnection, name: str, columns: str, rows: list[tuple], extra: str) -> None:
    frame = pl.DataFrame(rows, schema=columns.split(), orient="row")  # noqa: F841 (read by DuckDB by name)
    con.execute(f"create table intermediate.{name} as select *{extra} from frame")


def _contents(warehouse) -> dict[str, list[tuple]]:
    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        return {m: con.execute(f"select * from marts.{m} order by all").fetchall() for m in MARTS}
    finally:
        con.close()


def _same(a: dict[str, list[tuple]], b: dict[str, list[tuple]]) -> None:
    # A window average over fewer rows read may add in another order; fractions are stored rounded to 12
    # decimals, so such a difference can show in the 12th decimal.
    for mart in MARTS:
        assert len(a[mart]) == len(b[mart]), mart
        for row_a, row_b in zip(a[mart], b[mart], strict=True):
            for x, y in zip(row_a, row_b, strict=True):
                if isinstance(x, float) and isinstance(y, float):
                    assert x == pytest.approx(y, rel=1e-10, abs=1e-11), (mart, row_a, row_b)
                else:
                    assert x == y, (mart, row_a, row_b)


def _rerun_window(tmp_path, warehouse, start: datetime, end: datetime, name: str) -> None:
    """Delete the window's rows from the incremental marts, then run the marts for that window only."""
    con = duckdb.connect(str(warehouse))
    for mart, column in INCREMENTAL.items():
        con.execute(f"delete from marts.{mart} where {column} >= ? and {column} < ?", [start, end])
    con.close()
    window = f"{{window_start: '{start.isoformat()}', window_end: '{end.isoformat()}'}}"
    results = run_dbt(["run", *SELECT, "--vars", window], warehouse, tmp_path / name)
    assert results["_returncode"] == 0, results["_stdout"][-3000:]


@pytest.fixture(scope="module")
def full_build(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("incremental")
    warehouse = tmp / "w.duckdb"
    con = duckdb.connect(str(warehouse))
    _synthetic(con)
    con.close()
    results = run_dbt(["run", *SELECT], warehouse, tmp / "target_full")
    assert results["_returncode"] == 0, results["_stdout"][-3000:]
    return tmp, warehouse, _contents(warehouse)


def test_the_synthetic_history_exercises_the_signals(full_build):
    _, _, full = full_build
    signals = full["fct_funding_signals"]
    assert len(signals) == len(ASSETS) * DAYS * 24
    con = duckdb.connect(str(full_build[1]), read_only=True)
    counts = con.execute(
        "select count(fade_signal), count(accel_class), count(divergence), count(*) filter (where spread_alert), "
        "count(distinct carry_state) from marts.fct_funding_signals"
    ).fetchone()
    oi = con.execute(
        "select count(distinct quadrant), count(*) filter (where divergence_hours >= 48), "
        "count(*) filter (where concentration_shift > 0) from marts.fct_open_interest_signals"
    ).fetchone()
    con.close()
    assert all(c > 0 for c in counts), counts
    assert counts[4] == 3
    assert oi[0] == 4 and oi[1] > 0 and oi[2] > 0, oi


def test_rerunning_a_day_in_the_middle_gives_the_full_build(full_build, tmp_path):
    tmp, warehouse, full = full_build
    day = START + timedelta(days=33)
    _rerun_window(tmp_path, warehouse, day, day + timedelta(days=1), "target_day")
    _same(_contents(warehouse), full)


def test_the_hourly_run_of_the_last_hour_gives_the_full_build(full_build, tmp_path):
    tmp, warehouse, full = full_build
    last = START + timedelta(days=DAYS) - timedelta(hours=1)
    _rerun_window(tmp_path, warehouse, last, last + timedelta(hours=1), "target_hour")
    _same(_contents(warehouse), full)
