"""materialize() of every GMX raw asset for the current hour, against the simulator, into a temporary
warehouse: rows landed, values as the venue sent them, and the blocking raw check passed."""

import json
import time
from datetime import UTC, datetime

import duckdb
import pytest
from dagster import DagsterInstance, materialize

from orchestration.assets.raw import RAW_ASSETS
from orchestration.partitions import hourly_partitions
from orchestration.resources import VenueSettings
from simulator.venues.gmx import TOKEN_ADDRESS, fake_address


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
            f"select partition_key, endpoint, http_status, data_mode, payload from raw.{table}"
        ).fetchall()
    finally:
        con.close()


@pytest.mark.parametrize(
    ("dataset", "endpoint", "records"),
    [("markets", "/markets", 3), ("markets_info", "/markets/info", 3), ("tickers", "/prices/tickers", 5)],
)
def test_each_gmx_snapshot_lands_one_response_and_passes_its_raw_check(
    sim_env, warehouse_file, current_hour, dataset, endpoint, records
):
    result = _materialize(f"gmx__{dataset}", current_hour, sim_env)
    assert result.success
    evaluations = result.get_asset_check_evaluations()
    assert [(e.check_name, e.passed) for e in evaluations] == [("raw_partition_valid", True)]
    assert evaluations[0].metadata["records"].value == records  # the market rows inside {"markets": [...]}
    rows = _rows(warehouse_file, f"gmx__{dataset}")
    assert [(k, e, s, m) for k, e, s, m, _ in rows] == [(current_hour, endpoint, 200, "simulator")]
    body = json.loads(rows[0][4])
    if dataset == "tickers":
        assert {t["tokenSymbol"]: t["tokenAddress"] for t in body} == TOKEN_ADDRESS
    else:
        assert [m["marketToken"] for m in body["markets"]] == [
            fake_address(f"market:{name}")
            for name in ("BTC/USD [WBTC-USDC]", "ETH/USD [WETH-USDC]", "SOL/USD [SOL-USDC]")
        ]
