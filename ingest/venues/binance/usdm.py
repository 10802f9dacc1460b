"""Binance USD-M perpetuals (fapi): the host's client and budgets; funding history, current premium index,
funding intervals, open interest. Candles: klines.py; /futures/data statistics: statistics.py.

Facts this relies on (reference/exchange_api.md section 1.1):
- numbers are strings, times are epoch milliseconds, results ascending;
- `/fapi/v1/fundingRate` pages by `startTime` (+ `endTime`, `limit` <= 1000); both bounds inclusive,
  so a half-open window [start, end) is sent as endTime = end - 1 ms;
- `/fapi/v1/fundingRate` and `/fapi/v1/fundingInfo` share a 500 requests / 5 min / IP bucket on top
  of the 2400 weight / minute REQUEST_WEIGHT budget; /futures/data costs no weight but has its own
  1000 requests / 5 min / IP;
- `/fapi/v1/fundingInfo` lists only symbols whose interval or caps were adjusted; others are 8 h.
"""

from __future__ import annotations

from ingest.config import Settings
from ingest.envelope import RawResponse
from ingest.errors import SchemaDrift
from ingest.http import VenueClient, VenueProtocol
from ingest.ratelimit import WindowBudget, shared
from ingest.retry import RetryPolicy
from ingest.venues.binance import protocol
from ingest.windows import TimeWindow

VENUE = "binance"
HOST = "fapi.binance.com"
WEIGHT_LIMIT_PER_MINUTE = 2400
FUNDING_REQUESTS_PER_5_MIN = 500
FUTURES_DATA_REQUESTS_PER_5_MIN = 1000
FUNDING_PAGE_LIMIT = 1000

PROTOCOL = VenueProtocol(
    venue=VENUE,
    host=HOST,
    classify=protocol.classify,
    observe=protocol.observe,
    auth_headers=protocol.auth_headers,
)


def make_client(settings: Settings, retry: RetryPolicy | None = None, **kw) -> VenueClient:
    # Binance counts per IP: every fapi client of the process spends the same budgets.
    budgets = {
        "weight": shared(
            "binance fapi weight", lambda: WindowBudget("binance fapi weight", WEIGHT_LIMIT_PER_MINUTE, 60.0)
        ),
        "funding": shared(
            "binance fapi funding", lambda: WindowBudget("binance fapi funding", FUNDING_REQUESTS_PER_5_MIN, 300.0)
        ),
        "futures_data": shared(
            "binance fapi futures data",
            lambda: WindowBudget("binance fapi futures data", FUTURES_DATA_REQUESTS_PER_5_MIN, 300.0),
        ),
    }
    return VenueClient(PROTOCOL, settings, budgets, retry=retry or RetryPolicy(), **kw)


def funding_history_params(symbol: str, window: TimeWindow) -> dict:
    """The first request of a funding-history window (pure; unit-tested)."""
    return {
        "symbol": symbol,
        "startTime": window.start_ms,
        "endTime": window.end_ms - 1,
        "limit": FUNDING_PAGE_LIMIT,
    }


def next_funding_page(params: dict, page_rows: list[dict]) -> dict | None:
    """Params of the next page, or None when this page was the last (short page or window done)."""
    if len(page_rows) < params["limit"]:
        return None
    last = int(page_rows[-1]["fundingTime"])
    if last + 1 > params["endTime"]:
        return None
    return {**params, "startTime": last + 1}


def fetch_funding_history(
    client: VenueClient, symbol: str, window: TimeWindow, first_page: int = 0
) -> list[RawResponse]:
    params: dict | None = funding_history_params(symbol, window)
    pages: list[RawResponse] = []
    while params is not None:
        raw, body = client.get_json(
            "/fapi/v1/fundingRate",
            params,
            dataset="funding_rates",
            costs={"weight": 1, "funding": 1},
            page=first_page + len(pages),
        )
        if not isinstance(body, list):
            raise SchemaDrift(f"fundingRate returned {type(body).__name__}, expected a list", venue=VENUE)
        pages.append(raw)
        params = next_funding_page(params, body)
    return pages


def fetch_premium_index(client: VenueClient, symbol: str, page: int = 0) -> RawResponse:
    raw, body = client.get_json(
        "/fapi/v1/premiumIndex", {"symbol": symbol}, dataset="premium_index", costs={"weight": 1}, page=page
    )
    if not isinstance(body, dict) or "lastFundingRate" not in body:
        raise SchemaDrift("premiumIndex body lacks lastFundingRate", venue=VENUE, field="lastFundingRate")
    return raw


def fetch_funding_info(client: VenueClient) -> RawResponse:
    raw, body = client.get_json("/fapi/v1/fundingInfo", {}, dataset="funding_info", costs={"weight": 1, "funding": 1})
    if not isinstance(body, list):
        raise SchemaDrift("fundingInfo returned a non-list body", venue=VENUE)
    return raw


def fetch_open_interest(client: VenueClient, symbol: str, page: int = 0) -> RawResponse:
    raw, body = client.get_json(
        "/fapi/v1/openInterest", {"symbol": symbol}, dataset="open_interest", costs={"weight": 1}, page=page
    )
    if not isinstance(body, dict) or "openInterest" not in body:
        raise SchemaDrift("openInterest body lacks openInterest", venue=VENUE, field="openInterest")
    return raw
