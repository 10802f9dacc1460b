"""Jobs. All run in-process: one process owns the DuckDB file for the whole run (single writer), and
many small steps run faster without a process per step.

Ingestion and marts are separate jobs on purpose: a venue whose fetch fails fails only its own raw asset,
and the marts job still builds from everything else (the stale venue is flagged by freshness).
"""

from dagster import AssetSelection, define_asset_job, in_process_executor

from orchestration.assets.dbt import dbt_models
from orchestration.assets.publish import published_warehouse
from orchestration.assets.raw import HISTORY_RAW_ASSETS, SNAPSHOT_RAW_ASSETS
from orchestration.assets.streams import STREAM_ASSETS
from orchestration.checks import GATE_CHECKS
from orchestration.freshness import FRESHNESS_CHECKS
from orchestration.partitions import daily_partitions, hourly_partitions

# The gate's checks run in the marts job only (the raw gate checks raw assets, but what it guards is
# publishing, not the load: the load job's own blocking check already reports each partition). Freshness
# checks are evaluated by their sensor against the wall clock, not inside the runs they judge.
_GATE = AssetSelection.checks(*GATE_CHECKS)
_NOT_IN_LOAD_RUNS = _GATE | AssetSelection.checks(*FRESHNESS_CHECKS)

snapshots_job = define_asset_job(
    "hourly_snapshots",
    selection=AssetSelection.assets(*SNAPSHOT_RAW_ASSETS) - _NOT_IN_LOAD_RUNS,
    partitions_def=hourly_partitions,
    executor_def=in_process_executor,
    description="Snapshot every venue's current state (funding, prices, open interest, chains) for this hour.",
)

stream_loads_job = define_asset_job(
    "hourly_stream_loads",
    selection=AssetSelection.assets(*STREAM_ASSETS.values()) - _NOT_IN_LOAD_RUNS,
    partitions_def=hourly_partitions,
    executor_def=in_process_executor,
    description="Load the liquidation collector's files of the hour that just closed into the raw layer.",
)

history_job = define_asset_job(
    "daily_history",
    selection=AssetSelection.assets(*HISTORY_RAW_ASSETS) - _NOT_IN_LOAD_RUNS,
    partitions_def=daily_partitions,
    executor_def=in_process_executor,
    description="Fetch settled history (funding, OI history, candles, trades) for the day's partition.",
)

marts_job = define_asset_job(
    "marts",
    selection=AssetSelection.assets(dbt_models, published_warehouse) | _GATE,
    partitions_def=daily_partitions,
    executor_def=in_process_executor,
    description="Gate the raw inputs, build the dbt marts for the day's window with their tests, run the "
    "Great Expectations suites, then publish the warehouse. Any failed blocking check stops publishing.",
)
