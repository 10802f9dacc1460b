"""Ingest throughput: records per second from raw payload files into the raw layer and into staging, against
DuckDB's own `read_json` load of the same files in the same run (SPEC section 7: the ratio is the figure).

    .venv/bin/python -m bench.ingest_throughput --days 10 --json /tmp/ingestbench/ingest.json

The payload files are response bodies that our ingest code (`ingest.registry.fetch_partition`) fetched from the
exchange simulator (fixed clock and seed, so every run gets the same bodies), written one file per response
into a temporary directory with a sidecar of envelope metadata. The real recordings in ../shared/data are single
fixtures of a few records per endpoint: far too few for a stable rate, so they are not used here. The set is
every daily-history dataset whose staging model keeps one row per record (Deribit option trades dominate);
Deribit futures trades and dYdX trades (staging keeps only the liquidations) and Drift's 5-minute candles
(rolled up to hours) are left out.

Each repetition times, on fresh DuckDB files:
- ours, raw: read the files, build `RawResponse` envelopes, `load_partition` per (dataset, day) with the raw
  check the raw asset runs, through `connect_writer` as the asset does;
- ours, dbt run: `dbt run --select` the staging models of those sources (real dbt, a subprocess, its start-up
  included; staging models are views, so this creates them);
- ours, staging query: select every row of those views into tables (the JSON parsing happens here);
- DuckDB: one `create table ... as select unnest(<record list>) from read_json([files])` per dataset.
Rows: for ours, the rows that end up in staging; for DuckDB, the records it unnests. The page cache is warmed
(every file read once) before timing. Repetitions alternate the two paths; the table shows medians.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

import duckdb

from ingest.config import Settings
from ingest.envelope import RawResponse
from ingest.registry import DATASETS, Cadence, fetch_partition
from ingest.spec import DatasetSpec
from ingest.windows import TimeWindow
from warehouse.connection import connect_writer
from warehouse.load import load_partition
from warehouse.raw_checks import check_raw_partition
from warehouse.schema import ensure_bookkeeping, ensure_raw_table

ROOT = Path(__file__).resolve().parents[1]
DBT_DIR = ROOT / "dbt_project"
# The simulator's clock for the fetch: fixed, so that the same seed gives the same bodies on every run.
SIMULATOR_NOW = datetime(2026, 3, 1, tzinfo=UTC)
ASSETS = ("BTC", "ETH", "SOL")
# Datasets whose staging model does not keep one row per record, left out so that "rows in staging" and
# "records in the payloads" count the same things: staging keeps only the liquidation trades of the first two,
# and rolls Drift's 5-minute candles up to hours.
NOT_ONE_ROW_PER_RECORD = {"deribit__trades_futures", "dydx__trades", "drift__candles"}

# Where each dataset's records sit in a body, for DuckDB's own load: a dotted path to the record list, or ""
# when the body is the list itself. Kept here rather than derived from the ingest shapes, so that the
# baseline is a plain read_json query as someone would write it by hand.
RECORD_LISTS = {
    "binance__funding_rates": "",
    "binance__coinm_funding_rates": "",
    "binance__open_interest_history": "",
    "binance__long_short_ratio": "",
    "binance__taker_long_short_ratio": "",
    "binance__klines_1h": "",
    "bitmex__funding_rates": "",
    "bitmex__candles_1h": "",
    "bybit__funding_rates": "result.list",
    "bybit__open_interest_history": "result.list",
    "bybit__long_short_ratio": "result.list",
    "bybit__candles_1h": "result.list",
    "deribit__funding_rates": "result",
    "deribit__dvol": "result.data",
    "deribit__trades_options": "result.trades",
    "drift__funding_rates": "records",
    "dydx__funding_rates": "historicalFunding",
    "dydx__candles_1h": "candles",
    "okx__funding_rate_history": "data",
    "okx__open_interest_history": "data",
    "okx__long_short_account_ratio": "data",
    "okx__candles": "data",
}


@dataclass
class PayloadSet:
    """Response bodies on disk, one file each, with the envelope metadata of every file in a sidecar."""

    root: Path
    envelopes: list[dict]

    def files(self, key: str | None = None) -> list[Path]:
        return [self.root / e["file"] for e in self.envelopes if key is None or e["key"] == key]

    @property
    def keys(self) -> list[str]:
        return sorted({e["key"] for e in self.envelopes})

    def bytes(self, key: str | None = None) -> int:
        return sum(p.stat().st_size for p in self.files(key))


@dataclass
class Timing:
    path: str
    seconds: list[float] = field(default_factory=list)
    rows: int = 0
    per_dataset_rows: dict[str, int] = field(default_factory=dict)


def benchmark_specs() -> list[DatasetSpec]:
    return [
        s
        for s in DATASETS
        if s.cadence == Cadence.DAILY_HISTORY and s.key not in NOT_ONE_ROW_PER_RECORD and s.key in RECORD_LISTS
    ]


def fetch_payloads(root: Path, days: int) -> PayloadSet:
    """Fetch `days` closed days of every benchmark dataset from the simulator and write one file per body."""
    from simulator.process import running_simulator  # only needed when the files are not there yet

    end = SIMULATOR_NOW.replace(hour=0)
    windows = [TimeWindow(end - timedelta(days=d), end - timedelta(days=d - 1)) for d in range(days, 0, -1)]
    envelopes: list[dict] = []
    with running_simulator(now=SIMULATOR_NOW, max_lifetime_s=1800) as sim:
        settings = Settings(assets=ASSETS, simulator_url=sim.root, simulator_now=SIMULATOR_NOW)
        for spec in benchmark_specs():
            for window in windows:
                result = fetch_partition(spec, settings, window)
                if result.failures:
                    raise RuntimeError(f"{spec.key} {window.start:%Y-%m-%d}: {len(result.failures)} failed bodies")
                for r in result.responses:
                    rel = f"{spec.key}/{window.start:%Y-%m-%d}/{r.page:04d}.json"
                    (root / rel).parent.mkdir(parents=True, exist_ok=True)
                    (root / rel).write_text(r.payload)
                    envelopes.append(envelope_entry(spec, window, r, rel))
    (root / "envelopes.json").write_text(json.dumps({"days": days, "envelopes": envelopes}))
    return PayloadSet(root, envelopes)


def envelope_entry(spec: DatasetSpec, window: TimeWindow, r: RawResponse, rel: str) -> dict:
    return {
        "key": spec.key,
        "file": rel,
        "partition_key": f"{window.start:%Y-%m-%d}",
        "window": [window.start.isoformat(), window.end.isoformat()],
        "endpoint": r.endpoint,
        "params": r.params,
        "http_status": r.http_status,
        "fetched_at": r.fetched_at.isoformat(),
        "page": r.page,
        "data_mode": r.data_mode,
    }


def payload_set(root: Path, days: int) -> tuple[PayloadSet, str]:
    """The files under `root` when a previous run left a complete set for `days`, else a fresh fetch."""
    sidecar = root / "envelopes.json"
    if sidecar.exists():
        saved = json.loads(sidecar.read_text())
        if saved["days"] == days and all((root / e["file"]).exists() for e in saved["envelopes"]):
            return PayloadSet(root, saved["envelopes"]), "reused from an earlier run"
    root.mkdir(parents=True, exist_ok=True)
    t0 = time.monotonic()
    files = fetch_payloads(root, days)
    return files, f"fetched now in {time.monotonic() - t0:.0f} s"


def warm_page_cache(files: PayloadSet) -> None:
    for path in files.files():
        path.read_bytes()


# --- ours ------------------------------------------------------------------------------------------------


def load_raw_ours(files: PayloadSet, warehouse: Path) -> None:
    """Files -> RawResponse -> load_partition with the blocking raw check, one writer connection per partition
    as the raw asset opens it."""
    specs = {s.key: s for s in DATASETS}
    partitions: dict[tuple[str, str], list[dict]] = defaultdict(list)
    for e in files.envelopes:
        partitions[(e["key"], e["partition_key"])].append(e)
    for (key, partition_key), entries in partitions.items():
        spec = specs[key]
        responses = [
            RawResponse(
                spec.venue,
                spec.dataset,
                e["endpoint"],
                e["params"],
                e["http_status"],
                datetime.fromisoformat(e["fetched_at"]),
                (files.root / e["file"]).read_text(),
                e["page"],
                e["data_mode"],
            )
            for e in entries
        ]
        bounds = tuple(datetime.fromisoformat(t) for t in entries[0]["window"])
        with connect_writer(warehouse) as con:
            loaded = load_partition(
                con,
                spec.venue,
                spec.dataset,
                partition_key,
                responses,
                check=lambda c, t, k, spec=spec, bounds=bounds: check_raw_partition(c, t, k, spec.shape, bounds),
            )
        if not loaded.check.passed:
            raise RuntimeError(f"raw check failed on {key} {partition_key}: {loaded.check.failures}")


def empty_raw_layer(warehouse: Path) -> None:
    """Every raw table, empty, as a prepared warehouse has them: staging views bind to their sources."""
    with connect_writer(warehouse) as con:
        ensure_bookkeeping(con)
        for spec in DATASETS:
            ensure_raw_table(con, spec.venue, spec.dataset)


def dbt(args: list[str], warehouse: Path, target: Path) -> None:
    env = {**os.environ, "DW_WAREHOUSE_PATH": str(warehouse)}
    cmd = [str(Path(sys.executable).with_name("dbt")), *args]
    cmd += ["--project-dir", str(DBT_DIR), "--profiles-dir", str(DBT_DIR), "--target-path", str(target)]
    proc = subprocess.run(cmd, env=env, capture_output=True, text=True, cwd=ROOT)
    if proc.returncode != 0:
        raise RuntimeError(f"dbt {' '.join(args[:1])} failed:\n{proc.stdout[-3000:]}{proc.stderr[-2000:]}")


def staging_models(target: Path, keys: list[str]) -> dict[str, str]:
    """Source key -> the staging model that reads it, from the manifest our own `dbt parse` wrote."""
    child_map = json.loads((target / "manifest.json").read_text())["child_map"]
    models = {}
    for key in keys:
        venue, dataset = key.split("__", 1)
        children = [c.split(".")[-1] for c in child_map[f"source.derivatives.{venue}.{dataset}"]]
        (model,) = [c for c in children if c.startswith("stg_")]
        models[key] = model
    return models


def query_staging(warehouse: Path, models: dict[str, str]) -> dict[str, int]:
    """Every row of each staging view into a table: what a downstream model pays to read staging."""
    con = duckdb.connect(str(warehouse))
    try:
        # The dbt profile's settings, so the views compute as they do under dbt.
        con.execute("set TimeZone = 'UTC'")
        con.execute("set disabled_optimizers = 'top_n_window_elimination'")
        con.execute("create schema if not exists bench")
        rows = {}
        for key, model in models.items():
            con.execute(f"create or replace table bench.{model} as select * from staging.{model}")
            rows[key] = con.execute(f"select count(*) from bench.{model}").fetchone()[0]
        return rows
    finally:
        con.close()


# --- DuckDB's own load -----------------------------------------------------------------------------------


def load_duckdb_native(files: PayloadSet, warehouse: Path) -> dict[str, int]:
    """read_json over each dataset's files, the record list unnested to one row per record, into a table."""
    con = duckdb.connect(str(warehouse))
    try:
        rows = {}
        for key in files.keys:
            paths = [str(p) for p in files.files(key)]
            record_list = RECORD_LISTS[key]
            # A body that is the list itself: read_json already gives one row per element. Otherwise one unnest
            # level: a record that is an array (candles) stays one row, a record that is an object one struct.
            select = f"unnest({record_list}) as record" if record_list else "*"
            con.execute(f"create table {key} as select {select} from read_json(?)", [paths])
            rows[key] = con.execute(f"select count(*) from {key}").fetchone()[0]
        return rows
    finally:
        con.close()


