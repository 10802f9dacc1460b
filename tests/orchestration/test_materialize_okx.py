"""materialize() of every OKX raw asset for one partition, against the simulator, into a temporary warehouse:
responses landed as the venue sent them, a few exact values, and the blocking raw check passed."""

import json
import time
from datetime import UTC, datetime, timedelta

import duckdb
import httpx
import pytest
from dagster import DagsterInstance, materialize

from orchestration.assets.raw import RAW_ASSETS
from orchestration.partitions import daily_partitions, hourly_partitions
from orchestration.resources import VenueSettings

HOUR_MS = 3_600_000
PAST_DAY = datetime.now(UTC).replace(hour=0, minute=0, second=0, microsecond=0) - timedelta(days=3)
PAST_DAY_KEY = daily_partitions.get_partition_key_for_timestamp(PAST_DAY.timestamp())
PAST_DAY_MS = int(PAST_DAY.timestamp() * 1000)
SWAPS = ["BTC-USDT-SWAP", "ETH-USDT-SWAP", "SOL-USDT-SWAP"]


@pytest.fixture
def current_hour() -> str:
    """The current hour's partition, with time to run inside it (snapshots only accept the current hour)."""
    if time.time() % 3600 > 3600 - 30:
        time.sleep(3600 - time.time() % 3600 + 1)
    return hourly_partitions.get_partition_key_for_timestamp(datetime.now(UTC).timestamp())


def _materialize(dataset: str, partition: str, sim, assets: str = "BTC,ETH,SOL"):
    result = materialize(
        [RAW_ASSETS[f"okx__{dataset}"]],
        partition_key=partition,
        resources={"venue_settings": VenueSettings(simulator_url=sim.root, assets=assets)},
        instance=DagsterInstance.ephemeral(),
        raise_on_error=False,
    )
    assert result.success
    evaluations = result.get_asset_check_evaluations()
    assert [(e.check_name, e.passed) for e in evaluations] == [("raw_partition_valid", True)]
    return result


def _landed(path, dataset: str) -> list[tuple[str, str, dict, int, list]]:
    """(partition, endpoint, params, status, data) per landed response, in page order."""
    con = duckdb.connect(str(path), read_only=True)
    try:
        columns = "partition_key, endpoint, request_params, http_status, payload"
        rows = con.execute(f"select {columns} from raw.okx__{dataset} order by page").fetchall()
    finally:
        con.close()
    return [(k, e, json.loads(p), s, json.loads(body)["data"]) for k, e, p, s, body in rows]


@pytest.mark.parametrize(
    ("dataset", "endpoint", "responses"),
    [
        ("funding_rate_history", "/api/v5/public/funding-rate-history", 3),
        ("open_interest_history", "/api/v5/rubik/stat/contracts/open-interest-history", 3),
        ("long_short_account_ratio", "/api/v5/rubik/stat/contracts/long-short-account-ratio-contract", 3),
        ("candles", "/api/v5/market/candles", 3),
    ],
)
def test_each_history_asset_lands_a_settled_day(sim_env, warehouse_file, dataset, endpoint, responses):
    _materialize(dataset, PAST_DAY_KEY, sim_env)
    landed = _landed(warehouse_file, dataset)
    assert [(k, e, s) for k, e, _, s, _ in landed] == [(PAST_DAY_KEY, endpoint, 200)] * responses
    assert [p["instId"] for _, _, p, _, _ in landed] == SWAPS
    times = [sorted(int(r["fundingTime"] if isinstance(r, dict) else r[0]) for r in data) for *_, data in landed]
    step = 8 if dataset == "funding_rate_history" else 1  # 8-hourly settlements, hourly statistics and bars
    assert times == [[PAST_DAY_MS + h * HOUR_MS for h in range(0, 24, step)]] * 3


def test_funding_history_lands_the_venue_s_exact_bodies(sim_env, warehouse_file):
    _materialize("funding_rate_history", PAST_DAY_KEY, sim_env)
    (_, _, params, _, btc), *_ = _landed(warehouse_file, "funding_rate_history")
    direct = httpx.get(f"{sim_env.root}/www.okx.com/api/v5/public/funding-rate-history", params=params, timeout=10)
    assert btc == direct.json()["data"] and len(btc) == 3
    assert {r["method"] for r in btc} == {"current_period"}


@pytest.mark.parametrize(
    ("dataset", "responses", "assets"),
    [
        ("instruments", 5, "BTC,ETH,SOL"),  # SWAP, FUTURES, then one option family per asset
        ("funding_rate", 3, "BTC,ETH,SOL"),
        ("mark_price", 5, "BTC,ETH,SOL"),
        ("index_tickers", 2, "BTC,ETH,SOL"),  # quoted in USD, then USDT
        ("open_interest", 5, "BTC,ETH,SOL"),
        ("option_summary", 3, "BTC,ETH,SOL"),
        # SOL only: the simulator takes ~13 s (ETH) to ~33 s (BTC) to answer option tickers (see the report).
        ("option_tickers", 1, "SOL"),
        ("futures_tickers", 1, "BTC,ETH,SOL"),
    ],
)
def test_each_snapshot_asset_lands_the_current_hour(sim_env, warehouse_file, current_hour, dataset, responses, assets):
    result = _materialize(dataset, current_hour, sim_env, assets)
    landed = _landed(warehouse_file, dataset)
    assert [(k, s) for k, _, _, s, _ in landed] == [(current_hour, 200)] * responses
    assert result.get_asset_check_evaluations()[0].metadata["records"].value == responses  # one per response


def test_snapshot_values(sim_env, warehouse_file, current_hour):
    _materialize("instruments", current_hour, sim_env)
    swaps, futures, *option_chains = (data for *_, data in _landed(warehouse_file, "instruments"))
    assert [(r["instId"], r["ctVal"], r["settleCcy"]) for r in swaps] == [
        ("BTC-USDT-SWAP", "0.01", "USDT"),
        ("ETH-USDT-SWAP", "0.1", "USDT"),
        ("SOL-USDT-SWAP", "1", "USDT"),
    ]
    assert len(futures) == 36 and [len(c) > 0 for c in option_chains] == [True, True, False]
    _materialize("funding_rate", current_hour, sim_env)
    for (*_, params, _, (row,)), inst in zip(_landed(warehouse_file, "funding_rate"), SWAPS, strict=True):
        assert params == {"instId": inst} and row["instId"] == inst
        assert int(row["nextFundingTime"]) - int(row["fundingTime"]) == 8 * HOUR_MS
    _materialize("futures_tickers", current_hour, sim_env)
    ((*_, tickers),) = _landed(warehouse_file, "futures_tickers")
    assert {r["instId"] for r in tickers} == {r["instId"] for r in futures}


def test_liquidation_orders_snapshot(sim_env, warehouse_file, current_hour):
    _materialize("liquidation_orders", current_hour, sim_env)
    landed = _landed(warehouse_file, "liquidation_orders")
    families = [p["instFamily"] for _, _, p, _, _ in landed]
    assert families == sorted(families) and set(families) == {"BTC-USDT", "ETH-USDT", "SOL-USDT"}
    orders = [d for *_, data in landed for entry in data for d in entry["details"]]
    assert orders and all((d["side"], d["posSide"]) in {("sell", "long"), ("buy", "short")} for d in orders)
