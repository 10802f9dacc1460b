"""`liquidations ASSET [ASSET ...] [--recent] [--min-size 100000]`: the skill card's liquidation heatmap.

Default view: the ESTIMATED liquidation levels of the newest hour at or before the as-of
(marts.fct_liquidation_levels: a model from open-interest changes and an assumed leverage mix, not observed
positions): the current price, the densest long buckets below and short buckets above (the side's top
`--levels` buckets by estimated USD, shown outward from the price), a bar proportional to USD, the HIGH
DENSITY / CRITICAL labels; then the 24 h liquidated USD, longs vs shorts (marts.fct_liquidation_summary),
cascades, and the measured hit rate of the levels (marts.fct_liquidation_level_hits) where there is one.
`--recent` adds the liquidation events of the same 24 hours (marts.fct_liquidation_events), newest first;
`--min-size USD` keeps events of at least that size (and shows the events on its own, as the skill card's
"set minimum size filter"; 100000, 1e5, 100k, 2.5M; negative, NaN or infinite is ERR_BAD_ARGUMENT).
`--levels N` buckets per side (default 5), `--limit N` events listed (default 20; the totals count them all).
CSV: one row per level shown, or with the events view one row per event listed.

The 24 hours are those of the summary row: the hours (H - 23 h .. H], H = the levels' hour, i.e. events
from H - 23 h to H + 1 h. --exchange: the events and the 24 h totals are those venues' (from
marts.fct_liquidations_hourly); levels, cascades and the hit rate are per asset over ALL venues and say so.
Staleness: the levels are built from every venue's open interest, so a venue is stale when its newest OI hour
(marts.fct_open_interest_hourly) lags the levels' hour by more than its snapshot schedule allows; with
--exchange too (stale_venues may name venues not shown: their OI still feeds the levels).

JSON (schema_version 1; the envelope of tracker/reports/common.py). "_pct" fields are percents:
{
  ...envelope..., "report": "liquidations", "views": ["levels"] | ["levels", "events"],
  "levels_per_side": int, "min_size_usd": float | null, "events_limit": int,
  "assets": [{
    "asset", "as_of", "stale", "stale_venues", "venue_last_data_at", "venue_allowed_lag_hours" (common),
    "levels_hour_at": ISO-8601 UTC (the book at the end of that hour), "price": float (that hour's close),
    "levels_are_estimates": true, "levels_scope": "all_venues",
    "long_levels": [level] (below the price, nearest first), "short_levels": [level] (above, nearest first),
      level = {"level_price": float (the bucket edge facing the price: the top of a long bucket, the bottom of
               a short one), "bucket_price_low": float, "bucket_price_high": float, "estimated_usd": float,
               "distance_pct": float (signed: negative below the price), "density_rank": int (1 = the side's
               densest), "density_label": "CRITICAL" | "HIGH DENSITY" | null, "share_of_side_pct": float},
    "nearest_dense_long", "nearest_dense_short": level | null (the HIGH DENSITY / CRITICAL bucket nearest the
        price on that side, as marts.fct_liquidation_level_proximity picks it),
    "long_side_total_usd": float | null, "short_side_total_usd": float | null (all published buckets),
    "summary_24h": {"scope": "all_venues" | "shown_venues", "hour_at": ISO, "start": ISO, "end": ISO,
                    "long_usd": float, "short_usd": float, "total_usd": float,
                    "long_short_ratio": float | null (long / short), "events": int,
                    "cascade_scope": "all_venues", "cascades": [{"hour_at", "side", "total_usd"}]},
    "hit_rate": null | {"scope": "all_venues", "start_date", "end_date" (the 30 complete UTC days before the
                levels' day), "events": int, "events_with_levels": int, "level_hits": int,
                "dense_level_hits": int, "hit_rate_pct": float | null, "dense_hit_rate_pct": float | null},
    "events": null (without --recent / --min-size) | {"start": ISO, "end": ISO, "min_size_usd": float,
              "count": int, "long_usd": float, "short_usd": float (of all matching events),
              "largest": event | null, "items": [event] (newest first, at most events_limit)},
      event = {"liquidated_at": ISO, "exchange": str, "instrument": str, "side": "long" | "short",
               "price": float, "size_usd": float},
    "buckets": only with --chart: [{"side", "bucket_price_low", "bucket_price_high", "estimated_usd",
               "density_label"}] (every published bucket of the hour)
  }]
}
"""

