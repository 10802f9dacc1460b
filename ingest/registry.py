"""Which venue serves which dataset, at which cadence, and how a partition of it is fetched.

Orchestration builds one asset per entry; tests and benchmarks call `fetch_partition` directly.
"""

from __future__ import annotations

import importlib
import pkgutil
from dataclasses import dataclass, field

import ingest.venues
from ingest.config import Settings
from ingest.envelope import FailedResponse, RawResponse
from ingest.errors import ExchangeError, SymbolInvalid
from ingest.http import VenueClient
from ingest.spec import Cadence, DatasetSpec
from ingest.windows import TimeWindow

__all__ = ["DATASETS", "Cadence", "DatasetSpec", "FetchResult", "dataset", "fetch_partition"]


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
        unanswered = getattr(exc, "unanswered", None)  # the final attempt got no answer (timeout, reset)
        exc.failed_responses = list(client.failures) + ([unanswered] if unanswered is not None else [])
        raise
    finally:
        result.failures = list(client.failures)
        result.request_count = client.request_count
        if own_client:
            client.close()
    return result


def _discover() -> tuple[DatasetSpec, ...]:
    """Every venue package under ingest/venues/ that has a `datasets` module contributes its DATASETS."""
    specs: list[DatasetSpec] = []
    for info in sorted(pkgutil.iter_modules(ingest.venues.__path__), key=lambda i: i.name):
        try:
            module = importlib.import_module(f"ingest.venues.{info.name}.datasets")
        except ModuleNotFoundError as exc:
            if exc.name != f"ingest.venues.{info.name}.datasets":
                raise
            continue
        specs.extend(module.DATASETS)
    keys = [s.key for s in specs]
    duplicated = {k for k in keys if keys.count(k) > 1}
    if duplicated:
        raise RuntimeError(f"datasets declared twice: {sorted(duplicated)}")
    return tuple(specs)


DATASETS: tuple[DatasetSpec, ...] = _discover()


def dataset(venue: str, name: str) -> DatasetSpec:
    for spec in DATASETS:
        if spec.venue == venue and spec.dataset == name:
            return spec
    raise KeyError(f"no dataset {venue}/{name}")


def raw_tables() -> list[tuple[str, str]]:
    """Every (venue, dataset) that has a raw table: the REST datasets and the websocket streams. dbt reads
    them all as sources, so they must exist even before a venue's first load."""
    from ingest.streams.loader import DATASET as STREAM_DATASET
    from ingest.streams.specs import STREAMS

    return [(s.venue, s.dataset) for s in DATASETS] + [(venue, STREAM_DATASET) for venue in STREAMS]
