"""`funding ASSET [ASSET ...] [--history 7d] [--alert-threshold 0.08]`: the skill card's funding report, per
venue and weighted across venues.

The newest view reads marts.fct_funding_current (the open period's rate from the latest snapshot) and
marts.fct_funding_asset_summary. A point-in-time view (--as-of) reads the history marts instead: the rate in
force in the last complete hour (fct_funding_hourly), averages of the settlements up to then
(fct_funding_rates) and the cross-venue figures of that hour (fct_funding_signals). With --exchange the
weighted average is recomputed over the shown venues with the mart's formula; the level and sentiment stay
the all-venue ones and say so.

JSON (schema_version 1; the envelope of tracker/reports/common.py), rates in percent per 8 hours unless the key
says otherwise:
{
  ...envelope..., "report": "funding",
  "alert_threshold_pct": float | null (--alert-threshold, per 8 h), "history_window": "7d" | null (--history),
  "assets": [{
    "asset", "as_of", "stale", "stale_venues", "venue_last_data_at", "venue_allowed_lag_hours",
    "weighted_rate_8h_pct": float, "weighted_apr_pct": float,
    "weighting": "open_interest" | "equal", "level": str, "sentiment": str,
    "sentiment_scope": "all_venues" (level and sentiment always cover every venue),
    "alert_venues": [str] (|current rate| >= the threshold; [] without --alert-threshold),
    "venues": [{"exchange": str, "instrument": str, "funding_interval_hours": int,
                "current_rate_8h_pct": float, "current_rate_pct": float (per interval),
                "avg_24h_rate_8h_pct": float | null, "avg_7d_rate_8h_pct": float | null,
                "next_funding_at": ISO-8601 UTC | null, "next_funding_in_seconds": int | null
                (null for venues that accrue funding continuously: Deribit, GMX),
                "oi_usd": float | null, "as_of": ISO-8601 UTC,
                "last_data_at": ISO-8601 UTC (the venue's newest data, its as_of),
                "allowed_lag_hours": float (from marts.fct_source_freshness: the snapshot schedule's allowance),
                "stale": bool (asset as_of - last_data_at > allowed_lag_hours), "alert": bool}],
    "history": null | {"window": "7d", "start": ISO, "end": ISO,
                "weighted_avg_rate_8h_pct": float | null, "weighted_avg_apr_pct": float | null,
                "venues": [{"exchange", "settlements": int, "avg_rate_8h_pct", "min_rate_8h_pct",
                            "max_rate_8h_pct"}],
                "daily": [{"day": "2026-11-20", "weighted_rate_8h_pct": float}],
                "hourly": {exchange: [[ISO hour, rate_8h_pct], ...]} (only with --chart)}
  }]
}
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta

from tracker.errors import CliError
from tracker.freshness import allowed_lags
from tracker.query import Query, marks, venue_name
from tracker.render import duration, pct, table, utc
from tracker.reports.common import asset_block, banner, check_assets, envelope, footer, iso, no_data, pct_value
from tracker.store import fetch_dicts

HELP = "perpetual funding rates per venue, OI-weighted, with sentiment, history and alerts"
ASSETS = "+"
CHART = True
# Venues that accrue funding continuously have no next payment time (SPEC section 3).
CONTINUOUS = frozenset({"deribit", "gmx"})
APR_PER_8H = 3 * 365
_WINDOW = re.compile(r"^(\d{1,4})([hd])$")
CHART_WINDOW = "7d"


def add_arguments(p) -> None:
    p.add_argument("--history", metavar="WINDOW", help="also the averages over a window: 24h, 7d, 30d (1h..365d)")
    p.add_argument(
        "--alert-threshold",
        metavar="PCT",
        help="flag venues whose current rate per 8h is at or beyond +-PCT percent (e.g. 0.08)",
    )


def parse_window(text: str) -> timedelta:
    m = _WINDOW.match(text.strip().lower())
    span = None
    if m:
        n = int(m.group(1))
        span = timedelta(hours=n) if m.group(2) == "h" else timedelta(days=n)
    if span is None or not timedelta(hours=1) <= span <= timedelta(days=365):
        raise CliError(
            "ERR_BAD_ARGUMENT", f"--history {text[:20]!r} is not a window", "use hours or days: 24h, 7d, 30d (1h..365d)"
        )
    return span


def parse_threshold(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        value = float("nan")
    if not 0 < value < 100:  # also rejects nan and inf
        raise CliError(
            "ERR_BAD_ARGUMENT",
            f"--alert-threshold {text[:20]!r} is not a percent per 8h above 0",
            "e.g. --alert-threshold 0.08 (percent per 8 hours)",
        )
    return value


def build(q: Query, args) -> dict:
    window_text = getattr(args, "history", None)
    window = parse_window(window_text) if window_text else None
    threshold_text = getattr(args, "alert_threshold", None)
    threshold = parse_threshold(threshold_text) if threshold_text is not None else None
    wants_chart = bool(getattr(args, "chart", None))
    if wants_chart and window is None:
        window, window_text = parse_window(CHART_WINDOW), CHART_WINDOW
    assets = args.assets
    check_assets(q, assets, "marts.fct_funding_current")
    rows_by_asset = _latest(q, assets) if q.as_of is None else _point_in_time(q, assets)
    lags = allowed_lags(q.con)
    out, modes = [], set()
    for asset in assets:
        rows, summary = rows_by_asset.get(asset, ([], None))
        rows = [v for v in rows if q.wants(v["exchange"])]
        if not rows or summary is None:
            raise no_data(f"funding data for {asset}", q)
        modes.update(v["data_mode"] for v in rows)
        block = _asset_block(q, asset, rows, summary, lags, threshold)
        block["history"] = _history(q, asset, block, window, window_text, wants_chart) if window else None
        out.append(block)
    return envelope(
        "funding",
        q,
        modes,
        out,
        alert_threshold_pct=threshold,
        history_window=window_text.lower() if window_text else None,
    )


def _latest(q: Query, assets: list[str]) -> dict[str, tuple[list[dict], dict | None]]:
    venues = fetch_dicts(
        q.con,
        f"select * from marts.fct_funding_current where asset in ({marks(assets)}) "
        "order by asset, oi_usd desc nulls last, exchange",
        assets,
    )
    summaries = {
        r["asset"]: r
        for r in fetch_dicts(
            q.con, f"select * from marts.fct_funding_asset_summary where asset in ({marks(assets)})", assets
        )
    }
    return {a: ([v for v in venues if v["asset"] == a], summaries.get(a)) for a in assets}


def _point_in_time(q: Query, assets: list[str]) -> dict[str, tuple[list[dict], dict | None]]:
    """The same rows as the newest view, from history: the last complete hour at or before the as-of."""
    last_hour_start = q.as_of - timedelta(hours=1)
    out = {}
    for asset in assets:
        hourly = fetch_dicts(
            q.con,
            """
            select exchange, instrument, hour_at, funding_rate, funding_interval_hours, funding_rate_8h, oi_usd,
                   data_mode
            from marts.fct_funding_hourly
            where asset = ? and hour_at <= ? and hour_at > ?
            qualify row_number() over (partition by exchange order by hour_at desc) = 1
            """,
            [asset, last_hour_start, last_hour_start - timedelta(days=2)],
        )
        rows = []
        for h in hourly:
            settled = q.con.execute(
                """
                select avg(funding_rate_8h) filter (where funding_at > ?), avg(funding_rate_8h), max(funding_at)
                from marts.fct_funding_rates
                where exchange = ? and instrument = ? and funding_at > ? and funding_at <= ?
                """,
                [q.as_of - timedelta(hours=24), h["exchange"], h["instrument"], q.as_of - timedelta(days=7), q.as_of],
            ).fetchone()
            interval = h["funding_interval_hours"]
            next_at = None
            if h["exchange"] not in CONTINUOUS and settled[2] is not None and interval:
                next_at = settled[2] + timedelta(hours=interval)
                while next_at <= q.as_of:  # settlements not yet in the history (or skipped) are still due
                    next_at += timedelta(hours=interval)
            observed = h["hour_at"] + timedelta(hours=1)  # the rate in force through the end of that hour
            rows.append(
                {
                    "exchange": h["exchange"],
                    "asset": asset,
                    "instrument": h["instrument"],
                    "as_of": observed,
                    "funding_interval_hours": interval,
                    "current_funding_rate": h["funding_rate"],
                    "current_rate_8h": h["funding_rate_8h"],
                    "avg_24h_rate_8h": settled[0],
                    "avg_7d_rate_8h": settled[1],
                    "next_funding_at": next_at,
                    "oi_usd": h["oi_usd"],
                    "data_mode": h["data_mode"],
                }
            )
        rows.sort(key=lambda v: (-(v["oi_usd"] or 0), v["exchange"]))
        signal = fetch_dicts(
            q.con,
            """
            select weighted_rate_8h, weighted_apr, weighting, funding_level, sentiment
            from marts.fct_funding_signals where asset = ? and hour_at <= ? order by hour_at desc limit 1
            """,
            [asset, last_hour_start],
        )
        out[asset] = (rows, signal[0] if signal else None)
    return out


def _asset_block(q: Query, asset: str, rows: list[dict], summary: dict, lags, threshold) -> dict:
    # The current rates are hourly snapshots: each venue is held to its snapshot schedule's allowance.
    block = asset_block(q, asset, {v["exchange"]: v["as_of"] for v in rows}, lags)
    weighted_8h, weighted_apr, weighting = summary["weighted_rate_8h"], summary["weighted_apr"], summary["weighting"]
    if q.exchanges:
        weighted_8h, weighting = _weighted(rows)
        weighted_apr = weighted_8h * APR_PER_8H
    alerting = [
        v["exchange"] for v in rows if threshold is not None and abs(v["current_rate_8h"]) * 100 >= threshold - 1e-12
    ]
    return {
        **block,
        "weighted_rate_8h_pct": pct_value(weighted_8h),
        "weighted_apr_pct": pct_value(weighted_apr),
        "weighting": weighting,
        "level": summary["funding_level"],
        "sentiment": summary["sentiment"],
        "sentiment_scope": "all_venues",
        "alert_venues": alerting,
        "venues": [
            {
                "exchange": v["exchange"],
                "instrument": v["instrument"],
                "funding_interval_hours": v["funding_interval_hours"],
                "current_rate_8h_pct": pct_value(v["current_rate_8h"]),
                "current_rate_pct": pct_value(v["current_funding_rate"]),
                "avg_24h_rate_8h_pct": pct_value(v["avg_24h_rate_8h"]),
                "avg_7d_rate_8h_pct": pct_value(v["avg_7d_rate_8h"]),
                "next_funding_at": iso(v["next_funding_at"]),
                "next_funding_in_seconds": (
                    None if v["next_funding_at"] is None else int((v["next_funding_at"] - v["as_of"]).total_seconds())
                ),
                "oi_usd": v["oi_usd"],
                "as_of": iso(v["as_of"]),
                "last_data_at": iso(v["as_of"]),
                "allowed_lag_hours": block["venue_allowed_lag_hours"][v["exchange"]],
                "stale": v["exchange"] in block["stale_venues"],
                "alert": v["exchange"] in alerting,
            }
            for v in rows
        ],
    }


def _weighted(rows: list[dict]) -> tuple[float, str]:
    """sum(rate_8h x oi_usd) / sum(oi_usd) over venues with OI; the plain mean when none has OI (the mart's rule)."""
    with_oi = [v for v in rows if v["oi_usd"]]
    if with_oi:
        total = sum(v["oi_usd"] for v in with_oi)
        return sum(v["current_rate_8h"] * v["oi_usd"] for v in with_oi) / total, "open_interest"
    return sum(v["current_rate_8h"] for v in rows) / len(rows), "equal"


def _history(q: Query, asset: str, block: dict, window: timedelta, text: str, hourly: bool) -> dict:
    end = datetime.fromisoformat(block["as_of"])
    start = end - window
    instruments = [(v["exchange"], v["instrument"]) for v in block["venues"]]
    pairs = " or ".join("(exchange = ? and instrument = ?)" for _ in instruments)
    stats = fetch_dicts(
        q.con,
        f"""
        select exchange, count(*) as settlements, avg(funding_rate_8h) as avg_8h, min(funding_rate_8h) as min_8h,
               max(funding_rate_8h) as max_8h
        from marts.fct_funding_rates
        where asset = ? and funding_at > ? and funding_at <= ? and ({pairs})
        group by exchange
        """,
        [asset, start, end, *[x for pair in instruments for x in pair]],
    )
    by_venue = {s["exchange"]: s for s in stats}
    weighted = q.con.execute(
        "select avg(weighted_rate_8h) from marts.fct_funding_signals where asset = ? and hour_at >= ? and hour_at < ?",
        [asset, start, end],
    ).fetchone()[0]
    daily = q.con.execute(
        """
        select strftime(date_trunc('day', hour_at), '%Y-%m-%d'), avg(weighted_rate_8h)
        from marts.fct_funding_signals where asset = ? and hour_at >= ? and hour_at < ? group by 1 order by 1
        """,
        [asset, start, end],
    ).fetchall()
    history = {
        "window": text.lower(),
        "start": iso(start),
        "end": iso(end),
        "weighted_avg_rate_8h_pct": pct_value(weighted),
        "weighted_avg_apr_pct": pct_value(None if weighted is None else weighted * APR_PER_8H),
        "scope": "selected_venues_settlements; weighted average over all venues" if q.exchanges else "all_venues",
        "venues": [
            {
                "exchange": e,
                "settlements": by_venue[e]["settlements"] if e in by_venue else 0,
                "avg_rate_8h_pct": pct_value(by_venue[e]["avg_8h"]) if e in by_venue else None,
                "min_rate_8h_pct": pct_value(by_venue[e]["min_8h"]) if e in by_venue else None,
                "max_rate_8h_pct": pct_value(by_venue[e]["max_8h"]) if e in by_venue else None,
            }
            for e, _ in instruments
        ],
        "daily": [{"day": d, "weighted_rate_8h_pct": pct_value(r)} for d, r in daily],
    }
    if hourly:
        exchanges = [e for e, _ in instruments]
        series = q.con.execute(
            f"""
            select exchange, hour_at, funding_rate_8h from marts.fct_funding_hourly
            where asset = ? and hour_at >= ? and hour_at < ? and exchange in ({marks(exchanges)})
            order by exchange, hour_at
            """,
            [asset, start, end, *exchanges],
        ).fetchall()
        history["hourly"] = {}
        for exchange, hour_at, rate in series:
            history["hourly"].setdefault(exchange, []).append([iso(hour_at), pct_value(rate)])
    return history


def render_table(report: dict) -> str:
    lines = banner(report)
    threshold = report.get("alert_threshold_pct")
    for a in report["assets"]:
        as_of = datetime.fromisoformat(a["as_of"])
        lines.append(f"{a['asset']} PERPETUAL FUNDING RATES (per 8h)")
        rows, notes = [], []
        for v in a["venues"]:
            name = venue_name(v["exchange"])
            if v["funding_interval_hours"] != 8:
                name += f" ({v['funding_interval_hours']}h)"
            rows.append(
                [
                    name,
                    pct(_frac(v["current_rate_8h_pct"])),
                    pct(_frac(v["avg_24h_rate_8h_pct"])),
                    pct(_frac(v["avg_7d_rate_8h_pct"])),
                    (
                        "continuous"
                        if v["next_funding_in_seconds"] is None
                        else duration(timedelta(seconds=v["next_funding_in_seconds"]))
                    ),
                ]
            )
            note = f"  STALE {duration(as_of - datetime.fromisoformat(v['last_data_at']))}" if v["stale"] else ""
            notes.append(note + ("  ALERT" if v.get("alert") else ""))
        lines += table(["Exchange", "Current", "24h Avg", "7d Avg", "Next Payment"], rows, [16, 11, 11, 11, 14], notes)
        weighting = "OI-weighted" if a["weighting"] == "open_interest" else "Equal-weighted (OI missing)"
        weighted, annualised = pct(_frac(a["weighted_rate_8h_pct"])), pct(_frac(a["weighted_apr_pct"]), 2)
        lines.append(f"Weighted Avg: {weighted} | Annualized: {annualised}  ({weighting})")
        scope = " (all venues)" if report.get("exchanges") else ""
        lines.append(f"Sentiment: {a['sentiment']}{scope}")
        if threshold is not None:
            named = ", ".join(venue_name(e) for e in a["alert_venues"]) or "none"
            lines.append(f"Alert (|rate| >= {threshold:.4f}% per 8h): {named}")
        if a.get("history"):
            lines += _history_lines(a["history"])
        lines += footer(report, a)
        lines.append("")
    return "\n".join(lines).rstrip() + "\n"


def _history_lines(h: dict) -> list[str]:
    lines = ["", f"FUNDING HISTORY, last {h['window']} (settled rates, per 8h)"]
    rows = [
        [
            venue_name(v["exchange"]),
            pct(_frac(v["avg_rate_8h_pct"])),
            pct(_frac(v["min_rate_8h_pct"])),
            pct(_frac(v["max_rate_8h_pct"])),
            str(v["settlements"]),
        ]
        for v in h["venues"]
    ]
    lines += table(["Exchange", "Average", "Min", "Max", "Settlements"], rows, [16, 11, 11, 11, 13])
    avg, apr = pct(_frac(h["weighted_avg_rate_8h_pct"])), pct(_frac(h["weighted_avg_apr_pct"]), 2)
    lines.append(f"OI-weighted average over {h['window']}: {avg} | Annualized: {apr}")
    if h["daily"]:
        days = "  ".join(f"{d['day'][5:]} {pct(_frac(d['weighted_rate_8h_pct']))}" for d in h["daily"][-7:])
        lines.append(f"Daily (last {min(7, len(h['daily']))}): {days}")
    lines.append(f"Window {utc(datetime.fromisoformat(h['start']))} .. {utc(datetime.fromisoformat(h['end']))}")
    return lines


CSV_HEADER = [
    "asset",
    "exchange",
    "instrument",
    "funding_interval_hours",
    "current_rate_8h_pct",
    "avg_24h_rate_8h_pct",
    "avg_7d_rate_8h_pct",
    "next_funding_at",
    "oi_usd",
    "as_of",
    "data_mode",
    # Appended last, so readers of the earlier columns by position are unaffected.
    "stale",
    "last_data_at",
    "alert",
]


def csv_rows(report: dict) -> tuple[list[str], list[list]]:
    rows = []
    for a in report["assets"]:
        for v in a["venues"]:
            rows.append(
                [
                    a["asset"],
                    v["exchange"],
                    v["instrument"],
                    v["funding_interval_hours"],
                    v["current_rate_8h_pct"],
                    v["avg_24h_rate_8h_pct"],
                    v["avg_7d_rate_8h_pct"],
                    v["next_funding_at"],
                    v["oi_usd"],
                    v["as_of"],
                    report["data_mode"],
                    "true" if v["stale"] else "false",
                    v["last_data_at"],
                    "true" if v["alert"] else "false",
                ]
            )
    return CSV_HEADER, rows


def chart(report: dict, path) -> None:
    from tracker.charts.funding import draw

    draw(report, path)


def _frac(p: float | None) -> float | None:
    return None if p is None else p / 100
