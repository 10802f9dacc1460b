"""With API keys and a webhook secret set, no secret reaches our own storage or output.

A distinctive canary is set as the API key of every venue (DW_<VENUE>_API_KEY) and as the token of the alert
webhook URL (DW_ALERT_WEBHOOK_URL, in its path and query). One real pipeline run (persistent DAGSTER_HOME,
DW_LOG_LEVEL=DEBUG, one venue failing on every request and two failing transiently so retry and error paths run)
and a few CLI calls follow. Then everything we wrote is scanned: captured stdout/stderr, every file under the
warehouse directory and DAGSTER_HOME as bytes, every text column of every table of every SQLite file there
(Dagster's run and event storage, the alerts ledger), every column of every table of every DuckDB file (cast to
text), and the dbt logs and artifacts the run wrote. The canary must appear nowhere.

The simulator is started here and reached through a recording proxy (DW_SIMULATOR_URL), because its request log
keeps no headers and the test must also prove the keys were sent: a test whose keys were silently dropped would
pass the scan for the wrong reason. The runner is therefore started without --simulator (which would start its
own simulator and overwrite DW_SIMULATOR_URL); the ingest code path is the same.
"""

from __future__ import annotations

import base64
import os
import re
import shutil
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import duckdb
import pytest

from tests.reliability.harden_http import recording_proxy, webhook_receiver

ROOT = Path(__file__).resolve().parents[2]
CANARY = "cnry7Qx"  # every secret below contains it; nothing else in the product does
VENUES = ("binance", "bybit", "okx", "deribit", "bitmex", "dydx", "gmx", "drift")
DERIBIT_KEY = f"{CANARY}deribitId:{CANARY}deribitSecret"  # client_id:client_secret -> HTTP Basic
WEBHOOK_TOKEN = f"{CANARY}HookPathT0ken"
WEBHOOK_QUERY_TOKEN = f"{CANARY}HookQueryT0ken"
FAULTS = (
    {"kind": "http_5xx", "venue": "okx", "count": -1},  # a venue down for the whole run: error paths
    {"kind": "http_5xx", "venue": "binance", "count": 2},  # retried, with a keyed client
    {"kind": "html", "venue": "deribit", "count": 1},  # a CDN page instead of JSON, keyed client
)


def api_key(venue: str) -> str:
    return DERIBIT_KEY if venue == "deribit" else f"{CANARY}{venue}K3y9"


def secret_forms() -> list[str]:
    """Every spelling of a secret that could leak: the values, and the Basic header's base64 of the deribit key."""
    forms = [CANARY, *(api_key(v) for v in VENUES), WEBHOOK_TOKEN, WEBHOOK_QUERY_TOKEN]
    forms.append(base64.b64encode(DERIBIT_KEY.encode()).decode())
    return forms


def _find(blob: bytes, forms: list[str]) -> list[str]:
    return [f for f in forms if f.encode() in blob]


def scan_bytes(root: Path, forms: list[str], since: float = 0.0) -> list[str]:
    hits = []
    for path in sorted(p for p in root.rglob("*") if p.is_file()):
        if path.stat().st_mtime < since:
            continue
        found = _find(path.read_bytes(), forms)
        hits += [f"{path}: {f}" for f in found]
    return hits


def scan_sqlite(path: Path, forms: list[str]) -> list[str]:
    """Every column of every table as text (blobs decoded leniently: Dagster stores some JSON as bytes)."""
    hits = []
    con = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        tables = [r[0] for r in con.execute("select name from sqlite_master where type = 'table'")]
        for table in tables:
            for row in con.execute(f'select * from "{table}"'):
                for value in row:
                    text = value.decode("utf-8", "replace") if isinstance(value, bytes) else str(value)
                    hits += [f"{path} {table}: {f}" for f in forms if f in text]
    finally:
        con.close()
    return hits


def scan_duckdb(path: Path, forms: list[str]) -> list[str]:
    """Every column of every table and view, cast to text, searched inside DuckDB (the files are compressed)."""
    hits = []
    pattern = "|".join(re.escape(f) for f in forms)
    con = duckdb.connect(str(path), read_only=True)
    try:
        tables = con.execute(
            "select table_schema, table_name from information_schema.tables where table_catalog = current_database()"
        ).fetchall()
        assert tables, f"{path} has no tables: the scan would pass for the wrong reason"
        for schema, table in tables:
            cols = [
                r[0]
                for r in con.execute(
                    "select column_name from information_schema.columns where table_schema = ? and table_name = ?",
                    [schema, table],
                ).fetchall()
            ]
            row_text = " || '|' || ".join(f"coalesce(cast(\"{c}\" as varchar), '')" for c in cols)
            found = con.execute(
                f'select count(*) from "{schema}"."{table}" where regexp_matches({row_text}, ?)', [pattern]
            ).fetchone()[0]
            if found:
                hits.append(f"{path} {schema}.{table}: {found} rows")
    finally:
        con.close()
    return hits


