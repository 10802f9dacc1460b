"""The Bybit staging models on partitions our ingest code fetched from the simulator: every dataset is loaded
twice (under two partition keys, as a re-fetch would), and the staged rows are checked against values
recomputed here from the raw JSON: units by category (linear coin, inverse USD), intervals, expiries.
Liquidations are a websocket stream: a day of them is built with the simulator's own allLiquidation message
code from an in-process Market(seed=7) (the simulator's default seed), whose events say which side was
liquidated: the ground truth for the side convention."""

import json
from datetime import UTC, datetime, timedelta

import duckdb
import pytest

from ingest.config import Settings
from ingest.envelope import RawResponse
from ingest.registry import dataset, fetch_partition
from ingest.streams.loader import WS_STATUS
from ingest.windows import TimeWindow
from simulator import flow
from simulator.market import Market
from simulator.venues import bybit as sim
from tests.dbt.dbt_runner import run_dbt
from warehouse.load import load_partition
from warehouse.schema import ensure_bookkeeping

HOURLY = ("instruments", "tickers", "option_tickers")
DAILY = ("funding_rates", "open_interest_history", "long_short_ratio", "candles_1h")


def _ms(text: str) -> datetime:
    return datetime.fromtimestamp(int(text) / 1000, UTC)


def _liquidation_messages(day: datetime) -> tuple[list[RawResponse], list[flow.Liquidation]]:
    """One allLiquidation message per symbol and minute of `day`, as simulator/venues/bybit.py words them."""
    market = Market(seed=7)
    events = [e for a in ("BTC", "ETH", "SOL") for e in flow.liquidations(market, a, day, day + timedelta(1), "bybit")]
    batches: dict[tuple[str, datetime], list[flow.Liquidation]] = {}
    for e in events:
        batches.setdefault((e.symbol, e.time.replace(second=0, microsecond=0)), []).append(e)
    messages = []
    for (symbol, minute), batch in sorted(batches.items()):
        inverse = symbol.endswith("USD")
        body = {
            "topic": f"allLiquidation.{symbol}",
            "type": "snapshot",
            "ts": int((minute + timedelta(minutes=1)).timestamp() * 1000),
            "data": [sim._liquidation_item(inverse, e) for e in batch],
        }
        path = "/v5/public/inverse" if inverse else "/v5/public/linear"
        received = minute + timedelta(minutes=1)
        messages.append(RawResponse("bybit", "liquidations", path, {}, WS_STATUS, received, json.dumps(body), 0))
    return [m.with_page(i) for i, m in enumerate(messages)], events


@pytest.fixture(scope="module")
def bybit(tmp_path_factory, simulator):
    settings = Settings(simulator_url=simulator.root)
    hour = datetime.now(UTC).replace(minute=0, second=0, microsecond=0)
    day = hour.replace(hour=0) - timedelta(days=1)
    tmp = tmp_path_factory.mktemp("bybit_sim")
    warehouse = tmp / "w.duckdb"
    con = duckdb.connect(str(warehouse))
    ensure_bookkeeping(con)
    messages, events = _liquidation_messages(day)
    # The day's messages in one partition, and the first ten again in another (a collector file read twice).
    load_partition(con, "bybit", "liquidations", f"sim-{day:%Y-%m-%d}", messages)
    load_partition(con, "bybit", "liquidations", "sim-again", messages[:10])
    raw: dict[str, list] = {"events": events}
    for name in HOURLY + DAILY:
        window = TimeWindow(hour, hour + timedelta(hours=1)) if name in HOURLY else TimeWindow(day, day + timedelta(1))
        result = fetch_partition(dataset("bybit", name), settings, window)
        assert result.responses and not result.failures, name
        raw[name] = [json.loads(r.payload) for r in result.responses]
        # The same answers under two partition keys: a re-load must not add rows.
        load_partition(con, "bybit", name, f"sim-{window.start:%Y-%m-%d-%H}", result.responses)
        load_partition(con, "bybit", name, f"sim-again-{window.start:%Y-%m-%d-%H}", result.responses)
    con.close()
    results = run_dbt(["build", "--select", "staging.bybit"], warehouse, tmp / "target")
    assert results["_returncode"] == 0, results["_stdout"][-3000:]
    ro = duckdb.connect(str(warehouse), read_only=True)
    yield ro, raw
    ro.close()


