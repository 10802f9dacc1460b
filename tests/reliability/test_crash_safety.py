"""Crash safety: kill -9 of the whole pipeline during a raw load, during the dbt build and during the publish,
then a re-run of the same command.

SPEC section 7: re-running any partition leaves identical row counts and content; a run whose checks fail
publishes nothing; readers keep seeing the last good state. Here the run does not fail its checks, it dies
(SIGKILL to its process group: the pipeline, the exchange simulator and dbt), and we ask the same:

- while it is dead, the published file is byte for byte the last good one;
- the killed working warehouse opens (DuckDB replays its write-ahead log) and the killed load's transaction
  is gone entirely: the partition has neither the new slice nor a manifest row, the loads committed before
  it are there;
- the same command run again finishes (exit 0) on the leftovers (WAL, a Dagster run that never ended, a
  publisher's temporary copy), with no duplicate and no loss: every raw table and mart equals, by row count
  and content, a clean uninterrupted run of that command from the same starting state in another directory,
  and the new published file vouches for the re-run.

Every run is the real pipeline (`run_pipeline.main()` with --simulator --now NOW, its own DW_WAREHOUSE_PATH and
DAGSTER_HOME), started through tests/reliability/crash_probe.py, which can stop it at an exact point (inside a
raw load's open transaction, or between publish's copy and its rename) and signal the test, and which stamps
fetched_at from the simulator's clock so that two runs of one command are comparable (see _pipeline). The first
run loads one day; the runs that are killed load two, so the killed load has new data to lose.

    .venv/bin/pytest -m reliability tests/reliability/test_crash_safety.py -q -s    # -s prints the timings
"""

from __future__ import annotations

import hashlib
import json
import math
import os
import shutil
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pytest

from tests.pipeline_env import pipeline_env
from warehouse.publish import read_publication

pytestmark = [pytest.mark.reliability, pytest.mark.timeout(7200)]

ROOT = Path(__file__).resolve().parents[2]
NOW = "2026-11-21T08:00:00Z"
GOOD_DAYS = 1  # the published state readers have before the crash
RERUN_DAYS = 2  # the killed run and its re-run: one more day of history, so the kill interrupts new data
NEW_DAY = "2026-11-20"  # the day only RERUN_DAYS loads
# Trap the third load of the new day: two raw tables have committed it when the process dies, so the test
# sees both sides of the kill (committed loads kept, the open one rolled back).
TRAPPED_LOAD = 3
# One run takes one to three minutes on an idle 2-core machine and several times that when it is shared.
RUN_TIMEOUT_S = 1800
CRASH_POINT_TIMEOUT_S = 1500  # from start to the trapped load, or to dbt having built a few models
# dbt has built this many incremental marts (each merged and committed in its own transaction) when we kill
# it: a half-updated set of marts, the state a crash mid-build really leaves.
DBT_INCREMENTALS_BEFORE_KILL = 2
# Bookkeeping that grows with every run by design (a manifest row per load, failed bodies, replaced slices): not
# data, so not compared with the reference.
BOOKKEEPING = ("load_manifest", "fetch_failures", "superseded_responses")


# --- running the pipeline --------------------------------------------------------------------------------------


def _pipeline(days: int, *trap: str) -> list[str]:
    """The pipeline command, run through the probe: run_pipeline's own main(), plus the trap if one is given.

    Every run stamps fetched_at from the simulator's clock (crash_probe.freeze_fetch_clock): the product stamps
    it from the wall clock, and snapshot marts derive observed_at, hour_at and days_to_expiry from it, so without
    this two uninterrupted runs of the same command already differ and "equal to the reference" could not be
    asked of a re-run."""
    probe = [
        sys.executable,
        "-m",
        "tests.reliability.crash_probe",
        "--simulated-fetch-clock",
        *(trap or ["--trap", "none"]),
    ]
    return [*probe, "--", "--simulator", "--days", str(days), "--now", NOW]


