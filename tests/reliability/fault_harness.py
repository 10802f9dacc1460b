"""Run one venue partition the way the raw asset does, without Dagster: fetch_partition, the failure ledger,
then load_partition with the blocking raw check, into a real DuckDB file; and read back what landed.

Waiting is virtual: the retry policy's sleeps (a venue's Retry-After included) and the rate budgets' waits
advance a clock of our own instead of the wall clock. The simulator's faults are counted in requests, not
seconds, so a real wait would change no outcome, only make the matrix minutes long.
"""

from __future__ import annotations

import dataclasses
import json
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import duckdb
import httpx

from ingest.config import Settings
from ingest.errors import ExchangeError
from ingest.http import VenueClient
from ingest.ratelimit import TokenBucket, WindowBudget
from ingest.registry import DatasetSpec, FetchResult, dataset, fetch_partition
from ingest.retry import RetryPolicy
from ingest.spec import Cadence
from ingest.windows import TimeWindow
from tests.reliability.fault_venues import VenueCase
from warehouse.load import LoadResult, load_partition, record_failure
from warehouse.raw_checks import RawCheckOutcome, check_raw_partition
from warehouse.schema import raw_table_name

# A settled day a week back: inside every venue's retention, and its answer does not depend on the hour.
DAY = datetime.now(UTC).replace(hour=0, minute=0, second=0, microsecond=0) - timedelta(days=7)
WINDOW = TimeWindow(DAY, DAY + timedelta(days=1))
MAX_ATTEMPTS = 3
# The timeout fault holds an answer longer than the client waits; a normal answer takes milliseconds.
READ_TIMEOUT_S = 0.5
HELD_S = 1.0


class VirtualTime:
    """A clock that sleeping moves forward at once; it remembers every sleep."""

    def __init__(self) -> None:
        self.offset = 0.0
        self.slept: list[float] = []

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.offset += max(0.0, seconds)

    def wall(self) -> float:
        return time.time() + self.offset

    def monotonic(self) -> float:
        return time.monotonic() + self.offset

    def budget(self, budget: object) -> object:
        """A fresh copy of a venue budget (same size and safety) that waits on this clock."""
        if isinstance(budget, WindowBudget):
            return dataclasses.replace(budget, clock=self.wall, sleep=self.sleep)
        if isinstance(budget, TokenBucket):
            return dataclasses.replace(budget, clock=self.monotonic, sleep=self.sleep)
        raise TypeError(f"unknown budget {budget!r}")


def spec_of(case: VenueCase) -> DatasetSpec:
    return dataset(case.venue, case.dataset)


def partition_key(case: VenueCase) -> str:
    return (
        DAY.strftime("%Y-%m-%d") if spec_of(case).cadence == Cadence.DAILY_HISTORY else DAY.strftime("%Y-%m-%d-%H:%M")
    )


def make_client(case: VenueCase, settings: Settings, clock: VirtualTime, *, short_timeout: bool = False) -> VenueClient:
    client = spec_of(case).make_client(settings)
    client.retry = RetryPolicy(max_attempts=MAX_ATTEMPTS, base_delay=0.01, max_delay=0.05, sleep=clock.sleep)
    client.budgets = {name: clock.budget(b) for name, b in client.budgets.items()}
    if short_timeout:
        client.timeout = httpx.Timeout(READ_TIMEOUT_S, connect=5.0)
    return client


@dataclass
class Landing:
    """What one fetch of a partition left: the fetch result or its typed error, and the load."""

    result: FetchResult | None = None
    error: ExchangeError | None = None
    loaded: LoadResult | None = None
    slept: list[float] = field(default_factory=list)

    @property
    def check(self) -> RawCheckOutcome | None:
        return self.loaded.check if self.loaded else None


def fetch_and_land(
    con: duckdb.DuckDBPyConnection, case: VenueCase, settings: Settings, *, short_timeout: bool = False
) -> Landing:
    """One raw asset run for the case's partition: failed bodies to the ledger, good ones replace the slice."""
    spec, key, clock = spec_of(case), partition_key(case), VirtualTime()
    client = make_client(case, settings, clock, short_timeout=short_timeout)
    try:
        result = fetch_partition(spec, settings, WINDOW, client)
    except ExchangeError as exc:
        for failed in getattr(exc, "failed_responses", []):
            record_failure(con, failed.response, key, failed.error_type, failed.error_message, "matrix")
        return Landing(error=exc, slept=clock.slept)
    finally:
        client.close()
    for failed in result.failures:
        record_failure(con, failed.response, key, failed.error_type, failed.error_message, "matrix")
    bounds = (WINDOW.start, WINDOW.end) if spec.cadence == Cadence.DAILY_HISTORY else None
    loaded = load_partition(
        con,
        spec.venue,
        spec.dataset,
        key,
        result.responses,
        "matrix",
        check=lambda c, t, k: check_raw_partition(c, t, k, spec.shape, bounds),
    )
    return Landing(result=result, loaded=loaded, slept=clock.slept)


def slice_payloads(con: duckdb.DuckDBPyConnection, case: VenueCase) -> list[str]:
    """The partition's bodies in page order, as the raw table holds them."""
    table = raw_table_name(case.venue, case.dataset)
    rows = con.execute(
        f"select payload from {table} where partition_key = ? order by page", [partition_key(case)]
    ).fetchall()
    return [p for (p,) in rows]


def ledger(con: duckdb.DuckDBPyConnection, case: VenueCase) -> list[tuple[str, int, str, str]]:
    """(error_type, http_status, payload, error_message) of the partition's failed bodies, in arrival order."""
    exists = con.execute(
        "select count(*) from information_schema.tables where table_schema = 'raw' and table_name = 'fetch_failures'"
    ).fetchone()[0]
    if not exists:
        return []
    return con.execute(
        "select error_type, http_status, payload, error_message from raw.fetch_failures "
        "where venue = ? and dataset = ? and partition_key = ? order by fetched_at",
        [case.venue, case.dataset, partition_key(case)],
    ).fetchall()


def records(payloads: list[str]) -> list[dict]:
    """The records of the bodies: each body's longest list of objects (venues wrap it in envelopes)."""
    out: list[dict] = []
    for payload in payloads:
        out.extend(_longest_object_list(json.loads(payload)))
    return out


def _longest_object_list(value: object) -> list[dict]:
    best: list[dict] = []
    if isinstance(value, list):
        if value and all(isinstance(v, dict) for v in value):
            best = value
        children = value
    elif isinstance(value, dict):
        children = list(value.values())
    else:
        return best
    for child in children:
        inner = _longest_object_list(child)
        if len(inner) > len(best):
            best = inner
    return best
