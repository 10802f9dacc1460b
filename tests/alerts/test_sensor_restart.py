"""The alerts_delivery sensor: a restart (new process, lost or stale cursor) delivers nothing twice, because
exactly-once rests on the ledger and the cursor only saves work."""

from datetime import UTC, datetime, timedelta

import pytest
from dagster import DefaultSensorStatus, build_sensor_context

from orchestration.sensors import alerts_delivery
from tests.alerts.helpers import Answer, alert_row, publish_alerts
from tests.alerts.sensor_probe import evaluate_sensor_in_new_process

T0 = datetime(2026, 11, 10, 4, tzinfo=UTC)
ROWS = [
    alert_row("funding_extreme", "ETH", "okx", T0, -0.00062),
    alert_row("dense_level_proximity", "BTC", None, T0 + timedelta(hours=3), 0.015),
]


@pytest.fixture
def env(tmp_path, monkeypatch, receiver):
    values = {
        "DW_WAREHOUSE_PATH": str(tmp_path / "warehouse.duckdb"),
        "DW_ALERTS_LEDGER": str(tmp_path / "ledger" / "alerts_delivery.sqlite"),
        "DW_ALERT_WEBHOOK_URL": receiver.url,
    }
    for key, value in values.items():
        monkeypatch.setenv(key, value)
    return values


def test_sensor_is_on_by_default_every_minute():
    assert alerts_delivery.name == "alerts_delivery"
    assert alerts_delivery.default_status == DefaultSensorStatus.RUNNING
    assert alerts_delivery.minimum_interval_seconds == 60


def test_a_restarted_sensor_with_a_lost_cursor_delivers_nothing_twice(env, receiver, tmp_path):
    publish_alerts(tmp_path / "warehouse.duckdb", ROWS, run_id="run-7")
    ids = [r["alert_id"] for r in ROWS]

    first = evaluate_sensor_in_new_process(env, cursor=None)
    assert first["cursor"] == "run-7" and first["run_requests"] == 0
    assert first["skip_message"] == "alerts: 2 new delivered to log (+webhook)"
    assert receiver.posts == {i: 1 for i in ids}

    # The daemon restarts and lost its cursor: a new process delivers the same publication again.
    second = evaluate_sensor_in_new_process(env, cursor=None)
    assert second["skip_message"] == "alerts: nothing new (2 delivered earlier)"
    assert second["cursor"] == "run-7"
    assert receiver.posts == {i: 1 for i in ids}
    assert "s3cret-token" not in first["output"] + second["output"]


def test_the_cursor_skips_a_handled_publication_and_a_stale_one_is_harmless(env, receiver, tmp_path):
    publish_alerts(tmp_path / "warehouse.duckdb", ROWS, run_id="run-8")
    first = alerts_delivery.evaluate_tick(build_sensor_context(cursor="run-7"))  # stale: an older publication
    assert first.cursor == "run-8"
    same = alerts_delivery.evaluate_tick(build_sensor_context(cursor="run-8"))
    assert same.skip_message == "publication run-8 already handled"
    stale = alerts_delivery.evaluate_tick(build_sensor_context(cursor="run-6"))
    assert stale.skip_message == "alerts: nothing new (2 delivered earlier)"
    assert receiver.posts == {r["alert_id"]: 1 for r in ROWS}


def test_a_failed_send_keeps_the_cursor_so_the_next_tick_retries(env, receiver, tmp_path):
    publish_alerts(tmp_path / "warehouse.duckdb", ROWS, run_id="run-9")
    receiver.default = Answer(404)
    failed = alerts_delivery.evaluate_tick(build_sensor_context(cursor="run-8"))
    assert failed.cursor == "run-8"  # unchanged: the publication is not fully delivered
    assert failed.skip_message.startswith("alerts: 2 new, 0 delivered to log (+webhook), 2 failed")
    receiver.default = Answer(200)
    retried = alerts_delivery.evaluate_tick(build_sensor_context(cursor=failed.cursor))
    assert retried.cursor == "run-9"
    assert retried.skip_message == "alerts: 2 new delivered to log (+webhook)"
    assert receiver.accepted == {r["alert_id"]: 1 for r in ROWS}


def test_nothing_published_yet_is_a_skip(env):
    tick = alerts_delivery.evaluate_tick(build_sensor_context(cursor=None))
    assert tick.skip_message.startswith("no published warehouse at ")
    assert tick.cursor is None and not tick.run_requests
