"""The option marts on two real Deribit chains (BTC and ETH, 2021-02-09, ../shared/data/bottama__Deribit-Option-Data):
max pain and put/call ratios per expiry and overall, checked against a plain-Python computation from the CSV.

The CSV rows are flattened public/ticker answers; the test turns each chain into the get_book_summary_by_currency
answer the ingest stores (one JSON-RPC response per currency), loads it as a raw partition and runs dbt on it.
"""

import csv
import json
from collections import defaultdict
from datetime import UTC, datetime, timedelta
from fractions import Fraction

import duckdb
import pytest

from ingest.envelope import RawResponse
from ingest.registry import DATASETS
from tests.conftest import shared_data
from tests.dbt.dbt_runner import run_dbt
from warehouse.load import load_partition
from warehouse.schema import ensure_bookkeeping, ensure_raw_table

FOLDER = "bottama__Deribit-Option-Data/csv_files_initial_30efbf6"
CHAINS = {"BTC": "btc_option_data.csv", "ETH": "eth_option_data.csv"}


def _number(text: str) -> float | None:
    return float(text) if text not in ("", "nan") else None


def _read_chain(asset: str) -> list[dict]:
    with shared_data(f"{FOLDER}/{CHAINS[asset]}").open(newline="") as f:
        return list(csv.DictReader(f))


def _book_summary(rows: list[dict]) -> str:
    """The ticker rows as one get_book_summary_by_currency(kind=option) answer (book-summary field names)."""
    result = []
    for r in rows:
        record = {
            "instrument_name": r["instrument_name"],
            "base_currency": r["instrument_name"].split("-")[0],
            "quote_currency": r["instrument_name"].split("-")[0],
            "open_interest": _number(r["open_interest"]),
            "volume": _number(r["stats.volume"]),
            "mark_price": _number(r["mark_price"]),
            "mark_iv": _number(r["mark_iv"]),
            "bid_price": _number(r["best_bid_price"]),
            "ask_price": _number(r["best_ask_price"]),
            "underlying_price": _number(r["underlying_price"]),
            "underlying_index": r["underlying_index"],
            "estimated_delivery_price": _number(r["estimated_delivery_price"]),
            "interest_rate": _number(r["interest_rate"]),
            "creation_timestamp": int(r["timestamp"]),
        }
        result.append({k: v for k, v in record.items() if v is not None})
    return json.dumps({"jsonrpc": "2.0", "result": result, "usIn": 0, "usOut": 0, "usDiff": 0, "testnet": False})


def _fetched_at(rows: list[dict]) -> datetime:
    """One instant per answer, as the ingest stores it: just after the last ticker of the chain."""
    return datetime.fromtimestamp(max(int(r["timestamp"]) for r in rows) / 1000, UTC).replace(microsecond=0) + (
        timedelta(seconds=1)
    )


def _expiry(instrument: str) -> datetime:
    """BTC-24SEP21-7000-P -> 2021-09-24 08:00 UTC (Deribit delivers at 08:00)."""
    return datetime.strptime(instrument.split("-")[1], "%d%b%y").replace(hour=8, tzinfo=UTC)


def _expected(rows: list[dict]) -> dict:
    """Per expiry: max pain (exact arithmetic, ties to the lower strike), PCR by OI and by volume, ATM IV."""
    by_expiry = defaultdict(list)
    for r in rows:
        _, _, strike, cp = r["instrument_name"].split("-")
        by_expiry[_expiry(r["instrument_name"])].append(
            {
                "strike": Fraction(strike),
                "type": cp,
                "oi": Fraction(r["open_interest"]),
                "volume": _number(r["stats.volume"]),
                "iv": _number(r["mark_iv"]),
                "underlying": float(r["underlying_price"]),
            }
        )
    out = {}
    for expiry, options in by_expiry.items():
        strikes = sorted({o["strike"] for o in options})
        payout = {
            k: sum(
                o["oi"] * max(0, k - o["strike"]) if o["type"] == "C" else o["oi"] * max(0, o["strike"] - k)
                for o in options
            )
            for k in strikes
        }
        call_oi = sum(o["oi"] for o in options if o["type"] == "C")
        put_oi = sum(o["oi"] for o in options if o["type"] == "P")
        reported = [o for o in options if o["volume"] is not None]
        call_vol = sum(o["volume"] for o in reported if o["type"] == "C") if reported else None
        put_vol = sum(o["volume"] for o in reported if o["type"] == "P") if reported else None
        underlying = sum(o["underlying"] for o in options) / len(options)
        atm = min((o["strike"] for o in options if o["iv"] is not None), key=lambda k: (abs(float(k) - underlying), k))
        atm_ivs = [o["iv"] / 100 for o in options if o["strike"] == atm and o["iv"] is not None]
        out[expiry] = {
            # min over (payout, strike): an exact tie goes to the lower strike.
            "max_pain": float(min(strikes, key=lambda k: (payout[k], k))) if call_oi + put_oi > 0 else None,
            "call_oi": call_oi,
            "put_oi": put_oi,
            "pcr_oi": float(put_oi / call_oi) if call_oi else None,
            "pcr_volume": put_vol / call_vol if call_vol else None,
            "atm_strike": float(atm),
            "atm_iv": sum(atm_ivs) / len(atm_ivs),
        }
    return out


