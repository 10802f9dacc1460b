"""Assets as users type them (BTC, ETH, SOL) to Binance's symbols, in one place.

- USD-M perpetual: `BTCUSDT` (quarterlies `BTCUSDT_YYMMDD` are read from the instrument list);
- COIN-M: perpetual `BTCUSD_PERP`, pair `BTCUSD` (the pair also names the delivery contracts `BTCUSD_YYMMDD`);
- spot: `BTCUSDT`.
"""

from __future__ import annotations


def usdm_symbol(asset: str) -> str:
    return f"{asset}USDT"


def coinm_perpetual(asset: str) -> str:
    return f"{asset}USD_PERP"


def coinm_pair(asset: str) -> str:
    return f"{asset}USD"


def spot_symbol(asset: str) -> str:
    return f"{asset}USDT"
