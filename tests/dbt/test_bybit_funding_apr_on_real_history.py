"""stg_bybit__funding_rates on a year of real Bybit settlements (../shared/data ZuShen168 funding set).

The set holds Bybit's settled rates as the venue returned them (`rate_raw`), the interval each one covered
(`interval_hours`: 8 h for most symbols, 4 h for some, and INJUSDT on 1 h for a week) and the annualised rate
(`rate_apr` = rate x 8760 / interval). The rows are turned back into /v5/market/funding/history pages exactly as
Bybit sends them (envelope, strings, newest first, at most 200 rows a page), loaded as raw responses, and the
staging model must find every interval from the settlement times alone and annualise with it.
"""

import json
from collections import defaultdict
from datetime import UTC, datetime

import duckdb
import numpy as np
import pytest

from ingest.envelope import RawResponse
from tests.conftest import shared_data
from tests.dbt.dbt_runner import run_dbt
from warehouse.load import load_partition
from warehouse.schema import ensure_bookkeeping, ensure_raw_table

DATA = "ZuShen168__funding_rate_data/data/funding/venue=bybit/data.parquet"
# The assets we track (USDT and USDC perpetuals), plus symbols on other intervals: 4 h all year (TIAUSDT,
# WIFUSDT, LTCPERP), 4 h then 8 h (TSLAUSDT), and 8 h with a week on 1 h (INJUSDT).
SYMBOLS = (
    "BTCUSDT",
    "ETHUSDT",
    "SOLUSDT",
    "BTCPERP",
    "ETHPERP",
    "SOLPERP",
    "TIAUSDT",
    "WIFUSDT",
    "LTCPERP",
    "TSLAUSDT",
    "INJUSDT",
)
PAGE_ROWS = 200  # Bybit's largest funding-history page
FETCHED_AT = datetime(2026, 8, 22, 1, tzinfo=UTC)


def _rate_text(rate: float) -> str:
    """Bybit prints rates as plain decimals without trailing zeros ("0.0001", "-0.00007466")."""
    return np.format_float_positional(rate, trim="-")


def _page(symbol: str, rows: list[tuple], page: int) -> RawResponse:
    """One page as Bybit sends it: the envelope, numbers and times as strings, newest first."""
    records = [
        {"symbol": symbol, "fundingRate": _rate_text(rate), "fundingRateTimestamp": str(int(ts.timestamp() * 1000))}
        for ts, rate, _, _ in rows
    ]
    envelope = {
        "retCode": 0,
        "retMsg": "OK",
        "result": {"category": "linear", "list": records, "nextPageCursor": ""},
        "retExtInfo": {},
        "time": 1787360400000,
    }
    body = json.dumps(envelope, separators=(",", ":"))
    params = {"category": "linear", "symbol": symbol, "limit": PAGE_ROWS}
    return RawResponse("bybit", "funding_rates", "/v5/market/funding/history", params, 200, FETCHED_AT, body, page)


@pytest.fixture(scope="module")
def staged(tmp_path_factory):
    source = shared_data(DATA)
    con = duckdb.connect()
    con.execute("set timezone = 'UTC'")
    real = con.execute(
        "select venue_symbol, settlement_ts, rate_raw, interval_hours, rate_apr from read_parquet(?) "
        "where venue_symbol in (select unnest(?)) order by venue_symbol, settlement_ts desc",
        [str(source), list(SYMBOLS)],
    ).fetchall()
    con.close()
    by_symbol: dict[str, list[tuple]] = defaultdict(list)
    for symbol, ts, rate, interval, apr in real:
        by_symbol[symbol].append((ts, rate, interval, apr))

    # One partition per symbol, its history in pages of 200 newest first, as a backfill pages backwards.
    tmp = tmp_path_factory.mktemp("bybit_funding_real")
    warehouse = tmp / "w.duckdb"
    wcon = duckdb.connect(str(warehouse))
    ensure_bookkeeping(wcon)
    ensure_raw_table(wcon, "bybit", "instruments")  # the model's interval fallback reads instruments-info
    first_pages = []
    for symbol, rows in by_symbol.items():
        pages = [_page(symbol, rows[i : i + PAGE_ROWS], n) for n, i in enumerate(range(0, len(rows), PAGE_ROWS))]
        load_partition(wcon, "bybit", "funding_rates", f"history-{symbol}", pages)
        first_pages.append(pages[0].with_page(len(first_pages)))
    # The newest page of every symbol fetched again into another partition: the repeats must collapse.
    load_partition(wcon, "bybit", "funding_rates", "refetch", first_pages)
    wcon.close()

    results = run_dbt(["build", "--select", "+stg_bybit__funding_rates"], warehouse, tmp / "target")
    assert results["_returncode"] == 0, results["_stdout"][-3000:]
    ro = duckdb.connect(str(warehouse), read_only=True)
    ro.execute("set timezone = 'UTC'")
    staged_rows = ro.execute(
        "select instrument, funding_at, asset, is_primary, funding_rate, funding_interval_hours, funding_rate_8h, "
        "funding_apr from staging.stg_bybit__funding_rates"
    ).fetchall()
    ro.close()
    return {(row[0], row[1]): row[2:] for row in staged_rows}, by_symbol, len(real)


