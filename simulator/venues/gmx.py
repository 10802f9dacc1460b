"""GMX v2 on Arbitrum as its oracle REST API (arbitrum-api.gmxinfra.io) answers.

- `/markets`: the catalogue, `{"markets": [...]}` with checksummed token addresses and listing dates.
- `/markets/info`: near-live state per market: open interest, liquidity and pool amounts, and per-side
  funding, borrowing and net rates, every number a 1e30 fixed-point integer string. Rates are annualised
  fractions (reference/exchange_api.md section 7: live magnitudes are only plausible as annual rates).
- `/prices/tickers`: a bare list of oracle prices scaled by 10^(30 - token decimals).
- `/prices/candles`: `{"period", "candles": [[ts, open, high, low, close], ...]}`, newest first.

GMX publishes no rate limit. We refuse over a per-IP budget with a plain-text 429 (see `refusal`).
Token and market addresses are fake but stable: derived from their names, with EIP-55 checksums.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import numpy as np
from aiohttp import web

from simulator.context import Route, SimContext, VenueError, VenueSim
from simulator.limits import Bucket, Decision, VenueLimiter

VENUE = "gmx"
HOST = "arbitrum-api.gmxinfra.io"

# Pools back longs with the long token and shorts with USDC; GMX lets open interest use this share of
# a side's pool (its reserve factor). Our pools hold 1/1.1 of the total open interest per side, so the
# side holding up to 80 % of open interest still shows positive available liquidity.
RESERVE_FACTOR = 0.9
POOL_PER_OI = 1 / 1.1

PERIOD_MINUTES = {"1m": 1, "5m": 5, "15m": 15, "1h": 60, "4h": 240, "1d": 1440}
# Documented by GMX forks that run the same oracle service (default 1000, 1..10000).
DEFAULT_CANDLES, MAX_CANDLES = 1000, 10000
# Informed guess: the oracle service answers errors as {"errors": [...]}, the shape of its documented
# /ping failure. An unknown token gets the same answer whatever its name (the `delisted` fault uses it).
UNKNOWN_TOKEN = {"errors": ["unsupported tokenSymbol"]}


@dataclass(frozen=True)
class Token:
    symbol: str  # the oracle's tokenSymbol (WETH is listed as ETH, like the real API)
    decimals: int
    asset: str | None  # the market asset whose price it carries; None for the USD stablecoin


TOKENS = (
    Token("BTC", 8, "BTC"),  # synthetic index token of the BTC market
    Token("WBTC", 8, "BTC"),
    Token("ETH", 18, "ETH"),
    Token("SOL", 9, "SOL"),
    Token("USDC", 6, None),
)
TOKEN_BY_SYMBOL = {t.symbol: t for t in TOKENS}
# Per asset: (index token, long token); every market's short token is USDC.
MARKET_TOKENS = {"BTC": ("BTC", "WBTC"), "ETH": ("ETH", "ETH"), "SOL": ("SOL", "SOL")}
LISTING_DATES = {
    "BTC": "2023-08-02T00:00:00.000Z",
    "ETH": "2023-08-02T00:00:00.000Z",
    "SOL": "2023-09-14T00:00:00.000Z",
}


# --- addresses ------------------------------------------------------------------------------------
_MASK = (1 << 64) - 1
_ROUND_CONSTANTS = (
    0x0000000000000001, 0x0000000000008082, 0x800000000000808A, 0x8000000080008000,
    0x000000000000808B, 0x0000000080000001, 0x8000000080008081, 0x8000000000008009,
    0x000000000000008A, 0x0000000000000088, 0x0000000080008009, 0x000000008000000A,
    0x000000008000808B, 0x800000000000008B, 0x8000000000008089, 0x8000000000008003,
    0x8000000000008002, 0x8000000000000080, 0x000000000000800A, 0x800000008000000A,
    0x8000000080008081, 0x8000000000008080, 0x0000000080000001, 0x8000000080008008,
)  # fmt: skip
# Rotation offsets, indexed [x][y].
_ROTATIONS = ((0, 36, 3, 41, 18), (1, 44, 10, 45, 2), (62, 6, 43, 15, 61), (28, 55, 25, 21, 56), (27, 20, 39, 8, 14))


def _rol(value: int, shift: int) -> int:
    return ((value << shift) | (value >> (64 - shift))) & _MASK if shift else value


def _keccak_f(state: list[list[int]]) -> list[list[int]]:
    """The Keccak-f[1600] permutation (theta, rho, pi, chi, iota) on a 5x5 lane state."""
    for rc in _ROUND_CONSTANTS:
        c = [state[x][0] ^ state[x][1] ^ state[x][2] ^ state[x][3] ^ state[x][4] for x in range(5)]
        d = [c[(x - 1) % 5] ^ _rol(c[(x + 1) % 5], 1) for x in range(5)]
        b = [[0] * 5 for _ in range(5)]
        for x in range(5):
            for y in range(5):
                b[y][(2 * x + 3 * y) % 5] = _rol(state[x][y] ^ d[x], _ROTATIONS[x][y])
        state = [[b[x][y] ^ (~b[(x + 1) % 5][y] & b[(x + 2) % 5][y]) for y in range(5)] for x in range(5)]
        state[0][0] ^= rc
    return state


def keccak256(data: bytes) -> bytes:
    """Ethereum's Keccak-256 (not hashlib's SHA3-256, whose padding differs). EIP-55 checksums need it
    and the standard library lacks it; real GMX answers always carry checksummed addresses."""
    rate = 136
    padded = bytearray(data) + b"\x01"
    padded += bytes(-len(padded) % rate)
    padded[-1] |= 0x80
    state = [[0] * 5 for _ in range(5)]
    for offset in range(0, len(padded), rate):
        for i in range(rate // 8):
            lane = int.from_bytes(padded[offset + 8 * i : offset + 8 * i + 8], "little")
            state[i % 5][i // 5] ^= lane
        state = _keccak_f(state)
    return b"".join(state[i % 5][i // 5].to_bytes(8, "little") for i in range(4))


def checksum_address(hex40: str) -> str:
    """EIP-55 mixed-case form of a 20-byte address given as 40 lowercase hex digits."""
    digest = keccak256(hex40.encode()).hex()
    return "0x" + "".join(ch.upper() if ch.isalpha() and int(digest[i], 16) >= 8 else ch for i, ch in enumerate(hex40))


def fake_address(label: str) -> str:
    """A stable, realistic-looking address for a token or market that we name ourselves."""
    return checksum_address(hashlib.sha256(f"gmx-sim:arbitrum:{label}".encode()).hexdigest()[:40])


TOKEN_ADDRESS = {t.symbol: fake_address(f"token:{t.symbol}") for t in TOKENS}


# --- number formats -------------------------------------------------------------------------------
def x30(value: float) -> str:
    """A USD amount or rate as GMX's 1e30 fixed-point integer string. The exact binary value of the
    float is scaled, so the low digits are as busy as real ones instead of a run of zeros."""
    return str(int(Decimal(value) * 10**30))


def oracle_price(usd: float, decimals: int) -> str:
    """USD per whole token as the oracle sends it: scaled by 10^(30 - decimals), so that multiplying by
    an amount in the token's smallest unit gives USD x 1e30. Oracle prices carry 4 decimals of USD."""
    return str(round(usd * 1e4) * 10 ** (26 - decimals))


