"""`options ... --chart PATH`: open interest by strike (calls against puts) of the chosen expiry (--expiry) or
the nearest one, on the first venue listing it (Deribit first), with max pain and the underlying marked.
Drawn from the report's "strike_oi" blocks, one panel per asset."""

from __future__ import annotations

from pathlib import Path

from tracker.charts import figure, save, subtitle
from tracker.errors import CliError
from tracker.query import venue_name

CALL_COLOUR = "#2e7d32"
PUT_COLOUR = "#c62828"


def draw(report: dict, path: Path) -> Path:
    from matplotlib.ticker import StrMethodFormatter

    blocks = [a for a in report["assets"] if a.get("strike_oi") and a["strike_oi"]["strikes"]]
    if not blocks:
        raise CliError(
            "ERR_NO_DATA",
            "no option open interest by strike to chart",
            "the venues' chain snapshots list no open interest for that expiry",
        )
    names = ", ".join(a["asset"] for a in blocks)
    fig, axes = figure(
        f"{names} options open interest by strike", subtitle(report, blocks[0]), len(blocks), sharex=False
    )
    for ax, a in zip(axes, blocks, strict=True):
        s = a["strike_oi"]
        strikes = [row["strike"] for row in s["strikes"]]
        calls = [row["call_oi_coin"] for row in s["strikes"]]
        puts = [row["put_oi_coin"] for row in s["strikes"]]
        gaps = [b - a for a, b in zip(strikes, strikes[1:], strict=False) if b > a]
        width = 0.4 * (min(gaps) if gaps else max(strikes[0] * 0.01, 1.0))
        ax.bar([k - width / 2 for k in strikes], calls, width=width, color=CALL_COLOUR, label="calls")
        ax.bar([k + width / 2 for k in strikes], puts, width=width, color=PUT_COLOUR, label="puts")
        if s["max_pain_strike"] is not None:
            ax.axvline(
                s["max_pain_strike"],
                color="#6a1b9a",
                linestyle="--",
                linewidth=1.6,
                label=f"max pain {s['max_pain_strike']:,.0f}",
            )
        if s["underlying_price"] is not None:
            ax.axvline(
                s["underlying_price"],
                color="#1565c0",
                linewidth=1.6,
                label=f"underlying {s['underlying_price']:,.0f}",
            )
        ax.set_title(
            f"{a['asset']} expiry {s['expiry_at'][:10]} - {venue_name(s['exchange'])} chain at "
            f"{s['observed_at'][:16].replace('T', ' ')} UTC",
            fontsize=10,
        )
        ax.xaxis.set_major_formatter(StrMethodFormatter("{x:,.0f}"))
        ax.set_xlabel("strike (USD)")
        ax.set_ylabel(f"open interest ({a['asset']})")
        ax.legend(loc="upper right", fontsize=8)
    fig.tight_layout(rect=(0, 0, 1, 0.9))
    return save(fig, path)
