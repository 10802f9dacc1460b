"""Which venue serves which dataset, at which cadence, and how a partition of it is fetched.

Orchestration builds one asset per entry; tests and benchmarks call `fetch_partition` directly.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from enum import StrEnum

from ingest.config import Settings
from ingest.envelope import FailedResponse, RawResponse
from ingest.errors import ExchangeError, SymbolInvalid
from ingest.http import VenueClient
from ingest.shapes import RecordShape
from ingest.venues.binance import usdm
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


@dataclass
class FetchResult:
    responses: list[RawResponse] = field(default_factory=list)
    failures: list[FailedResponse] = field(default_factory=list)
    skipped_assets: dict[str, str] = field(default_factory=dict)
    request_count: int = 0


def fetch_partition(
    spec: DatasetSpec, settings: Settings, window: TimeWindow, client: VenueClient | None = None
) -> FetchResult:
    """Fetch everything one partition needs. Errors other than an unknown symbol propagate (after the
    retry policy gave up) so the partition fails with its typed cause and keeps its last good slice;
    the failed bodies are returned in `failures` either way, for the raw failure ledger."""
    own_client = client is None
    client = client or spec.make_client(settings)
    result = FetchResult()
    try:
        responses: list[RawResponse] = []
        if spec.whole_venue is not None:
            responses.extend(spec.whole_venue(client, window))
        if spec.per_asset is not None:
            for asset in settings.assets:
                try:
                    responses.extend(spec.per_asset(client, asset, window))
                except SymbolInvalid as exc:
                    # A delisted or unknown instrument must not hide the other assets' data.
                    result.skipped_assets[asset] = str(exc)
        # Pages numbered in fetch order across the partition: deterministic for a given window.
        result.responses = [r.with_page(i) for i, r in enumerate(responses)]
    except ExchangeError as exc:
        # The caller stores these bodies in the failure ledger before reporting the typed error.
        exc.failed_responses = list(client.failures)
        raise
    finally:
        result.failures = list(client.failures)
        result.request_count = client.request_count
        if own_client:
            client.close()
    return result


DATASETS: tuple[DatasetSpec, ...] = (
    DatasetSpec(
        venue="binance",
        dataset="funding_rates",
        cadence=Cadence.DAILY_HISTORY,
        description="Binance USD-M settled funding rates (/fapi/v1/fundingRate), one day per partition.",
        make_client=usdm.make_client,
        shape=RecordShape(
            '{"symbol":"VARCHAR","fundingTime":"BIGINT","fundingRate":"VARCHAR"}',
            is_list=True,
            key_fields=("symbol", "fundingTime"),
            required_fields=("fundingRate",),
            time_field="fundingTime",
        ),
        per_asset=lambda c, asset, w: usdm.fetch_funding_history(c, usdm.usdm_symbol(asset), w),
    ),
    DatasetSpec(
        venue="binance",
        dataset="premium_index",
        cadence=Cadence.HOURLY_SNAPSHOT,
        description="Binance USD-M mark/index price, current funding rate and next funding time "
        "(/fapi/v1/premiumIndex), sampled hourly.",
        make_client=usdm.make_client,
        shape=RecordShape(
            '{"symbol":"VARCHAR","time":"BIGINT","lastFundingRate":"VARCHAR","nextFundingTime":"BIGINT","markPrice":"VARCHAR"}',
            is_list=False,
            key_fields=("symbol", "time"),
            required_fields=("lastFundingRate", "nextFundingTime", "markPrice"),
        ),
        per_asset=lambda c, asset, w: [usdm.fetch_premium_index(c, usdm.usdm_symbol(asset))],
    ),
    DatasetSpec(
        venue="binance",
        dataset="funding_info",
        cadence=Cadence.HOURLY_SNAPSHOT,
        description="Binance USD-M funding intervals and caps of adjusted symbols (/fapi/v1/fundingInfo).",
        make_client=usdm.make_client,
        shape=RecordShape(
            '{"symbol":"VARCHAR","fundingIntervalHours":"INTEGER"}',
            is_list=True,
            key_fields=("symbol",),
            required_fields=("fundingIntervalHours",),
            allow_empty=True,
        ),
        whole_venue=lambda c, w: [usdm.fetch_funding_info(c)],
    ),
    DatasetSpec(
        venue="binance",
        dataset="open_interest",
        cadence=Cadence.HOURLY_SNAPSHOT,
        description="Binance USD-M open interest in base coin (/fapi/v1/openInterest), sampled hourly.",
        make_client=usdm.make_client,
        shape=RecordShape(
            '{"symbol":"VARCHAR","openInterest":"VARCHAR","time":"BIGINT"}',
            is_list=False,
            key_fields=("symbol", "time"),
            required_fields=("openInterest",),
        ),
        per_asset=lambda c, asset, w: [usdm.fetch_open_interest(c, usdm.usdm_symbol(asset))],
    ),
)


def dataset(venue: str, name: str) -> DatasetSpec:
    for spec in DATASETS:
        if spec.venue == venue and spec.dataset == name:
            return spec
    raise KeyError(f"no dataset {venue}/{name}")
