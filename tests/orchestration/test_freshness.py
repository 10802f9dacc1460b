"""Freshness checks on the raw sources: the deadlines follow the schedules, and evaluating the real checks at
controlled instants over materialisations recorded at controlled instants passes or fails as documented in
orchestration/freshness.py (end_offset=1 partitions included)."""

from collections.abc import Iterable
from datetime import UTC, datetime

import pytest
from dagster import (
    AssetCheckKey,
    AssetKey,
    AssetMaterialization,
    AssetSelection,
    DagsterInstance,
    RunRequest,
    build_sensor_context,
    materialize,
)
from dagster._core.test_utils import freeze_time  # Dagster's own freshness tests use it to set "now"

from orchestration.assets.raw import RAW_ASSETS
from orchestration.assets.streams import STREAM_ASSETS
from orchestration.freshness import FRESHNESS_CHECKS, hourly_deadline_cron, raw_freshness_sensor
from orchestration.resources import VenueSettings

SNAPSHOT = AssetKey(["raw", "binance", "premium_index"])
HISTORY = AssetKey(["raw", "binance", "funding_rates"])
STREAM = AssetKey(["raw", "binance", "liquidations"])


def at(hhmm: str, day: int = 21) -> datetime:
    hours, minutes = hhmm.split(":")
    return datetime(2026, 11, day, int(hours), int(minutes), tzinfo=UTC)


def test_deadlines_are_the_schedule_minute_plus_thirty_minutes_in_the_same_hour():
    assert hourly_deadline_cron("5 * * * *") == "35 * * * *"
    assert hourly_deadline_cron("7 * * * *") == "37 * * * *"
    assert hourly_deadline_cron("10 * * * *") == "40 * * * *"
    with pytest.raises(ValueError, match="same hour"):
        hourly_deadline_cron("45 * * * *")  # the tick would fall in the next hour's partition
    with pytest.raises(ValueError, match="hourly cron"):
        hourly_deadline_cron("10 0 * * *")


def _params() -> dict[str, dict]:
    """asset key -> the freshness parameters Dagster records on the check spec."""
    return {
        spec.asset_key.to_user_string(): spec.metadata["dagster/freshness_params"].value
        for checks in FRESHNESS_CHECKS
        for spec in checks.check_specs
    }


def test_every_raw_source_has_one_freshness_check_with_its_schedule_deadline():
    from ingest.registry import DATASETS, Cadence
    from ingest.streams.specs import STREAMS

    params = _params()
    expected = {f"raw/{s.venue}/{s.dataset}": s.cadence for s in DATASETS}
    expected |= {f"raw/{venue}/liquidations": "stream" for venue in STREAMS}
    assert set(params) == set(expected)
    for key, cadence in expected.items():
        if cadence == Cadence.HOURLY_SNAPSHOT:
            assert params[key] == {"timezone": "UTC", "deadline_cron": "35 * * * *"}, key
        elif cadence == Cadence.DAILY_HISTORY:
            assert params[key] == {"timezone": "UTC", "deadline_cron": "40 * * * *", "lower_bound_delta_seconds": 1800}
        else:
            assert params[key] == {"timezone": "UTC", "deadline_cron": "37 * * * *", "lower_bound_delta_seconds": 1800}


def _record(instance: DagsterInstance, key: AssetKey, partition: str, when: datetime) -> None:
    with freeze_time(when):
        instance.report_runless_asset_event(AssetMaterialization(asset_key=key, partition=partition))


def _evaluate(instance: DagsterInstance, keys: Iterable[AssetKey], when: datetime) -> dict[str, bool]:
    """Run the real freshness checks of `keys` as of `when`; asset key -> passed."""
    selection = AssetSelection.checks(*(AssetCheckKey(k, "freshness_check") for k in keys))
    with freeze_time(when):
        result = materialize(
            [*RAW_ASSETS.values(), *STREAM_ASSETS.values(), *FRESHNESS_CHECKS],
            selection=selection,
            instance=instance,
            resources={"venue_settings": VenueSettings()},
        )
    return {e.asset_key.to_user_string(): e.passed for e in result.get_asset_check_evaluations()}


@pytest.fixture(scope="module")
def instance():
    with DagsterInstance.ephemeral() as inst:
        # This hour's snapshot (10:05 run), the stream file of 09:00-10:00 (10:07 run), today's history (10:10).
        _record(inst, SNAPSHOT, "2026-11-21-10:00", at("10:06"))
        _record(inst, STREAM, "2026-11-21-09:00", at("10:08"))
        _record(inst, HISTORY, "2026-11-21", at("10:12"))
        yield inst


@pytest.mark.parametrize(
    ("when", "expected"),
    [
        # Past the 10:35 deadline: the 10:00 partition (the hour holding the tick, end_offset=1) is there.
        ("10:40", {"raw/binance/premium_index": True}),
        # Until the next deadline (11:35) the 10:00 partition is still the one expected.
        ("11:30", {"raw/binance/premium_index": True}),
        # Past 11:35 the 11:00 partition is due and missing.
        ("11:40", {"raw/binance/premium_index": False}),
        # Before 10:35 the 09:00 partition is expected, and 09:00 was never snapshotted: a permanent gap.
        ("10:20", {"raw/binance/premium_index": False}),
    ],
)
def test_snapshot_freshness_expects_the_partition_of_the_hour_of_the_deadline(instance, when, expected):
    assert _evaluate(instance, [SNAPSHOT], at(when)) == expected


@pytest.mark.parametrize(
    ("when", "expected"),
    [
        # 10:37 deadline: an update since 10:07 (this hour's stream load) -> fresh.
        ("10:45", {"raw/binance/liquidations": True}),
        # 11:37 deadline: the last update (10:08) is before 11:07 -> overdue.
        ("11:40", {"raw/binance/liquidations": False}),
    ],
)
def test_stream_freshness_wants_this_hours_load_by_its_deadline(instance, when, expected):
    assert _evaluate(instance, [STREAM], at(when)) == expected


@pytest.mark.parametrize(
    ("when", "expected"),
    [
        # 10:40 deadline: today's partition was refreshed at 10:12, after this hour's 10:10 tick -> fresh.
        ("10:50", {"raw/binance/funding_rates": True}),
        # 11:40 deadline: no refresh since 11:10 -> overdue, although today's partition exists.
        ("11:41", {"raw/binance/funding_rates": False}),
    ],
)
def test_history_freshness_follows_the_hourly_refresh_of_todays_partition(instance, when, expected):
    assert _evaluate(instance, [HISTORY], at(when)) == expected


def test_a_backfilled_old_history_day_counts_as_an_update():
    """The documented caveat of last-update checks (reference/reliability.md 6.4)."""
    with DagsterInstance.ephemeral() as inst:
        _record(inst, HISTORY, "2026-11-21", at("10:12"))
        assert _evaluate(inst, [HISTORY], at("11:45")) == {"raw/binance/funding_rates": False}
        _record(inst, HISTORY, "2026-11-01", at("11:20"))
        assert _evaluate(inst, [HISTORY], at("11:45")) == {"raw/binance/funding_rates": True}


def test_the_sensor_is_on_and_requests_every_check_never_evaluated():
    assert raw_freshness_sensor.default_status.value == "RUNNING"
    with DagsterInstance.ephemeral() as inst, freeze_time(at("10:40")):
        request = raw_freshness_sensor(build_sensor_context(instance=inst))
    assert isinstance(request, RunRequest)
    requested = {k.asset_key.to_user_string() for k in request.asset_check_keys}
    assert requested == set(_params())
    assert {k.name for k in request.asset_check_keys} == {"freshness_check"}
