"""Every instrument the simulator lists, per venue, with the facts that shape its wire format.

Asset-level parameters (prices, funding calibration) live in calibration.py; this file says which
venue lists what, under which symbol, in which unit, and how its funding works.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

ASSETS = ("BTC", "ETH", "SOL")


@dataclass(frozen=True)
class Perp:
    venue: str
    symbol: str
    asset: str
    interval_hours: int  # 0 = continuous accrual (Deribit, GMX)
    funding_style: str  # 'clamp' (CEX formula), 'hourly' (dYdX, Drift), 'deribit', 'gmx'
    quote: str  # USDT, USD, USDC
    inverse: bool  # coin-margined: contracts are USD notionals
    contract_size: float  # base coin per contract (linear) or USD per contract (inverse)
    oi_share: float  # this instrument's share of the asset's open interest across venues
    premium_bias_bp: float = 0.0  # venue offset on the premium index (cross-venue spreads)


# Funding calibration for the non-Binance venues reuses the asset's Binance calibration with a venue
# offset and its own noise stream; shares are rough 2026 proportions of BTC/ETH/SOL OI per venue.
_VENUE_SHARES = {
    "binance": 0.32,
    "binance_coinm": 0.06,
    "bybit": 0.20,
    "bybit_inverse": 0.04,
    "okx": 0.14,
    "deribit": 0.06,
    "bitmex": 0.05,
    "dydx": 0.05,
    "gmx": 0.05,
    "drift": 0.03,
}


def _perps_for(asset: str) -> list[Perp]:
    s = _VENUE_SHARES
    inverse_size = 100.0 if asset == "BTC" else 10.0  # Binance COIN-M: 100 USD per BTC contract, 10 otherwise
    # Deribit: BTC-PERPETUAL 10 USD, ETH-PERPETUAL 1 USD per contract; SOL_USDC-PERPETUAL 0.1 SOL.
    deribit_size = {"BTC": 10.0, "ETH": 1.0, "SOL": 0.1}[asset]
    okx_size = {"BTC": 0.01, "ETH": 0.1, "SOL": 1.0}[asset]  # OKX ctVal in coin
    bitmex_sym = {"BTC": "XBTUSD", "ETH": "ETHUSD", "SOL": "SOLUSD"}[asset]
    deribit_sym = {"BTC": "BTC-PERPETUAL", "ETH": "ETH-PERPETUAL", "SOL": "SOL_USDC-PERPETUAL"}[asset]
    gmx_name = {"BTC": "BTC/USD [WBTC-USDC]", "ETH": "ETH/USD [WETH-USDC]", "SOL": "SOL/USD [SOL-USDC]"}[asset]
    out = [
        Perp("binance", f"{asset}USDT", asset, 8, "clamp", "USDT", False, 1.0, s["binance"]),
        Perp("binance", f"{asset}USD_PERP", asset, 8, "clamp", "USD", True, inverse_size, s["binance_coinm"], 0.3),
        Perp("bybit", f"{asset}USDT", asset, 8, "clamp", "USDT", False, 1.0, s["bybit"], 0.2),
        Perp("bybit", f"{asset}USD", asset, 8, "clamp", "USD", True, 1.0, s["bybit_inverse"], 0.4),
        Perp("okx", f"{asset}-USDT-SWAP", asset, 8, "clamp", "USDT", False, okx_size, s["okx"], -0.2),
        Perp(
            "deribit",
            deribit_sym,
            asset,
            0,
            "deribit",
            "USD" if asset != "SOL" else "USDC",
            asset != "SOL",
            deribit_size,
            s["deribit"],
            0.5,
        ),
        Perp("bitmex", bitmex_sym, asset, 8, "clamp", "USD", True, 1.0, s["bitmex"], 0.6),
        Perp("dydx", f"{asset}-USD", asset, 1, "hourly", "USD", False, 1.0, s["dydx"], 1.0),
        Perp("gmx", gmx_name, asset, 0, "gmx", "USD", False, 1.0, s["gmx"], 0.0),
        Perp("drift", f"{asset}-PERP", asset, 1, "hourly", "USD", False, 1.0, s["drift"], 1.5),
    ]
    return out


PERPS: tuple[Perp, ...] = tuple(p for a in ASSETS for p in _perps_for(a))

# Binance USD-M also lists alt perps with 4 h and 1 h intervals (calibration.BINANCE_USDM), used to
# exercise interval handling; they have no other venue.


# --- dated futures and option expiries -------------------------------------------------------------
def last_friday(year: int, month: int) -> datetime:
    d = datetime(year, month, 28, 8, tzinfo=UTC) + timedelta(days=4)
    d = d.replace(day=1) - timedelta(days=1)  # last day of month, 08:00
    while d.weekday() != 4:
        d -= timedelta(days=1)
    return d.replace(hour=8)


def quarterly_expiries(after: datetime, count: int) -> list[datetime]:
    """Last Fridays of Mar/Jun/Sep/Dec at 08:00 UTC strictly after `after`."""
    out: list[datetime] = []
    year, month = after.year, after.month
    while len(out) < count:
        if month in (3, 6, 9, 12):
            e = last_friday(year, month)
            if e > after:
                out.append(e)
        month += 1
        if month == 13:
            year, month = year + 1, 1
    return out


def monthly_expiries(after: datetime, count: int) -> list[datetime]:
    out: list[datetime] = []
    year, month = after.year, after.month
    while len(out) < count:
        e = last_friday(year, month)
        if e > after:
            out.append(e)
        month += 1
        if month == 13:
            year, month = year + 1, 1
    return out


def weekly_expiries(after: datetime, count: int) -> list[datetime]:
    d = after.replace(hour=8, minute=0, second=0, microsecond=0)
    while d.weekday() != 4 or d <= after:
        d += timedelta(days=1)
    return [d + timedelta(weeks=i) for i in range(count)]


def option_expiries(t: datetime) -> list[datetime]:
    """Deribit-style listing: 4 weeklies, 3 monthlies, 4 quarterlies (deduplicated, ascending)."""
    return sorted(set(weekly_expiries(t, 4)) | set(monthly_expiries(t, 3)) | set(quarterly_expiries(t, 4)))


def future_expiries(t: datetime) -> list[datetime]:
    """Quarterly dated futures listed at `t`: the current and next two quarters."""
    return quarterly_expiries(t, 3)


def strikes_for(asset: str, spot: float) -> list[float]:
    """A strike grid around the spot, like the venues list (wider steps away from the money)."""
    step = {"BTC": 1000.0, "ETH": 50.0, "SOL": 2.5}[asset]
    lo, hi = spot * 0.5, spot * 1.8
    strikes = []
    k = step * round(lo / step)
    while k <= hi:
        moneyness = abs(k / spot - 1)
        wide = step * (5 if moneyness > 0.3 else 2 if moneyness > 0.12 else 1)
        if k > 0 and round(k / step) % round(wide / step) == 0:
            strikes.append(round(k, 6))
        k += step
    return strikes
