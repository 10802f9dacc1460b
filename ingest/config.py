"""Runtime settings from the environment: which assets, live venues or the local simulator, keys.

- DW_ASSETS            comma-separated assets (default BTC,ETH,SOL)
- DW_SIMULATOR_URL     e.g. http://127.0.0.1:8765; when set, every venue host is reached through the
                       simulator as <url>/<venue host>, e.g. http://127.0.0.1:8765/fapi.binance.com
- DW_SIMULATOR_NOW     with DW_SIMULATOR_URL: the instant the simulator's clock stands at (ISO-8601), so
                       "the current hour" of snapshot datasets is the simulator's, not the wall clock's
- DW_<VENUE>_API_KEY   optional venue API key (higher limits on some venues); read here only, sent
                       in headers, never logged, stored or put in request params
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime

import httpx

DEFAULT_ASSETS = ("BTC", "ETH", "SOL")
_ASSET = re.compile(r"^[A-Z0-9]{2,15}$")
# A host name or a bracketed IPv6 address, an optional port: what every HTTP client accepts as a base URL.
_SIMULATOR_URL = re.compile(r"^https?://(?:[A-Za-z0-9._-]+|\[[0-9A-Fa-f:.]+\])(?::([0-9]{1,5}))?/?$")
# Keys travel in HTTP headers: printable ASCII without spaces (anything else cannot be sent, or splits a header).
_API_KEY = re.compile(r"^[\x21-\x7e]+$")


class ConfigError(ValueError):
    pass


def parse_assets(raw: str | None) -> tuple[str, ...]:
    if raw is None or not raw.strip():
        return DEFAULT_ASSETS
    assets = tuple(a.strip().upper() for a in raw.split(",") if a.strip())
    bad = [a for a in assets if not _ASSET.match(a)]
    if bad:
        raise ConfigError(f"DW_ASSETS has invalid asset names {bad}; expected e.g. BTC,ETH,SOL")
    return assets


def _usable_base_url(url: str) -> bool:
    """The shape we document, and a URL the HTTP client can really send to (ports in range, valid IDNA labels)."""
    shape = _SIMULATOR_URL.match(url)
    if shape is None or int(shape.group(1) or 80) > 65535:
        return False
    try:
        httpx.Request("GET", url)
    except (httpx.InvalidURL, ValueError):  # IDNA errors are UnicodeErrors, i.e. ValueErrors
        return False
    return True


@dataclass(frozen=True)
class Settings:
    assets: tuple[str, ...] = DEFAULT_ASSETS
    simulator_url: str | None = None
    api_keys: dict[str, str] = field(default_factory=dict, repr=False)
    simulator_now: datetime | None = None

    def now(self) -> datetime:
        """The venues' present: the simulator's frozen clock when one is set, else the wall clock."""
        return self.simulator_now or datetime.now(UTC)

    @property
    def data_mode(self) -> str:
        return "simulator" if self.simulator_url else "live"

    def base_url(self, host: str) -> str:
        """The base URL for a venue host, live or through the simulator (same code path otherwise)."""
        if self.simulator_url:
            return f"{self.simulator_url.rstrip('/')}/{host}"
        return f"https://{host}"

    def api_key(self, venue: str) -> str | None:
        return self.api_keys.get(venue)

    @classmethod
    def from_env(cls, env: dict[str, str] | None = None) -> Settings:
        env = dict(os.environ if env is None else env)
        sim = env.get("DW_SIMULATOR_URL", "").strip() or None
        if sim and not _usable_base_url(sim):
            raise ConfigError(f"DW_SIMULATOR_URL must look like http://127.0.0.1:8765, got {sim[:200]!r}")
        keys = {}
        for name, value in env.items():
            m = re.match(r"^DW_([A-Z0-9]+)_API_KEY$", name)
            if m and value.strip():
                if not _API_KEY.match(value.strip()):
                    # The value is a secret: say what is wrong with it, never echo it.
                    raise ConfigError(f"{name} must be printable ASCII without spaces (the value is not shown)")
                keys[m.group(1).lower()] = value.strip()
        sim_now = None
        if env.get("DW_SIMULATOR_NOW", "").strip():
            if not sim:
                raise ConfigError("DW_SIMULATOR_NOW needs DW_SIMULATOR_URL: live venues only serve the present")
            try:
                sim_now = datetime.fromisoformat(env["DW_SIMULATOR_NOW"].strip().replace("Z", "+00:00"))
                sim_now = (sim_now if sim_now.tzinfo else sim_now.replace(tzinfo=UTC)).astimezone(UTC)
            except (ValueError, OverflowError) as exc:  # OverflowError: an offset that leaves years 1..9999
                bad = env["DW_SIMULATOR_NOW"][:200]
                raise ConfigError(f"DW_SIMULATOR_NOW must be an ISO-8601 instant, got {bad!r}") from exc
        return cls(assets=parse_assets(env.get("DW_ASSETS")), simulator_url=sim, api_keys=keys, simulator_now=sim_now)
