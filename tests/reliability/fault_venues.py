"""The wire facts the fault matrix needs per venue: which partition it fetches, which fields each body fault
targets, how the venue names the asset a `delisted` fault removes, and how a record's funding rate per
interval is read (the value the mart suite's cap applies to).

Each venue's dataset is a settled history for a past day where the venue has one (the answer does not move
with the wall clock); GMX keeps no history, so its static market catalogue stands in.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

ASSETS = ("BTC", "ETH", "SOL")


@dataclass(frozen=True)
class VenueCase:
    venue: str
    dataset: str
    renamed: str  # a field staging needs, renamed by drift_rename
    dropped: str  # a field staging needs, dropped by drift_missing
    # drift_string turns JSON numbers of this field into strings; where the venue already sends the field as a
    # string (its documented encoding) the fault has nothing to change.
    stringified: str
    sends_number: bool  # whether `stringified` arrives as a JSON number
    rate_field: str | None  # the field carrying the funding rate the marts read (None: the dataset has none)
    rate_value: float  # what out_of_range writes into it: beyond the venue's cap once read per interval
    # Per interval rate of one raw record, as staging computes it.
    rate_per_interval: Callable[[dict], float] | None
    # The symbol a `delisted` fault refuses, as the venue spells it in the query; None when the symbol sits
    # in the URL path (the simulator's fault matches query values only), so the fault takes the first request.
    delisted_symbol: str | None
    delisted_asset: str | None  # the asset fetch_partition must skip (None: a whole-venue call fails)
    time_field: str | None  # the record's settlement stamp (epoch ms or s, digits or ISO-8601); None: no stamp


CASES: tuple[VenueCase, ...] = (
    VenueCase(
        "binance",
        time_field="fundingTime",
        dataset="funding_rates",
        renamed="fundingRate",
        dropped="fundingTime",
        stringified="fundingTime",
        sends_number=True,
        rate_field="fundingRate",
        rate_value=0.5,
        rate_per_interval=lambda r: float(r["fundingRate"]),
        delisted_symbol="SOLUSDT",
        delisted_asset="SOL",
    ),
    VenueCase(
        "bybit",
        time_field="fundingRateTimestamp",
        dataset="funding_rates",
        renamed="fundingRate",
        dropped="fundingRateTimestamp",
        stringified="fundingRate",
        sends_number=False,
        rate_field="fundingRate",
        rate_value=0.5,
        rate_per_interval=lambda r: float(r["fundingRate"]),
        delisted_symbol="SOLUSDT",
        delisted_asset="SOL",
    ),
    VenueCase(
        "okx",
        time_field="fundingTime",
        dataset="funding_rate_history",
        renamed="fundingRate",
        dropped="fundingTime",
        stringified="fundingRate",
        sends_number=False,
        # Staging reads realizedRate (what was exchanged) before the formula's fundingRate.
        rate_field="realizedRate",
        rate_value=0.5,
        rate_per_interval=lambda r: float(r["realizedRate"]),
        delisted_symbol="SOL-USDT-SWAP",
        delisted_asset="SOL",
    ),
    VenueCase(
        "deribit",
        time_field="timestamp",
        dataset="funding_rates",
        renamed="interest_8h",
        dropped="timestamp",
        stringified="interest_8h",
        sends_number=True,
        # Staging's funding_rate is the hour's interest_1h.
        rate_field="interest_1h",
        rate_value=0.5,
        rate_per_interval=lambda r: float(r["interest_1h"]),
        delisted_symbol="SOL_USDC-PERPETUAL",
        delisted_asset="SOL",
    ),
    VenueCase(
        "bitmex",
        time_field="timestamp",
        dataset="funding_rates",
        renamed="fundingRate",
        dropped="timestamp",
        stringified="fundingRate",
        sends_number=True,
        rate_field="fundingRate",
        rate_value=0.5,
        rate_per_interval=lambda r: float(r["fundingRate"]),
        delisted_symbol="SOLUSD",
        delisted_asset="SOL",
    ),
    VenueCase(
        "dydx",
        time_field="effectiveAt",
        dataset="funding_rates",
        renamed="rate",
        dropped="effectiveAt",
        stringified="rate",
        sends_number=False,
        rate_field="rate",
        rate_value=0.5,
        rate_per_interval=lambda r: float(r["rate"]),
        delisted_symbol=None,  # /v4/historicalFunding/{ticker}
        delisted_asset="BTC",
    ),
    VenueCase(
        "gmx",
        time_field=None,
        dataset="markets",
        renamed="marketToken",
        dropped="indexToken",
        stringified="marketToken",
        sends_number=False,
        # The catalogue carries no rate (GMX's rates are in /markets/info, a snapshot that moves every second):
        # out_of_range names a field /markets does not send.
        rate_field="fundingRateLong",
        rate_value=0.5,
        rate_per_interval=None,
        delisted_symbol=None,  # one call for the whole venue, no symbol in it
        delisted_asset=None,
    ),
    VenueCase(
        "drift",
        time_field="ts",
        dataset="funding_rates",
        renamed="fundingRate",
        dropped="ts",
        stringified="ts",
        sends_number=True,
        # Drift's fundingRate is quote per base; staging divides by the oracle TWAP. A million quote units per
        # base is beyond the cap for every asset's price.
        rate_field="fundingRate",
        rate_value=1_000_000.0,
        rate_per_interval=lambda r: float(r["fundingRate"]) / float(r["oraclePriceTwap"]),
        delisted_symbol=None,  # /market/{symbol}/fundingRates/{year}/{month}/{day}
        delisted_asset="BTC",
    ),
)

BY_VENUE = {c.venue: c for c in CASES}


def neighbour(case: VenueCase) -> VenueCase:
    """The next venue of the list (the last one wraps to the first): fetched while `case` is under a fault."""
    i = CASES.index(case)
    return CASES[(i + 1) % len(CASES)]