from __future__ import annotations

import math
import re
from datetime import datetime, timedelta

from tracker.errors import CliError
from tracker.freshness import allowed_lags
from tracker.query import Query, venue_name
from tracker.render import RULE, pct, price_text, usd
from tracker.reports.common import (
    asset_block,
    banner,
    check_assets,
    data_modes,
    envelope,
    footer,
    iso,
    no_data,
    pct_value,
)
from tracker.store import fetch_dicts

HELP = "estimated liquidation levels (heatmap), 24h liquidations, hit rate and recent events"
ASSETS = "+"
CHART = True

LEVELS = "marts.fct_liquidation_levels"
SUMMARY = "marts.fct_liquidation_summary"
HOURLY = "marts.fct_liquidations_hourly"
EVENTS = "marts.fct_liquidation_events"
HITS = "marts.fct_liquidation_level_hits"
OI_HOURLY = "marts.fct_open_interest_hourly"
MODES_TABLE = "marts.fct_open_interest_signals"  # the levels' input; small, per asset and hour
DEFAULT_LEVELS = 5
DEFAULT_LIMIT = 20
HIT_RATE_DAYS = 30
BAR_WIDTH = 20
VENUE_LOOKBACK = timedelta(days=7)
_SIZE = re.compile(r"^\$?\s*([0-9]*\.?[0-9]+(?:e[+-]?[0-9]+)?)\s*([kmb]?)$", re.IGNORECASE)
_SCALE = {"": 1.0, "k": 1e3, "m": 1e6, "b": 1e9}


def parse_min_size(text: str) -> float:
    """--min-size: a non-negative USD amount: 100000, 1e5, 100k, 2.5M."""
    m = _SIZE.match(text.strip().replace(",", "").replace("_", ""))
    value = float(m.group(1)) * _SCALE[m.group(2).lower()] if m else math.nan
    if not math.isfinite(value) or value < 0:
        raise CliError(
            "ERR_BAD_ARGUMENT",
            f"--min-size {text[:30]!r} is not a non-negative USD amount",
            "e.g. --min-size 100000 (or 100k, 2.5M)",
        )
    return value


def _count(flag: str, low: int, high: int):
    def parse(text: str) -> int:
        try:
            n = int(text.strip())
        except ValueError:
            n = None
        if n is None or not low <= n <= high:
            raise CliError("ERR_BAD_ARGUMENT", f"{flag} {text[:20]!r} is not a whole number {low}..{high}", "e.g. 5")
        return n

    return parse


def add_arguments(parser) -> None:
    parser.add_argument("--recent", action="store_true", help="also the liquidation events of the last 24 hours")
    parser.add_argument(
        "--min-size",
        metavar="USD",
        type=parse_min_size,
        help="only events of at least this size in USD (e.g. 100000, 100k); shows the events",
    )
    parser.add_argument(
        "--levels",
        metavar="N",
        type=_count("--levels", 1, 50),
        default=DEFAULT_LEVELS,
        help=f"levels per side: the N densest buckets (default {DEFAULT_LEVELS})",
    )
    parser.add_argument(
        "--limit",
        metavar="N",
        type=_count("--limit", 1, 1000),
        default=DEFAULT_LIMIT,
        help=f"events listed at most (default {DEFAULT_LIMIT})",
    )


# ---------------------------------------------------------------- build


