"""Jobs. Both run in-process: one process owns the DuckDB file for the whole run (single writer),
and many small steps run faster without a process per step."""

from __future__ import annotations

from dagster import AssetSelection, define_asset_job, in_process_executor

from orchestration.assets.dbt import dbt_models
from orchestration.assets.publish import published_warehouse
from orchestration.assets.raw import HISTORY_RAW_ASSETS, SNAPSHOT_RAW_ASSETS
from orchestration.partitions import daily_partitions, hourly_partitions

snapshots_job = define_asset_job(
    "hourly_snapshots",
    selection=AssetSelection.assets(*SNAPSHOT_RAW_ASSETS),
    partitions_def=hourly_partitions,
    executor_def=in_process_executor,
    description="Snapshot every venue's current state (funding, premium index, open interest) for this hour.",
)

history_and_marts_job = define_asset_job(
    "history_and_marts",
    selection=AssetSelection.assets(*HISTORY_RAW_ASSETS, dbt_models, published_warehouse),
    partitions_def=daily_partitions,
    executor_def=in_process_executor,
    description="Fetch the day's settled history, build the dbt marts, run the checks, publish.",
)
