"""Typed exchange errors. Each venue's responses are classified once into these; one retry policy
decides what to do with them."""

from __future__ import annotations

from datetime import datetime


class ExchangeError(Exception):
    """Base class. `body` is the raw response text (kept so the failure can be stored and explained)."""

    retryable: bool = False

    def __init__(self, message: str, *, venue: str = "", status: int | None = None, body: str = ""):
        super().__init__(message)
        self.venue = venue
        self.status = status
        self.body = body


class RateLimited(ExchangeError):
    """The venue said slow down (Binance 429, Bybit 10006, OKX 50011, Deribit 10028, BitMEX 429)."""

    retryable = True

    def __init__(self, message: str, *, retry_after: float | None, **kw):
        super().__init__(message, **kw)
        self.retry_after = retry_after


class Banned(ExchangeError):
    """The venue banned or blocked this IP (Binance 418/403/451, Bybit 403). Never retried."""

    def __init__(self, message: str, *, until: datetime | None = None, **kw):
        super().__init__(message, **kw)
        self.until = until


class ExchangeDown(ExchangeError):
    """5xx, timeouts, connection errors, maintenance pages: retried, then reported as down."""

    retryable = True


class SchemaDrift(ExchangeError):
    """The body is not what the venue is documented to send (truncated, HTML, renamed fields)."""

    def __init__(self, message: str, *, field: str | None = None, **kw):
        super().__init__(message, **kw)
        self.field = field


class SymbolInvalid(ExchangeError):
    """The venue does not know the instrument (Binance -1121). Permanent for that symbol."""


class BadRequest(ExchangeError):
    """Any other 4xx: a bug in our request, not worth retrying."""
