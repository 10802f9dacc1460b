"""The fault matrix: every simulator fault on every venue, with the outcome SPEC section 7 asks for.

Each cell fetches one venue partition through the real path the raw asset takes (fetch_partition, the failure
ledger, load_partition with the blocking raw check) against the simulator, into a DuckDB file: first with no
fault (the reference, which is also the partition's last good slice), then under the fault, then the next
venue of the list, which must land exactly its own reference.

Outcomes (the third part of each test id):
- transient   the fault hits one request: retried to success, records equal the reference, the raw check
              passes, the failed answer (if one arrived) is in raw.fetch_failures
- persistent  the fault never ends: a typed ExchangeError naming the venue and the cause, every body that
              arrived in the ledger, the last good slice untouched
- raw_check_fails  the bodies land (raw is never dropped) and the blocking check names the problem
- typed_failure    the venue's fetch stops with a typed error before anything is replaced
- asset_skipped    the delisted asset is skipped, the other assets land unchanged
- beyond_cap       raw passes (a well-formed number); the mart suite's venue cap (FUNDING_CAPS) rejects it
- gap_lands        raw passes with exactly the records outside the gap (a hole is not malformed data)
- unchanged        the venue's wire has nothing the fault can change: records equal the reference
"""

from __future__ import annotations

import pkgutil
import re
from datetime import UTC, datetime, timedelta

import duckdb
import httpx
import pytest

import ingest.venues
from ingest.config import Settings
from ingest.errors import ExchangeDown, RateLimited, SchemaDrift, SymbolInvalid
from simulator.faults import KINDS
from tests.reliability import fault_harness as harness
from tests.reliability.fault_venues import CASES, VenueCase, neighbour
from warehouse.mart_checks import FUNDING_CAPS, column_expectations
from warehouse.schema import raw_table_name

TRANSPORT = {
    # kind: (typed error once retries run out, what its message says, the ledger's status for an answered attempt)
    "rate_limited": (RateLimited, r"(?i)rate limit|too many|credits exhausted", None),
    "http_5xx": (ExchangeDown, r"\b503\b", 503),
    "html": (ExchangeDown, r"\b502\b.*Bad Gateway", 502),
    "timeout": (ExchangeDown, r"^timeout calling ", 0),
    "reset": (ExchangeDown, r"^connection error calling ", 0),
    "truncated": (SchemaDrift, r"answered 200 with a body that is not JSON", 200),
}
UNANSWERED = {"timeout", "reset"}  # nothing arrives, so only the attempt the retries end on is recorded
GAP = (3, 13)  # maintenance_gap hours of the day: holds a settlement of every venue's schedule


def body_outcome(case: VenueCase, kind: str) -> str:
    if case.venue == "gmx":
        # One call for the whole catalogue: no symbol to skip, no rate, no stamp, no earlier page to repeat.
        return {
            "delisted": "typed_failure",
            "drift_rename": "raw_check_fails",
            "drift_missing": "raw_check_fails",
            "empty": "raw_check_fails",
        }.get(kind, "unchanged")
    if kind == "drift_string":
        return "raw_check_fails" if case.sends_number else "unchanged"
    if kind == "drift_missing" and case.venue == "dydx":
        return "typed_failure"  # the pager pages back from the oldest record's effectiveAt
    return {"out_of_range": "beyond_cap", "maintenance_gap": "gap_lands", "delisted": "asset_skipped"}.get(
        kind, "raw_check_fails"
    )


def _cells():
    for case in CASES:
        for kind in KINDS:
            outcomes = ("transient", "persistent") if kind in TRANSPORT else (body_outcome(case, kind),)
            for outcome in outcomes:
                yield pytest.param(case, kind, outcome, id=f"{case.venue}-{kind}-{outcome}")


def fault_options(case: VenueCase, kind: str) -> dict:
    def at(hour: int) -> str:
        return (harness.DAY + timedelta(hours=hour)).isoformat().replace("+00:00", "Z")

    return {
        "rate_limited": {"retry_after": 1},
        "http_5xx": {"status": 503},
        "timeout": {"seconds": harness.HELD_S},
        "drift_rename": {"field": case.renamed, "to": f"{case.renamed}_v2"},
        "drift_missing": {"field": case.dropped},
        "drift_string": {"field": case.stringified},
        "out_of_range": {"field": case.rate_field, "value": case.rate_value},
        "maintenance_gap": {"start": at(GAP[0]), "end": at(GAP[1])},
        "delisted": {"symbol": case.delisted_symbol} if case.delisted_symbol else {},
    }.get(kind, {})


def fault_count(case: VenueCase, kind: str, outcome: str) -> int:
    if outcome == "transient":
        return 1
    if kind == "delisted" and case.delisted_symbol is None:
        return 1  # the symbol sits in the path: the fault takes the first asset's request
    return -1


