"""The Binance parsers (dbt staging) on the real Binance responses recorded in ../shared/data (nautilus_trader's
Binance fixtures: USD-M market endpoints, /futures/data statistics, spot ticker and the forceOrder stream).
Expected values are read off the recordings by hand."""

import hashlib
import json
from datetime import UTC, datetime

import duckdb
import pytest

from ingest.envelope import RawResponse
from ingest.registry import DATASETS
from ingest.streams.loader import DATASET as STREAM_DATASET
from ingest.streams.loader import WS_STATUS
from ingest.streams.specs import BINANCE as BINANCE_STREAM
from tests.conftest import shared_data
from tests.dbt.dbt_runner import run_dbt
from warehouse.load import load_partition
from warehouse.schema import ensure_bookkeeping, ensure_raw_table

NAUTILUS = "nautechsystems__nautilus_trader/tests/integration_tests/adapters/binance/resources/http_responses"
NAUTILUS_WS = "nautechsystems__nautilus_trader/crates/adapters/binance/test_data/futures/market_data_json"
FETCHED_AT = datetime(2026, 1, 1, tzinfo=UTC)


def _body(recording: str) -> str:
    return shared_data(f"{NAUTILUS}/{recording}").read_text()


def _raw(dataset: str, endpoint: str, body: str, params: dict | None = None, page: int = 0) -> RawResponse:
    return RawResponse("binance", dataset, endpoint, params or {}, 200, FETCHED_AT, body, page, "live")


def _ts(ms: int) -> datetime:
    return datetime.fromtimestamp(ms / 1000, tz=UTC)


@pytest.fixture(scope="module")
def staged(tmp_path_factory):
    btc = {"symbol": "BTCUSDT", "period": "1h"}
    partitions = {
        "funding_rates": [
            _raw("funding_rates", "/fapi/v1/fundingRate", _body("http_futures_market_funding_rate.json"))
        ],
        "premium_index": [
            _raw("premium_index", "/fapi/v1/premiumIndex", _body("http_futures_market_premium_index.json"))
        ],
        "open_interest": [
            _raw("open_interest", "/fapi/v1/openInterest", _body("http_futures_market_open_interest.json"))
        ],
        "open_interest_history": [
            _raw(
                "open_interest_history",
                "/futures/data/openInterestHist",
                _body("http_futures_market_open_interest_historical.json"),
                btc,
            )
        ],
        "long_short_ratio": [
            _raw("long_short_ratio", f"/futures/data/{path}", _body(recording), btc, page)
            for page, (path, recording) in enumerate(
                [
                    ("globalLongShortAccountRatio", "http_futures_market_global_long_short_account_ratio.json"),
                    ("topLongShortAccountRatio", "http_futures_market_top_long_short_account_ratio.json"),
                    ("topLongShortPositionRatio", "http_futures_market_top_long_short_position_ratio.json"),
                ]
            )
        ],
        "klines_1h": [
            _raw("klines_1h", "/fapi/v1/klines", _body("http_futures_market_klines.json"), btc | {"interval": "1h"})
        ],
        "taker_long_short_ratio": [
            _raw(
                "taker_long_short_ratio",
                "/futures/data/takerlongshortRatio",
                _body("http_futures_market_taker_long_short_ratio.json"),
                btc,
            )
        ],
        "spot_prices": [_raw("spot_prices", "/api/v3/ticker/price", _body("http_spot_market_ticker_price.json"))],
    }
    tmp = tmp_path_factory.mktemp("real_binance")
    warehouse = tmp / "w.duckdb"
    con = duckdb.connect(str(warehouse))
    ensure_bookkeeping(con)
    for spec in DATASETS:
        ensure_raw_table(con, spec.venue, spec.dataset)
    for dataset, responses in partitions.items():
        load_partition(con, "binance", dataset, "real", responses)
    # The forceOrder message as the stream loader lands it; stored twice (two hour files), it is one event.
    message = shared_data(f"{NAUTILUS_WS}/liquidation_stream.json").read_text()
    for hour in ("2026-01-01-00:00", "2026-01-01-01:00"):
        liquidation = RawResponse(
            "binance", STREAM_DATASET, BINANCE_STREAM.path, {}, WS_STATUS, FETCHED_AT, message, 0, "live"
        )
        load_partition(con, "binance", STREAM_DATASET, hour, [liquidation])
    # The funding page loaded again under another partition: still one row per settlement.
    load_partition(con, "binance", "funding_rates", "real-again", partitions["funding_rates"])
    con.close()
    results = run_dbt(["build", "--select", "staging.binance"], warehouse, tmp / "target")
    assert results["_returncode"] == 0, results["_stdout"][-3000:]
    con = duckdb.connect(str(warehouse), read_only=True)
    yield con
    con.close()


