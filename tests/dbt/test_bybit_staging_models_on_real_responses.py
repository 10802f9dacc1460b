"""The Bybit staging models on real Bybit v5 bodies recorded by nautilus_trader (../shared/data).

REST recordings (funding history, klines) are loaded as received. The ticker recordings are websocket
`tickers.*` pushes, whose `data` object holds the same fields a REST /v5/market/tickers list row has; they are
wrapped in the REST envelope (the option push names two fields differently, renamed here: `markPriceIv` is
REST's `markIv`, `bidPrice`/`askPrice` are `bid1Price`/`ask1Price`).
"""

import json
from datetime import UTC, datetime

import duckdb
import pytest

from ingest.envelope import RawResponse
from tests.conftest import shared_data
from tests.dbt.dbt_runner import run_dbt
from warehouse.load import load_partition
from warehouse.schema import ensure_bookkeeping, ensure_raw_table

NAUTILUS = "nautechsystems__nautilus_trader/crates/adapters/bybit/test_data"
MODELS = ["stg_bybit__funding_rates", "stg_bybit__candles", "stg_bybit__tickers", "stg_bybit__option_tickers"]
FETCHED_AT = datetime(2026, 1, 1, tzinfo=UTC)
RAW_DATASETS = (
    "instruments",
    "tickers",
    "option_tickers",
    "funding_rates",
    "open_interest_history",
    "long_short_ratio",
    "candles_1h",
    "liquidations",
)


def _raw(dataset: str, endpoint: str, params: dict, body: str, page: int = 0) -> RawResponse:
    return RawResponse("bybit", dataset, endpoint, params, 200, FETCHED_AT, body, page, "live")


def _rest_ticker(push_file: str, category: str, renames: dict[str, str] | None = None) -> str:
    push = json.loads(shared_data(f"{NAUTILUS}/{push_file}").read_text())
    row = {(renames or {}).get(k, k): v for k, v in push["data"].items()}
    body = {"retCode": 0, "retMsg": "OK", "result": {"category": category, "list": [row]}, "retExtInfo": {}}
    return json.dumps({**body, "time": push["ts"]})


