"""PNG charts of the reports (--chart PATH), so users can look rather than read.

matplotlib is imported only when a chart is asked for: the command line's start-up stays fast. Each chart
module draws from a report's JSON dict (the same numbers the table shows) and writes through `save`.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from tracker.errors import CliError

SIZE_INCHES = (11.0, 6.0)
DPI = 100


def check_path(raw: str) -> Path:
    """An output path the user may write: a .png file in an existing, writable directory."""
    path = Path(raw).expanduser()
    if path.suffix.lower() != ".png":
        raise CliError("ERR_BAD_ARGUMENT", f"--chart {raw[:60]!r} must name a .png file", "e.g. --chart btc.png")
    if path.is_dir():
        raise CliError("ERR_BAD_ARGUMENT", f"--chart {raw[:60]!r} is a directory", "name a file, e.g. dir/btc.png")
    parent = path.parent if str(path.parent) else Path(".")
    if not parent.is_dir():
        raise CliError("ERR_BAD_ARGUMENT", f"--chart directory {str(parent)[:60]!r} does not exist", "create it first")
    if not os.access(parent, os.W_OK):
        raise CliError("ERR_BAD_ARGUMENT", f"--chart directory {str(parent)[:60]!r} is not writable", "pick another")
    return path


def pyplot():
    """matplotlib's pyplot on the file-only Agg backend (no display needed)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def figure(title: str, subtitle: str = "", nrows: int = 1, sharex: bool = True):
    plt = pyplot()
    fig, axes = plt.subplots(nrows, 1, figsize=SIZE_INCHES, dpi=DPI, sharex=sharex, squeeze=False)
    fig.suptitle(title, fontsize=13, fontweight="bold")
    if subtitle:
        fig.text(0.5, 0.905, subtitle, ha="center", fontsize=9, color="#555555")
    for ax in axes[:, 0]:
        ax.grid(True, alpha=0.3)
    return fig, list(axes[:, 0])


def save(fig, path: Path) -> Path:
    """Write the PNG next to its destination, then rename: a reader never sees half a file."""
    plt = pyplot()
    fd, tmp = tempfile.mkstemp(prefix=".chart-", suffix=".png", dir=path.parent if str(path.parent) else ".")
    os.close(fd)
    try:
        fig.savefig(tmp, format="png", dpi=DPI, bbox_inches="tight")
        # mkstemp makes the file private (0600); a chart gets the mode any new file of the user would.
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)
        os.replace(tmp, path)
    finally:
        plt.close(fig)
        if os.path.exists(tmp):
            os.unlink(tmp)
    return path


def subtitle(report: dict, asset_block: dict) -> str:
    """The as-of and data mode every chart states, like the reports."""
    mode = "SIMULATED DATA" if report["data_mode"] == "simulator" else "live data"
    return f"{mode} - data as of {asset_block['as_of'][:16].replace('T', ' ')} UTC"
