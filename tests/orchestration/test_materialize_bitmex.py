"""materialize() of every BitMEX raw asset against the simulator into a temporary warehouse: the snapshots for the
current hour, the histories for a past day; rows, values and the blocking raw check."""

import time
from datetime import UTC, datetime, timedelta

import duckdb
import pytest
from dagster import DagsterInstance, materialize

from orchestration.assets.raw import RAW_ASSETS
from orchestration.partitions import hourly_partitions
from orchestration.resources import VenueSettings
from simulator.market import Market

DAY = "2026-01-10"


@pytest.fixture(scope="module")
def market():
    return Market(seed=7)


def _materialize(dataset: str, partition: str, sim):
    result = materialize(
        [RAW_ASSETS[f"bitmex__{dataset}"]],
        partition_key=partition,
        resources={"venue_settings": VenueSettings(simulator_url=sim.root, assets="BTC,ETH,SOL")},
        instance=DagsterInstance.ephemeral(),
        raise_on_error=False,
    )
    assert result.success
    checks = result.get_asset_check_evaluations()
    assert [(c.check_name, c.passed) for c in checks] == [("raw_partition_valid", True)]
    return checks[0].metadata["records"].value


def _query(path, sql: str, params=()):
    con = duckdb.connect(str(path), read_only=True)
    try:
        return con.execute(sql, list(params)).fetchall()
    finally:
        con.close()


def test_snapshots_of_the_current_hour(sim_env, warehouse_file, market):
    hour = hourly_partitions.get_partition_key_for_timestamp(time.time())
    assert _materialize("instruments", hour, sim_env) == 5  # three perpetuals, two quarterlies
    assert _materialize("indices", hour, sim_env) == 3
    rows = _query(
        warehouse_file,
        """
        select r.symbol, r.typ, r.fundingRate, r.fundingTimestamp, r.fundingInterval
        from (select unnest(from_json(payload, '[{"symbol":"VARCHAR","typ":"VARCHAR","fundingRate":"DOUBLE",
              "fundingTimestamp":"VARCHAR","fundingInterval":"VARCHAR"}]')) as r
              from raw.bitmex__instruments where partition_key = ?)
        where r.typ = 'FFWCSX' order by 1
        """,
        [hour],
    )
    assert [r[0] for r in rows] == ["ETHUSD", "SOLUSD", "XBTUSD"]
    symbol, _, rate, settle, interval = rows[-1]
    settle_at = datetime.fromisoformat(settle)
    assert interval == "2000-01-01T08:00:00.000Z"
    assert rate == round(market.settled_funding("bitmex", symbol, settle_at - timedelta(hours=8)), 6)
    assert _query(warehouse_file, "select endpoint, page from raw.bitmex__indices") == [
        ("/api/v1/instrument/indices", 0)
    ]


def test_histories_of_a_past_day(sim_env, warehouse_file, market):
    assert _materialize("funding_rates", DAY, sim_env) == 9
    assert _materialize("candles_1h", DAY, sim_env) == 72
    pages = _query(
        warehouse_file,
        "select page, json_extract_string(request_params, '$.symbol') from raw.bitmex__funding_rates order by page",
    )
    assert pages == [(0, "XBTUSD"), (1, "ETHUSD"), (2, "SOLUSD")]
    settled = _query(
        warehouse_file,
        """
        select r.timestamp, r.fundingRate
        from (select unnest(from_json(payload, '[{"symbol":"VARCHAR","timestamp":"VARCHAR","fundingRate":"DOUBLE"}]'))
              as r from raw.bitmex__funding_rates)
        where r.symbol = 'ETHUSD' order by 1
        """,
    )
    assert [t for t, _ in settled] == [f"{DAY}T{h}:00:00.000Z" for h in ("04", "12", "20")]
    noon = datetime(2026, 1, 10, 12, tzinfo=UTC)
    assert settled[1][1] == round(market.settled_funding("bitmex", "ETHUSD", noon - timedelta(hours=8)), 6)
    manifest = _query(
        warehouse_file, "select raw_table, response_count, check_passed from raw.load_manifest order by 1"
    )
    assert manifest == [("raw.bitmex__candles_1h", 3, True), ("raw.bitmex__funding_rates", 3, True)]
