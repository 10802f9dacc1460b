from datetime import UTC, datetime

import duckdb
import pytest

from ingest.envelope import RawResponse
from ingest.registry import dataset
from warehouse.load import load_partition
from warehouse.raw_checks import check_raw_partition

WINDOW = (datetime(2026, 1, 1, tzinfo=UTC), datetime(2026, 1, 2, tzinfo=UTC))
SHAPE = dataset("binance", "funding_rates").shape
T0 = 1767225600004  # 2026-01-01 00:00:00.004
QUOTED_T0 = f'"{T0}"'


def _check(tmp_path, bodies, status=200):
    con = duckdb.connect(str(tmp_path / "w.duckdb"))
    records = [
        RawResponse(
            "binance",
            "funding_rates",
            "/fapi/v1/fundingRate",
            {},
            status,
            datetime(2026, 1, 2, tzinfo=UTC),
            b,
            i,
            "simulator",
        )
        for i, b in enumerate(bodies)
    ]
    load_partition(con, "binance", "funding_rates", "2026-01-01", records)
    return check_raw_partition(con, "raw.binance__funding_rates", "2026-01-01", SHAPE, WINDOW)


def _row(t=T0, sym="BTCUSDT", rate='"0.0001"'):
    return f'{{"symbol":"{sym}","fundingTime":{t},"fundingRate":{rate},"markPrice":"1"}}'


def test_a_good_partition_passes(tmp_path):
    out = _check(tmp_path, [f"[{_row()},{_row(T0 + 8 * 3600_000)}]"])
    assert out.passed, out.failures
    assert out.metadata["records"] == 2


@pytest.mark.parametrize(
    ("bodies", "expected"),
    [
        ([], "non-empty"),
        (["[]"], "non-empty"),
        (['[{"symbol":"BTCUSDT","fundingTi'], "parseable"),
        ([f"[{_row()}]", f"[{_row()}]"], "duplicates"),
        (['[{"symbol":"BTCUSDT","fundingTimestamp":1767225600004,"fundingRate":"0.0001"}]'], "schema"),
        ([f"[{_row(T0 + 86_400_000)}]"], "window"),
        # fundingTime is a JSON number at Binance: the same digits as a string are drift, even though they cast.
        ([f"[{_row(t=QUOTED_T0)}]"], "types"),
    ],
)
def test_each_kind_of_bad_partition_is_named(tmp_path, bodies, expected):
    out = _check(tmp_path, bodies)
    assert not out.passed
    assert any(f.startswith(expected) for f in out.failures), out.failures


def test_records_inside_an_envelope_with_second_timestamps(tmp_path):
    from ingest.shapes import RecordShape

    shape = RecordShape(
        '{"symbol":"VARCHAR","ts":"BIGINT"}',
        True,
        ("symbol", "ts"),
        time_field="ts",
        records_path="$.result.list",
        time_unit="s",
    )
    con = duckdb.connect(str(tmp_path / "w.duckdb"))
    body = '{"retCode":0,"result":{"list":[{"symbol":"BTC","ts":1767225600},{"symbol":"BTC","ts":1767225600}]}}'
    rec = RawResponse("bybit", "x", "/x", {}, 200, datetime(2026, 1, 2, tzinfo=UTC), body, 0, "simulator")
    load_partition(con, "bybit", "x", "2026-01-01", [rec])
    out = check_raw_partition(con, "raw.bybit__x", "2026-01-01", shape, WINDOW)
    assert out.metadata["records"] == 2
    assert [f.split(":")[0] for f in out.failures] == ["duplicates"]
    late = body.replace("1767225600}]", "1767312000}]")
    load_partition(
        con,
        "bybit",
        "x",
        "2026-01-01",
        [RawResponse("bybit", "x", "/x", {}, 200, datetime(2026, 1, 2, tzinfo=UTC), late, 0, "simulator")],
    )
    out = check_raw_partition(con, "raw.bybit__x", "2026-01-01", shape, WINDOW)
    assert [f.split(":")[0] for f in out.failures] == ["window"]


def test_type_drift_names_the_field_and_a_sample(tmp_path):
    out = _check(tmp_path, [f"[{_row(t=QUOTED_T0)},{_row(T0 + 8 * 3600_000)}]"])
    assert out.failures == [
        f"types: 1 records carry fundingTime as a string where the venue sends a number, e.g. '\"{T0}\"'"
    ]
    assert out.metadata["records_with_type_drift"] == {"fundingTime": 1}
