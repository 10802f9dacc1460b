"""Partitions: daily for settled history, hourly for snapshots of the current state.

Both include the period in progress (end_offset=1), so the hourly schedules can refresh today's
history partition and snapshot the current hour.
"""

from __future__ import annotations

import os

from dagster import DailyPartitionsDefinition, HourlyPartitionsDefinition

# The first day the pipeline keeps history for; backfills from the UI reach back to it.
HISTORY_START = os.environ.get("DW_HISTORY_START", "2025-06-01")

daily_partitions = DailyPartitionsDefinition(start_date=HISTORY_START, timezone="UTC", end_offset=1)
hourly_partitions = HourlyPartitionsDefinition(start_date=f"{HISTORY_START}-00:00", timezone="UTC", end_offset=1)
