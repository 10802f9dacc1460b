"""The one Definitions object `workspace.yaml` loads. Importing it must stay fast (< 5 s) and must
not import Great Expectations (checks import it lazily when they run)."""

from __future__ import annotations

import sys
from pathlib import Path

from dagster import Definitions, in_process_executor
from dagster_dbt import DbtCliResource

from orchestration.assets.dbt import dbt_models, dbt_project
from orchestration.assets.publish import published_warehouse
from orchestration.assets.raw import RAW_ASSETS
from orchestration.assets.streams import STREAM_ASSETS
from orchestration.checks import GATE_CHECKS
from orchestration.freshness import FRESHNESS_CHECKS, raw_freshness_sensor
from orchestration.jobs import history_job, marts_job, snapshots_job, stream_loads_job
from orchestration.resources import VenueSettings
from orchestration.schedules import (
    daily_history_schedule,
    hourly_snapshots_schedule,
    marts_schedule,
    stream_loads_schedule,
)
from orchestration.sensors import alerts_delivery

# dbt lives in the same virtual environment as Dagster; find it even when the venv is not activated.
_venv_dbt = Path(sys.executable).with_name("dbt")
DBT_EXECUTABLE = str(_venv_dbt) if _venv_dbt.exists() else "dbt"

defs = Definitions(
    assets=[*RAW_ASSETS.values(), *STREAM_ASSETS.values(), dbt_models, published_warehouse],
    # FRESHNESS_CHECKS: one per raw source, deadlines that follow the schedules (orchestration/freshness.py).
    asset_checks=[*GATE_CHECKS, *FRESHNESS_CHECKS],
    jobs=[snapshots_job, stream_loads_job, history_job, marts_job],
    schedules=[hourly_snapshots_schedule, stream_loads_schedule, daily_history_schedule, marts_schedule],
    sensors=[alerts_delivery, raw_freshness_sensor],
    resources={
        "venue_settings": VenueSettings(),
        "dbt": DbtCliResource(project_dir=dbt_project, dbt_executable=DBT_EXECUTABLE),
    },
    executor=in_process_executor,
)
