"""The one place where the assets users configure (BTC, ETH, SOL) become Bybit instruments.

Bybit lists a USDT-margined linear perpetual `<ASSET>USDT` and a coin-margined inverse perpetual `<ASSET>USD`
for the major coins; dated inverse futures (`BTCUSDH26`) and options (`BTC-27MAR26-100000-C`) are not built
from names but read from instruments-info and the option chain by base coin (reference/exchange_api.md 0.1).
"""

from __future__ import annotations

from typing import NamedTuple


class Perpetual(NamedTuple):
    category: str  # linear | inverse: the `category` every market endpoint asks for
    symbol: str


def linear_perpetual(asset: str) -> Perpetual:
    return Perpetual("linear", f"{asset}USDT")


def inverse_perpetual(asset: str) -> Perpetual:
    return Perpetual("inverse", f"{asset}USD")


def perpetuals(asset: str) -> tuple[Perpetual, Perpetual]:
    """Both perpetuals of an asset: linear (OI in coin) first, then inverse (OI in USD)."""
    return linear_perpetual(asset), inverse_perpetual(asset)


def base_coin(asset: str) -> str:
    """Bybit's `baseCoin` parameter (option chains, instrument lists) is the asset itself."""
    return asset
