"""The webhook's JSON body and the log line, from an Alert as the published mart gives it."""

import json
import math
from datetime import UTC, datetime, timedelta, timezone

from alerts.model import PAYLOAD_VERSION, Alert, webhook_body
from tests.alerts.helpers import alert_row, alerts_contract

FIRED = datetime(2026, 11, 10, 4, tzinfo=UTC)


def _alert(**overrides) -> Alert:
    row = alert_row("funding_extreme", "BTC", "binance", FIRED, 0.00081)
    row.update(message="BTC funding +0.0810% per 8h on binance (beyond +-0.05%)", **overrides)
    return Alert(**row)


def test_the_alert_model_follows_the_mart_contract():
    assert Alert.column_names() == [name for name, _ in alerts_contract()]


def test_body_is_the_alert_columns_with_iso_utc_times():
    # DuckDB hands timestamptz back in the session's zone: the body must still say UTC.
    tokyo = timezone(timedelta(hours=9))
    alert = _alert(last_seen_at=datetime(2026, 11, 11, 20, tzinfo=tokyo), is_ongoing=False, hours_active=36)
    body = webhook_body(alert, publication_run_id="run-42")
    assert body == {
        "version": PAYLOAD_VERSION,
        "alert_id": alert.alert_id,
        "alert_type": "funding_extreme",
        "asset": "BTC",
        "exchange": "binance",
        "fired_at": "2026-11-10T04:00:00Z",
        "last_seen_at": "2026-11-11T11:00:00Z",
        "hours_active": 36,
        "value_at_fire": 0.00081,
        "peak_value": 0.00081,
        "threshold": 0.0005,
        "is_ongoing": False,
        "message": "BTC funding +0.0810% per 8h on binance (beyond +-0.05%)",
        "publication_run_id": "run-42",
    }


def test_body_is_strict_json_even_with_non_finite_values():
    body = webhook_body(_alert(peak_value=math.nan, value_at_fire=math.inf, exchange=None))
    text = json.dumps(body, allow_nan=False)  # raises on NaN/Infinity
    assert json.loads(text)["peak_value"] is None
    assert json.loads(text)["value_at_fire"] is None
    assert json.loads(text)["exchange"] is None


def test_log_line_is_one_readable_line_naming_the_alert():
    alert = _alert()
    line = alert.log_line()
    assert "\n" not in line
    assert line.startswith("ALERT BTC funding +0.0810% per 8h on binance")
    assert "fired 2026-11-10T04:00:00Z" in line and "ongoing" in line and alert.alert_id in line
