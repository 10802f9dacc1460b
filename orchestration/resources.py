"""Resources: venue settings (live or simulator) and the dbt CLI."""

from __future__ import annotations

from dagster import ConfigurableResource

from ingest.config import Settings, parse_assets


class VenueSettings(ConfigurableResource):
    """Where the venues are. Empty fields fall back to the environment (DW_SIMULATOR_URL, DW_ASSETS,
    DW_SIMULATOR_NOW)."""

    simulator_url: str | None = None
    assets: str | None = None

    def settings(self) -> Settings:
        base = Settings.from_env()
        return Settings(
            assets=parse_assets(self.assets) if self.assets else base.assets,
            simulator_url=self.simulator_url or base.simulator_url,
            api_keys=base.api_keys,
            simulator_now=base.simulator_now,
        )
