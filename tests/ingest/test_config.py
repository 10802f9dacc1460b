"""Runtime settings: the simulator's frozen clock is the venues' present, and only with a simulator."""

from datetime import UTC, datetime

import pytest

from ingest.config import ConfigError, Settings


def test_the_simulator_clock_is_the_present_only_with_a_simulator():
    sim = {"DW_SIMULATOR_URL": "http://127.0.0.1:8765", "DW_SIMULATOR_NOW": "2026-11-21T08:00:00Z"}
    assert Settings.from_env(sim).now() == datetime(2026, 11, 21, 8, tzinfo=UTC)
    assert abs((Settings.from_env({}).now() - datetime.now(UTC)).total_seconds()) < 60
    with pytest.raises(ConfigError, match="needs DW_SIMULATOR_URL"):
        Settings.from_env({"DW_SIMULATOR_NOW": "2026-11-21T08:00:00Z"})
    with pytest.raises(ConfigError, match="ISO-8601"):
        Settings.from_env({**sim, "DW_SIMULATOR_NOW": "yesterday"})