def _run_pipeline(workdir: Path, days: int, log_name: str) -> float:
    """One uninterrupted run to completion; returns its wall time."""
    cmd = _pipeline(days)
    log = workdir / log_name
    t0 = time.monotonic()
    with open(log, "w") as out:
        proc = subprocess.run(
            cmd, cwd=ROOT, env=pipeline_env(workdir), stdout=out, stderr=subprocess.STDOUT, timeout=RUN_TIMEOUT_S
        )
    elapsed = time.monotonic() - t0
    assert proc.returncode == 0, f"{' '.join(cmd)} exited {proc.returncode}:\n{log.read_text()[-4000:]}"
    return elapsed


def _start_in_own_group(cmd: list[str], workdir: Path, log_name: str) -> subprocess.Popen:
    # Its own session and process group: one killpg reaches the pipeline, the simulator and dbt, as a
    # container stop or a killed cgroup would, and nothing of the test itself.
    with open(workdir / log_name, "w") as out:
        return subprocess.Popen(
            cmd, cwd=ROOT, env=pipeline_env(workdir), stdout=out, stderr=subprocess.STDOUT, start_new_session=True
        )


def _kill_group(proc: subprocess.Popen) -> None:
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait(timeout=60)
    assert proc.returncode == -signal.SIGKILL, f"the pipeline ended by itself (exit {proc.returncode})"
    # Every member of the group is gone (no orphan dbt or simulator keeps the warehouse or a port).
    deadline = time.monotonic() + 30
    while _group_members(proc.pid) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert not _group_members(proc.pid), f"survivors of the kill: {_group_members(proc.pid)}"


def _wait_for_marker(
    proc: subprocess.Popen, marker: Path, log: Path | None, timeout_s: float = CRASH_POINT_TIMEOUT_S
) -> None:
    """Until the probe says it holds at its crash point; bounded, and fails at once if the probe ended."""
    deadline = time.monotonic() + timeout_s
    while not marker.exists():
        if proc.poll() is not None:
            tail = log.read_text()[-4000:] if log else ""
            pytest.fail(f"the probe ended (exit {proc.returncode}) before its crash point:\n{tail}")
        assert time.monotonic() < deadline, f"the crash point was not reached within {timeout_s:.0f} s"
        time.sleep(0.2)


def _group_members(pgid: int) -> list[int]:
    members = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        # fields[0] is the state, [2] the process group; zombies are dead already.
        if int(fields[2]) == pgid and fields[0] != "Z":
            members.append(int(entry.name))
    return members


def _descendants(pid: int) -> list[int]:
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            ppid = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
        except (OSError, ValueError):
            continue
        children.setdefault(ppid, []).append(int(entry.name))
    found, stack = [], [pid]
    while stack:
        for child in children.get(stack.pop(), []):
            found.append(child)
            stack.append(child)
    return found


# --- what a state is made of -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class TableState:
    rows: int
    duplicate_keys: int  # rows beyond the first for each natural key: 0 when there are no duplicates
    fingerprint: str  # md5 over the sorted content, fetched_at (when it was fetched) left out
    partitions: frozenset[str] = frozenset()


# A raw row is one response page: identified by its request and page within a partition, its content is the
# payload's hash. fetched_at says when, not what, so it is left out of the comparison.
RAW_KEY = ("partition_key", "endpoint", "request_params", "page")
RAW_CONTENT = (*RAW_KEY, "venue", "dataset", "http_status", "data_mode")
# The body, less what measures the venue's own processing time (Deribit's usOut and usDiff, microseconds the
# simulator really spent): the same request gives the same body but for these.
RAW_BODY = """md5(regexp_replace(payload, '"us(Out|Diff)":[0-9]+,?', '', 'g'))"""


def _raw_state(con: duckdb.DuckDBPyConnection) -> dict[str, TableState]:
    tables = con.execute(
        "select table_name from information_schema.tables where table_schema = 'raw' and table_type = 'BASE TABLE' "
        "order by 1"
    ).fetchall()
    out = {}
    for (name,) in tables:
        if name in BOOKKEEPING:
            continue
        key = ", ".join(RAW_KEY)
        content = " || '|' || ".join([*(f"coalesce({c}::varchar, '')" for c in RAW_CONTENT), RAW_BODY])
        rows, distinct_keys, fingerprint = con.execute(
            f"select count(*), count(distinct ({key})), md5(coalesce(string_agg({content}, chr(10) order by "
            f"{content}), '')) from raw.{name}"
        ).fetchone()
        partitions = frozenset(p for (p,) in con.execute(f"select distinct partition_key from raw.{name}").fetchall())
        out[f"raw.{name}"] = TableState(rows, rows - distinct_keys, fingerprint, partitions)
    return out


