"""`dashboard ASSET [ASSET ...]`: the morning check. Per asset, one screen: price, funding, open interest,
liquidations and the estimated levels, options, basis, the active confluence scenario with its evidence, and
the alerts of the last 24 hours.

Each section reads the per-asset signal marts at one hour: the newest hour of marts.fct_market_state at or
before the as-of. Funding is the funding report's own numbers (tracker/reports/funding.py), so the two
commands never disagree. Options and basis are chain and quote snapshots: each venue's newest at or before the
as-of, at most OPTION_MAX_AGE / BASIS_MAX_AGE older than the market-state hour, else the section says there is
no recent data. Options show Deribit (the primary options venue) when it has a chain, else the largest venue.

JSON (schema_version 1; the envelope of tracker/reports/common.py), fractions as percent numbers (`_pct`):
{
  ...envelope..., "report": "dashboard",
  "assets": [{"asset", "as_of", "stale", "stale_venues", "venue_last_data_at", "venue_allowed_lag_hours",
    "hour_at": ISO (the market-state hour), "price": float, "price_change_24h_pct": float | null,
    "funding": {"weighted_rate_8h_pct", "weighted_apr_pct", "weighting", "level", "sentiment",
                "cross_venue_spread_8h_pct": float | null, "fade_signal": str | null,
                "venues": [{"exchange", "current_rate_8h_pct", "oi_usd"}]},
    "open_interest": {"total_oi_usd", "oi_change_24h_pct", "oi_change_7d_pct", "quadrant": str | null,
                      "spike": bool, "divergence_class": str | null,
                      "venues": [{"exchange", "oi_usd", "share_pct"}]},
    "liquidations": {"long_usd_24h", "short_usd_24h", "long_short_ratio_24h": float | null, "cascade": bool,
                     "levels_are_estimates": true,
                     "nearest_dense_long": {"price", "distance_pct" (from the close, >= 0), "usd"} | null,
                     "nearest_dense_short": {"price", "distance_pct", "usd"} | null},
    "options": null | {"exchange", "observed_at", "pcr_oi", "pcr_volume", "atm_iv_30d_pct", "iv_rank",
                       "iv_percentile", "nearest_expiry_at", "nearest_max_pain_strike", "total_oi_usd"},
    "basis": null | {"observed_at", "perp_basis_pct": float | null (OI-blind mean over venues' perpetuals),
                     "best_dated": null | {"exchange", "instrument", "expiry_at", "days_to_expiry",
                                          "basis_pct", "annualised_pct"}},
    "scenario": null | {"scenario_id": int, "name", "bias", "evidence", "since": ISO (first hour of the
                        current run of this active scenario)},
    "alerts_24h": [{"alert_type", "exchange", "fired_at", "ongoing", "message"}]}]
}
"""

from __future__ import annotations

import argparse
from datetime import datetime, timedelta

from tracker.query import Query, marks, venue_name
from tracker.render import RULE, pct, price_text, usd, utc
from tracker.reports import funding
from tracker.reports.common import banner, check_assets, envelope, footer, iso, no_data, pct_value
from tracker.store import fetch_dicts

HELP = "the morning check: funding, OI, liquidations, options, basis, active scenario and alerts per asset"
ASSETS = "+"
CHART = False
OPTION_MAX_AGE = timedelta(hours=26)
BASIS_MAX_AGE = timedelta(hours=26)
QUADRANTS = {
    "new_longs": "Rising OI + Rising Price: strong bullish trend",
    "short_covering": "Falling OI + Rising Price: short covering rally",
    "new_shorts": "Rising OI + Falling Price: strong bearish trend",
    "long_capitulation": "Falling OI + Falling Price: long liquidations",
}


def add_arguments(p) -> None:
    return None


