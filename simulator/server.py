"""The simulator's HTTP server: every venue host under its own path prefix on one loopback port,
e.g. http://127.0.0.1:8765/fapi.binance.com/fapi/v1/fundingRate, plus control endpoints under /_sim/."""

from __future__ import annotations

import asyncio
import importlib
import json
import pkgutil
import time

from aiohttp import web

import simulator.venues
from simulator.context import Route, SimContext, VenueError, VenueSim
from simulator.faults import CDN_ERROR_PAGE, transform_body
from simulator.limits import Decision


def _discover() -> tuple[VenueSim, ...]:
    """Every module in simulator/venues exposes SIMS (one VenueSim per venue host it serves)."""
    sims: list[VenueSim] = []
    for info in sorted(pkgutil.iter_modules(simulator.venues.__path__), key=lambda i: i.name):
        module = importlib.import_module(f"simulator.venues.{info.name}")
        sims.extend(getattr(module, "SIMS", ()))
    return tuple(sims)


VENUES: tuple[VenueSim, ...] = _discover()


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
            "generation": ctx.log.generation,
            "t": now,
            "venue": venue.venue,
            "host": venue.host,
            "path": route.path,
            "params": dict(request.query),
        }
        if not decision.allowed:
            response = venue.refusal(decision, limiter, now)
            # Refusals are limit violations whatever status the venue uses (Bybit: 403, or 200 + retCode 10006).
            ctx.log.add(**entry, status=response.status, weight=0, used={}, refused=True)
            return response
        used = {name: b.used(now) for name, b in limiter.buckets.items()}
        fault = ctx.faults.take(venue.venue, route.path, dict(request.query))
        if fault is not None:
            early = await _early_fault(ctx, venue, fault, request, limiter, now)
            if early is not None:
                ctx.log.add(**entry, status=early.status, weight=costs.get("weight", 0), used=used, fault=fault.kind)
                return early
        try:
            body = await route.handler(ctx, request)
            status, headers = 200, {}
        except VenueError as err:
            body, status, headers = err.body, err.status, err.headers
        headers = {**venue.usage_headers(limiter, now), **headers}
        text = body if isinstance(body, str) else json.dumps(body, separators=(",", ":"))
        key = (venue.venue, route.path)
        if fault is not None and status == 200:
            if fault.kind == "truncated":
                text = text[: max(1, len(text) // 2)]
            elif fault.kind == "duplicate_page":
                # With no earlier answer to repeat, this one is served and becomes the page repeated next.
                text = ctx.faults.last_bodies.setdefault(key, text)
            elif fault.kind not in ("timeout",):
                text = json.dumps(transform_body(fault, body), separators=(",", ":"))
        elif status == 200:
            ctx.faults.last_bodies[key] = text
        ctx.log.add(
            **entry, status=status, weight=costs.get("weight", 0), used=used, fault=fault.kind if fault else None
        )
        return _json_response(status, text, headers)

    return handle


async def _early_fault(
    ctx: SimContext, venue: VenueSim, fault, request: web.Request, limiter, now: float
) -> web.Response | None:
    """Faults that replace the answer (or hold it); None lets the handler run."""
    if fault.kind == "rate_limited":
        # The venue's own refusal (status, body, Retry-After), as if its limit had been reached: a client that
        # stays under the documented budget still meets 429s when other users share the IP.
        bucket = next(iter(limiter.buckets), None)
        decision = Decision(False, 429, int(fault.options.get("retry_after", 1)), None, bucket)
        return venue.refusal(decision, limiter, now)
    if fault.kind == "http_5xx":
        return web.Response(status=int(fault.options.get("status", 503)), text="Service Unavailable")
    if fault.kind == "html":
        return web.Response(status=502, text=CDN_ERROR_PAGE, content_type="text/html")
    if fault.kind == "reset":
        if request.transport is not None:
            request.transport.abort()
        return web.Response(status=599, text="")
    if fault.kind == "timeout":
        await asyncio.sleep(float(fault.options.get("seconds", 30)))
        return None
    if fault.kind == "delisted":
        status, body = venue.symbol_error()
        return _json_response(status, body)
    return None


def _ws_handler(ctx: SimContext, venue: VenueSim, ws_route):
    async def handle(request: web.Request) -> web.StreamResponse:
        return await ws_route.handler(ctx, request)

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
        ctx.faults.clear()
        ctx.ws_sent.clear()
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

    async def faults(request: web.Request) -> web.Response:
        if request.method == "DELETE":
            ctx.faults.clear()
            return _json_response(200, {"ok": True})
        try:
            specs = await request.json()
            added = [ctx.faults.add(spec) for spec in (specs if isinstance(specs, list) else [specs])]
        except (ValueError, KeyError) as exc:
            return _json_response(400, {"error": str(exc)})
        return _json_response(200, {"ok": True, "added": len(added)})

    async def fault_log(request: web.Request) -> web.Response:
        return _json_response(
            200, {"applied": ctx.faults.applied, "pending": [f.__dict__ for f in ctx.faults.faults if f.count != 0]}
        )

    async def episodes(request: web.Request) -> web.Response:
        return _json_response(200, [ep.describe() for ep in ctx.market.episodes])

    async def ws_drop(request: web.Request) -> web.Response:
        venue = request.query.get("venue", "")
        dropped = 0
        for ws in list(ctx.ws_connections.get(venue, ())):
            if request.query.get("mode") == "close":
                await ws.close(code=1001, message=b"simulated disconnect")
            elif ws._req is not None and ws._req.transport is not None:  # abrupt, like a network cut
                ws._req.transport.abort()
            dropped += 1
        return _json_response(200, {"dropped": dropped})

    async def ws_sent(request: web.Request) -> web.Response:
        return _json_response(200, ctx.ws_sent.get(request.query.get("venue", ""), []))

    return [
        web.get("/_sim/health", health),
        web.post("/_sim/faults", faults),
        web.delete("/_sim/faults", faults),
        web.get("/_sim/faults", fault_log),
        web.get("/_sim/episodes", episodes),
        web.post("/_sim/ws/drop", ws_drop),
        web.get("/_sim/ws/sent", ws_sent),
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
        for ws_route in venue.websockets:
            routes.append(web.get(f"/{venue.host}{ws_route.path}", _ws_handler(ctx, venue, ws_route)))

    def base_url_of(request: web.Request) -> dict[str, str]:
        return base_urls(f"{request.scheme}://{request.host}")

    routes.extend(_control_routes(ctx, base_url_of))
    app.add_routes(routes)
    app["ctx"] = ctx
    app["started"] = time.time()
    return app
