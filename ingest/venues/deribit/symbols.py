"""The one place where the assets users type (BTC, ETH, SOL) become Deribit names.

BTC and ETH trade as inverse (coin-settled) instruments under their own currency; every other asset trades
as a linear USDC instrument (SOL_USDC-PERPETUAL) under the currency USDC. Deribit publishes DVOL for BTC and
ETH only.
"""

from __future__ import annotations

INVERSE_ASSETS = frozenset({"BTC", "ETH"})
DVOL_ASSETS = frozenset({"BTC", "ETH"})
LINEAR_CURRENCY = "USDC"


def currency(asset: str) -> str:
    """The `currency` parameter that lists the asset's instruments, book summaries and trades."""
    return asset if asset in INVERSE_ASSETS else LINEAR_CURRENCY


def currencies(assets: tuple[str, ...]) -> tuple[str, ...]:
    """Distinct currencies of the configured assets, in configuration order (SOL and XRP share USDC)."""
    return tuple(dict.fromkeys(currency(a) for a in assets))


def perpetual(asset: str) -> str:
    return f"{asset}-PERPETUAL" if asset in INVERSE_ASSETS else f"{asset}_{LINEAR_CURRENCY}-PERPETUAL"


def index_name(asset: str) -> str:
    """The price index the asset's perpetual follows (its instruments' `price_index`)."""
    quote = "usd" if asset in INVERSE_ASSETS else LINEAR_CURRENCY.lower()
    return f"{asset.lower()}_{quote}"


def dvol_currency(asset: str) -> str | None:
    """The currency whose DVOL index exists for this asset, or None where Deribit publishes none."""
    return asset if asset in DVOL_ASSETS else None
