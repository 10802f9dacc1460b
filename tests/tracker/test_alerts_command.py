"""`alerts` on the scripted 24-day market: the fired alerts of marts.fct_alerts in the window, per asset, with
--since, --type, --exchange and --as-of."""

import json
from datetime import datetime, timedelta

import pytest

from tests.tracker.cli import run_cli

pytestmark = pytest.mark.timeout(2700)


def _cli(args, env, check=True):
    return run_cli(args, env, check)


def _ids(con, sql, params):
    return {r[0] for r in con.execute(sql, params).fetchall()}


def test_the_window_holds_exactly_the_alerts_fired_in_it(market):
    env, con = market
    report = json.loads(_cli(["alerts", "--since", "30d", "--output", "json"], env).stdout)
    assert [a["asset"] for a in report["assets"]] == ["BTC", "ETH", "SOL"]
    for a in report["assets"]:
        as_of = datetime.fromisoformat(a["as_of"])
        expected = _ids(
            con,
            "select alert_id from marts.fct_alerts where asset = ? and fired_at > ? and fired_at <= ?",
            [a["asset"], as_of - timedelta(days=30), as_of],
        )
        assert {al["alert_id"] for al in a["alerts"]} == expected
        fired = [al["fired_at"] for al in a["alerts"]]
        assert fired == sorted(fired, reverse=True)
    # The scripted OI/price divergence on ETH is among them.
    eth = next(a for a in report["assets"] if a["asset"] == "ETH")
    assert any(al["alert_type"] == "oi_price_divergence" for al in eth["alerts"])


def test_type_exchange_and_as_of_narrow_the_list(market):
    env, con = market
    report = json.loads(
        _cli(["alerts", "BTC", "--since", "30d", "--type", "funding_extreme", "--output", "json"], env).stdout
    )
    alerts = report["assets"][0]["alerts"]
    assert alerts and {al["alert_type"] for al in alerts} == {"funding_extreme"}
    venue = alerts[0]["exchange"]
    only = json.loads(_cli(["alerts", "BTC", "--since", "30d", "--exchange", venue, "--output", "json"], env).stdout)[
        "assets"
    ][0]["alerts"]
    assert {al["exchange"] for al in only} <= {venue, None}
    first = min(datetime.fromisoformat(al["fired_at"]) for al in alerts)
    past = json.loads(
        _cli(["alerts", "BTC", "--since", "30d", "--as-of", first.isoformat(), "--output", "json"], env).stdout
    )["assets"][0]
    expected = _ids(
        con,
        "select alert_id from marts.fct_alerts where asset = 'BTC' and fired_at > ? and fired_at <= ?",
        [first - timedelta(days=30), first],
    )
    assert {al["alert_id"] for al in past["alerts"]} == expected
    assert datetime.fromisoformat(past["as_of"]) <= first


def test_table_and_csv(market):
    env, _ = market
    table = _cli(["alerts", "ETH", "--since", "30d"], env).stdout
    assert "ETH ALERTS (fired in the last 30d)" in table and "alert(s);" in table
    rows = _cli(["alerts", "ETH", "--since", "30d", "--output", "csv"], env).stdout.splitlines()
    assert rows[0].startswith("asset,alert_id,alert_type,exchange,fired_at")
    assert len(rows) > 1 and all(r.startswith("ETH,") for r in rows[1:])


def test_unknown_type_is_a_bad_argument(market):
    env, _ = market
    proc = _cli(["alerts", "--type", "moon"], env, check=False)
    assert proc.returncode == 2 and "types: funding_extreme" in proc.stderr