def _rows(raw: list[dict]) -> list[tuple[dict, dict]]:
    """(result, list row) of every row of some answers."""
    return [(body["result"], row) for body in raw for row in body["result"]["list"]]


def _intervals(raw: dict) -> dict[str, float]:
    """Hours per settlement of each perpetual, from instruments-info (minutes)."""
    return {r["symbol"]: r["fundingInterval"] / 60 for _, r in _rows(raw["instruments"]) if r.get("fundingInterval")}


def test_tickers_units_by_category(bybit):
    con, raw = bybit
    staged = {
        r[0]: r
        for r in con.execute(
            "select instrument, category, is_primary, contract_type, funding_rate, funding_interval_hours, "
            "funding_apr, mark_price, oi_coin, oi_usd, price, price_kind, expiry_at from staging.stg_bybit__tickers"
        ).fetchall()
    }
    answered = _rows(raw["tickers"])
    assert len(staged) == len(answered) == len({row["symbol"] for _, row in answered})
    intervals = _intervals(raw)
    for result, row in answered:
        s = staged[row["symbol"]]
        mark, oi = float(row["markPrice"]), float(row["openInterest"])
        if result["category"] == "linear":
            assert s[1:4] == ("linear", True, "perpetual")
            assert s[8:10] == pytest.approx((oi, float(row["openInterestValue"])))
            assert s[9] == pytest.approx(oi * mark, rel=1e-3)
            assert s[10:12] == (float(row["indexPrice"]), "index")
        else:
            assert s[1:3] == ("inverse", False) and s[10:12] == (None, None)
            # Inverse: openInterest is USD; in coin at the mark.
            assert s[8:10] == pytest.approx((oi / mark, oi))
        if row["deliveryTime"] != "0":
            assert s[3:7] == ("future", None, None, None)
            assert s[12] == _ms(row["deliveryTime"])
        else:
            hours = float(row["fundingIntervalHour"])
            assert hours == intervals[row["symbol"]]
            assert s[4:7] == pytest.approx((float(row["fundingRate"]), hours, float(row["fundingRate"]) * 8760 / hours))
    assert {s[0] for s in staged.values() if s[2]} == {"BTCUSDT", "ETHUSDT", "SOLUSDT"}


def test_option_chain_expiry_strike_and_iv(bybit):
    con, raw = bybit
    listed = {r["symbol"]: r for _, r in _rows(raw["instruments"]) if r.get("optionsType")}
    answered = {row["symbol"]: row for _, row in _rows(raw["option_tickers"])}
    staged = con.execute(
        "select instrument, asset, expiry_at, strike, option_type, mark_iv, mark_price_usd, open_interest_coin, "
        "open_interest_usd, volume_usd from staging.stg_bybit__option_tickers"
    ).fetchall()
    assert len(staged) == len(answered) > 0
    for instrument, asset, expiry, strike, option_type, iv, mark, oi, oi_usd, volume_usd in staged:
        row = answered[instrument]
        coin, code, strike_text, side = instrument.split("-")
        assert asset == coin and strike == float(strike_text)
        assert option_type == {"C": "call", "P": "put"}[side] == listed[instrument]["optionsType"].lower()
        # Symbol code (e.g. 27DEC26) at 08:00 UTC is instruments-info's deliveryTime.
        assert expiry == _ms(listed[instrument]["deliveryTime"])
        assert expiry.strftime("%d%b%y").upper().lstrip("0") == code and expiry.hour == 8
        assert (iv, mark, oi) == (float(row["markIv"]), float(row["markPrice"]), float(row["openInterest"]))
        assert 0.05 < iv < 5  # a fraction, never percent
        assert oi_usd == pytest.approx(oi * float(row["indexPrice"]))
        assert volume_usd == float(row["turnover24h"])


def test_funding_settlements_use_the_listed_interval(bybit):
    con, raw = bybit
    intervals = _intervals(raw)
    answered = {
        (row["symbol"], _ms(row["fundingRateTimestamp"])): float(row["fundingRate"])
        for _, row in _rows(raw["funding_rates"])
    }
    staged = con.execute(
        "select instrument, funding_at, funding_rate, funding_interval_hours, funding_rate_8h, funding_apr, is_primary "
        "from staging.stg_bybit__funding_rates"
    ).fetchall()
    assert len(staged) == len(answered) > 0
    for instrument, at, rate, hours, rate_8h, apr, primary in staged:
        assert rate == answered[(instrument, at)]
        assert hours == intervals[instrument]
        assert (rate_8h, apr) == pytest.approx((rate * 8 / hours, rate * 8760 / hours))
        assert primary == instrument.endswith("USDT")