def test_funding_history(staged):
    rows = staged.execute(
        "select instrument, asset, is_primary, funding_at, funding_rate, funding_interval_hours, funding_rate_8h, "
        "funding_apr, mark_price from staging.stg_binance__funding_rates order by funding_at"
    ).fetchall()
    assert len(rows) == 2  # loaded twice, staged once
    first, second = rows
    assert first[:4] == ("BTCUSDT", "BTC", True, datetime(2019, 10, 9, 8, tzinfo=UTC))
    assert first[4] == pytest.approx(-0.0375)
    # 2019-10-09 08:00 -> 16:00: the gap says 8 h; the first row takes its interval from the next gap.
    assert first[5] == second[5] == 8
    assert second[4] == pytest.approx(0.0001)
    assert second[6] == pytest.approx(0.0001) and second[7] == pytest.approx(0.1095)
    assert first[7] == pytest.approx(-0.0375 * 1095)
    assert first[8] is None  # the recording predates markPrice in fundingRate


def test_premium_index(staged):
    row = staged.execute(
        "select instrument, asset, is_primary, observed_at, mark_price, index_price, current_funding_rate, "
        "funding_rate, funding_interval_hours, funding_rate_8h, funding_apr, interest_rate, next_funding_at, "
        "contract_type, expiry_at from staging.stg_binance__premium_indexes"
    ).fetchone()
    assert row[:4] == ("BTCUSDT", "BTC", True, _ts(1597370495002))
    assert row[4] == pytest.approx(11793.63104562) and row[5] == pytest.approx(11781.80495970)
    assert row[6] == row[7] == pytest.approx(0.00038246)
    # No fundingInfo lists BTCUSDT: Binance's default 8 h, so APR = 0.00038246 x 1095.
    assert row[8] == 8 and row[9] == pytest.approx(0.00038246) and row[10] == pytest.approx(0.4187937)
    assert row[11] == pytest.approx(0.0001) and row[12] == _ts(1597392000000)
    assert row[13:] == ("perpetual", None)


def test_open_interest(staged):
    row = staged.execute(
        "select instrument, asset, is_primary, observed_at, oi_coin, oi_usd, oi_source "
        "from staging.stg_binance__open_interests"
    ).fetchone()
    assert row[:4] == ("BTCUSDT", "BTC", True, _ts(1589437530011))
    assert row[4] == pytest.approx(10659.509)
    # The only recorded mark (premiumIndex) is three months later: too far to value the OI, so no USD.
    assert row[5] is None and row[6] == "snapshot"


def test_open_interest_history(staged):
    rows = staged.execute(
        "select instrument, asset, is_primary, observed_at, oi_coin, oi_usd, oi_source "
        "from staging.stg_binance__open_interest_histories order by observed_at"
    ).fetchall()
    # The documented answer quotes timestamps as strings: they parse like the live integers.
    assert rows == [
        (
            "BTCUSDT",
            "BTC",
            True,
            _ts(1583127900000),
            pytest.approx(20403.637),
            pytest.approx(150570784.07809979),
            "history",
        ),
        (
            "BTCUSDT",
            "BTC",
            True,
            _ts(1583128200000),
            pytest.approx(20401.367),
            pytest.approx(149940752.14464448),
            "history",
        ),
    ]


