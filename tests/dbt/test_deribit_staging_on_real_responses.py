"""The Deribit instruments parser (dbt staging) on the real get_instruments answers recorded in ../shared/data:
a 2024 answer with every field (and a combo), and 2021-2022 answers from before the USDC products."""

import json
from datetime import UTC, datetime

import duckdb
import pytest

from ingest.envelope import RawResponse
from tests.conftest import shared_data
from tests.dbt.dbt_runner import run_dbt
from warehouse.load import load_partition
from warehouse.schema import ensure_bookkeeping, ensure_raw_table

NAUTILUS = "nautechsystems__nautilus_trader/crates/adapters/deribit/test_data/http_get_instruments.json"
CRYPTOFEED = "bmoscon__cryptofeed/sample_data/DERIBIT.0"
COLUMNS = (
    "instrument, asset, kind, quote_currency, settlement_currency, contract_size, contract_unit, expiry_at, strike, "
    "option_type, funding_interval_hours, is_active"
)


def _raw(body: str, page: int, fetched_at: datetime) -> RawResponse:
    endpoint = "/api/v2/public/get_instruments"
    return RawResponse("deribit", "instruments", endpoint, {}, 200, fetched_at, body, page, "live")


def _cryptofeed_bodies() -> list[str]:
    lines = shared_data(CRYPTOFEED).read_text().splitlines()
    return [line.split(" -> ", 1)[1].split(": ", 1)[1] for line in lines if "public/get_instruments" in line]


def _stage(tmp_path, partitions: dict[str, list[RawResponse]]) -> duckdb.DuckDBPyConnection:
    warehouse = tmp_path / "w.duckdb"
    con = duckdb.connect(str(warehouse))
    ensure_bookkeeping(con)
    ensure_raw_table(con, "deribit", "instruments")
    for key, responses in partitions.items():
        load_partition(con, "deribit", "instruments", key, responses)
    con.close()
    results = run_dbt(["build", "--select", "stg_deribit__instruments"], warehouse, tmp_path / "target")
    assert results["_returncode"] == 0, results["_stdout"][-3000:]
    return duckdb.connect(str(warehouse), read_only=True)


def test_the_latest_snapshot_wins_and_combos_are_left_out(tmp_path):
    old = [_raw(body, i, datetime(2022, 3, 1, tzinfo=UTC)) for i, body in enumerate(_cryptofeed_bodies())]
    new = [_raw(shared_data(NAUTILUS).read_text(), 0, datetime(2024, 12, 1, tzinfo=UTC))]
    con = _stage(tmp_path, {"2022-03-01-00:00": old, "2024-12-01-00:00": new})
    rows = con.execute(f"select {COLUMNS} from staging.stg_deribit__instruments order by instrument").fetchall()
    expiry = datetime(2024, 12, 27, 12, tzinfo=UTC)  # the recording says 12:00, not the usual 08:00
    assert rows == [
        ("BTC-27DEC24", "BTC", "future", "USD", "BTC", 10.0, "usd", expiry, None, None, None, True),
        ("BTC-27DEC24-100000-C", "BTC", "option", "BTC", "BTC", 1.0, "coin", expiry, 100000.0, "call", None, True),
        ("BTC-PERPETUAL", "BTC", "perpetual", "USD", "BTC", 10.0, "usd", None, None, None, 0.0, True),
    ]


def test_listings_from_before_the_usdc_products(tmp_path):
    bodies = _cryptofeed_bodies()
    con = _stage(
        tmp_path, {"2022-03-01-00:00": [_raw(b, i, datetime(2022, 3, 1, tzinfo=UTC)) for i, b in enumerate(bodies)]}
    )
    listed = sum(len(json.loads(b)["result"]) for b in bodies)
    assert con.execute("select count(*) from staging.stg_deribit__instruments").fetchone()[0] == listed
    by_kind = con.execute(
        "select asset, kind, contract_unit, settlement_currency, count(*) from staging.stg_deribit__instruments "
        "where asset in ('BTC', 'SOL') and kind <> 'option' group by all order by all"
    ).fetchall()
    # BTC and the inverse SOL of 2022 settle in their own coin; the USDC perpetuals are linear, in coin.
    assert ("BTC", "perpetual", "usd", "BTC", 1) in by_kind and ("SOL", "perpetual", "usd", "SOL", 1) in by_kind
    linear = con.execute(
        "select contract_unit, settlement_currency, funding_interval_hours from staging.stg_deribit__instruments "
        "where instrument like '%\\_USDC-PERPETUAL' escape '\\' group by all"
    ).fetchall()
    assert linear == [("coin", "USDC", 0.0)]
    options = con.execute(
        "select count(*) filter (where strike is null or option_type not in ('call', 'put') or expiry_at is null) "
        "from staging.stg_deribit__instruments where kind = 'option'"
    ).fetchone()[0]
    assert options == 0


@pytest.fixture(autouse=True)
def _recordings_present():
    shared_data(NAUTILUS)
    shared_data(CRYPTOFEED)
