"""Current state that BitMEX keeps only as "now", sampled hourly (our snapshots are the history):

- `/instrument/active`: every open contract in one answer: perpetuals with the current `fundingRate` (fixed one
  interval ahead), `fundingTimestamp` (the next settlement), `fundingInterval`, `indicativeFundingRate`, mark and
  fair prices, `openInterest` in contracts and `openValue` in satoshi; dated futures with `expiry`, `fairBasis` and
  `fairBasisRate` (annualised).
- `/instrument/indices`: the `.B...` composite indices (`lastPrice` is the index value).

Both take no parameters and cover the whole venue in one request each: the budget is 30 requests a minute.
"""

from __future__ import annotations

from ingest.envelope import RawResponse
from ingest.http import VenueClient
from ingest.venues.bitmex.client import ONE_REQUEST
from ingest.venues.bitmex.protocol import API


def fetch_active_instruments(client: VenueClient) -> RawResponse:
    raw, _ = client.get_json(f"{API}/instrument/active", {}, dataset="instruments", costs=ONE_REQUEST)
    return raw


def fetch_indices(client: VenueClient) -> RawResponse:
    raw, _ = client.get_json(f"{API}/instrument/indices", {}, dataset="indices", costs=ONE_REQUEST)
    return raw
