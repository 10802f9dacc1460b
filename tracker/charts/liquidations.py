"""Chart of the `liquidations` report: the ESTIMATED liquidation level map of each asset.

Horizontal bars by price (every published bucket of the levels' hour: long levels below the price in red,
short levels above in green), the current price as a line, and the HIGH DENSITY / CRITICAL buckets labelled.
Draws from the report's JSON ("buckets" of each asset block, present when --chart was given).
"""

from __future__ import annotations

from pathlib import Path

from tracker.charts import figure, save, subtitle

MAX_ASSETS = 3
LONG, SHORT, DENSE = "#d62728", "#2ca02c", "#111111"


def draw(report: dict, path: Path) -> Path:
    blocks = [a for a in report["assets"] if a.get("buckets") is not None][:MAX_ASSETS]
    extra = len(report["assets"]) - len(blocks)
    title = f"{', '.join(a['asset'] for a in blocks)} ESTIMATED LIQUIDATION LEVELS" + (
        f" (+{extra} more assets not drawn)" if extra else ""
    )
    fig, axes = figure(title, subtitle(report, blocks[0]), nrows=len(blocks), sharex=False)
    fig.set_size_inches(11.0, max(6.0, 4.5 * len(blocks)))
    fig.subplots_adjust(top=0.84, hspace=0.35)  # the per-asset titles below the figure's subtitle
    for ax, a in zip(axes, blocks, strict=True):
        _draw_asset(ax, a)
    axes[-1].set_xlabel("estimated USD to be liquidated per bucket (millions) - a model, not observed positions")
    return save(fig, path)


def _draw_asset(ax, a: dict) -> None:
    price = a["price"]
    buckets = a["buckets"]
    for b in buckets:
        low, high = b["bucket_price_low"], b["bucket_price_high"]
        colour = LONG if b["side"] == "long" else SHORT
        ax.barh(
            (low + high) / 2,
            b["estimated_usd"] / 1e6,
            height=(high - low) * 0.9,
            color=colour,
            alpha=0.95 if b["density_label"] else 0.55,
            edgecolor=DENSE if b["density_label"] else "none",
            linewidth=0.8,
        )
        if b["density_label"]:
            ax.annotate(
                f" {b['density_label']} {_short(b['estimated_usd'])}",
                ((b["estimated_usd"]) / 1e6, (low + high) / 2),
                va="center",
                fontsize=7,
                fontweight="bold" if b["density_label"] == "CRITICAL" else "normal",
            )
    ax.axhline(price, color="#1f77b4", linewidth=1.6, linestyle="--", label=f"price {price:,.2f}")  # no $: mathtext
    biggest = max((b["estimated_usd"] for b in buckets), default=0.0) / 1e6
    ax.set_xlim(0, max(biggest, 1e-6) * 1.45)  # room for the labels
    ax.set_ylabel(f"{a['asset']} price (USD)")
    ax.plot([], [], color=LONG, linewidth=6, label="long levels (below)")
    ax.plot([], [], color=SHORT, linewidth=6, label="short levels (above)")
    ax.legend(loc="center right", fontsize=7)
    s = a["summary_24h"]
    ax.set_title(
        f"{a['asset']}: book at the end of the {a['levels_hour_at'][:13].replace('T', ' ')}h UTC hour | "
        f"24h liquidated: longs {_short(s['long_usd'])}, shorts {_short(s['short_usd'])}",
        fontsize=9,
    )


def _short(value: float) -> str:
    """$45.2M with the dollar escaped: matplotlib reads $...$ as mathtext."""
    from tracker.render import usd

    return usd(value).replace("$", r"\$")
