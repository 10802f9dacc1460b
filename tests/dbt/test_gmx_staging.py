"""The GMX v2 staging models (nothing real is recorded for GMX in ../shared/data):

- on the /markets/info row quoted in the reference (reference/exchange_api.md section 7, a live ETH/USD answer)
  with a hand-made oracle ticker, values worked by hand from the 1e30 fixed-point strings;
- on the simulator's three answers (catalogue, markets info, tickers) fetched by the ingest code, checked against
  the simulator's ground truth (an in-process Market(seed=7)) and for duplicates when loaded twice."""

import json
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import duckdb
import pytest

from ingest.config import Settings
from ingest.envelope import RawResponse
from ingest.ratelimit import reset_shared
from ingest.registry import dataset, fetch_partition
from ingest.windows import TimeWindow
from simulator.market import Market
from tests.dbt.dbt_runner import run_dbt
from warehouse.load import load_partition
from warehouse.schema import ensure_bookkeeping, ensure_raw_table

DATASETS = ("markets", "markets_info", "tickers")
ETH_MARKET = "0x70d95587d40A2caf56bd97485aB3Eec10Bee6336"
ETH_SINGLE = "0x0000000000000000000000000000000000000e71"  # a WETH-WETH pool with a lower address
WETH = "0x82aF49447D8a07e3bd95BD0d56f35241523fBab1"
USDC = "0xaf88d065e77c8cC2239327C5EDb3A432268e5831"
# The reference's example row: rates are annualised fractions x 1e30 (longs pay 23.4 %, shorts receive 28.6 %).
FUNDING_LONG = "-234415323020867061571811615482"
FUNDING_SHORT = "285795378003572022502143648000"
OI_LONG = "50962362065685009972399965082522856"
OI_SHORT = "41800391066452521980674550527863996"


def _build(tmp, partitions: dict[str, list[RawResponse]], twice: bool = False) -> duckdb.DuckDBPyConnection:
    warehouse = tmp / "w.duckdb"
    con = duckdb.connect(str(warehouse))
    ensure_bookkeeping(con)
    for name in DATASETS:
        ensure_raw_table(con, "gmx", name)
        load_partition(con, "gmx", name, "p1", partitions[name])
        if twice:
            load_partition(con, "gmx", name, "p2", partitions[name])
    con.close()
    results = run_dbt(["build", "--select", "staging.gmx"], warehouse, tmp / "target")
    assert results["_returncode"] == 0, results["_stdout"][-3000:]
    return duckdb.connect(str(warehouse), read_only=True)


def _raw(name: str, endpoint: str, body: object, at: datetime) -> RawResponse:
    return RawResponse("gmx", name, endpoint, {}, 200, at, json.dumps(body), 0, "live")


# --- the reference's live row ------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def reference(tmp_path_factory):
    at = datetime(2026, 1, 2, 11, 0, 5, tzinfo=UTC)
    common = {"indexToken": WETH, "longToken": WETH, "isListed": True}
    markets = [
        {"marketToken": ETH_MARKET, **common, "shortToken": USDC},
        {"marketToken": ETH_SINGLE, **common, "shortToken": WETH},
    ]
    info = [
        {
            "name": "ETH/USD [WETH-USDC]",
            **markets[0],
            "isDisabled": False,
            "fundingRateLong": FUNDING_LONG,
            "fundingRateShort": FUNDING_SHORT,
            "borrowingRateLong": "37131225434902894175472240000",
            "openInterestLong": OI_LONG,
            "openInterestShort": OI_SHORT,
        },
        {
            "name": "ETH/USD [WETH-WETH]",
            **markets[1],
            "isDisabled": False,
            "fundingRateLong": "0",
            "fundingRateShort": "0",
            "openInterestLong": "1" + "0" * 36,
            "openInterestShort": "0",
        },
    ]
    # ETH has 18 decimals: the oracle sends USD x 10^12. 3000.0 and 3000.2 USD -> mid 3000.1.
    tickers = [
        {"tokenAddress": WETH, "tokenSymbol": "ETH", "minPrice": "3000000000000000", "maxPrice": "3000200000000000"},
        {
            "tokenAddress": USDC,
            "tokenSymbol": "USDC",
            "minPrice": "999900000000000000000000",
            "maxPrice": "1" + "0" * 24,
        },
    ]
    partitions = {
        "markets": [_raw("markets", "/markets", {"markets": markets}, at)],
        "markets_info": [_raw("markets_info", "/markets/info", {"markets": info}, at)],
        "tickers": [_raw("tickers", "/prices/tickers", tickers, at)],
    }
    with _build(tmp_path_factory.mktemp("gmx_ref"), partitions) as con:
        yield con


