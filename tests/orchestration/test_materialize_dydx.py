"""materialize() of every dYdX raw asset against the simulator into a temporary warehouse: the markets snapshot
for the current hour, the histories for a past day; rows, values and the blocking raw check."""

import time
from datetime import UTC, datetime

import duckdb
import pytest
from dagster import DagsterInstance, materialize

from orchestration.assets.raw import RAW_ASSETS
from orchestration.partitions import hourly_partitions
from orchestration.resources import VenueSettings
from simulator import flow
from simulator.market import Market

DAY = "2026-01-10"
TICKERS = ["BTC-USD", "ETH-USD", "SOL-USD"]
MARKETS = '{"markets":"MAP(VARCHAR, STRUCT(ticker VARCHAR, status VARCHAR, oraclePrice VARCHAR))"}'


@pytest.fixture(scope="module")
def market():
    return Market(seed=7)


def _materialize(dataset: str, partition: str, sim) -> int:
    """Materialize one partition; the raw check must pass. Returns the responses loaded."""
    result = materialize(
        [RAW_ASSETS[f"dydx__{dataset}"]],
        partition_key=partition,
        resources={"venue_settings": VenueSettings(simulator_url=sim.root, assets="BTC,ETH,SOL")},
        instance=DagsterInstance.ephemeral(),
        raise_on_error=False,
    )
    assert result.success
    checks = result.get_asset_check_evaluations()
    assert [(c.check_name, c.passed) for c in checks] == [("raw_partition_valid", True)]
    return result.asset_materializations_for_node(f"raw__dydx__{dataset}")[0].metadata["responses"].value


def _query(path, sql: str, params=()):
    con = duckdb.connect(str(path), read_only=True)
    try:
        return con.execute(sql, list(params)).fetchall()
    finally:
        con.close()


def test_markets_snapshot_of_the_current_hour(sim_env, warehouse_file):
    hour = hourly_partitions.get_partition_key_for_timestamp(time.time())
    assert _materialize("perpetual_markets", hour, sim_env) == 1
    markets = _query(
        warehouse_file,
        """
        select unnest(map_values(from_json(payload, ?).markets)) as m
        from raw.dydx__perpetual_markets where partition_key = ?
        """,
        [MARKETS, hour],
    )
    assert sorted(m["ticker"] for (m,) in markets) == TICKERS
    assert all(m["status"] == "ACTIVE" and float(m["oraclePrice"]) > 0 for (m,) in markets)


def test_histories_of_a_past_day(sim_env, warehouse_file, market):
    assert _materialize("funding_rates", DAY, sim_env) == 3
    assert _materialize("candles_1h", DAY, sim_env) == 3
    assert _materialize("trades", DAY, sim_env) == 6  # two pages a market
    funding = _query(
        warehouse_file,
        """
        select r.ticker, count(*), min(r.effectiveAt), max(r.effectiveAt), any_value(r.rate) filter (
               where r.effectiveAt like '%T12:%')
        from (select unnest(from_json(payload, '{"historicalFunding":[{"ticker":"VARCHAR","rate":"VARCHAR",
              "effectiveAt":"VARCHAR"}]}').historicalFunding) as r from raw.dydx__funding_rates)
        group by 1 order by 1
        """,
    )
    assert [(t, n) for t, n, *_ in funding] == [(t, 24) for t in TICKERS]
    assert all(lo.startswith(f"{DAY}T00:00:00") and hi.startswith(f"{DAY}T23:00:00") for _, _, lo, hi, _ in funding)
    noon = datetime(2026, 1, 10, 12, tzinfo=UTC)
    assert float(funding[0][4]) == pytest.approx(market.settled_funding("dydx", "BTC-USD", noon), abs=1e-12)
    oi = _query(
        warehouse_file,
        """
        select r.startingOpenInterest
        from (select unnest(from_json(payload, '{"candles":[{"ticker":"VARCHAR","startedAt":"VARCHAR",
              "startingOpenInterest":"VARCHAR"}]}').candles) as r from raw.dydx__candles_1h)
        where r.ticker = 'ETH-USD' and r.startedAt = ?
        """,
        [f"{DAY}T06:00:00.000Z"],
    )
    six = datetime(2026, 1, 10, 6, tzinfo=UTC)
    candle = flow.candles(market, "dydx", "ETH-USD", 60, six, six.replace(hour=7))[0]
    assert float(oi[0][0]) == pytest.approx(candle.open_interest, abs=0.001)
    manifest = _query(
        warehouse_file, "select raw_table, response_count, check_passed from raw.load_manifest order by 1"
    )
    assert manifest == [
        ("raw.dydx__candles_1h", 3, True),
        ("raw.dydx__funding_rates", 3, True),
        ("raw.dydx__trades", 6, True),
    ]
