"""Venues whose latest fetch failed: ERR_RATE_LIMIT / ERR_EXCHANGE_DOWN as flags on a report, never a crash.

The pipeline keeps every failed attempt in raw.fetch_failures (with the error type) and every load in
raw.load_manifest. A dataset of a venue is failing when its newest failed attempt is newer than its newest
load: a 429 that a retry got past is followed by a load and is not reported. Both tables hold wall-clock
times of the runs, so this speaks of the latest run and is not shown for --as-of views of the past.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import duckdb

# Error types of ingest/errors.py and the code a reader sees. A ban is a rate limit the venue enforced.
CODES = {"RateLimited": "ERR_RATE_LIMIT", "Banned": "ERR_RATE_LIMIT", "ExchangeDown": "ERR_EXCHANGE_DOWN"}


@dataclass(frozen=True)
class VenueProblem:
    exchange: str
    code: str  # ERR_RATE_LIMIT | ERR_EXCHANGE_DOWN
    datasets: tuple[str, ...]
    failed_at: datetime
    message: str

    def as_json(self) -> dict:
        return {
            "exchange": self.exchange,
            "code": self.code,
            "datasets": list(self.datasets),
            "failed_at": self.failed_at.isoformat(),
            "message": self.message,
        }


def venue_problems(con: duckdb.DuckDBPyConnection) -> dict[str, VenueProblem]:
    """exchange -> its latest unrecovered failure of a kind the reader should know about."""
    types = list(CODES)
    try:
        rows = con.execute(
            f"""
            with failed as (
                select venue, dataset, max(fetched_at) as failed_at,
                       arg_max(error_type, fetched_at) as error_type,
                       arg_max(error_message, fetched_at) as error_message
                from raw.fetch_failures
                group by venue, dataset
            ), loaded as (
                select raw_table, max(loaded_at) as loaded_at from raw.load_manifest group by raw_table
            )
            select f.venue, f.dataset, f.failed_at, f.error_type, f.error_message
            from failed f
            left join loaded l on l.raw_table = 'raw.' || f.venue || '__' || f.dataset
            where (l.loaded_at is null or f.failed_at > l.loaded_at)
              and f.error_type in ({", ".join("?" for _ in types)})
            order by f.venue, f.failed_at desc
            """,
            types,
        ).fetchall()
    except duckdb.CatalogException:  # a warehouse without the bookkeeping tables has nothing to report
        return {}
    problems: dict[str, VenueProblem] = {}
    for venue, dataset, failed_at, error_type, message in rows:
        code = CODES[error_type]
        known = problems.get(venue)
        if known is None:
            problems[venue] = VenueProblem(venue, code, (dataset,), failed_at, message.splitlines()[0][:200])
        else:  # newest first: keep its code and message, name every failing dataset
            problems[venue] = VenueProblem(
                venue, known.code, (*known.datasets, dataset), known.failed_at, known.message
            )
    return problems
