"""Liquidation orders of each asset's perpetuals (`public/liquidation-orders`), the venue's recent day.

OKX serves only about the last day, so this is a snapshot taken every hour, not a backfillable history; the
overlap between snapshots is removed in staging. Each entry is one instrument with its `details` orders:
`side` is the order side and `posSide` the position (`sell` + `long` is a long liquidated), `sz` is in
contracts. Pages go back with `after` (older than the oldest order received) until an empty page.
"""

from __future__ import annotations

from ingest.envelope import RawResponse
from ingest.http import VenueClient
from ingest.venues.okx.client import get_records, unpageable
from ingest.venues.okx.symbols import swap_family

PAGE_LIMIT = 100


def liquidation_params(asset: str) -> dict:
    return {"instType": "SWAP", "instFamily": swap_family(asset), "state": "filled", "limit": PAGE_LIMIT}


def next_liquidation_page(params: dict, order_times: list[int]) -> dict | None:
    """Older orders after this page, or None when it held none (or did not move back in time)."""
    if not order_times:
        return None
    oldest = min(order_times)
    if "after" in params and oldest >= params["after"]:
        return None
    return {**params, "after": oldest}


def fetch_liquidations(client: VenueClient, asset: str) -> list[RawResponse]:
    pages: list[RawResponse] = []
    params: dict | None = liquidation_params(asset)
    while params is not None:
        raw, entries = get_records(client, "public/liquidation-orders", params, dataset="liquidation_orders")
        pages.append(raw)
        try:
            times = [int(order["ts"]) for entry in entries for order in entry["details"]]
        except (KeyError, TypeError, ValueError) as exc:
            raise unpageable(client, raw, f"liquidation-orders: an order without its time ({exc!r})", "ts") from exc
        params = next_liquidation_page(params, times)
    return pages
