"""Configured assets as BitMEX names them, in one place: bitcoin is XBT, and each asset's USD perpetual is
<root>USD (XBTUSD is inverse, ETHUSD and SOLUSD are quantos settled in XBT)."""

from __future__ import annotations


def root(asset: str) -> str:
    return "XBT" if asset == "BTC" else asset


def perp_symbol(asset: str) -> str:
    return f"{root(asset)}USD"