def build(q: Query, args) -> dict:
    check_assets(q, args.assets, SUMMARY)
    with_events = bool(args.recent or args.min_size is not None)
    chart = bool(getattr(args, "chart", None))
    lags = allowed_lags(q.con, "hourly_snapshot")
    blocks = [_asset(q, asset, args, with_events, chart, lags) for asset in args.assets]
    return envelope(
        "liquidations",
        q,
        data_modes(q, MODES_TABLE, args.assets),
        blocks,
        views=["levels", "events"] if with_events else ["levels"],
        levels_per_side=args.levels,
        min_size_usd=args.min_size,
        events_limit=args.limit,
    )


def _asset(q: Query, asset: str, args, with_events: bool, chart: bool, lags) -> dict:
    upto_sql, upto_params = q.upto("hour_at")
    # The levels table is the big one (buckets x hours): look for its newest hour near the summary's newest
    # first (a small table), so a year of history is not scanned; the whole table only if none is near.
    anchor = q.con.execute(
        f"select max(hour_at) from {SUMMARY} where asset = ?{upto_sql}", [asset, *upto_params]
    ).fetchone()[0]
    hour = None
    if anchor is not None:
        hour = q.con.execute(
            f"select max(hour_at) from {LEVELS} where asset = ? and hour_at >= ?{upto_sql}",
            [asset, anchor - VENUE_LOOKBACK, *upto_params],
        ).fetchone()[0]
    if hour is None:
        hour = q.con.execute(
            f"select max(hour_at) from {LEVELS} where asset = ?{upto_sql}", [asset, *upto_params]
        ).fetchone()[0]
    if hour is None:
        raise no_data(f"estimated liquidation levels for {asset}", q)
    buckets = fetch_dicts(
        q.con,
        "select side, bucket_price, bucket_price_high, estimated_usd, share_of_side, distance_from_close, close, "
        f"side_total_usd, density_rank, density_label from {LEVELS} where asset = ? and hour_at = ? "
        "order by side, bucket_price",
        [asset, hour],
    )
    # The levels are built from every venue's OI, so every venue's OI freshness counts, whatever --exchange.
    venue_times = dict(
        q.con.execute(
            f"select exchange, max(hour_at) from {OI_HOURLY} where asset = ? and hour_at >= ? and hour_at <= ? "
            "group by exchange",
            [asset, hour - VENUE_LOOKBACK, hour],
        ).fetchall()
    )
    block = asset_block(q, asset, venue_times, lags)
    close = buckets[0]["close"]

    def level(b: dict) -> dict:
        below = b["side"] == "long"
        edge = b["bucket_price_high"] if below else b["bucket_price"]
        return {
            "level_price": edge,
            "bucket_price_low": b["bucket_price"],
            "bucket_price_high": b["bucket_price_high"],
            "estimated_usd": b["estimated_usd"],
            "distance_pct": pct_value(edge / close - 1) if close else None,
            "density_rank": b["density_rank"],
            "density_label": b["density_label"],
            "share_of_side_pct": pct_value(b["share_of_side"]),
        }

    top = [b for b in buckets if b["density_rank"] <= args.levels]
    longs = sorted((level(b) for b in top if b["side"] == "long"), key=lambda x: -x["level_price"])
    shorts = sorted((level(b) for b in top if b["side"] == "short"), key=lambda x: x["level_price"])
    side_totals = {b["side"]: b["side_total_usd"] for b in buckets}
    nearest = {}
    for side in ("long", "short"):
        dense = [b for b in buckets if b["side"] == side and b["density_label"]]
        best = min(dense, key=lambda b: (b["distance_from_close"], -b["estimated_usd"]), default=None)
        nearest[side] = None if best is None else level(best)
    block.update(
        {
            "levels_hour_at": iso(hour),
            "price": close,
            "levels_are_estimates": True,
            "levels_scope": "all_venues",
            "long_levels": longs,
            "short_levels": shorts,
            "nearest_dense_long": nearest["long"],
            "nearest_dense_short": nearest["short"],
            "long_side_total_usd": side_totals.get("long"),
            "short_side_total_usd": side_totals.get("short"),
            "summary_24h": _summary(q, asset, hour),
            "hit_rate": _hit_rate(q, asset, hour),
            "events": _events(q, asset, hour, args) if with_events else None,
        }
    )
    if chart:
        block["buckets"] = [
            {
                "side": b["side"],
                "bucket_price_low": b["bucket_price"],
                "bucket_price_high": b["bucket_price_high"],
                "estimated_usd": b["estimated_usd"],
                "density_label": b["density_label"],
            }
            for b in buckets
        ]
    return block


