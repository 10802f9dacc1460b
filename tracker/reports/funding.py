"""`funding ASSET [ASSET ...]`: the skill card's funding report, per venue and weighted across venues.

JSON shape (schema_version 1), all rates in percent per 8 hours unless the key says otherwise:
{
  "report": "funding", "schema_version": 1, "data_mode": "simulator" | "live",
  "assets": [{
    "asset": "BTC", "as_of": ISO-8601 UTC (the newest data of any venue in the report),
    "stale": bool (as_of more than 2 h before the wall clock: the warehouse is behind),
    "stale_venues": [str] (exchanges whose "stale" below is true),
    "weighted_rate_8h_pct": float, "weighted_apr_pct": float,
    "weighting": "open_interest" | "equal", "level": str, "sentiment": str,
    "venues": [{"exchange": str, "instrument": str, "funding_interval_hours": int,
                "current_rate_8h_pct": float, "current_rate_pct": float (per interval),
                "avg_24h_rate_8h_pct": float | null, "avg_7d_rate_8h_pct": float | null,
                "next_funding_at": ISO-8601 UTC | null, "next_funding_in_seconds": int | null
                (null for venues that accrue funding continuously: Deribit, GMX),
                "oi_usd": float | null, "as_of": ISO-8601 UTC,
                "last_data_at": ISO-8601 UTC (the venue's newest data, its as_of),
                "allowed_lag_hours": float (from marts.fct_source_freshness: the snapshot schedule's allowance),
                "stale": bool (asset as_of - last_data_at > allowed_lag_hours)}]
  }]
}
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import duckdb

from tracker.errors import CliError
from tracker.freshness import DEFAULT_SNAPSHOT_LAG, behind_by, snapshot_lags, venue_freshness
from tracker.render import RULE, duration, pct, table, utc
from tracker.store import FILL_HINT, fetch_dicts
from tracker.symbols import require_known

SCHEMA_VERSION = 1
VENUE_NAMES = {
    "binance": "Binance",
    "bybit": "Bybit",
    "okx": "OKX",
    "deribit": "Deribit",
    "bitmex": "BitMEX",
    "dydx": "dYdX",
    "gmx": "GMX",
    "drift": "Drift",
}


def _p(x: float | None) -> float | None:
    return None if x is None else round(x * 100, 6)


def _iso(t: datetime | None) -> str | None:
    return None if t is None else t.astimezone(UTC).isoformat()


def build(con: duckdb.DuckDBPyConnection, assets: list[str], now: datetime | None = None) -> dict:
    now = now or datetime.now(UTC)
    known = [r["asset"] for r in fetch_dicts(con, "select distinct asset from marts.fct_funding_current order by 1")]
    for asset in assets:
        require_known(asset, known)
    # One placeholder per asset: a list parameter would make duckdb import pandas (a second of start-up).
    marks = ", ".join("?" for _ in assets)
    venues = fetch_dicts(
        con,
        f"select * from marts.fct_funding_current where asset in ({marks}) "
        "order by asset, oi_usd desc nulls last, exchange",
        assets,
    )
    summaries = {
        r["asset"]: r
        for r in fetch_dicts(con, f"select * from marts.fct_funding_asset_summary where asset in ({marks})", assets)
    }
    lags = snapshot_lags(con)
    out_assets = []
    modes = set()
    for asset in assets:
        rows = [v for v in venues if v["asset"] == asset]
        summary = summaries.get(asset)
        if not rows or summary is None:
            raise CliError("ERR_NO_DATA", f"no funding data for {asset} in the published warehouse", FILL_HINT)
        modes.update(v["data_mode"] for v in rows)
        as_of = max(v["as_of"] for v in rows)
        # The current rates are hourly snapshots: each venue is held to its snapshot schedule's allowance.
        fresh = {
            v["exchange"]: venue_freshness(v["as_of"], as_of, lags.get(v["exchange"], DEFAULT_SNAPSHOT_LAG))
            for v in rows
        }
        out_assets.append(
            {
                "asset": asset,
                "as_of": as_of.astimezone(UTC).isoformat(),
                "stale": behind_by(as_of, now) is not None,
                "stale_venues": [v["exchange"] for v in rows if fresh[v["exchange"]].stale],
                "weighted_rate_8h_pct": _p(summary["weighted_rate_8h"]),
                "weighted_apr_pct": _p(summary["weighted_apr"]),
                "weighting": summary["weighting"],
                "level": summary["funding_level"],
                "sentiment": summary["sentiment"],
                "venues": [
                    {
                        "exchange": v["exchange"],
                        "instrument": v["instrument"],
                        "funding_interval_hours": v["funding_interval_hours"],
                        "current_rate_8h_pct": _p(v["current_rate_8h"]),
                        "current_rate_pct": _p(v["current_funding_rate"]),
                        "avg_24h_rate_8h_pct": _p(v["avg_24h_rate_8h"]),
                        "avg_7d_rate_8h_pct": _p(v["avg_7d_rate_8h"]),
                        "next_funding_at": _iso(v["next_funding_at"]),
                        "next_funding_in_seconds": (
                            None
                            if v["next_funding_at"] is None
                            else int((v["next_funding_at"] - v["as_of"]).total_seconds())
                        ),
                        "oi_usd": v["oi_usd"],
                        "as_of": v["as_of"].astimezone(UTC).isoformat(),
                        "last_data_at": v["as_of"].astimezone(UTC).isoformat(),
                        "allowed_lag_hours": fresh[v["exchange"]].allowed_lag.total_seconds() / 3600,
                        "stale": fresh[v["exchange"]].stale,
                    }
                    for v in rows
                ],
            }
        )
    return {
        "report": "funding",
        "schema_version": SCHEMA_VERSION,
        "data_mode": "simulator" if "simulator" in modes else "live",
        "generated_at": now.isoformat(),
        "assets": out_assets,
    }


def render_table(report: dict) -> str:
    lines: list[str] = []
    if report["data_mode"] == "simulator":
        lines.append("SIMULATED DATA: local exchange simulator, not a live market")
        lines.append("")
    generated_at = datetime.fromisoformat(report["generated_at"])
    for a in report["assets"]:
        as_of = datetime.fromisoformat(a["as_of"])
        lines.append(f"{a['asset']} PERPETUAL FUNDING RATES (per 8h)")
        rows, notes, stale = [], [], []
        for v in a["venues"]:
            name = VENUE_NAMES.get(v["exchange"], v["exchange"])
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
            lag = as_of - datetime.fromisoformat(v["last_data_at"])
            notes.append(f"  STALE {duration(lag)}" if v["stale"] else "")
            if v["stale"]:
                allowed = duration(timedelta(hours=v["allowed_lag_hours"]))
                stale.append(
                    f"{VENUE_NAMES.get(v['exchange'], v['exchange'])} (last data {duration(lag)} before "
                    f"the as-of, allowed {allowed})"
                )
        lines += table(["Exchange", "Current", "24h Avg", "7d Avg", "Next Payment"], rows, [16, 11, 11, 11, 14], notes)
        weighting = "OI-weighted" if a["weighting"] == "open_interest" else "Equal-weighted (OI missing)"
        weighted, annualised = pct(_frac(a["weighted_rate_8h_pct"])), pct(_frac(a["weighted_apr_pct"]), 2)
        lines.append(f"Weighted Avg: {weighted} | Annualized: {annualised}  ({weighting})")
        lines.append(f"Sentiment: {a['sentiment']}")
        if stale:
            lines.append(f"Stale: {'; '.join(stale)}")
        lines.append(f"Data as of {utc(as_of)}")
        if a["stale"]:
            # Also for simulated data: the demo runs on the real clock, and a run frozen with --now in the past
            # is indeed that old.
            behind = duration(generated_at - as_of)
            lines.append(
                f"WARNING: the warehouse is behind: newest {a['asset']} data is {behind} old (schedules running?)"
            )
        lines.append("")
    return "\n".join(lines).rstrip() + "\n"


def _frac(p: float | None) -> float | None:
    return None if p is None else p / 100


__all__ = ["build", "render_table", "RULE"]
