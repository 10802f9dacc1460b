"""End to end: the simulator scripts one episode of each kind (tests/conftest.py EPISODE_PLAN), the whole
pipeline runs against it, and the published marts must name each episode as the scenario it scripts, in the
phase that scripts it, and stay silent on the quiet days after the last episode."""

from datetime import timedelta

import duckdb
import pytest

# The shared scripted-market run (tests/conftest.py episode_market) takes several minutes on 2 cores.
pytestmark = pytest.mark.timeout(2700)

# Episode -> (scenario it scripts, the phase in which it must be detected).
SCRIPTED = {
    "long_squeeze": (1, "build_up"),
    "short_squeeze": (2, "build_up"),
    "healthy_trend": (3, "trend"),
    "exhaustion": (4, "blow_off"),
    "vacuum": (5, "drain"),
    "pre_event": (6, "build"),
}
# Funding settles every 8 h on most venues and a rule must hold scenario_min_hours (8) before it is reported:
# detection may trail the phase by up to this much.
LAG = timedelta(hours=16)


@pytest.fixture(scope="module")
def marts(episode_market):
    _, published, episodes = episode_market
    con = duckdb.connect(str(published), read_only=True)
    yield con, {e.name: e for e in episodes}
    con.close()


def _active_hours(con, asset, scenario_id):
    rows = con.execute(
        "select hour_at from marts.fct_market_state where asset = ? and active_scenario = ? order by hour_at",
        [asset, scenario_id],
    ).fetchall()
    return [r[0] for r in rows]


@pytest.mark.parametrize("name", sorted(SCRIPTED))
def test_each_episode_is_detected_as_its_scenario_in_its_phase(marts, name):
    con, episodes = marts
    episode = episodes[name]
    scenario_id, phase_name = SCRIPTED[name]
    phase_start, phase_end = next((s, e) for p, s, e in episode.phase_windows() if p.name == phase_name)
    hours = _active_hours(con, episode.asset, scenario_id)
    in_phase = [h for h in hours if phase_start <= h < phase_end + LAG]
    assert in_phase, f"{name}: scenario {scenario_id} never active on {episode.asset} in {phase_name}"
    # Nowhere else on that asset: not before the episode, not after it (beyond the lag).
    stray = [h for h in hours if not (episode.start <= h < episode.end + LAG)]
    assert not stray, f"{name}: scenario {scenario_id} also active outside the episode at {stray[:5]}"
    # It is the first scenario the phase shows (a blow-off also looks like a long squeeze setup once funding
    # stops rising: both may follow), and it holds for more than a blip.
    first = con.execute(
        "select active_scenario from marts.fct_market_state where asset = ? and hour_at >= ? and hour_at < ? "
        "and active_scenario is not null order by hour_at limit 1",
        [episode.asset, phase_start, phase_end + LAG],
    ).fetchone()[0]
    assert first == scenario_id, f"{name}: first active scenario in {phase_name} is {first}"
    assert len(in_phase) >= 3, f"{name}: active {len(in_phase)} hours only"
    # The fired-scenario mart carries the evidence for those hours.
    evidence = con.execute(
        "select evidence from marts.fct_confluence_scenarios where asset = ? and hour_at = ? and scenario_id = ?",
        [episode.asset, in_phase[0], scenario_id],
    ).fetchone()
    assert evidence and "funding" in evidence[0] and "OI" in evidence[0]


def test_no_scenario_fires_on_the_quiet_stretch(marts):
    con, episodes = marts
    # Three days after the last episode ends, the 72 h look-backs no longer see any episode.
    quiet_from = max(e.end for e in episodes.values()) + timedelta(hours=72)
    last = con.execute("select max(hour_at) from marts.fct_market_state").fetchone()[0]
    assert last - quiet_from >= timedelta(days=3)
    fired = con.execute(
        "select asset, hour_at, scenario_name from marts.fct_confluence_scenarios where hour_at >= ? order by 2",
        [quiet_from],
    ).fetchall()
    assert fired == []


def test_the_oi_price_divergence_episode_raises_one_alert(marts):
    con, episodes = marts
    episode = episodes["oi_price_divergence"]
    alerts = con.execute(
        "select fired_at from marts.fct_alerts where alert_type = 'oi_price_divergence' and asset = ? "
        "and fired_at >= ? and fired_at < ?",
        [episode.asset, episode.start, episode.end + LAG],
    ).fetchall()
    assert len(alerts) == 1


def test_extreme_funding_alerts_fire_once_per_venue_per_episode(marts):
    con, episodes = marts
    episode = episodes["long_squeeze"]
    per_venue = con.execute(
        "select exchange, count(*) from marts.fct_alerts where alert_type = 'funding_extreme' and asset = ? "
        "and fired_at >= ? and fired_at < ? group by 1 order by 1",
        [episode.asset, episode.start, episode.end],
    ).fetchall()
    # Funding >= 0.08 % for three days on every venue: at least two venues alert, each exactly once.
    assert len(per_venue) >= 2 and all(n == 1 for _, n in per_venue), per_venue
