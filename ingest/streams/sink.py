"""Hourly files of raw stream messages: `<root>/<venue>/<YYYY-MM-DD>/<HH>.ndjson`, one JSON line per
message ({"received_at": ISO, "data_mode": live|simulator, "message": raw text}), flushed and fsynced
on every write so that a crash loses at most the message being written."""

from __future__ import annotations

import json
import os
from datetime import UTC, datetime, timedelta
from pathlib import Path

from warehouse.paths import path_from_env, warehouse_path

COLLECTOR_ENV = "DW_COLLECTOR_DIR"


def collector_dir() -> Path:
    return path_from_env(COLLECTOR_ENV) or warehouse_path().parent / "collector"


def hour_file(root: Path, venue: str, hour: datetime) -> Path:
    hour = hour.astimezone(UTC)
    return root / venue / f"{hour:%Y-%m-%d}" / f"{hour:%H}.ndjson"


class HourlyFileSink:
    def __init__(self, root: Path, venue: str, data_mode: str = "live"):
        self.root, self.venue, self.data_mode = root, venue, data_mode
        self._path: Path | None = None
        self._fh = None
        self.written = 0

    def append(self, message: str, received_at: datetime | None = None) -> Path:
        received_at = received_at or datetime.now(UTC)
        path = hour_file(self.root, self.venue, received_at)
        if path != self._path:
            self.close()
            path.parent.mkdir(parents=True, exist_ok=True)
            self._fh = open(path, "a", encoding="utf-8")  # noqa: SIM115 - kept open across appends
            self._path = path
        line = json.dumps(
            {"received_at": received_at.isoformat(), "data_mode": self.data_mode, "message": message},
            separators=(",", ":"),
        )
        self._fh.write(line + "\n")
        self._fh.flush()
        os.fsync(self._fh.fileno())
        self.written += 1
        return path

    def close(self) -> None:
        if self._fh is not None:
            self._fh.close()
            self._fh = None
            self._path = None


def read_hour(root: Path, venue: str, hour: datetime) -> list[dict]:
    """The messages of one hour file (a torn last line from a crash is skipped, not fatal)."""
    path = hour_file(root, venue, hour)
    if not path.exists():
        raise FileNotFoundError(path)
    out = []
    with open(path, "rb") as fh:  # bytes: a torn multi-byte character must cost one line, not the file
        for line in fh:
            try:
                message = json.loads(line.decode("utf-8"))
            except ValueError:  # UnicodeDecodeError included
                continue
            if isinstance(message, dict):  # a torn line can still parse (e.g. "1"); only whole records count
                out.append(message)
    return out


def is_closed(hour: datetime, now: datetime | None = None, grace: timedelta = timedelta(minutes=2)) -> bool:
    """An hour file is complete once the hour is over (plus a little grace for in-flight writes)."""
    return (now or datetime.now(UTC)) >= hour + timedelta(hours=1) + grace
