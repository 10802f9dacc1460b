"""The Deribit market parsers (dbt staging) on real recorded Deribit answers from ../shared/data:

- option chain rows: cryptofeed's 2021 option `ticker` messages (the book summary's fields plus greeks, the only
  real per-option records recorded anywhere), served as a get_book_summary_by_currency answer;
- the perpetual: nautilus' 2025 BTC-PERPETUAL ticker (open interest in USD, funding_8h);
- option trades: nautilus' get_last_trades answers with a combo whose legs are the option trades;
- futures trades: nautilus' perpetual trades (no liquidation flag among them, so no liquidation events).
Expected values are worked by hand from the recorded numbers."""

import json
from datetime import UTC, datetime, timedelta

import duckdb
import pytest

from ingest.envelope import RawResponse
from tests.conftest import shared_data
from tests.dbt.dbt_runner import run_dbt
from warehouse.load import load_partition
from warehouse.schema import ensure_bookkeeping, ensure_raw_table

CRYPTOFEED_WS = "bmoscon__cryptofeed/sample_data/DERIBIT.ws.1.0"
NAUTILUS = "nautechsystems__nautilus_trader/crates/adapters/deribit/test_data/"
DATASETS = (
    "instruments",
    "book_summary_options",
    "book_summary_futures",
    "index_prices",
    "funding_rates",
    "dvol",
    "trades_futures",
    "trades_options",
)
FETCHED = datetime(2021, 7, 22, 22, 42, 4, tzinfo=UTC)


def _raw(dataset: str, method: str, params: dict, body: str, fetched_at: datetime, page: int = 0) -> RawResponse:
    return RawResponse("deribit", dataset, f"/api/v2/public/{method}", params, 200, fetched_at, body, page, "live")


def _option_tickers() -> list[dict]:
    """The first ticker message of each of the 10 options cryptofeed subscribed to, in file order."""
    first: dict[str, dict] = {}
    for line in shared_data(CRYPTOFEED_WS).read_text().splitlines():
        if '"channel":"ticker.' not in line:
            continue
        data = json.loads(line.split(": ", 1)[1])["params"]["data"]
        first.setdefault(data["instrument_name"], data)
    return list(first.values())


def _nautilus(name: str) -> str:
    return shared_data(NAUTILUS + name).read_text()


@pytest.fixture(scope="module")
def staged(tmp_path_factory) -> duckdb.DuckDBPyConnection:
    tmp = tmp_path_factory.mktemp("deribit_real")
    warehouse = tmp / "w.duckdb"
    con = duckdb.connect(str(warehouse))
    ensure_bookkeeping(con)
    for dataset in DATASETS:
        ensure_raw_table(con, "deribit", dataset)

    chain = json.dumps({"jsonrpc": "2.0", "result": _option_tickers()})
    options = _raw("book_summary_options", "get_book_summary_by_currency", {"currency": "ETH"}, chain, FETCHED)
    # The same answer in two partitions (a re-run under another key) must not double the chain.
    load_partition(con, "deribit", "book_summary_options", "2021-07-22-22:00", [options])
    load_partition(con, "deribit", "book_summary_options", "2021-07-22-23:00", [options])

    perp = json.loads(_nautilus("ws_ticker.json"))["params"]["data"]
    futures_body = json.dumps({"jsonrpc": "2.0", "result": [perp]})
    fetched = datetime(2025, 12, 12, 12, 11, 14, tzinfo=UTC)
    futures = _raw("book_summary_futures", "get_book_summary_by_currency", {"currency": "BTC"}, futures_body, fetched)
    load_partition(con, "deribit", "book_summary_futures", "2025-12-12-12:00", [futures])

    option_trades = [
        _raw("trades_options", "get_last_trades_by_currency_and_time", {"currency": "BTC"}, _nautilus(f), fetched, i)
        for i, f in enumerate(("http_get_last_trades_option_combo.json", "http_get_last_trades_historical_combo.json"))
    ]
    load_partition(con, "deribit", "trades_options", "2026-05-18", option_trades)

    futures_trades = [
        _raw("trades_futures", "get_last_trades_by_currency_and_time", {"currency": "BTC"}, _nautilus(f), fetched, i)
        for i, f in enumerate(("http_get_last_trades.json", "http_get_last_trades_perpetual_with_combo_tags.json"))
    ]
    load_partition(con, "deribit", "trades_futures", "2025-12-21", futures_trades)
    con.close()

    results = run_dbt(["build", "--select", "staging.deribit"], warehouse, tmp / "target")
    assert results["_returncode"] == 0, results["_stdout"][-3000:]
    with duckdb.connect(str(warehouse), read_only=True) as ro:
        yield ro


