"""The OKX staging models on the real OKX v5 answers recorded in ../shared/data (nautilus_trader's test data:
funding history, mark price, index ticker, option summary, candles, instruments; the funding-rate websocket
push, whose `data` is the REST record). OKX liquidation orders, rubik statistics and a complete option snapshot
are not recorded anywhere public: those bodies are built here in OKX's documented wire format, around the
real instruments, with values chosen so that the expected numbers can be computed by hand."""

import json
from datetime import UTC, datetime

import duckdb
import pytest

from ingest.envelope import RawResponse
from ingest.registry import DATASETS
from tests.conftest import shared_data
from tests.dbt.dbt_runner import run_dbt
from warehouse.load import load_partition
from warehouse.schema import ensure_bookkeeping, ensure_raw_table

NAUTILUS = "nautechsystems__nautilus_trader/crates/adapters/okx/test_data"
FETCHED = datetime(2025, 5, 13, tzinfo=UTC)
REFETCHED = datetime(2025, 5, 14, tzinfo=UTC)
MODELS = [
    "stg_okx__instruments",
    "stg_okx__funding_rates",
    "stg_okx__funding_snapshots",
    "stg_okx__mark_prices",
    "stg_okx__index_prices",
    "stg_okx__open_interests",
    "stg_okx__open_interest_histories",
    "stg_okx__long_short_ratios",
    "stg_okx__candles",
    "stg_okx__liquidations",
    "stg_okx__option_summaries",
]


def _real(name: str) -> str:
    return shared_data(f"{NAUTILUS}/{name}").read_text()


def _envelope(data: list) -> str:
    return json.dumps({"code": "0", "data": data, "msg": ""}, separators=(",", ":"))


def _raw(dataset: str, path: str, params: dict, body: str, fetched_at: datetime = FETCHED, page: int = 0):
    return RawResponse("okx", dataset, f"/api/v5/{path}", params, 200, fetched_at, body, page, "live")


def _ms(*args) -> str:
    return str(int(datetime(*args, tzinfo=UTC).timestamp() * 1000))


