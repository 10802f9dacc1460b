"""The raw gate reads the load manifest: only the latest load of each partition in the window counts."""

from __future__ import annotations

from datetime import UTC, datetime

import duckdb
import pytest

from ingest.envelope import RawResponse
from ingest.registry import dataset
from warehouse.load import load_partition
from warehouse.raw_checks import check_raw_partition
from warehouse.raw_gate import failed_loads

SHAPE = dataset("binance", "funding_rates").shape
T0 = 1795219200000  # 2026-11-21 00:00 UTC
GOOD = f'[{{"symbol":"BTCUSDT","fundingTime":{T0},"fundingRate":"0.0001","markPrice":"1"}}]'
DRIFTED = f'[{{"symbol":"BTCUSDT","fundingTime":{T0},"funding_rate":"0.0001","markPrice":"1"}}]'


def _load(con, key: str, body: str) -> None:
    window = (datetime(2026, 11, 21, tzinfo=UTC), datetime(2026, 11, 22, tzinfo=UTC))
    response = RawResponse(
        "binance", "funding_rates", "/fapi/v1/fundingRate", {}, 200, datetime.now(UTC), body, 0, "simulator"
    )
    load_partition(
        con,
        "binance",
        "funding_rates",
        key,
        [response],
        "run-1",
        check=lambda c, t, k: check_raw_partition(c, t, k, SHAPE, window if k == "2026-11-21" else None),
    )


def test_a_failed_latest_load_in_the_window_is_named_and_a_reload_clears_it(tmp_path):
    con = duckdb.connect(str(tmp_path / "w.duckdb"))
    table = "raw.binance__funding_rates"
    assert failed_loads(con, [table], ["2026-11-21"]) == {}  # no manifest yet: nothing failed
    _load(con, "2026-11-21", GOOD)
    assert failed_loads(con, [table], ["2026-11-21"]) == {}
    _load(con, "2026-11-21", DRIFTED)
    failed = failed_loads(con, [table], ["2026-11-21", "2026-11-21-08:00"])
    (only,) = failed[table]
    assert only["partition"] == "2026-11-21" and only["load_run_id"] == "run-1"
    assert only["failures"] == [
        "schema: 1 records lack one of the fields ['symbol', 'fundingTime', 'fundingRate'] (renamed or dropped field?)"
    ]
    # Outside the run's window it is not this run's business.
    assert failed_loads(con, [table], ["2026-11-20"]) == {}
    # Loading the partition again with good data clears the gate.
    _load(con, "2026-11-21", GOOD)
    assert failed_loads(con, [table], ["2026-11-21"]) == {}


def test_quarantine_sets_a_failed_partition_aside_without_dropping_it(tmp_path):
    from warehouse.quarantine import quarantine_partition

    con = duckdb.connect(str(tmp_path / "w.duckdb"))
    table = "raw.binance__funding_rates"
    _load(con, "2026-11-21", DRIFTED)
    assert failed_loads(con, [table], ["2026-11-21"])
    with pytest.raises(ValueError, match="say why"):
        quarantine_partition(con, table, "2026-11-21", " ")
    with pytest.raises(ValueError, match="not a raw table"):
        quarantine_partition(con, "raw.load_manifest", "2026-11-21", "x")
    assert quarantine_partition(con, table, "2026-11-21", "funding rate renamed by the venue") == 1
    assert failed_loads(con, [table], ["2026-11-21"]) == {}
    assert con.execute(f"select count(*) from {table}").fetchone()[0] == 0
    kept = con.execute("select payload, raw_table, reason from raw.quarantined_responses").fetchall()
    assert kept == [(DRIFTED, table, "funding rate renamed by the venue")]
    with pytest.raises(ValueError, match="no partition"):
        quarantine_partition(con, table, "2026-11-21", "again")
