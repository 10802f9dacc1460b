"""`alerts [ASSET ...] [--since 7d] [--type TYPE]`: the alerts that fired recently (marts.fct_alerts).

Each alert fires once per episode (SPEC section 4): funding beyond +-0.05 on a venue, OI up more than 10 % in
24 h, an OI/price divergence beyond 48 h, price within 2 % of a dense level, a cross-venue spread above 0.03.
"Recently" is the --since window before the as-of (the newest hour of marts.fct_market_state, or --as-of).
With --as-of, an alert counts as ongoing when it was still seen in the hour before the as-of; its peak and
last-seen time are those of the newest data. With --exchange, venue alerts of other venues are left out;
asset-wide alerts (no venue) stay.

JSON (schema_version 1; the envelope of tracker/reports/common.py):
{
  ...envelope..., "report": "alerts", "since": "7d", "window_start": ISO, "types": [str] | null,
  "assets": [{"asset", "as_of", "stale", "stale_venues", "venue_last_data_at", "venue_allowed_lag_hours",
              "alerts": [{"alert_id": str, "alert_type": str, "exchange": str | null, "fired_at": ISO,
                          "last_seen_at": ISO, "hours_active": int, "value_at_fire": float, "peak_value": float,
                          "threshold": float, "ongoing": bool, "message": str}]}]   (newest first)
}
"""

from __future__ import annotations

from datetime import datetime, timedelta

from tracker.errors import CliError
from tracker.freshness import behind_by
from tracker.query import Query, marks, venue_name
from tracker.render import RULE, utc
from tracker.reports.common import banner, check_assets, data_modes, envelope, footer, iso, no_data
from tracker.reports.funding import parse_window
from tracker.store import fetch_dicts

HELP = "alerts fired recently: extreme funding, OI surges, divergences, dense levels near price, spreads"
ASSETS = "*"
CHART = False
TYPES = ("funding_extreme", "oi_surge", "oi_price_divergence", "dense_level_proximity", "funding_spread")


def add_arguments(p) -> None:
    p.add_argument("--since", default="7d", metavar="WINDOW", help="how far back from the as-of (default 7d)")
    p.add_argument("--type", action="append", metavar="TYPE", help=f"only these types: {', '.join(TYPES)}")


def _types(values: list[str] | None) -> list[str] | None:
    if not values:
        return None
    chosen = [t.strip().lower() for v in values for t in v.split(",") if t.strip()]
    for t in chosen:
        if t not in TYPES:
            raise CliError("ERR_BAD_ARGUMENT", f"--type {t[:30]!r} is not an alert type", f"types: {', '.join(TYPES)}")
    return list(dict.fromkeys(chosen)) or None


def build(q: Query, args) -> dict:
    try:
        window = parse_window(args.since)
    except CliError:
        raise CliError(
            "ERR_BAD_ARGUMENT", f"--since {args.since[:20]!r} is not a window", "use hours or days: 24h, 7d, 30d"
        ) from None
    types = _types(getattr(args, "type", None))
    if args.assets:
        check_assets(q, args.assets, "marts.fct_market_state")
    upto, upto_params = q.upto("hour_at")
    hours = fetch_dicts(
        q.con,
        f"select asset, max(hour_at) as hour_at from marts.fct_market_state where true{upto} group by asset "
        "order by asset",
        upto_params,
    )
    latest = {h["asset"]: h["hour_at"] for h in hours if not args.assets or h["asset"] in args.assets}
    assets = args.assets or sorted(latest)
    if not assets:
        raise no_data("market state", q)
    blocks = []
    for asset in assets:
        if asset not in latest:
            raise no_data(f"market state for {asset}", q)
        as_of = latest[asset]
        start = as_of - window
        type_sql = f" and alert_type in ({marks(types)})" if types else ""
        venue_sql = f" and (exchange is null or exchange in ({marks(q.exchanges)}))" if q.exchanges else ""
        rows = fetch_dicts(
            q.con,
            f"""
            select * from marts.fct_alerts
            where asset = ? and fired_at > ? and fired_at <= ?{type_sql}{venue_sql}
            order by fired_at desc, alert_type, exchange nulls first
            """,
            [asset, start, as_of, *(types or []), *(q.exchanges or [])],
        )
        # Alerts span venues: the block's as-of is the market-state hour, and no venue is held to a lag here.
        block = {
            "asset": asset,
            "as_of": iso(as_of),
            "stale": q.as_of is None and behind_by(as_of, q.now) is not None,
            "stale_venues": [],
            "venue_last_data_at": {},
            "venue_allowed_lag_hours": {},
        }
        block["alerts"] = [
            {
                "alert_id": r["alert_id"],
                "alert_type": r["alert_type"],
                "exchange": r["exchange"],
                "fired_at": iso(r["fired_at"]),
                "last_seen_at": iso(r["last_seen_at"]),
                "hours_active": r["hours_active"],
                "value_at_fire": r["value_at_fire"],
                "peak_value": r["peak_value"],
                "threshold": r["threshold"],
                "ongoing": (r["last_seen_at"] >= as_of - timedelta(hours=1)) if q.as_of else bool(r["is_ongoing"]),
                "message": r["message"],
            }
            for r in rows
        ]
        blocks.append(block)
    return envelope(
        "alerts",
        q,
        data_modes(q, "marts.fct_funding_current", assets),
        blocks,
        since=args.since.lower(),
        window_start=iso(min(datetime.fromisoformat(b["as_of"]) for b in blocks) - window),
        types=types,
    )


def render_table(report: dict) -> str:
    lines = banner(report)
    for a in report["assets"]:
        lines.append(f"{a['asset']} ALERTS (fired in the last {report['since']})")
        lines.append(RULE)
        if not a["alerts"]:
            lines.append("No alerts fired in this window.")
        for al in a["alerts"]:
            fired = utc(datetime.fromisoformat(al["fired_at"]))
            venue = venue_name(al["exchange"]) if al["exchange"] else "all venues"
            state = "ONGOING" if al["ongoing"] else f"ended, {al['hours_active']}h active"
            lines.append(f"{fired}  {al['alert_type']:<22} {venue:<11} {state}")
            lines.append(f"    {al['message']}")
        lines.append(RULE)
        lines.append(f"{len(a['alerts'])} alert(s); {sum(al['ongoing'] for al in a['alerts'])} ongoing")
        lines += footer(report, a)
        lines.append("")
    return "\n".join(lines).rstrip() + "\n"


CSV_HEADER = [
    "asset",
    "alert_id",
    "alert_type",
    "exchange",
    "fired_at",
    "last_seen_at",
    "hours_active",
    "value_at_fire",
    "peak_value",
    "threshold",
    "ongoing",
    "message",
    "as_of",
    "data_mode",
]


def csv_rows(report: dict) -> tuple[list[str], list[list]]:
    rows = [
        [
            a["asset"],
            al["alert_id"],
            al["alert_type"],
            al["exchange"] or "",
            al["fired_at"],
            al["last_seen_at"],
            al["hours_active"],
            al["value_at_fire"],
            al["peak_value"],
            al["threshold"],
            "true" if al["ongoing"] else "false",
            al["message"],
            a["as_of"],
            report["data_mode"],
        ]
        for a in report["assets"]
        for al in a["alerts"]
    ]
    return CSV_HEADER, rows