def build(q: Query, args) -> dict:
    assets = args.assets
    check_assets(q, assets, "marts.fct_funding_current")
    funding_report = funding.build(q, argparse.Namespace(assets=assets, history=None, alert_threshold=None))
    by_asset = {a["asset"]: a for a in funding_report["assets"]}
    upto, upto_params = q.upto("hour_at")
    blocks = []
    for asset in assets:
        state = fetch_dicts(
            q.con,
            f"select * from marts.fct_market_state where asset = ?{upto} order by hour_at desc limit 1",
            [asset, *upto_params],
        )
        if not state:
            raise no_data(f"market state for {asset}", q)
        s = state[0]
        f = by_asset[asset]
        block = {k: f[k] for k in ("asset", "as_of", "stale", "stale_venues")}
        block["venue_last_data_at"] = f["venue_last_data_at"]
        block["venue_allowed_lag_hours"] = f["venue_allowed_lag_hours"]
        block.update(
            hour_at=iso(s["hour_at"]),
            price=s["close"],
            price_change_24h_pct=pct_value(s["price_change_24h"], 4),
            funding=_funding(q, asset, s["hour_at"], f),
            open_interest=_open_interest(q, asset, s["hour_at"]),
            liquidations=_liquidations(q, asset, s),
            options=_options(q, asset, s["hour_at"]),
            basis=_basis(q, asset, s["hour_at"]),
            scenario=_scenario(q, asset, s),
            alerts_24h=_alerts(q, asset, s["hour_at"]),
        )
        blocks.append(block)
    return envelope("dashboard", q, {funding_report["data_mode"]}, blocks)


def _funding(q: Query, asset: str, hour_at: datetime, f: dict) -> dict:
    sig = fetch_dicts(
        q.con,
        "select cross_venue_spread_8h, fade_signal from marts.fct_funding_signals where asset = ? and hour_at = ?",
        [asset, hour_at],
    )
    return {
        "weighted_rate_8h_pct": f["weighted_rate_8h_pct"],
        "weighted_apr_pct": f["weighted_apr_pct"],
        "weighting": f["weighting"],
        "level": f["level"],
        "sentiment": f["sentiment"],
        "cross_venue_spread_8h_pct": pct_value(sig[0]["cross_venue_spread_8h"]) if sig else None,
        "fade_signal": sig[0]["fade_signal"] if sig else None,
        "venues": [
            {"exchange": v["exchange"], "current_rate_8h_pct": v["current_rate_8h_pct"], "oi_usd": v["oi_usd"]}
            for v in f["venues"]
        ],
    }


def _open_interest(q: Query, asset: str, hour_at: datetime) -> dict:
    sig = fetch_dicts(
        q.con,
        "select total_oi_usd, oi_change_24h, oi_change_7d, quadrant, spike_flag, divergence_class "
        "from marts.fct_open_interest_signals where asset = ? and hour_at = ?",
        [asset, hour_at],
    )
    venue_sql, venue_params = q.venues()
    venues = fetch_dicts(
        q.con,
        "select exchange, oi_usd, share_of_asset_oi from marts.fct_open_interest_hourly "
        f"where asset = ? and hour_at = ?{venue_sql} order by oi_usd desc",
        [asset, hour_at, *venue_params],
    )
    s = sig[0] if sig else {}
    return {
        "total_oi_usd": s.get("total_oi_usd"),
        "oi_change_24h_pct": pct_value(s.get("oi_change_24h"), 4),
        "oi_change_7d_pct": pct_value(s.get("oi_change_7d"), 4),
        "quadrant": s.get("quadrant"),
        "spike": bool(s.get("spike_flag")),
        "divergence_class": s.get("divergence_class"),
        "venues": [
            {"exchange": v["exchange"], "oi_usd": v["oi_usd"], "share_pct": pct_value(v["share_of_asset_oi"], 4)}
            for v in venues
        ],
    }


def _liquidations(q: Query, asset: str, s: dict) -> dict:
    summary = fetch_dicts(
        q.con,
        "select long_usd_24h, short_usd_24h, long_short_ratio_24h, is_cascade from marts.fct_liquidation_summary "
        "where asset = ? and hour_at = ?",
        [asset, s["hour_at"]],
    )
    near = fetch_dicts(
        q.con,
        "select * from marts.fct_liquidation_level_proximity where asset = ? and hour_at = ?",
        [asset, s["hour_at"]],
    )
    m = summary[0] if summary else {}
    p = near[0] if near else {}

    def level(side: str) -> dict | None:
        price = p.get(f"nearest_dense_{side}_price")
        if price is None:
            return None
        return {
            "price": price,
            "distance_pct": pct_value(p[f"nearest_dense_{side}_distance"], 4),
            "usd": p[f"nearest_dense_{side}_usd"],
        }

    return {
        "long_usd_24h": m.get("long_usd_24h"),
        "short_usd_24h": m.get("short_usd_24h"),
        "long_short_ratio_24h": m.get("long_short_ratio_24h"),
        "cascade": bool(m.get("is_cascade")),
        "levels_are_estimates": True,
        "nearest_dense_long": level("long"),
        "nearest_dense_short": level("short"),
    }