# When the pipeline loaded (raw.load_manifest.loaded_at, the wall clock), not what the market did.
WALL_CLOCK_COLUMNS = {"last_loaded_at", "latest_load_at"}


@dataclass(frozen=True)
class MartRows:
    columns: tuple[str, ...]
    rows: tuple[tuple, ...]  # sorted; wall-clock columns left out


def _mart_state(con: duckdb.DuckDBPyConnection) -> dict[str, MartRows]:
    """Every mart's rows, to compare value for value (they are small: thousands of rows at most)."""
    tables = con.execute(
        "select table_name from information_schema.tables where table_schema = 'marts' order by 1"
    ).fetchall()
    out = {}
    for (name,) in tables:
        columns = [
            c
            for (c,) in con.execute(
                "select column_name from information_schema.columns where table_schema = 'marts' and table_name = ? "
                "order by ordinal_position",
                [name],
            ).fetchall()
            if c not in WALL_CLOCK_COLUMNS
        ]
        select = ", ".join(f'"{c}"' for c in columns)
        rows = con.execute(f"select {select} from marts.{name}").fetchall()
        out[f"marts.{name}"] = MartRows(tuple(columns), tuple(sorted(rows, key=_sort_key)))
    return out


def _sort_key(row: tuple) -> tuple:
    # Floats coarsely, so that two runs' last-bit differences do not reorder rows; None first.
    return tuple((0, "") if v is None else (1, f"{v:.6g}") if isinstance(v, float) else (1, str(v)) for v in row)


def _mart_difference(state: MartRows, ref: MartRows) -> str | None:
    """How a mart differs from the reference's, or None. Floats are equal within a relative 1e-9: DuckDB's
    parallel aggregation sums in no fixed order, so a sum can differ in its last bits between two runs of the
    same data (seen: 24274930.15 and 24274930.150000002); far finer than any figure a reader sees."""
    if state.columns != ref.columns:
        return f"columns {state.columns} != {ref.columns}"
    if len(state.rows) != len(ref.rows):
        return f"{len(state.rows)} rows, the reference has {len(ref.rows)}"
    for got, want in zip(state.rows, ref.rows, strict=True):
        for column, a, b in zip(state.columns, got, want, strict=True):
            close = isinstance(a, float) and isinstance(b, float) and math.isclose(a, b, rel_tol=1e-9)
            if a != b and not close:
                return f"{column}: {a!r} where the reference has {b!r} (row {got})"
    return None


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@dataclass(frozen=True)
class WarehouseState:
    raw: dict[str, TableState]
    marts: dict[str, MartRows]
    published_sha256: str
    publication: dict
    published_tables: dict[str, int]


def _state(workdir: Path) -> WarehouseState:
    con = duckdb.connect(str(workdir / "warehouse.duckdb"), read_only=True)
    try:
        raw, marts = _raw_state(con), _mart_state(con)
    finally:
        con.close()
    published = workdir / "warehouse.published.duckdb"
    con = duckdb.connect(str(published), read_only=True)
    try:
        publication = read_publication(con)
        published_tables = dict(con.execute("select table_name, row_count from meta.published_tables").fetchall())
    finally:
        con.close()
    assert publication is not None, f"{published} carries no meta.publication"
    return WarehouseState(raw, marts, _sha256(published), publication, published_tables)


def _copy_state(src: Path, dst: Path) -> None:
    # The whole directory: warehouse, published copy, Dagster instance and alert ledger, so the crash runs start
    # from exactly the good state with its run history.
    shutil.copytree(src, dst, ignore=shutil.ignore_patterns("*.log"))


# --- the shared runs -------------------------------------------------------------------------------------------

TIMINGS: dict[str, float] = {}


@pytest.fixture(scope="module")
def good_state(tmp_path_factory) -> tuple[Path, WarehouseState]:
    """The last good published state: one clean run of GOOD_DAYS."""
    workdir = tmp_path_factory.mktemp("good")
    TIMINGS["good run"] = _run_pipeline(workdir, GOOD_DAYS, "good.log")
    state = _state(workdir)
    assert state.publication["checks_passed"] >= 1, state.publication
    assert all(NEW_DAY not in t.partitions for t in state.raw.values()), "the good state already holds the new day"
    return workdir, state


