"""Assets as users type them (BTC, ETH, SOL) to OKX's instrument ids and families, in one place.

OKX's perpetual of an asset is the USDT-margined swap (`BTC-USDT-SWAP`, family `BTC-USDT`); its options are
coin-margined (`BTC-USD-261225-100000-C`, family `BTC-USD`); its indices are named like spot pairs
(`BTC-USDT`, `BTC-USD`). Dated futures and the other families are read whole from the instrument lists.
"""

from __future__ import annotations

INDEX_QUOTES = ("USD", "USDT")


def swap_inst_id(asset: str) -> str:
    return f"{asset}-USDT-SWAP"


def swap_family(asset: str) -> str:
    return f"{asset}-USDT"


def option_family(asset: str) -> str:
    return f"{asset}-USD"