def _options(q: Query, asset: str, hour_at: datetime) -> dict | None:
    venue_sql, venue_params = q.venues()
    upto, upto_params = q.upto("observed_at")
    # Each venue's newest chain, then Deribit (the primary options venue) first, else the largest.
    rows = fetch_dicts(
        q.con,
        f"""
        select * from marts.fct_option_summary
        where asset = ? and observed_at > ?{upto}{venue_sql}
        qualify row_number() over (partition by exchange order by observed_at desc) = 1
        order by (exchange = 'deribit') desc, total_oi_usd desc nulls last limit 1
        """,
        [asset, hour_at - OPTION_MAX_AGE, *upto_params, *venue_params],
    )
    if not rows:
        return None
    o = rows[0]
    return {
        "exchange": o["exchange"],
        "observed_at": iso(o["observed_at"]),
        "pcr_oi": o["pcr_oi"],
        "pcr_volume": o["pcr_volume"],
        "atm_iv_30d_pct": pct_value(o["atm_iv_30d"], 4),
        "iv_rank": o["iv_rank"],
        "iv_percentile": o["iv_percentile"],
        "nearest_expiry_at": iso(o["nearest_expiry_at"]),
        "nearest_max_pain_strike": o["nearest_max_pain_strike"],
        "total_oi_usd": o["total_oi_usd"],
    }


def _basis(q: Query, asset: str, hour_at: datetime) -> dict | None:
    venue_sql, venue_params = q.venues()
    upto, upto_params = q.upto("observed_at")
    rows = fetch_dicts(
        q.con,
        f"""
        select exchange, instrument, contract_type, expiry_at, observed_at, basis, days_to_expiry, basis_apr
        from marts.fct_basis
        where asset = ? and observed_at > ?{upto}{venue_sql}
        qualify row_number() over (partition by exchange, instrument order by observed_at desc) = 1
        """,
        [asset, hour_at - BASIS_MAX_AGE, *upto_params, *venue_params],
    )
    if not rows:
        return None
    perps = [r["basis"] for r in rows if r["contract_type"] == "perpetual" and r["basis"] is not None]
    dated = [
        r for r in rows if r["contract_type"] != "perpetual" and r["basis_apr"] is not None and r["expiry_at"] > hour_at
    ]
    best = max(dated, key=lambda r: r["basis_apr"], default=None)
    return {
        "observed_at": iso(max(r["observed_at"] for r in rows)),
        "perp_basis_pct": pct_value(sum(perps) / len(perps), 4) if perps else None,
        "best_dated": None
        if best is None
        else {
            "exchange": best["exchange"],
            "instrument": best["instrument"],
            "expiry_at": iso(best["expiry_at"]),
            "days_to_expiry": best["days_to_expiry"],
            "basis_pct": pct_value(best["basis"], 4),
            "annualised_pct": pct_value(best["basis_apr"], 4),
        },
    }


def _scenario(q: Query, asset: str, s: dict) -> dict | None:
    if s["active_scenario"] is None:
        return None
    rows = fetch_dicts(
        q.con,
        "select scenario_id, scenario_name, bias, evidence from marts.fct_confluence_scenarios "
        "where asset = ? and hour_at = ? and scenario_id = ?",
        [asset, s["hour_at"], s["active_scenario"]],
    )
    if not rows:
        return None
    # The first hour of the current run of this scenario being active (a gap of an hour ends a run).
    since = q.con.execute(
        """
        select min(hour_at) from (
            select hour_at, sum(case when coalesce(active_scenario, -1) <> ? then 1 else 0 end)
                over (order by hour_at desc rows between unbounded preceding and current row) as breaks
            from marts.fct_market_state where asset = ? and hour_at <= ? and hour_at > ?
        ) where breaks = 0
        """,
        [s["active_scenario"], asset, s["hour_at"], s["hour_at"] - timedelta(days=30)],
    ).fetchone()[0]
    r = rows[0]
    return {
        "scenario_id": r["scenario_id"],
        "name": r["scenario_name"],
        "bias": r["bias"],
        "evidence": r["evidence"],
        "since": iso(since),
    }