def _partitions() -> dict[tuple[str, str], list[RawResponse]]:
    instruments = [
        _raw(
            "instruments",
            "public/instruments",
            {"instType": t},
            _real(f"http_get_instruments_{t.lower()}.json"),
            page=i,
        )
        for i, t in enumerate(("SWAP", "FUTURES", "OPTION"))
    ]
    # The websocket push carries the REST record; the envelope is OKX's REST one.
    funding_now = _envelope(json.loads(_real("ws_funding_rate.json"))["data"])
    summary_ts = 1734166000000  # the recorded opt-summary's ts (2024-12-14 08:46:40 UTC)
    option = "BTC-USD-241217-92000-C"
    option_marks = _envelope([{"instType": "OPTION", "instId": option, "markPx": "0.07", "ts": str(summary_ts + 1500)}])
    option_oi = _envelope(
        [
            {
                "instType": "OPTION",
                "instId": option,
                "oi": "150",
                "oiCcy": "1.5",
                "oiUsd": "",
                "ts": str(summary_ts + 900),
            }
        ]
    )
    option_tickers = _envelope(
        [
            {
                "instType": "OPTION",
                "instId": option,
                "last": "0.07",
                "vol24h": "80",
                "volCcy24h": "0.8",
                "ts": str(summary_ts),
            }
        ]
    )
    index_usd = _envelope([{"instId": "BTC-USD", "idxPx": "100000", "ts": str(summary_ts + 2000)}])
    # The docs-v5 open-interest example (oi in contracts, oiCcy in coin, no oiUsd) with a mark of the same run.
    oi_example = _envelope(
        [{"instId": "BTC-USDT-SWAP", "instType": "SWAP", "oi": "2125419", "oiCcy": "21254.19", "ts": "1664005108969"}]
    )
    oi_mark = _envelope([{"instType": "SWAP", "instId": "BTC-USDT-SWAP", "markPx": "19000", "ts": "1664005109000"}])
    liquidations = _envelope(
        [
            {
                "instId": "BTC-USDT-SWAP",
                "instFamily": "BTC-USDT",
                "instType": "SWAP",
                "uly": "BTC-USDT",
                "details": [
                    # A sell order closing a long: 3 contracts x 0.01 BTC = 0.03 BTC at 60,000 = 1,800 USD.
                    {
                        "side": "sell",
                        "posSide": "long",
                        "bkPx": "60000",
                        "sz": "3",
                        "bkLoss": "0",
                        "ccy": "",
                        "ts": _ms(2025, 5, 12, 10, 0, 1),
                    },
                ],
            },
            {
                "instId": "BTC-USD-SWAP",
                "instFamily": "BTC-USD",
                "instType": "SWAP",
                "uly": "BTC-USD",
                "details": [
                    # One-way mode (posSide net): a buy order closes a short. 10 contracts x 100 USD at 50,000 =
                    # 0.02 BTC, 1,000 USD.
                    {
                        "side": "buy",
                        "posSide": "net",
                        "bkPx": "50000",
                        "sz": "10",
                        "bkLoss": "0",
                        "ccy": "",
                        "ts": _ms(2025, 5, 12, 10, 30),
                    },
                ],
            },
        ]
    )
    # Rubik rows [ts, contracts, coin, USD] and [ts, ratio]: the period opening at 10:00 is measured at 11:00.
    oi_history = _envelope([[_ms(2025, 5, 12, 10), "150000", "1500", "150000000"]])
    ratio = _envelope([[_ms(2025, 5, 12, 10), "1.5"]])
    stat_params = {"instId": "BTC-USDT-SWAP", "period": "1H"}
    candles_params = {"instId": "BTC-USDT-SWAP", "bar": "1H"}
    return {
        ("instruments", "2025-05-13-00:00"): instruments,
        ("funding_rate_history", "2024-01-01"): [
            _raw(
                "funding_rate_history",
                "public/funding-rate-history",
                {"instId": "BTC-USDT-SWAP"},
                _real("http_get_funding_rate_history.json"),
            )
        ],
        # The same page again under another day, fetched later: still one row per settlement.
        ("funding_rate_history", "2024-01-02"): [
            _raw(
                "funding_rate_history",
                "public/funding-rate-history",
                {"instId": "BTC-USDT-SWAP"},
                _real("http_get_funding_rate_history.json"),
                REFETCHED,
            )
        ],
        ("funding_rate", "2025-04-14-00:00"): [
            _raw("funding_rate", "public/funding-rate", {"instId": "BTC-USDT-SWAP"}, funding_now)
        ],
        ("mark_price", "2025-04-14-00:00"): [
            _raw("mark_price", "public/mark-price", {"instType": "SWAP"}, _real("http_get_mark_price.json")),
        ],
        ("mark_price", "2022-09-24-07:00"): [_raw("mark_price", "public/mark-price", {"instType": "SWAP"}, oi_mark)],
        ("mark_price", "2024-12-14-08:00"): [
            _raw("mark_price", "public/mark-price", {"instType": "OPTION", "instFamily": "BTC-USD"}, option_marks)
        ],
        ("index_tickers", "2025-05-11-05:00"): [
            _raw("index_tickers", "market/index-tickers", {"quoteCcy": "USDT"}, _real("http_get_index_price.json"))
        ],
        ("index_tickers", "2024-12-14-08:00"): [
            _raw("index_tickers", "market/index-tickers", {"quoteCcy": "USD"}, index_usd)
        ],
        ("open_interest", "2022-09-24-07:00"): [
            _raw("open_interest", "public/open-interest", {"instType": "SWAP"}, oi_example)
        ],
        ("open_interest", "2024-12-14-08:00"): [
            _raw("open_interest", "public/open-interest", {"instType": "OPTION", "instFamily": "BTC-USD"}, option_oi)
        ],
        ("option_summary", "2024-12-14-08:00"): [
            _raw(
                "option_summary", "public/opt-summary", {"instFamily": "BTC-USD"}, _real("http_get_option_summary.json")
            )
        ],
        ("option_tickers", "2024-12-14-08:00"): [
            _raw("option_tickers", "market/tickers", {"instType": "OPTION", "instFamily": "BTC-USD"}, option_tickers)
        ],
        ("liquidation_orders", "2025-05-12-11:00"): [
            _raw("liquidation_orders", "public/liquidation-orders", {"instType": "SWAP"}, liquidations)
        ],
        # The next hourly snapshot repeats the same orders (OKX serves the last day): no new events.
        ("liquidation_orders", "2025-05-12-12:00"): [
            _raw("liquidation_orders", "public/liquidation-orders", {"instType": "SWAP"}, liquidations, REFETCHED)
        ],
        ("open_interest_history", "2025-05-12"): [
            _raw("open_interest_history", "rubik/stat/contracts/open-interest-history", stat_params, oi_history)
        ],
        ("long_short_account_ratio", "2025-05-12"): [
            _raw(
                "long_short_account_ratio", "rubik/stat/contracts/long-short-account-ratio-contract", stat_params, ratio
            )
        ],
        ("candles", "2025-05-12"): [
            # Real bars (1-minute ones, recorded as confirmed), relabelled as an hourly request to exercise the
            # parser; the older recording's bars are unconfirmed (confirm "0") and must be left out.
            _raw("candles", "market/candles", candles_params, _real("http_get_candlesticks_full.json")),
            _raw("candles", "market/candles", candles_params, _real("http_get_candlesticks.json"), page=1),
            # The same bars asked for as 1-minute bars are another grain: left out.
            _raw(
                "candles",
                "market/candles",
                {"instId": "ETH-USDT-SWAP", "bar": "1m"},
                _real("http_get_candlesticks_full.json"),
                page=2,
            ),
        ],
    }


