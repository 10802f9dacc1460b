from datetime import UTC, datetime

import duckdb
import pytest

from ingest.envelope import RawResponse
from warehouse.load import load_partition, record_failure


def _resp(page: int, body: str, day: str = "2026-01-01") -> RawResponse:
    return RawResponse(
        venue="binance",
        dataset="funding_rates",
        endpoint="/fapi/v1/fundingRate",
        params={"symbol": "BTCUSDT", "day": day},
        http_status=200,
        fetched_at=datetime(2026, 1, 2, tzinfo=UTC),
        payload=body,
        page=page,
        data_mode="simulator",
    )


def _state(con):
    return con.execute(
        "select partition_key, count(*), string_agg(payload_sha256, ',' order by page) "
        "from raw.binance__funding_rates group by 1 order by 1"
    ).fetchall()


def test_reloading_a_partition_replaces_it_and_order_does_not_matter(tmp_path):
    con = duckdb.connect(str(tmp_path / "w.duckdb"))
    p = [_resp(0, '[{"a":1}]'), _resp(1, '[{"a":2}]')]
    q = [_resp(0, '[{"b":1}]', "2026-01-02")]
    load_partition(con, "binance", "funding_rates", "2026-01-01", p)
    first = _state(con)
    result = load_partition(con, "binance", "funding_rates", "2026-01-01", p)
    assert result.replaced_rows == 2
    assert _state(con) == first
    load_partition(con, "binance", "funding_rates", "2026-01-02", q)
    load_partition(con, "binance", "funding_rates", "2026-01-01", p)
    state = _state(con)
    assert [(k, n) for k, n, _ in state] == [("2026-01-01", 2), ("2026-01-02", 1)]
    assert state[0] == first[0]
    manifest = con.execute("select partition_key, response_count from raw.load_manifest order by loaded_at").fetchall()
    assert manifest == [("2026-01-01", 2), ("2026-01-01", 2), ("2026-01-02", 1), ("2026-01-01", 2)]


def test_a_crash_inside_the_load_keeps_the_previous_slice(tmp_path, monkeypatch):
    con = duckdb.connect(str(tmp_path / "w.duckdb"))
    load_partition(con, "binance", "funding_rates", "2026-01-01", [_resp(0, '[{"a":1}]')])
    before = _state(con)

    import warehouse.load as load_mod

    real_to_arrow = load_mod._to_arrow

    def broken_batch(records, key):
        table = real_to_arrow(records, key)
        return table.drop_columns(["payload"])  # the insert will fail after the delete ran

    monkeypatch.setattr(load_mod, "_to_arrow", broken_batch)
    with pytest.raises(duckdb.Error):
        load_partition(con, "binance", "funding_rates", "2026-01-01", [_resp(0, '[{"z":9}]')])
    assert _state(con) == before
    assert con.execute("select count(*) from raw.load_manifest").fetchone()[0] == 1


def test_failed_bodies_go_to_the_ledger_not_the_partition(tmp_path):
    con = duckdb.connect(str(tmp_path / "w.duckdb"))
    load_partition(con, "binance", "funding_rates", "2026-01-01", [_resp(0, '[{"a":1}]')])
    bad = RawResponse(
        "binance",
        "funding_rates",
        "/fapi/v1/fundingRate",
        {},
        503,
        datetime(2026, 1, 2, tzinfo=UTC),
        "<html>503</html>",
        0,
        "simulator",
    )
    record_failure(con, bad, "2026-01-01", "ExchangeDown", "server error")
    assert con.execute("select payload, error_type from raw.fetch_failures").fetchall() == [
        ("<html>503</html>", "ExchangeDown")
    ]
    assert _state(con)[0][1] == 1


def _superseded(con):
    return con.execute(
        "select partition_key, payload, reason from raw.superseded_responses order by superseded_at, page"
    ).fetchall()


def _failing_check(con, table, key):
    from warehouse.raw_checks import RawCheckOutcome

    return RawCheckOutcome(passed=False, failures=["schema: 1 records lack one of the fields ['a']"])


def test_a_worse_reload_keeps_the_slice_it_replaced(tmp_path):
    """A reload that fails its check, or brings fewer responses, replaces the partition (the gate then blocks it)
    but the bodies it replaced move to raw.superseded_responses: no raw payload is lost."""
    con = duckdb.connect(str(tmp_path / "w.duckdb"))
    good = [_resp(0, '[{"a":1}]'), _resp(1, '[{"a":2}]')]
    load_partition(con, "binance", "funding_rates", "2026-01-01", good)
    load_partition(con, "binance", "funding_rates", "2026-01-01", good)  # as good as before: nothing archived
    assert con.execute("select count(*) from duckdb_tables() where table_name = 'superseded_responses'").fetchone() == (
        0,
    )

    load_partition(con, "binance", "funding_rates", "2026-01-01", [_resp(0, '[{"a":1}]')])
    assert _superseded(con) == [
        ("2026-01-01", '[{"a":1}]', "the reload brought 1 of 2 responses"),
        ("2026-01-01", '[{"a":2}]', "the reload brought 1 of 2 responses"),
    ]
    load_partition(con, "binance", "funding_rates", "2026-01-01", [_resp(0, '[{"x":1}]')], check=_failing_check)
    assert _superseded(con)[-1] == ("2026-01-01", '[{"a":1}]', "the reload failed its raw check")
    assert _state(con)[0][1] == 1  # the partition holds the reload, which the gate reads as failed
