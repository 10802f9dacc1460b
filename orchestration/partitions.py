"""Partitions: daily for settled history, hourly for snapshots of the current state.

Both include the period in progress (end_offset=1), so the hourly schedules can refresh today's
history partition and snapshot the current hour.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta

from dagster import DailyPartitionsDefinition, HourlyPartitionsDefinition, PartitionKeyRange

# The first day the pipeline keeps history for; backfills from the UI reach back to it.
HISTORY_START = os.environ.get("DW_HISTORY_START", "2025-06-01")

daily_partitions = DailyPartitionsDefinition(start_date=HISTORY_START, timezone="UTC", end_offset=1)
hourly_partitions = HourlyPartitionsDefinition(start_date=f"{HISTORY_START}-00:00", timezone="UTC", end_offset=1)


def run_window(tags: Mapping[str, str]) -> tuple[datetime, datetime]:
    """The daily window a marts run covers, from its tags: one partition or a range (a backfill in one run).

    Asset checks run in the same run as the marts but get no partition context of their own; the run's tags
    are the one place both agree on."""
    single = tags.get("dagster/partition")
    first = tags.get("dagster/asset_partition_range_start", single)
    last = tags.get("dagster/asset_partition_range_end", single)
    if not first or not last:
        raise ValueError("this run has no daily partition: the gate needs the window the marts were built for")
    start = daily_partitions.time_window_for_partition_key(first).start
    end = daily_partitions.time_window_for_partition_key(last).end
    return start.astimezone(UTC), end.astimezone(UTC)


def partition_keys_in(window: tuple[datetime, datetime]) -> list[str]:
    """Every daily and hourly partition key inside the window (the raw loads a marts run consumes)."""
    start, end = window
    keys = [k for k in daily_partitions.get_partition_keys_in_range(_range(daily_partitions, start, end))]
    keys += [k for k in hourly_partitions.get_partition_keys_in_range(_range(hourly_partitions, start, end))]
    return keys


def _range(partitions, start: datetime, end: datetime) -> PartitionKeyRange:
    first = partitions.get_partition_key_for_timestamp(start.timestamp())
    last = partitions.get_partition_key_for_timestamp((end - timedelta(seconds=1)).timestamp())
    return PartitionKeyRange(first, last)