@pytest.fixture(scope="module")
def chains():
    return {asset: _read_chain(asset) for asset in CHAINS}


@pytest.fixture(scope="module")
def marts(chains, tmp_path_factory):
    tmp = tmp_path_factory.mktemp("deribit_chains")
    warehouse = tmp / "w.duckdb"
    con = duckdb.connect(str(warehouse))
    ensure_bookkeeping(con)
    for spec in DATASETS:
        ensure_raw_table(con, spec.venue, spec.dataset)
    # One hourly partition holding one answer per currency, as the ingest pages them.
    responses = [
        RawResponse(
            "deribit",
            "book_summary_options",
            "/api/v2/public/get_book_summary_by_currency",
            {"currency": asset, "kind": "option"},
            200,
            _fetched_at(rows),
            _book_summary(rows),
            page,
        )
        for page, (asset, rows) in enumerate(chains.items())
    ]
    load_partition(con, "deribit", "book_summary_options", "2021-02-09-13:00", responses)
    con.close()
    # cautious: leave out tests that also need models outside the selection (the dim_instruments checks).
    results = run_dbt(
        ["build", "--select", "+fct_option_summary", "--indirect-selection", "cautious"], warehouse, tmp / "target"
    )
    assert results["_returncode"] == 0, results["_stdout"][-3000:]
    con = duckdb.connect(str(warehouse), read_only=True)
    yield con
    con.close()


def _by_expiry(marts, asset: str) -> dict:
    rows = marts.execute(
        "select expiry_at, max_pain_strike, call_oi_coin, put_oi_coin, pcr_oi, pcr_volume, atm_strike, atm_iv "
        "from marts.fct_option_expiries where exchange = 'deribit' and asset = ?",
        [asset],
    ).fetchall()
    keys = ("max_pain", "call_oi", "put_oi", "pcr_oi", "pcr_volume", "atm_strike", "atm_iv")
    return {r[0].astimezone(UTC): dict(zip(keys, r[1:], strict=True)) for r in rows}


@pytest.mark.parametrize("asset", ["BTC", "ETH"])
def test_every_instrument_of_the_chain_reaches_the_chain_mart(marts, chains, asset):
    count = marts.execute("select count(*) from marts.fct_option_chain where asset = ?", [asset]).fetchone()[0]
    assert count == len(chains[asset]) > 500


@pytest.mark.parametrize("asset", ["BTC", "ETH"])
def test_max_pain_per_expiry_matches_the_plain_python_computation(marts, chains, asset):
    expected = _expected(chains[asset])
    actual = _by_expiry(marts, asset)
    assert set(actual) == set(expected)
    assert {e: a["max_pain"] for e, a in actual.items()} == {e: x["max_pain"] for e, x in expected.items()}
    # Not a degenerate comparison: most expiries have a max pain, and they are not all the same strike.
    pains = [x["max_pain"] for x in expected.values() if x["max_pain"] is not None]
    assert len(pains) >= 6 and len(set(pains)) >= 3


@pytest.mark.parametrize("asset", ["BTC", "ETH"])
def test_put_call_ratios_per_expiry_match(marts, chains, asset):
    expected = _expected(chains[asset])
    actual = _by_expiry(marts, asset)
    for expiry, x in expected.items():
        a = actual[expiry]
        for key in ("pcr_oi", "pcr_volume"):
            if x[key] is None:
                assert a[key] is None, (expiry, key)
            else:
                assert a[key] == pytest.approx(x[key], abs=1e-12, rel=0), (expiry, key)
        assert a["call_oi"] == pytest.approx(float(x["call_oi"]), abs=1e-9)
        assert a["put_oi"] == pytest.approx(float(x["put_oi"]), abs=1e-9)


@pytest.mark.parametrize("asset", ["BTC", "ETH"])
def test_overall_put_call_ratio_and_nearest_max_pain(marts, chains, asset):
    expected = _expected(chains[asset])
    call_oi = sum(x["call_oi"] for x in expected.values())
    put_oi = sum(x["put_oi"] for x in expected.values())
    observed_at = _fetched_at(chains[asset])
    nearest = min(e for e in expected if e > observed_at)
    row = marts.execute(
        "select observed_at, pcr_oi, expiry_count, nearest_expiry_at, nearest_max_pain_strike "
        "from marts.fct_option_summary where exchange = 'deribit' and asset = ?",
        [asset],
    ).fetchall()
    assert len(row) == 1
    at, pcr_oi, expiry_count, nearest_at, nearest_pain = row[0]
    assert at == observed_at
    assert pcr_oi == pytest.approx(float(put_oi / call_oi), abs=1e-12, rel=0)
    assert expiry_count == len(expected)
    assert nearest_at == nearest
    assert nearest_pain == expected[nearest]["max_pain"]


@pytest.mark.parametrize("asset", ["BTC", "ETH"])
def test_atm_iv_is_the_mean_of_call_and_put_at_the_strike_nearest_the_forward(marts, chains, asset):
    expected = _expected(chains[asset])
    actual = _by_expiry(marts, asset)
    for expiry, x in expected.items():
        assert actual[expiry]["atm_strike"] == x["atm_strike"], expiry
        assert actual[expiry]["atm_iv"] == pytest.approx(x["atm_iv"], abs=1e-12, rel=0), expiry
