"""GMX oracle prices (`/prices/tickers`): the index price of every token the oracle signs.

A bare list of `{tokenAddress, tokenSymbol, minPrice, maxPrice, updatedAt (ms), timestamp (s)}`; prices
are USD per whole token scaled by 10^(30 - token decimals), so an 18-decimal token divides by 1e12
(reference/exchange_api.md section 7). The body does not carry the decimals: reading a price in USD
needs each token's decimals from elsewhere. Staging also joins `tokenAddress` to the markets' index
tokens to name each market's asset.
"""

from __future__ import annotations

from ingest.envelope import RawResponse
from ingest.http import VenueClient

COSTS = {"requests": 1}


def fetch_tickers(client: VenueClient) -> RawResponse:
    raw, _ = client.get_json("/prices/tickers", {}, dataset="tickers", costs=COSTS)
    return raw
