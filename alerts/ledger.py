"""The delivery ledger: a small SQLite file recording which alerts were delivered, when, and how.

Why SQLite and not the warehouse: the published DuckDB file is read-only and replaced every hour, and the
working warehouse has a single writer (the pipeline). The ledger must outlive both and accept writes from
several deliverers at once (the Dagster sensor and the pipeline runner), which SQLite in WAL mode does.

Exactly-once rests on the claim: before sending, a deliverer claims the alert_id in one short transaction
(an upsert that only succeeds if nobody else holds or finished it); after sending it marks the row delivered,
or releases it to `pending` when the send failed, so a later tick retries. A claim left by a deliverer that
died mid-send expires after `claim_lease` and may be taken again (that is the at-least-once corner).
"""

from __future__ import annotations

import json
import os
import sqlite3
import uuid
from collections.abc import Iterable
from datetime import UTC, datetime, timedelta
from pathlib import Path

from alerts.model import Alert, iso_utc

# Longer than the slowest send (webhook timeout x attempts + backoff, about a minute), so a live deliverer's
# claim never expires under it; short enough that a crashed deliverer's alerts go out on a later tick.
DEFAULT_CLAIM_LEASE = timedelta(minutes=15)

SCHEMA = """
create table if not exists deliveries (
    alert_id      text primary key,
    alert_type    text not null,
    asset         text not null,
    fired_at      text not null,
    state         text not null check (state in ('claimed', 'pending', 'delivered')),
    claimed_by    text,
    claimed_at    text,
    delivered_at  text,
    attempts      integer not null default 0,
    channels      text,  -- JSON: channel -> result of the delivering attempt
    last_error    text   -- why the last attempt failed (URL masked)
);
create index if not exists deliveries_state on deliveries (state);
"""


def _now() -> datetime:
    return datetime.now(UTC)


def _iso(moment: datetime) -> str:
    # Fixed-width UTC text sorts like time, so lease comparisons can be done in SQL on strings.
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


class DeliveryLedger:
    """One deliverer's handle on the ledger file. Each instance claims under its own token."""

    def __init__(self, path: Path, claim_lease: timedelta = DEFAULT_CLAIM_LEASE) -> None:
        self.path = path
        self.claim_lease = claim_lease
        self.token = f"{os.getpid()}-{uuid.uuid4().hex[:12]}"
        path.parent.mkdir(parents=True, exist_ok=True)
        # Autocommit (isolation_level=None): each statement below is its own transaction, and none is held
        # open while a webhook is being called. The timeout waits out another deliverer's brief write lock.
        self._con = sqlite3.connect(str(path), timeout=30.0, isolation_level=None)
        self._con.execute("pragma journal_mode = wal")
        self._con.execute("pragma synchronous = full")  # a delivered mark survives power loss
        self._con.executescript(SCHEMA)

    def close(self) -> None:
        self._con.close()

    def __enter__(self) -> DeliveryLedger:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def delivered_ids(self, alert_ids: Iterable[str] | None = None) -> set[str]:
        """The alert_ids already delivered (optionally restricted to the given ones)."""
        rows = self._con.execute("select alert_id from deliveries where state = 'delivered'").fetchall()
        done = {r[0] for r in rows}
        return done if alert_ids is None else done & set(alert_ids)

    def claim(self, alert: Alert, now: datetime | None = None) -> bool:
        """Take the alert for delivery; False if it is delivered or another deliverer's claim is still live."""
        now = now or _now()
        cur = self._con.execute(
            """
            insert into deliveries (alert_id, alert_type, asset, fired_at, state, claimed_by, claimed_at)
            values (:id, :type, :asset, :fired, 'claimed', :token, :now)
            on conflict (alert_id) do update set state = 'claimed', claimed_by = :token, claimed_at = :now
            where deliveries.state = 'pending'
               or (deliveries.state = 'claimed' and deliveries.claimed_at < :expired)
            """,
            {
                "id": alert.alert_id,
                "type": alert.alert_type,
                "asset": alert.asset,
                "fired": iso_utc(alert.fired_at),
                "token": self.token,
                "now": _iso(now),
                "expired": _iso(now - self.claim_lease),
            },
        )
        return cur.rowcount == 1

    def mark_delivered(self, alert_id: str, channels: dict[str, str], now: datetime | None = None) -> bool:
        """Record the delivery of an alert this handle claimed. False if the claim had expired and was taken."""
        cur = self._con.execute(
            "update deliveries set state = 'delivered', delivered_at = ?, channels = ?, attempts = attempts + 1, "
            "last_error = null where alert_id = ? and state = 'claimed' and claimed_by = ?",
            [_iso(now or _now()), json.dumps(channels, sort_keys=True), alert_id, self.token],
        )
        return cur.rowcount == 1

    def release(self, alert_id: str, error: str, channels: dict[str, str] | None = None) -> None:
        """Give a failed claim back (state pending) so a later tick retries it, keeping why it failed."""
        self._con.execute(
            "update deliveries set state = 'pending', claimed_by = null, claimed_at = null, "
            "attempts = attempts + 1, last_error = ?, channels = ? "
            "where alert_id = ? and state = 'claimed' and claimed_by = ?",
            [error, json.dumps(channels or {}, sort_keys=True), alert_id, self.token],
        )

    def record(self, alert_id: str) -> dict | None:
        """The ledger row of one alert, for inspection and tests."""
        self._con.row_factory = sqlite3.Row
        try:
            row = self._con.execute("select * from deliveries where alert_id = ?", [alert_id]).fetchone()
        finally:
            self._con.row_factory = None
        if row is None:
            return None
        out = dict(row)
        out["channels"] = json.loads(out["channels"]) if out["channels"] else {}
        return out
