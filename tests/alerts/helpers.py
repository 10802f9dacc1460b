"""Test doubles for alert delivery: a published warehouse with a real `marts.fct_alerts`, and a webhook receiver.

The alerts table is created from the mart's dbt contract (the YAML), so a contract change that the delivery code
does not follow fails these tests instead of passing against a stale copy of the columns.
"""

from __future__ import annotations

import hashlib
import json
import threading
from collections import Counter, deque
from dataclasses import dataclass
from datetime import datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import duckdb
import yaml

from tests.conftest import DBT_DIR
from warehouse.paths import published_path
from warehouse.publish import Publication, publish

CONTRACT = DBT_DIR / "models" / "marts" / "signals" / "_signals__models.yml"


def alerts_contract() -> list[tuple[str, str]]:
    """(column, data_type) of marts.fct_alerts, in contract order."""
    models = yaml.safe_load(CONTRACT.read_text())["models"]
    model = next(m for m in models if m["name"] == "fct_alerts")
    return [(c["name"], c["data_type"]) for c in model["columns"]]


def alert_id(alert_type: str, asset: str, exchange: str | None, fired_at: datetime) -> str:
    """The mart's key: md5 of 'type|asset|exchange|fired_at' (fct_alerts.sql)."""
    text = "|".join([alert_type, asset, exchange or "", fired_at.strftime("%Y-%m-%dT%H:%M:%SZ")])
    return hashlib.md5(text.encode()).hexdigest()


def alert_row(alert_type: str, asset: str, exchange: str | None, fired_at: datetime, value: float) -> dict:
    return {
        "alert_id": alert_id(alert_type, asset, exchange, fired_at),
        "alert_type": alert_type,
        "asset": asset,
        "exchange": exchange,
        "fired_at": fired_at,
        "last_seen_at": fired_at,
        "hours_active": 1,
        "value_at_fire": value,
        "peak_value": value,
        "threshold": 0.0005,
        "is_ongoing": True,
        "message": f"{asset} {alert_type} test alert",
    }


def publish_alerts(warehouse: Path, rows: list[dict], run_id: str | None) -> Path:
    """Replace marts.fct_alerts in the working warehouse with `rows` and publish it as the pipeline does."""
    contract = alerts_contract()
    con = duckdb.connect(str(warehouse))
    try:
        con.execute("create schema if not exists marts")
        columns = ", ".join(f"{name} {data_type}" for name, data_type in contract)
        con.execute(f"create or replace table marts.fct_alerts ({columns})")
        names = [name for name, _ in contract]
        for row in rows:
            con.execute(
                f"insert into marts.fct_alerts ({', '.join(names)}) values ({', '.join('?' * len(names))})",
                [row[n] for n in names],
            )
    finally:
        con.close()
    return publish(warehouse, published_path(warehouse), Publication(run_id=run_id) if run_id else None)


@dataclass
class Answer:
    status: int
    delay_s: float = 0.0


class Receiver:
    """A webhook receiver on 127.0.0.1 that counts POSTs per Idempotency-Key: all of them, and those it accepted."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.posts: Counter[str] = Counter()
        self.accepted: Counter[str] = Counter()
        self.bodies: dict[str, dict] = {}
        self.script: deque[Answer] = deque()  # answers for the next POSTs, then `default`
        self.default = Answer(200)
        self.missing_key = 0
        server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
        server.daemon_threads = True
        server.receiver = self  # type: ignore[attr-defined]
        self.server = server
        self.url = f"http://127.0.0.1:{server.server_address[1]}/hooks/alerts?token=s3cret-token"
        self._thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
        self._thread.start()

    def answer(self, key: str | None, body: dict) -> Answer:
        with self.lock:
            answer = self.script.popleft() if self.script else self.default
            if key is None:
                self.missing_key += 1
                return Answer(400)
            self.posts[key] += 1
            if 200 <= answer.status < 300:
                self.accepted[key] += 1
                self.bodies[key] = body
            return answer

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        self._thread.join(timeout=5)


class _Handler(BaseHTTPRequestHandler):
    timeout = 5  # a stuck client cannot hold a handler thread past the test

    def do_POST(self) -> None:  # noqa: N802 - the http.server API
        length = int(self.headers.get("Content-Length") or 0)
        body = json.loads(self.rfile.read(min(length, 1_000_000)) or b"null")
        answer = self.server.receiver.answer(self.headers.get("Idempotency-Key"), body)  # type: ignore[attr-defined]
        if answer.delay_s:
            threading.Event().wait(answer.delay_s)
        self.send_response(answer.status)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, format: str, *args: object) -> None:  # keep the test output clean
        pass