# --- the run ---------------------------------------------------------------------------------------------


def timed(fn, *args):
    t0 = time.perf_counter()
    out = fn(*args)
    return time.perf_counter() - t0, out


def fresh(path: Path) -> Path:
    for p in (path, path.with_name(path.name + ".wal")):
        p.unlink(missing_ok=True)
    return path


def machine() -> dict:
    mem_gib = None
    try:
        with open("/proc/meminfo") as f:
            kib = int(next(line for line in f if line.startswith("MemTotal:")).split()[1])
        mem_gib = round(kib / 2**20, 1)
    except (OSError, StopIteration):
        pass
    return {
        "cores": os.cpu_count(),
        "ram_gib": mem_gib,
        "system": f"{platform.system()} {platform.release()}",
        "python": platform.python_version(),
        "duckdb": duckdb.__version__,
    }


def load_average() -> str:
    return ", ".join(f"{x:.2f}" for x in os.getloadavg())


def run(files: PayloadSet, work: Path, repeats: int) -> tuple[dict[str, Timing], dict[str, str]]:
    target = work / "dbt_target"
    # Untimed: a parse that leaves partial_parse.msgpack, as a deployed pipeline has a parsed project. Same
    # warehouse path as the timed runs: the profile (which renders DW_WAREHOUSE_PATH) is part of what decides
    # whether dbt may reuse that parse.
    dbt(["parse"], work / "ours.duckdb", target)
    models = staging_models(target, files.keys)
    selection = " ".join(f"+{m}" for m in models.values())
    timings = {
        name: Timing(name) for name in ("ours: raw load", "ours: dbt run", "ours: staging query", "duckdb read_json")
    }
    for i in range(repeats):
        # Alternate which path goes first, so that neither always meets a colder machine.
        order = ("ours", "duckdb") if i % 2 == 0 else ("duckdb", "ours")
        for path in order:
            if path == "duckdb":
                seconds, rows = timed(load_duckdb_native, files, fresh(work / "native.duckdb"))
                timings["duckdb read_json"].seconds.append(seconds)
                timings["duckdb read_json"].per_dataset_rows = rows
                continue
            warehouse = fresh(work / "ours.duckdb")
            empty_raw_layer(warehouse)
            seconds, _ = timed(load_raw_ours, files, warehouse)
            timings["ours: raw load"].seconds.append(seconds)
            seconds, _ = timed(dbt, ["run", "--select", selection], warehouse, target)
            timings["ours: dbt run"].seconds.append(seconds)
            seconds, rows = timed(query_staging, warehouse, models)
            timings["ours: staging query"].seconds.append(seconds)
            timings["ours: staging query"].per_dataset_rows = rows
        print(f"  repetition {i + 1}/{repeats} done (load average {load_average()})", flush=True)
    return timings, models


