"""materialize() of every Deribit raw asset against the simulator into a temporary warehouse."""

import json
from datetime import UTC, datetime

import duckdb
import pytest
from dagster import DagsterInstance, materialize

from ingest.registry import DATASETS, Cadence
from orchestration.assets.raw import RAW_ASSETS
from orchestration.partitions import hourly_partitions
from orchestration.resources import VenueSettings

DAY = "2026-11-10"
DAY_START_MS = int(datetime(2026, 11, 10, tzinfo=UTC).timestamp() * 1000)
DERIBIT = {s.dataset: s for s in DATASETS if s.venue == "deribit"}


def _partition(dataset: str) -> str:
    if DERIBIT[dataset].cadence == Cadence.DAILY_HISTORY:
        return DAY
    # Snapshot assets only accept the hour in progress.
    return hourly_partitions.get_partition_key_for_timestamp(datetime.now(UTC).timestamp())


@pytest.fixture(scope="module")
def materialized(simulator, tmp_path_factory):
    """Every Deribit raw asset, materialized once into one warehouse (each for its own partition)."""
    warehouse = tmp_path_factory.mktemp("deribit") / "warehouse.duckdb"
    simulator.reset()
    simulator.set_limits({})
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("DW_WAREHOUSE_PATH", str(warehouse))
        results = {
            name: materialize(
                [RAW_ASSETS[f"deribit__{name}"]],
                partition_key=_partition(name),
                resources={"venue_settings": VenueSettings(simulator_url=simulator.root, assets="BTC,ETH,SOL")},
                instance=DagsterInstance.ephemeral(),
                raise_on_error=False,
            )
            for name in DERIBIT
        }
    con = duckdb.connect(str(warehouse), read_only=True)
    yield results, con
    con.close()


def _payloads(con, dataset: str) -> list[dict]:
    rows = con.execute(f"select payload from raw.deribit__{dataset} order by page").fetchall()
    return [json.loads(p) for (p,) in rows]


def test_every_deribit_dataset_is_a_raw_asset():
    assert set(DERIBIT) == {
        "instruments",
        "book_summary_options",
        "book_summary_futures",
        "index_prices",
        "funding_rates",
        "dvol",
        "trades_futures",
        "trades_options",
    }
    assert all(f"deribit__{name}" in RAW_ASSETS for name in DERIBIT)


def test_every_asset_succeeds_and_its_raw_check_passes(materialized):
    results, _ = materialized
    for name, result in results.items():
        assert result.success, name
        evaluations = result.get_asset_check_evaluations()
        assert [(e.check_name, e.passed) for e in evaluations] == [("raw_partition_valid", True)], name


def test_row_counts_and_partitions(materialized):
    _, con = materialized
    manifest = con.execute("select raw_table, count(*), bool_and(check_passed) from raw.load_manifest group by 1")
    assert {t: (n, ok) for t, n, ok in manifest.fetchall()} == {f"raw.deribit__{name}": (1, True) for name in DERIBIT}
    responses = {
        name: con.execute(f"select count(*), any_value(partition_key) from raw.deribit__{name}").fetchone()
        for name in DERIBIT
    }
    assert responses["instruments"][0] == 6  # BTC, ETH, USDC x future, option
    assert responses["book_summary_options"][0] == responses["book_summary_futures"][0] == 3
    assert responses["index_prices"][0] == responses["funding_rates"][0] == 3
    assert responses["dvol"][0] == 2  # BTC and ETH: Deribit has no SOL DVOL
    assert responses["trades_futures"][0] >= 3 and responses["trades_options"][0] >= 3
    assert {responses[n][1] for n in ("funding_rates", "dvol", "trades_futures", "trades_options")} == {DAY}


def test_values_land_as_received(materialized):
    _, con = materialized
    btc_funding = _payloads(con, "funding_rates")[0]["result"]
    assert len(btc_funding) == 24 and btc_funding[0]["timestamp"] == DAY_START_MS
    dvol = _payloads(con, "dvol")[0]["result"]["data"]
    assert [c[0] for c in dvol][:2] == [DAY_START_MS, DAY_START_MS + 3_600_000]
    futures = [row for body in _payloads(con, "book_summary_futures") for row in body["result"]]
    perps = {r["instrument_name"]: r for r in futures if "funding_8h" in r}
    assert set(perps) == {"BTC-PERPETUAL", "ETH-PERPETUAL", "SOL_USDC-PERPETUAL"}
    pages = con.execute("select request_params from raw.deribit__trades_futures order by page").fetchall()
    btc = [json.loads(p) for (p,) in pages if json.loads(p)["currency"] == "BTC"]
    # A full first page is asked again up to its last millisecond: the kept pages tile the day.
    assert {k: btc[0][k] for k in ("kind", "count", "sorting", "start_timestamp")} == {
        "kind": "future",
        "count": 1000,
        "sorting": "asc",
        "start_timestamp": DAY_START_MS,
    }
    assert btc[-1]["end_timestamp"] == DAY_START_MS + 86_400_000 - 1
    trade_ids = con.execute(
        "select count(*), count(distinct t.trade_id) from (select unnest(from_json(payload, "
        """'{"result":{"trades":[{"trade_id":"VARCHAR"}]}}').result.trades) as t from raw.deribit__trades_options)"""
    ).fetchone()
    assert trade_ids[0] == trade_ids[1] > 10_000  # three currencies' option trades of a day, none twice
