"""Delivery end to end: a real published DuckDB file (made by warehouse.publish) and a real HTTP receiver on
127.0.0.1 counting POSTs per Idempotency-Key."""

import contextlib
import logging
import os
import threading
from datetime import UTC, datetime, timedelta
from pathlib import Path

import duckdb
import pytest

from alerts import AlertsNotPublished, deliver_from_environment, deliver_new_alerts, ledger_path, logger_writing_to
from alerts.ledger import DeliveryLedger
from alerts.webhook import WebhookConfigError, WebhookPolicy
from tests.alerts.helpers import Answer, alert_row, publish_alerts
from warehouse.paths import published_path

T0 = datetime(2026, 11, 10, 4, tzinfo=UTC)
ROWS = [
    alert_row("funding_extreme", "BTC", "binance", T0, 0.00081),
    alert_row("funding_extreme", "BTC", "bybit", T0 + timedelta(hours=1), 0.00077),
    alert_row("oi_price_divergence", "ETH", None, T0 + timedelta(hours=49), 49.0),
]
FAST = WebhookPolicy(base_delay_s=0.05, max_delay_s=0.2)


@pytest.fixture
def warehouse(tmp_path):
    return tmp_path / "warehouse.duckdb"


@pytest.fixture
def ledger(tmp_path):
    return tmp_path / "var" / "alerts_delivery.sqlite"


def _alert_lines(caplog) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.getMessage().startswith("ALERT ")]


def test_each_alert_is_delivered_once_and_a_new_publication_sends_only_its_new_alert(
    warehouse, ledger, receiver, caplog
):
    caplog.set_level(logging.INFO)
    published = publish_alerts(warehouse, ROWS, run_id="run-1")
    assert published == published_path(warehouse)

    first = deliver_new_alerts(published, ledger, receiver.url)
    ids = [r["alert_id"] for r in ROWS]
    assert receiver.posts == {i: 1 for i in ids}
    assert receiver.accepted == {i: 1 for i in ids}
    assert (first.new, first.delivered, first.failed, first.already_delivered) == (3, 3, 0, 0)
    assert first.complete and first.publication_key == "run-1"
    assert first.summary() == "3 new delivered to log (+webhook)"
    assert len(_alert_lines(caplog)) == 3
    body = receiver.bodies[ids[2]]
    assert body["alert_type"] == "oi_price_divergence" and body["exchange"] is None
    assert body["fired_at"] == "2026-11-12T05:00:00Z" and body["publication_run_id"] == "run-1"

    # The same publication again: nothing is sent, nothing logged.
    caplog.clear()
    second = deliver_new_alerts(published, ledger, receiver.url)
    assert (second.new, second.delivered, second.already_delivered) == (0, 0, 3)
    assert second.summary() == "nothing new (3 delivered earlier)"
    assert sum(receiver.posts.values()) == 3 and _alert_lines(caplog) == []

    # The next hour's publication: the old alerts again (same ids) plus one new episode.
    new_row = alert_row("oi_surge", "SOL", None, T0 + timedelta(hours=60), 0.14)
    publish_alerts(warehouse, [*ROWS, new_row], run_id="run-2")
    third = deliver_new_alerts(published, ledger, receiver.url)
    assert (third.new, third.delivered, third.already_delivered) == (1, 1, 3)
    assert receiver.posts == {**{i: 1 for i in ids}, new_row["alert_id"]: 1}
    assert _alert_lines(caplog) == [
        f"ALERT SOL oi_surge test alert [oi_surge, fired 2026-11-12T16:00:00Z, ongoing, id {new_row['alert_id']}]"
    ]


def test_a_500_then_200_is_delivered_on_retry_and_never_twice(warehouse, ledger, receiver):
    published = publish_alerts(warehouse, ROWS[:1], run_id="run-1")
    receiver.script.append(Answer(500))
    report = deliver_new_alerts(published, ledger, receiver.url, policy=FAST)
    key = ROWS[0]["alert_id"]
    assert receiver.posts[key] == 2 and receiver.accepted[key] == 1
    assert (report.delivered, report.failed) == (1, 0)
    deliver_new_alerts(published, ledger, receiver.url, policy=FAST)
    assert receiver.posts[key] == 2 and receiver.accepted[key] == 1
    with DeliveryLedger(ledger) as book:
        assert book.record(key)["channels"]["webhook"] == "HTTP 200 after 2 attempt(s)"


def test_a_down_webhook_leaves_alerts_pending_and_a_later_tick_delivers_them_once(warehouse, ledger, receiver, caplog):
    published = publish_alerts(warehouse, ROWS, run_id="run-1")
    receiver.default = Answer(503)
    down = deliver_new_alerts(published, ledger, receiver.url, policy=FAST)
    # The first alert used its retries; the rest were not tried against a receiver known to be down.
    assert (down.new, down.delivered, down.failed, down.deferred) == (3, 0, 1, 2)
    assert not down.complete
    assert sum(receiver.posts.values()) == FAST.max_attempts and sum(receiver.accepted.values()) == 0
    assert _alert_lines(caplog) == []  # nothing is logged as delivered while the webhook has not taken it
    assert "s3cret-token" not in caplog.text and "token=***" in caplog.text

    receiver.default = Answer(200)
    up = deliver_new_alerts(published, ledger, receiver.url, policy=FAST)
    assert (up.new, up.delivered, up.failed, up.deferred) == (3, 3, 0, 0)
    assert receiver.accepted == {r["alert_id"]: 1 for r in ROWS}


