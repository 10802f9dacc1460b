"""The Binance parsers (dbt staging) on the real Binance responses recorded in ../shared/data."""

from datetime import UTC, datetime

import duckdb
import pytest

from ingest.envelope import RawResponse
from ingest.registry import DATASETS
from tests.conftest import shared_data
from tests.dbt.dbt_runner import run_dbt
from warehouse.load import load_partition
from warehouse.schema import ensure_bookkeeping, ensure_raw_table

NAUTILUS = "nautechsystems__nautilus_trader/tests/integration_tests/adapters/binance/resources/http_responses"


def _raw(dataset: str, body: str) -> RawResponse:
    return RawResponse(
        "binance", dataset, f"/fapi/v1/{dataset}", {}, 200, datetime(2026, 1, 1, tzinfo=UTC), body, 0, "live"
    )


@pytest.fixture(scope="module")
def staged(tmp_path_factory):
    bodies = {
        "funding_rates": shared_data(f"{NAUTILUS}/http_futures_market_funding_rate.json").read_text(),
        "premium_index": shared_data(f"{NAUTILUS}/http_futures_market_premium_index.json").read_text(),
        "open_interest": shared_data(f"{NAUTILUS}/http_futures_market_open_interest.json").read_text(),
    }
    tmp = tmp_path_factory.mktemp("real_binance")
    warehouse = tmp / "w.duckdb"
    con = duckdb.connect(str(warehouse))
    ensure_bookkeeping(con)
    for spec in DATASETS:
        ensure_raw_table(con, spec.venue, spec.dataset)
    for dataset, body in bodies.items():
        load_partition(con, "binance", dataset, "real", [_raw(dataset, body)])
    con.close()
    results = run_dbt(["run", "--select", "staging"], warehouse, tmp / "target")
    assert results["_returncode"] == 0, results["_stdout"][-3000:]
    con = duckdb.connect(str(warehouse), read_only=True)
    yield con
    con.close()


def test_funding_history(staged):
    rows = staged.execute(
        "select instrument, asset, funding_at, funding_rate, funding_interval_hours, funding_rate_8h, funding_apr, "
        "mark_price "
        "from staging.stg_binance__funding_rates order by funding_at"
    ).fetchall()
    assert len(rows) == 2
    first, second = rows
    assert first[:3] == ("BTCUSDT", "BTC", datetime(2019, 10, 9, 8, tzinfo=UTC))
    assert first[3] == pytest.approx(-0.0375)
    # 2019-10-09 08:00 -> 16:00: the gap says 8 h; the first row takes its interval from the next gap.
    assert first[4] == second[4] == 8
    assert second[3] == pytest.approx(0.0001)
    assert second[5] == pytest.approx(0.0001) and second[6] == pytest.approx(0.1095)
    assert first[6] == pytest.approx(-0.0375 * 1095)
    assert first[7] is None  # the recording predates markPrice in fundingRate


def test_premium_index(staged):
    row = staged.execute(
        "select instrument, observed_at, mark_price, index_price, current_funding_rate, interest_rate, next_funding_at "
        "from staging.stg_binance__premium_indexes"
    ).fetchone()
    assert row[0] == "BTCUSDT"
    assert row[1] == datetime.fromtimestamp(1597370495.002, tz=UTC)
    assert row[2] == pytest.approx(11793.63104562) and row[3] == pytest.approx(11781.80495970)
    assert row[4] == pytest.approx(0.00038246) and row[5] == pytest.approx(0.0001)
    assert row[6] == datetime.fromtimestamp(1597392000, tz=UTC)


def test_open_interest(staged):
    real = shared_data(f"{NAUTILUS}/http_futures_market_open_interest.json").read_text()
    import json

    body = json.loads(real)
    row = staged.execute("select instrument, oi_coin, observed_at from staging.stg_binance__open_interests").fetchone()
    assert row[0] == body["symbol"]
    assert row[1] == pytest.approx(float(body["openInterest"]))
    assert row[2] == datetime.fromtimestamp(body["time"] / 1000, tz=UTC)
