"""Current state in one call per currency: the book summaries (the option chain with mark IV in percent, open
interest in coin and the underlying; the futures with funding_8h, current_funding and open interest in USD for
inverse contracts) and the price index of each asset."""

from __future__ import annotations

from ingest.envelope import RawResponse
from ingest.errors import SchemaDrift
from ingest.http import VenueClient
from ingest.venues.deribit import symbols
from ingest.venues.deribit.client import VENUE, call


def book_summary_params(currency: str, kind: str) -> dict:
    return {"currency": currency, "kind": kind}


def fetch_book_summary(client: VenueClient, currency: str, kind: str, dataset: str) -> RawResponse:
    raw, result = call(client, "get_book_summary_by_currency", book_summary_params(currency, kind), dataset=dataset)
    if not isinstance(result, list):
        raise SchemaDrift(f"get_book_summary_by_currency returned {type(result).__name__}", venue=VENUE)
    return raw


def fetch_index_price(client: VenueClient, asset: str) -> RawResponse:
    params = {"index_name": symbols.index_name(asset)}
    raw, result = call(client, "get_index_price", params, dataset="index_prices")
    if not isinstance(result, dict) or "index_price" not in result:
        raise SchemaDrift("get_index_price result lacks index_price", venue=VENUE, field="index_price")
    return raw