def test_a_rejected_alert_stays_pending_with_a_clear_error(warehouse, ledger, receiver, caplog):
    published = publish_alerts(warehouse, ROWS[:2], run_id="run-1")
    receiver.script.append(Answer(401))
    report = deliver_new_alerts(published, ledger, receiver.url, policy=FAST)
    # A 4xx is not retried and does not stop the other alerts.
    assert (report.delivered, report.failed, report.deferred) == (1, 1, 0)
    assert "rejected alert" in report.errors[0] and "HTTP 401" in report.errors[0]
    assert "s3cret-token" not in caplog.text
    again = deliver_new_alerts(published, ledger, receiver.url, policy=FAST)
    assert (again.new, again.delivered) == (1, 1)
    assert receiver.accepted == {r["alert_id"]: 1 for r in ROWS[:2]}


def test_two_deliverers_at_once_send_each_alert_once(warehouse, ledger, receiver):
    rows = [alert_row("oi_surge", "ETH", None, T0 + timedelta(hours=h), 0.11) for h in range(12)]
    published = publish_alerts(warehouse, rows, run_id="run-1")
    receiver.default = Answer(200, delay_s=0.02)  # slow enough that the two overlap
    DeliveryLedger(ledger).close()
    reports = []
    start = threading.Barrier(2)

    def deliverer() -> None:
        start.wait()
        reports.append(deliver_new_alerts(published, ledger, receiver.url))

    threads = [threading.Thread(target=deliverer) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert receiver.posts == {r["alert_id"]: 1 for r in rows}
    assert sum(r.delivered for r in reports) == 12


def test_without_a_webhook_alerts_go_to_the_log_once(warehouse, ledger, caplog):
    caplog.set_level(logging.INFO)
    published = publish_alerts(warehouse, ROWS, run_id=None)  # a file published before stamps existed
    report = deliver_new_alerts(published, ledger, None)
    assert report.summary() == "3 new delivered to log"
    assert report.run_id is None and report.publication_key.startswith("file:")
    assert len(_alert_lines(caplog)) == 3
    deliver_new_alerts(published, ledger, None)
    assert len(_alert_lines(caplog)) == 3


def _open_files() -> set[str]:
    fds = Path("/proc/self/fd")
    if not fds.exists():
        pytest.skip("needs /proc to list open files")
    out = set()
    for fd in fds.iterdir():
        with contextlib.suppress(OSError):
            out.add(os.readlink(fd))
    return out


def test_the_published_file_is_not_held_after_delivery(warehouse, ledger, receiver):
    published = publish_alerts(warehouse, ROWS, run_id="run-1")
    deliver_new_alerts(published, ledger, receiver.url)
    # The publisher replaces the file every hour: a reader must have closed it as soon as it had read it.
    assert str(published) not in _open_files()
    assert str(ledger) not in _open_files()


def test_a_missing_file_or_table_is_reported_as_not_published(tmp_path, ledger):
    with pytest.raises(AlertsNotPublished):
        deliver_new_alerts(tmp_path / "absent.published.duckdb", ledger, None)
    empty = tmp_path / "empty.duckdb"
    duckdb.connect(str(empty)).close()
    with pytest.raises(AlertsNotPublished):
        deliver_new_alerts(empty, ledger, None)


def test_the_pipeline_runner_delivers_from_the_environment_to_its_shell_lines(warehouse, receiver, monkeypatch):
    monkeypatch.setenv("DW_WAREHOUSE_PATH", str(warehouse))
    monkeypatch.delenv("DW_ALERTS_LEDGER", raising=False)
    monkeypatch.setenv("DW_ALERT_WEBHOOK_URL", f"  {receiver.url}  ")
    publish_alerts(warehouse, ROWS, run_id="run-1")
    assert ledger_path() == warehouse.parent / "alerts_delivery.sqlite"  # beside the warehouse by default
    lines: list[str] = []
    report = deliver_from_environment(logger_writing_to(lines.append))
    assert report.summary() == "3 new delivered to log (+webhook)"
    assert len(lines) == 3 and all(line.startswith("ALERT ") for line in lines)
    assert receiver.accepted == {r["alert_id"]: 1 for r in ROWS}
    with DeliveryLedger(warehouse.parent / "alerts_delivery.sqlite") as book:
        assert book.delivered_ids() == {r["alert_id"] for r in ROWS}


def test_a_bad_webhook_url_is_refused_before_anything_is_read_or_claimed(warehouse, ledger):
    publish_alerts(warehouse, ROWS, run_id="run-1")
    with pytest.raises(WebhookConfigError, match="http:// or https://"):
        deliver_new_alerts(published_path(warehouse), ledger, "ftp://hooks.example.com/x?token=s3cret")
    assert not ledger.exists()


def test_a_contract_column_missing_from_the_mart_is_an_error_not_a_skip(tmp_path, ledger):
    path = tmp_path / "drifted.duckdb"
    con = duckdb.connect(str(path))
    con.execute("create schema marts")
    con.execute("create table marts.fct_alerts (alert_id varchar, alert_type varchar, asset varchar)")
    con.close()
    with pytest.raises(duckdb.BinderException):
        deliver_new_alerts(path, ledger, None)