@pytest.fixture(scope="module")
def con(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("bybit_real")
    warehouse = tmp / "w.duckdb"
    w = duckdb.connect(str(warehouse))
    ensure_bookkeeping(w)
    for name in RAW_DATASETS:
        ensure_raw_table(w, "bybit", name)
    funding = shared_data(f"{NAUTILUS}/http_get_funding_history.json").read_text()
    params = {"category": "linear", "symbol": "BTCUSDT"}
    load_partition(
        w,
        "bybit",
        "funding_rates",
        "2024-03-08",
        [_raw("funding_rates", "/v5/market/funding/history", params, funding)],
    )
    # The same page again in another partition: still one row per settlement.
    load_partition(
        w,
        "bybit",
        "funding_rates",
        "2024-03-08-again",
        [_raw("funding_rates", "/v5/market/funding/history", params, funding)],
    )
    klines = shared_data(f"{NAUTILUS}/http_get_klines_linear.json").read_text()
    load_partition(w, "bybit", "candles_1h", "2024-03-08", [_raw("candles_1h", "/v5/market/kline", params, klines)])
    linear = _rest_ticker("ws_ticker_linear.json", "linear")
    load_partition(w, "bybit", "tickers", "2023-01-09-14:00", [_raw("tickers", "/v5/market/tickers", params, linear)])
    renames = {
        "markPriceIv": "markIv",
        "bidPrice": "bid1Price",
        "askPrice": "ask1Price",
        "bidIv": "bid1Iv",
        "askIv": "ask1Iv",
    }
    option = _rest_ticker("ws_ticker_option.json", "option", renames)
    option_params = {"category": "option", "baseCoin": "BTC"}
    load_partition(
        w,
        "bybit",
        "option_tickers",
        "2023-01-05-11:00",
        [_raw("option_tickers", "/v5/market/tickers", option_params, option)],
    )
    w.close()
    results = run_dbt(["build", "--select", *[f"+{m}" for m in MODELS]], warehouse, tmp / "target")
    assert results["_returncode"] == 0, results["_stdout"][-3000:]
    ro = duckdb.connect(str(warehouse), read_only=True)
    yield ro
    ro.close()


def test_funding_history_settlements_are_8_hourly(con):
    rows = con.execute(
        "select instrument, asset, is_primary, funding_at, funding_rate, funding_interval_hours, funding_rate_8h, "
        "funding_apr from staging.stg_bybit__funding_rates order by funding_at"
    ).fetchall()
    # 1709856000000 = 2024-03-08 00:00 UTC and 1709884800000 = 08:00: 8 h apart (the first settlement takes the
    # gap to the next). 0.00015 x 8760 / 8 = 0.16425 a year; 0.0001 -> 0.1095.
    assert [r[:4] for r in rows] == [
        ("BTCUSDT", "BTC", True, datetime(2024, 3, 8, 0, tzinfo=UTC)),
        ("BTCUSDT", "BTC", True, datetime(2024, 3, 8, 8, tzinfo=UTC)),
    ]
    assert rows[0][4:] == pytest.approx((0.00015, 8.0, 0.00015, 0.16425))
    assert rows[1][4:] == pytest.approx((0.0001, 8.0, 0.0001, 0.1095))


def test_kline_volume_is_coin_and_turnover_usd_on_linear(con):
    rows = con.execute(
        "select instrument, is_primary, hour_at, open, high, low, close, volume_coin, volume_usd, taker_buy_coin "
        "from staging.stg_bybit__candles"
    ).fetchall()
    assert rows == [
        (
            "BTCUSDT",
            True,
            datetime.fromtimestamp(1709891679, UTC),
            27450.0,
            27460.0,
            27440.0,
            27455.0,
            123.45,
            3390000.0,
            None,  # no taker split on Bybit
        )
    ]


def test_linear_ticker_funding_oi_and_index(con):
    row = con.execute(
        "select instrument, asset, is_primary, observed_at, funding_rate, funding_interval_hours, funding_rate_8h, "
        "funding_apr, next_funding_at, mark_price, index_price, oi_coin, oi_usd, oi_source, price, price_kind, "
        "contract_type, expiry_at from staging.stg_bybit__tickers"
    ).fetchone()
    # -0.000212 per 8 h (fundingIntervalHour "8") = -0.23214 a year; OI 68744.761 BTC is worth 1,183,601,235.91
    # USD (openInterestValue; 68744.761 x the 17217.33 mark = 1,183,601,235.9); the index 17227.36 is the price.
    assert row[:4] == ("BTCUSDT", "BTC", True, datetime.fromtimestamp(1673272861.686, UTC))
    assert row[4:8] == pytest.approx((-0.000212, 8.0, -0.000212, -0.23214))
    assert row[8] == datetime.fromtimestamp(1673280000, UTC)
    assert row[9:13] == pytest.approx((17217.33, 17227.36, 68744.761, 1183601235.91))
    assert row[12] == pytest.approx(68744.761 * 17217.33, rel=1e-9)
    assert row[13:] == ("snapshot", 17227.36, "index", "perpetual", None)


def test_option_ticker_in_usd_with_iv_as_fraction(con):
    row = con.execute(
        "select instrument, asset, expiry_at, strike, option_type, open_interest_coin, open_interest_usd, "
        "volume_coin, volume_usd, mark_price_usd, mark_iv, underlying_price, delta, gamma, vega, theta "
        "from staging.stg_bybit__option_tickers"
    ).fetchone()
    # BTC-6JAN23-17500-C: expiry 2023-01-06 08:00 UTC from the symbol; 49.85 BTC of OI at the 16823.73 index.
    assert row[:5] == ("BTC-6JAN23-17500-C", "BTC", datetime(2023, 1, 6, 8, tzinfo=UTC), 17500.0, "call")
    assert row[5:] == pytest.approx(
        (
            49.85,
            49.85 * 16823.73,
            26.55,
            446802.8473,
            7.86976724,
            0.4896,
            16815.1,
            0.047831,
            0.00021453,
            0.81351067,
            -19.9115368,
        )
    )
