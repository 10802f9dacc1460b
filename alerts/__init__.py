"""Alert delivery: send each fired alert of the published warehouse once, to the log and an optional webhook.

This room is plain Python (no Dagster imports) so the `alerts_delivery` sensor and the pipeline runner call
the same code:

- `source`: read `marts.fct_alerts` and the publication stamp from the published file (read-only, briefly);
- `ledger`: the durable SQLite record of what was delivered, with an atomic claim per alert;
- `webhook`: the optional HTTP POST (validated URL, idempotency key, bounded retries, masked in logs);
- `delivery`: `deliver_new_alerts`, which ties them together and returns a `DeliveryReport`.

Delivery is exactly-once to the log and at-least-once to the webhook, which receives an `Idempotency-Key`
header (the alert_id) so a receiver can drop the rare duplicate (see `alerts.delivery`).
"""

from alerts.delivery import (
    DeliveryReport,
    deliver_from_environment,
    deliver_new_alerts,
    ledger_path,
    logger_writing_to,
    webhook_url_from_environment,
)
from alerts.model import Alert
from alerts.source import AlertsNotPublished, publication_key

__all__ = [
    "Alert",
    "AlertsNotPublished",
    "DeliveryReport",
    "deliver_from_environment",
    "deliver_new_alerts",
    "ledger_path",
    "logger_writing_to",
    "publication_key",
    "webhook_url_from_environment",
]
