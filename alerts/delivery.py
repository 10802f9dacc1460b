"""Deliver the published warehouse's new alerts once each: to the log, and to a webhook when configured.

Guarantees:
- Log: exactly once per alert_id. The line is written only after the ledger has recorded the delivery, and
  the ledger's atomic claim keeps two deliverers (the sensor and the pipeline runner, or a restarted sensor)
  from both sending the same alert.
- Webhook (DW_ALERT_WEBHOOK_URL): at-least-once, with `Idempotency-Key: <alert_id>`. A failed POST releases
  the claim, so the alert stays pending and a later tick retries it; a deliverer that dies between a
  successful POST and the ledger write, or outlives its claim lease, can cause a repeat, which the key
  lets the receiver drop.

An alert counts as delivered to the channels configured when it was sent; configuring a webhook later does
not replay older alerts. Which publication an alert came from does not matter: the alert_id is stable across
re-runs, so the same alert in the next published file is recognised as delivered.
"""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from alerts.ledger import DeliveryLedger
from alerts.model import webhook_body
from alerts.source import read_published_alerts
from alerts.webhook import WebhookChannel, WebhookError, WebhookPolicy, WebhookUnavailable
from warehouse.paths import path_from_env, published_path, warehouse_path

LEDGER_ENV = "DW_ALERTS_LEDGER"
WEBHOOK_ENV = "DW_ALERT_WEBHOOK_URL"
LEDGER_FILENAME = "alerts_delivery.sqlite"

Logger = logging.Logger | logging.LoggerAdapter

# The module's own logger, for callers without one (Dagster passes context.log, a logging.Logger too).
log = logging.getLogger("alerts.delivery")


def ledger_path() -> Path:
    """DW_ALERTS_LEDGER, or `alerts_delivery.sqlite` beside the warehouse (var/ by default)."""
    return path_from_env(LEDGER_ENV) or warehouse_path().parent / LEDGER_FILENAME


def webhook_url_from_environment() -> str | None:
    """DW_ALERT_WEBHOOK_URL, or None when unset or blank (log-only delivery)."""
    return os.environ.get(WEBHOOK_ENV, "").strip() or None


@dataclass
class DeliveryReport:
    """What one delivery call did. `new` = alerts of the file not yet delivered when the call started."""

    publication_key: str
    run_id: str | None
    webhook: bool
    new: int = 0
    delivered: int = 0
    failed: int = 0  # a send failed: released to pending, retried by a later tick
    already_delivered: int = 0
    in_flight: int = 0  # held by another deliverer during this call (it delivers them, or releases them)
    deferred: int = 0  # not attempted: the time budget ran out, or the webhook was down for this call
    errors: list[str] = field(default_factory=list)

    @property
    def complete(self) -> bool:
        """Every alert of the file is known delivered: nothing for a later tick to retry."""
        return self.failed == 0 and self.deferred == 0 and self.in_flight == 0

    def summary(self) -> str:
        """One line, e.g. "2 new delivered to log (+webhook)"."""
        channels = "log (+webhook)" if self.webhook else "log"
        if self.new == 0:
            text = "nothing new"
        elif self.delivered == self.new:
            text = f"{self.new} new delivered to {channels}"
        else:
            text = f"{self.new} new, {self.delivered} delivered to {channels}"
            for count, what in (
                (self.failed, "failed (pending, retried next tick)"),
                (self.deferred, "deferred to next tick"),
                (self.in_flight, "being delivered by another deliverer"),
            ):
                if count:
                    text += f", {count} {what}"
        if self.already_delivered:
            text += f" ({self.already_delivered} delivered earlier)"
        return text


def deliver_new_alerts(
    published: Path,
    ledger: Path,
    webhook_url: str | None,
    logger: Logger = log,
    *,
    policy: WebhookPolicy | None = None,
    deadline_s: float | None = None,
) -> DeliveryReport:
    """Deliver every alert of the published file that the ledger has not recorded as delivered.

    Raises AlertsNotPublished when the file or its alerts table does not exist, and WebhookConfigError for an
    unusable webhook URL (checked before anything is read). `deadline_s` bounds the call (the sensor's
    evaluation has a time limit): alerts not started by then are left for the next tick.
    """
    started = time.monotonic()
    channel = WebhookChannel(webhook_url, policy) if webhook_url else None
    try:
        state = read_published_alerts(published)  # reads and closes the file before any sending
        report = DeliveryReport(state.publication_key, state.run_id, webhook=channel is not None)
        with DeliveryLedger(ledger) as book:
            done = book.delivered_ids()
            pending = [a for a in state.alerts if a.alert_id not in done]
            report.already_delivered = len(state.alerts) - len(pending)
            report.new = len(pending)
            webhook_down = False
            for alert in pending:
                out_of_time = deadline_s is not None and time.monotonic() - started > deadline_s
                if webhook_down or out_of_time:
                    report.deferred += 1
                    continue
                if not book.claim(alert):
                    report.in_flight += 1
                    continue
                channels: dict[str, str] = {}
                try:
                    if channel is not None:
                        sent = channel.send(webhook_body(alert, state.run_id), alert.alert_id)
                        channels["webhook"] = f"HTTP {sent.status} after {sent.attempts} attempt(s)"
                except WebhookError as exc:
                    book.release(alert.alert_id, str(exc), channels)
                    report.failed += 1
                    report.errors.append(str(exc))
                    logger.error(f"alert {alert.alert_id} not delivered, pending for the next tick: {exc}")
                    # A down receiver would cost every remaining alert the full retry budget: stop trying.
                    if isinstance(exc, WebhookUnavailable):
                        webhook_down = True
                    continue
                except BaseException:
                    # Give the claim back at once rather than making it wait out its lease.
                    book.release(alert.alert_id, "delivery interrupted", channels)
                    raise
                channels["log"] = "written"
                if book.mark_delivered(alert.alert_id, channels):
                    logger.info(alert.log_line())
                    report.delivered += 1
                else:
                    # Our claim outlived its lease and another deliverer took the alert: it writes the line.
                    logger.warning(f"alert {alert.alert_id}: claim expired during the send; left to its new owner")
                    report.in_flight += 1
        return report
    finally:
        if channel is not None:
            channel.close()


def logger_writing_to(write: Callable[[str], None], name: str = "alerts.delivery.shell") -> logging.Logger:
    """A logger whose records go to `write` as plain lines (the pipeline runner's shell output)."""

    class _Lines(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            write(self.format(record))

    # A private Logger (not registered with logging.getLogger) so repeated calls never stack handlers.
    logger = logging.Logger(name, logging.INFO)
    handler = _Lines()
    handler.setFormatter(logging.Formatter("%(message)s"))
    logger.addHandler(handler)
    return logger


def deliver_from_environment(logger: Logger = log, *, deadline_s: float | None = None) -> DeliveryReport:
    """deliver_new_alerts with every path and URL taken from the environment (DW_WAREHOUSE_PATH, ...)."""
    return deliver_new_alerts(
        published_path(), ledger_path(), webhook_url_from_environment(), logger, deadline_s=deadline_s
    )