@pytest.fixture(scope="module")
def reference(good_state, tmp_path_factory) -> WarehouseState:
    """What the re-run must equal: the same RERUN_DAYS command, from the same good state, never interrupted."""
    workdir = tmp_path_factory.mktemp("reference") / "w"
    _copy_state(good_state[0], workdir)
    TIMINGS["reference run"] = _run_pipeline(workdir, RERUN_DAYS, "reference.log")
    state = _state(workdir)
    assert any(NEW_DAY in t.partitions for t in state.raw.values()), "the reference run did not load the new day"
    return state


@pytest.fixture(scope="module", autouse=True)
def report_timings():
    yield
    print("\ncrash safety wall times: " + ", ".join(f"{k} {v:.1f} s" for k, v in TIMINGS.items()))


# --- the checks after a kill and after the re-run --------------------------------------------------------------


def _assert_published_untouched(workdir: Path, good: WarehouseState) -> None:
    published = workdir / "warehouse.published.duckdb"
    assert _sha256(published) == good.published_sha256, "the killed run changed the published warehouse"
    leftovers = list(workdir.glob(".warehouse.published.duckdb.tmp-*"))
    # A copy killed mid-publish is left beside the published file: harmless to readers (they never open it) and
    # reaped by the next publish only if it has the same pid, so it is reported here if it ever shows up.
    assert not leftovers, f"a half-written publication was left behind: {leftovers}"
    con = duckdb.connect(str(published), read_only=True)
    try:
        assert read_publication(con)["run_id"] == good.publication["run_id"]
    finally:
        con.close()


def _open_killed_copy(workdir: Path, scratch: Path) -> duckdb.DuckDBPyConnection:
    """Open a copy of the killed warehouse (file and write-ahead log), as the re-run will: DuckDB replays the WAL.

    A copy, so that the re-run still meets the leftovers exactly as the kill left them."""
    scratch.mkdir()
    for name in ("warehouse.duckdb", "warehouse.duckdb.wal"):
        if (workdir / name).exists():
            shutil.copy(workdir / name, scratch / name)
    return duckdb.connect(str(scratch / "warehouse.duckdb"))


def _assert_equals_reference(workdir: Path, ref: WarehouseState, good: WarehouseState) -> WarehouseState:
    state = _state(workdir)
    # No duplicates: every raw natural key once (the marts' own repeated rows, if any, are compared with the
    # reference's below).
    duplicated = {t: s.duplicate_keys for t, s in state.raw.items() if s.duplicate_keys}
    assert not duplicated, f"duplicate keys after the re-run: {duplicated}"
    # No loss: every raw table and every partition of the reference is there.
    assert set(state.raw) == set(ref.raw), set(state.raw) ^ set(ref.raw)
    lost = {t: sorted(ref.raw[t].partitions - s.partitions) for t, s in state.raw.items()}
    assert not any(lost.values()), f"partitions lost: { {t: p for t, p in lost.items() if p} }"
    # Identical content: raw and marts equal the uninterrupted run, row for row.
    raw_diff = {t: (s, ref.raw[t]) for t, s in state.raw.items() if s != ref.raw[t]}
    assert not raw_diff, f"raw differs from the reference run: {raw_diff}"
    assert set(state.marts) == set(ref.marts), set(state.marts) ^ set(ref.marts)
    mart_diff = {t: d for t, s in state.marts.items() if (d := _mart_difference(s, ref.marts[t]))}
    assert not mart_diff, f"marts differ from the reference run: {mart_diff}"
    # The re-run published a new, checked state that counts the same rows as the reference's.
    assert state.published_sha256 != good.published_sha256, "the re-run did not publish"
    assert state.publication["run_id"] != good.publication["run_id"]
    assert state.publication["checks_passed"] >= 1 and state.publication["checks"].get("failed") == 0
    assert state.publication["window_start"].strftime("%Y-%m-%d") == NEW_DAY, state.publication
    assert state.published_tables == ref.published_tables
    assert not list(workdir.glob(".warehouse.published.duckdb.tmp-*"))
    return state


