"""Staleness as the reports show it, decided at read time against the data's own as-of.

A venue is stale when its newest data in a report lags the report's as-of (the newest data of any venue in
it) by more than its schedule allows; the allowance comes from marts.fct_source_freshness, which carries the
dbt vars, so the warehouse holds no verdict that depends on when it is read. Separately, the as-of itself
may be far behind the wall clock: then the whole warehouse is behind (pipeline stopped or failing).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

import duckdb

# The default of the dbt var freshness_lag_hours_hourly_snapshot, for a warehouse published before
# marts.fct_source_freshness existed (the report must still open it).
DEFAULT_SNAPSHOT_LAG = timedelta(hours=1.5)
# Two hourly runs missed: the newest data of a report is older than this versus the wall clock.
BEHIND_AFTER = timedelta(hours=2)


@dataclass(frozen=True)
class VenueFreshness:
    last_data_at: datetime
    lag: timedelta  # the report's as-of minus last_data_at
    allowed_lag: timedelta

    @property
    def stale(self) -> bool:
        return self.lag > self.allowed_lag


def allowed_lags(con: duckdb.DuckDBPyConnection, cadence: str = "hourly_snapshot") -> dict[str, timedelta]:
    """exchange -> the lag its `cadence` schedule allows (marts.fct_source_freshness, from the dbt vars).
    Empty when the published warehouse predates the freshness mart (callers then use DEFAULT_SNAPSHOT_LAG)."""
    try:
        rows = con.execute(
            "select exchange, min(allowed_lag_hours) from marts.fct_source_freshness where cadence = ? "
            "group by exchange",
            [cadence],
        ).fetchall()
    except duckdb.CatalogException:
        return {}
    return {exchange: timedelta(hours=hours) for exchange, hours in rows}


def venue_freshness(last_data_at: datetime, as_of: datetime, allowed_lag: timedelta) -> VenueFreshness:
    return VenueFreshness(last_data_at=last_data_at, lag=as_of - last_data_at, allowed_lag=allowed_lag)


def behind_by(as_of: datetime, now: datetime, limit: timedelta = BEHIND_AFTER) -> timedelta | None:
    """How far the as-of is behind the wall clock, when that is more than `limit`; else None."""
    delay = now - as_of
    return delay if delay > limit else None