def test_long_short_ratios_take_their_kind_from_the_endpoint(staged):
    rows = staged.execute(
        "select ratio_kind, asset, instrument, observed_at, long_share, short_share, long_short_ratio "
        "from staging.stg_binance__long_short_ratios where observed_at = ? order by ratio_kind",
        [_ts(1583139600000)],
    ).fetchall()
    assert rows == [
        ("accounts", "BTC", "BTCUSDT", _ts(1583139600000), 0.6622, 0.3378, 0.196),
        ("top_accounts", "BTC", "BTCUSDT", _ts(1583139600000), 0.6442, 0.3558, 1.8105),
        ("top_positions", "BTC", "BTCUSDT", _ts(1583139600000), 0.5891, 0.4108, 1.4342),
    ]
    assert staged.execute("select count(*) from staging.stg_binance__long_short_ratios").fetchone() == (6,)


def test_candles_split_taker_volume(staged):
    row = staged.execute(
        "select instrument, asset, is_primary, hour_at, open, high, low, close, volume_coin, volume_usd, "
        "taker_buy_coin, taker_sell_coin, trade_count from staging.stg_binance__candles"
    ).fetchone()
    assert row[:4] == ("BTCUSDT", "BTC", True, _ts(1499040000000))  # the symbol comes from the request
    assert row[4:8] == (0.0163479, 0.8, 0.015758, 0.015771)
    assert row[8] == 148976.11427815 and row[9] == 2434.19055334 and row[10] == 1756.87402397
    assert row[11] == pytest.approx(148976.11427815 - 1756.87402397) and row[12] == 308


def test_taker_volumes(staged):
    rows = staged.execute(
        "select instrument, hour_at, taker_buy_coin, taker_sell_coin, buy_sell_ratio "
        "from staging.stg_binance__taker_volumes order by hour_at"
    ).fetchall()
    assert rows == [
        ("BTCUSDT", _ts(1583139900000), 343.929, 248.503, 1.3104),
        ("BTCUSDT", _ts(1585614900000), 387.33, 248.503, 1.5586),
    ]


def test_spot_price(staged):
    rows = staged.execute(
        "select exchange, asset, instrument, observed_at, price, price_kind from staging.stg_binance__spot_prices"
    ).fetchall()
    assert rows == [("binance", "BTC", "BTCUSDT", FETCHED_AT, 60740.0, "spot")]  # no timestamp: the fetch dates it


def test_liquidation_side_is_the_liquidated_position(staged):
    rows = staged.execute(
        "select asset, instrument, liquidated_at, position_side, order_side, price, quantity_coin, size_usd, "
        "event_key, liquidation_source from staging.stg_binance__liquidations"
    ).fetchall()
    assert len(rows) == 1  # stored twice, one event
    (row,) = rows
    # S = SELL is the liquidation order: it closed a LONG. Price is the average fill ap, quantity the filled z.
    assert row[:5] == ("BTC", "BTCUSDT", _ts(1568014460893), "long", "SELL")
    assert row[5] == 9910.12345678 and row[6] == 0.014
    assert row[7] == pytest.approx(9910.12345678 * 0.014)
    expected_key = hashlib.md5(
        "|".join(["BTCUSDT", "1568014460893", "SELL", "9910.12345678", "9910.00000000", "0.014", "0.014"]).encode()
    ).hexdigest()
    assert row[8:] == (expected_key, "websocket")


def test_recordings_are_what_the_expectations_were_read_from():
    """Guards the hand-read values above against a changed recording."""
    message = json.loads(shared_data(f"{NAUTILUS_WS}/liquidation_stream.json").read_text())
    assert (message["o"]["S"], message["o"]["ap"], message["o"]["z"]) == ("SELL", "9910.12345678", "0.014")
