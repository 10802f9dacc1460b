"""Market parameters, calibrated on real data in ../shared/data.

Funding: `ZuShen168__funding_rate_data` (settled Binance/Bybit funding 2025-08-21 .. 2026-08-22).
Observed per-settlement statistics of the raw rate, in basis points (1 bp = 0.01 %):

    symbol     interval  mean    sd     min      max
    BTCUSDT    8h        0.302   0.462  -1.52    1.00
    ETHUSDT    8h        0.212   0.529  -3.65    1.00
    SOLUSDT    8h       -0.145   1.622  -30.28   1.00
    ORDIUSDT   4h        0.202   0.466  -9.53    0.50
    WIFUSDT    4h       -0.185   2.105  -63.56   0.50
    INJUSDT    1h       -2.769   6.727  -51.17   0.13   (Bybit: the data's only 1h series)

Share of settlements at exactly the interest rate (the pile-up Binance's clamp produces):
BTC 7 %, ETH 6 %, SOL 13 %, ORDI 39 %, WIF 42 %.

The simulated hourly premium index is an AR(1) with Student-t shocks; mean, deviation and hourly
persistence were chosen by a grid search so that the settled rates, after Binance's formula
premium + clamp(interest - premium, +-0.05 %), match these means, deviations and pile-up shares
(tests/simulator/test_calibration.py checks the result on the real file). The real series have
fatter tails than the model (SOL's -30 bp); episodes (scripted squeezes) supply the extremes.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

PRICE_ANCHOR = datetime(2026, 11, 1, tzinfo=UTC)


@dataclass(frozen=True)
class AssetParams:
    start_price: float  # at the history start (2024-01-01)
    anchor_price: float  # at PRICE_ANCHOR: the random walk is bent to pass here, so levels stay realistic
    hourly_vol: float  # standard deviation of hourly log returns
    beta_to_btc: float  # share of the BTC shock in the asset's shock (correlation)


@dataclass(frozen=True)
class PerpParams:
    asset: str
    interval_hours: int
    premium_mu_bp: float  # long-run mean of the hourly premium index, bp
    premium_sd_bp: float  # stationary standard deviation, bp
    premium_phi: float  # hourly persistence
    cap: float  # adjusted funding cap per interval (fraction); floor is -cap
    oi_coins: float  # typical open interest in base coin


ASSETS: dict[str, AssetParams] = {
    "BTC": AssetParams(42_500.0, 95_000.0, 0.0053, 1.0),
    "ETH": AssetParams(2_300.0, 3_400.0, 0.0069, 0.85),
    "SOL": AssetParams(100.0, 180.0, 0.0085, 0.75),
    "ORDI": AssetParams(60.0, 12.0, 0.0120, 0.6),
    "WIF": AssetParams(0.30, 1.50, 0.0140, 0.6),
    "INJ": AssetParams(35.0, 20.0, 0.0110, 0.65),
}

BINANCE_USDM: dict[str, PerpParams] = {
    "BTCUSDT": PerpParams("BTC", 8, -4.70, 0.60, 0.98, 0.0300, 80_000.0),
    "ETHUSDT": PerpParams("ETH", 8, -4.80, 0.60, 0.93, 0.0300, 2_000_000.0),
    "SOLUSDT": PerpParams("SOL", 8, -5.00, 1.20, 0.98, 0.0300, 9_000_000.0),
    "ORDIUSDT": PerpParams("ORDI", 4, -4.30, 1.60, 0.50, 0.0200, 3_000_000.0),
    "WIFUSDT": PerpParams("WIF", 4, -1.30, 9.00, 0.93, 0.0200, 400_000_000.0),
    # INJ's only 1 h series is short and odd (Bybit): matched on mean and deviation, not the pile-up.
    "INJUSDT": PerpParams("INJ", 1, -29.0, 60.0, 0.93, 0.0200, 2_500_000.0),
}

INTEREST_RATE_8H = 0.0001  # 0.01 % per 8 h
CLAMP_8H = 0.0005  # +-0.05 % per 8 h
