# No `from __future__ import annotations` here: Dagster inspects the context type hints at runtime.
"""The dbt project as Dagster assets (dagster-dbt). The manifest is prepared ahead of time
(`make prepare` runs `dbt parse`), never at definition load; the partition window reaches dbt as
--vars through the pure function in orchestration/dbt_args.py."""

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from dagster import AssetExecutionContext, AssetKey, BackfillPolicy
from dagster_dbt import DagsterDbtTranslator, DbtCliResource, DbtProject, dbt_assets

from ingest.registry import raw_tables
from orchestration.dbt_args import dbt_build_args, dbt_window_vars
from orchestration.partitions import daily_partitions
from warehouse.connection import connect_writer
from warehouse.schema import ensure_bookkeeping, ensure_raw_table

DBT_PROJECT_DIR = Path(__file__).resolve().parents[2] / "dbt_project"

dbt_project = DbtProject(project_dir=DBT_PROJECT_DIR, profiles_dir=DBT_PROJECT_DIR)

if not dbt_project.manifest_path.exists():
    raise FileNotFoundError(
        f"dbt manifest missing at {dbt_project.manifest_path}: run `make prepare` (it runs `dbt parse`) first"
    )


class WarehouseTranslator(DagsterDbtTranslator):
    """Models are keyed by their schema (staging/<model>, marts/<model>); sources keep the raw asset
    keys declared in their meta, which ties them to the ingest assets."""

    def get_asset_key(self, dbt_resource_props: Mapping[str, Any]) -> AssetKey:
        if dbt_resource_props["resource_type"] == "model":
            schema = dbt_resource_props.get("config", {}).get("schema") or "main"
            return AssetKey([schema, dbt_resource_props["name"]])
        return super().get_asset_key(dbt_resource_props)

    def get_group_name(self, dbt_resource_props: Mapping[str, Any]) -> str | None:
        return dbt_resource_props.get("config", {}).get("schema") or "dbt"


@dbt_assets(
    manifest=dbt_project.manifest_path,
    project=dbt_project,
    partitions_def=daily_partitions,
    dagster_dbt_translator=WarehouseTranslator(),
    backfill_policy=BackfillPolicy.single_run(),
    pool="duckdb_writer",
)
def dbt_models(context: AssetExecutionContext, dbt: DbtCliResource):
    # Every source table must exist even before its first load (a venue that has never answered).
    with connect_writer() as con:
        ensure_bookkeeping(con)
        for venue, dataset in raw_tables():
            ensure_raw_table(con, venue, dataset)
    window = context.partition_time_window
    args = dbt_build_args(dbt_window_vars(window.start, window.end))
    context.log.info(f"dbt {' '.join(args)}")
    yield from dbt.cli(args, context=context).stream()
