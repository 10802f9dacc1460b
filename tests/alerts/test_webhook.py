"""The webhook channel: URL validation and masking, bounded retries of what is transient, clear 4xx errors."""

import random

import httpx
import pytest

from alerts.webhook import (
    WebhookChannel,
    WebhookConfigError,
    WebhookPolicy,
    WebhookRejected,
    WebhookUnavailable,
    mask_url,
    validate_webhook_url,
)

SECRET_URL = "https://hooks.example.com/services/T000/B000/XXXXSECRET?token=s3cret&channel=ops"


def _channel(answers: list, sleeps: list[float] | None = None, attempts: int = 3) -> tuple[WebhookChannel, list]:
    """A channel whose transport replays `answers` (a status, or an exception to raise) and records requests."""
    seen: list[httpx.Request] = []
    queue = list(answers)

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        answer = queue.pop(0)
        if isinstance(answer, Exception):
            raise answer
        status, headers = answer if isinstance(answer, tuple) else (answer, {})
        return httpx.Response(status, headers=headers, text="bad payload" if status == 422 else "")

    sleeps = sleeps if sleeps is not None else []
    policy = WebhookPolicy(max_attempts=attempts, sleep=sleeps.append, rng=random.Random(7))
    return WebhookChannel(SECRET_URL, policy, transport=httpx.MockTransport(handler)), seen


@pytest.mark.parametrize(
    "url", ["ftp://hooks.example.com/x", "hooks.example.com/x", "http://", "javascript:alert(1)", "http://h:99999/"]
)
def test_only_http_and_https_urls_with_a_host_are_accepted(url):
    with pytest.raises(WebhookConfigError):
        validate_webhook_url(url)


def test_a_valid_url_is_accepted_stripped():
    assert validate_webhook_url("  https://hooks.example.com/a?b=c \n") == "https://hooks.example.com/a?b=c"


def test_masked_url_keeps_where_it_goes_but_no_secret():
    assert mask_url(SECRET_URL) == "https://hooks.example.com/services/***?token=***&channel=***"
    assert mask_url("http://user:pw@127.0.0.1:8080/hook") == "http://***@127.0.0.1:8080/hook"
    assert mask_url("https://example.com") == "https://example.com"


def test_post_carries_the_idempotency_key_and_the_json_body():
    channel, seen = _channel([200])
    result = channel.send({"alert_id": "abc", "asset": "BTC"}, "abc")
    assert (result.status, result.attempts) == (200, 1)
    assert len(seen) == 1
    assert seen[0].method == "POST" and seen[0].headers["Idempotency-Key"] == "abc"
    assert seen[0].headers["Content-Type"] == "application/json"
    assert httpx.Response(200, content=seen[0].content).json() == {"alert_id": "abc", "asset": "BTC"}


def test_5xx_and_connection_errors_are_retried_with_capped_backoff():
    sleeps: list[float] = []
    channel, seen = _channel([503, httpx.ConnectError("refused"), 200], sleeps)
    assert channel.send({}, "k").attempts == 3
    assert len(seen) == 3 and len(sleeps) == 2
    assert all(0 <= s <= channel.policy.max_delay_s for s in sleeps)


def test_retry_after_is_honoured_up_to_the_cap():
    sleeps: list[float] = []
    channel, _ = _channel([(429, {"Retry-After": "2"}), (429, {"Retry-After": "3600"}), 200], sleeps)
    channel.send({}, "k")
    assert sleeps == [2.0, channel.policy.max_delay_s]


def test_retries_are_bounded_and_the_error_names_the_masked_url_only():
    channel, seen = _channel([500, 502, 504], attempts=3)
    with pytest.raises(WebhookUnavailable) as err:
        channel.send({}, "k")
    assert len(seen) == 3
    assert "after 3 attempts (last: HTTP 504)" in str(err.value)
    assert "s3cret" not in str(err.value) and "XXXXSECRET" not in str(err.value)
    assert "https://hooks.example.com/services/***" in str(err.value)


def test_a_4xx_is_a_clear_error_and_is_not_retried():
    channel, seen = _channel([422])
    with pytest.raises(WebhookRejected) as err:
        channel.send({}, "alert-1")
    assert len(seen) == 1
    assert err.value.status == 422
    assert "rejected alert alert-1 with HTTP 422: bad payload" in str(err.value)
    assert "s3cret" not in str(err.value)


def test_a_redirect_is_not_followed():
    channel, seen = _channel([(301, {"Location": "https://elsewhere.example.com/"})])
    with pytest.raises(WebhookRejected):
        channel.send({}, "k")
    assert len(seen) == 1