def summarise(files: PayloadSet, timings: dict[str, Timing]) -> tuple[list[dict], dict]:
    records = sum(timings["duckdb read_json"].per_dataset_rows.values())
    staged = sum(timings["ours: staging query"].per_dataset_rows.values())
    med = {name: statistics.median(t.seconds) for name, t in timings.items()}
    ours_raw = med["ours: raw load"]
    ours_total = ours_raw + med["ours: dbt run"] + med["ours: staging query"]
    native = med["duckdb read_json"]
    n_files, n_bytes = len(files.envelopes), files.bytes()

    def row(path: str, seconds: float, rows: int, runs: list[float] | None) -> dict:
        return {
            "path": path,
            "files": n_files,
            "bytes": n_bytes,
            "records": rows,
            "seconds": round(seconds, 3),
            "seconds_min": round(min(runs), 3) if runs else None,
            "rows_per_s": round(rows / seconds) if seconds else None,
        }

    rows = [
        # Raw rows are responses; the rate counts the records those responses carry, as the baseline does.
        row("ours: raw load (records carried)", ours_raw, records, timings["ours: raw load"].seconds),
        row("ours: dbt run (staging views)", med["ours: dbt run"], staged, timings["ours: dbt run"].seconds),
        row("ours: staging query", med["ours: staging query"], staged, timings["ours: staging query"].seconds),
        row("ours: raw + staging", ours_total, staged, None),
        row("duckdb read_json", native, records, timings["duckdb read_json"].seconds),
    ]
    summary = {
        "records_in_payloads": records,
        "rows_in_staging": staged,
        "ratio_raw": round((records / ours_raw) / (records / native), 4),
        "ratio_raw_plus_staging": round((staged / ours_total) / (records / native), 4),
        "seconds_ratio_raw": round(ours_raw / native, 2),
        "seconds_ratio_raw_plus_staging": round(ours_total / native, 2),
    }
    return rows, summary


