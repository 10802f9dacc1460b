import pytest

from ingest.errors import Banned, ExchangeDown, RateLimited, SymbolInvalid
from ingest.retry import RetryPolicy


def _policy(sleeps):
    return RetryPolicy(max_attempts=4, base_delay=1.0, max_delay=8.0, sleep=sleeps.append)


def test_rate_limited_waits_exactly_retry_after_then_succeeds():
    sleeps, calls = [], []

    def call():
        calls.append(1)
        if len(calls) < 3:
            raise RateLimited("429", retry_after=7.0)
        return "ok"

    assert _policy(sleeps).run(call) == "ok"
    assert sleeps == [7.0, 7.0]


def test_ban_and_bad_symbol_are_never_retried():
    for error in (Banned("418"), SymbolInvalid("-1121")):
        sleeps, calls = [], []

        def call(error=error, calls=calls):
            calls.append(1)
            raise error

        with pytest.raises(type(error)):
            _policy(sleeps).run(call)
        assert calls == [1] and sleeps == []


def test_exchange_down_backs_off_with_capped_jitter_then_gives_up():
    sleeps = []

    def call():
        raise ExchangeDown("503")

    with pytest.raises(ExchangeDown):
        _policy(sleeps).run(call)
    assert len(sleeps) == 3  # 4 attempts, 3 waits
    caps = [min(8.0, 1.0 * 2**a) for a in (1, 2, 3)]
    assert all(0 <= s <= cap for s, cap in zip(sleeps, caps, strict=True))


def test_retry_after_longer_than_the_call_budget_fails_fast():
    sleeps = []

    def call():
        raise RateLimited("429", retry_after=600.0)

    with pytest.raises(RateLimited):
        RetryPolicy(max_retry_after=120, sleep=sleeps.append).run(call)
    assert sleeps == []
