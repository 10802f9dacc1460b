"""What every benchmark shares: the machine it ran on, and the `--json PATH` file `bench/report.py` reads.

Each benchmark prints its own table for a person and, with `--json PATH`, writes
`{"benchmark": name, "machine": {...}, "rows": [...], "summary": {...}}`: `rows` are the table's rows as
dicts, `summary` the few figures the report's headline table shows.
"""

from __future__ import annotations

import json
import os
import platform
from pathlib import Path


def machine_facts() -> dict:
    """Cores, CPU model, RAM, OS, Python and duckdb versions, and the load average right now."""
    facts: dict = {"cores": os.cpu_count(), "python": platform.python_version(), "os": platform.system()}
    facts["kernel"] = platform.release()
    try:
        with open("/proc/meminfo") as f:
            kib = int(next(line for line in f if line.startswith("MemTotal:")).split()[1])
        facts["ram_gib"] = round(kib / 2**20, 1)
    except (OSError, StopIteration):
        facts["ram_gib"] = None
    try:
        with open("/proc/cpuinfo") as f:
            facts["cpu"] = next((line.split(":", 1)[1].strip() for line in f if line.startswith("model name")), "")
    except OSError:
        facts["cpu"] = ""
    try:
        from importlib.metadata import version

        facts["duckdb"] = version("duckdb")
    except Exception:  # noqa: BLE001 - a description, never a reason to fail a benchmark
        facts["duckdb"] = "?"
    facts["load_average"] = [round(x, 2) for x in os.getloadavg()]
    return facts


def machine_line(facts: dict | None = None) -> str:
    f = facts or machine_facts()
    cpu = f" ({f['cpu']})" if f.get("cpu") else ""
    load = ", ".join(f"{x:.2f}" for x in f["load_average"])
    return (
        f"machine: {f['cores']} cores{cpu}, {f['ram_gib']} GiB RAM, {f['os']} {f['kernel']}; "
        f"Python {f['python']}, duckdb {f['duckdb']}; load average {load}"
    )


def write_json(path: Path | str | None, benchmark: str, rows: list[dict], summary: dict) -> None:
    """Write the figures for bench/report.py (nothing when no path was asked for)."""
    if path is None:
        return
    doc = {"benchmark": benchmark, "machine": machine_facts(), "rows": rows, "summary": summary}
    Path(path).write_text(json.dumps(doc, indent=2, default=str) + "\n")