def print_table(rows: list[dict]) -> None:
    print(f"{'path':<36}{'files':>7}{'MB':>8}{'records':>10}{'median s':>10}{'min s':>8}{'rows/s':>11}")
    for r in rows:
        low = f"{r['seconds_min']:.2f}" if r["seconds_min"] is not None else "-"
        print(
            f"{r['path']:<36}{r['files']:>7}{r['bytes'] / 1e6:>8.1f}{r['records']:>10,}{r['seconds']:>10.2f}"
            f"{low:>8}{r['rows_per_s']:>11,}"
        )


def print_datasets(files: PayloadSet, timings: dict[str, Timing], models: dict[str, str]) -> None:
    native = timings["duckdb read_json"].per_dataset_rows
    staged = timings["ours: staging query"].per_dataset_rows
    print(f"{'dataset':<34}{'files':>7}{'MB':>8}{'records':>10}{'staged':>10}  staging model")
    for key in files.keys:
        print(
            f"{key:<34}{len(files.files(key)):>7}{files.bytes(key) / 1e6:>8.2f}{native[key]:>10,}{staged[key]:>10,}"
            f"  {models[key]}"
        )


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m bench.ingest_throughput", description=__doc__.split("\n\n")[0])
    p.add_argument("--days", type=int, default=10, help="closed days of each dataset, fetched for BTC, ETH, SOL")
    p.add_argument("--repeats", type=int, default=3, help="timed repetitions of each path (medians reported)")
    p.add_argument(
        "--payload-dir",
        type=Path,
        help="keep the payload files here and reuse them on the next run (default: a temporary directory)",
    )
    p.add_argument("--json", type=Path, help="also write the figures as JSON here (read by bench/report.py)")
    args = p.parse_args(argv)
    if args.days < 1 or args.repeats < 1:
        p.error("--days and --repeats must be at least 1")

    started = time.monotonic()
    work = Path(tempfile.mkdtemp(prefix="ingest_throughput_"))
    try:
        files, origin = payload_set(args.payload_dir or work / "payloads", args.days)
        warm_page_cache(files)
        info = machine()
        print(
            f"machine: {info['cores']} cores, {info['ram_gib']} GiB RAM, {info['system']}; Python {info['python']}, "
            f"duckdb {info['duckdb']}; load average {load_average()}"
        )
        print(
            f"payloads: simulator bodies fetched by ingest.registry.fetch_partition (simulator clock "
            f"{SIMULATOR_NOW:%Y-%m-%d}, seed 7), {args.days} days x {', '.join(ASSETS)}, {len(files.keys)} datasets; "
            f"{origin}; in {files.root}"
        )
        print("page cache: warmed (every payload file read once before timing)")
        timings, models = run(files, work, args.repeats)
        rows, summary = summarise(files, timings)
        load = load_average()
        print()
        print_datasets(files, timings, models)
        print()
        print(f"{args.repeats} repetitions, paths alternating; medians (min of the repetitions beside)")
        print_table(rows)
        print(
            f"ratio ours / DuckDB in rows/s: raw only {summary['ratio_raw']:.3f}, raw + staging "
            f"{summary['ratio_raw_plus_staging']:.3f}  (time: ours takes {summary['seconds_ratio_raw']}x and "
            f"{summary['seconds_ratio_raw_plus_staging']}x DuckDB's)"
        )
        wall = time.monotonic() - started
        print(f"wall time {wall:.0f} s; load average now {load}")
        if args.json:
            out = {
                "benchmark": "ingest_throughput",
                "rows": rows,
                "summary": {
                    **summary,
                    "payload_source": "simulator",
                    "days": args.days,
                    "repeats": args.repeats,
                    "datasets": files.keys,
                    "page_cache": "warm",
                    "machine": info,
                    "load_average_end": list(os.getloadavg()),
                    "wall_seconds": round(wall, 1),
                },
            }
            args.json.parent.mkdir(parents=True, exist_ok=True)
            args.json.write_text(json.dumps(out, indent=2))
            print(f"figures written to {args.json}")
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