def pages(con: duckdb.DuckDBPyConnection, case: VenueCase) -> list[tuple[str, str, list[dict]]]:
    """(endpoint, request params, records) per landed page: envelopes stamp wall-clock times (Bybit's `time`,
    Deribit's usIn/usOut), so a re-fetch is equal in its records, not byte for byte."""
    rows = con.execute(
        f"select endpoint, request_params, payload from {raw_table_name(case.venue, case.dataset)} "
        "where partition_key = ? order by page",
        [harness.partition_key(case)],
    ).fetchall()
    return [(e, p, harness.records([payload])) for e, p, payload in rows]


def _stamp(value) -> datetime:
    if isinstance(value, (int, float)) or str(value).isdigit():
        x = float(value)
        return datetime.fromtimestamp(x / 1000 if x > 1e11 else x, tz=UTC)
    return datetime.fromisoformat(str(value).replace("Z", "+00:00"))


def _in_gap(record: dict, case: VenueCase) -> bool:
    t = _stamp(record[case.time_field])
    return harness.DAY + timedelta(hours=GAP[0]) <= t < harness.DAY + timedelta(hours=GAP[1])


@pytest.fixture
def settings(sim_env) -> Settings:
    return Settings.from_env()


@pytest.fixture
def warehouse(tmp_path):
    con = duckdb.connect(str(tmp_path / "matrix.duckdb"))
    yield con
    con.close()


# A settled day's records do not change: each venue's reference is fetched once per session for its role as
# the neighbour (its own cells still fetch theirs first: that slice is the one a failure must leave in place).
_NEIGHBOUR_REFERENCES: dict[str, list] = {}


def neighbour_reference(con: duckdb.DuckDBPyConnection, case: VenueCase, settings: Settings) -> list:
    if case.venue not in _NEIGHBOUR_REFERENCES:
        reference = harness.fetch_and_land(con, case, settings)
        assert reference.check is not None and reference.check.passed, reference.check
        _NEIGHBOUR_REFERENCES[case.venue] = pages(con, case)
    return _NEIGHBOUR_REFERENCES[case.venue]


@pytest.mark.parametrize(("case", "kind", "outcome"), list(_cells()))
def test_fault_cell(sim_env, settings, warehouse, case, kind, outcome):
    other = neighbour(case)
    other_good = neighbour_reference(warehouse, other, settings)
    reference = harness.fetch_and_land(warehouse, case, settings)
    assert reference.check is not None and reference.check.passed, reference.check
    good = pages(warehouse, case)
    assert good and all(records for _, _, records in good)

    spec = {"kind": kind, "venue": case.venue, "count": fault_count(case, kind, outcome)}
    sim_env.add_fault({**spec, "options": fault_options(case, kind)})
    landing = harness.fetch_and_land(warehouse, case, settings, short_timeout=kind == "timeout")
    applied = httpx.get(f"{sim_env.root}/_sim/faults", timeout=10).json()["applied"]

    # The other venue, fetched after this one failed or recovered, lands exactly its own reference.
    other_landing = harness.fetch_and_land(warehouse, other, settings)
    assert other_landing.error is None and other_landing.check.passed, other_landing.check
    assert pages(warehouse, other) == other_good
    assert harness.ledger(warehouse, other) == []
    assert applied and {a["venue"] for a in applied} == {case.venue}, applied

    EXPECT[outcome](warehouse, case, kind, landing, good)


def expect_transient(con, case, kind, landing, good):
    assert landing.error is None, landing.error
    assert landing.check.passed, landing.check.failures
    assert pages(con, case) == good
    failed = harness.ledger(con, case)
    if kind in UNANSWERED:
        assert failed == []  # the retry got the answer; no body ever arrived
    else:
        error_type, status = TRANSPORT[kind][0].__name__, TRANSPORT[kind][2]
        assert [(t, s if status else None) for t, s, _, _ in failed] == [(error_type, status)]
        assert failed[0][2] != ""  # the body that arrived is kept


def expect_persistent(con, case, kind, landing, good):
    error_class, cause, status = TRANSPORT[kind]
    assert type(landing.error) is error_class, landing.error
    assert landing.error.venue == case.venue
    assert re.search(cause, str(landing.error)), str(landing.error)
    assert landing.error.retryable  # the partition is worth retrying later
    assert pages(con, case) == good  # the last good slice is untouched
    failed = harness.ledger(con, case)
    if kind in UNANSWERED:
        assert [(t, s, p) for t, s, p, _ in failed] == [(error_class.__name__, 0, "")]
    else:
        assert len(failed) == harness.MAX_ATTEMPTS
        assert {t for t, _, _, _ in failed} == {error_class.__name__}
        assert all(p for _, _, p, _ in failed)
        if status:
            assert {s for _, s, _, _ in failed} == {status}


