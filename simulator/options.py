"""Option chains priced from an implied-volatility smile per expiry (Black-76 on the forward), with
open interest concentrated near the money and a put/call mix like the real Deribit chains."""

from __future__ import annotations

import hashlib
import math
from dataclasses import dataclass
from datetime import datetime

from simulator import catalog

# Share of each venue in the option market (Deribit dominates), and the coin OI of a whole chain.
VENUE_OPTION_SHARE = {"deribit": 0.85, "okx": 0.08, "bybit": 0.07}
CHAIN_OI_COIN = {"BTC": 450_000.0, "ETH": 3_000_000.0, "SOL": 2_500_000.0}
SKEW = {"BTC": -0.12, "ETH": -0.10, "SOL": -0.08}  # IV change per unit of log-moneyness (put skew)
SMILE = {"BTC": 0.45, "ETH": 0.40, "SOL": 0.35}  # curvature


def _norm_cdf(x: float) -> float:
    return 0.5 * (1.0 + math.erf(x / math.sqrt(2.0)))


def _norm_pdf(x: float) -> float:
    return math.exp(-0.5 * x * x) / math.sqrt(2 * math.pi)


def black76(forward: float, strike: float, years: float, vol: float, is_call: bool) -> dict[str, float]:
    """Undiscounted Black-76 price (USD) and greeks (delta per unit underlying, vega per vol point)."""
    years = max(years, 1e-6)
    sd = vol * math.sqrt(years)
    d1 = (math.log(forward / strike) + 0.5 * sd * sd) / sd
    d2 = d1 - sd
    if is_call:
        price = forward * _norm_cdf(d1) - strike * _norm_cdf(d2)
        delta = _norm_cdf(d1)
    else:
        price = strike * _norm_cdf(-d2) - forward * _norm_cdf(-d1)
        delta = _norm_cdf(d1) - 1.0
    gamma = _norm_pdf(d1) / (forward * sd)
    vega = forward * _norm_pdf(d1) * math.sqrt(years) / 100.0  # per 1 vol point
    theta = -forward * _norm_pdf(d1) * vol / (2 * math.sqrt(years)) / 365.0  # per day
    return {"price": max(price, 0.0), "delta": delta, "gamma": gamma, "vega": vega, "theta": theta}


def _unit(*parts: object) -> float:
    """A deterministic number in [0, 1) from the parts (per-instrument noise without global state)."""
    h = hashlib.sha256(":".join(str(p) for p in parts).encode()).digest()
    return int.from_bytes(h[:8], "big") / 2**64


@dataclass(frozen=True)
class OptionQuote:
    venue: str
    asset: str
    expiry: datetime
    strike: float
    is_call: bool
    index_price: float
    forward: float
    mark_iv: float  # fraction
    bid_iv: float
    ask_iv: float
    mark_usd: float
    delta: float
    gamma: float
    vega: float
    theta: float
    open_interest: float  # base coin
    volume_24h: float  # base coin

    @property
    def mark_coin(self) -> float:
        return self.mark_usd / self.index_price


def smile_iv(atm: float, asset: str, log_moneyness: float, years: float) -> float:
    x = log_moneyness / max(math.sqrt(years), 0.05)
    return max(0.05, atm * (1.0 + SKEW[asset] * x + SMILE[asset] * 0.1 * x * x))


def chain(market, venue: str, asset: str, t: datetime, expiries: list[datetime] | None = None) -> list[OptionQuote]:
    """Every listed option of `asset` on `venue` at time `t`."""
    share = VENUE_OPTION_SHARE[venue]
    spot = market.price(asset, t)
    day = t.strftime("%Y-%m-%d")
    out: list[OptionQuote] = []
    listed = expiries or catalog.option_expiries(t)
    # The strike grid is set by the spot when the expiry was listed; approximate with the spot of the day.
    strikes = catalog.strikes_for(asset, market.price(asset, t.replace(hour=0, minute=0, second=0, microsecond=0)))
    for expiry in listed:
        years = (expiry - t).total_seconds() / (365 * 86400)
        if years <= 0:
            continue
        forward = market.future_price(asset, expiry, t)
        atm = market.atm_iv(asset, t, years)
        # Nearer expiries hold less OI than quarterlies; weights are rough Deribit proportions.
        expiry_weight = 0.6 if expiry.month in (3, 6, 9, 12) and expiry.day > 21 else 0.25
        width = 0.08 + 0.35 * math.sqrt(years)
        for strike in strikes:
            x = math.log(strike / forward)
            if abs(x) > 4 * width + 0.1:
                continue
            iv = smile_iv(atm, asset, x, years)
            for is_call in (True, False):
                g = black76(forward, strike, years, iv, is_call)
                noise = _unit(market.seed, venue, asset, expiry.date(), strike, is_call, day)
                # Calls concentrate a little above the money, puts below; puts carry ~70 % of call OI.
                centre = 0.05 if is_call else -0.07
                side = 1.0 if is_call else 0.7
                density = math.exp(-0.5 * ((x - centre) / width) ** 2)
                oi = CHAIN_OI_COIN[asset] * share * expiry_weight * side * density * (0.5 + noise) / 200.0
                volume = oi * (0.02 + 0.25 * noise) * (1.5 if years < 0.05 else 1.0)
                spread = 0.01 + 0.02 * abs(x)
                out.append(
                    OptionQuote(
                        venue,
                        asset,
                        expiry,
                        strike,
                        is_call,
                        spot,
                        forward,
                        iv,
                        max(0.01, iv - spread),
                        iv + spread,
                        g["price"],
                        g["delta"],
                        g["gamma"],
                        g["vega"],
                        g["theta"],
                        round(oi, 1),
                        round(volume, 1),
                    )
                )
    return out
