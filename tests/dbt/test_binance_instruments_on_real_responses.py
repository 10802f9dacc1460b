"""The Binance instrument list on real recorded responses (../shared/data): the raw checks of the new datasets
accept Binance's real bodies, and stg_binance__instruments parses a real /fapi/v1/exchangeInfo."""

from datetime import UTC, datetime, timedelta

import duckdb
import pytest

from ingest.envelope import RawResponse
from ingest.registry import DATASETS, dataset
from tests.conftest import shared_data
from tests.dbt.dbt_runner import run_dbt
from warehouse.load import load_partition
from warehouse.raw_checks import check_raw_partition
from warehouse.schema import ensure_bookkeeping, ensure_raw_table

NAUTILUS = "nautechsystems__nautilus_trader/tests/integration_tests/adapters/binance/resources/http_responses"
FETCHED_AT = datetime(2026, 1, 1, tzinfo=UTC)


def _raw(name: str, endpoint: str, recording: str) -> RawResponse:
    body = shared_data(f"{NAUTILUS}/{recording}").read_text()
    return RawResponse("binance", name, endpoint, {}, 200, FETCHED_AT, body, 0, "live")


@pytest.mark.parametrize(
    ("name", "recordings", "window_start", "records"),
    [
        # Snapshots have no window to check; nor has the taker recording, whose two records are a month apart.
        ("exchange_info", [("/fapi/v1/exchangeInfo", "http_futures_market_exchange_info.json")], None, 3),
        (
            "open_interest_history",
            [("/futures/data/openInterestHist", "http_futures_market_open_interest_historical.json")],
            datetime(2020, 3, 2, tzinfo=UTC),
            2,
        ),
        (
            "long_short_ratio",
            [
                (
                    "/futures/data/globalLongShortAccountRatio",
                    "http_futures_market_global_long_short_account_ratio.json",
                ),
                ("/futures/data/topLongShortPositionRatio", "http_futures_market_top_long_short_position_ratio.json"),
            ],
            datetime(2020, 3, 2, tzinfo=UTC),
            4,
        ),
        (
            "taker_long_short_ratio",
            [("/futures/data/takerlongshortRatio", "http_futures_market_taker_long_short_ratio.json")],
            None,
            2,
        ),
        ("klines_1h", [("/fapi/v1/klines", "http_futures_market_klines.json")], datetime(2017, 7, 3, tzinfo=UTC), 1),
        ("spot_prices", [("/api/v3/ticker/price", "http_spot_market_ticker_price.json")], None, 1),
    ],
)
def test_raw_checks_accept_real_bodies(name, recordings, window_start, records):
    spec = dataset("binance", name)
    responses = [_raw(name, endpoint, recording) for endpoint, recording in recordings]
    window = (window_start, window_start + timedelta(days=1)) if window_start else None
    con = duckdb.connect()
    try:
        load_partition(con, "binance", name, "real", responses)
        outcome = check_raw_partition(con, f"raw.binance__{name}", "real", spec.shape, window)
    finally:
        con.close()
    assert outcome.passed, outcome.failures
    assert outcome.metadata["records"] == records


def test_instruments_from_a_real_exchange_info(tmp_path):
    warehouse = tmp_path / "w.duckdb"
    con = duckdb.connect(str(warehouse))
    ensure_bookkeeping(con)
    for spec in DATASETS:
        ensure_raw_table(con, spec.venue, spec.dataset)
    raw = _raw("exchange_info", "/fapi/v1/exchangeInfo", "http_futures_market_exchange_info.json")
    load_partition(con, "binance", "exchange_info", "real", [raw])
    con.close()
    results = run_dbt(["build", "--select", "stg_binance__instruments"], warehouse, tmp_path / "target")
    assert results["_returncode"] == 0, results["_stdout"][-3000:]
    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        rows = con.execute(
            "select instrument, asset, kind, quote_currency, settlement_currency, contract_size, contract_unit, "
            "expiry_at, funding_interval_hours, is_active from staging.stg_binance__instruments order by instrument"
        ).fetchall()
    finally:
        con.close()
    assert rows == [
        ("BTCUSDT", "BTC", "perpetual", "USDT", "USDT", 1.0, "coin", None, 8.0, True),
        (
            "BTCUSDT_220325",
            "BTC",
            "future",
            "USDT",
            "USDT",
            1.0,
            "coin",
            datetime(2022, 3, 25, 8, tzinfo=UTC),
            None,
            True,
        ),
        ("ETHUSDT", "ETH", "perpetual", "USDT", "USDT", 1.0, "coin", None, 8.0, True),
    ]
