# No `from __future__ import annotations` here: Dagster inspects the context type hints at runtime.
"""Schedules (on by default). Snapshots at minute 5 of every hour; history, marts and publishing at
minute 15 for the current day's partition, so each hour's snapshots are in the marts 10 minutes later."""

from dagster import DefaultScheduleStatus, RunRequest, ScheduleEvaluationContext, schedule

from orchestration.jobs import history_and_marts_job, snapshots_job
from orchestration.partitions import daily_partitions, hourly_partitions

SNAPSHOT_CRON = "5 * * * *"
MARTS_CRON = "15 * * * *"


@schedule(
    cron_schedule=SNAPSHOT_CRON,
    job=snapshots_job,
    execution_timezone="UTC",
    default_status=DefaultScheduleStatus.RUNNING,
)
def hourly_snapshots_schedule(context: ScheduleEvaluationContext) -> RunRequest:
    key = hourly_partitions.get_partition_key_for_timestamp(context.scheduled_execution_time.timestamp())
    return RunRequest(run_key=key, partition_key=key)


@schedule(
    cron_schedule=MARTS_CRON,
    job=history_and_marts_job,
    execution_timezone="UTC",
    default_status=DefaultScheduleStatus.RUNNING,
)
def hourly_marts_schedule(context: ScheduleEvaluationContext) -> RunRequest:
    t = context.scheduled_execution_time
    key = daily_partitions.get_partition_key_for_timestamp(t.timestamp())
    return RunRequest(run_key=f"{key}@{t:%H}", partition_key=key)