def test_option_chain_units_and_dedup(staged):
    rows = staged.execute(
        "select instrument, asset, expiry_at, strike, option_type, open_interest_coin, open_interest_usd, "
        "volume_coin, volume_usd, mark_price_usd, mark_iv, underlying_price, delta, gamma, vega, theta, observed_at "
        "from staging.stg_deribit__option_summaries order by instrument"
    ).fetchall()
    assert len(rows) == 10  # ten options, once each although the answer sits in two partitions
    by_name = {r[0]: r for r in rows}
    call = by_name["ETH-30JUL21-2800-C"]
    # Recorded: open_interest 12685 ETH, mark_price 0.001972 ETH, mark_iv 120.74 %, index 2006.72,
    # underlying (the July future) 2003.61, stats.volume 869 ETH, delta 0.03127, gamma 0.0002.
    assert call[1:5] == ("ETH", datetime(2021, 7, 30, 8, tzinfo=UTC), 2800.0, "call")
    assert call[5] == 12685.0
    assert call[6] == pytest.approx(25_455_243.2)  # 12685 x 2006.72
    assert call[7] == 869.0
    assert call[8] == pytest.approx(1_743_839.68)  # 869 x 2006.72
    assert call[9] == pytest.approx(3.95725184)  # 0.001972 ETH x 2006.72 (premiums convert at the index)
    assert call[10] == pytest.approx(1.2074)
    assert call[11] == 2003.61
    assert call[12:16] == (0.03127, 0.0002, 0.20072, -1.64029)
    assert call[16] == FETCHED
    put = by_name["ETH-27AUG21-4000-P"]
    # No trade in 24 h: stats.volume is null. In the money: mark 1.005718 ETH = 2018.19 USD.
    assert put[4] == "put" and put[7] is None and put[5] == 8.0
    assert put[9] == pytest.approx(1.005718 * 2006.72)
    big = by_name["BTC-31DEC21-300000-C"]
    assert big[1:5] == ("BTC", datetime(2021, 12, 31, 8, tzinfo=UTC), 300000.0, "call")


def test_inverse_perpetual_open_interest_and_funding(staged):
    row = staged.execute(
        "select instrument, asset, is_primary, contract_type, expiry_at, oi_usd, oi_coin, mark_price, index_price, "
        "funding_rate, funding_interval_hours, funding_rate_8h, funding_apr, next_funding_at, oi_source "
        "from staging.stg_deribit__futures_summaries"
    ).fetchall()
    # Recorded: open_interest 1132329370 (USD for the inverse perpetual), mark 92281.78, index 92263.55,
    # funding_8h 0.00001742 (a fraction per 8 h of continuous funding), current_funding 0.
    assert len(row) == 1
    r = row[0]
    assert r[:5] == ("BTC-PERPETUAL", "BTC", True, "perpetual", None)
    assert r[5] == 1132329370.0
    assert r[6] == pytest.approx(12_270.346, abs=0.001)  # 1132329370 USD / 92281.78 USD per BTC
    assert r[7:9] == (92281.78, 92263.55)
    assert r[9:11] == (0.00001742, 8.0)
    assert r[11] == pytest.approx(0.00001742)
    assert r[12] == pytest.approx(0.00001742 * 1095)  # 8760 / 8 periods a year: 1.907 % APR
    assert r[13] is None and r[14] == "snapshot"


def test_option_trades_are_the_combo_legs(staged):
    rows = staged.execute(
        "select trade_key, instrument, traded_at, expiry_at, strike, option_type, taker_side, amount_coin, "
        "price_usd, notional_usd, premium_usd, trade_iv, is_block, combo_trade_id "
        "from staging.stg_deribit__option_trades order by trade_key"
    ).fetchall()
    assert [r[0] for r in rows] == ["244365194", "244365195", "999000001", "999000002"]
    leg = rows[1]
    # Recorded leg: BTC-19MAY26-75000-C bought, 0.1 BTC at 0.0174 BTC, index 76185.14, iv 41.01 %.
    assert leg[1:8] == (
        "BTC-19MAY26-75000-C",
        datetime.fromtimestamp(1779118041, tz=UTC) + timedelta(milliseconds=757),
        datetime(2026, 5, 19, 8, tzinfo=UTC),
        75000.0,
        "call",
        "buy",
        0.1,
    )
    assert leg[8] == pytest.approx(1325.621436)  # 0.0174 x 76185.14
    assert leg[9] == pytest.approx(7618.514)  # 0.1 x 76185.14
    assert leg[10] == pytest.approx(132.5621436)  # 0.1 x 1325.621436
    assert leg[11] == pytest.approx(0.4101)
    assert leg[12] is False and leg[13] == "244365193"
    # The historical leg came without an index price: no USD price rather than a wrong one.
    assert rows[2][8] is None and rows[2][7] == 0.1


def test_futures_trades_without_liquidation_flags_give_no_events(staged):
    assert staged.execute("select count(*) from staging.stg_deribit__liquidations").fetchone()[0] == 0
