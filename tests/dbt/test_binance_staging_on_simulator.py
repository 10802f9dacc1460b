"""The Binance staging models on the simulator's answers: every Binance dataset fetched through ingest/ for a
settled past day (histories) and the current hour (snapshots), landed as raw rows, staged with one dbt build.
Expected values are derived here from the raw bodies (Binance's documented units), not read off the models:
USD-M open interest valued at the same hour's premiumIndex mark, COIN-M contracts x contractSize USD, funding
annualised with the real interval, taker sell = volume - taker buy. Liquidations come from the simulator's own
forceOrder builder (the stream is not fetched over HTTP), with a hand-made tape."""

import json
from datetime import UTC, datetime, timedelta

import duckdb
import pytest

from ingest.config import Settings
from ingest.envelope import RawResponse
from ingest.registry import DATASETS, Cadence, fetch_partition
from ingest.streams.loader import DATASET as STREAM_DATASET
from ingest.streams.loader import WS_STATUS
from ingest.streams.specs import BINANCE as BINANCE_STREAM
from ingest.windows import TimeWindow
from simulator import flow
from simulator.clock import SimClock
from simulator.context import SimContext
from simulator.market import Market
from simulator.venues import binance_ws
from tests.dbt.dbt_runner import run_dbt
from warehouse.load import load_partition
from warehouse.schema import ensure_bookkeeping, ensure_raw_table

ASSETS = ("BTC", "ETH", "SOL")
PAST_DAY = datetime.now(UTC).replace(hour=0, minute=0, second=0, microsecond=0) - timedelta(days=3)


def _liquidation_messages() -> list[str]:
    """forceOrder messages as the simulator pushes them: a long liquidated on BTCUSDT (2 BTC at 90 000) and a
    short on ETHUSD_PERP (5 ETH at 3 000, i.e. 1500 contracts of 10 USD), the latter wrapped as a combined
    stream (/stream?streams=) wraps it."""
    now = datetime.now(UTC).replace(microsecond=0)
    market = Market(history_start=now - timedelta(days=2), horizon=now + timedelta(days=2), episodes=[])
    ctx = SimContext(market=market, clock=SimClock(now, 0.0))
    t0 = now - timedelta(minutes=10)
    tape = {
        "BTC": [flow.Liquidation(t0, "binance", "BTCUSDT", "BTC", True, 90_000.0, 2.0, 0)],
        "ETH": [flow.Liquidation(t0, "binance", "ETHUSD_PERP", "ETH", False, 3_000.0, 5.0, 0)],
        "SOL": [],
    }
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(binance_ws.flow, "liquidations", lambda m, asset, s, e, venue=None: tape[asset])
        usdm = [binance_ws.force_order(ctx, c, liq) for c, liq in binance_ws.snapshot(ctx, False, t0, now)]
        coinm = [binance_ws.force_order(ctx, c, liq) for c, liq in binance_ws.snapshot(ctx, True, t0, now)]
    assert [e["o"]["s"] for e in usdm + coinm] == ["BTCUSDT", "ETHUSD_PERP"]
    return [json.dumps(usdm[0]), json.dumps({"stream": "!forceOrder@arr", "data": coinm[0]})]


@pytest.fixture(scope="module")
def staged(simulator, tmp_path_factory):
    from ingest.ratelimit import reset_shared

    simulator.reset()
    simulator.set_limits({})
    reset_shared()
    settings = Settings(assets=ASSETS, simulator_url=simulator.root)
    hour = datetime.now(UTC).replace(minute=0, second=0, microsecond=0)
    day = TimeWindow(PAST_DAY, PAST_DAY + timedelta(days=1))
    tmp = tmp_path_factory.mktemp("sim_binance")
    warehouse = tmp / "w.duckdb"
    con = duckdb.connect(str(warehouse))
    ensure_bookkeeping(con)
    for spec in DATASETS:
        ensure_raw_table(con, spec.venue, spec.dataset)
    ensure_raw_table(con, "binance", STREAM_DATASET)
    raw = {}
    for spec in DATASETS:
        if spec.venue != "binance":
            continue
        history = spec.cadence == Cadence.DAILY_HISTORY
        window = day if history else TimeWindow(hour, hour + timedelta(hours=1))
        result = fetch_partition(spec, settings, window)
        key = f"{window.start:%Y-%m-%d}" if history else f"{window.start:%Y-%m-%d-%H:%M}"
        load_partition(con, "binance", spec.dataset, key, result.responses)
        raw[spec.dataset] = result.responses
    # The same day of funding landed again under another partition: still one row per settlement.
    load_partition(con, "binance", "funding_rates", "again", raw["funding_rates"])
    liquidations = [
        RawResponse("binance", STREAM_DATASET, BINANCE_STREAM.path, {}, WS_STATUS, hour, m, i, "simulator")
        for i, m in enumerate(_liquidation_messages())
    ]
    load_partition(con, "binance", STREAM_DATASET, f"{hour:%Y-%m-%d-%H:%M}", liquidations)
    con.close()
    results = run_dbt(["build", "--select", "staging.binance"], warehouse, tmp / "target")
    assert results["_returncode"] == 0, results["_stdout"][-3000:]
    con = duckdb.connect(str(warehouse), read_only=True)
    bodies = {dataset: [(r.endpoint, r.params, json.loads(r.payload)) for r in rs] for dataset, rs in raw.items()}
    yield con, bodies
    con.close()