def _token_amount(amount: float, decimals: int) -> str:
    return str(int(Decimal(amount) * 10**decimals))


def _seconds(t: datetime) -> int:
    return int(t.timestamp())


def _hash_int(*parts: object) -> int:
    return int.from_bytes(hashlib.sha256(":".join(map(str, parts)).encode()).digest()[:4], "big")


# --- market state ---------------------------------------------------------------------------------
def _token_usd(ctx: SimContext, token: Token, t: datetime) -> float:
    return 1.0 if token.asset is None else ctx.market.price(token.asset, t)


def _markets(ctx: SimContext):
    """The GMX instruments of the shared market, in catalogue order (BTC, ETH, SOL)."""
    return ctx.market.perps(VENUE)


def _catalogue_row(inst) -> dict:
    asset = inst.params.asset
    index_symbol, long_symbol = MARKET_TOKENS[asset]
    return {
        "marketToken": fake_address(f"market:{inst.symbol}"),
        "indexToken": TOKEN_ADDRESS[index_symbol],
        "longToken": TOKEN_ADDRESS[long_symbol],
        "shortToken": TOKEN_ADDRESS["USDC"],
        "isListed": True,
        "listingDate": LISTING_DATES[asset],
    }


def _liquidity(ctx: SimContext, inst, oi_long: float, oi_short: float, now: datetime) -> dict[str, str]:
    """Pool amounts (in each token's smallest unit) and the USD a new position could still open."""
    pool_usd = (oi_long + oi_short) * POOL_PER_OI
    long_token = TOKEN_BY_SYMBOL[MARKET_TOKENS[inst.params.asset][1]]
    long_price = _token_usd(ctx, long_token, now)
    return {
        "availableLiquidityLong": x30(max(0.0, pool_usd * RESERVE_FACTOR - oi_long)),
        "availableLiquidityShort": x30(max(0.0, pool_usd * RESERVE_FACTOR - oi_short)),
        "poolAmountLong": _token_amount(pool_usd / long_price, long_token.decimals),
        "poolAmountShort": _token_amount(pool_usd, TOKEN_BY_SYMBOL["USDC"].decimals),
    }