def _summary(q: Query, asset: str, hour: datetime) -> dict:
    start = hour - timedelta(hours=23)
    rows = fetch_dicts(
        q.con,
        f"select hour_at, long_usd, short_usd, total_usd, events, is_cascade, cascade_side, long_usd_24h, "
        f"short_usd_24h, total_usd_24h from {SUMMARY} where asset = ? and hour_at >= ? and hour_at <= ? "
        "order by hour_at",
        [asset, start, hour],
    )
    cascades = [
        {"hour_at": iso(r["hour_at"]), "side": r["cascade_side"], "total_usd": r["total_usd"]}
        for r in rows
        if r["is_cascade"]
    ]
    if q.exchanges:
        venue_sql, venue_params = q.venues("exchange")
        long_usd, short_usd, events = q.con.execute(
            f"select coalesce(sum(long_usd), 0), coalesce(sum(short_usd), 0), coalesce(sum(events), 0) from {HOURLY} "
            f"where asset = ? and hour_at >= ? and hour_at <= ?{venue_sql}",
            [asset, start, hour, *venue_params],
        ).fetchone()
        scope = "shown_venues"
    else:
        last = rows[-1] if rows and rows[-1]["hour_at"] == hour else None
        long_usd = last["long_usd_24h"] if last else sum(r["long_usd"] for r in rows)
        short_usd = last["short_usd_24h"] if last else sum(r["short_usd"] for r in rows)
        events = sum(r["events"] for r in rows)
        scope = "all_venues"
    return {
        "scope": scope,
        "hour_at": iso(hour),
        "start": iso(start),
        "end": iso(hour + timedelta(hours=1)),
        "long_usd": float(long_usd),
        "short_usd": float(short_usd),
        "total_usd": float(long_usd + short_usd),
        "long_short_ratio": round(long_usd / short_usd, 6) if short_usd else None,
        "events": int(events),
        "cascade_scope": "all_venues",
        "cascades": cascades,
    }


def _hit_rate(q: Query, asset: str, hour: datetime) -> dict | None:
    end = hour.date() - timedelta(days=1)
    start = end - timedelta(days=HIT_RATE_DAYS - 1)
    row = q.con.execute(
        "select count(*), coalesce(sum(events), 0), coalesce(sum(events_with_levels), 0), "
        f"coalesce(sum(level_hits), 0), coalesce(sum(dense_level_hits), 0) from {HITS} "
        "where asset = ? and event_date >= ? and event_date <= ?",
        [asset, start, end],
    ).fetchone()
    days, events, with_levels, hits, dense = (int(x) for x in row)
    if not days:
        return None
    return {
        "scope": "all_venues",
        "start_date": start.isoformat(),
        "end_date": end.isoformat(),
        "events": events,
        "events_with_levels": with_levels,
        "level_hits": hits,
        "dense_level_hits": dense,
        "hit_rate_pct": pct_value(hits / with_levels) if with_levels else None,
        "dense_hit_rate_pct": pct_value(dense / with_levels) if with_levels else None,
    }


