from datetime import UTC, datetime

from ingest.venues.binance.usdm import funding_history_params, next_funding_page
from ingest.windows import TimeWindow

DAY = TimeWindow(datetime(2026, 1, 1, tzinfo=UTC), datetime(2026, 1, 2, tzinfo=UTC))


def test_half_open_window_is_sent_with_inclusive_end_minus_one_ms():
    p = funding_history_params("BTCUSDT", DAY)
    assert p == {"symbol": "BTCUSDT", "startTime": 1767225600000, "endTime": 1767311999999, "limit": 1000}


def test_short_page_ends_paging():
    p = funding_history_params("BTCUSDT", DAY)
    assert next_funding_page(p, [{"fundingTime": 1767225600004}]) is None


def test_full_page_continues_after_the_last_settlement():
    p = {**funding_history_params("BTCUSDT", DAY), "limit": 2}
    nxt = next_funding_page(p, [{"fundingTime": 1767225600000}, {"fundingTime": 1767254400003}])
    assert nxt["startTime"] == 1767254400004 and nxt["endTime"] == p["endTime"]


def test_full_page_reaching_the_window_end_stops():
    p = {**funding_history_params("BTCUSDT", DAY), "limit": 1}
    assert next_funding_page(p, [{"fundingTime": 1767311999999}]) is None