def _alerts(q: Query, asset: str, hour_at: datetime) -> list[dict]:
    venue_sql = f" and (exchange is null or exchange in ({marks(q.exchanges)}))" if q.exchanges else ""
    rows = fetch_dicts(
        q.con,
        f"""
        select alert_type, exchange, fired_at, last_seen_at, is_ongoing, message from marts.fct_alerts
        where asset = ? and fired_at > ? and fired_at <= ?{venue_sql}
        order by fired_at desc, alert_type, exchange nulls first
        """,
        [asset, hour_at - timedelta(hours=24), hour_at, *(q.exchanges or [])],
    )
    return [
        {
            "alert_type": r["alert_type"],
            "exchange": r["exchange"],
            "fired_at": iso(r["fired_at"]),
            "ongoing": (r["last_seen_at"] >= hour_at) if q.as_of else bool(r["is_ongoing"]),
            "message": r["message"],
        }
        for r in rows
    ]


def _p(x: float | None, digits: int = 2) -> str:
    return "n/a" if x is None else f"{x:+.{digits}f}%"


def render_table(report: dict) -> str:
    lines = banner(report)
    for a in report["assets"]:
        lines.append(
            f"{a['asset']} DERIVATIVES DASHBOARD   price {price_text(a['price'])} ({_p(a['price_change_24h_pct'])} 24h)"
        )
        lines.append(RULE)
        fu = a["funding"]
        weighting = "OI-weighted" if fu["weighting"] == "open_interest" else "equal-weighted"
        lines.append(
            f"Funding       {pct(_frac(fu['weighted_rate_8h_pct']))} per 8h {weighting} | "
            f"{pct(_frac(fu['weighted_apr_pct']), 2)} APR | {fu['sentiment']}"
        )
        venues = "  ".join(
            f"{venue_name(v['exchange'])} {pct(_frac(v['current_rate_8h_pct']))}" for v in fu["venues"][:5]
        )
        lines.append(f"              {venues}")
        extra = [f"spread {pct(_frac(fu['cross_venue_spread_8h_pct']))}"]
        if fu["fade_signal"]:
            extra.append(f"fade signal: {fu['fade_signal']}")
        lines.append(f"              {' | '.join(extra)}")
        oi = a["open_interest"]
        lines.append(
            f"Open interest {usd(oi['total_oi_usd'])} | {_p(oi['oi_change_24h_pct'])} 24h | "
            f"{_p(oi['oi_change_7d_pct'])} 7d" + (" | SPIKE" if oi["spike"] else "")
        )
        if oi["quadrant"]:
            lines.append(f"              {QUADRANTS.get(oi['quadrant'], oi['quadrant'])}")
        li = a["liquidations"]
        ratio = "n/a" if li["long_short_ratio_24h"] is None else f"{li['long_short_ratio_24h']:.2f}"
        lines.append(
            f"Liquidations  24h Longs {usd(li['long_usd_24h'])} | Shorts {usd(li['short_usd_24h'])} | "
            f"L/S {ratio}" + (" | CASCADE" if li["cascade"] else "")
        )
        dense = []
        for side, word in (("long", "longs below"), ("short", "shorts above")):
            lv = li[f"nearest_dense_{side}"]
            if lv:
                signed = -lv["distance_pct"] if side == "long" else lv["distance_pct"]
                dense.append(f"dense {word} {price_text(lv['price'])} ({_p(signed, 1)}, {usd(lv['usd'])})")
        lines.append(f"Levels (est.) {' | '.join(dense) or 'no dense levels'}")
        op = a["options"]
        if op:
            expiry = op["nearest_expiry_at"][:10] if op["nearest_expiry_at"] else "n/a"
            rank = "n/a" if op["iv_rank"] is None else f"{op['iv_rank'] * 100:.0f}"
            lines.append(
                f"Options       PCR {_num(op['pcr_oi'])} OI / {_num(op['pcr_volume'])} vol | "
                f"ATM IV 30d {_num(op['atm_iv_30d_pct'], 1)}% | IV rank {rank} | "
                f"max pain {price_text(op['nearest_max_pain_strike'])} ({expiry}, {venue_name(op['exchange'])})"
            )
        else:
            lines.append("Options       no recent option chain")
        ba = a["basis"]
        if ba:
            best = ba["best_dated"]
            dated = (
                f"best dated {_p(best['annualised_pct'])} APR ({venue_name(best['exchange'])} {best['instrument']}, "
                f"{best['days_to_expiry']:.0f}d)"
                if best
                else "no dated futures"
            )
            lines.append(f"Basis         perp {_p(ba['perp_basis_pct'], 3)} | {dated}")
        else:
            lines.append("Basis         no recent quotes")
        sc = a["scenario"]
        if sc:
            since = utc(datetime.fromisoformat(sc["since"])) if sc["since"] else "n/a"
            lines.append(f"Scenario      {sc['scenario_id']}. {sc['name']} ({sc['bias']}), active since {since}")
            lines.append(f"              evidence: {sc['evidence']}")
        else:
            lines.append("Scenario      none active")
        if a["alerts_24h"]:
            lines.append(f"Alerts 24h    {len(a['alerts_24h'])}:")
            lines += [f"              {al['message']}" for al in a["alerts_24h"][:6]]
        else:
            lines.append("Alerts 24h    none")
        lines.append(RULE)
        lines += footer(report, a)
        lines.append("")
    lines.append("Liquidation levels are estimates from open interest and a leverage model, not exchange data.")
    return "\n".join(lines).rstrip() + "\n"


