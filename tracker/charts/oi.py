"""Chart of the `oi` report: open interest per venue (stacked, USD) above the price, hourly, up to the as-of.

Draws from the report's JSON (the "series" of each asset block, present when --chart was given); one figure
per report, one pair of panels per asset (at most three assets, the rest are named in the title).
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from tracker.charts import figure, save, subtitle
from tracker.query import venue_name

MAX_ASSETS = 3


def draw(report: dict, path: Path) -> Path:
    blocks = [a for a in report["assets"] if a.get("series")][:MAX_ASSETS]
    names = ", ".join(a["asset"] for a in blocks)
    extra = len(report["assets"]) - len(blocks)
    title = f"{names} OPEN INTEREST vs PRICE" + (f" (+{extra} more assets not drawn)" if extra else "")
    fig, axes = figure(title, subtitle(report, blocks[0]), nrows=2 * len(blocks))
    fig.set_size_inches(11.0, max(6.5, 4.0 * len(blocks)))
    fig.subplots_adjust(top=0.86, hspace=0.45)  # room for each price panel's quadrant title
    for i, a in enumerate(blocks):
        _draw_asset(axes[2 * i], axes[2 * i + 1], a, report)
    axes[-1].set_xlabel("hour (UTC)")
    fig.autofmt_xdate()
    return save(fig, path)


def _draw_asset(ax_oi, ax_price, a: dict, report: dict) -> None:
    s = a["series"]
    hours = [datetime.fromisoformat(h) for h in s["hours"]]
    venues = sorted(s["venues"], key=lambda ex: -(_last(s["venues"][ex]) or 0))
    layers = [[(v or 0.0) / 1e9 for v in s["venues"][ex]] for ex in venues]
    if layers:
        ax_oi.stackplot(hours, layers, labels=[venue_name(ex) for ex in venues], alpha=0.8)
    if not report.get("exchanges"):
        total = [None if v is None else v / 1e9 for v in s["total_oi_usd"]]
        ax_oi.plot(hours, total, color="black", linewidth=1.0, label="Total (all venues)")
    scope = "shown venues" if report.get("exchanges") else "all venues"
    ax_oi.set_ylabel(f"{a['asset']} OI (USD bn)")
    tops = [sum(col) for col in zip(*layers, strict=True)] if layers else [0.0]
    if not report.get("exchanges"):
        tops += [v / 1e9 for v in s["total_oi_usd"] if v is not None]
    ax_oi.set_ylim(0, max([*tops, 1e-9]) * 1.5)  # head room for the legend
    ax_oi.legend(loc="upper left", fontsize=7, ncol=9, title=f"OI by venue ({scope})", title_fontsize=7)
    ax_price.plot(hours, s["price_close"], color="#d62728", linewidth=1.2, label=f"{a['asset']} close")
    ax_price.set_ylabel(f"{a['asset']} price (USD)")
    ax_price.legend(loc="upper left", fontsize=7)
    quad = a["quadrant"]
    if quad.get("label"):
        ax_price.set_title(f"last 24h: {quad['label']} = {quad['interpretation']}", fontsize=9)


def _last(values: list) -> float | None:
    return next((v for v in reversed(values) if v is not None), None)
