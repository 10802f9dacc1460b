"""materialize() of every Drift raw asset against the simulator into a temporary warehouse: the market
stats snapshot for the current hour, funding and candles for a past day; rows landed, values as the
venue sent them, and the blocking raw check passed."""

import json
import time
from datetime import UTC, datetime

import duckdb
import pytest
from dagster import DagsterInstance, materialize

from orchestration.assets.raw import RAW_ASSETS
from orchestration.partitions import hourly_partitions
from orchestration.resources import VenueSettings

DAY = "2026-01-10"
DAY_START_S = int(datetime(2026, 1, 10, tzinfo=UTC).timestamp())
PERPS = ["BTC-PERP", "ETH-PERP", "SOL-PERP"]


@pytest.fixture
def current_hour() -> str:
    """The current hour's partition, with time to run inside it (snapshots only accept the current hour)."""
    if time.time() % 3600 > 3600 - 30:
        time.sleep(3600 - time.time() % 3600 + 1)
    return hourly_partitions.get_partition_key_for_timestamp(datetime.now(UTC).timestamp())


def _materialize(asset_key: str, partition: str, sim):
    return materialize(
        [RAW_ASSETS[asset_key]],
        partition_key=partition,
        resources={"venue_settings": VenueSettings(simulator_url=sim.root, assets="BTC,ETH,SOL")},
        instance=DagsterInstance.ephemeral(),
        raise_on_error=False,
    )


def _rows(path, table: str) -> list[tuple]:
    con = duckdb.connect(str(path), read_only=True)
    try:
        return con.execute(
            f"select partition_key, endpoint, request_params, http_status, payload from raw.{table} order by page"
        ).fetchall()
    finally:
        con.close()


def _passed_check(result) -> bool:
    return [(e.check_name, e.passed) for e in result.get_asset_check_evaluations()] == [("raw_partition_valid", True)]


def test_market_stats_snapshot_for_the_current_hour(sim_env, warehouse_file, current_hour):
    result = _materialize("drift__markets", current_hour, sim_env)
    assert result.success and _passed_check(result)
    [(key, endpoint, params, status, payload)] = _rows(warehouse_file, "drift__markets")
    assert (key, endpoint, params, status) == (current_hour, "/stats/markets", "{}", 200)
    body = json.loads(payload)
    assert body["success"] is True
    assert [(m["symbol"], m["marketIndex"]) for m in body["markets"] if m["marketType"] == "perp"] == [
        ("SOL-PERP", 0),
        ("BTC-PERP", 1),
        ("ETH-PERP", 2),
    ]


def test_funding_day_lands_one_page_per_market_with_24_settlements(sim_env, warehouse_file):
    result = _materialize("drift__funding_rates", DAY, sim_env)
    assert result.success and _passed_check(result)
    rows = _rows(warehouse_file, "drift__funding_rates")
    assert [(k, e, s) for k, e, _, s, _ in rows] == [(DAY, f"/market/{p}/fundingRates/2026/1/10", 200) for p in PERPS]
    for (*_, payload), perp in zip(rows, PERPS, strict=True):
        records = json.loads(payload)["records"]
        assert len(records) == 24 and {r["symbol"] for r in records} == {perp}
        # Hourly settlements, each landing within a minute after its hour (ts in unix seconds).
        assert [(r["ts"] - DAY_START_S) // 3600 for r in records] == list(range(24))
        assert all(0 < (r["ts"] - DAY_START_S) % 3600 <= 60 for r in records)


def test_candles_day_lands_288_five_minute_candles_per_market(sim_env, warehouse_file):
    result = _materialize("drift__candles", DAY, sim_env)
    assert result.success and _passed_check(result)
    rows = _rows(warehouse_file, "drift__candles")
    assert [e for _, e, _, _, _ in rows] == [f"/market/{p}/candles/5" for p in PERPS]
    assert json.loads(rows[0][2]) == {"startTs": DAY_START_S + 86400 - 1, "endTs": DAY_START_S, "limit": 1000}
    for *_, payload in rows:
        opens = [c["ts"] for c in json.loads(payload)["records"]]
        assert opens == list(range(DAY_START_S + 86400 - 300, DAY_START_S - 1, -300))