def _rows(con, sql: str) -> list[tuple]:
    return con.execute(sql).fetchall()


def test_funding_history_is_annualised_with_the_interval_and_deduplicated(staged):
    con, bodies = staged
    raw = {
        (r["symbol"], r["fundingTime"]): float(r["fundingRate"]) for *_, page in bodies["funding_rates"] for r in page
    }
    assert len(raw) == 9  # 3 assets x 3 settlements of 8 h in the day
    rows = _rows(
        con,
        "select instrument, epoch_ms(funding_at), is_primary, funding_interval_hours, funding_rate_8h, funding_apr "
        "from staging.stg_binance__funding_rates",
    )
    assert len(rows) == 9  # the day was landed twice
    for symbol, ms, is_primary, interval, rate_8h, apr in rows:
        rate = raw[(symbol, ms)]
        assert (is_primary, interval) == (True, 8)
        assert rate_8h == pytest.approx(rate, abs=1e-15) and apr == pytest.approx(rate * 1095, abs=1e-12)
    coinm = _rows(
        con,
        "select count(*), count(distinct instrument), bool_or(is_primary), min(funding_interval_hours), "
        "max(funding_interval_hours) from staging.stg_binance__coinm_funding_rates",
    )
    assert coinm == [(9, 3, False, 8, 8)]


def test_premium_index_carries_the_open_period_funding(staged):
    con, bodies = staged
    for *_, body in bodies["premium_index"]:
        row = _rows(
            con,
            "select asset, is_primary, contract_type, funding_rate, funding_interval_hours, funding_apr, "
            "next_funding_at, mark_price, index_price from staging.stg_binance__premium_indexes "
            f"where instrument = '{body['symbol']}'",
        )
        rate = float(body["lastFundingRate"])
        asset, is_primary, kind, s_rate, interval, apr, next_at, mark, index = row[0]
        assert (asset, is_primary, kind, interval) == (body["symbol"].removesuffix("USDT"), True, "perpetual", 8)
        assert s_rate == pytest.approx(rate) and apr == pytest.approx(rate * 8760 / 8)
        assert next_at == datetime.fromtimestamp(body["nextFundingTime"] / 1000, tz=UTC)
        assert (mark, index) == (float(body["markPrice"]), float(body["indexPrice"]))


def test_usdm_open_interest_is_valued_at_the_snapshot_mark(staged):
    con, bodies = staged
    marks = {body["symbol"]: float(body["markPrice"]) for *_, body in bodies["premium_index"]}
    for *_, body in bodies["open_interest"]:
        ((oi_coin, oi_usd, source),) = _rows(
            con,
            "select oi_coin, oi_usd, oi_source from staging.stg_binance__open_interests "
            f"where instrument = '{body['symbol']}'",
        )
        coins = float(body["openInterest"])
        assert (oi_coin, source) == (coins, "snapshot")
        assert oi_usd == pytest.approx(coins * marks[body["symbol"]], rel=1e-12)


def test_coinm_open_interest_converts_contracts(staged):
    con, bodies = staged
    marks = {r["symbol"]: float(r["markPrice"]) for *_, page in bodies["coinm_premium_index"] for r in page}
    assert len(bodies["coinm_open_interest"]) == 9  # 3 perpetuals and 6 delivery contracts
    for *_, body in bodies["coinm_open_interest"]:
        symbol, contracts = body["symbol"], float(body["openInterest"])
        usd = contracts * (100 if symbol.startswith("BTC") else 10)  # contractSize USD per contract
        ((oi_usd, oi_coin, kind, is_primary),) = _rows(
            con,
            "select oi_usd, oi_coin, contract_type, is_primary from staging.stg_binance__coinm_open_interests "
            f"where instrument = '{symbol}'",
        )
        assert oi_usd == usd and oi_coin == pytest.approx(usd / marks[symbol], rel=1e-12)
        assert kind == ("perpetual" if symbol.endswith("_PERP") else "future") and is_primary is False


