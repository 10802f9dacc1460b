"""materialize() of every Bybit raw asset against the simulator into a temporary warehouse: one day of each
history, the current hour of each snapshot, with the blocking raw check recorded."""

import time
from datetime import UTC, datetime, timedelta

import duckdb
import pytest
from dagster import DagsterInstance, materialize

from ingest.registry import DATASETS, Cadence
from orchestration.assets.raw import RAW_ASSETS
from orchestration.partitions import hourly_partitions
from orchestration.resources import VenueSettings
from simulator.market import Market

DAY = "2026-01-10"
DAY_START_MS = 1768003200000
HOUR_MS = 3_600_000
HISTORIES = sorted(s.key for s in DATASETS if s.venue == "bybit" and s.cadence == Cadence.DAILY_HISTORY)
SNAPSHOTS = sorted(s.key for s in DATASETS if s.venue == "bybit" and s.cadence == Cadence.HOURLY_SNAPSHOT)


def _materialize(keys: list[str], partition: str, sim):
    return materialize(
        [RAW_ASSETS[k] for k in keys],
        partition_key=partition,
        resources={"venue_settings": VenueSettings(simulator_url=sim.root, assets="BTC,ETH,SOL")},
        instance=DagsterInstance.ephemeral(),
        raise_on_error=False,
    )


def _checks(result) -> dict[str, tuple[bool, int]]:
    return {
        "__".join(e.asset_key.path[1:]): (e.passed, e.metadata["records"].value)
        for e in result.get_asset_check_evaluations()
    }


def _records(table: str, fields: str) -> str:
    """SQL over the records of a raw Bybit table: `r` is one element of each payload's result.list."""
    record = ",".join(f'"{f}":"VARCHAR"' for f in fields.split(","))
    structure = '{"result":{"list":[{' + record + "}]}}"
    return f"(select unnest(from_json(payload, '{structure}').result.list) as r, partition_key from raw.{table})"


def _query(path, sql: str, params: list | None = None) -> list[tuple]:
    con = duckdb.connect(str(path), read_only=True)
    try:
        return con.execute(sql, params or []).fetchall()
    finally:
        con.close()


def test_every_bybit_dataset_is_registered():
    assert HISTORIES == [
        "bybit__candles_1h",
        "bybit__funding_rates",
        "bybit__long_short_ratio",
        "bybit__open_interest_history",
    ]
    assert SNAPSHOTS == ["bybit__instruments", "bybit__option_tickers", "bybit__tickers"]


def test_history_assets_load_one_day_and_pass_the_raw_check(sim_env, warehouse_file):
    result = _materialize(HISTORIES, DAY, sim_env)
    assert result.success
    # Six responses per dataset (BTC, ETH, SOL x linear, inverse), each one record for the response-level check.
    assert _checks(result) == {key: (True, 6) for key in HISTORIES}
    settlements = _query(
        warehouse_file,
        f"""
        select r.symbol, count(*), min(r.fundingRateTimestamp::bigint), max(r.fundingRateTimestamp::bigint)
        from {_records("bybit__funding_rates", "symbol,fundingRateTimestamp")}
        where partition_key = ?
        group by 1 order by 1
        """,
        [DAY],
    )
    # Every Bybit perpetual of the simulator settles every 8 hours: 00:00, 08:00 and 16:00 of the day.
    assert settlements == [
        (symbol, 3, DAY_START_MS, DAY_START_MS + 16 * HOUR_MS)
        for symbol in ("BTCUSD", "BTCUSDT", "ETHUSD", "ETHUSDT", "SOLUSD", "SOLUSDT")
    ]
    market = Market(seed=7)
    settled_at = datetime(2026, 1, 10, 8, tzinfo=UTC)
    (rate,) = _query(
        warehouse_file,
        f"""
        select r.fundingRate
        from {_records("bybit__funding_rates", "symbol,fundingRate,fundingRateTimestamp")}
        where partition_key = ? and r.symbol = 'BTCUSDT' and r.fundingRateTimestamp = ?
        """,
        [DAY, str(DAY_START_MS + 8 * HOUR_MS)],
    )[0]
    assert float(rate) == round(market.settled_funding("bybit", "BTCUSDT", settled_at), 8)
    hourly = _query(
        warehouse_file,
        f"""
        select count(*), min(r.timestamp::bigint), max(r.timestamp::bigint)
        from {_records("bybit__open_interest_history", "timestamp")}
        where partition_key = ?
        """,
        [DAY],
    )
    assert hourly == [(144, DAY_START_MS, DAY_START_MS + 23 * HOUR_MS)]
    manifest = _query(warehouse_file, "select raw_table, check_passed from raw.load_manifest order by 1")
    assert manifest == [(f"raw.{key}", True) for key in HISTORIES]


def _current_hour() -> str:
    """The current hour's partition, not within seconds of its end (snapshots accept only the current hour)."""
    now = datetime.now(UTC)
    next_hour = now.replace(minute=0, second=0, microsecond=0) + timedelta(hours=1)
    if next_hour - now < timedelta(seconds=30):
        time.sleep((next_hour - now).total_seconds() + 1)
    return hourly_partitions.get_partition_key_for_timestamp(datetime.now(UTC).timestamp())


def test_snapshot_assets_load_the_current_hour_and_pass_the_raw_check(sim_env, warehouse_file):
    result = _materialize(SNAPSHOTS, _current_hour(), sim_env)
    assert result.success
    # instruments: linear, inverse, option per asset; tickers: the inverse category plus one linear per asset.
    assert _checks(result) == {
        "bybit__instruments": (True, 9),
        "bybit__tickers": (True, 4),
        "bybit__option_tickers": (True, 3),
    }
    tickers = _query(
        warehouse_file,
        f"""
        select r.symbol, r.nextFundingTime::bigint, r.basisRate
        from {_records("bybit__tickers", "symbol,nextFundingTime,basisRate")}
        order by 1
        """,
    )
    by_symbol = {symbol: (next_ms, basis) for symbol, next_ms, basis in tickers}
    # Three linear perpetuals, and the inverse category: three perpetuals and six quarterlies.
    assert {"BTCUSD", "BTCUSDT", "ETHUSD", "ETHUSDT", "SOLUSD", "SOLUSDT"} <= set(by_symbol) and len(by_symbol) == 12
    now_ms = time.time() * 1000
    next_btc = by_symbol["BTCUSDT"][0]
    assert next_btc % (8 * HOUR_MS) == 0 and now_ms < next_btc <= now_ms + 8 * HOUR_MS
    assert sum(1 for _, basis in by_symbol.values() if basis) == 6  # the BTC and ETH quarterlies
    chains = _query(
        warehouse_file,
        f"""
        select split_part(r.symbol, '-', 1), count(*), min(r.markIv::double), max(r.markIv::double)
        from {_records("bybit__option_tickers", "symbol,markIv")}
        group by 1 order by 1
        """,
    )
    assert [coin for coin, *_ in chains] == ["BTC", "ETH", "SOL"]
    assert all(n > 50 and 0.05 < lo <= hi < 3 for _, n, lo, hi in chains)  # markIv is a fraction


@pytest.mark.parametrize("key", SNAPSHOTS)
def test_a_snapshot_of_a_past_hour_is_refused(sim_env, warehouse_file, key):
    past = hourly_partitions.get_partition_key_for_timestamp((datetime.now(UTC) - timedelta(hours=3)).timestamp())
    result = _materialize([key], past, sim_env)
    assert not result.success
    assert sim_env.requests_summary()["requests"] == 0  # refused before any call to the venue
