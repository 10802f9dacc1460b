"""materialize() of every Binance raw asset for one partition, against the simulator, into a temporary warehouse:
responses landed as the venue sent them, row counts, a few exact values, and the blocking raw check passed."""

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
from simulator import catalog

HOUR_MS = 3_600_000
PAST_DAY = datetime.now(UTC).replace(hour=0, minute=0, second=0, microsecond=0) - timedelta(days=3)
PAST_DAY_KEY = daily_partitions.get_partition_key_for_timestamp(PAST_DAY.timestamp())
PAST_DAY_MS = int(PAST_DAY.timestamp() * 1000)
HOURS = [PAST_DAY_MS + h * HOUR_MS for h in range(24)]


@pytest.fixture
def current_hour() -> str:
    """The current hour's partition, with time to run inside it (snapshots only accept the current hour)."""
    if time.time() % 3600 > 3600 - 30:
        time.sleep(3600 - time.time() % 3600 + 1)
    return hourly_partitions.get_partition_key_for_timestamp(datetime.now(UTC).timestamp())


def _materialize(dataset: str, partition: str, sim) -> int:
    """Materialize one partition; the raw check must pass. Returns the check's record count."""
    result = materialize(
        [RAW_ASSETS[f"binance__{dataset}"]],
        partition_key=partition,
        resources={"venue_settings": VenueSettings(simulator_url=sim.root, assets="BTC,ETH,SOL")},
        instance=DagsterInstance.ephemeral(),
        raise_on_error=False,
    )
    assert result.success
    (evaluation,) = result.get_asset_check_evaluations()
    assert (evaluation.check_name, evaluation.passed) == ("raw_partition_valid", True)
    return evaluation.metadata["records"].value


def _landed(path, dataset: str) -> list[tuple[str, str, dict, int, object]]:
    """(partition, endpoint, params, status, body) per landed response, in page order."""
    con = duckdb.connect(str(path), read_only=True)
    try:
        columns = "partition_key, endpoint, request_params, http_status, payload"
        rows = con.execute(f"select {columns} from raw.binance__{dataset} order by page").fetchall()
    finally:
        con.close()
    return [(k, e, json.loads(p), s, json.loads(body)) for k, e, p, s, body in rows]


@pytest.mark.parametrize(
    ("dataset", "endpoints", "records"),
    [
        ("funding_rates", ["/fapi/v1/fundingRate"] * 3, 9),
        ("coinm_funding_rates", ["/dapi/v1/fundingRate"] * 3, 9),
        ("open_interest_history", ["/futures/data/openInterestHist"] * 3, 72),
        (
            "long_short_ratio",
            ["/futures/data/globalLongShortAccountRatio", "/futures/data/topLongShortPositionRatio"] * 3,
            144,
        ),
        ("taker_long_short_ratio", ["/futures/data/takerlongshortRatio"] * 3, 72),
        ("klines_1h", ["/fapi/v1/klines"] * 3, 72),
    ],
)
def test_each_history_asset_lands_a_settled_day(sim_env, warehouse_file, dataset, endpoints, records):
    assert _materialize(dataset, PAST_DAY_KEY, sim_env) == records
    landed = _landed(warehouse_file, dataset)
    assert [(k, e, s) for k, e, _, s, _ in landed] == [(PAST_DAY_KEY, e, 200) for e in endpoints]
    assert all(
        p["startTime"] == PAST_DAY_MS and p["endTime"] == PAST_DAY_MS + 24 * HOUR_MS - 1 for *_, p, _, _ in landed
    )


def test_history_values(sim_env, warehouse_file):
    _materialize("coinm_funding_rates", PAST_DAY_KEY, sim_env)
    landed = _landed(warehouse_file, "coinm_funding_rates")
    assert [p["symbol"] for _, _, p, _, _ in landed] == ["BTCUSD_PERP", "ETHUSD_PERP", "SOLUSD_PERP"]
    btc = landed[0][4]
    # Settlements every 8 h, stamped a few ms after the hour, exactly as a direct call returns them.
    assert [r["fundingTime"] - r["fundingTime"] % 1000 for r in btc] == HOURS[::8]
    direct = httpx.get(f"{sim_env.root}/dapi.binance.com/dapi/v1/fundingRate", params=landed[0][2], timeout=10)
    assert btc == direct.json()
    _materialize("klines_1h", PAST_DAY_KEY, sim_env)
    candles = [body for *_, body in _landed(warehouse_file, "klines_1h")]
    assert [[row[0] for row in rows] for rows in candles] == [HOURS] * 3
    assert all(len(row) == 12 and float(row[9]) <= float(row[5]) for rows in candles for row in rows)  # taker <= all
    _materialize("open_interest_history", PAST_DAY_KEY, sim_env)
    oi = [body for *_, body in _landed(warehouse_file, "open_interest_history")]
    assert [{r["symbol"] for r in rows} for rows in oi] == [{"BTCUSDT"}, {"ETHUSDT"}, {"SOLUSDT"}]


@pytest.mark.parametrize(
    ("dataset", "responses", "records"),
    [
        ("premium_index", 3, 3),
        ("funding_info", 1, 3),  # ORDI and WIF at 4 h, INJ at 1 h; the 8 h symbols are not listed
        ("open_interest", 3, 3),
        ("coinm_premium_index", 3, 9),  # per pair: the perpetual and two delivery contracts
        ("coinm_open_interest", 9, 9),
        ("spot_prices", 3, 3),
        ("exchange_info", 2, 19),  # USD-M: 6 perpetuals and 4 quarterlies; COIN-M: 3 perpetuals, 6 deliveries
    ],
)
def test_each_snapshot_asset_lands_the_current_hour(sim_env, warehouse_file, current_hour, dataset, responses, records):
    assert _materialize(dataset, current_hour, sim_env) == records
    landed = _landed(warehouse_file, dataset)
    assert [(k, s) for k, _, _, s, _ in landed] == [(current_hour, 200)] * responses


def test_snapshot_values(sim_env, warehouse_file, current_hour):
    _materialize("exchange_info", current_hour, sim_env)
    (_, fapi, _, _, usdm), (_, dapi, _, _, coinm) = _landed(warehouse_file, "exchange_info")
    assert (fapi, dapi) == ("/fapi/v1/exchangeInfo", "/dapi/v1/exchangeInfo")
    quarter = f"{catalog.quarterly_expiries(datetime.now(UTC), 1)[0]:%y%m%d}"
    btc_quarter = next(s for s in usdm["symbols"] if s["symbol"] == f"BTCUSDT_{quarter}")
    assert (btc_quarter["contractType"], btc_quarter["marginAsset"]) == ("CURRENT_QUARTER", "USDT")
    assert [(s["symbol"], s["contractSize"]) for s in coinm["symbols"]][:3] == [
        ("BTCUSD_PERP", 100),
        (f"BTCUSD_{quarter}", 100),
        (f"BTCUSD_{catalog.quarterly_expiries(datetime.now(UTC), 2)[1]:%y%m%d}", 100),
    ]
    _materialize("coinm_open_interest", current_hour, sim_env)
    symbols = [body["symbol"] for *_, body in _landed(warehouse_file, "coinm_open_interest")]
    assert symbols == [s["symbol"] for s in coinm["symbols"]]  # every trading contract, in the listing's order
    _materialize("spot_prices", current_hour, sim_env)
    prices = [body for *_, body in _landed(warehouse_file, "spot_prices")]
    assert [p["symbol"] for p in prices] == ["BTCUSDT", "ETHUSDT", "SOLUSDT"] and float(prices[0]["price"]) > 0
