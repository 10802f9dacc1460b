"""The Bybit client: one IP budget for api.bybit.com, endpoint budgets learned from the venue's headers, and
the page loop every endpoint group shares.

Limits (reference/exchange_api.md section 2): 600 requests per 5 s per IP, shared by all traffic to the
host; going over bans the IP for at least 10 minutes. Our budget keeps 45 % of it (270 per 5 s, 54/s): the
venue does not say where its window starts, and a fixed window that is out of step with ours can see two of
our windows' worth of requests, so 2 x 270 = 540 stays under 600 whatever the offset. That is still far
more than a backfill needs (a day of every dataset is a few dozen requests).

Bybit publishes no per-endpoint limit for public market data, but refuses with retCode 10006 and
`X-Bapi-Limit*` headers when one applies. Each endpoint budget starts at 10 requests per second (the pace
ccxt keeps for Bybit's public market calls) less a 10 % margin, and adopts the venue's numbers from those
headers (protocol.observe) when it ever sends them.
"""

from __future__ import annotations

from collections.abc import Callable

from ingest.config import Settings
from ingest.envelope import FailedResponse, RawResponse
from ingest.errors import SchemaDrift
from ingest.http import VenueClient, VenueProtocol
from ingest.ratelimit import WindowBudget
from ingest.retry import RetryPolicy
from ingest.venues.bybit import protocol

VENUE = "bybit"
HOST = "api.bybit.com"
IP_LIMIT = 600
IP_WINDOW_SECONDS = 5.0
IP_SAFETY = 0.45
ENDPOINT_WINDOW_SECONDS = 1.0  # Bybit's per-endpoint limits are per second
ENDPOINT_DEFAULT_PER_SECOND = 10

INSTRUMENTS = "/v5/market/instruments-info"
TICKERS = "/v5/market/tickers"
FUNDING_HISTORY = "/v5/market/funding/history"
OPEN_INTEREST = "/v5/market/open-interest"
ACCOUNT_RATIO = "/v5/market/account-ratio"
KLINE = "/v5/market/kline"
ENDPOINTS = (INSTRUMENTS, TICKERS, FUNDING_HISTORY, OPEN_INTEREST, ACCOUNT_RATIO, KLINE)

PROTOCOL = VenueProtocol(venue=VENUE, host=HOST, classify=protocol.classify, observe=protocol.observe)

# Given the previous request's params and the `result` object of its answer: the next params, or None.
NextPage = Callable[[dict, dict], dict | None]


# The IP limit covers every request this machine sends to the host, and a run makes one client per partition:
# all clients of a process spend one IP budget (keyed by the limit, which tests shrink). Dagster runs one run
# at a time (orchestration/dagster.yaml), so the process is the whole machine's traffic.
_IP_BUDGETS: dict[int, WindowBudget] = {}


def ip_budget(ip_limit: int = IP_LIMIT) -> WindowBudget:
    return _IP_BUDGETS.setdefault(
        ip_limit, WindowBudget(f"bybit ip ({ip_limit} per 5 s)", ip_limit, IP_WINDOW_SECONDS, safety=IP_SAFETY)
    )


def make_client(settings: Settings, retry: RetryPolicy | None = None, ip_limit: int = IP_LIMIT, **kw) -> VenueClient:
    """`ip_limit` is the venue's documented limit (tests shrink it together with the simulator's)."""
    budgets = {"ip": ip_budget(ip_limit)}
    for path in ENDPOINTS:
        budgets[path] = WindowBudget(f"bybit {path}", ENDPOINT_DEFAULT_PER_SECOND, ENDPOINT_WINDOW_SECONDS, safety=0.9)
    return VenueClient(PROTOCOL, settings, budgets, retry=retry or RetryPolicy(), **kw)


def result_of(body: object, path: str) -> dict:
    """The `result` object of a successful answer; a body without `result.list` cannot be paged or parsed."""
    result = body.get("result") if isinstance(body, dict) else None
    if not isinstance(result, dict) or not isinstance(result.get("list"), list):
        raise SchemaDrift(f"{path} answered without result.list", venue=VENUE, field="result.list")
    return result


def fetch_pages(client: VenueClient, path: str, first: dict, next_page: NextPage, dataset: str) -> list[RawResponse]:
    """Every page from `first` until `next_page` says the window is done; bodies are kept as received."""
    pages: list[RawResponse] = []
    params: dict | None = first
    while params is not None:
        raw, body = client.get_json(path, params, dataset=dataset, costs={"ip": 1, path: 1}, page=len(pages))
        try:
            params = next_page(params, result_of(body, path))
        except SchemaDrift as exc:
            # The body arrived but cannot be paged: keep it with the failures, as the shared client does.
            client.failures.append(FailedResponse(raw, type(exc).__name__, str(exc)))
            raise
        pages.append(raw)
    return pages


def single_page(params: dict, result: dict) -> None:
    """For endpoints that answer in one page (tickers)."""
    return None
