"""The simulated Binance funding looks like the real one it was calibrated on."""

from datetime import UTC, datetime, timedelta

import duckdb
import numpy as np
import pytest

from simulator.market import Market
from tests.conftest import shared_data


@pytest.mark.parametrize("symbol", ["BTCUSDT", "ETHUSDT", "SOLUSDT", "ORDIUSDT", "WIFUSDT"])
def test_funding_distribution_matches_the_real_year(symbol):
    path = shared_data("ZuShen168__funding_rate_data/data/funding/venue=binance/data.parquet")
    # The symbol's usual interval (a few settlements at another interval are left out).
    real = duckdb.sql(
        f"""
        select rate_raw * 1e4 as bp from read_parquet('{path}')
        where venue_symbol = '{symbol}'
          and interval_hours = (select mode(interval_hours) from read_parquet('{path}') where venue_symbol = '{symbol}')
        """
    ).fetchnumpy()["bp"]
    market = Market(seed=7, horizon=datetime(2026, 1, 1, tzinfo=UTC), episodes=[])
    start = datetime(2025, 1, 1, tzinfo=UTC)
    times = market.settlement_times("binance", symbol, start, start + timedelta(days=365))
    sim = np.array([market.settled_funding("binance", symbol, t) * 1e4 for t in times])
    interest_bp = 1.0 * market.instruments[("binance", symbol)].params.interval_hours / 8
    assert abs(sim.mean() - real.mean()) < 0.15 + 0.25 * abs(real.mean())
    assert 0.5 < sim.std() / real.std() < 2.0
    # The pile-up at exactly the interest rate that Binance's clamp produces.
    real_share = np.mean(np.isclose(real, interest_bp, atol=1e-6))
    sim_share = np.mean(np.isclose(sim, interest_bp, atol=1e-6))
    assert abs(sim_share - real_share) < 0.1, (sim_share, real_share)


def test_market_is_deterministic_and_independent_of_start_time():
    t = datetime(2025, 6, 1, 12, tzinfo=UTC)
    a = Market(seed=7, horizon=datetime(2026, 1, 1, tzinfo=UTC))
    b = Market(seed=7, horizon=datetime(2026, 6, 1, tzinfo=UTC))
    assert a.price("BTC", t) == b.price("BTC", t)
    assert a.settled_funding("binance", "ETHUSDT", t.replace(hour=16)) == b.settled_funding(
        "binance", "ETHUSDT", t.replace(hour=16)
    )
    assert Market(seed=8, horizon=datetime(2026, 1, 1, tzinfo=UTC)).price("BTC", t) != a.price("BTC", t)
