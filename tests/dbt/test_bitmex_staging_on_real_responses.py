"""The BitMEX staging models on real BitMEX bodies (../shared/data): cryptofeed's 2021 /instrument/active answer
(34 contracts), nautilus_trader's 2024 XBTUSD instrument and funding record, and nautilus' liquidation row (a
synthetic example in BitMEX's format, per the data README). Single objects are wrapped in the list BitMEX's REST
answers are (and the liquidation row in the websocket table message it arrives in)."""

import json
from datetime import UTC, datetime

import duckdb
import pytest

from ingest.envelope import RawResponse
from tests.conftest import shared_data
from tests.dbt.dbt_runner import run_dbt
from warehouse.load import load_partition
from warehouse.schema import ensure_bookkeeping, ensure_raw_table

CRYPTOFEED = "bmoscon__cryptofeed/sample_data/BITMEX.0"
NAUTILUS = "nautechsystems__nautilus_trader/crates/adapters/bitmex/test_data"
MODELS = ["stg_bitmex__contract_snapshots", "stg_bitmex__funding_rates", "stg_bitmex__liquidations"]
RAW_DATASETS = ("instruments", "indices", "funding_rates", "candles_1h", "liquidations")
SNAPSHOT_COLUMNS = (
    "instrument, asset, is_primary, contract_type, observed_at, funding_rate, funding_interval_hours, funding_rate_8h, "
    "funding_apr, next_funding_at, mark_price, index_price, oi_coin, oi_usd, expiry_at"
)


def _cryptofeed_active() -> tuple[str, datetime]:
    for line in shared_data(CRYPTOFEED).read_text().splitlines():
        if line.startswith("https://www.bitmex.com/api/v1/instrument/active -> "):
            stamp, body = line.split(" -> ", 1)[1].split(": ", 1)
            return body, datetime.fromtimestamp(float(stamp), UTC)
    raise AssertionError("no instrument/active body in the cryptofeed sample")


def _raw(dataset: str, endpoint: str, body: str, fetched_at: datetime, page: int = 0, status: int = 200):
    return RawResponse("bitmex", dataset, endpoint, {}, status, fetched_at, body, page, "live")


