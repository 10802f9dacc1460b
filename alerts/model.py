"""One fired alert as read from `marts.fct_alerts`, and the JSON body the webhook receives."""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, fields
from datetime import UTC, datetime
from typing import Any

# The webhook body's version: bump it when a field changes meaning or disappears (adding one does not).
PAYLOAD_VERSION = 1


@dataclass(frozen=True)
class Alert:
    """A row of `marts.fct_alerts` (its contract: dbt_project/models/marts/signals/_signals__models.yml)."""

    alert_id: str  # md5 of (alert_type, asset, exchange, fired_at): stable across re-runs, the delivery key
    alert_type: str
    asset: str
    exchange: str | None  # only per-venue alerts (funding_extreme) name a venue
    fired_at: datetime
    last_seen_at: datetime
    hours_active: int
    value_at_fire: float | None
    peak_value: float | None
    threshold: float | None
    is_ongoing: bool
    message: str | None

    @classmethod
    def column_names(cls) -> list[str]:
        return [f.name for f in fields(cls)]

    def log_line(self) -> str:
        """The human-readable line the log channel writes (one per alert)."""
        venue = f" on {self.exchange}" if self.exchange else ""
        text = self.message or f"{self.asset} {self.alert_type}{venue}"
        state = "ongoing" if self.is_ongoing else f"ended, last seen {iso_utc(self.last_seen_at)}"
        return f"ALERT {text} [{self.alert_type}, fired {iso_utc(self.fired_at)}, {state}, id {self.alert_id}]"


def webhook_body(alert: Alert, publication_run_id: str | None = None) -> dict[str, Any]:
    """The JSON body POSTed to the webhook: the alert's columns, times as ISO-8601 UTC with a `Z`.

        {"version": 1, "alert_id": "9f0c...", "alert_type": "funding_extreme", "asset": "BTC",
         "exchange": "binance", "fired_at": "2026-11-01T04:00:00Z", "last_seen_at": "2026-11-02T11:00:00Z",
         "hours_active": 32, "value_at_fire": 0.00081, "peak_value": 0.0012, "threshold": 0.0005,
         "is_ongoing": false, "message": "BTC funding +0.0810% per 8h on binance (beyond +-0.05%)",
         "publication_run_id": "…"}

    Values keep the mart's units (rates and changes as fractions, divergence in hours). last_seen_at,
    hours_active, peak_value and is_ongoing describe the episode at delivery time: an alert is sent once, not
    updated. Non-finite numbers become null so the body is strict JSON.
    """
    body: dict[str, Any] = {"version": PAYLOAD_VERSION}
    for name, value in asdict(alert).items():
        if isinstance(value, datetime):
            value = iso_utc(value)
        elif isinstance(value, float) and not math.isfinite(value):
            value = None
        body[name] = value
    body["publication_run_id"] = publication_run_id
    return body


def iso_utc(moment: datetime) -> str:
    if moment.tzinfo is None:  # the mart's times are timestamptz; a naive value here is already UTC
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