def _events(q: Query, asset: str, hour: datetime, args) -> dict:
    start, end = hour - timedelta(hours=23), hour + timedelta(hours=1)
    min_size = args.min_size or 0.0
    venue_sql, venue_params = q.venues("exchange")
    rows = fetch_dicts(
        q.con,
        "select liquidated_at, exchange, instrument, position_side as side, price, size_usd "
        f"from {EVENTS} where asset = ? and hour_at >= ? and hour_at <= ? and size_usd >= ?{venue_sql} "
        "order by liquidated_at desc, exchange, event_key",
        [asset, start, hour, min_size, *venue_params],
    )
    events = [{**r, "liquidated_at": iso(r["liquidated_at"])} for r in rows]
    largest = max(events, key=lambda e: e["size_usd"] or 0, default=None)
    return {
        "start": iso(start),
        "end": iso(end),
        "min_size_usd": min_size,
        "count": len(events),
        "long_usd": sum(e["size_usd"] or 0 for e in events if e["side"] == "long"),
        "short_usd": sum(e["size_usd"] or 0 for e in events if e["side"] == "short"),
        "largest": largest,
        "items": events[: args.limit],
    }


# ---------------------------------------------------------------- table


def render_table(report: dict) -> str:
    lines = banner(report)
    for a in report["assets"]:
        lines += _levels_lines(report, a)
        if a["events"] is not None:
            lines += _event_lines(report, a)
        lines += footer(report, a)
        lines.append("")
    return "\n".join(lines).rstrip() + "\n"


def _bar_rows(levels: list[dict], biggest: float) -> list[str]:
    out = []
    for lv in levels:
        n = max(1, round(BAR_WIDTH * lv["estimated_usd"] / biggest)) if biggest > 0 else 0
        label = f" ({lv['density_label']})" if lv["density_label"] else ""
        dist = pct(None if lv["distance_pct"] is None else lv["distance_pct"] / 100, 1)
        bar = "█" * n
        out.append(
            f"  {price_text(lv['level_price']):>11} {bar:<{BAR_WIDTH}} {usd(lv['estimated_usd']):>7} {dist:>7}{label}"
        )
    return out


def _levels_lines(report: dict, a: dict) -> list[str]:
    hour = a["levels_hour_at"][:16].replace("T", " ")
    lines = [f"{a['asset']} LIQUIDATION LEVELS (ESTIMATED)", RULE]
    lines.append(f"Current Price: {price_text(a['price'])}  (close of the {hour} UTC hour)")
    biggest = max((lv["estimated_usd"] for lv in a["long_levels"] + a["short_levels"]), default=0.0)
    lines.append("")
    lines.append("LONG LIQUIDATIONS (below):")
    lines += _bar_rows(a["long_levels"], biggest) or ["  none estimated within range"]
    lines.append("")
    lines.append("SHORT LIQUIDATIONS (above):")
    lines += _bar_rows(a["short_levels"], biggest) or ["  none estimated within range"]
    lines.append(RULE)
    parts = []
    for side, word in (("long", "long"), ("short", "short")):
        lv = a[f"nearest_dense_{side}"]
        if lv:
            dist = pct(None if lv["distance_pct"] is None else lv["distance_pct"] / 100, 1)
            parts.append(f"{word} {price_text(lv['level_price'])} ({dist}, {usd(lv['estimated_usd'])})")
    lines.append(f"Nearest dense levels: {' | '.join(parts) if parts else 'none'}")
    s = a["summary_24h"]
    scope = " (shown venues)" if s["scope"] == "shown_venues" else ""
    lines.append(f"24h Liquidations{scope}: Longs {usd(s['long_usd'])} | Shorts {usd(s['short_usd'])}")
    ratio = "n/a" if s["long_short_ratio"] is None else f"{s['long_short_ratio']:.2f}"
    if s["cascades"]:
        last = s["cascades"][-1]
        cascade = (
            f"{len(s['cascades'])} hour(s), latest {last['hour_at'][11:16]} UTC "
            f"({last['side']}s, {usd(last['total_usd'])})"
        )
    else:
        cascade = "none"
    cascade_scope = " (all venues)" if report.get("exchanges") else ""
    lines.append(f"Long/Short liquidation ratio: {ratio} | {s['events']} events | Cascades{cascade_scope}: {cascade}")
    venues = "all venues" if not report.get("exchanges") else "all venues, not only the shown ones"
    lines.append(f"Levels are ESTIMATES ({venues}): modelled from open-interest changes and an assumed")
    lines.append("leverage mix, not observed positions.")
    h = a["hit_rate"]
    if h and h["hit_rate_pct"] is not None:
        lines.append(
            f"Measured hit rate {h['start_date']} .. {h['end_date']}: {h['hit_rate_pct']:.1f}% of "
            f"{h['events_with_levels']} liquidations hit an estimated level "
            f"(dense levels {h['dense_hit_rate_pct']:.1f}%)"
        )
    else:
        lines.append("Measured hit rate: not available yet (no liquidations with estimated levels in 30 days)")
    lines.append("")
    return lines


