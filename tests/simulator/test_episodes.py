"""Each scripted episode produces the market features it promises (its ground truth for detection)."""

from datetime import UTC, datetime, timedelta

import httpx
import numpy as np
import pytest

from simulator import flow
from simulator.episodes import EPISODES, SIGNALS, schedule
from simulator.market import Market

START = datetime(2026, 3, 2, tzinfo=UTC)
CLAMP_VENUES = [("binance", "{a}USDT"), ("bybit", "{a}USDT"), ("okx", "{a}-USDT-SWAP"), ("bitmex", "{x}USD")]


@pytest.fixture(scope="module")
def market():
    """One market holding every episode, each on its own asset and weeks apart, plus quiet stretches."""
    episodes = [
        schedule("long_squeeze", "BTC", START),
        schedule("short_squeeze", "ETH", START),
        schedule("healthy_trend", "SOL", START),
        schedule("exhaustion", "BTC", START + timedelta(days=28)),
        schedule("vacuum", "ETH", START + timedelta(days=28)),
        schedule("pre_event", "SOL", START + timedelta(days=28)),
        schedule("oi_price_divergence", "BTC", START + timedelta(days=56)),
    ]
    return Market(
        seed=7,
        history_start=datetime(2025, 12, 1, tzinfo=UTC),
        horizon=datetime(2026, 6, 1, tzinfo=UTC),
        episodes=episodes,
    )


def _phase(market, name, phase_name):
    ep = next(e for e in market.episodes if e.name == name)
    return ep, next((s, e) for p, s, e in ep.phase_windows() if p.name == phase_name)


def _settled(market, venue, symbol, start, end):
    return [market.settled_funding(venue, symbol, t) for t in market.settlement_times(venue, symbol, start, end)]


def _symbol(template, asset):
    return template.format(a=asset, x="XBT" if asset == "BTC" else asset)


def _oi_change(market, asset, start, end):
    return market.asset_open_interest(asset, end) / market.asset_open_interest(asset, start) - 1


def _liq_usd(market, asset, start, end, long_side):
    tape = market.liquidation_tape(asset)
    sel = (tape.step >= market.step_index(start)) & (tape.step < market.step_index(end)) & (tape.is_long == long_side)
    return float((tape.qty[sel] * tape.price[sel]).sum())


def test_every_episode_documents_its_signals():
    assert set(SIGNALS) == set(EPISODES)


def test_long_squeeze_build_up_and_cascade(market):
    ep, (s, e) = _phase(market, "long_squeeze", "build_up")
    # Funding >= 0.08 % per 8 h on at least two venues for 3+ consecutive periods (after the first).
    runs = []
    for venue, template in CLAMP_VENUES:
        rates = _settled(market, venue, _symbol(template, ep.asset), s + timedelta(hours=8), e)
        runs.append(sum(1 for r in rates if r >= 0.0008))
    assert sum(1 for n in runs if n >= 3) >= 2, runs
    assert _oi_change(market, ep.asset, s, e) > 0.10
    _, (cs, ce) = _phase(market, "long_squeeze", "cascade")
    assert market.price(ep.asset, ce) / market.price(ep.asset, cs) - 1 == pytest.approx(-0.12, abs=0.01)
    cascade_hourly = _liq_usd(market, ep.asset, cs, ce, True) / 6
    trailing_hourly = (
        _liq_usd(market, ep.asset, cs - timedelta(hours=24), cs, True)
        + _liq_usd(market, ep.asset, cs - timedelta(hours=24), cs, False)
    ) / 24
    assert cascade_hourly >= 5 * trailing_hourly
    assert _liq_usd(market, ep.asset, cs, ce, True) > 5 * _liq_usd(market, ep.asset, cs, ce, False)
    assert _oi_change(market, ep.asset, cs, ce) < -0.15


def test_short_squeeze(market):
    ep, (s, e) = _phase(market, "short_squeeze", "build_up")
    rates = {v: _settled(market, v, _symbol(t, ep.asset), s + timedelta(hours=8), e) for v, t in CLAMP_VENUES}
    assert sum(1 for r in rates.values() if max(r) <= -0.0005) >= 2
    assert _oi_change(market, ep.asset, s, e) > 0.10
    _, (qs, qe) = _phase(market, "short_squeeze", "squeeze")
    assert market.price(ep.asset, qe) / market.price(ep.asset, qs) - 1 == pytest.approx(0.12, abs=0.01)
    assert _liq_usd(market, ep.asset, qs, qe, False) > 5 * _liq_usd(market, ep.asset, qs, qe, True)


