"""Peak memory of a whole pipeline run: `python -m orchestration.run_pipeline --simulator --days 8` (what
`make demo` runs) into a temporary warehouse, as its own process, with the resident set size of that process
and of every process below it (dbt, the simulator) polled from /proc, plus the wall time.

    .venv/bin/python -m bench.run_memory                          # 8 days, like `make demo`
    .venv/bin/python -m bench.run_memory --days 2 --json /tmp/mem.json

Two figures per process kind: the peak sampled by polling /proc every --interval s (per kind, and the largest
single process), and the kernel's own peak from wait4 (`ru_maxrss` of the pipeline process, which Linux reports
as the larger of the process itself and its largest waited-for descendant, i.e. usually dbt). Polling can miss a
peak shorter than the interval; wait4 cannot, but it does not say which process it was. The command line's peak
RSS is measured by bench/cli_speed.py.

The sampler and `run_measured` are shared with bench/incremental.py and bench/full_rebuild.py.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
import threading
import time
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_NOW = "2026-11-21T08:00:00Z"


# --- /proc sampling --------------------------------------------------------------------------------------
def rss_kib(pid: int) -> int:
    """Current resident set size of one process (0 once it is gone)."""
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


def descendants(root: int) -> dict[int, str]:
    """pid -> command line of every process below `root` (children, grandchildren, ...)."""
    children: dict[int, list[int]] = defaultdict(list)
    commands: dict[int, str] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as f:
                stat = f.read()
            with open(f"/proc/{entry}/cmdline", "rb") as f:
                commands[int(entry)] = f.read().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            continue
        # The command name in field 2 may hold spaces and parentheses: the parent pid follows the last ')'.
        children[int(stat.rsplit(")", 1)[1].split()[1])].append(int(entry))
    out, todo = {}, list(children[root])
    while todo:
        pid = todo.pop()
        out[pid] = commands.get(pid, "")
        todo += children[pid]
    return out


def process_kind(command: str) -> str:
    if "-m simulator" in command:
        return "simulator"
    if "dbt" in command:
        return "dbt"
    return "other"


@dataclass
class Peaks:
    """Peak RSS in KiB: per kind (sum over the processes of that kind at one instant), of the largest single
    descendant, and of the whole tree (root included)."""

    by_kind: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    largest_child_kib: int = 0
    largest_child: str = ""
    tree_kib: int = 0
    samples: int = 0

    def as_mib(self) -> dict:
        return {
            "by_kind_mib": {k: round(v / 1024) for k, v in sorted(self.by_kind.items())},
            "largest_child_mib": round(self.largest_child_kib / 1024),
            "largest_child": self.largest_child,
            "tree_mib": round(self.tree_kib / 1024),
            "samples": self.samples,
        }


class TreeSampler:
    """Polls the RSS of `root` (kind `root_kind`) and its descendants every `interval` s until stopped.
    `phase(name)` starts a new set of peaks, so one run can be split (e.g. snapshots vs marts)."""

    def __init__(self, root: int, root_kind: str = "pipeline", interval: float = 0.25):
        self.root, self.root_kind, self.interval = root, root_kind, interval
        self.current = "run"
        self.peaks: dict[str, Peaks] = defaultdict(Peaks)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, daemon=True)

    def __enter__(self) -> TreeSampler:
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join(timeout=5)

    def phase(self, name: str) -> None:
        self.current = name

    def sample_once(self) -> None:
        sample: dict[str, int] = defaultdict(int)
        sample[self.root_kind] = rss_kib(self.root)
        peaks = self.peaks[self.current]
        for pid, command in descendants(self.root).items():
            kib = rss_kib(pid)
            sample[process_kind(command)] += kib
            if kib > peaks.largest_child_kib:
                peaks.largest_child_kib, peaks.largest_child = kib, process_kind(command)
        for kind, kib in sample.items():
            peaks.by_kind[kind] = max(peaks.by_kind[kind], kib)
        peaks.tree_kib = max(peaks.tree_kib, sum(sample.values()))
        peaks.samples += 1

    def _loop(self) -> None:
        while not self._stop.wait(self.interval):
            self.sample_once()


@dataclass
class Measured:
    wall_s: float
    returncode: int
    peaks: Peaks
    wait4_maxrss_kib: int  # the kernel's peak: max(process, its largest waited-for descendant)
    output_tail: str


def run_measured(
    argv: list[str], env: dict[str, str], log_path: Path, interval: float = 0.25, root_kind: str = "pipeline"
) -> Measured:
    """Run `argv` (stdout and stderr to `log_path`), sampling its process tree (the process itself counted as
    `root_kind`); wall time from start to exit."""
    log_path.parent.mkdir(parents=True, exist_ok=True)
    with open(log_path, "ab") as log:
        t0 = time.perf_counter()
        proc = subprocess.Popen(argv, cwd=ROOT, env=env, stdin=subprocess.DEVNULL, stdout=log, stderr=log)
        with TreeSampler(proc.pid, root_kind, interval) as sampler:
            _, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - t0
    proc.returncode = os.waitstatus_to_exitcode(status)
    tail = "\n".join(log_path.read_text(errors="replace").splitlines()[-15:])
    return Measured(wall, proc.returncode, sampler.peaks["run"], usage.ru_maxrss, tail)


def isolated_env(warehouse: Path, **extra: str) -> dict[str, str]:
    """The environment of a benchmark run: its own warehouse and alert ledger, an ephemeral Dagster instance
    (no DAGSTER_HOME), no inherited simulator settings."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DW_", "DAGSTER_HOME"))}
    env.update(
        DW_WAREHOUSE_PATH=str(warehouse),
        DW_ASSETS="BTC,ETH,SOL",
        DW_ALERTS_LEDGER=str(warehouse.parent / "alerts.sqlite"),
        PYTHONUNBUFFERED="1",
    )
    env.update(extra)
    return env


