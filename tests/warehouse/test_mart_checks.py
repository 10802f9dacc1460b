"""The Great Expectations mart suites on small hand-made marts: each rule fails on the row made to break it,
names the venue, the rows and the values, and ignores rows outside the run's window."""

from __future__ import annotations

from datetime import UTC, datetime

import duckdb
import pytest

from warehouse.mart_checks import Expectation, column_expectations, plan_slices, run_suites

WINDOW = (datetime(2026, 11, 21, tzinfo=UTC), datetime(2026, 11, 22, tzinfo=UTC))


def test_conventions_map_column_names_to_rules():
    rules = {(e.column, e.rule) for e in column_expectations(["asset", "close", "oi_usd", "delta_coin", "mark_iv"])}
    assert rules == {
        ("asset", "asset present"),
        ("close", "close positive"),
        ("oi_usd", "oi_usd positive"),
        ("mark_iv", "mark_iv between 0 and 5 (500 %)"),
    }  # delta_coin may be negative: no rule
    funding = [e for e in column_expectations(["exchange", "funding_rate"]) if e.column == "funding_rate"]
    assert {e.exchange: (e.min_value, e.max_value) for e in funding}["dydx"] == (-0.01, 0.01)
    assert len(funding) == 8  # one per venue
    # Without a venue column there is no venue cap to apply.
    assert not [e for e in column_expectations(["funding_rate"]) if e.column == "funding_rate"]


@pytest.fixture
def marts(tmp_path):
    con = duckdb.connect(str(tmp_path / "w.duckdb"))
    con.execute("create schema marts")
    con.execute(
        """
        create table marts.fct_funding_rates as select * from (values
            ('binance', 'BTC', 'BTCUSDT', timestamptz '2026-11-21 00:00:00+00', 0.0001),
            ('binance', 'ETH', 'ETHUSDT', timestamptz '2026-11-21 08:00:00+00', 0.5),
            ('bybit',   'BTC', 'BTCUSDT', timestamptz '2026-11-21 00:00:00+00', 0.02),
            ('dydx',    'BTC', 'BTC-USD', timestamptz '2026-11-21 01:00:00+00', 0.02),
            -- outside the window: not this run's business
            ('okx',     'BTC', 'BTC-USDT-SWAP', timestamptz '2026-11-20 16:00:00+00', 0.9)
        ) t(exchange, asset, instrument, funding_at, funding_rate)
        """
    )
    con.execute(
        """
        create table marts.fct_funding_current as select * from (values
            ('binance', 'BTC', 'BTCUSDT', timestamptz '2026-11-21 08:00:00+00', 100000.0),
            ('bybit',   'BTC', 'BTCUSDT', timestamptz '2026-11-21 08:00:00+00', 100100.0),
            ('okx',     'BTC', 'BTC-USDT-SWAP', timestamptz '2026-11-21 08:00:00+00', 99900.0),
            ('bitmex',  'BTC', 'XBTUSD', timestamptz '2026-11-21 08:00:00+00', 105000.0)
        ) t(exchange, asset, instrument, as_of, mark_price)
        """
    )
    con.execute(
        """
        create table marts.fct_open_interest_hourly as
        select 'BTC' as asset, exchange, timestamptz '2026-11-21 00:00:00+00' + to_hours(h) as hour_at,
               1e9 as oi_usd, 'history' as oi_source
        from (values ('binance'), ('bybit')) v(exchange), range(6) r(h)
        where not (exchange = 'bybit' and h in (2, 3))
        """
    )
    con.execute(
        """
        create table marts.fct_source_freshness as select * from (values
            ('binance', 'funding_rates', 'daily_history', timestamptz '2026-11-21 08:10:00+00', 1.5),
            ('okx', 'tickers', 'hourly_snapshot', timestamptz '2026-11-21 05:05:00+00', 1.5),
            ('bybit', 'liquidations', 'hourly_stream', null, 2.5)
        ) t(exchange, dataset, cadence, last_fetched_at, allowed_lag_hours)
        """
    )
    yield con
    con.close()


def test_venue_caps_prices_completeness_and_freshness(marts):
    names = ["fct_funding_rates", "fct_funding_current", "fct_open_interest_hourly", "fct_source_freshness"]
    outcomes = run_suites(marts, plan_slices(marts, names, WINDOW))

    by_venue = {f["exchange"]: f for f in outcomes["fct_funding_rates"].failures}
    assert set(by_venue) == {"binance", "dydx"}  # okx's 0.9 is outside the window; bybit's 2 % is inside 3 %
    assert by_venue["binance"]["rule"] == "funding_rate within binance's cap of +-3.00% per interval"
    assert by_venue["binance"]["unexpected_count"] == 1
    assert by_venue["binance"]["sample_values"] == [0.5]
    (row,) = by_venue["binance"]["sample_rows"]
    assert (row["exchange"], row["asset"], row["instrument"]) == ("binance", "ETH", "ETHUSDT")
    assert by_venue["dydx"]["sample_values"] == [0.02]  # 2 % per hour is beyond dYdX's 1 % hourly cap

    prices = outcomes["fct_funding_current"]
    (far,) = prices.failures
    assert far["suite"] == "fct_funding_current:cross_venue_prices"
    assert [r["exchange"] for r in far["sample_rows"]] == ["bitmex"]
    # median of 99,900 / 100,000 / 100,100 / 105,000 is 100,050: bitmex is 4.95 % away, the others < 0.2 %
    assert far["sample_values"][0] == pytest.approx(105000 / 100050 - 1)

    completeness = outcomes["fct_open_interest_hourly"]
    (gap,) = completeness.failures
    assert gap["suite"] == "fct_open_interest_hourly:hourly_completeness"
    assert gap["unexpected_count"] == 2
    assert sorted(r["hour_at"][:16] for r in gap["sample_rows"]) == ["2026-11-21 02:00", "2026-11-21 03:00"]
    assert {r["exchange"] for r in gap["sample_rows"]} == {"bybit"}

    freshness = outcomes["fct_source_freshness"]
    assert not freshness.passed and not freshness.blocking_failed  # a stale venue warns, never blocks
    (stale,) = freshness.failures
    assert [r["exchange"] for r in stale["sample_rows"]] == ["okx"]
    assert stale["sample_values"][0] == pytest.approx((3 + 5 / 60) / 1.5)  # 3 h 05 min behind, 1.5 h allowed
    assert not stale["blocking"]


def test_a_clean_window_passes(marts):
    marts.execute("delete from marts.fct_funding_rates where funding_rate > 0.01")
    outcomes = run_suites(marts, plan_slices(marts, ["fct_funding_rates"], WINDOW))
    assert outcomes["fct_funding_rates"].passed
    assert outcomes["fct_funding_rates"].rows_checked == 1
    assert outcomes["fct_funding_rates"].description.endswith("passed on 1 rows")


def test_a_positive_rule_builds_a_strict_gx_expectation():
    built = Expectation("between", "close", "close positive", min_value=0, strict_min=True).build()
    assert built.column == "close" and built.min_value == 0 and built.strict_min