def _env(tmp: Path, proxy_root: str, webhook_root: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("DW_") and k != "DAGSTER_HOME"}
    env.update(
        DW_WAREHOUSE_PATH=str(tmp / "warehouse" / "warehouse.duckdb"),
        DAGSTER_HOME=str(tmp / "dagster_home"),
        DW_LOG_LEVEL="DEBUG",
        DW_ASSETS="BTC,ETH,SOL",
        DW_SIMULATOR_URL=proxy_root,
        DW_ALERT_WEBHOOK_URL=f"{webhook_root}/hooks/{WEBHOOK_TOKEN}/deliver?token={WEBHOOK_QUERY_TOKEN}",
    )
    for venue in VENUES:
        env[f"DW_{venue.upper()}_API_KEY"] = api_key(venue)
    return env


def _run(args: list[str], env: dict[str, str], timeout: float) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=timeout)


@pytest.mark.reliability
@pytest.mark.timeout(3600)  # several pipeline runs on a shared machine
def test_no_secret_in_logs_rows_errors_or_dagster_metadata(tmp_path):
    from simulator.process import running_simulator

    started = time.time()
    home = tmp_path / "dagster_home"
    home.mkdir()
    shutil.copy(ROOT / "orchestration" / "dagster.yaml", home / "dagster.yaml")  # as `make prepare` does

    def webhook_answer(n: int, path: str) -> tuple[int, str]:
        # The first alert is refused by a receiver that echoes the URL it was called on (tokens and all), so the
        # rejection's error message, the ledger and the run's output all meet the secret.
        return (400, f"bad request for {path}") if n == 0 else (200, "ok")

    outputs: dict[str, str] = {}
    with (
        running_simulator(max_lifetime_s=2400) as sim,
        recording_proxy(sim.root) as (proxy_root, venue_saw),
        webhook_receiver(webhook_answer) as (webhook_root, hook_saw),
    ):
        for fault in FAULTS:
            sim.add_fault(fault)
        env = _env(tmp_path, proxy_root, webhook_root)
        pipeline = _run(["-m", "orchestration.run_pipeline", "--days", "1"], env, timeout=1800)
        outputs["pipeline"] = pipeline.stdout + pipeline.stderr
        assert pipeline.returncode == 0, outputs["pipeline"][-4000:]  # okx down: partial, still published
        assert "failure:" in pipeline.stdout, "the okx fault did not take: error paths did not run"
        for name, args in {
            "cli funding": ["derivatives_tracker.py", "funding", "BTC"],
            "cli alerts json": ["derivatives_tracker.py", "alerts", "--output", "json"],
            "cli error": ["derivatives_tracker.py", "funding", "NOTACOIN1"],
        }.items():
            done = _run(args, env, timeout=120)
            outputs[name] = done.stdout + done.stderr

    # The keys were really sent, in headers, to the venues that take them; never in a URL.
    by_venue: dict[str, list[dict[str, str]]] = {}
    for _, path, headers, _ in venue_saw.requests:
        host = path.lstrip("/").split("/", 1)[0]
        by_venue.setdefault(host, []).append({k.lower(): v for k, v in headers.items()})
        assert CANARY not in path, f"a secret in a request URL: {path}"
    binance = [h for host, hs in by_venue.items() if "binance" in host for h in hs]
    deribit = [h for host, hs in by_venue.items() if "deribit" in host for h in hs]
    assert binance and all(h.get("x-mbx-apikey") == api_key("binance") for h in binance)
    basic = "Basic " + base64.b64encode(DERIBIT_KEY.encode()).decode()
    assert deribit and all(h.get("authorization") == basic for h in deribit)
    assert len(hook_saw.requests) >= 2, "the webhook was not called: its secret was never exercised"
    assert all(WEBHOOK_TOKEN in path and WEBHOOK_QUERY_TOKEN in path for _, path, _, _ in hook_saw.requests)

    forms = secret_forms()
    hits = [f"output of {name}: {f}" for name, text in outputs.items() for f in forms if f in text]
    warehouse_dir = tmp_path / "warehouse"
    hits += scan_bytes(warehouse_dir, forms)
    hits += scan_bytes(home, forms)
    for db in [*home.rglob("*.db"), *home.rglob("*.sqlite"), *warehouse_dir.rglob("*.sqlite")]:
        hits += scan_sqlite(db, forms)
    duckdb_files = sorted(warehouse_dir.glob("*.duckdb"))
    assert {p.name for p in duckdb_files} >= {"warehouse.duckdb", "warehouse.published.duckdb"}
    for db in duckdb_files:
        hits += scan_duckdb(db, forms)
    for shared in ("logs", "target"):  # dbt writes these inside the project; only what this run touched
        hits += scan_bytes(ROOT / "dbt_project" / shared, forms, since=started)
    assert hits == [], "secrets found:\n" + "\n".join(hits[:50])