def test_every_real_settlement_is_staged_once(staged):
    rows, by_symbol, real_count = staged
    assert len(rows) == real_count
    assert sorted(by_symbol) == sorted(SYMBOLS)
    # A year of 8-hourly settlements is 1095 per symbol; the 4 h symbols settle twice as often.
    assert len(by_symbol["BTCUSDT"]) == 1095 and len(by_symbol["TIAUSDT"]) == 2190


def test_funding_apr_and_interval_match_the_real_set(staged):
    rows, by_symbol, _ = staged
    exceptions = []
    for symbol, history in by_symbol.items():
        for ts, rate, interval, apr in history:
            _, _, staged_rate, staged_interval, _, staged_apr = rows[(symbol, ts)]
            assert staged_rate == pytest.approx(rate, rel=1e-12, abs=1e-15)
            if interval is None:
                exceptions.append((symbol, ts, staged_interval, staged_apr, rate))
                continue
            assert staged_interval == interval, (symbol, ts)
            assert staged_apr == pytest.approx(apr, rel=1e-9, abs=1e-12), (symbol, ts)
    # The one legitimate exception: INJUSDT's settlement at 2026-02-27 00:00, the first after its week on 1 h,
    # came 6 h after the previous one (18:00), which is no Bybit interval; the set leaves its interval empty.
    # The model takes the gap to the next settlement (8 h, the interval INJUSDT returned to).
    assert len(exceptions) == 1
    symbol, ts, staged_interval, staged_apr, rate = exceptions[0]
    assert (symbol, ts) == ("INJUSDT", datetime(2026, 2, 27, tzinfo=UTC))
    assert staged_interval == 8.0
    assert staged_apr == pytest.approx(rate * 8760 / 8, rel=1e-12)


def test_interval_switches_are_followed(staged):
    rows, _, _ = staged
    inj = "INJUSDT"
    # 16:00 closed an 8 h interval; 17:00 was the first 1 h settlement: -0.00368432 x 8760 / 1 = -32.27 a year.
    assert rows[(inj, datetime(2026, 2, 19, 16, tzinfo=UTC))][3] == 8.0
    assert rows[(inj, datetime(2026, 2, 19, 17, tzinfo=UTC))][3] == 1.0
    assert rows[(inj, datetime(2026, 2, 19, 17, tzinfo=UTC))][5] == pytest.approx(-0.00368432 * 8760)
    assert rows[(inj, datetime(2026, 2, 19, 17, tzinfo=UTC))][4] == pytest.approx(-0.00368432 * 8)
    # TSLAUSDT listed on 4 h (its first settlement has no predecessor: the gap to the next, 4 h), then 8 h.
    assert rows[("TSLAUSDT", datetime(2026, 4, 21, 12, tzinfo=UTC))][3] == 4.0
    assert rows[("TSLAUSDT", datetime(2026, 4, 22, 0, tzinfo=UTC))][3] == 8.0


def test_assets_and_the_flagship_perpetual(staged):
    rows, _, _ = staged
    at = datetime(2025, 8, 22, 8, tzinfo=UTC)
    assert rows[("BTCUSDT", at)][:2] == ("BTC", True)
    assert rows[("BTCPERP", at)][:2] == ("BTC", False)  # the USDC perpetual is secondary
    assert rows[("SOLPERP", at)][:2] == ("SOL", False)
    assert rows[("LTCPERP", at)][:2] == ("LTC", False)