def test_coinm_delivery_contracts_have_an_expiry_and_no_funding(staged):
    con, bodies = staged
    records = [r for *_, page in bodies["coinm_premium_index"] for r in page]
    assert len(records) == 9
    for r in records:
        ((kind, expiry, rate, interval, next_at),) = _rows(
            con,
            "select contract_type, expiry_at, funding_rate, funding_interval_hours, next_funding_at "
            f"from staging.stg_binance__coinm_premium_indexes where instrument = '{r['symbol']}'",
        )
        if r["symbol"].endswith("_PERP"):
            assert (kind, expiry, interval) == ("perpetual", None, 8)
            assert rate == pytest.approx(float(r["lastFundingRate"]))
            assert next_at == datetime.fromtimestamp(r["nextFundingTime"] / 1000, tz=UTC)
        else:
            yymmdd = r["symbol"].split("_")[1]
            delivery = datetime.strptime(yymmdd, "%y%m%d").replace(hour=8, tzinfo=UTC)
            assert (kind, expiry, rate, interval, next_at) == ("future", delivery, None, None, None)


def test_candles_split_taker_volume(staged):
    con, bodies = staged
    raw = {
        (params["symbol"], k[0]): (float(k[5]), float(k[9])) for _, params, page in bodies["klines_1h"] for k in page
    }
    assert len(raw) == 72  # 24 closed hours x 3 perpetuals
    rows = _rows(
        con,
        "select instrument, epoch_ms(hour_at), volume_coin, taker_buy_coin, taker_sell_coin, low, high, close, "
        "volume_usd from staging.stg_binance__candles",
    )
    assert len(rows) == 72
    for symbol, ms, volume, buy, sell, low, high, close, volume_usd in rows:
        assert (volume, buy) == raw[(symbol, ms)]
        assert sell == pytest.approx(volume - buy) and sell >= 0
        assert low <= close <= high and low * 0.999 <= volume_usd / volume <= high * 1.001


def test_long_short_ratios(staged):
    con, _ = staged
    rows = _rows(
        con,
        "select ratio_kind, count(*), count(distinct instrument), max(abs(long_share + short_share - 1)), "
        "max(abs(long_share / short_share / long_short_ratio - 1)) from staging.stg_binance__long_short_ratios "
        "group by 1 order by 1",
    )
    # Two endpoints are collected; their rows are identical in shape, the endpoint names the kind.
    assert [r[:3] for r in rows] == [("accounts", 72, 3), ("top_positions", 72, 3)]
    assert all(r[3] < 1e-3 and r[4] < 5e-3 for r in rows)  # 4-decimal shares


def test_open_interest_history_matches_the_hours_price(staged):
    con, _ = staged
    ((count, worst),) = _rows(
        con,
        "select count(*), max(abs(h.oi_usd / h.oi_coin / c.open - 1)) "
        "from staging.stg_binance__open_interest_histories h "
        "join staging.stg_binance__candles c on c.instrument = h.instrument and c.hour_at = h.observed_at "
        "where h.oi_source = 'history' and h.is_primary",
    )
    assert count == 72 and worst < 1e-3  # sumOpenInterestValue / sumOpenInterest is the hour's price


def test_spot_prices(staged):
    con, bodies = staged
    rows = _rows(con, "select asset, price, price_kind from staging.stg_binance__spot_prices order by asset")
    expected = sorted((body["symbol"].removesuffix("USDT"), float(body["price"])) for *_, body in bodies["spot_prices"])
    assert [(a, p) for a, p, _ in rows] == expected and {k for *_, k in rows} == {"spot"}


def test_liquidations_from_the_simulators_stream(staged):
    con, _ = staged
    rows = _rows(
        con,
        "select instrument, asset, position_side, order_side, price, quantity_coin, size_usd, liquidation_source "
        "from staging.stg_binance__liquidations order by instrument",
    )
    assert rows == [
        # SELL order = a long liquidated; 2 BTC at the 90 000 fill.
        ("BTCUSDT", "BTC", "long", "SELL", 90_000.0, 2.0, 180_000.0, "websocket"),
        # BUY order = a short liquidated; 1500 contracts x 10 USD / 3 000 = 5 ETH.
        ("ETHUSD_PERP", "ETH", "short", "BUY", 3_000.0, 5.0, 15_000.0, "websocket"),
    ]
