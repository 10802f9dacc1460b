"""One retry policy for every venue: retry what is transient, stop at once on what is not.

- RateLimited: wait the venue's Retry-After (never less), or the backoff if it gave none.
- ExchangeDown (5xx, timeouts, resets): capped exponential backoff with full jitter.
- Banned, SymbolInvalid, BadRequest, SchemaDrift: raised immediately; retrying makes bans longer.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TypeVar

from ingest.errors import ExchangeError, RateLimited

T = TypeVar("T")


@dataclass
class RetryPolicy:
    max_attempts: int = 5
    base_delay: float = 0.5
    max_delay: float = 60.0
    # The longest Retry-After we are willing to sleep inside one call; longer waits fail the
    # partition (retryable later) instead of holding a run for minutes.
    max_retry_after: float = 120.0
    sleep: Callable[[float], None] = time.sleep
    rng: random.Random = field(default_factory=random.Random)

    def backoff(self, attempt: int) -> float:
        """Full jitter: uniform in [0, min(cap, base * 2**attempt)]."""
        return self.rng.uniform(0, min(self.max_delay, self.base_delay * (2**attempt)))

    def delay_for(self, error: ExchangeError, attempt: int) -> float:
        if isinstance(error, RateLimited) and error.retry_after is not None:
            return float(error.retry_after)
        return self.backoff(attempt)

    def run(self, call: Callable[[], T], on_retry: Callable[[ExchangeError, float], None] | None = None) -> T:
        attempt = 0
        while True:
            try:
                return call()
            except ExchangeError as error:
                attempt += 1
                if not error.retryable or attempt >= self.max_attempts:
                    raise
                delay = self.delay_for(error, attempt)
                if delay > self.max_retry_after:
                    raise
                if on_retry:
                    on_retry(error, delay)
                self.sleep(delay)
