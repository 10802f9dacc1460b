from datetime import UTC, datetime

import pytest

from orchestration.partitions import partition_keys_in, run_window


def test_a_single_partition_run_covers_its_day():
    assert run_window({"dagster/partition": "2026-11-21"}) == (
        datetime(2026, 11, 21, tzinfo=UTC),
        datetime(2026, 11, 22, tzinfo=UTC),
    )


def test_a_range_run_covers_every_day_and_hour_of_the_range():
    window = run_window(
        {"dagster/asset_partition_range_start": "2026-11-20", "dagster/asset_partition_range_end": "2026-11-21"}
    )
    assert window == (datetime(2026, 11, 20, tzinfo=UTC), datetime(2026, 11, 22, tzinfo=UTC))
    keys = partition_keys_in(window)
    assert keys[:2] == ["2026-11-20", "2026-11-21"]
    assert len(keys) == 2 + 48
    assert keys[2] == "2026-11-20-00:00" and keys[-1] == "2026-11-21-23:00"


def test_a_run_without_a_partition_is_refused():
    with pytest.raises(ValueError, match="no daily partition"):
        run_window({})
