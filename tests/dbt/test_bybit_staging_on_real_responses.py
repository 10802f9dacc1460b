"""The Bybit instruments parser (dbt staging) on the real instruments-info responses recorded in ../shared/data."""

from datetime import UTC, datetime

import duckdb
import pytest

from ingest.envelope import RawResponse
from tests.conftest import shared_data
from tests.dbt.dbt_runner import run_dbt
from warehouse.load import load_partition
from warehouse.schema import ensure_bookkeeping

NAUTILUS = "nautechsystems__nautilus_trader/crates/adapters/bybit/test_data"
RECORDINGS = (
    "http_get_instruments_linear.json",
    "http_get_instruments_linear_symbol_type.json",
    "http_get_instruments_inverse_symbol_type.json",
    "http_get_instruments_option.json",
    "http_get_instruments_option_symbol_id.json",
)
COLUMNS = (
    "instrument, asset, kind, quote_currency, settlement_currency, contract_size, contract_unit, expiry_at, strike, "
    "option_type, funding_interval_hours, is_active, observed_at"
)
RECORDED_AT = datetime.fromtimestamp(1_700_000_000, UTC)  # the recordings' envelope `time`


@pytest.fixture(scope="module")
def instruments(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("real_bybit")
    warehouse = tmp / "w.duckdb"
    con = duckdb.connect(str(warehouse))
    ensure_bookkeeping(con)
    fetched_at = datetime(2026, 1, 1, tzinfo=UTC)
    pages = [
        RawResponse(
            "bybit",
            "instruments",
            "/v5/market/instruments-info",
            {},
            200,
            fetched_at,
            shared_data(f"{NAUTILUS}/{f}").read_text(),
            page,
        )
        for page, f in enumerate(RECORDINGS)
    ]
    load_partition(con, "bybit", "instruments", "2026-01-01-00:00", pages)
    con.close()
    results = run_dbt(["build", "--select", "stg_bybit__instruments"], warehouse, tmp / "target")
    assert results["_returncode"] == 0, results["_stdout"][-3000:]
    con = duckdb.connect(str(warehouse), read_only=True)
    rows = con.execute(f"select {COLUMNS} from staging.stg_bybit__instruments order by instrument").fetchall()
    con.close()
    return {row[0]: row for row in rows}


def test_every_recorded_instrument_is_staged_once(instruments):
    assert sorted(instruments) == [
        "BRENTUSD",
        "BTC-30JUN25-100000-C",
        "BTCUSDT",
        "ETH-26JUN26-16000-P",
        "ETHUSDT",
        "TSLAUSDT",
    ]
    assert all(row[11] is True and row[12] == RECORDED_AT for row in instruments.values())


def test_perpetuals_linear_in_coin_and_inverse_in_usd(instruments):
    # fundingInterval 480 minutes = 8 h; a perpetual's deliveryTime (a planned delisting) is no expiry.
    assert instruments["TSLAUSDT"][1:] == (
        "TSLA",
        "perpetual",
        "USDT",
        "USDT",
        1.0,
        "coin",
        None,
        None,
        None,
        8.0,
        True,
        RECORDED_AT,
    )
    assert instruments["BRENTUSD"][1:11] == ("BRENT", "perpetual", "USD", "BRENT", 1.0, "usd", None, None, None, 8.0)
    assert instruments["BTCUSDT"][2] == "perpetual" and instruments["BTCUSDT"][7] is None


def test_options_take_strike_and_side_from_the_symbol_and_expiry_from_delivery_time(instruments):
    put = instruments["ETH-26JUN26-16000-P"]
    assert put[1:11] == (
        "ETH",
        "option",
        "USDC",
        "USDC",
        1.0,
        "coin",
        datetime.fromtimestamp(1_780_005_000, UTC),
        16000.0,
        "put",
        None,
    )
    call = instruments["BTC-30JUN25-100000-C"]
    assert (call[3], call[4], call[8], call[9]) == ("USD", "USDC", 100000.0, "call")