# --- the tests -------------------------------------------------------------------------------------------------


def test_kill_during_a_raw_load_then_rerun(good_state, reference, tmp_path):
    t0 = time.monotonic()
    good_dir, good = good_state
    workdir = tmp_path / "w"
    _copy_state(good_dir, workdir)
    marker = tmp_path / "load_held_open.json"
    cmd = _pipeline(RERUN_DAYS, "--marker", str(marker), "--partition", NEW_DAY, "--nth", str(TRAPPED_LOAD))
    proc = _start_in_own_group(cmd, workdir, "killed.log")
    try:
        _wait_for_marker(proc, marker, workdir / "killed.log")
        held = json.loads(marker.read_text())
        _kill_group(proc)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=60)
    killed_at = time.monotonic() - t0
    # The kill really came inside the transaction: the new slice and its manifest row were written, uncommitted.
    assert held["partition_key"] == NEW_DAY and held["rows_in_open_transaction"] > 0, held
    assert held["manifest_rows_in_open_transaction"] == 1, held

    _assert_published_untouched(workdir, good)
    con = _open_killed_copy(workdir, tmp_path / "killed_copy")
    try:
        state = _raw_state(con)
        manifest = con.execute(
            "select count(*) from raw.load_manifest where raw_table = ? and partition_key = ?",
            [held["raw_table"], NEW_DAY],
        ).fetchone()[0]
    finally:
        con.close()
    # All or nothing: the open transaction is gone whole (no rows, no manifest row); the loads committed before
    # it survived the kill.
    assert NEW_DAY not in state[held["raw_table"]].partitions, "rows of the killed load's transaction survived"
    assert manifest == 0, "the killed load's manifest row survived without its commit"
    committed = sorted(t for t, s in state.items() if NEW_DAY in s.partitions)
    assert len(committed) == TRAPPED_LOAD - 1, committed
    assert not any(s.duplicate_keys for s in state.values())

    rerun_s = _run_pipeline(workdir, RERUN_DAYS, "rerun.log")
    after = _assert_equals_reference(workdir, reference, good)
    assert after.raw[held["raw_table"]].partitions >= {NEW_DAY}
    TIMINGS["raw-load kill: until the kill"] = killed_at
    TIMINGS["raw-load kill: re-run"] = rerun_s
    TIMINGS["raw-load kill: whole test"] = time.monotonic() - t0


def _dbt_process(pipeline_pid: int) -> int | None:
    for pid in _descendants(pipeline_pid):
        try:
            argv = (Path("/proc") / str(pid) / "cmdline").read_bytes().split(b"\0")
        except OSError:
            continue
        if any(Path(a.decode()).name == "dbt" for a in argv[:2]) and b"build" in argv:
            return pid
    return None


def _dbt_log(dbt_pid: int) -> Path | None:
    """dagster-dbt gives each invocation its own DBT_LOG_PATH; read it from the process's environment."""
    try:
        environ = (Path("/proc") / str(dbt_pid) / "environ").read_bytes().split(b"\0")
    except OSError:
        return None
    for item in environ:
        if item.startswith(b"DBT_LOG_PATH="):
            # Relative to dbt's working directory (dagster-dbt passes target/<invocation>, run in dbt_project/).
            try:
                cwd = Path(os.readlink(f"/proc/{dbt_pid}/cwd"))
            except OSError:
                return None
            return cwd / item.split(b"=", 1)[1].decode() / "dbt.log"
    return None


def _incremental_models_built(log: Path) -> list[str]:
    built, lines = [], []
    # dbt rolls its log over at 10 MB (dbt.log -> dbt.log.1), about when the marts start: read both.
    for part in (log.with_name(log.name + ".1"), log):
        try:
            lines += part.read_text().splitlines()
        except OSError:
            continue
    for line in lines:
        if '"LogModelResult"' not in line:
            continue
        try:
            data = json.loads(line)["data"]
        except ValueError:
            continue  # the line being written right now
        if (
            str(data.get("status")).lower() in ("ok", "success")
            and data["node_info"].get("materialized") == "incremental"
        ):
            built.append(data["node_info"]["node_name"])
    return built


