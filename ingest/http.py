"""The one HTTP layer every venue uses: httpx with timeouts, rate budgets, the retry policy, typed
errors and raw envelopes. A venue supplies only its host, its budgets and a `classify` function."""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime

import httpx

from ingest.config import Settings
from ingest.envelope import FailedResponse, RawResponse
from ingest.errors import ExchangeDown, ExchangeError, RateLimited, SchemaDrift
from ingest.ratelimit import TokenBucket, WindowBudget, shared
from ingest.retry import RetryPolicy

log = logging.getLogger(__name__)

DEFAULT_TIMEOUT = httpx.Timeout(15.0, connect=5.0)


@dataclass
class VenueProtocol:
    """What differs between venues at the HTTP level."""

    venue: str
    host: str
    # Map a response to a typed error, or None when it is usable.
    classify: Callable[[httpx.Response], ExchangeError | None]
    # Feed the venue's usage headers back into the budgets.
    observe: Callable[[httpx.Response, Mapping[str, WindowBudget]], None] = lambda r, b: None
    # Headers that carry credentials (values never logged).
    auth_headers: Callable[[str], dict[str, str]] = lambda key: {}


def _budget_signature(budget: object) -> str:
    """Budgets of the same kind and size are the same budget; anything else stays private to its client."""
    if isinstance(budget, WindowBudget):
        return f"window:{budget.limit}:{budget.window_seconds}:{budget.safety}"
    if isinstance(budget, TokenBucket):
        return f"bucket:{budget.capacity}:{budget.refill_per_second}:{budget.safety}"
    return f"private:{id(budget)}"


@dataclass
class VenueClient:
    protocol: VenueProtocol
    settings: Settings
    budgets: dict[str, WindowBudget]
    retry: RetryPolicy = field(default_factory=RetryPolicy)
    transport: httpx.BaseTransport | None = None
    timeout: httpx.Timeout = field(default_factory=lambda: DEFAULT_TIMEOUT)
    failures: list[FailedResponse] = field(default_factory=list)
    request_count: int = 0
    _client: httpx.Client | None = field(default=None, init=False, repr=False)

    def __post_init__(self) -> None:
        # Venues count usage per IP and host, so every client of a host in this process spends the same budgets
        # (a backfill makes one client per partition): the first client's budget of a given kind and size
        # becomes the process-wide one.
        self.budgets = {
            name: shared(f"{self.protocol.host}:{name}:{_budget_signature(budget)}", lambda b=budget: b)
            for name, budget in self.budgets.items()
        }

    @property
    def base_url(self) -> str:
        return self.settings.base_url(self.protocol.host)

    def _http(self) -> httpx.Client:
        if self._client is None:
            headers = {"User-Agent": "derivatives-warehouse/0.1"}
            key = self.settings.api_key(self.protocol.venue)
            if key:
                headers.update(self.protocol.auth_headers(key))
            self._client = httpx.Client(
                base_url=self.base_url, timeout=self.timeout, headers=headers, transport=self.transport
            )
        return self._client

    def close(self) -> None:
        if self._client is not None:
            self._client.close()
            self._client = None

    def __enter__(self) -> VenueClient:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def get_json(
        self, path: str, params: dict, *, dataset: str, costs: Mapping[str, float], page: int = 0
    ) -> tuple[RawResponse, object]:
        """GET with budgets and retries; returns the raw envelope and the decoded JSON body."""

        def attempt() -> tuple[RawResponse, object]:
            for bucket, cost in costs.items():
                self.budgets[bucket].acquire(cost)
            self.request_count += 1
            fetched_at = datetime.now(UTC)

            def record(status: int, payload: str) -> RawResponse:
                return RawResponse(
                    venue=self.protocol.venue,
                    dataset=dataset,
                    endpoint=path,
                    params=dict(params),
                    http_status=status,
                    fetched_at=fetched_at,
                    payload=payload,
                    page=page,
                    data_mode=self.settings.data_mode,
                )

            try:
                response = self._http().get(path, params=params)
            except httpx.TransportError as exc:  # timeouts included
                kind = "timeout" if isinstance(exc, httpx.TimeoutException) else "connection error"
                down = ExchangeDown(f"{kind} calling {path}: {exc!r}", venue=self.protocol.venue)
                # Nothing arrived to keep; if this is the attempt the retries end on, the failure ledger still
                # records it (status 0, empty body) so readers can tell the venue was down, not quiet.
                down.unanswered = FailedResponse(record(0, ""), type(down).__name__, str(down))
                raise down from exc
            raw = record(response.status_code, response.text)
            self.protocol.observe(response, self.budgets)
            error = self.protocol.classify(response)
            if error is None:
                try:
                    body = json.loads(response.text)
                except ValueError as exc:
                    error = SchemaDrift(
                        f"{path} answered {response.status_code} with a body that is not JSON "
                        f"({len(response.text)} bytes): {exc}",
                        venue=self.protocol.venue,
                        status=response.status_code,
                        body=response.text,
                    )
                    # A cut-off body is usually a transport hiccup: worth another attempt.
                    error.retryable = True
                else:
                    return raw, body
            error.venue = self.protocol.venue
            error.body = response.text
            if isinstance(error, RateLimited):
                # Only the budgets this request was charged to are spent (one endpoint's limit must not
                # stall the others).
                for bucket in costs:
                    self.budgets[bucket].exhaust()
            self.failures.append(FailedResponse(raw, type(error).__name__, str(error)))
            raise error

        def on_retry(error: ExchangeError, delay: float) -> None:
            log.warning("%s %s: %s; retrying in %.1fs", self.protocol.venue, path, error, delay)

        return self.retry.run(attempt, on_retry=on_retry)
