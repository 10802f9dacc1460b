"""dbt's own tests: unit tests with hand-computed values, and the project building on an empty warehouse."""

import json

import duckdb

from ingest.registry import raw_tables
from tests.dbt.dbt_runner import run_dbt
from warehouse.schema import ensure_bookkeeping, ensure_raw_table


def test_dbt_build_with_unit_tests_passes_on_an_empty_warehouse_and_docs_generate(tmp_path):
    warehouse = tmp_path / "w.duckdb"
    con = duckdb.connect(str(warehouse))
    ensure_bookkeeping(con)
    for venue, dataset in raw_tables():
        ensure_raw_table(con, venue, dataset)
    con.close()
    results = run_dbt(["build"], warehouse, tmp_path / "target")
    assert results["_returncode"] == 0, results["_stdout"][-3000:]
    statuses = {r["unique_id"]: r["status"] for r in results["results"]}
    unit = {k: v for k, v in statuses.items() if k.startswith("unit_test.")}
    # The hand-computed annualisation (8 h, 4 h, 1 h) and OI-weighting/levels unit tests ran and passed.
    assert any("funding_annualisation_uses_the_real_interval" in k for k in unit)
    assert any("oi_weighted_funding_and_levels" in k for k in unit)
    assert set(unit.values()) == {"pass"}
    assert all(v in ("success", "pass") for v in statuses.values())

    # `dbt docs generate` (what `make docs` serves) documents every mart with its columns.
    docs = run_dbt(["docs", "generate"], warehouse, tmp_path / "target")
    assert docs["_returncode"] == 0, docs["_stdout"][-3000:]
    catalog = json.loads((tmp_path / "target" / "catalog.json").read_text())
    marts = {n["metadata"]["name"] for n in catalog["nodes"].values() if n["metadata"]["schema"] == "marts"}
    assert {"fct_funding_signals", "fct_confluence_scenarios", "fct_alerts", "fct_daily_asset"} <= marts
