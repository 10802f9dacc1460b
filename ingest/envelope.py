"""The raw envelope: one HTTP response body exactly as received, plus the request's metadata."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import datetime


@dataclass(frozen=True)
class RawResponse:
    venue: str
    dataset: str
    endpoint: str
    params: dict  # request parameters; credentials never go here (they travel in headers)
    http_status: int
    fetched_at: datetime  # UTC
    payload: str
    page: int = 0
    data_mode: str = "live"
    payload_sha256: str = field(init=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "payload_sha256", hashlib.sha256(self.payload.encode()).hexdigest())

    def with_page(self, page: int) -> RawResponse:
        return RawResponse(
            self.venue,
            self.dataset,
            self.endpoint,
            dict(self.params),
            self.http_status,
            self.fetched_at,
            self.payload,
            page,
            self.data_mode,
        )


@dataclass(frozen=True)
class FailedResponse:
    """A response that could not be used, kept with its error so nothing received is lost."""

    response: RawResponse
    error_type: str
    error_message: str
