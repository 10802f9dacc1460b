"""Configured assets as dYdX names its markets, in one place: BTC -> BTC-USD."""

from __future__ import annotations


def ticker(asset: str) -> str:
    return f"{asset}-USD"
