"""The dYdX v4 parsers (dbt staging) on the real indexer answers nautilus recorded on 2025-12-08 (../shared/data):
perpetual markets (oracle price, base-coin open interest, the predicted hourly rate), historical funding, 1-minute
candles and plain trades. nautilus wraps each body as {"requestId", "status", "isoTimestamp", "result": body}; the
indexer's own body is `result`. Expected values are worked by hand from the recorded numbers."""

import json
from datetime import UTC, datetime

import duckdb
import pytest

from ingest.envelope import RawResponse
from tests.conftest import shared_data
from tests.dbt.dbt_runner import run_dbt
from warehouse.load import load_partition
from warehouse.schema import ensure_bookkeeping, ensure_raw_table

NAUTILUS = "nautechsystems__nautilus_trader/crates/adapters/dydx/test_data/"
FETCHED = datetime(2025, 12, 8, 16, 12, tzinfo=UTC)  # the recordings' isoTimestamp


def _body(name: str) -> str:
    return json.dumps(json.loads(shared_data(NAUTILUS + name).read_text())["result"])


def _raw(dataset: str, endpoint: str, name: str, page: int = 0) -> RawResponse:
    return RawResponse("dydx", dataset, endpoint, {}, 200, FETCHED, _body(name), page, "live")


@pytest.fixture(scope="module")
def staged(tmp_path_factory) -> duckdb.DuckDBPyConnection:
    tmp = tmp_path_factory.mktemp("dydx_real")
    warehouse = tmp / "w.duckdb"
    con = duckdb.connect(str(warehouse))
    ensure_bookkeeping(con)
    for dataset in ("perpetual_markets", "funding_rates", "candles_1h", "trades"):
        ensure_raw_table(con, "dydx", dataset)
    markets = _raw("perpetual_markets", "/v4/perpetualMarkets", "http_get_perpetual_markets.json")
    load_partition(con, "dydx", "perpetual_markets", "2025-12-08-16:00", [markets])
    funding = _raw("funding_rates", "/v4/historicalFunding/BTC-USD", "http_get_historical_funding.json")
    # The same page under two daily partitions (the day boundary overlap) must not repeat settlements.
    load_partition(con, "dydx", "funding_rates", "2025-12-07", [funding])
    load_partition(con, "dydx", "funding_rates", "2025-12-08", [funding])
    candles = _raw("candles_1h", "/v4/candles/perpetualMarkets/BTC-USD", "http_get_candles.json")
    load_partition(con, "dydx", "candles_1h", "2025-12-08", [candles])
    trades = _raw("trades", "/v4/trades/perpetualMarket/BTC-USD", "http_get_trades.json")
    load_partition(con, "dydx", "trades", "2025-12-08", [trades])
    con.close()
    results = run_dbt(["build", "--select", "staging.dydx"], warehouse, tmp / "target")
    assert results["_returncode"] == 0, results["_stdout"][-3000:]
    with duckdb.connect(str(warehouse), read_only=True) as ro:
        yield ro


def test_markets_oracle_open_interest_and_predicted_hourly_rate(staged):
    rows = staged.execute(
        "select instrument, asset, is_primary, observed_at, price, price_kind, oi_coin, oi_usd, funding_rate, "
        "funding_interval_hours, funding_rate_8h, funding_apr, next_funding_at "
        "from staging.stg_dydx__market_snapshots order by instrument"
    ).fetchall()
    assert [r[0] for r in rows] == ["BTC-USD", "ETH-USD", "SOL-USD"]
    btc, eth, sol = rows
    # BTC-USD recorded: oraclePrice 89919.2, openInterest 381.7348 BTC, nextFundingRate 0.00000254545454545455.
    assert btc[1:6] == ("BTC", True, FETCHED, 89919.2, "oracle")
    assert btc[6] == 381.7348
    assert btc[7] == pytest.approx(34_325_287.82816)  # 381.7348 x 89919.2
    assert btc[8:10] == (0.00000254545454545455, 1.0)
    assert btc[10] == pytest.approx(0.0000203636363636)  # x 8 hours
    assert btc[11] == pytest.approx(0.0222981818181818)  # x 8760 hours
    assert btc[12] == datetime(2025, 12, 8, 17, tzinfo=UTC)
    # ETH-USD: 7457.108 ETH at 3103.01; SOL-USD: 41917.9 SOL at 135.3, longs receive (negative rate).
    assert eth[7] == pytest.approx(23_139_480.69, abs=0.01)
    assert sol[7] == pytest.approx(5_671_491.87) and sol[8] == -0.00000143181818181818


def test_historical_funding_per_settled_hour(staged):
    rows = staged.execute(
        "select instrument, funding_at, effective_at, funding_rate, funding_interval_hours, oracle_price "
        "from staging.stg_dydx__funding_rates order by funding_at"
    ).fetchall()
    # Recorded newest first: 16:00:00.219 0.000002375 at 89993.8, 15:00:00.586 0.000000375, 14:00:00.112
    # 0.000000625; once each although the page was loaded twice.
    assert [(r[1].hour, r[3]) for r in rows] == [(14, 0.000000625), (15, 0.000000375), (16, 0.000002375)]
    assert rows[2][0] == "BTC-USD" and rows[2][4] == 1.0 and rows[2][5] == 89993.8
    assert rows[2][2] == datetime(2025, 12, 8, 16, 0, 0, 219000, tzinfo=UTC)
    assert rows[2][1] == datetime(2025, 12, 8, 16, tzinfo=UTC)


def test_one_minute_candles_are_not_taken_for_hourly_ones(staged):
    assert staged.execute("select count(*) from staging.stg_dydx__candles").fetchone()[0] == 0


def test_plain_limit_fills_are_not_liquidations(staged):
    assert staged.execute("select count(*) from staging.stg_dydx__liquidations").fetchone()[0] == 0