def test_open_interest_history_converts_with_the_candle_price(bybit):
    con, raw = bybit
    opens = {
        (result["symbol"], _ms(k[0])): float(k[1])
        for body in raw["candles_1h"]
        for result in [body["result"]]
        for k in result["list"]
    }
    staged = con.execute(
        "select instrument, category, observed_at, oi_coin, oi_usd, oi_source, open_interest_contracts "
        "from staging.stg_bybit__open_interest_histories"
    ).fetchall()
    answered = [(res["symbol"], res["category"], row) for res, row in _rows(raw["open_interest_history"])]
    assert len(staged) == len(answered) == 2 * 3 * 24  # two perps per asset, 24 hours
    by_key = {(r[0], r[2]): r for r in staged}
    for symbol, category, row in answered:
        s = by_key[(symbol, _ms(row["timestamp"]))]
        price = opens[(symbol, s[2])]  # the candle opening at the stamp
        oi = float(row["openInterest"])
        assert s[5] == "history" and s[6] == oi
        if category == "linear":
            assert s[3:5] == pytest.approx((oi, oi * price))
        else:
            assert s[3:5] == pytest.approx((oi / price, oi))


def test_long_short_ratio_shares(bybit):
    con, raw = bybit
    staged = con.execute(
        "select instrument, ratio_kind, long_share, short_share, long_short_ratio "
        "from staging.stg_bybit__long_short_ratios"
    ).fetchall()
    assert len(staged) == len(_rows(raw["long_short_ratio"])) == 2 * 3 * 24
    for _, kind, long_share, short_share, ratio in staged:
        assert kind == "accounts"
        assert long_share + short_share == pytest.approx(1.0)
        assert ratio == pytest.approx(long_share / short_share)


def test_candles_swap_coin_and_usd_between_linear_and_inverse(bybit):
    con, raw = bybit
    staged = {
        (r[0], r[1]): r[2:]
        for r in con.execute(
            "select instrument, hour_at, category, close, volume_coin, volume_usd, taker_buy_coin, is_closed "
            "from staging.stg_bybit__candles"
        ).fetchall()
    }
    answered = [(body["result"], k) for body in raw["candles_1h"] for k in body["result"]["list"]]
    assert len(staged) == len(answered) == 2 * 3 * 24
    for result, k in answered:
        category, close, coin, usd, taker, closed = staged[(result["symbol"], _ms(k[0]))]
        assert close == float(k[4]) and taker is None and closed
        volume, turnover = float(k[5]), float(k[6])
        assert (coin, usd) == ((volume, turnover) if category == "linear" else (turnover, volume))
        assert usd / coin == pytest.approx(close, rel=0.05)  # either way, USD / coin is about the price


def test_liquidations_side_is_the_liquidated_position(bybit):
    con, raw = bybit
    events = raw["events"]
    staged = con.execute(
        "select instrument, liquidated_at, position_side, price, quantity_coin, size_usd, event_key "
        "from staging.stg_bybit__liquidations order by liquidated_at, instrument"
    ).fetchall()
    assert len(staged) == len(events) > 10
    by_key = {(r[0], r[1]): r for r in staged}
    for e in events:
        instrument, at, side, price, coin, usd, _ = by_key[
            (e.symbol, e.time.replace(microsecond=e.time.microsecond // 1000 * 1000))
        ]
        # The simulator's event knows the truth: S = "Buy" was sent for a liquidated long.
        assert side == ("long" if e.is_long else "short")
        assert price == pytest.approx(e.price, rel=1e-4)
        if instrument.endswith("USD"):  # inverse: v is whole USD, so coin is v / price
            assert usd == pytest.approx(max(1, round(e.qty * e.price)), rel=1e-9)
            assert coin == pytest.approx(usd / price)
        else:  # linear: v is coin on the lot step
            step = float(sim.SPECS[e.asset].qty_step)
            assert coin == pytest.approx(max(e.qty, step), abs=step / 2 + 1e-12)
            assert usd == pytest.approx(coin * price)
    assert {r[2] for r in staged} == {"long", "short"}
