"""The optional webhook channel: one JSON POST per alert, with the alert_id as `Idempotency-Key`.

Retries are bounded and only for what is transient (connection errors, timeouts, 408, 429 and 5xx), with capped,
jittered backoff; any other answer (4xx, or a redirect) is a clear error that is not retried in the same call.
Either way a failed send leaves the alert pending in the ledger for a later tick, so delivery is at-least-once
and the header lets the receiver drop a duplicate.

Webhook URLs often carry a token (in the query, the user info, or the path as Slack and Discord do), so the URL
is never logged as given: `mask_url` keeps the scheme, host, port and first path segment only.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import httpx

RETRYABLE_STATUS = frozenset({408, 429, 500, 502, 503, 504})


class WebhookConfigError(ValueError):
    """DW_ALERT_WEBHOOK_URL is not a usable http(s) URL."""


class WebhookError(Exception):
    """A send that did not succeed (the alert stays pending). Messages carry the masked URL only."""


class WebhookRejected(WebhookError):
    """The receiver answered with a status that retrying will not change (4xx other than 408/429, 3xx)."""

    def __init__(self, message: str, status: int) -> None:
        super().__init__(message)
        self.status = status


class WebhookUnavailable(WebhookError):
    """Connection errors, timeouts or 5xx on every attempt: the receiver is down for now."""


def validate_webhook_url(url: str) -> str:
    """The URL stripped, or WebhookConfigError naming what is wrong (without echoing a secret)."""
    url = url.strip()
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - raises ValueError on a malformed port
    except ValueError as exc:
        raise WebhookConfigError(f"DW_ALERT_WEBHOOK_URL is not a valid URL ({exc})") from None
    if parts.scheme not in ("http", "https"):
        raise WebhookConfigError(
            f"DW_ALERT_WEBHOOK_URL must start with http:// or https://, got scheme {parts.scheme or '(none)'!r}"
        )
    if not parts.hostname:
        raise WebhookConfigError(f"DW_ALERT_WEBHOOK_URL has no host: {mask_url(url)}")
    try:
        httpx.Request("POST", url)  # what the channel will send: control characters, bad IDNA labels, ...
    except (httpx.InvalidURL, ValueError) as exc:  # IDNA errors are UnicodeErrors, i.e. ValueErrors
        # The exception text quotes the URL, which may carry a token: name the kind of problem only.
        raise WebhookConfigError(
            f"DW_ALERT_WEBHOOK_URL is not a valid URL ({type(exc).__name__}): {mask_url(url)}"
        ) from None
    return url


def mask_url(url: str) -> str:
    """The URL as it may appear in logs: user info, deeper path segments and query values replaced by ***."""
    try:
        parts = urlsplit(url)
        host = parts.hostname or ""
        port = f":{parts.port}" if parts.port else ""
    except ValueError:
        return "<invalid url>"
    userinfo = "***@" if (parts.username or parts.password) else ""
    segments = [s for s in parts.path.split("/") if s]
    path = f"/{segments[0]}" if segments else ""
    if len(segments) > 1:
        path += "/***"
    query = "&".join(f"{k}=***" for k, _ in parse_qsl(parts.query, keep_blank_values=True))
    return f"{parts.scheme}://{userinfo}{host}{port}{path}{'?' + query if query else ''}"


def secret_parts(url: str) -> list[str]:
    """The parts of the URL that mask_url hides (user info, deeper path segments, query values), longest first."""
    try:
        parts = urlsplit(url)
        userinfo = [parts.username or "", parts.password or ""]
    except ValueError:
        return []
    segments = [s for s in parts.path.split("/") if s][1:]
    values = [v for _, v in parse_qsl(parts.query, keep_blank_values=True)]
    # Very short parts ("v1", "id") would blank ordinary words of a message, and are no secret on their own.
    return sorted({p for p in (*userinfo, *segments, *values) if len(p) >= 6}, key=len, reverse=True)


@dataclass(frozen=True)
class WebhookPolicy:
    """Timeouts and retry bounds. Worst case per alert: about attempts x timeout + the backoff (~20 s)."""

    timeout_s: float = 5.0
    max_attempts: int = 3
    base_delay_s: float = 0.5
    max_delay_s: float = 4.0
    sleep: Callable[[float], None] = time.sleep
    rng: random.Random = field(default_factory=random.Random)

    def backoff(self, attempt: int, retry_after: float | None = None) -> float:
        """Full jitter, capped; a receiver's Retry-After is honoured up to the same cap."""
        if retry_after is not None:
            return min(self.max_delay_s, max(0.0, retry_after))
        return self.rng.uniform(0, min(self.max_delay_s, self.base_delay_s * (2**attempt)))


@dataclass(frozen=True)
class WebhookResult:
    status: int
    attempts: int


class WebhookChannel:
    """POSTs alert bodies to one URL over a reused connection. Use as a context manager."""

    def __init__(self, url: str, policy: WebhookPolicy | None = None, transport: httpx.BaseTransport | None = None):
        self.url = validate_webhook_url(url)
        self.masked_url = mask_url(self.url)
        self._secrets = secret_parts(self.url)
        self.policy = policy or WebhookPolicy()
        self._client = httpx.Client(
            timeout=self.policy.timeout_s,
            follow_redirects=False,  # a redirect would silently turn the POST into a GET on some hops
            headers={"User-Agent": "derivatives-warehouse-alerts/1"},
            transport=transport,
        )

    def close(self) -> None:
        self._client.close()

    def __enter__(self) -> WebhookChannel:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def send(self, body: dict[str, Any], idempotency_key: str) -> WebhookResult:
        """POST once, retrying transient failures within the policy's bounds; raise WebhookError otherwise."""
        headers = {"Idempotency-Key": idempotency_key}
        last = ""
        for attempt in range(1, self.policy.max_attempts + 1):
            retry_after: float | None = None
            try:
                response = self._client.post(self.url, json=body, headers=headers)
            except httpx.TransportError as exc:  # connect errors, timeouts, resets
                last = f"{type(exc).__name__}: {self._scrub(str(exc)) or 'no detail'}"
            else:
                if 200 <= response.status_code < 300:
                    return WebhookResult(response.status_code, attempt)
                if response.status_code not in RETRYABLE_STATUS:
                    raise WebhookRejected(
                        f"webhook {self.masked_url} rejected alert {idempotency_key} with HTTP "
                        f"{response.status_code}: {self._scrub(response.text[:200]).strip() or '(empty body)'}",
                        response.status_code,
                    )
                last = f"HTTP {response.status_code}"
                retry_after = _retry_after_seconds(response)
            if attempt < self.policy.max_attempts:
                self.policy.sleep(self.policy.backoff(attempt, retry_after))
        raise WebhookUnavailable(
            f"webhook {self.masked_url} unavailable for alert {idempotency_key} after "
            f"{self.policy.max_attempts} attempts (last: {last})"
        )

    def _scrub(self, text: str) -> str:
        # Exception texts and echoed bodies may quote the URL, or only its path or query (a receiver echoing the
        # request line); never let the raw URL or any part mask_url hides through.
        text = text.replace(self.url, self.masked_url)
        for secret in self._secrets:
            text = text.replace(secret, "***")
        return text


def _retry_after_seconds(response: httpx.Response) -> float | None:
    value = response.headers.get("Retry-After", "").strip()
    return float(value) if value.isdigit() else None  # an HTTP-date is rare here: fall back to backoff
