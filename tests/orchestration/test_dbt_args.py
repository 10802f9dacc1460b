import json
from datetime import UTC, datetime, timedelta, timezone

import pytest

from orchestration.dbt_args import dbt_build_args, dbt_window_vars


def test_window_vars_are_half_open_utc_iso():
    start = datetime(2026, 1, 1, tzinfo=UTC)
    assert dbt_window_vars(start, start + timedelta(days=1)) == {
        "window_start": "2026-01-01T00:00:00+00:00",
        "window_end": "2026-01-02T00:00:00+00:00",
    }


def test_window_vars_convert_other_zones_to_utc():
    tz = timezone(timedelta(hours=3))
    v = dbt_window_vars(datetime(2026, 1, 1, 3, tzinfo=tz), datetime(2026, 1, 2, 3, tzinfo=tz))
    assert v["window_start"] == "2026-01-01T00:00:00+00:00"


@pytest.mark.parametrize(
    ("start", "end"),
    [
        (datetime(2026, 1, 1), datetime(2026, 1, 2)),
        (datetime(2026, 1, 2, tzinfo=UTC), datetime(2026, 1, 1, tzinfo=UTC)),
    ],
)
def test_window_vars_reject_naive_or_empty_windows(start, end):
    with pytest.raises(ValueError):
        dbt_window_vars(start, end)


def test_build_args_pass_vars_as_json_and_skip_unit_tests():
    args = dbt_build_args({"window_start": "a", "window_end": "b"})
    assert args[0] == "build"
    assert json.loads(args[args.index("--vars") + 1]) == {"window_start": "a", "window_end": "b"}
    assert args[args.index("--exclude-resource-type") + 1] == "unit_test"
    assert dbt_build_args({}, select="marts")[-2:] == ["--select", "marts"]


def test_history_schedule_also_finishes_yesterday_after_midnight():
    from dagster import build_schedule_context

    from orchestration.schedules import daily_history_schedule

    at_noon = daily_history_schedule(
        build_schedule_context(scheduled_execution_time=datetime(2026, 1, 2, 12, 10, tzinfo=UTC))
    )
    assert [r.partition_key for r in at_noon] == ["2026-01-02"]
    after_midnight = daily_history_schedule(
        build_schedule_context(scheduled_execution_time=datetime(2026, 1, 2, 0, 10, tzinfo=UTC))
    )
    assert [r.partition_key for r in after_midnight] == ["2026-01-02", "2026-01-01"]
