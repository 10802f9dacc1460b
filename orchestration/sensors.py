# No `from __future__ import annotations` here: Dagster inspects the context type hints at runtime.
"""Sensors. `alerts_delivery` sends each new alert of the published warehouse to the log and the optional
webhook (the logic lives in the alerts/ package; this module only wires it to Dagster).

The cursor is the run_id of the last publication handled, so ticks between publications cost one small read.
It only saves work: exactly-once rests on the delivery ledger, so a restarted daemon, a lost or stale cursor,
or the pipeline runner delivering the same publication sends nothing twice.
"""

from dagster import DefaultSensorStatus, SensorEvaluationContext, SkipReason, sensor

from alerts import AlertsNotPublished, deliver_new_alerts, ledger_path, publication_key, webhook_url_from_environment
from warehouse.paths import published_path

# Dagster gives a sensor evaluation 60 s by default; stop starting sends well before that. Alerts left over
# stay pending and the unchanged cursor makes the next tick pick them up.
DELIVERY_BUDGET_S = 40.0


@sensor(
    name="alerts_delivery",
    default_status=DefaultSensorStatus.RUNNING,
    minimum_interval_seconds=60,
    description="Delivers each new fired alert (marts.fct_alerts) once to the log and DW_ALERT_WEBHOOK_URL.",
)
def alerts_delivery(context: SensorEvaluationContext) -> SkipReason:
    path = published_path()
    try:
        key = publication_key(path)
        if key == context.cursor:
            return SkipReason(f"publication {key} already handled")
        report = deliver_new_alerts(
            path, ledger_path(), webhook_url_from_environment(), context.log, deadline_s=DELIVERY_BUDGET_S
        )
    except AlertsNotPublished as exc:
        return SkipReason(str(exc))
    context.log.info(f"alerts: {report.summary()} (publication {report.publication_key})")
    if report.complete:
        # The key of the state actually read, which may be newer than `key` if a publication landed between.
        context.update_cursor(report.publication_key)
    return SkipReason(f"alerts: {report.summary()}")
