"""Current state from /public: instrument lists, mark prices, open interest and the option summary.

Perpetuals and dated futures are read whole, one request per instrument type for the venue; options per
family only (OKX requires `instFamily` for OPTION), for the configured assets. An asset without listed
options answers an empty list, which is a valid snapshot.

Open interest comes in three units: `oi` contracts, `oiCcy` coin and `oiUsd` USD.
"""

from __future__ import annotations

from ingest.envelope import RawResponse
from ingest.http import VenueClient
from ingest.venues.okx.client import get_records
from ingest.venues.okx.symbols import option_family

WHOLE_VENUE_TYPES = ("SWAP", "FUTURES")


def whole_venue_params() -> list[dict]:
    return [{"instType": inst_type} for inst_type in WHOLE_VENUE_TYPES]


def option_params(asset: str) -> dict:
    return {"instType": "OPTION", "instFamily": option_family(asset)}


def fetch_whole_venue(client: VenueClient, path: str, dataset: str) -> list[RawResponse]:
    """`path` for every perpetual and every dated future (instruments, mark-price, open-interest)."""
    return [get_records(client, path, params, dataset=dataset)[0] for params in whole_venue_params()]


def fetch_options(client: VenueClient, path: str, asset: str, dataset: str) -> RawResponse:
    """`path` for the options of one asset's family."""
    return get_records(client, path, option_params(asset), dataset=dataset)[0]


def fetch_option_summary(client: VenueClient, asset: str) -> RawResponse:
    """Greeks and implied vols (fractions) of an asset's whole option chain; no prices, OI or volume."""
    raw, _ = get_records(client, "public/opt-summary", {"instFamily": option_family(asset)}, dataset="option_summary")
    return raw