@pytest.fixture(scope="module")
def staged(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("bitmex_real")
    warehouse = tmp / "w.duckdb"
    con = duckdb.connect(str(warehouse))
    ensure_bookkeeping(con)
    for name in RAW_DATASETS:
        ensure_raw_table(con, "bitmex", name)
    active, fetched_2021 = _cryptofeed_active()
    xbtusd = json.dumps([json.loads(shared_data(f"{NAUTILUS}/http_get_instrument_xbtusd.json").read_text())])
    fetched_2024 = datetime(2024, 11, 24, 23, 34, tzinfo=UTC)
    instruments = [
        _raw("instruments", "/api/v1/instrument/active", active, fetched_2021),
        _raw("instruments", "/api/v1/instrument", xbtusd, fetched_2024, page=1),
    ]
    load_partition(con, "bitmex", "instruments", "real", instruments)
    # The 2021 answer again in another partition: one row per contract and time still.
    load_partition(con, "bitmex", "instruments", "real-again", instruments[:1])
    funding = json.dumps([json.loads(shared_data(f"{NAUTILUS}/ws_funding_rate.json").read_text())])
    load_partition(
        con, "bitmex", "funding_rates", "2024-11-25", [_raw("funding_rates", "/api/v1/funding", funding, fetched_2024)]
    )
    row = json.loads(shared_data(f"{NAUTILUS}/ws_liquidation.json").read_text())
    message = json.dumps({"table": "liquidation", "action": "insert", "data": [row]})
    ws = "/realtime?subscribe=liquidation"
    load_partition(
        con, "bitmex", "liquidations", "2024-11-25-12:00", [_raw("liquidations", ws, message, fetched_2024, status=101)]
    )
    con.close()
    results = run_dbt(["build", "--select", *[f"+{m}" for m in MODELS]], warehouse, tmp / "target")
    assert results["_returncode"] == 0, results["_stdout"][-3000:]
    ro = duckdb.connect(str(warehouse), read_only=True)
    yield ro, json.loads(active)
    ro.close()


def _snapshots(con, where: str) -> dict[str, tuple]:
    rows = con.execute(
        f"select {SNAPSHOT_COLUMNS} from staging.stg_bitmex__contract_snapshots where {where}"
    ).fetchall()
    return {r[0]: r for r in rows}


def test_every_usd_quoted_future_of_2021_is_one_row(staged):
    con, active = staged
    expected = sorted(
        r["symbol"] for r in active if r["typ"] in ("FFWCSX", "FFCCSX") and r["quoteCurrency"] in ("USD", "USDT")
    )
    rows = _snapshots(con, "observed_at < '2022-01-01'")
    assert sorted(rows) == expected
    # XBT-quoted contracts (XRPU21, ETHU21: prices in bitcoin) are not USD quotes and stay out.
    assert "XRPU21" not in rows and len(expected) < len(active)


def test_inverse_xbtusd_oi_is_contracts_in_usd(staged):
    con, _ = staged
    old = _snapshots(con, "instrument = 'XBTUSD' and observed_at < '2022-01-01'")["XBTUSD"]
    # 574,264,600 contracts of 1 USD; / the 32184.89 mark = 17,842.7 BTC (openValue says 17,842.69 BTC).
    assert old[1:5] == ("BTC", True, "perpetual", datetime(2021, 7, 22, 22, 36, 5, tzinfo=UTC))
    assert old[5:9] == pytest.approx((0.0001, 8.0, 0.0001, 0.1095))
    assert old[9] == datetime(2021, 7, 23, 4, tzinfo=UTC)
    assert old[10:14] == pytest.approx((32184.89, 32182.72, 574264600 / 32184.89, 574264600.0))
    assert old[12] == pytest.approx(1784268825430 / 1e8, rel=1e-5)
    new = _snapshots(con, "instrument = 'XBTUSD' and observed_at > '2024-01-01'")["XBTUSD"]
    # 2024: fundingRate 0.00011 per 8 h = 0.12045 a year; 411,647,400 USD.
    assert new[4] == datetime(2024, 11, 24, 23, 33, 19, 34000, tzinfo=UTC)
    assert new[5:9] == pytest.approx((0.00011, 8.0, 0.00011, 0.12045))
    assert new[10:14] == pytest.approx((97849.76, 97843.77, 411647400 / 97849.76, 411647400.0))


def test_quanto_ethusd_oi_uses_the_bitcoin_price(staged):
    con, _ = staged
    eth = _snapshots(con, "instrument = 'ETHUSD'")["ETHUSD"]
    # 1,403,475 contracts x 100 satoshi per 1.0 of price: 1.403475 BTC per dollar of ETH price, so
    # 1.403475 x 32182.72 (XBTUSD's index, same answer) = 45,167.6 ETH, x the 2003.93 mark = 90.5 M USD.
    coin = 1403475 * 100 / 1e8 * 32182.72
    assert eth[1:4] == ("ETH", True, "perpetual")
    assert eth[5:9] == pytest.approx((0.000551, 8.0, 0.000551, 0.000551 * 1095))
    assert eth[12:14] == pytest.approx((coin, coin * 2003.93))
    # Cross-check with openValue (satoshi at the mark): 2812.47 BTC x 32182.72 USD.
    assert eth[13] == pytest.approx(281246565675 / 1e8 * 32182.72, rel=1e-6)


def test_dated_futures_have_expiry_and_no_funding(staged):
    con, _ = staged
    rows = _snapshots(con, "contract_type = 'future' and asset = 'BTC'")
    xbtu21 = rows["XBTU21"]
    assert xbtu21[2:4] == (False, "future")
    assert xbtu21[5:10] == (None, None, None, None, None)
    assert xbtu21[14] == datetime(2021, 9, 24, 12, tzinfo=UTC)
    assert xbtu21[10:14] == pytest.approx((32350.84, 32182.72, 164864000 / 32350.84, 164864000.0))


def test_funding_record_interval_from_the_pseudo_date(staged):
    con, _ = staged
    rows = con.execute(
        "select instrument, asset, is_primary, funding_at, funding_rate, funding_interval_hours, funding_rate_8h, "
        "funding_apr from staging.stg_bitmex__funding_rates"
    ).fetchall()
    assert [r[:4] for r in rows] == [("XBTUSD", "BTC", True, datetime(2024, 11, 25, 4, tzinfo=UTC))]
    assert rows[0][4:] == pytest.approx((0.0001, 8.0, 0.0001, 0.1095))


def test_liquidation_buy_order_closes_a_short(staged):
    con, _ = staged
    rows = con.execute(
        "select event_key, instrument, asset, position_side, price, quantity_coin, size_usd, liquidation_source "
        "from staging.stg_bitmex__liquidations"
    ).fetchall()
    # A Buy liquidation order closes a short; 1000 XBTUSD contracts = 1000 USD = 1000 / 95000 BTC.
    assert len(rows) == 1
    assert rows[0][:4] == ("550e8400-e29b-41d4-a716-446655440099", "XBTUSD", "BTC", "short")
    assert rows[0][4:7] == pytest.approx((95000.0, 1000 / 95000, 1000.0))
    assert rows[0][7] == "websocket"
