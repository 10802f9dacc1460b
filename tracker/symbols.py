"""Asset names as users type them (BTC, ETH, SOL), never venue symbols (BTCUSDT, BTC-PERPETUAL)."""

from __future__ import annotations

import difflib
import re

from tracker.errors import CliError

_ASSET = re.compile(r"^[A-Z0-9]{2,10}$")
_VENUE_FORMS = [
    re.compile(r"^(?:1000+)?([A-Z0-9]{2,10}?)(?:USDT|USDC|BUSD|USD)(?:_PERP|_\d{6})?$"),
    re.compile(r"^([A-Z0-9]{2,10})[-/_](?:USDT?|USDC|PERP|PERPETUAL)(?:[-_].*)?$"),
    re.compile(r"^([A-Z0-9]{2,10})-\d{1,2}[A-Z]{3}\d{2}.*$"),
]
_ALIASES = {"XBT": "BTC"}


def normalise_asset(raw: str) -> str:
    """Validate the form of one asset argument; return it upper-cased."""
    text = raw.strip().upper()
    for pattern in _VENUE_FORMS:
        m = pattern.match(text)
        if m:
            asset = _ALIASES.get(m.group(1), m.group(1))
            raise CliError(
                "ERR_SYMBOL_INVALID",
                f"{raw!r} is a venue symbol, not an asset",
                f"use the asset name, e.g. {asset} (expected form: BTC, ETH, SOL)",
            )
    if _ASSET.match(text):
        return _ALIASES.get(text, text)
    shown = raw if len(raw) <= 40 else raw[:37] + "..."
    raise CliError(
        "ERR_SYMBOL_INVALID",
        f"{shown!r} is not an asset name",
        "expected 2-10 letters or digits, e.g. BTC, ETH, SOL",
    )


def require_known(asset: str, known: list[str]) -> None:
    if asset in known:
        return
    close = difflib.get_close_matches(asset, known, n=3, cutoff=0.5)
    hint = f"did you mean {' or '.join(close)}? " if close else ""
    raise CliError(
        "ERR_SYMBOL_INVALID",
        f"no instrument for asset {asset!r} in the warehouse",
        f"{hint}known assets: {', '.join(sorted(known)) or 'none yet'}",
    )
