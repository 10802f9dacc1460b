"""`oi ASSET [ASSET ...] [--changes] [--divergence]`: the skill card's open interest report.

Default view: per venue OI in USD, its like-for-like 24 h and 7 d change and its share of the asset's OI over
all venues; the all-venue total with its 24 h change; the long/short account ratio where venues offer one;
the price/OI quadrant with its reading. `--changes`: OI change over 24 h / 48 h / 72 h / 7 d, total and per
venue, and the spike flag. `--divergence`: the 24 h price change against the 24 h OI change, the divergence
ratio, class, duration and whether it is sustained. The report's hour: the newest hour_at at or before the
as-of (--as-of, else the newest data) that has a price close (an hour whose candles are not in yet is
incomplete; the newest hour is used only when no hour has a price). Sources: marts.fct_open_interest_signals
(per asset and hour, all venues) and marts.fct_open_interest_hourly (per venue and hour).

--exchange: only those venues' rows are shown; the total, the changes' "all venues" row, the quadrant, the
spike and the divergence stay the ALL-VENUE figures of the mart and say so ("scope": "all_venues"); the
shown venues' sum and their share of the all-venue total are given separately ("shown").

JSON shape (schema_version 1; the envelope is tracker.reports.common's). Percent fields ("_pct") are
percents (2.5 = 2.5 %); null where the warehouse has no value:
{
  "report": "oi", ..., "views": ["default"] | ["changes"] | ["divergence"] | ["changes", "divergence"],
  "assets": [{
    "asset", "as_of", "stale", "stale_venues", "venue_last_data_at" (common.asset_block; the as_of is the
        newest hour_at of the venues shown, venue_last_data_at each venue's hour_at),
    "hour_at": ISO-8601 UTC (the all-venue row shown: the newest hour_at <= the as-of with a price close),
    "price_close": float | null, "price_change_24h_pct": float | null,
    "total": {"scope": "all_venues", "oi_usd": float, "oi_change_24h_pct": float | null, "venue_count": int},
    "shown": null | {"exchanges": [str], "oi_usd": float, "share_of_total_pct": float} (with --exchange),
    "venues": [{"exchange", "hour_at" (the venue's newest hour <= the report's hour_at), "oi_usd",
                "oi_change_24h_pct", "oi_change_7d_pct" (like for like, from the mart),
                "oi_change_48h_pct", "oi_change_72h_pct" (chain-linked from the mart's like-for-like 24 h
                changes: (1 + c24(h)) x (1 + c24(h - 24 h)) [x (1 + c24(h - 48 h))] - 1; null when one is missing),
                "share_pct" (of the all-venue OI of the venue's hour), "long_short_ratio": float | null,
                "long_share_pct": float | null, "stale": bool}] (largest OI first),
    "long_short": null | {"ratio": float, "long_share_pct": float, "weighting": "open_interest",
                          "exchanges": [str]} (OI-weighted mean long share of the shown venues offering an
                          account ratio; ratio = long share / (1 - long share)),
    "quadrant": {"key": "new_longs" | "short_covering" | "new_shorts" | "long_capitulation" | null,
                 "label": str | null (e.g. "Rising OI + Rising Price"), "interpretation": str},
    "changes": {"scope": "all_venues", "oi_change_24h_pct", "oi_change_48h_pct", "oi_change_72h_pct",
                "oi_change_7d_pct", "spike_flag": bool, "oi_change_24h_avg_7d_pct": float | null,
                "oi_vs_30d_median_pct": float | null, "oi_30d_median_usd": float | null,
                "oi_30d_min_usd": float | null, "concentration_shift_pct": float | null,
                "concentration_exchange": str | null, "concentration_flag": bool},
    "divergence": {"scope": "all_venues", "price_change_24h_pct", "oi_change_24h_pct",
                   "diverging": bool (24 h OI and price changes of opposite sign),
                   "ratio": float | null (|OI change| / |price change| while diverging),
                   "class": "strong" | "signal" | null, "hours": int (consecutive diverging hours),
                   "sustained": bool, "oi_change_span_pct": float | null (OI change over the sustain span),
                   "interpretation": str},
    "series": only with --chart: {"hours": [ISO], "price_close": [float | null],
              "total_oi_usd": [float | null], "venues": {exchange: [oi_usd | null]}} (hourly, 14 days)
  }]
}
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from tracker.errors import CliError
from tracker.freshness import allowed_lags
from tracker.query import Query, venue_name
from tracker.render import RULE, pct, price_text, table, usd
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

HELP = "open interest per venue, total, long/short ratio and the price/OI quadrant"
ASSETS = "+"
CHART = True

SIGNALS = "marts.fct_open_interest_signals"
HOURLY = "marts.fct_open_interest_hourly"
# How far back a venue's newest row may lie and still be shown (as stale); the 72 h change needs 3 days more.
VENUE_LOOKBACK = timedelta(days=7)
CHANGE_LOOKBACK = timedelta(days=10)
CHART_DAYS = 14

QUADRANTS = {
    "new_longs": ("Rising OI + Rising Price", "Strong bullish trend (new longs: bullish continuation)"),
    "short_covering": ("Falling OI + Rising Price", "Short covering rally (shorts closing, few new longs)"),
    "new_shorts": ("Rising OI + Falling Price", "Strong bearish trend (new shorts: bearish continuation)"),
    "long_capitulation": ("Falling OI + Falling Price", "Long liquidations (long capitulation)"),
}


def add_arguments(parser) -> None:
    parser.add_argument(
        "--changes", action="store_true", help="OI change over 24h/48h/72h/7d, total and per venue, and the spike flag"
    )
    parser.add_argument(
        "--divergence",
        action="store_true",
        help="price vs OI: divergence ratio, class, duration, whether it is sustained",
    )


# ---------------------------------------------------------------- formatting shared with the liquidations report


def _frac(p: float | None) -> float | None:
    return None if p is None else p / 100


def _pct1(p: float | None) -> str:
    """A JSON percent as +2.5%."""
    return pct(_frac(p), 1)


def _pct2(p: float | None) -> str:
    return pct(_frac(p), 2)


# ---------------------------------------------------------------- build


def build(q: Query, args) -> dict:
    check_assets(q, args.assets, SIGNALS)
    if args.output == "csv" and args.changes and args.divergence:
        raise CliError(
            "ERR_BAD_ARGUMENT",
            "--output csv takes one view: --changes or --divergence, not both",
            "run the command once per view, or use --output json (it holds every view)",
        )
    views = [v for v in ("changes", "divergence") if getattr(args, v)] or ["default"]
    lags = allowed_lags(q.con, "hourly_snapshot")
    blocks = [_asset(q, asset, lags, chart=bool(getattr(args, "chart", None))) for asset in args.assets]
    return envelope("oi", q, data_modes(q, SIGNALS, args.assets), blocks, views=views)


def _asset(q: Query, asset: str, lags, chart: bool) -> dict:
    upto_sql, upto_params = q.upto("hour_at")
    rows = fetch_dicts(
        q.con,
        # The newest hour with a price close: an hour whose candles are not in yet is incomplete (in the
        # scripted market, snapshot-only venues can even be stamped ahead of the others).
        f"select * from {SIGNALS} where asset = ?{upto_sql} "
        "order by (price_close is not null) desc, hour_at desc limit 1",
        [asset, *upto_params],
    )
    if not rows:
        raise no_data(f"open interest for {asset}", q)
    sig = rows[0]
    hour: datetime = sig["hour_at"]
    since = hour - (timedelta(days=CHART_DAYS) if chart else CHANGE_LOOKBACK)
    venue_sql, venue_params = q.venues("exchange")
    # Hours as epoch seconds: thousands of timestamps through duckdb's tz conversion would cost ~20 ms.
    history = fetch_dicts(
        q.con,
        "select exchange, cast(epoch(hour_at) as bigint) as t, instrument_count, oi_usd, share_of_asset_oi, "
        f"oi_change_24h, oi_change_7d, long_short_ratio, long_share from {HOURLY} "
        f"where asset = ? and hour_at >= ? and hour_at <= ?{venue_sql} order by exchange, hour_at",
        [asset, since, hour, *venue_params],
    )
    by_venue: dict[str, dict[int, dict]] = {}
    for r in history:
        by_venue.setdefault(r["exchange"], {})[r["t"]] = r
    floor = int((hour - VENUE_LOOKBACK).timestamp())
    latest = {ex: hours[max(hours)] for ex, hours in by_venue.items() if max(hours) >= floor}
    for r in latest.values():
        r["hour_at"] = datetime.fromtimestamp(r["t"], UTC)
    if not latest:
        raise no_data(f"open interest for {asset}", q)
    block = asset_block(q, asset, {ex: r["hour_at"] for ex, r in latest.items()}, lags)
    stale = set(block["stale_venues"])

    def chained_change(ex: str, row: dict, days: int) -> float | None:
        """Chain-linked from the mart's like-for-like 24 h changes at h, h - 24 h, ...: contracts a venue
        starts or stops reporting do not show up as OI moves (a plain ratio would count them)."""
        factor = 1.0
        for k in range(days):
            step = by_venue[ex].get(row["t"] - 86400 * k)
            if step is None or step["oi_change_24h"] is None:
                return None
            factor *= 1 + step["oi_change_24h"]
        return pct_value(factor - 1)

    venues = [
        {
            "exchange": ex,
            "hour_at": iso(r["hour_at"]),
            "oi_usd": r["oi_usd"],
            "oi_change_24h_pct": pct_value(r["oi_change_24h"]),
            "oi_change_48h_pct": chained_change(ex, r, 2),
            "oi_change_72h_pct": chained_change(ex, r, 3),
            "oi_change_7d_pct": pct_value(r["oi_change_7d"]),
            "share_pct": pct_value(r["share_of_asset_oi"]),
            "long_short_ratio": r["long_short_ratio"],
            "long_share_pct": pct_value(r["long_share"]),
            "stale": ex in stale,
        }
        for ex, r in sorted(latest.items(), key=lambda kv: (-(kv[1]["oi_usd"] or 0), kv[0]))
    ]
    offering = [r for r in latest.values() if r["long_share"] is not None and r["oi_usd"]]
    long_short = None
    if offering:
        share = sum(r["long_share"] * r["oi_usd"] for r in offering) / sum(r["oi_usd"] for r in offering)
        long_short = {
            "ratio": round(share / (1 - share), 6) if share < 1 else None,
            "long_share_pct": pct_value(share),
            "weighting": "open_interest",
            "exchanges": sorted(r["exchange"] for r in offering),
        }
    shown = None
    if q.exchanges:
        shown_oi = sum(v["oi_usd"] or 0 for v in venues)
        shown = {
            "exchanges": [v["exchange"] for v in venues],
            "oi_usd": shown_oi,
            "share_of_total_pct": pct_value(shown_oi / sig["total_oi_usd"]) if sig["total_oi_usd"] else None,
        }
    key = sig["quadrant"]
    label, reading = QUADRANTS.get(key, (None, "Price or OI unchanged or unknown over 24h: no quadrant"))
    block.update(
        {
            "hour_at": iso(hour),
            "price_close": sig["price_close"],
            "price_change_24h_pct": pct_value(sig["price_change_24h"]),
            "total": {
                "scope": "all_venues",
                "oi_usd": sig["total_oi_usd"],
                "oi_change_24h_pct": pct_value(sig["oi_change_24h"]),
                "venue_count": sig["venue_count"],
            },
            "shown": shown,
            "venues": venues,
            "long_short": long_short,
            "quadrant": {"key": key, "label": label, "interpretation": reading},
            "changes": {
                "scope": "all_venues",
                "oi_change_24h_pct": pct_value(sig["oi_change_24h"]),
                "oi_change_48h_pct": pct_value(sig["oi_change_48h"]),
                "oi_change_72h_pct": pct_value(sig["oi_change_72h"]),
                "oi_change_7d_pct": pct_value(sig["oi_change_7d"]),
                "spike_flag": bool(sig["spike_flag"]),
                "oi_change_24h_avg_7d_pct": pct_value(sig["oi_change_24h_avg_7d"]),
                "oi_vs_30d_median_pct": pct_value(sig["oi_vs_30d_median"]),
                "oi_30d_median_usd": sig["oi_30d_median"],
                "oi_30d_min_usd": sig["oi_30d_min"],
                "concentration_shift_pct": pct_value(sig["concentration_shift"]),
                "concentration_exchange": sig["concentration_exchange"],
                "concentration_flag": bool(sig["concentration_flag"]),
            },
            "divergence": _divergence(sig),
        }
    )
    if chart:
        block["series"] = _series(q, asset, since, hour, by_venue)
    return block


def _divergence(sig: dict) -> dict:
    price, oi = sig["price_change_24h"], sig["oi_change_24h"]
    ratio, cls, hours = sig["divergence_ratio"], sig["divergence_class"], int(sig["divergence_hours"] or 0)
    diverging = price is not None and oi is not None and price * oi < 0
    if not diverging:
        reading = (
            "Price and OI did not move opposite ways over 24h: no divergence"
            if price is not None and oi is not None
            else "Price or OI change unknown: no divergence reading"
        )
    else:
        strength = {"strong": "strong", "signal": "a signal"}.get(cls, "weak (below the signal ratio)")
        if price > 0:
            reading = (
                f"Price rising on falling OI: the rally lacks new positioning (short covering), {strength}; "
                "bearish divergence"
            )
        else:
            reading = (
                f"Price falling on rising OI: new shorts pressing (bearish continuation), {strength}; "
                "fuel for a short squeeze if price turns"
            )
        if sig["divergence_sustained"]:
            reading += ". SUSTAINED: diverging for days with OI clearly down"
    return {
        "scope": "all_venues",
        "price_change_24h_pct": pct_value(price),
        "oi_change_24h_pct": pct_value(oi),
        "diverging": diverging,
        "ratio": ratio,
        "class": cls,
        "hours": hours,
        "sustained": bool(sig["divergence_sustained"]),
        "oi_change_span_pct": pct_value(sig["oi_change_divergence_span"]),
        "interpretation": reading,
    }


def _series(q: Query, asset: str, since: datetime, hour: datetime, by_venue: dict) -> dict:
    rows = q.con.execute(
        f"select cast(epoch(hour_at) as bigint), price_close, total_oi_usd from {SIGNALS} where asset = ? "
        "and hour_at >= ? and hour_at <= ? order by hour_at",
        [asset, since, hour],
    ).fetchall()
    hours = [r[0] for r in rows]
    return {
        "hours": [iso(datetime.fromtimestamp(t, UTC)) for t in hours],
        "price_close": [r[1] for r in rows],
        "total_oi_usd": [r[2] for r in rows],
        "venues": {ex: [by_venue[ex].get(t, {}).get("oi_usd") for t in hours] for ex in sorted(by_venue)},
    }


# ---------------------------------------------------------------- table


def render_table(report: dict) -> str:
    lines = banner(report)
    views = report.get("views", ["default"])
    for a in report["assets"]:
        if "default" in views:
            lines += _default_lines(report, a)
        if "changes" in views:
            lines += _changes_lines(report, a)
        if "divergence" in views:
            lines += _divergence_lines(a)
        lines += footer(report, a)
        lines.append("")
    return "\n".join(lines).rstrip() + "\n"


def _venue_label(v: dict) -> str:
    return venue_name(v["exchange"])


def _default_lines(report: dict, a: dict) -> list[str]:
    lines = [f"{a['asset']} OPEN INTEREST ANALYSIS"]
    rows, notes = [], []
    for v in a["venues"]:
        rows.append(
            [
                _venue_label(v),
                usd(v["oi_usd"]),
                _pct1(v["oi_change_24h_pct"]),
                _pct1(v["oi_change_7d_pct"]),
                "n/a" if v["share_pct"] is None else f"{v['share_pct']:.1f}%",
            ]
        )
        notes.append(f"  STALE (last {v['hour_at'][5:16].replace('T', ' ')})" if v["stale"] else "")
    lines += table(["Exchange", "OI (USD)", "24h Chg", "7d Chg", "Share"], rows, [16, 11, 11, 11, 11], notes)
    t = a["total"]
    scope = " (all venues)" if report.get("exchanges") else ""
    lines.append(f"Total OI{scope}: {usd(t['oi_usd'])} ({_pct1(t['oi_change_24h_pct'])} 24h)")
    if a["shown"]:
        s = a["shown"]
        share = "n/a" if s["share_of_total_pct"] is None else f"{s['share_of_total_pct']:.1f}%"
        lines.append(f"Shown venues: {usd(s['oi_usd'])} ({share} of all venues)")
    ls = a["long_short"]
    if ls:
        ratio = "n/a" if ls["ratio"] is None else f"{ls['ratio']:.2f}"
        lines.append(f"Long/Short Ratio: {ratio} ({ls['long_share_pct']:.1f}% long)")
    else:
        lines.append("Long/Short Ratio: n/a (no shown venue offers an account ratio)")
    quad = a["quadrant"]
    moves = f"price {_pct1(a['price_change_24h_pct'])}, OI {_pct1(a['total']['oi_change_24h_pct'])} 24h"
    if quad["label"]:
        lines.append(f"Price/OI: {quad['label']} ({moves}) = {quad['interpretation']}")
    else:
        lines.append(f"Price/OI: {quad['interpretation']} ({moves})")
    lines.append("")
    return lines


def _changes_lines(report: dict, a: dict) -> list[str]:
    c = a["changes"]
    lines = [f"{a['asset']} OPEN INTEREST CHANGES"]
    rows = [
        [
            "All venues",
            usd(a["total"]["oi_usd"]),
            _pct1(c["oi_change_24h_pct"]),
            _pct1(c["oi_change_48h_pct"]),
            _pct1(c["oi_change_72h_pct"]),
            _pct1(c["oi_change_7d_pct"]),
        ]
    ]
    notes = ["  SPIKE" if c["spike_flag"] else ""]
    for v in a["venues"]:
        rows.append(
            [
                _venue_label(v),
                usd(v["oi_usd"]),
                _pct1(v["oi_change_24h_pct"]),
                _pct1(v["oi_change_48h_pct"]),
                _pct1(v["oi_change_72h_pct"]),
                _pct1(v["oi_change_7d_pct"]),
            ]
        )
        notes.append("  STALE" if v["stale"] else "")
    lines += table(["Exchange", "OI (USD)", "24h", "48h", "72h", "7d"], rows, [14, 10, 9, 9, 9, 9], notes)
    spike = "YES" if c["spike_flag"] else "no"
    lines.append(
        f"OI spike: {spike} (24h {_pct1(c['oi_change_24h_pct'])}; 7-day average of the 24h change "
        f"{_pct2(c['oi_change_24h_avg_7d_pct'])})"
    )
    lines.append(
        f"OI vs 30-day median: {_pct1(c['oi_vs_30d_median_pct'])} (median {usd(c['oi_30d_median_usd'])}, "
        f"low {usd(c['oi_30d_min_usd'])})"
    )
    if c["concentration_exchange"]:
        flag = "  CONCENTRATION SHIFT" if c["concentration_flag"] else ""
        shift = "n/a" if c["concentration_shift_pct"] is None else f"{c['concentration_shift_pct']:.1f} pp"
        lines.append(f"Largest 7d share move: {venue_name(c['concentration_exchange'])} {shift}{flag}")
    lines.append("48h/72h per venue: chained from the venue's like-for-like 24h changes")
    lines.append("")
    return lines


def _divergence_lines(a: dict) -> list[str]:
    d = a["divergence"]
    lines = [f"{a['asset']} OI vs PRICE DIVERGENCE (24h, all venues)", RULE]
    lines.append(f"Price: {price_text(a['price_close'])} ({_pct2(d['price_change_24h_pct'])} 24h)")
    lines.append(f"Total OI: {usd(a['total']['oi_usd'])} ({_pct2(d['oi_change_24h_pct'])} 24h)")
    if d["diverging"]:
        ratio = "n/a" if d["ratio"] is None else f"{d['ratio']:.2f}"
        lines.append(f"Divergence ratio: {ratio} ({d['class'] or 'below signal'}) | diverging for {d['hours']}h")
    else:
        lines.append("Divergence ratio: none (price and OI not moving opposite ways)")
    span = _pct1(d["oi_change_span_pct"])
    lines.append(f"Sustained: {'YES' if d['sustained'] else 'no'} (OI {span} over the sustain span)")
    lines.append(RULE)
    lines.append(f"Reading: {d['interpretation']}")
    lines.append("")
    return lines


# ---------------------------------------------------------------- csv


def csv_rows(report: dict) -> tuple[list[str], list[list]]:
    views = report.get("views", ["default"])
    if "changes" in views:
        header = [
            "asset",
            "hour_at",
            "exchange",
            "oi_usd",
            "oi_change_24h_pct",
            "oi_change_48h_pct",
            "oi_change_72h_pct",
            "oi_change_7d_pct",
            "spike_flag",
            "stale",
        ]
        rows = []
        for a in report["assets"]:
            c = a["changes"]
            rows.append(
                [
                    a["asset"],
                    a["hour_at"],
                    "all",
                    a["total"]["oi_usd"],
                    c["oi_change_24h_pct"],
                    c["oi_change_48h_pct"],
                    c["oi_change_72h_pct"],
                    c["oi_change_7d_pct"],
                    c["spike_flag"],
                    a["stale"],
                ]
            )
            for v in a["venues"]:
                rows.append(
                    [
                        a["asset"],
                        v["hour_at"],
                        v["exchange"],
                        v["oi_usd"],
                        v["oi_change_24h_pct"],
                        v["oi_change_48h_pct"],
                        v["oi_change_72h_pct"],
                        v["oi_change_7d_pct"],
                        "",
                        v["stale"],
                    ]
                )
        return header, rows
    if "divergence" in views:
        header = [
            "asset",
            "hour_at",
            "price_close",
            "price_change_24h_pct",
            "total_oi_usd",
            "oi_change_24h_pct",
            "quadrant",
            "diverging",
            "divergence_ratio",
            "divergence_class",
            "divergence_hours",
            "divergence_sustained",
            "oi_change_span_pct",
        ]
        rows = []
        for a in report["assets"]:
            d = a["divergence"]
            rows.append(
                [
                    a["asset"],
                    a["hour_at"],
                    a["price_close"],
                    d["price_change_24h_pct"],
                    a["total"]["oi_usd"],
                    d["oi_change_24h_pct"],
                    a["quadrant"]["key"] or "",
                    d["diverging"],
                    d["ratio"],
                    d["class"] or "",
                    d["hours"],
                    d["sustained"],
                    d["oi_change_span_pct"],
                ]
            )
        return header, rows
    header = [
        "asset",
        "hour_at",
        "exchange",
        "oi_usd",
        "oi_change_24h_pct",
        "oi_change_7d_pct",
        "share_pct",
        "long_short_ratio",
        "long_share_pct",
        "stale",
    ]
    rows = []
    for a in report["assets"]:
        rows.append(
            [
                a["asset"],
                a["hour_at"],
                "all",
                a["total"]["oi_usd"],
                a["total"]["oi_change_24h_pct"],
                a["changes"]["oi_change_7d_pct"],
                100.0,
                (a["long_short"] or {}).get("ratio") if not report.get("exchanges") else "",
                (a["long_short"] or {}).get("long_share_pct") if not report.get("exchanges") else "",
                a["stale"],
            ]
        )
        for v in a["venues"]:
            rows.append(
                [
                    a["asset"],
                    v["hour_at"],
                    v["exchange"],
                    v["oi_usd"],
                    v["oi_change_24h_pct"],
                    v["oi_change_7d_pct"],
                    v["share_pct"],
                    v["long_short_ratio"],
                    v["long_share_pct"],
                    v["stale"],
                ]
            )
    return header, rows


def chart(report: dict, path) -> None:
    from tracker.charts.oi import draw

    draw(report, path)


__all__ = ["HELP", "ASSETS", "CHART", "add_arguments", "build", "render_table", "csv_rows", "chart"]