def _event_lines(report: dict, a: dict) -> list[str]:
    e = a["events"]
    size = f", >= {usd(e['min_size_usd'])}" if e["min_size_usd"] else ""
    window = f"{e['start'][5:16].replace('T', ' ')} .. {e['end'][5:16].replace('T', ' ')} UTC"
    lines = [f"{a['asset']} RECENT LIQUIDATIONS ({window}{size}, newest first)", RULE]
    lines.append(f"{'Time (UTC)':<13}{'Exchange':<10}{'Side':<7}{'Price':>13}{'Size (USD)':>14}")
    lines.append(RULE)
    for ev in e["items"]:
        lines.append(
            f"{ev['liquidated_at'][5:16].replace('T', ' '):<13}{venue_name(ev['exchange']):<10}"
            f"{ev['side'].upper():<7}{price_text(ev['price']):>13}{usd(ev['size_usd']):>14}"
        )
    if not e["items"]:
        lines.append("no liquidations matched")
    lines.append(RULE)
    shown = f" (showing {len(e['items'])})" if len(e["items"]) < e["count"] else ""
    lines.append(f"{e['count']} events{shown}: Longs {usd(e['long_usd'])} | Shorts {usd(e['short_usd'])}")
    big = e["largest"]
    if big:
        lines.append(
            f"Largest: {usd(big['size_usd'])} {big['side']} on {venue_name(big['exchange'])} at "
            f"{price_text(big['price'])} ({big['liquidated_at'][5:16].replace('T', ' ')} UTC)"
        )
    lines.append("")
    return lines


# ---------------------------------------------------------------- csv


def csv_rows(report: dict) -> tuple[list[str], list[list]]:
    if "events" in report.get("views", []):
        header = ["asset", "liquidated_at", "exchange", "instrument", "side", "price", "size_usd"]
        rows = [
            [a["asset"], e["liquidated_at"], e["exchange"], e["instrument"], e["side"], e["price"], e["size_usd"]]
            for a in report["assets"]
            for e in a["events"]["items"]
        ]
        return header, rows
    header = [
        "asset",
        "levels_hour_at",
        "price",
        "side",
        "level_price",
        "bucket_price_low",
        "bucket_price_high",
        "estimated_usd",
        "distance_pct",
        "density_rank",
        "density_label",
    ]
    rows = []
    for a in report["assets"]:
        for side, lv in [("long", lv) for lv in a["long_levels"]] + [("short", lv) for lv in a["short_levels"]]:
            rows.append(
                [
                    a["asset"],
                    a["levels_hour_at"],
                    a["price"],
                    side,
                    lv["level_price"],
                    lv["bucket_price_low"],
                    lv["bucket_price_high"],
                    lv["estimated_usd"],
                    lv["distance_pct"],
                    lv["density_rank"],
                    lv["density_label"] or "",
                ]
            )
    return header, rows


def chart(report: dict, path) -> None:
    from tracker.charts.liquidations import draw

    draw(report, path)
