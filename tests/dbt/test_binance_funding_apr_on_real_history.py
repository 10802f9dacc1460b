"""stg_binance__funding_rates on a year of real Binance funding history (../shared/data, ZuShen168's
funding_rate_data: 36 USD-M symbols, 2025-08-21 .. 2026-08-21, 8 h and 4 h intervals, with the symbols' switch
between them). Its rows are turned back into /fapi/v1/fundingRate pages exactly as Binance sends them
([{"symbol","fundingTime","fundingRate","markPrice"}], ascending, at most 1000 rows a page), landed as raw
rows, and staged. Every settlement must come out with the file's interval and its APR (rate x 8760 / interval),
which the file computed independently from Binance's own data.

The file holds no 1 h symbol (interval_hours is 4 or 8 only); the 1 h case is covered by the model's unit test
(_binance__models.yml) and by the simulator test (INJUSDT)."""

import json
from collections import defaultdict
from datetime import UTC, datetime
from math import isclose

import duckdb
import pytest

from ingest.envelope import RawResponse
from ingest.registry import DATASETS
from tests.conftest import shared_data
from tests.dbt.dbt_runner import run_dbt
from warehouse.load import load_partition
from warehouse.schema import ensure_bookkeeping, ensure_raw_table

HISTORY = "ZuShen168__funding_rate_data/data/funding/venue=binance/data.parquet"
PAGE_LIMIT = 1000
FETCHED_AT = datetime(2026, 8, 22, tzinfo=UTC)
# Symbols whose interval is 4 h in the file (ORDI, TIA and WIF switch to 8 h once, on 2026-06-24).
FOUR_HOUR_SYMBOLS = {"ORDIUSDC", "ORDIUSDT", "TIAUSDC", "TIAUSDT", "TONUSDT", "WIFUSDC", "WIFUSDT"}


def _history() -> list[tuple]:
    path = shared_data(HISTORY)
    con = duckdb.connect()
    try:
        return con.execute(
            "select venue_symbol, epoch_ms(settlement_ts), rate_raw, interval_hours, rate_apr, mark_price "
            f"from read_parquet('{path}') order by venue_symbol, settlement_ts"
        ).fetchall()
    finally:
        con.close()


def _pages(rows: list[tuple]) -> dict[str, list[RawResponse]]:
    """One raw partition per symbol, its settlements paged as Binance pages them (ascending, <= 1000)."""
    by_symbol = defaultdict(list)
    for symbol, ms, rate, _, _, mark in rows:
        # Binance's wire format: rates with 8 decimals, numbers as strings, times as integer ms.
        by_symbol[symbol].append(
            {"symbol": symbol, "fundingTime": ms, "fundingRate": f"{rate:.8f}", "markPrice": f"{mark:.8f}"}
        )
    partitions = {}
    for symbol, records in by_symbol.items():
        pages = []
        for page, start in enumerate(range(0, len(records), PAGE_LIMIT)):
            chunk = records[start : start + PAGE_LIMIT]
            params = {"symbol": symbol, "startTime": chunk[0]["fundingTime"], "limit": PAGE_LIMIT}
            body = json.dumps(chunk, separators=(",", ":"))
            pages.append(
                RawResponse("binance", "funding_rates", "/fapi/v1/fundingRate", params, 200, FETCHED_AT, body, page)
            )
        partitions[f"real-{symbol}"] = pages
    return partitions


@pytest.fixture(scope="module")
def compared(tmp_path_factory):
    history = _history()
    tmp = tmp_path_factory.mktemp("binance_real_history")
    warehouse = tmp / "w.duckdb"
    con = duckdb.connect(str(warehouse))
    ensure_bookkeeping(con)
    for spec in DATASETS:
        ensure_raw_table(con, spec.venue, spec.dataset)
    for key, pages in _pages(history).items():
        load_partition(con, "binance", "funding_rates", key, pages)
    con.close()
    results = run_dbt(["build", "--select", "+stg_binance__funding_rates"], warehouse, tmp / "target")
    assert results["_returncode"] == 0, results["_stdout"][-3000:]
    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        staged = con.execute(
            "select instrument, epoch_ms(funding_at), asset, is_primary, funding_rate, funding_interval_hours, "
            "funding_rate_8h, funding_apr, mark_price from staging.stg_binance__funding_rates"
        ).fetchall()
    finally:
        con.close()
    return history, {(r[0], r[1]): r[2:] for r in staged}


def test_every_real_settlement_is_staged_once(compared):
    history, staged = compared
    assert len(history) == 46_726  # the file's row count: a different file would need its own look
    assert set(staged) == {(symbol, ms) for symbol, ms, *_ in history}


def test_interval_and_apr_match_the_real_history_for_every_row(compared):
    history, staged = compared
    matched, four_hour = 0, 0
    mismatches = []
    for symbol, ms, rate, interval, apr, mark in history:
        asset, is_primary, s_rate, s_interval, s_rate_8h, s_apr, s_mark = staged[(symbol, ms)]
        ok = (
            s_interval == interval
            and isclose(s_apr, apr, rel_tol=1e-9, abs_tol=1e-15)
            and isclose(s_rate, rate, rel_tol=1e-12)
            and isclose(s_rate_8h, rate * 8 / interval, rel_tol=1e-9, abs_tol=1e-15)
            and isclose(s_mark, mark, rel_tol=1e-12)
        )
        if ok:
            matched += 1
            four_hour += interval == 4
        else:
            mismatches.append((symbol, ms, interval, apr, s_interval, s_apr))
    # No row legitimately differs: even each series' first settlement (no previous gap) takes its interval from
    # the gap to the next one, and the 4 h symbols' one 8 h gap (2026-06-24 00:00 -> 08:00) is 8 h in the file.
    assert mismatches == []
    assert matched == 46_726
    assert four_hour == 14_965  # the file's 4 h rows, every one annualised x 2190, not x 1095


def test_hand_checked_rows(compared):
    _, staged = compared
    # BTCUSDT 2025-08-21 08:00 UTC: 0.00007757 per 8 h -> APR 0.00007757 x 1095 = 0.08493915.
    btc = staged[("BTCUSDT", 1755763200000)]
    assert btc[:4] == ("BTC", True, pytest.approx(0.00007757), 8.0)
    assert btc[5] == pytest.approx(0.08493915, rel=1e-12)
    # ORDIUSDT 2026-06-22 04:00 UTC: -0.00005695 per 4 h -> 8 h rate -0.0001139, APR x 2190 = -0.1247205.
    ordi = staged[("ORDIUSDT", 1782100800000)]
    assert ordi[:4] == ("ORDI", True, pytest.approx(-0.00005695), 4.0)
    assert ordi[4] == pytest.approx(-0.0001139, rel=1e-12) and ordi[5] == pytest.approx(-0.1247205, rel=1e-12)
    # The settlement after ORDI's missing 04:00 one covers 8 h (2026-06-24 00:00 -> 08:00): x 1095.
    gap = staged[("ORDIUSDT", 1782288000005)]
    assert gap[3] == 8.0 and gap[5] == pytest.approx(0.00003873 * 1095, rel=1e-12)
    # USDC-margined perpetuals are secondary: the USDT one is the flagship.
    assert staged[("BTCUSDC", 1755763200000)][:2] == ("BTC", False)


def test_the_four_hour_symbols(compared):
    history, staged = compared
    symbols = {symbol for (symbol, _), row in staged.items() if row[3] == 4}
    assert symbols == FOUR_HOUR_SYMBOLS
    assert {symbol for symbol, *_ in history} >= {"BTCUSDT", "ETHUSDT", "SOLUSDT"}
