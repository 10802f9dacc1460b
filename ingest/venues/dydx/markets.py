"""`/v4/perpetualMarkets`: every market in one answer, keyed by ticker, sampled hourly. Each carries the oracle price
(dYdX's only reference price: no mark or index), `nextFundingRate` (the predicted 1-hour rate of the hour under way,
settled at the next top of the hour), `openInterest` in base coin and 24 h volume. Without `limit` the indexer
answers up to its maximum of 1000 markets."""

from __future__ import annotations

from ingest.envelope import RawResponse
from ingest.http import VenueClient
from ingest.venues.dydx.client import ONE_REQUEST
from ingest.venues.dydx.protocol import API


def fetch_perpetual_markets(client: VenueClient) -> RawResponse:
    raw, _ = client.get_json(f"{API}/perpetualMarkets", {}, dataset="perpetual_markets", costs=ONE_REQUEST)
    return raw
