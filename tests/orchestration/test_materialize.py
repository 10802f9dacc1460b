"""materialize() of the raw assets against the simulator into a temporary warehouse."""

from datetime import UTC, datetime

import duckdb
from dagster import DagsterInstance, materialize

from orchestration.assets.raw import RAW_ASSETS
from orchestration.resources import VenueSettings

P, P1 = "2026-01-10", "2026-01-11"


def _run(asset_key: str, partition: str, sim):
    return materialize(
        [RAW_ASSETS[asset_key]],
        partition_key=partition,
        resources={"venue_settings": VenueSettings(simulator_url=sim.root, assets="BTC,ETH,SOL")},
        instance=DagsterInstance.ephemeral(),
        raise_on_error=False,
    )


def _state(path):
    con = duckdb.connect(str(path), read_only=True)
    try:
        return con.execute(
            "select partition_key, count(*), string_agg(payload_sha256, ',' order by page) "
            "from raw.binance__funding_rates group by 1 order by 1"
        ).fetchall()
    finally:
        con.close()


def test_same_partition_twice_and_p_p1_p_leave_identical_rows_and_hashes(sim_env, warehouse_file):
    assert _run("binance__funding_rates", P, sim_env).success
    first = _state(warehouse_file)
    assert [(k, n) for k, n, _ in first] == [(P, 3)]  # one page per asset
    assert _run("binance__funding_rates", P, sim_env).success
    assert _state(warehouse_file) == first
    assert _run("binance__funding_rates", P1, sim_env).success
    assert _run("binance__funding_rates", P, sim_env).success
    state = _state(warehouse_file)
    assert state[0] == first[0]
    assert [(k, n) for k, n, _ in state] == [(P, 3), (P1, 3)]
    con = duckdb.connect(str(warehouse_file), read_only=True)
    # BTC, ETH, SOL settle every 8 h: 3 settlements each per day, all inside the day.
    per_symbol = con.execute(
        """
        select r.symbol, count(*), min(r.fundingTime), max(r.fundingTime)
        from (select unnest(from_json(payload, '[{"symbol":"VARCHAR","fundingTime":"BIGINT"}]')) as r
              from raw.binance__funding_rates where partition_key = ?)
        group by 1 order by 1
        """,
        [P],
    ).fetchall()
    day_start = int(datetime(2026, 1, 10, tzinfo=UTC).timestamp() * 1000)
    assert [(s, n) for s, n, _, _ in per_symbol] == [("BTCUSDT", 3), ("ETHUSDT", 3), ("SOLUSDT", 3)]
    assert all(day_start <= lo and hi < day_start + 86_400_000 for _, _, lo, hi in per_symbol)
    assert con.execute("select count(*) from raw.load_manifest").fetchone()[0] == 4


def test_raw_check_result_is_recorded_with_the_materialization(sim_env, warehouse_file):
    result = _run("binance__funding_rates", P, sim_env)
    evaluations = result.get_asset_check_evaluations()
    assert [(e.check_name, e.passed) for e in evaluations] == [("raw_partition_valid", True)]
    assert evaluations[0].metadata["records"].value == 9


def test_an_unreachable_venue_fails_its_partition_with_a_typed_cause(warehouse_file):
    result = materialize(
        [RAW_ASSETS["binance__funding_rates"]],
        partition_key=P,
        # Nothing listens on port 9 of loopback: connection refused, retried, then ExchangeDown.
        resources={"venue_settings": VenueSettings(simulator_url="http://127.0.0.1:9", assets="BTC")},
        instance=DagsterInstance.ephemeral(),
        raise_on_error=False,
    )
    assert not result.success
    failure = next(e for e in result.all_events if e.is_step_failure)
    assert "ExchangeDown" in failure.step_failure_data.error.message or "ExchangeDown" in str(
        failure.step_failure_data.user_failure_data
    )
