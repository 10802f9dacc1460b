"""Land fetched responses in an in-memory warehouse and run the blocking raw check on them, as the raw
assets do, without Dagster."""

from __future__ import annotations

import duckdb

from ingest.envelope import RawResponse
from ingest.spec import Cadence, DatasetSpec
from ingest.windows import TimeWindow
from warehouse.load import load_partition
from warehouse.raw_checks import RawCheckOutcome, check_raw_partition


def land_and_check(spec: DatasetSpec, responses: list[RawResponse], window: TimeWindow) -> RawCheckOutcome:
    con = duckdb.connect()
    try:
        bounds = (window.start, window.end) if spec.cadence == Cadence.DAILY_HISTORY else None
        loaded = load_partition(
            con,
            spec.venue,
            spec.dataset,
            window.start.isoformat(),
            responses,
            check=lambda c, t, k: check_raw_partition(c, t, k, spec.shape, bounds),
        )
        return loaded.check
    finally:
        con.close()