def _num(x: float | None, digits: int = 2) -> str:
    return "n/a" if x is None else f"{x:.{digits}f}"


def _frac(p: float | None) -> float | None:
    return None if p is None else p / 100


CSV_HEADER = [
    "asset",
    "hour_at",
    "price",
    "price_change_24h_pct",
    "weighted_rate_8h_pct",
    "weighted_apr_pct",
    "sentiment",
    "total_oi_usd",
    "oi_change_24h_pct",
    "oi_change_7d_pct",
    "quadrant",
    "long_liquidations_24h_usd",
    "short_liquidations_24h_usd",
    "nearest_dense_long_price",
    "nearest_dense_short_price",
    "pcr_oi",
    "atm_iv_30d_pct",
    "iv_rank",
    "nearest_max_pain_strike",
    "best_dated_basis_apr_pct",
    "scenario_id",
    "scenario",
    "alerts_24h",
    "as_of",
    "data_mode",
]


def csv_rows(report: dict) -> tuple[list[str], list[list]]:
    rows = []
    for a in report["assets"]:
        fu, oi, li, op, ba, sc = (
            a["funding"],
            a["open_interest"],
            a["liquidations"],
            a["options"] or {},
            a["basis"] or {},
            a["scenario"] or {},
        )
        best = ba.get("best_dated") or {}
        rows.append(
            [
                a["asset"],
                a["hour_at"],
                a["price"],
                a["price_change_24h_pct"],
                fu["weighted_rate_8h_pct"],
                fu["weighted_apr_pct"],
                fu["sentiment"],
                oi["total_oi_usd"],
                oi["oi_change_24h_pct"],
                oi["oi_change_7d_pct"],
                oi["quadrant"],
                li["long_usd_24h"],
                li["short_usd_24h"],
                (li["nearest_dense_long"] or {}).get("price"),
                (li["nearest_dense_short"] or {}).get("price"),
                op.get("pcr_oi"),
                op.get("atm_iv_30d_pct"),
                op.get("iv_rank"),
                op.get("nearest_max_pain_strike"),
                best.get("annualised_pct"),
                sc.get("scenario_id"),
                sc.get("name"),
                len(a["alerts_24h"]),
                a["as_of"],
                report["data_mode"],
            ]
        )
    return CSV_HEADER, rows