def test_two_sided_open_interest_and_the_rate_longs_pay(reference):
    row = reference.execute(
        "select asset, is_primary, long_oi_usd, short_oi_usd, oi_usd, oi_coin, index_price, funding_rate, "
        "funding_interval_hours, funding_rate_8h, funding_apr, funding_rate_short_pays, next_funding_at "
        f"from staging.stg_gmx__market_snapshots where instrument = '{ETH_MARKET}'"
    ).fetchone()
    scale = Decimal(10) ** 30
    long_usd, short_usd = float(Decimal(OI_LONG) / scale), float(Decimal(OI_SHORT) / scale)
    assert row[:2] == ("ETH", True)
    assert row[2] == pytest.approx(50_962.362065685) and row[2] == pytest.approx(long_usd)
    assert row[3] == pytest.approx(41_800.391066452) and row[3] == pytest.approx(short_usd)
    assert row[4] == pytest.approx(92_762.753132137)  # both sides: every position is against the pool
    assert row[6] == pytest.approx(3000.1)
    assert row[5] == pytest.approx(92_762.753132137 / 3000.1)  # 30.92 ETH
    # Longs receive -23.44 % a year: they pay +0.2344 / 8760 = 0.0000267597 per hour.
    assert row[7] == pytest.approx(0.234415323020867 / 8760) and row[7] == pytest.approx(0.0000267597, abs=1e-10)
    assert row[8] == 1.0
    assert row[9] == pytest.approx(0.234415323020867 / 1095)
    assert row[10] == pytest.approx(0.234415323020867)
    assert row[11] == pytest.approx(-0.285795378003572 / 8760)  # shorts are paid
    assert row[12] is None  # continuous funding: no funding time


def test_the_usdc_backed_pool_is_primary_and_its_hour_is_the_funding_sample(reference):
    primary = reference.execute(
        "select instrument, is_primary from staging.stg_gmx__market_snapshots order by instrument"
    ).fetchall()
    assert primary == [(ETH_SINGLE, False), (ETH_MARKET, True)]
    funding = reference.execute(
        "select instrument, funding_at, funding_rate, funding_interval_hours from staging.stg_gmx__funding_rates"
    ).fetchall()
    assert funding == [(ETH_MARKET, datetime(2026, 1, 2, 11, tzinfo=UTC), pytest.approx(0.0000267597, abs=1e-10), 1.0)]


def test_oracle_price_of_the_index_token_only(reference):
    rows = reference.execute("select asset, price, price_kind, token_symbol from staging.stg_gmx__prices").fetchall()
    assert rows == [("ETH", pytest.approx(3000.1), "oracle", "ETH")]  # USDC is no market's index token


# --- the simulator -------------------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def simulated(simulator, tmp_path_factory):
    simulator.reset()
    simulator.set_limits({})
    reset_shared()
    settings = Settings(assets=("BTC", "ETH", "SOL"), simulator_url=simulator.root)
    now = datetime.now(UTC).replace(minute=0, second=0, microsecond=0)
    hour = TimeWindow(now, now + timedelta(hours=1))
    partitions = {name: fetch_partition(dataset("gmx", name), settings, hour).responses for name in DATASETS}
    with _build(tmp_path_factory.mktemp("gmx_sim"), partitions, twice=True) as con:
        yield con, partitions


def test_simulated_markets_against_the_market(simulated):
    con, partitions = simulated
    market = Market(seed=7)
    rows = con.execute(
        "select market_name, asset, is_primary, observed_at, long_oi_usd, short_oi_usd, oi_coin, index_price, "
        "funding_rate from staging.stg_gmx__market_snapshots order by asset"
    ).fetchall()
    assert [(r[0], r[1], r[2]) for r in rows] == [
        ("BTC/USD [WBTC-USDC]", "BTC", True),
        ("ETH/USD [WETH-USDC]", "ETH", True),
        ("SOL/USD [SOL-USDC]", "SOL", True),
    ]
    for name, asset, _, at, long_usd, short_usd, oi_coin, price, rate in rows:
        true_long, true_short = market.gmx_open_interest_usd(name, at)
        assert long_usd == pytest.approx(true_long, rel=0.01) and short_usd == pytest.approx(true_short, rel=0.01)
        assert price == pytest.approx(market.price(asset, at), rel=0.002)
        assert oi_coin == pytest.approx((long_usd + short_usd) / price)
        # The market's funding_long is what longs receive a year; the staged rate is what they pay an hour.
        assert rate == pytest.approx(-market.gmx_rates(name, at)["funding_long"] / 8760, rel=0.05, abs=1e-9)
    raw_prices = json.loads(partitions["tickers"][0].payload)
    assert len(raw_prices) == 5  # BTC, WBTC, ETH, SOL, USDC
    prices = con.execute("select asset, token_symbol from staging.stg_gmx__prices order by asset").fetchall()
    assert prices == [("BTC", "BTC"), ("ETH", "ETH"), ("SOL", "SOL")]  # BTC wins over WBTC, once per snapshot
    funding = con.execute("select count(*), count(distinct instrument) from staging.stg_gmx__funding_rates").fetchone()
    assert funding == (3, 3)