def test_healthy_trend(market):
    ep, (s, e) = _phase(market, "healthy_trend", "trend")
    rates = _settled(market, "binance", f"{ep.asset}USDT", s + timedelta(hours=8), e)
    assert all(0.0001 <= r <= 0.0003 for r in rates)
    assert market.price(ep.asset, e) / market.price(ep.asset, s) - 1 == pytest.approx(0.10, abs=0.01)
    assert _oi_change(market, ep.asset, s, e) > 0.05


def test_exhaustion(market):
    ep, (ts, te) = _phase(market, "exhaustion", "trend")
    _, (bs, be) = _phase(market, "exhaustion", "blow_off")
    trend = _settled(market, "binance", f"{ep.asset}USDT", ts + timedelta(hours=8), te)
    blow = _settled(market, "binance", f"{ep.asset}USDT", bs + timedelta(hours=8), be)
    assert min(blow) >= 0.0010 > max(trend)  # extreme and still rising in the trend's direction
    oi_rate_trend = _oi_change(market, ep.asset, ts, te) / 72
    oi_rate_blow = _oi_change(market, ep.asset, bs, be) / 48
    assert oi_rate_blow > oi_rate_trend  # OI accelerating
    assert market.price(ep.asset, be) > market.price(ep.asset, ts)


def test_vacuum(market):
    ep, (s, e) = _phase(market, "vacuum", "drain")
    rates = _settled(market, "binance", f"{ep.asset}USDT", s + timedelta(hours=8), e)
    assert all(abs(r) <= 0.0001 for r in rates)
    assert _oi_change(market, ep.asset, s, e) < -0.15
    window = [market.asset_open_interest(ep.asset, e - timedelta(days=d)) for d in range(30)]
    assert market.asset_open_interest(ep.asset, e) <= np.percentile(window, 10)  # near its 30-day low
    assert abs(market.price(ep.asset, e) / market.price(ep.asset, s) - 1) < 0.03


def test_pre_event_build(market):
    ep, (s, e) = _phase(market, "pre_event", "build")
    assert _oi_change(market, ep.asset, s, e) >= 0.15  # OI up 15 %+ within 48 h
    rates = _settled(market, "binance", f"{ep.asset}USDT", s + timedelta(hours=8), e)
    assert all(0.0003 <= r <= 0.0005 for r in rates)  # moderate, directional
    assert abs(market.price(ep.asset, e) / market.price(ep.asset, s) - 1) < 0.02


def test_oi_price_divergence(market):
    ep, (s, e) = _phase(market, "oi_price_divergence", "divergence")
    price_move = market.price(ep.asset, e) / market.price(ep.asset, s) - 1
    oi_move = _oi_change(market, ep.asset, s, e)
    assert price_move > 0.05 and oi_move <= -0.08
    assert abs(oi_move) / price_move > 1.0  # strong divergence ratio
    # Sustained: OI lower at the end of each of the last three days than three days before.
    assert market.asset_open_interest(ep.asset, e) < market.asset_open_interest(ep.asset, e - timedelta(days=3))


def test_a_quiet_stretch_has_no_extreme_funding(market):
    quiet_start = START + timedelta(days=70)
    for asset in ("BTC", "ETH", "SOL"):
        rates = _settled(market, "binance", f"{asset}USDT", quiet_start, quiet_start + timedelta(days=7))
        assert max(abs(r) for r in rates) < 0.0005


def test_liquidations_happen_where_price_crossed(market):
    ep, (cs, ce) = _phase(market, "long_squeeze", "cascade")
    events = flow.liquidations(market, ep.asset, cs, ce)
    assert events and all(e.is_long for e in events if e.time < ce - timedelta(minutes=5))
    for e in events:
        # A long is liquidated when the price trades down to its level, by the end of the event's 5-minute step.
        step_start = e.time.replace(second=0, microsecond=0) - timedelta(minutes=e.time.minute % 5)
        low = min(market.price(ep.asset, step_start + timedelta(minutes=m)) for m in (0, 5))
        high = max(market.price(ep.asset, step_start + timedelta(minutes=m)) for m in (0, 5))
        assert low <= e.price if e.is_long else high >= e.price


def test_episodes_endpoint_lists_the_schedule(simulator):
    episodes = httpx.get(f"{simulator.root}/_sim/episodes", timeout=10).json()
    names = {e["name"] for e in episodes}
    assert names == set(EPISODES)
    first = episodes[0]
    assert first["phases"][0]["start"] == first["start"] and first["signals"]
