"""The delivery ledger: one claim wins, failed sends go back to pending, dead deliverers' claims expire."""

import sqlite3
import threading
from datetime import UTC, datetime, timedelta

from alerts.ledger import DeliveryLedger
from alerts.model import Alert
from tests.alerts.helpers import alert_row

T0 = datetime(2026, 11, 10, 4, tzinfo=UTC)
ALERT = Alert(**alert_row("oi_surge", "ETH", None, T0, 0.12))


def test_the_first_claim_wins_and_a_delivered_alert_is_never_claimed_again(tmp_path):
    path = tmp_path / "ledger.sqlite"
    with DeliveryLedger(path) as sensor, DeliveryLedger(path) as pipeline:
        assert sensor.claim(ALERT) is True
        assert pipeline.claim(ALERT) is False  # live claim held by the sensor
        assert sensor.mark_delivered(ALERT.alert_id, {"log": "written", "webhook": "HTTP 200 after 1 attempt(s)"})
        assert pipeline.claim(ALERT) is False
        assert sensor.claim(ALERT) is False  # not even by the deliverer that sent it
        assert pipeline.delivered_ids() == {ALERT.alert_id}
        record = pipeline.record(ALERT.alert_id)
    assert record["state"] == "delivered"
    assert record["attempts"] == 1
    assert record["channels"] == {"log": "written", "webhook": "HTTP 200 after 1 attempt(s)"}
    assert record["fired_at"] == "2026-11-10T04:00:00Z" and record["delivered_at"].endswith("Z")


def test_a_released_claim_is_retried_by_a_later_tick(tmp_path):
    path = tmp_path / "ledger.sqlite"
    with DeliveryLedger(path) as first, DeliveryLedger(path) as later:
        assert first.claim(ALERT)
        first.release(ALERT.alert_id, "webhook http://127.0.0.1/hooks/*** unavailable")
        assert later.delivered_ids() == set()
        assert later.record(ALERT.alert_id)["state"] == "pending"
        assert later.record(ALERT.alert_id)["last_error"].startswith("webhook")
        assert later.claim(ALERT) is True
        assert later.mark_delivered(ALERT.alert_id, {"log": "written"})
        assert later.record(ALERT.alert_id)["attempts"] == 2
        assert later.record(ALERT.alert_id)["last_error"] is None


def test_a_dead_deliverers_claim_expires_after_its_lease_and_cannot_be_completed_late(tmp_path):
    path = tmp_path / "ledger.sqlite"
    lease = timedelta(minutes=15)
    with DeliveryLedger(path, lease) as crashed, DeliveryLedger(path, lease) as survivor:
        assert crashed.claim(ALERT, now=T0)
        assert survivor.claim(ALERT, now=T0 + lease - timedelta(seconds=1)) is False
        assert survivor.claim(ALERT, now=T0 + lease + timedelta(seconds=1)) is True
        # The first deliverer wakes up: its claim is gone, so it must not record (nor log) the delivery.
        assert crashed.mark_delivered(ALERT.alert_id, {"log": "written"}) is False
        crashed.release(ALERT.alert_id, "late")  # a no-op: it does not own the claim
        assert survivor.record(ALERT.alert_id)["state"] == "claimed"
        assert survivor.mark_delivered(ALERT.alert_id, {"log": "written"}) is True


def test_the_ledger_is_a_wal_sqlite_file(tmp_path):
    path = tmp_path / "var" / "alerts_delivery.sqlite"
    DeliveryLedger(path).close()
    with sqlite3.connect(path) as con:
        assert con.execute("pragma journal_mode").fetchone()[0] == "wal"


def test_concurrent_deliverers_claim_each_alert_exactly_once(tmp_path):
    path = tmp_path / "ledger.sqlite"
    DeliveryLedger(path).close()  # create the schema before the race
    alerts = [Alert(**alert_row("oi_surge", "ETH", None, T0 + timedelta(hours=h), 0.12)) for h in range(40)]
    wins: list[list[str]] = [[] for _ in range(4)]
    start = threading.Barrier(4)

    def deliverer(i: int) -> None:
        with DeliveryLedger(path) as ledger:
            start.wait()
            for alert in alerts:
                if ledger.claim(alert):
                    wins[i].append(alert.alert_id)
                    ledger.mark_delivered(alert.alert_id, {"log": "written"})

    threads = [threading.Thread(target=deliverer, args=(i,)) for i in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    claimed = [a for w in wins for a in w]
    assert sorted(claimed) == sorted(a.alert_id for a in alerts)  # every alert once, none twice
