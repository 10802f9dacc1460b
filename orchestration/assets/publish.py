# No `from __future__ import annotations` here: Dagster inspects the context type hints at runtime.
"""Publishing: after the run's blocking checks (raw gate, dbt tests, mart suites) pass, readers get the new
state in one atomic rename (warehouse/publish.py). If anything upstream failed, this asset does not run and
readers keep the last good file."""

import time

from dagster import AssetExecutionContext, AssetKey, BackfillPolicy, DagsterEventType, MaterializeResult, asset

from orchestration.assets.dbt import dbt_models
from orchestration.partitions import daily_partitions, run_window
from warehouse.paths import published_path, warehouse_path
from warehouse.publish import Publication, publish

PUBLISHED_KEY = AssetKey(["published", "warehouse"])


def _run_check_verdicts(context: AssetExecutionContext) -> dict[str, int]:
    """How many checks of this run passed and failed (failed ones would have blocked us; recorded anyway)."""
    records = context.instance.get_records_for_run(
        context.run_id, of_type=DagsterEventType.ASSET_CHECK_EVALUATION, limit=100_000
    ).records
    verdicts = {"passed": 0, "failed": 0}
    for record in records:
        evaluation = record.event_log_entry.dagster_event.event_specific_data
        verdicts["passed" if evaluation.passed else "failed"] += 1
    return verdicts


@asset(
    key=PUBLISHED_KEY,
    deps=list(dbt_models.keys),
    partitions_def=daily_partitions,
    backfill_policy=BackfillPolicy.single_run(),
    pool="duckdb_writer",
    group_name="publish",
    kinds={"duckdb"},
    description="The checked warehouse readers open read-only (the command line, analysts, BI tools).",
)
def published_warehouse(context: AssetExecutionContext) -> MaterializeResult:
    t0 = time.monotonic()
    source = warehouse_path()
    verdicts = _run_check_verdicts(context)
    window = run_window(context.run.tags)
    stamp = Publication(context.run_id, window[0], window[1], verdicts["passed"], verdicts)
    target = publish(source, published_path(source), stamp)
    size = target.stat().st_size
    context.log.info(f"published {source} -> {target} ({size / 1e6:.1f} MB, {verdicts['passed']} checks passed)")
    return MaterializeResult(
        metadata={
            "path": str(target),
            "bytes": size,
            "checks_passed": verdicts["passed"],
            "publish_seconds": round(time.monotonic() - t0, 2),
        }
    )
