"""The scripted 24-day market (tests/conftest.py episode_market) as the command-line tests read it."""

import duckdb
import pytest


@pytest.fixture(scope="module")
def market(episode_market):
    """(environment pointing at the market's warehouse, a read-only connection to its published copy)."""
    env, published, _ = episode_market
    con = duckdb.connect(str(published), read_only=True)
    yield env, con
    con.close()