def machine() -> dict:
    """Where it ran; the load average says whether other work shared the CPU (figures are wall times)."""
    return {
        "cpus": os.cpu_count(),
        "load_avg_1_5_15": [round(x, 2) for x in os.getloadavg()],
        "python": platform.python_version(),
        "platform": platform.platform(),
    }


def write_json(path: Path, benchmark: str, rows: list[dict], summary: dict) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    doc = {"benchmark": benchmark, "rows": rows, "summary": summary}
    path.write_text(json.dumps(doc, indent=2, sort_keys=True, default=str) + "\n")


# --- the benchmark ---------------------------------------------------------------------------------------
def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m bench.run_memory", description=__doc__.split("\n\n")[0])
    p.add_argument("--days", type=int, default=8, help="days of history the run loads (make demo: 8)")
    p.add_argument("--now", default=DEFAULT_NOW, help="the simulator's frozen clock, so every run sees the same data")
    p.add_argument("--work-dir", type=Path, help="where the run's warehouse goes (default: a temporary dir)")
    p.add_argument("--interval", type=float, default=0.25, help="seconds between /proc samples")
    p.add_argument("--json", type=Path, help="also write the result here")
    args = p.parse_args(argv)

    with tempfile.TemporaryDirectory(prefix="run_memory-") as tmp:
        work = (args.work_dir or Path(tmp)).expanduser().resolve()
        warehouse = work / "warehouse.duckdb"
        if warehouse.exists():
            p.error(f"{warehouse} exists: give an empty --work-dir (the run must start from nothing)")
        cmd = [sys.executable, "-m", "orchestration.run_pipeline", "--simulator", "--days", str(args.days)]
        cmd += ["--now", args.now]
        print(f"[run_memory {datetime.now(UTC):%H:%M:%S}] {' '.join(cmd[1:])} -> {warehouse}", flush=True)
        m = run_measured(cmd, isolated_env(warehouse), work / "run_memory.log", args.interval)
        published = warehouse.with_name("warehouse.published.duckdb")
        size = published.stat().st_size if published.exists() else 0

    by_kind = m.peaks.by_kind
    rows = [
        {"process": "pipeline (run_pipeline, Dagster in-process)", "peak_rss_mib": round(by_kind["pipeline"] / 1024)},
        {"process": "dbt (subprocess)", "peak_rss_mib": round(by_kind.get("dbt", 0) / 1024)},
        {"process": "simulator (subprocess)", "peak_rss_mib": round(by_kind.get("simulator", 0) / 1024)},
        {"process": "largest child", "peak_rss_mib": round(m.peaks.largest_child_kib / 1024)},
        {"process": "whole tree (sum at one instant)", "peak_rss_mib": round(m.peaks.tree_kib / 1024)},
        {"process": "wait4 ru_maxrss (max of pipeline, descendants)", "peak_rss_mib": round(m.wait4_maxrss_kib / 1024)},
    ]
    print(f"{'process':<50}{'peak RSS MiB':>14}")
    for row in rows:
        print(f"{row['process']:<50}{row['peak_rss_mib']:>14,}")
    status = "ok" if m.returncode == 0 else f"FAILED (exit {m.returncode})"
    print(f"run_pipeline --days {args.days}: {status}, wall {m.wall_s:.1f} s, published file {size / 2**20:.1f} MiB")
    if m.returncode != 0:
        print(m.output_tail)
    summary = {
        "days": args.days,
        "now": args.now,
        "ok": m.returncode == 0,
        "wall_s": round(m.wall_s, 1),
        "peak_rss_mib": m.peaks.as_mib(),
        "wait4_maxrss_mib": round(m.wait4_maxrss_kib / 1024),
        "published_bytes": size,
        "machine": machine(),
        "measured_at": datetime.now(UTC).isoformat(),
    }
    if args.json:
        write_json(args.json, "run_memory", rows, summary)
    return 0 if m.returncode == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