def _rates(ctx: SimContext, name: str, now: datetime) -> dict[str, str]:
    """Per-side annualised rates. Funding is positive for the side that receives it; borrowing is a cost;
    the net rate is what a position earns: funding minus borrowing."""
    r = ctx.market.gmx_rates(name, now)
    return {
        "fundingRateLong": x30(r["funding_long"]),
        "fundingRateShort": x30(r["funding_short"]),
        "borrowingRateLong": x30(r["borrowing_long"]),
        "borrowingRateShort": x30(r["borrowing_short"]),
        "netRateLong": x30(r["funding_long"] - r["borrowing_long"]),
        "netRateShort": x30(r["funding_short"] - r["borrowing_short"]),
    }


def _info_row(ctx: SimContext, inst, now: datetime) -> dict:
    oi_long, oi_short = ctx.market.gmx_open_interest_usd(inst.symbol, now)
    return {
        "name": inst.symbol,
        **_catalogue_row(inst),
        "isDisabled": False,
        "openInterestLong": x30(oi_long),
        "openInterestShort": x30(oi_short),
        **_liquidity(ctx, inst, oi_long, oi_short, now),
        **_rates(ctx, inst.symbol, now),
    }


async def markets(ctx: SimContext, request: web.Request) -> object:
    # Informed guess: the catalogue rows carry the token addresses and listing facts but not the
    # display name, which /markets/info adds.
    return {"markets": [_catalogue_row(inst) for inst in _markets(ctx)]}


async def markets_info(ctx: SimContext, request: web.Request) -> object:
    now = ctx.clock.now()
    return {"markets": [_info_row(ctx, inst, now) for inst in _markets(ctx)]}


# --- prices ---------------------------------------------------------------------------------------
def _ticker(ctx: SimContext, token: Token, now: datetime) -> dict:
    """One oracle ticker: min and max straddle the price by half a basis point (stablecoins a little
    more), and the update lands a few hundred ms before the request, as keepers push every second."""
    mid = _token_usd(ctx, token, now)
    half_spread = 0.0001 if token.asset is None else 0.00005
    updated_ms = int(now.timestamp() * 1000) - 100 - _hash_int(token.symbol, _seconds(now)) % 900
    return {
        "tokenAddress": TOKEN_ADDRESS[token.symbol],
        "tokenSymbol": token.symbol,
        "minPrice": oracle_price(mid * (1 - half_spread), token.decimals),
        "maxPrice": oracle_price(mid * (1 + half_spread), token.decimals),
        "updatedAt": updated_ms,
        "timestamp": updated_ms // 1000,
    }


async def tickers(ctx: SimContext, request: web.Request) -> object:
    now = ctx.clock.now()
    return [_ticker(ctx, token, now) for token in TOKENS]


