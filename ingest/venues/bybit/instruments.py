"""Instrument lists (`/v5/market/instruments-info`) per asset: linear and inverse contracts (perpetuals and
dated inverse futures, with `contractType`, `fundingInterval` in minutes and `deliveryTime`) and options
(`optionsType`, `deliveryTime`, `settleCoin`). Lists page with `limit` (1-1000) and `cursor`."""

from __future__ import annotations

from ingest.envelope import RawResponse
from ingest.http import VenueClient
from ingest.venues.bybit.client import INSTRUMENTS, fetch_pages
from ingest.venues.bybit.paging import next_cursor
from ingest.venues.bybit.symbols import base_coin

PAGE_LIMIT = 1000
CATEGORIES = ("linear", "inverse", "option")
DATASET = "instruments"


def instruments_params(category: str, asset: str) -> dict:
    """The first request of one category's list for one asset (pure; unit-tested)."""
    return {"category": category, "baseCoin": base_coin(asset), "limit": PAGE_LIMIT}


def fetch_instruments(client: VenueClient, asset: str) -> list[RawResponse]:
    pages: list[RawResponse] = []
    for category in CATEGORIES:
        pages += fetch_pages(client, INSTRUMENTS, instruments_params(category, asset), next_cursor, DATASET)
    return pages
