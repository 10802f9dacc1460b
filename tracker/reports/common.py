"""What every report shares: the JSON envelope, the as-of and staleness of each asset block, venue problem
flags, the simulated-data banner and the footer lines. One place, so every command says them the same way.

Every report's JSON has this envelope (schema_version 1; fields are only ever added):
{
  "report": str, "schema_version": 1, "data_mode": "simulator" | "live", "generated_at": ISO-8601 UTC,
  "as_of_requested": ISO-8601 UTC | null (--as-of), "exchanges": [str] | null (--exchange),
  "venue_problems": [{"exchange", "code": "ERR_RATE_LIMIT" | "ERR_EXCHANGE_DOWN", "datasets", "failed_at",
                      "message"}] (the latest run failed for that venue; empty for --as-of),
  "assets": [{"asset": str, "as_of": ISO-8601 UTC (newest data in the block), "stale": bool (the warehouse
              is more than 2 h behind the wall clock), "stale_venues": [str], ...report fields...}]
}
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from tracker.errors import CliError
from tracker.freshness import DEFAULT_SNAPSHOT_LAG, behind_by, venue_freshness
from tracker.query import Query, marks, venue_name
from tracker.render import duration, utc
from tracker.store import FILL_HINT, fetch_dicts
from tracker.symbols import require_known
from tracker.venue_status import venue_problems

SCHEMA_VERSION = 1


def iso(t: datetime | None) -> str | None:
    return None if t is None else t.astimezone(UTC).isoformat()


def pct_value(fraction: float | None, digits: int = 6) -> float | None:
    """A fraction as a percent number for JSON (0.0001 -> 0.01)."""
    return None if fraction is None else round(fraction * 100, digits)


def check_assets(q: Query, assets: list[str], table: str, column: str = "asset") -> None:
    """ERR_SYMBOL_INVALID (with close matches) for an asset the mart has never seen."""
    known = [r["a"] for r in fetch_dicts(q.con, f"select distinct {column} as a from {table} order by 1")]
    if not known:
        raise CliError("ERR_NO_DATA", f"{table} is empty in the published warehouse", FILL_HINT)
    for asset in assets:
        require_known(asset, known)


def no_data(what: str, q: Query) -> CliError:
    """ERR_NO_DATA naming the view that was asked for."""
    when = f" at or before {utc(q.as_of)}" if q.as_of else ""
    where = f" on {', '.join(q.exchanges)}" if q.exchanges else ""
    return CliError("ERR_NO_DATA", f"no {what}{where}{when} in the published warehouse", FILL_HINT)


def asset_block(
    q: Query,
    asset: str,
    venue_times: dict[str, datetime],
    lags: dict[str, timedelta] | None = None,
    default_lag: timedelta = DEFAULT_SNAPSHOT_LAG,
) -> dict:
    """The as-of and freshness fields of one asset's block, from each venue's newest time in it."""
    if not venue_times:
        raise no_data(f"data for {asset}", q)
    as_of = max(venue_times.values())
    lags = lags or {}
    stale_venues = sorted(
        v for v, t in venue_times.items() if venue_freshness(t, as_of, lags.get(v, default_lag)).stale
    )
    return {
        "asset": asset,
        "as_of": iso(as_of),
        # Only the newest view can be "behind"; a view of the past is as old as it was asked to be.
        "stale": q.as_of is None and behind_by(as_of, q.now) is not None,
        "stale_venues": stale_venues,
        "venue_last_data_at": {v: iso(t) for v, t in sorted(venue_times.items())},
        "venue_allowed_lag_hours": {v: lags.get(v, default_lag).total_seconds() / 3600 for v in sorted(venue_times)},
    }


def envelope(name: str, q: Query, modes: set[str], assets: list[dict], **fields) -> dict:
    problems = {} if q.as_of is not None else venue_problems(q.con)
    return {
        "report": name,
        "schema_version": SCHEMA_VERSION,
        "data_mode": "simulator" if "simulator" in modes else "live",
        "generated_at": iso(q.now),
        "as_of_requested": iso(q.as_of),
        "exchanges": list(q.exchanges) if q.exchanges else None,
        "venue_problems": [p.as_json() for v, p in sorted(problems.items()) if q.wants(v)],
        **fields,
        "assets": assets,
    }


def data_modes(q: Query, table: str, assets: list[str]) -> set[str]:
    rows = q.con.execute(f"select distinct data_mode from {table} where asset in ({marks(assets)})", assets).fetchall()
    return {r[0] for r in rows}


def banner(report: dict) -> list[str]:
    lines = []
    if report["data_mode"] == "simulator":
        lines += ["SIMULATED DATA: local exchange simulator, not a live market"]
    if report.get("as_of_requested"):
        lines += [f"POINT-IN-TIME VIEW as of {utc(datetime.fromisoformat(report['as_of_requested']))}"]
    if report.get("exchanges"):
        lines += [f"Venues: {', '.join(venue_name(v) for v in report['exchanges'])} only"]
    return [*lines, ""] if lines else []


def footer(report: dict, block: dict) -> list[str]:
    """Stale venues, venue problems, the as-of line and the behind warning of one asset block."""
    lines = []
    as_of = datetime.fromisoformat(block["as_of"])
    if block["stale_venues"]:
        parts = []
        for v in block["stale_venues"]:
            last = datetime.fromisoformat(block["venue_last_data_at"][v])
            allowed = duration(timedelta(hours=block["venue_allowed_lag_hours"][v]))
            parts.append(f"{venue_name(v)} (last data {duration(as_of - last)} before the as-of, allowed {allowed})")
        lines.append(f"Stale: {'; '.join(parts)}")
    for p in report.get("venue_problems", []):
        lines.append(f"{p['code']}: {venue_name(p['exchange'])} failed in the latest run ({p['message']})")
    lines.append(f"Data as of {utc(as_of)}")
    if block["stale"]:
        behind = duration(datetime.fromisoformat(report["generated_at"]) - as_of)
        lines.append(
            f"WARNING: the warehouse is behind: newest {block['asset']} data is {behind} old (schedules running?)"
        )
    return lines
