"""Command-line speed: whole-process wall time of each `derivatives_tracker.py` command on a published
warehouse, as a trader feels it (interpreter start, imports, opening the file, queries, rendering).

    .venv/bin/python -m bench.year_warehouse --dir /work/dev/year          # the 365-day warehouse, once
    .venv/bin/python -m bench.cli_speed --warehouse /work/dev/year/warehouse.duckdb --runs 15

Each command runs as its own process (`python derivatives_tracker.py <args>`, DW_WAREHOUSE_PATH set, output
to /dev/null, exit code checked), round-robin across commands so that load from other work on the machine
spreads evenly, after `--warmup` untimed runs each (the OS file cache is warm, as on a trader's machine).
Prints median, p90, min and max wall time and the peak RSS of each process (`wait4`), with the baselines
`python -c pass` and `python -c "import duckdb"`, the machine, and the warehouse's size and biggest marts.
A command that fails (e.g. not written yet) is reported with its error line; the others are still measured.
`--bytecode-cache` measures with cached bytecode (a temporary PYTHONPYCACHEPREFIX), as on a normal install after
its first run; without it the environment decides (here PYTHONDONTWRITEBYTECODE=1: every run compiles).
"""

from __future__ import annotations

import argparse
import json
import os
import shlex
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

from bench.results import machine_line, write_json

ROOT = Path(__file__).resolve().parents[1]
HEADLINE = "dashboard BTC ETH SOL"
TARGET_S = 0.8
DEFAULT_COMMANDS = (
    HEADLINE,
    "funding BTC ETH SOL",
    "oi BTC",
    "liquidations BTC",
    "options BTC",
    "basis --all",
    "alerts",
)


@dataclass
class Case:
    label: str
    argv: list[str]
    seconds: list[float] = field(default_factory=list)
    rss_kib: list[int] = field(default_factory=list)
    error: str | None = None


def run_once(argv: list[str], env: dict[str, str]) -> tuple[float, int, int, str]:
    """(wall seconds, exit code, peak RSS in KiB of that process, last line of stderr or stdout)."""
    with tempfile.TemporaryFile() as err, tempfile.TemporaryFile() as out:
        t0 = time.perf_counter()
        proc = subprocess.Popen(argv, cwd=ROOT, env=env, stdin=subprocess.DEVNULL, stdout=out, stderr=err)
        _, status, usage = os.wait4(proc.pid, 0)
        seconds = time.perf_counter() - t0
        proc.returncode = os.waitstatus_to_exitcode(status)
        code = proc.returncode
        line = ""
        if code != 0:
            # The output normally goes to /dev/null; on failure we want the one error line (stderr first).
            for stream in (err, out):
                stream.seek(0)
                line = error_line(stream.read().decode(errors="replace"))
                if line:
                    break
    return seconds, code, usage.ru_maxrss, line


def percentile(values: list[float], q: float) -> float:
    """Nearest-rank percentile (q in [0, 1])."""
    ordered = sorted(values)
    rank = max(1, min(len(ordered), round(q * len(ordered) + 0.5)))
    return ordered[rank - 1]


# Run in a child process: this process stays free of duckdb, so that its memory does not count in the
# children's peak RSS (Linux carries the parent's high-water mark over fork into the child's ru_maxrss).
_PROBE = """
import json, sys
import duckdb
out = {"duckdb": duckdb.__version__}
try:
    con = duckdb.connect(sys.argv[1], read_only=True)
    pub = con.execute("select window_start, window_end, published_at from meta.publication").fetchone()
    out["window"] = [f"{pub[0]:%Y-%m-%d}", f"{pub[1]:%Y-%m-%d}", f"{pub[2]:%Y-%m-%d %H:%M}"]
    out["marts"] = con.execute(
        "select table_name, row_count from meta.published_tables where table_name like 'marts.%' "
        "order by row_count desc"
    ).fetchall()
except duckdb.Error as exc:
    out["error"] = str(exc).splitlines()[0]
print(json.dumps(out))
"""


def probe(published: Path) -> dict:
    proc = subprocess.run([sys.executable, "-c", _PROBE, str(published)], capture_output=True, text=True)
    if proc.returncode != 0:
        return {"duckdb": "?", "error": (proc.stderr.strip().splitlines() or ["?"])[-1]}
    return json.loads(proc.stdout)


def describe_warehouse(warehouse: Path, published: Path, info: dict, top: int = 8) -> None:
    for path in (warehouse, published):
        if path.exists():
            print(f"file {path}: {path.stat().st_size / 2**20:,.1f} MiB")
    if "error" in info:
        print(f"cannot read the publication record of {published}: {info['error']}")
        return
    rows = info["marts"]
    first, last, published_at = info["window"]
    print(
        f"published window {first} .. {last} (published {published_at} UTC); "
        f"{len(rows)} marts, {sum(r[1] for r in rows):,} rows; biggest:"
    )
    for name, count in rows[:top]:
        print(f"  {name:<40}{count:>14,}")


