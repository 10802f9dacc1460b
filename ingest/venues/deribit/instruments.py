"""Listed instruments: `get_instruments` per currency and kind (futures include the perpetuals).

Only live listings are asked for (`expired=false`): the hourly snapshots keep what expired.
"""

from __future__ import annotations

from ingest.envelope import RawResponse
from ingest.errors import SchemaDrift
from ingest.http import VenueClient
from ingest.venues.deribit.client import VENUE, call

KINDS = ("future", "option")


def instruments_params(currency: str, kind: str) -> dict:
    return {"currency": currency, "kind": kind, "expired": "false"}


def fetch_instruments(client: VenueClient, currency: str) -> list[RawResponse]:
    pages = []
    for kind in KINDS:
        raw, result = call(client, "get_instruments", instruments_params(currency, kind), dataset="instruments")
        if not isinstance(result, list):
            raise SchemaDrift(f"get_instruments returned {type(result).__name__}, expected a list", venue=VENUE)
        pages.append(raw)
    return pages
