"""What every simulated venue shares: the market, the clock, the limiters and the request log."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

from aiohttp import web

from simulator.clock import SimClock
from simulator.faults import FaultBook
from simulator.limits import Decision, RequestLog, VenueLimiter
from simulator.market import Market


class VenueError(Exception):
    """A handler's way to answer with the venue's own error body."""

    def __init__(self, status: int, body: dict | str, headers: dict | None = None):
        super().__init__(str(body))
        self.status, self.body, self.headers = status, body, headers or {}


Handler = Callable[["SimContext", web.Request], Awaitable[object]]


@dataclass(frozen=True)
class Route:
    path: str  # the venue's own path, e.g. /fapi/v1/fundingRate
    handler: Handler
    costs: Callable[[web.Request], dict[str, float]]


WsHandler = Callable[["SimContext", web.Request], Awaitable[web.WebSocketResponse]]


@dataclass(frozen=True)
class WsRoute:
    path: str  # e.g. /ws/!forceOrder@arr or /v5/public/linear
    handler: WsHandler


def _no_symbol_error() -> tuple[int, object]:
    return 400, {"error": "invalid symbol"}


@dataclass
class VenueSim:
    """One venue host as the simulator serves it."""

    venue: str
    host: str
    routes: list[Route]
    make_limiter: Callable[[dict], VenueLimiter]
    # Turn a refusal into the venue's exact status, headers and body.
    refusal: Callable[[Decision, VenueLimiter, float], web.Response]
    # Headers every answer carries (e.g. Binance's used-weight header).
    usage_headers: Callable[[VenueLimiter, float], dict[str, str]] = lambda lim, now: {}
    # The venue's answer for an unknown or delisted instrument: (HTTP status, body).
    symbol_error: Callable[[], tuple[int, object]] = _no_symbol_error
    websockets: list[WsRoute] = field(default_factory=list)


@dataclass
class SimContext:
    market: Market
    clock: SimClock
    log: RequestLog = field(default_factory=RequestLog)
    limiters: dict[str, VenueLimiter] = field(default_factory=dict)
    limit_overrides: dict = field(default_factory=dict)
    faults: FaultBook = field(default_factory=FaultBook)
    # Open websocket connections per venue, and every message sent on them (tests read it back).
    ws_connections: dict[str, set] = field(default_factory=dict)
    ws_sent: dict[str, list[dict]] = field(default_factory=dict)

    def record_ws(self, venue: str, connection_id: int, message: str) -> None:
        self.ws_sent.setdefault(venue, []).append({"connection": connection_id, "message": message})
