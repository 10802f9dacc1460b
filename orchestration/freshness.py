"""Freshness checks on the raw layer, one per source (raw asset), with deadlines that follow the schedules.

Every deadline is the minute of the schedule that loads the source plus GRACE, in the same hour. Runs are
serialised (dagster.yaml: max_concurrent_runs 1): snapshots start at :05, stream loads at :07, history at :10
and the marts at :20, each queued behind the previous; an ordinary hour's ingestion takes a few minutes (one
asset's snapshots plus a day of history took about 30 s against the simulator). Thirty minutes leave room for
retries with backoff on a rate-limited venue and still report a miss half an hour before the next run.
Both partition definitions have end_offset=1 (orchestration/partitions.py), and Dagster's semantics (read in
dagster 1.13 `freshness_checks/time_partition.py` and `last_update.py`) decide which builder fits each schedule:

- Hourly snapshots: `build_time_partition_freshness_checks`. At a deadline tick the check expects a record
  for `partitions_def.get_last_partition_window()` evaluated at the tick; with end_offset=1 that is the hour
  *containing* the tick (the one in progress), which is exactly the hour the :05 run snapshots. So the tick
  must fall inside the same hour as the run: :35 expects the partition of the :05 run of that hour. A missed
  hour stays reported until a later hour has been checked after its own deadline: that gap is permanent
  (a snapshot cannot be refetched), so the check is ERROR.
- Stream loads: `build_last_update_freshness_checks`. The :07 run loads the hour that just closed, but with
  end_offset=1 a time-partition check would expect the hour in progress, which is only loaded an hour later:
  it would always fail. Instead: by :37, an update no older than this hour's :07 tick. ERROR: a missing
  collector file is a gap that cannot be refetched.
- Daily history: `build_last_update_freshness_checks`. Today's partition is refreshed every hour at :10 (and
  yesterday's once more at 00:10); a time-partition check would only ask whether today's partition exists at
  all, which the 00:10 run settles for the whole day, so a refresh that stops at 03:10 would go unnoticed.
  By :40, an update no older than this hour's :10 tick. WARN: a missed refresh is refetched by the next run
  or a backfill. Caveat (reference/reliability.md 6.4): a backfill of an old day counts as an update.

Dagster names every such check `freshness_check`, so each asset gets exactly one. The sensor evaluates them
(a failed check is re-evaluated when its asset is materialised again); the ingestion jobs evaluate them too,
since selecting an asset selects its checks.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from datetime import timedelta

from dagster import (
    AssetChecksDefinition,
    AssetCheckSeverity,
    AssetsDefinition,
    DefaultSensorStatus,
    SensorDefinition,
    SupersessionWarning,
    build_last_update_freshness_checks,
    build_sensor_for_freshness_checks,
    build_time_partition_freshness_checks,
)

from orchestration.assets.raw import HISTORY_RAW_ASSETS, SNAPSHOT_RAW_ASSETS
from orchestration.assets.streams import STREAM_ASSETS
from orchestration.crons import HISTORY_CRON, SNAPSHOT_CRON, STREAM_LOADS_CRON

GRACE = timedelta(minutes=30)
# Deadlines are hourly: evaluating every five minutes reports a miss at most five minutes late, for one cheap
# sensor tick (the default 30 s would keep a 2-core machine busy for nothing).
SENSOR_INTERVAL_SECONDS = 300
SENSOR_NAME = "raw_freshness_sensor"


def hourly_deadline_cron(schedule_cron: str, grace: timedelta = GRACE) -> str:
    """`M * * * *` -> `M+grace * * * *`. The deadline must stay inside the hour of the run it waits for:
    with end_offset=1 partitions, the partition a time-partition check expects is the hour holding the tick."""
    fields = schedule_cron.split()
    if len(fields) != 5 or not fields[0].isdigit() or fields[1:] != ["*"] * 4:
        raise ValueError(f"expected an hourly cron 'M * * * *', got {schedule_cron!r}")
    minute = int(fields[0]) + int(grace.total_seconds() // 60)
    if grace <= timedelta(0) or minute >= 60:
        raise ValueError(f"deadline {schedule_cron!r} + {grace} must fall within the same hour")
    return f"{minute} * * * *"


def _last_update_checks(
    assets: Sequence[AssetsDefinition], schedule_cron: str, severity: AssetCheckSeverity
) -> Sequence[AssetChecksDefinition]:
    # Lower bound = deadline - grace = this hour's schedule tick: only this hour's run counts as an update.
    return build_last_update_freshness_checks(
        assets=assets,
        deadline_cron=hourly_deadline_cron(schedule_cron),
        lower_bound_delta=GRACE,
        severity=severity,
    )


# The builders are "superseded" by FreshnessPolicy, which is still in preview and asset-level rather than
# partition-level (reference/reliability.md 6.4): a deliberate choice, so their warning is not repeated at
# every definitions load.
with warnings.catch_warnings():
    warnings.simplefilter("ignore", SupersessionWarning)
    SNAPSHOT_FRESHNESS_CHECKS = build_time_partition_freshness_checks(
        assets=SNAPSHOT_RAW_ASSETS,
        deadline_cron=hourly_deadline_cron(SNAPSHOT_CRON),
        severity=AssetCheckSeverity.ERROR,
    )
    STREAM_FRESHNESS_CHECKS = _last_update_checks(
        list(STREAM_ASSETS.values()), STREAM_LOADS_CRON, AssetCheckSeverity.ERROR
    )
    HISTORY_FRESHNESS_CHECKS = _last_update_checks(HISTORY_RAW_ASSETS, HISTORY_CRON, AssetCheckSeverity.WARN)

    FRESHNESS_CHECKS: list[AssetChecksDefinition] = [
        *SNAPSHOT_FRESHNESS_CHECKS,
        *STREAM_FRESHNESS_CHECKS,
        *HISTORY_FRESHNESS_CHECKS,
    ]

    raw_freshness_sensor: SensorDefinition = build_sensor_for_freshness_checks(
        freshness_checks=FRESHNESS_CHECKS,
        name=SENSOR_NAME,
        minimum_interval_seconds=SENSOR_INTERVAL_SECONDS,
        default_status=DefaultSensorStatus.RUNNING,
    )
