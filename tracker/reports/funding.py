"""`funding ASSET [ASSET ...]`: the skill card's funding report, per venue and weighted across venues.

JSON shape (schema_version 1), all rates in percent per 8 hours unless the key says otherwise:
{
  "report": "funding", "schema_version": 1, "data_mode": "simulator" | "live",
  "assets": [{
    "asset": "BTC", "as_of": ISO-8601 UTC, "stale": bool,
    "weighted_rate_8h_pct": float, "weighted_apr_pct": float,
    "weighting": "open_interest" | "equal", "level": str, "sentiment": str,
    "venues": [{"exchange": str, "instrument": str, "funding_interval_hours": int,
                "current_rate_8h_pct": float, "current_rate_pct": float (per interval),
                "avg_24h_rate_8h_pct": float | null, "avg_7d_rate_8h_pct": float | null,
                "next_funding_at": ISO-8601 UTC | null, "next_funding_in_seconds": int | null
                (null for venues that accrue funding continuously: Deribit, GMX),
                "oi_usd": float | null, "as_of": ISO-8601 UTC}]
  }]
}
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import duckdb

from tracker.errors import CliError
from tracker.render import RULE, duration, pct, table, utc
from tracker.store import FILL_HINT, fetch_dicts
from tracker.symbols import require_known

SCHEMA_VERSION = 1
STALE_AFTER = timedelta(hours=2)
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
    out_assets = []
    modes = set()
    for asset in assets:
        rows = [v for v in venues if v["asset"] == asset]
        summary = summaries.get(asset)
        if not rows or summary is None:
            raise CliError("ERR_NO_DATA", f"no funding data for {asset} in the published warehouse", FILL_HINT)
        modes.update(v["data_mode"] for v in rows)
        as_of = max(v["as_of"] for v in rows)
        out_assets.append(
            {
                "asset": asset,
                "as_of": as_of.astimezone(UTC).isoformat(),
                "stale": now - as_of > STALE_AFTER,
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
    for a in report["assets"]:
        lines.append(f"{a['asset']} PERPETUAL FUNDING RATES (per 8h)")
        rows = []
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
        lines += table(["Exchange", "Current", "24h Avg", "7d Avg", "Next Payment"], rows, [16, 11, 11, 11, 14])
        weighting = "OI-weighted" if a["weighting"] == "open_interest" else "Equal-weighted (OI missing)"
        weighted, annualised = pct(_frac(a["weighted_rate_8h_pct"])), pct(_frac(a["weighted_apr_pct"]), 2)
        lines.append(f"Weighted Avg: {weighted} | Annualized: {annualised}  ({weighting})")
        lines.append(f"Sentiment: {a['sentiment']}")
        as_of = datetime.fromisoformat(a["as_of"])
        stale = "  STALE: no data in the last 2h" if a["stale"] else ""
        lines.append(f"Data as of {utc(as_of)}{stale}")
        lines.append("")
    return "\n".join(lines).rstrip() + "\n"


def _frac(p: float | None) -> float | None:
    return None if p is None else p / 100


__all__ = ["build", "render_table", "RULE"]
