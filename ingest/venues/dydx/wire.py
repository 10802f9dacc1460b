"""What every indexer history answer shares: records in a list under one envelope key, ISO-8601 UTC times with
milliseconds (2025-12-08T16:00:00.219Z), newest first, paged by the time or block height of the oldest record."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import NoReturn

from ingest.envelope import FailedResponse, RawResponse
from ingest.errors import ExchangeError, SchemaDrift
from ingest.http import VenueClient
from ingest.venues.dydx.protocol import VENUE

MS = timedelta(milliseconds=1)


def iso_ms(t: datetime) -> str:
    t = t.astimezone(UTC)
    return t.strftime("%Y-%m-%dT%H:%M:%S.") + f"{t.microsecond // 1000:03d}Z"


def page_records(body: object, key: str) -> list[dict]:
    """The records paging looks at. A body of another shape ends paging: it is loaded as received and the raw
    check names what is missing."""
    rows = body.get(key) if isinstance(body, dict) else None
    return rows if isinstance(rows, list) else []


def cursor_field(row: dict, field: str) -> str:
    """A field the next page's cursor is built from; without it paging cannot go on."""
    value = row.get(field) if isinstance(row, dict) else None
    if not isinstance(value, str) or not value:
        raise SchemaDrift(f"the oldest record has no {field!r} to page from: {str(row)[:200]}", field=field)
    return value


def cursor_time(row: dict, field: str) -> datetime:
    text = cursor_field(row, field)
    try:
        return datetime.fromisoformat(text).astimezone(UTC)
    except ValueError:
        raise SchemaDrift(f"{field}={text!r} is not an ISO-8601 time", field=field) from None


def cursor_height(row: dict, field: str) -> int:
    text = cursor_field(row, field)
    if not text.isdigit():
        raise SchemaDrift(f"{field}={text!r} is not a block height", field=field)
    return int(text)


def reject(client: VenueClient, raw: RawResponse, error: ExchangeError) -> NoReturn:
    """Raise an error found in a usable answer, keeping the body in the failure ledger (raw is never dropped)."""
    error.venue, error.status, error.body = VENUE, raw.http_status, raw.payload
    client.failures.append(FailedResponse(raw, type(error).__name__, str(error)))
    raise error