@pytest.fixture(scope="module")
def okx(tmp_path_factory):
    partitions = _partitions()
    tmp = tmp_path_factory.mktemp("okx_real")
    warehouse = tmp / "w.duckdb"
    con = duckdb.connect(str(warehouse))
    ensure_bookkeeping(con)
    for spec in DATASETS:
        ensure_raw_table(con, spec.venue, spec.dataset)
    for (dataset, key), responses in partitions.items():
        load_partition(con, "okx", dataset, key, responses)
    con.close()
    results = run_dbt(["build", "--select", *MODELS], warehouse, tmp / "target")
    assert results["_returncode"] == 0, results["_stdout"][-3000:]
    con = duckdb.connect(str(warehouse), read_only=True)
    yield con
    con.close()


def _rows(con, sql: str) -> list[tuple]:
    return con.execute(sql).fetchall()


def test_settled_funding_keeps_the_realized_rate_once_per_settlement(okx):
    rows = _rows(
        okx,
        "select instrument, is_primary, funding_at, funding_rate, formula_rate, funding_interval_hours, "
        "funding_rate_8h, funding_apr from staging.stg_okx__funding_rates order by funding_at",
    )
    # realizedRate 0.00015 was charged (the formula said 0.0001515032); 16:00 -> 00:00 is 8 h, so the 8 h rate
    # is the rate itself and the APR is 0.00015 x 8760 / 8 = 0.16425. The page loaded twice counts once.
    assert [r[:3] for r in rows] == [
        ("BTC-USDT-SWAP", True, datetime(2023, 12, 31, 16, tzinfo=UTC)),
        ("BTC-USDT-SWAP", True, datetime(2024, 1, 1, tzinfo=UTC)),
    ]
    assert rows[1][3:6] == (0.00015, 0.0001515032, 8.0)
    assert rows[1][6] == pytest.approx(0.00015)
    assert rows[1][7] == pytest.approx(0.16425)
    assert rows[0][3] == -0.00002 and rows[0][7] == pytest.approx(-0.0219)


def test_funding_now_is_charged_at_funding_time_over_the_gap_to_the_next(okx):
    (row,) = _rows(
        okx,
        "select instrument, observed_at, funding_rate, funding_interval_hours, funding_rate_8h, funding_apr, "
        "next_funding_at, mark_price from staging.stg_okx__funding_snapshots",
    )
    # fundingTime 1744590349506 -> nextFundingTime 1744619149506 is 28,800,000 ms = 8 h; the recorded mark price
    # of BTC-USDT-SWAP has the same ts and joins: 84660.1.
    assert row[:4] == ("BTC-USDT-SWAP", datetime(2025, 4, 14, 0, 25, 49, 506000, tzinfo=UTC), 0.0001, 8.0)
    assert row[4] == pytest.approx(0.0001) and row[5] == pytest.approx(0.1095)
    assert row[6] == datetime(2025, 4, 14, 0, 25, 49, 506000, tzinfo=UTC)
    assert row[7] == 84660.1


def test_marks_and_indexes(okx):
    marks = _rows(
        okx,
        "select instrument, asset, contract_type, is_primary, mark_price, index_price "
        "from staging.stg_okx__mark_prices "
        "where observed_at = '2025-04-14 00:25:49.506+00'",
    )
    # The recorded index ticker is from another day: no index within 10 minutes, so none is joined.
    assert marks == [("BTC-USDT-SWAP", "BTC", "perpetual", True, 84660.1, None)]
    indexes = _rows(
        okx, "select instrument, asset, price, index_price, price_kind from staging.stg_okx__index_prices order by 1"
    )
    # Only the USDT index was recorded that hour, so it is the asset's price; BTC-USD is the 2024 one.
    assert indexes == [
        ("BTC-USD", "BTC", 100000.0, 100000.0, "index"),
        ("BTC-USDT", "BTC", 103895.0, 103895.0, "index"),
    ]