RAW_FAILURE = {
    # kind: (the failure's first words, the field it must name)
    "drift_rename": ("schema: ", "renamed"),
    "drift_missing": ("schema: ", "dropped"),
    "drift_string": ("types: ", "stringified"),
    "duplicate_page": ("duplicates: ", None),
}


def expect_raw_check_fails(con, case, kind, landing, good):
    assert landing.error is None, landing.error
    assert not landing.check.passed
    failure = landing.check.failures[0]
    if kind == "empty":
        # A bare list or a JSON path to the rows says "no records"; an envelope checked by its first row says
        # that row's fields are missing. BitMEX answers an empty day as it answers an unknown symbol.
        assert failure.startswith(("non-empty: ", "schema: ")), failure
        if case.venue == "bitmex":
            assert failure == "non-empty: the partition holds no responses"
            assert [t for t, _, _, _ in harness.ledger(con, case)] == ["SymbolInvalid"] * 3
        return
    prefix, field = RAW_FAILURE[kind]
    assert failure.startswith(prefix), failure
    if field:
        assert getattr(case, field) in failure, failure
    # Raw is never dropped: the faulted bodies are what the partition now holds, as received.
    assert len(pages(con, case)) == landing.loaded.response_count == len(landing.result.responses)
    assert pages(con, case) != good


def expect_typed_failure(con, case, kind, landing, good):
    expected = SymbolInvalid if kind == "delisted" else SchemaDrift
    assert type(landing.error) is expected, landing.error
    assert landing.error.venue == case.venue and not landing.error.retryable
    named = {"delisted": "unknown token", "drift_missing": case.dropped}[kind]
    assert named in str(landing.error), str(landing.error)
    assert pages(con, case) == good
    assert [t for t, _, _, _ in harness.ledger(con, case)] == [expected.__name__]


def expect_asset_skipped(con, case, kind, landing, good):
    assert landing.error is None, landing.error
    assert list(landing.result.skipped_assets) == [case.delisted_asset]
    assert landing.check.passed, landing.check.failures
    kept = [p for p in good if case.delisted_asset not in p[0] + p[1]]
    assert kept and len(kept) < len(good)
    assert pages(con, case) == kept
    assert [t for t, _, _, _ in harness.ledger(con, case)] == ["SymbolInvalid"]


def expect_beyond_cap(con, case, kind, landing, good):
    assert landing.error is None, landing.error
    assert landing.check.passed, landing.check.failures  # a well-formed number: raw has no reason to refuse it
    (cap,) = [
        e for e in column_expectations(["exchange", "funding_rate"]) if e.exchange == case.venue
    ]  # the mart suite's rule for this venue
    assert cap.max_value == FUNDING_CAPS[case.venue]
    landed = [r for _, _, records in pages(con, case) for r in records]
    assert len(landed) == sum(len(r) for _, _, r in good)
    rates = [case.rate_per_interval(r) for r in landed]
    assert all(not cap.min_value <= rate <= cap.max_value for rate in rates), rates[:3]


def expect_gap_lands(con, case, kind, landing, good):
    assert landing.error is None, landing.error
    assert landing.check.passed, landing.check.failures
    expected = [(e, p, [r for r in records if not _in_gap(r, case)]) for e, p, records in good]
    assert pages(con, case) == expected
    assert sum(len(r) for _, _, r in expected) < sum(len(r) for _, _, r in good)  # the gap held settlements


def expect_unchanged(con, case, kind, landing, good):
    assert landing.error is None, landing.error
    assert landing.check.passed, landing.check.failures
    assert pages(con, case) == good


EXPECT = {
    "transient": expect_transient,
    "persistent": expect_persistent,
    "raw_check_fails": expect_raw_check_fails,
    "typed_failure": expect_typed_failure,
    "asset_skipped": expect_asset_skipped,
    "beyond_cap": expect_beyond_cap,
    "gap_lands": expect_gap_lands,
    "unchanged": expect_unchanged,
}


def test_the_matrix_covers_every_venue_and_every_fault_kind():
    venues = {m.name for m in pkgutil.iter_modules(ingest.venues.__path__) if m.ispkg}
    assert {c.venue for c in CASES} == venues
    cells = [p.values for p in _cells()]
    assert {(c.venue, k) for c, k, _ in cells} == {(v, k) for v in venues for k in KINDS}
    # Every transport kind has both variants; every other kind exactly one designed outcome per venue.
    for case in CASES:
        for kind in KINDS:
            outcomes = sorted(o for c, k, o in cells if c is case and k == kind)
            assert outcomes == (["persistent", "transient"] if kind in TRANSPORT else [body_outcome(case, kind)])
    assert {o for _, _, o in cells} == set(EXPECT)
