from datetime import UTC, datetime

from ingest.streams.collector import backoff
from ingest.streams.sink import HourlyFileSink, hour_file, is_closed, read_hour


def test_messages_roll_into_hourly_files(tmp_path):
    sink = HourlyFileSink(tmp_path, "binance")
    t1 = datetime(2026, 1, 1, 9, 59, 59, tzinfo=UTC)
    t2 = datetime(2026, 1, 1, 10, 0, 1, tzinfo=UTC)
    sink.append('{"e":"forceOrder","n":1}', t1)
    sink.append('{"e":"forceOrder","n":2}', t2)
    sink.append('{"e":"forceOrder","n":3}', t2)
    sink.close()
    assert hour_file(tmp_path, "binance", t1) == tmp_path / "binance" / "2026-01-01" / "09.ndjson"
    nine = read_hour(tmp_path, "binance", t1.replace(minute=0, second=0))
    ten = read_hour(tmp_path, "binance", t2.replace(minute=0, second=0))
    assert [m["message"] for m in nine] == ['{"e":"forceOrder","n":1}']
    assert [m["message"] for m in ten] == ['{"e":"forceOrder","n":2}', '{"e":"forceOrder","n":3}']
    assert ten[0]["received_at"] == t2.isoformat()


def test_a_torn_last_line_from_a_crash_is_skipped(tmp_path):
    sink = HourlyFileSink(tmp_path, "bybit")
    t = datetime(2026, 1, 1, 9, tzinfo=UTC)
    path = sink.append('{"topic":"allLiquidation.BTCUSDT"}', t)
    sink.close()
    with open(path, "a") as fh:
        fh.write('{"received_at":"2026-01-01T09:00:0')
    assert len(read_hour(tmp_path, "bybit", t)) == 1


def test_hours_close_after_a_grace_period():
    hour = datetime(2026, 1, 1, 9, tzinfo=UTC)
    assert not is_closed(hour, datetime(2026, 1, 1, 10, 1, tzinfo=UTC))
    assert is_closed(hour, datetime(2026, 1, 1, 10, 3, tzinfo=UTC))


def test_reconnect_backoff_grows_and_is_capped():
    import random

    rng = random.Random(1)
    delays = [backoff(a, rng) for a in range(12)]
    assert all(0.25 <= d <= 60 for d in delays)
    assert max(delays[:2]) <= 1.0