def test_open_interest_in_coin_as_sent_and_in_usd_from_contracts(okx):
    (row,) = _rows(
        okx, "select instrument, oi_coin, oi_usd, oi_contracts, oi_source from staging.stg_okx__open_interests"
    )
    # No oiUsd in the docs example: 2,125,419 contracts x 0.01 BTC x mark 19,000 = 403,829,610 USD.
    assert row[0] == "BTC-USDT-SWAP" and row[1] == 21254.19 and row[3] == 2125419.0 and row[4] == "snapshot"
    assert row[2] == pytest.approx(403_829_610.0)


def test_rubik_rows_are_stamped_at_the_period_close(okx):
    oi = _rows(okx, "select instrument, observed_at, oi_coin, oi_usd from staging.stg_okx__open_interest_histories")
    assert oi == [("BTC-USDT-SWAP", datetime(2025, 5, 12, 11, tzinfo=UTC), 1500.0, 150_000_000.0)]
    (ratio,) = _rows(
        okx,
        "select observed_at, ratio_kind, long_share, short_share, long_short_ratio "
        "from staging.stg_okx__long_short_ratios",
    )
    # 1.5 longs per short: long share 1.5 / 2.5 = 0.6, short share 0.4.
    assert ratio[:2] == (datetime(2025, 5, 12, 11, tzinfo=UTC), "accounts")
    assert ratio[2:] == pytest.approx((0.6, 0.4, 1.5))


def test_confirmed_hourly_candles_only(okx):
    rows = _rows(
        okx,
        "select instrument, hour_at, open, close, volume_coin, volume_usd, volume_contracts, taker_buy_coin "
        "from staging.stg_okx__candles order by hour_at",
    )
    assert rows == [
        (
            "BTC-USDT-SWAP",
            datetime(2025, 5, 12, 23, 53, tzinfo=UTC),
            102806.0,
            102806.1,
            71.6404,
            7364701.57952,
            7164.04,
            None,
        ),
        (
            "BTC-USDT-SWAP",
            datetime(2025, 5, 12, 23, 54, tzinfo=UTC),
            102806.1,
            102820.4,
            10.4037,
            1069603.34883,
            1040.37,
            None,
        ),
    ]


def test_liquidated_position_side_and_size_from_contracts(okx):
    rows = _rows(
        okx,
        "select instrument, position_side, order_side, price, quantity_coin, size_usd, liquidation_source "
        "from staging.stg_okx__liquidations order by liquidated_at",
    )
    assert [r[:4] + (r[6],) for r in rows] == [
        ("BTC-USDT-SWAP", "long", "sell", 60000.0, "rest"),
        ("BTC-USD-SWAP", "short", "buy", 50000.0, "rest"),
    ]
    assert rows[0][4:6] == pytest.approx((0.03, 1800.0))
    assert rows[1][4:6] == pytest.approx((0.02, 1000.0))


def test_option_summary_with_usd_figures_at_the_index(okx):
    rows = _rows(
        okx,
        "select instrument, expiry_at, strike, option_type, mark_iv, underlying_price, mark_price_usd, "
        "open_interest_coin, open_interest_usd, volume_coin, volume_usd from staging.stg_okx__option_summaries "
        "order by strike, option_type",
    )
    expiry = datetime(2024, 12, 17, 8, tzinfo=UTC)
    assert [r[:6] for r in rows] == [
        ("BTC-USD-241217-92000-C", expiry, 92000.0, "call", 0.455, 97000.0),
        ("BTC-USD-241217-92000-P", expiry, 92000.0, "put", 0.455, 97000.0),
        ("BTC-USD-241217-94000-C", expiry, 94000.0, "call", 0.455, 97000.0),
        ("BTC-USD-241217-94000-P", expiry, 94000.0, "put", 0.455, 97000.0),
    ]
    # The 92000 call: mark 0.07 BTC x index 100,000 = 7,000 USD; OI 1.5 BTC = 150,000 USD; 0.8 BTC traded.
    assert rows[0][6:] == pytest.approx((7000.0, 1.5, 150_000.0, 0.8, 80_000.0))
    # No mark, OI or ticker was recorded for the others.
    assert rows[1][6:] == (None, None, None, None, None)