def test_kill_during_the_dbt_build_then_rerun(good_state, reference, tmp_path):
    t0 = time.monotonic()
    good_dir, good = good_state
    workdir = tmp_path / "w"
    _copy_state(good_dir, workdir)
    cmd = _pipeline(RERUN_DAYS)  # no trap: the kill comes from outside, timed on dbt's own log
    proc = _start_in_own_group(cmd, workdir, "killed.log")
    try:
        deadline = time.monotonic() + CRASH_POINT_TIMEOUT_S
        dbt_pid = log = None
        built: list[str] = []
        while len(built) < DBT_INCREMENTALS_BEFORE_KILL:
            assert proc.poll() is None, (
                f"the pipeline ended (exit {proc.returncode}) before it was killed:\n"
                + (workdir / "killed.log").read_text()[-4000:]
            )
            assert time.monotonic() < deadline, f"dbt did not build {DBT_INCREMENTALS_BEFORE_KILL} marts in time"
            # Half a second: the log runs to megabytes, and each incremental mart takes longer than that.
            time.sleep(0.5)
            dbt_pid = dbt_pid or _dbt_process(proc.pid)
            log = log or (_dbt_log(dbt_pid) if dbt_pid else None)
            built = _incremental_models_built(log) if log else []
        assert Path(f"/proc/{dbt_pid}").exists(), "dbt finished before the kill"
        _kill_group(proc)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=60)
    killed_at = time.monotonic() - t0
    # Killed mid-build: dbt had merged some incremental marts and had more to go.
    assert '"CommandCompleted"' not in log.read_text(), "dbt had completed its build before the kill"

    _assert_published_untouched(workdir, good)
    con = _open_killed_copy(workdir, tmp_path / "killed_copy")
    try:
        state = _raw_state(con)
        marts = _mart_state(con)
    finally:
        con.close()
    # The raw loads of the killed run were all committed before dbt started; the half-built marts open, and no
    # temporary relation of the interrupted build is left among them.
    missing = {
        t: sorted(ref.partitions - state.get(t, TableState(0, 0, "")).partitions) for t, ref in reference.raw.items()
    }
    assert not any(missing.values()), f"raw partitions missing before dbt ran: {missing}"
    assert set(marts) == set(good.marts), (
        f"the killed build left or lost mart relations: {set(marts) ^ set(good.marts)}"
    )

    rerun_s = _run_pipeline(workdir, RERUN_DAYS, "rerun.log")
    _assert_equals_reference(workdir, reference, good)
    TIMINGS[f"dbt kill: until the kill ({len(built)} incremental marts built)"] = killed_at
    TIMINGS["dbt kill: re-run"] = rerun_s
    TIMINGS["dbt kill: whole test"] = time.monotonic() - t0


def test_kill_during_publish_then_rerun(good_state, reference, tmp_path):
    t0 = time.monotonic()
    good_dir, good = good_state
    workdir = tmp_path / "w"
    _copy_state(good_dir, workdir)
    marker = tmp_path / "publish_held.json"
    cmd = _pipeline(RERUN_DAYS, "--marker", str(marker), "--trap", "publish")
    proc = _start_in_own_group(cmd, workdir, "killed.log")
    try:
        _wait_for_marker(proc, marker, workdir / "killed.log")
        held = json.loads(marker.read_text())
        _kill_group(proc)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=60)
    killed_at = time.monotonic() - t0
    # Killed between the copy and the rename: the whole new state sits beside the published file, not in it.
    copy = Path(held["copy"])
    assert copy.exists() and copy.parent == workdir, held
    published = workdir / "warehouse.published.duckdb"
    assert _sha256(published) == good.published_sha256, "the killed publish changed the published warehouse"

    rerun_s = _run_pipeline(workdir, RERUN_DAYS, "rerun.log")
    # The re-run publishes and reaps the dead publisher's copy (a whole warehouse that nobody else would delete).
    _assert_equals_reference(workdir, reference, good)
    assert not copy.exists(), f"the killed publish's copy {copy} was left behind by the re-run"
    TIMINGS["publish kill: until the kill"] = killed_at
    TIMINGS["publish kill: re-run"] = rerun_s
    TIMINGS["publish kill: whole test"] = time.monotonic() - t0


