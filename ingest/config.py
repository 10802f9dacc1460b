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

DEFAULT_ASSETS = ("BTC", "ETH", "SOL")
_ASSET = re.compile(r"^[A-Z0-9]{2,15}$")


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
        if sim and not re.match(r"^https?://[^\s/]+(:\d+)?/?$", sim):
            raise ConfigError(f"DW_SIMULATOR_URL must look like http://127.0.0.1:8765, got {sim!r}")
        keys = {}
        for name, value in env.items():
            m = re.match(r"^DW_([A-Z0-9]+)_API_KEY$", name)
            if m and value.strip():
                keys[m.group(1).lower()] = value.strip()
        sim_now = None
        if env.get("DW_SIMULATOR_NOW", "").strip():
            if not sim:
                raise ConfigError("DW_SIMULATOR_NOW needs DW_SIMULATOR_URL: live venues only serve the present")
            try:
                sim_now = datetime.fromisoformat(env["DW_SIMULATOR_NOW"].strip().replace("Z", "+00:00"))
            except ValueError as exc:
                bad = env["DW_SIMULATOR_NOW"]
                raise ConfigError(f"DW_SIMULATOR_NOW must be an ISO-8601 instant, got {bad!r}") from exc
            sim_now = (sim_now if sim_now.tzinfo else sim_now.replace(tzinfo=UTC)).astimezone(UTC)
        return cls(assets=parse_assets(env.get("DW_ASSETS")), simulator_url=sim, api_keys=keys, simulator_now=sim_now)
