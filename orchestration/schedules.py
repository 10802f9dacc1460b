# No `from __future__ import annotations` here: Dagster inspects the context type hints at runtime.
"""Schedules (on by default), all UTC: snapshots at minute 5 of every hour, today's history partition at
minute 10, and the marts (dbt, checks, publishing) at minute 20, so each hour's data is published about
20 minutes after the hour."""

from datetime import timedelta

from dagster import DefaultScheduleStatus, RunRequest, ScheduleEvaluationContext, schedule

from orchestration.crons import HISTORY_CRON, MARTS_CRON, SNAPSHOT_CRON, STREAM_LOADS_CRON
from orchestration.jobs import history_job, marts_job, snapshots_job, stream_loads_job
from orchestration.partitions import daily_partitions, hourly_partitions

ON = DefaultScheduleStatus.RUNNING


@schedule(cron_schedule=SNAPSHOT_CRON, job=snapshots_job, execution_timezone="UTC", default_status=ON)
def hourly_snapshots_schedule(context: ScheduleEvaluationContext) -> RunRequest:
    key = hourly_partitions.get_partition_key_for_timestamp(context.scheduled_execution_time.timestamp())
    return RunRequest(run_key=key, partition_key=key)


@schedule(cron_schedule=STREAM_LOADS_CRON, job=stream_loads_job, execution_timezone="UTC", default_status=ON)
def stream_loads_schedule(context: ScheduleEvaluationContext) -> RunRequest:
    """The hour that just closed (the collector's file for it is complete after a short grace)."""
    previous_hour = context.scheduled_execution_time - timedelta(hours=1)
    key = hourly_partitions.get_partition_key_for_timestamp(previous_hour.timestamp())
    return RunRequest(run_key=key, partition_key=key)


def _today(context: ScheduleEvaluationContext) -> tuple[str, str]:
    t = context.scheduled_execution_time
    return daily_partitions.get_partition_key_for_timestamp(t.timestamp()), f"{t:%H}"


@schedule(cron_schedule=HISTORY_CRON, job=history_job, execution_timezone="UTC", default_status=ON)
def daily_history_schedule(context: ScheduleEvaluationContext) -> list[RunRequest]:
    """Today's partition every hour; just after midnight also yesterday's, whose last hour has now closed."""
    key, hour = _today(context)
    requests = [RunRequest(run_key=f"{key}@{hour}", partition_key=key)]
    if hour == "00":
        yesterday = (context.scheduled_execution_time - timedelta(days=1)).timestamp()
        previous = daily_partitions.get_partition_key_for_timestamp(yesterday)
        requests.append(RunRequest(run_key=f"{previous}@final", partition_key=previous))
    return requests


@schedule(cron_schedule=MARTS_CRON, job=marts_job, execution_timezone="UTC", default_status=ON)
def marts_schedule(context: ScheduleEvaluationContext) -> RunRequest:
    key, hour = _today(context)
    return RunRequest(run_key=f"{key}@{hour}", partition_key=key)
