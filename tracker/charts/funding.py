"""Funding history chart: each venue's rate per 8 h in force, hour by hour, and the OI-weighted daily average."""

from __future__ import annotations

from datetime import datetime

from tracker.charts import figure, save, subtitle
from tracker.query import venue_name


def draw(report: dict, path) -> None:
    blocks = report["assets"]
    fig, axes = figure(
        f"Funding per 8h (%), last {blocks[0]['history']['window']}: {', '.join(b['asset'] for b in blocks)}",
        subtitle(report, blocks[0]),
        nrows=len(blocks),
    )
    for ax, block in zip(axes, blocks, strict=True):
        history = block["history"]
        for exchange, points in sorted(history.get("hourly", {}).items()):
            xs = [datetime.fromisoformat(t) for t, _ in points]
            ax.plot(xs, [r for _, r in points], linewidth=1.0, label=venue_name(exchange))
        days = [datetime.fromisoformat(d["day"] + "T12:00:00+00:00") for d in history["daily"]]
        ax.plot(
            days,
            [d["weighted_rate_8h_pct"] for d in history["daily"]],
            color="black",
            linewidth=2.2,
            marker="o",
            label="OI-weighted (daily)",
        )
        for level, style in ((0.01, ":"), (0.05, "--"), (0.10, "-.")):
            for sign in (1, -1):
                ax.axhline(sign * level, color="grey", linestyle=style, linewidth=0.8)
        ax.axhline(0, color="black", linewidth=0.6)
        ax.set_ylabel(f"{block['asset']} % per 8h")
        ax.legend(loc="upper left", fontsize=7, ncol=5)
    axes[-1].set_xlabel("UTC (dotted 0.01 neutral, dashed 0.05 high, dash-dot 0.10 extreme)")
    fig.autofmt_xdate()
    save(fig, path)
