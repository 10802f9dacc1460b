"""Drift market stats (`/stats/markets`): the current state of every perp and spot market in one call.

The service sends `{"success": true, "markets": [...]}` (recorded bodies; reference section 8 shows a
flat list with `volume24h` and `fundingRate24hAvg`, which is not what it sends). Per perp row:
`oraclePrice` and `markPrice` as decimal strings, `openInterest` as `{long, short}` in base units (short
negative), `fundingRate` as `{long, short}` in percent per hour from each side's point of view (longs pay
when `long` is negative), `fundingRate24h` and `fundingRateUpdateTs` (unix seconds). Spot rows share the
list: staging keeps `marketType = 'perp'`.
"""

from __future__ import annotations

from ingest.envelope import RawResponse
from ingest.http import VenueClient

COSTS = {"requests": 1}


def fetch_market_stats(client: VenueClient) -> RawResponse:
    raw, _ = client.get_json("/stats/markets", {}, dataset="markets", costs=COSTS)
    return raw
