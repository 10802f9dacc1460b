"""marts.fct_source_freshness on a hand-made raw layer: one row per raw source with the registry's cadence,
the last load that passed its check, the newest response and the allowed lag, computed by hand below."""

from datetime import UTC, datetime

import duckdb
import pytest

from ingest.registry import DATASETS, raw_tables
from ingest.streams.specs import STREAMS
from tests.dbt.dbt_runner import run_dbt
from warehouse.schema import ensure_bookkeeping, ensure_raw_table

COLUMNS = (
    "exchange, dataset, raw_table, cadence, last_loaded_at, last_loaded_partition_key, latest_load_at, "
    "latest_load_check_passed, last_fetched_at, allowed_lag_hours"
)


def t(hhmm: str) -> datetime:
    hours, minutes = hhmm.split(":")
    return datetime(2026, 11, 21, int(hours), int(minutes), tzinfo=UTC)


def _responses(con: duckdb.DuckDBPyConnection, venue: str, dataset: str, rows: list[tuple[str, str]]) -> None:
    """(partition_key, fetched_at HH:MM) per response; the other columns do not matter to the mart."""
    for page, (partition_key, fetched) in enumerate(rows):
        con.execute(
            f"insert into raw.{venue}__{dataset} values (?, ?, '/x', '{{}}', 200, ?, ?, ?, 'simulator', '{{}}', 'h')",
            [venue, dataset, t(fetched), partition_key, page],
        )


def _load(con: duckdb.DuckDBPyConnection, table: str, partition_key: str, loaded: str, passed: bool | None) -> None:
    con.execute(
        "insert into raw.load_manifest values (?, ?, ?, 'run', 1, 10, 'sha', ?, null)",
        [f"raw.{table}", partition_key, t(loaded), passed],
    )


@pytest.fixture(scope="module")
def mart(tmp_path_factory) -> dict[tuple[str, str], tuple]:
    tmp = tmp_path_factory.mktemp("source_freshness")
    warehouse = tmp / "w.duckdb"
    con = duckdb.connect(str(warehouse))
    ensure_bookkeeping(con)
    for venue, dataset in raw_tables():
        ensure_raw_table(con, venue, dataset)
    # A snapshot loaded twice, both checked: the newer load and the newer response win.
    _responses(con, "okx", "funding_rate", [("2026-11-21-09:00", "09:05"), ("2026-11-21-10:00", "10:05")])
    _load(con, "okx__funding_rate", "2026-11-21-09:00", "09:06", True)
    _load(con, "okx__funding_rate", "2026-11-21-10:00", "10:06", True)
    # Today's history refreshed twice; the second refresh failed its check: last good load stays 09:11.
    _responses(con, "binance", "funding_rates", [("2026-11-21", "10:10"), ("2026-11-21", "08:00")])
    _load(con, "binance__funding_rates", "2026-11-21", "09:11", True)
    _load(con, "binance__funding_rates", "2026-11-21", "10:11", False)
    # A stream hour loaded at 10:08; its newest message came at 09:58.
    _responses(con, "bybit", "liquidations", [("2026-11-21-09:00", "09:12"), ("2026-11-21-09:00", "09:58")])
    _load(con, "bybit__liquidations", "2026-11-21-09:00", "10:08", True)
    con.close()
    results = run_dbt(["build", "--select", "fct_source_freshness"], warehouse, tmp / "target")
    assert results["_returncode"] == 0, results["_stdout"][-3000:]
    statuses = {r["unique_id"]: r["status"] for r in results["results"]}
    # The model and its eight data tests (five not_null, unique, accepted_values, unique combination).
    assert "model.derivatives.fct_source_freshness" in statuses and len(statuses) == 9
    assert set(statuses.values()) <= {"success", "pass"}, statuses
    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        rows = con.execute(f"select {COLUMNS} from marts.fct_source_freshness").fetchall()
    finally:
        con.close()
    return {(r[0], r[1]): r for r in rows}


def test_one_row_per_raw_source_with_the_registry_cadence(mart):
    expected = {(s.venue, s.dataset): s.cadence.value for s in DATASETS}
    expected |= {(venue, "liquidations"): "hourly_stream" for venue in STREAMS}
    assert len(mart) == len(raw_tables()) == len(expected)
    assert {key: row[3] for key, row in mart.items()} == expected


def test_hand_computed_rows(mart):
    assert mart[("okx", "funding_rate")] == (
        "okx", "funding_rate", "raw.okx__funding_rate", "hourly_snapshot",
        t("10:06"), "2026-11-21-10:00", t("10:06"), True, t("10:05"), 1.5,
    )  # fmt: skip
    assert mart[("binance", "funding_rates")] == (
        "binance", "funding_rates", "raw.binance__funding_rates", "daily_history",
        t("09:11"), "2026-11-21", t("10:11"), False, t("10:10"), 1.5,
    )  # fmt: skip
    assert mart[("bybit", "liquidations")] == (
        "bybit", "liquidations", "raw.bybit__liquidations", "hourly_stream",
        t("10:08"), "2026-11-21-09:00", t("10:08"), True, t("09:58"), 2.5,
    )  # fmt: skip


def test_a_source_never_loaded_has_its_cadence_and_lag_but_no_timestamps(mart):
    assert mart[("gmx", "tickers")] == (
        "gmx", "tickers", "raw.gmx__tickers", "hourly_snapshot", None, None, None, None, None, 1.5,
    )  # fmt: skip
    assert mart[("deribit", "dvol")][3:] == ("daily_history", None, None, None, None, None, 1.5)
