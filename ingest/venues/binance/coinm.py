"""Binance COIN-M futures (dapi): inverse perpetuals `BTCUSD_PERP` and delivery contracts `BTCUSD_YYMMDD`,
margined and settled in the coin, counted in contracts of `contractSize` USD (100 for BTC, 10 for others).

Facts this relies on (reference/exchange_api.md section 1.2; the simulator agrees):
- its own REQUEST_WEIGHT budget of 2400 / minute per IP, separate from fapi's, reported in the same
  X-MBX-USED-WEIGHT-1M header;
- `/dapi/v1/fundingRate` pages like USD-M's (inclusive bounds, ascending, limit <= 1000), weight 1; its rows
  carry no markPrice; delivery contracts have no funding;
- `/dapi/v1/premiumIndex?pair=` always answers an array: the pair's perpetual and its delivery contracts
  (those with an empty lastFundingRate); weight 10;
- `/dapi/v1/openInterest?symbol=` is one contract's open interest in contracts, weight 1; the contracts of a
  pair come from `/dapi/v1/exchangeInfo` (weight 1), keeping those whose contractStatus is TRADING.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence

from ingest.config import Settings
from ingest.envelope import FailedResponse, RawResponse
from ingest.errors import SchemaDrift, SymbolInvalid
from ingest.http import VenueClient, VenueProtocol
from ingest.ratelimit import WindowBudget, shared
from ingest.retry import RetryPolicy
from ingest.venues.binance import protocol
from ingest.venues.binance.paging import fetch_pages
from ingest.venues.binance.symbols import coinm_pair
from ingest.venues.binance.usdm import funding_history_params, next_funding_page
from ingest.windows import TimeWindow

log = logging.getLogger(__name__)

VENUE = "binance"
HOST = "dapi.binance.com"
WEIGHT_LIMIT_PER_MINUTE = 2400
# Named after the host: a budget named "weight" of the same size would be taken for fapi's (ingest/http.py
# shares budgets per venue, name and size).
WEIGHT = "dapi_weight"
EXCHANGE_INFO = "/dapi/v1/exchangeInfo"

PROTOCOL = VenueProtocol(
    venue=VENUE,
    host=HOST,
    classify=protocol.classify,
    observe=protocol.weight_observer(WEIGHT),
    auth_headers=protocol.auth_headers,
)


def make_client(settings: Settings, retry: RetryPolicy | None = None, **kw) -> VenueClient:
    # Binance counts per IP: every dapi client of the process spends the same budget.
    budgets = {
        WEIGHT: shared(
            "binance dapi weight", lambda: WindowBudget("binance dapi weight", WEIGHT_LIMIT_PER_MINUTE, 60.0)
        )
    }
    return VenueClient(PROTOCOL, settings, budgets, retry=retry or RetryPolicy(), **kw)


def fetch_funding_history(client: VenueClient, symbol: str, window: TimeWindow) -> list[RawResponse]:
    """Settled funding of a COIN-M perpetual: the same window and paging as USD-M's."""
    return fetch_pages(
        client,
        "/dapi/v1/fundingRate",
        funding_history_params(symbol, window),
        next_funding_page,
        dataset="coinm_funding_rates",
        costs={WEIGHT: 1},
    )


def fetch_premium_index(client: VenueClient, pair: str) -> RawResponse:
    raw, _ = client.get_json("/dapi/v1/premiumIndex", {"pair": pair}, dataset="coinm_premium_index", costs={WEIGHT: 10})
    return raw


def fetch_open_interest(client: VenueClient, symbol: str) -> RawResponse:
    raw, _ = client.get_json(
        "/dapi/v1/openInterest", {"symbol": symbol}, dataset="coinm_open_interest", costs={WEIGHT: 1}
    )
    return raw


def trading_contracts(client: VenueClient, pairs: Sequence[str], *, dataset: str) -> list[str]:
    """The TRADING contracts of `pairs` (perpetuals and delivery contracts), in the listing's order. The listing
    only plans the requests (exchange_info keeps it); one that cannot be read fails the partition, its body kept."""
    raw, body = client.get_json(EXCHANGE_INFO, {}, dataset=dataset, costs={WEIGHT: 1})
    try:
        return [s["symbol"] for s in body["symbols"] if s.get("pair") in pairs and s.get("contractStatus") == "TRADING"]
    except (KeyError, TypeError) as exc:
        message = f"{EXCHANGE_INFO}: no readable symbol list to plan from ({exc!r})"
        client.failures.append(FailedResponse(raw, "SchemaDrift", message))
        raise SchemaDrift(message, venue=VENUE, field="symbols", status=raw.http_status, body=raw.payload) from exc


def fetch_open_interest_of_assets(client: VenueClient, assets: Sequence[str]) -> list[RawResponse]:
    """Open interest of every TRADING contract of the assets' pairs. A contract that is delivered between the
    listing and its own request answers -1121: it is left out (its body is in the client's failures) rather
    than failing every other contract of the hour, which cannot be fetched again later."""
    pages: list[RawResponse] = []
    for symbol in trading_contracts(client, [coinm_pair(a) for a in assets], dataset="coinm_open_interest"):
        try:
            pages.append(fetch_open_interest(client, symbol))
        except SymbolInvalid as exc:
            log.warning("binance COIN-M %s left out of the open interest snapshot: %s", symbol, exc)
    return pages
