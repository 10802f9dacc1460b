"""The description of one venue dataset: how often, what it looks like, how a partition is fetched."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum

from ingest.config import Settings
from ingest.envelope import RawResponse
from ingest.http import VenueClient
from ingest.shapes import RecordShape
from ingest.windows import TimeWindow


class Cadence(StrEnum):
    # Settled history that the venue keeps: daily partitions, backfillable.
    DAILY_HISTORY = "daily_history"
    # Current state that only exists now: hourly partitions, our snapshots become the history.
    HOURLY_SNAPSHOT = "hourly_snapshot"


PerAssetFetch = Callable[[VenueClient, str, TimeWindow], list[RawResponse]]
WholeVenueFetch = Callable[[VenueClient, TimeWindow], list[RawResponse]]


@dataclass(frozen=True)
class DatasetSpec:
    venue: str
    dataset: str
    cadence: Cadence
    description: str
    make_client: Callable[[Settings], VenueClient]
    shape: RecordShape
    per_asset: PerAssetFetch | None = None
    whole_venue: WholeVenueFetch | None = None

    @property
    def key(self) -> str:
        return f"{self.venue}__{self.dataset}"