def error_line(text: str) -> str:
    """The CLI's one-line error (`ERR_...: cause`), else the last line (a traceback's exception)."""
    lines = [x.strip() for x in text.splitlines() if x.strip()]
    return next((x for x in lines if x.startswith("ERR_")), lines[-1] if lines else "")


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m bench.cli_speed", description=__doc__.split("\n\n")[0])
    p.add_argument("--warehouse", required=True, type=Path, help="DW_WAREHOUSE_PATH (its .published copy is read)")
    p.add_argument("--runs", type=int, default=15, help="timed runs per command")
    p.add_argument("--warmup", type=int, default=2, help="untimed runs per command first")
    p.add_argument(
        "--commands",
        nargs="+",
        default=list(DEFAULT_COMMANDS),
        metavar="CMD",
        help=f"command lines to time, each quoted (default: {', '.join(repr(c) for c in DEFAULT_COMMANDS)})",
    )
    p.add_argument(
        "--bytecode-cache",
        action="store_true",
        help="let the commands cache their bytecode (in a temporary PYTHONPYCACHEPREFIX, never in the repository "
        "or the venv), as a normal install does after its first run; by default the environment decides "
        "(PYTHONDONTWRITEBYTECODE=1 and a venv without .pyc files compile every module on every run)",
    )
    p.add_argument("--no-baselines", action="store_true", help="skip `python -c pass` and `import duckdb`")
    p.add_argument("--json", type=Path, metavar="PATH", help="also write the figures as JSON (bench/report.py)")
    args = p.parse_args(argv)
    if args.runs < 1 or args.warmup < 0:
        p.error("--runs must be at least 1 and --warmup at least 0")
    warehouse = args.warehouse.expanduser().resolve()
    if warehouse.name.endswith(".published.duckdb"):
        warehouse = warehouse.with_name(warehouse.name.replace(".published.duckdb", ".duckdb"))
    published = warehouse.with_name(f"{warehouse.stem}.published{warehouse.suffix}")
    if not published.exists():
        p.error(f"no published warehouse at {published} (build one with `python -m bench.year_warehouse`)")

    env = {k: v for k, v in os.environ.items() if k != "DW_DEBUG"}
    env["DW_WAREHOUSE_PATH"] = str(warehouse)
    pyc_dir = None
    if args.bytecode_cache:
        pyc_dir = tempfile.mkdtemp(prefix="cli_speed_pyc_")
        env.pop("PYTHONDONTWRITEBYTECODE", None)
        env["PYTHONPYCACHEPREFIX"] = pyc_dir
        bytecode = f"cached in {pyc_dir} (filled by the warm-up runs)"
    elif env.get("PYTHONDONTWRITEBYTECODE"):
        bytecode = "not cached (PYTHONDONTWRITEBYTECODE is set): modules without a .pyc are compiled on every run"
    else:
        bytecode = "as the environment has it (PYTHONDONTWRITEBYTECODE unset: written beside the sources)"
    py = sys.executable
    cases = [Case(cmd, [py, "derivatives_tracker.py", *shlex.split(cmd)]) for cmd in args.commands]
    if not args.no_baselines:
        cases.append(Case("python -c pass", [py, "-c", "pass"]))
        cases.append(Case("python -c 'import duckdb'", [py, "-c", "import duckdb"]))

    info = probe(published)
    print(machine_line())
    describe_warehouse(warehouse, published, info)
    print(f"{args.runs} timed runs per command after {args.warmup} warm-up, round-robin; output to /dev/null")
    print(f"bytecode: {bytecode}")
    print()
    for case in cases:
        for _ in range(max(1, args.warmup)):
            _, code, _, line = run_once(case.argv, env)
            if code != 0:
                case.error = f"exit {code}: {line[:160]}"
                break
    t0 = time.monotonic()
    for _ in range(args.runs):
        for case in cases:
            if case.error:
                continue
            seconds, code, rss, line = run_once(case.argv, env)
            if code != 0:
                case.error = f"exit {code}: {line[:160]}"
                continue
            case.seconds.append(seconds)
            case.rss_kib.append(rss)
    total = time.monotonic() - t0

    rows = [
        {
            "command": c.label,
            "median_s": percentile(c.seconds, 0.5) if c.seconds else None,
            "p90_s": percentile(c.seconds, 0.9) if c.seconds else None,
            "peak_rss_mib": max(c.rss_kib) / 1024 if c.rss_kib else None,
            "error": c.error,
        }
        for c in cases
    ]
    headline = next(r for r in rows if r["command"] == HEADLINE) if HEADLINE in args.commands else rows[0]
    commands = [r for r in rows if not r["command"].startswith("python ") and r["median_s"] is not None]
    summary = {
        "headline": headline,
        "slowest_median_s": max((r["median_s"] for r in commands), default=None),
        "peak_rss_mib": max((r["peak_rss_mib"] for r in commands), default=None),
        "failed": [r["command"] for r in rows if r["error"]],
        "runs": args.runs,
        "warehouse_bytes": warehouse.stat().st_size if warehouse.exists() else None,
    }
    write_json(args.json, "cli_speed", rows, summary)
    width = max(len(c.label) for c in cases) + 2
    print(f"{'command':<{width}}{'median s':>10}{'p90 s':>9}{'min s':>9}{'max s':>9}{'peak RSS MiB':>14}  note")
    for case in cases:
        if case.error or not case.seconds:
            print(f"{case.label:<{width}}{'FAILED':>10}  {case.error}")
            continue
        s = case.seconds
        median = percentile(s, 0.5)
        note = ""
        if case.label == HEADLINE:
            note = f"target < {TARGET_S} s: {'met' if median < TARGET_S else 'NOT met'}"
        print(
            f"{case.label:<{width}}{median:>10.3f}{percentile(s, 0.9):>9.3f}{min(s):>9.3f}{max(s):>9.3f}"
            f"{max(case.rss_kib) / 1024:>14.0f}  {note}"
        )
    load = ", ".join(f"{x:.2f}" for x in os.getloadavg())
    print(f"({total:.0f} s of timed runs; load average now {load})")
    if pyc_dir:
        shutil.rmtree(pyc_dir, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
