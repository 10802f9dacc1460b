"""The simulator's HTTP server: every venue host under its own path prefix on one loopback port,
e.g. http://127.0.0.1:8765/fapi.binance.com/fapi/v1/fundingRate, plus control endpoints under /_sim/."""

from __future__ import annotations

import json
import time

from aiohttp import web

from simulator.context import Route, SimContext, VenueError, VenueSim
from simulator.venues import binance

VENUES: tuple[VenueSim, ...] = (binance.SIM,)


def _json_response(status: int, body: object, headers: dict | None = None) -> web.Response:
    text = body if isinstance(body, str) else json.dumps(body, separators=(",", ":"))
    return web.Response(status=status, text=text, content_type="application/json", headers=headers or {})


def _venue_handler(ctx: SimContext, venue: VenueSim, route: Route):
    async def handle(request: web.Request) -> web.Response:
        now = ctx.clock.wall()
        limiter = ctx.limiters[venue.host]
        costs = route.costs(request)
        decision = limiter.decide(now, costs)
        entry = {
            "t": now,
            "venue": venue.venue,
            "host": venue.host,
            "path": route.path,
            "params": dict(request.query),
        }
        if not decision.allowed:
            response = venue.refusal(decision, limiter, now)
            ctx.log.add(**entry, status=response.status, weight=0, used={})
            return response
        try:
            body = await route.handler(ctx, request)
            status, headers = 200, {}
        except VenueError as err:
            body, status, headers = err.body, err.status, err.headers
        headers = {**venue.usage_headers(limiter, now), **headers}
        used = {name: b.used(now) for name, b in limiter.buckets.items()}
        ctx.log.add(**entry, status=status, weight=costs.get("weight", 0), used=used)
        return _json_response(status, body, headers)

    return handle


def _control_routes(ctx: SimContext, base_url_of) -> list[web.RouteDef]:
    async def health(request: web.Request) -> web.Response:
        return _json_response(200, {"ok": True, "now": ctx.clock.now().isoformat(), "venues": base_url_of(request)})

    async def requests(request: web.Request) -> web.Response:
        body = ctx.log.summary()
        if request.query.get("full"):
            body["entries"] = ctx.log.entries
        return _json_response(200, body)

    async def reset(request: web.Request) -> web.Response:
        ctx.log.clear()
        for lim in ctx.limiters.values():
            lim.reset()
        return _json_response(200, {"ok": True})

    async def limits(request: web.Request) -> web.Response:
        overrides = await request.json()
        ctx.limit_overrides.clear()
        ctx.limit_overrides.update(overrides)
        for venue in VENUES:
            ctx.limiters[venue.host] = venue.make_limiter(ctx.limit_overrides)
        return _json_response(200, {"ok": True, "limits": ctx.limit_overrides})

    return [
        web.get("/_sim/health", health),
        web.get("/_sim/requests", requests),
        web.post("/_sim/reset", reset),
        web.post("/_sim/limits", limits),
    ]


def base_urls(root: str) -> dict[str, str]:
    return {v.host: f"{root}/{v.host}" for v in VENUES}


def create_app(ctx: SimContext) -> web.Application:
    for venue in VENUES:
        ctx.limiters.setdefault(venue.host, venue.make_limiter(ctx.limit_overrides))
    app = web.Application()
    routes = []
    for venue in VENUES:
        for route in venue.routes:
            routes.append(web.get(f"/{venue.host}{route.path}", _venue_handler(ctx, venue, route)))

    def base_url_of(request: web.Request) -> dict[str, str]:
        return base_urls(f"{request.scheme}://{request.host}")

    routes.extend(_control_routes(ctx, base_url_of))
    app.add_routes(routes)
    app["ctx"] = ctx
    app["started"] = time.time()
    return app