def _bad_request(message: str) -> VenueError:
    return VenueError(400, {"errors": [message]})


def _candle_params(request: web.Request) -> tuple[Token, str, int]:
    symbol = request.query.get("tokenSymbol")
    if not symbol:
        raise _bad_request("tokenSymbol is required")
    token = TOKEN_BY_SYMBOL.get(symbol)
    if token is None or token.asset is None:
        raise VenueError(400, UNKNOWN_TOKEN)
    period = request.query.get("period", "")
    if period not in PERIOD_MINUTES:
        raise _bad_request(f"period must be one of {', '.join(PERIOD_MINUTES)}")
    raw_limit = request.query.get("limit", str(DEFAULT_CANDLES))
    if not raw_limit.isdigit() or not 1 <= int(raw_limit) <= MAX_CANDLES:
        raise _bad_request(f"limit must be an integer from 1 to {MAX_CANDLES}")
    return token, period, int(raw_limit)


def index_ohlc(market, asset: str, start: datetime, end: datetime) -> list[float]:
    """Open, high, low and close of the oracle (index) price over [start, end]. The price is linear
    between its 5-minute grid points, so the grid points inside plus both ends hold its extremes."""
    i0, logs = market.log_prices_5m(asset, start, end)
    steps = np.arange(i0, i0 + len(logs))
    inside = np.exp(logs[(steps >= market.step_index(start)) & (steps <= market.step_index(end))])
    first, last = market.price(asset, start), market.price(asset, end)
    prices = np.concatenate(([first, last], inside))
    return [first, float(prices.max()), float(prices.min()), last]


def _candles(ctx: SimContext, asset: str, minutes: int, limit: int) -> list[list[float]]:
    """Newest first, starting with the candle still forming (closed at the current price); candles
    align to multiples of the period since the epoch, and none starts before the simulated history."""
    m, now = ctx.market, ctx.clock.now()
    step = minutes * 60
    newest = _seconds(now) // step * step
    oldest_allowed = -(-_seconds(m.start) // step) * step
    out = []
    for open_s in range(newest, max(oldest_allowed, newest - (limit - 1) * step) - 1, -step):
        start = datetime.fromtimestamp(open_s, tz=UTC)
        ohlc = index_ohlc(m, asset, start, min(start + timedelta(seconds=step), now))
        out.append([open_s, *(round(v, 4) for v in ohlc)])
    return out


async def candles(ctx: SimContext, request: web.Request) -> object:
    token, period, limit = _candle_params(request)
    return {"period": period, "candles": _candles(ctx, token.asset, PERIOD_MINUTES[period], limit)}


# --- limits ---------------------------------------------------------------------------------------
def make_limiter(overrides: dict) -> VenueLimiter:
    """GMX documents no limit. We assume a per-IP budget of 300 requests a minute (a polling collector
    needs a handful) and no ban: a proxy in front of the API just keeps refusing while over budget."""
    o = overrides.get(VENUE, {})
    return VenueLimiter(
        buckets={"requests": Bucket("requests", int(o.get("requests_limit", 300)), float(o.get("window_s", 60)))},
        ban_after_strikes=int(o.get("ban_after_strikes", 1_000_000)),
    )


def refusal(decision: Decision, limiter: VenueLimiter, now: float) -> web.Response:
    """Informed guess: the reverse proxy's own answer, plain text with a Retry-After in seconds."""
    return web.Response(
        status=429,
        text="Too Many Requests",
        content_type="text/plain",
        headers={"Retry-After": str(decision.retry_after or 1)},
    )


def _one_request(request: web.Request) -> dict[str, float]:
    return {"requests": 1}


SIM = VenueSim(
    venue=VENUE,
    host=HOST,
    routes=[
        Route("/markets", markets, _one_request),
        Route("/markets/info", markets_info, _one_request),
        Route("/prices/tickers", tickers, _one_request),
        Route("/prices/candles", candles, _one_request),
    ],
    make_limiter=make_limiter,
    refusal=refusal,
    symbol_error=lambda: (400, UNKNOWN_TOKEN),
)

SIMS = [SIM]
