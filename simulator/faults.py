"""Fault injection, switchable per venue and path through POST /_sim/faults.

A fault affects the next `count` matching requests (-1: until cleared). Kinds:

- `rate_limited`    answer with the venue's own rate-limit refusal (429 or its equivalent, Retry-After
                    `retry_after` seconds, default 1), as if other users of the IP had spent the budget
- `http_5xx`        answer `status` (default 503) with a plain-text "Service Unavailable" body
- `html`            answer 502 with a CDN's HTML error page
- `timeout`         hold the request `seconds` (default 30) before answering normally
- `reset`           drop the connection without an answer
- `truncated`       send only the first half of the real body
- `drift_rename`    rename field `field` to `to` in every object of the body
- `drift_missing`   drop field `field` from every object
- `drift_string`    turn the numeric values of field `field` into strings
- `out_of_range`    set field `field` to `value` in every object (a string stays a string, as the venue
                    encodes it), e.g. a funding rate of 0.5 per period: a value no venue's cap allows
- `empty`           empty the body's record list (the venue's envelope stays)
- `duplicate_page`  send the previous answer of the same path again (a cursor that did not move)
- `maintenance_gap` leave out records stamped in [`start`, `end`) (ISO times)
- `delisted`        answer with the venue's invalid-symbol error for `symbol`
"""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass, field
from datetime import UTC, datetime

KINDS = (
    "rate_limited",
    "http_5xx",
    "html",
    "timeout",
    "reset",
    "truncated",
    "drift_rename",
    "drift_missing",
    "drift_string",
    "out_of_range",
    "empty",
    "duplicate_page",
    "maintenance_gap",
    "delisted",
)

CDN_ERROR_PAGE = (
    "<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body>\r\n<center><h1>502 Bad Gateway</h1></center>\r\n"
    "<hr><center>cloudflare</center>\r\n</body>\r\n</html>\r\n"
)

# Fields that carry a record's time, in the units venues use (ms ints or strings, seconds, ISO).
TIME_FIELDS = (
    "fundingTime",
    "fundingRateTimestamp",
    "timestamp",
    "ts",
    "effectiveAt",
    "createdAt",
    "time",
    "T",
    "startedAt",
    "openTime",
    "start",
    "fundingRateTimestamp",
)


@dataclass
class Fault:
    kind: str
    venue: str
    path: str = "*"
    count: int = 1
    options: dict = field(default_factory=dict)

    def matches(self, venue: str, path: str, params: dict) -> bool:
        if self.venue != venue or self.count == 0:
            return False
        if self.path != "*" and self.path != path:
            return False
        if self.kind == "delisted":
            wanted = self.options.get("symbol")
            return wanted is None or wanted in params.values()
        return True


@dataclass
class FaultBook:
    faults: list[Fault] = field(default_factory=list)
    last_bodies: dict[tuple[str, str], str] = field(default_factory=dict)
    applied: list[dict] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def add(self, spec: dict) -> Fault:
        kind = spec.get("kind")
        if kind not in KINDS:
            raise ValueError(f"unknown fault kind {kind!r}; known: {', '.join(KINDS)}")
        if not spec.get("venue"):
            raise ValueError("a fault needs a venue")
        fault = Fault(
            kind, spec["venue"], spec.get("path", "*"), int(spec.get("count", 1)), dict(spec.get("options", {}))
        )
        with self.lock:
            self.faults.append(fault)
        return fault

    def clear(self) -> None:
        with self.lock:
            self.faults.clear()
            self.applied.clear()
            self.last_bodies.clear()

    def take(self, venue: str, path: str, params: dict) -> Fault | None:
        with self.lock:
            for fault in self.faults:
                if fault.matches(venue, path, params):
                    if fault.count > 0:
                        fault.count -= 1
                    self.applied.append({"kind": fault.kind, "venue": venue, "path": path})
                    return fault
        return None


def _walk(value, fn):
    """Apply `fn` to every dict inside `value` (lists and nested envelopes included)."""
    if isinstance(value, dict):
        fn(value)
        for v in list(value.values()):
            _walk(v, fn)
    elif isinstance(value, list):
        for v in value:
            _walk(v, fn)


def _largest_list(value):
    best = None
    if isinstance(value, list):
        best = value
        for v in value:
            inner = _largest_list(v)
            if inner is not None and len(inner) > len(best):
                best = inner
    elif isinstance(value, dict):
        for v in value.values():
            inner = _largest_list(v)
            if inner is not None and (best is None or len(inner) > len(best)):
                best = inner
    return best


def _as_time(value) -> datetime | None:
    try:
        if isinstance(value, (int, float)) or (isinstance(value, str) and value.isdigit()):
            x = float(value)
            return datetime.fromtimestamp(x / 1000 if x > 1e11 else x, tz=UTC)
        if isinstance(value, str) and len(value) >= 19 and value[4] == "-":
            return datetime.fromisoformat(value.replace("Z", "+00:00"))
    except (ValueError, OverflowError, OSError):
        return None
    return None


def _record_time(record) -> datetime | None:
    if isinstance(record, dict):
        for name in TIME_FIELDS:
            if name in record:
                t = _as_time(record[name])
                if t is not None:
                    return t
    if isinstance(record, list) and record:
        return _as_time(record[0])
    return None


def _drop_in_gap(value, start: datetime, end: datetime):
    if isinstance(value, list):
        kept = []
        for v in value:
            t = _record_time(v)
            if t is not None and start <= t < end:
                continue
            kept.append(_drop_in_gap(v, start, end))
        return kept
    if isinstance(value, dict):
        return {k: _drop_in_gap(v, start, end) for k, v in value.items()}
    return value


def transform_body(fault: Fault, body: object) -> object:
    """Apply a body-changing fault to a decoded JSON body (a new object is returned)."""
    body = json.loads(json.dumps(body))
    o = fault.options
    if fault.kind == "drift_rename":

        def rename(d):
            if o["field"] in d:
                d[o.get("to", o["field"] + "_v2")] = d.pop(o["field"])

        _walk(body, rename)
    elif fault.kind == "drift_missing":
        _walk(body, lambda d: d.pop(o["field"], None))
    elif fault.kind == "drift_string":

        def stringify(d):
            if isinstance(d.get(o["field"]), (int, float)) and not isinstance(d.get(o["field"]), bool):
                d[o["field"]] = str(d[o["field"]])

        _walk(body, stringify)
    elif fault.kind == "out_of_range":

        def overwrite(d):
            if o["field"] in d:
                d[o["field"]] = str(o["value"]) if isinstance(d[o["field"]], str) else o["value"]

        _walk(body, overwrite)
    elif fault.kind == "empty":
        target = _largest_list(body)
        if target is not None:
            target.clear()
    elif fault.kind == "maintenance_gap":
        start = datetime.fromisoformat(o["start"].replace("Z", "+00:00"))
        end = datetime.fromisoformat(o["end"].replace("Z", "+00:00"))
        body = _drop_in_gap(body, start, end)
    return body
