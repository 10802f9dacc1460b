"""On the shared scripted market (tests/conftest.py episode_market: the whole pipeline against the simulator),
every alert of the published warehouse reaches a webhook exactly once across a sensor restart."""

from datetime import UTC, datetime, timedelta
from pathlib import Path

import duckdb
import pytest

from alerts.ledger import DeliveryLedger
from tests.alerts.sensor_probe import evaluate_sensor_in_new_process

# The shared scripted-market run takes several minutes on 2 cores (as in tests/e2e/test_scripted_episodes.py).
pytestmark = [pytest.mark.slow, pytest.mark.timeout(2700)]

# Detection may trail an episode's end by this much (tests/e2e/test_scripted_episodes.py LAG).
LAG = timedelta(hours=16)


def test_every_published_alert_reaches_the_webhook_once_across_a_sensor_restart(episode_market, receiver, tmp_path):
    env, published, episodes = episode_market
    con = duckdb.connect(str(published), read_only=True)
    try:
        ids = {r[0] for r in con.execute("select alert_id from marts.fct_alerts").fetchall()}
    finally:
        con.close()
    assert ids, "the scripted market fired no alerts"

    # A ledger of our own: the pipeline run that built the market already delivered to the one beside it.
    sensor_env = {
        **env,
        "DW_ALERTS_LEDGER": str(tmp_path / "alerts_delivery.sqlite"),
        "DW_ALERT_WEBHOOK_URL": receiver.url,
    }
    first = evaluate_sensor_in_new_process(sensor_env, cursor=None)
    assert first["skip_message"] == f"alerts: {len(ids)} new delivered to log (+webhook)"
    restarted = evaluate_sensor_in_new_process(sensor_env, cursor=None)  # a new daemon process, cursor lost
    assert restarted["skip_message"] == f"alerts: nothing new ({len(ids)} delivered earlier)"
    assert receiver.posts == {alert_id: 1 for alert_id in ids}
    assert receiver.accepted == {alert_id: 1 for alert_id in ids}

    # The scripted OI/price divergence on ETH raises one alert, delivered once.
    episode = next(e for e in episodes if e.name == "oi_price_divergence")
    divergence = [
        key
        for key, body in receiver.bodies.items()
        if body["alert_type"] == "oi_price_divergence"
        and body["asset"] == "ETH"
        and episode.start <= _utc(body["fired_at"]) < episode.end + LAG
    ]
    assert len(divergence) == 1, divergence
    assert receiver.posts[divergence[0]] == 1

    # The pipeline run itself delivered the same alerts to the log, into the default ledger beside the warehouse
    # (unless this environment points delivery elsewhere).
    if not (env.get("DW_ALERTS_LEDGER") or env.get("DW_ALERT_WEBHOOK_URL")):
        with DeliveryLedger(Path(env["DW_WAREHOUSE_PATH"]).parent / "alerts_delivery.sqlite") as pipeline_ledger:
            assert pipeline_ledger.delivered_ids() == ids


def _utc(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00")).astimezone(UTC)