def test_a_publish_killed_before_its_rename_leaves_no_copy_after_the_next_publish(tmp_path):
    """The same crash point on a small warehouse, in seconds: the next publish reaps the dead one's copy."""
    warehouse = tmp_path / "warehouse.duckdb"
    con = duckdb.connect(str(warehouse))
    con.execute("create schema marts; create table marts.fct_x as select range as x from range(1000)")
    con.close()
    marker = tmp_path / "publish_held.json"
    script = (
        "import sys; from pathlib import Path\n"
        "from tests.reliability.crash_probe import install_publish_trap\n"
        "install_publish_trap(Path(sys.argv[1]), 120)\n"
        "from warehouse.publish import Publication, publish\n"
        "publish(Path(sys.argv[2]), publication=Publication('killed-run'))\n"
    )
    proc = subprocess.Popen([sys.executable, "-c", script, str(marker), str(warehouse)], cwd=ROOT)
    try:
        _wait_for_marker(proc, marker, None, timeout_s=120)
    finally:
        proc.kill()
        proc.wait(timeout=30)
    copy = Path(json.loads(marker.read_text())["copy"])
    published = tmp_path / "warehouse.published.duckdb"
    assert copy.exists() and not published.exists()

    from warehouse.publish import Publication, publish

    publish(warehouse, publication=Publication("next-run"))
    assert not copy.exists(), "the next publish left the killed publisher's copy behind"
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(
        ["warehouse.duckdb", "warehouse.published.duckdb", "publish_held.json"]
    )
    con = duckdb.connect(str(published), read_only=True)
    try:
        assert read_publication(con)["run_id"] == "next-run"
        assert con.execute("select count(*) from marts.fct_x").fetchone()[0] == 1000
    finally:
        con.close()


# A one-step job in the writer pool, executed in-process as run_pipeline does, that stops inside its step.
_POOL_STEP_SCRIPT = """
import sys, time
from pathlib import Path
from dagster import DagsterInstance, asset, define_asset_job, Definitions, in_process_executor
from orchestration.dead_runs import runner_tags

@asset(pool="duckdb_writer")
def held_slot():
    Path(sys.argv[1]).write_text("in the step")
    time.sleep(120)

job = define_asset_job("held_slot_job", executor_def=in_process_executor)
defs = Definitions(assets=[held_slot], jobs=[job])
defs.resolve_job_def("held_slot_job").execute_in_process(instance=DagsterInstance.get(), tags=runner_tags())
"""


def test_a_killed_run_does_not_keep_the_writer_pool_slot(tmp_path, monkeypatch):
    """A run_pipeline run killed inside a step kept its `duckdb_writer` slot, and the next run waited forever
    for it (found by the raw-load kill above): the next run now fails the dead run and frees the slot."""
    from dagster import DagsterInstance, DagsterRunStatus

    from orchestration.dead_runs import release_dead_runs

    home = tmp_path / "dagster_home"
    home.mkdir()
    shutil.copy(ROOT / "orchestration" / "dagster.yaml", home / "dagster.yaml")
    env = {**os.environ, "DAGSTER_HOME": str(home)}
    marker = tmp_path / "in_step"
    proc = subprocess.Popen([sys.executable, "-c", _POOL_STEP_SCRIPT, str(marker)], cwd=ROOT, env=env)
    try:
        _wait_for_marker(proc, marker, None, timeout_s=180)
    finally:
        proc.kill()
        proc.wait(timeout=30)

    monkeypatch.setenv("DAGSTER_HOME", str(home))
    with DagsterInstance.get() as instance:
        (run,) = instance.get_runs()
        assert run.status == DagsterRunStatus.STARTED
        claimed = instance.event_log_storage.get_concurrency_info("duckdb_writer").claimed_slots
        assert [s.run_id for s in claimed] == [run.run_id], "the killed run should hold the slot"

        released = release_dead_runs(instance)

        assert len(released) == 1 and run.run_id in released[0], released
        assert instance.get_run_by_id(run.run_id).status == DagsterRunStatus.FAILURE
        assert instance.event_log_storage.get_concurrency_info("duckdb_writer").claimed_slots == []
        assert release_dead_runs(instance) == []  # once is enough
