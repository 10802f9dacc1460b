# No `from __future__ import annotations` here: Dagster inspects the context type hints at runtime.
"""Publishing: after the run's blocking checks and dbt tests pass, readers get the new state in one
atomic rename (warehouse/publish.py). If anything upstream failed, this asset does not run and
readers keep the last good file."""

from dagster import AssetExecutionContext, AssetKey, BackfillPolicy, MaterializeResult, asset

from orchestration.assets.dbt import dbt_models
from orchestration.partitions import daily_partitions
from warehouse.paths import published_path, warehouse_path
from warehouse.publish import publish

PUBLISHED_KEY = AssetKey(["published", "warehouse"])


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
    source = warehouse_path()
    target = publish(source, published_path(source))
    size = target.stat().st_size
    context.log.info(f"published {source} -> {target} ({size / 1e6:.1f} MB)")
    return MaterializeResult(metadata={"path": str(target), "bytes": size})
