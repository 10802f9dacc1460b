"""Disk full or an unwritable warehouse path: a clear one-line error naming the path and the cause, nothing corrupted.

The fast cases (default run) use the library functions and the runner's pre-flight check on a small tmpfs or a
read-only mount; the slow case (`-m reliability`) builds a real published warehouse with the pipeline on a small
disk, fills the disk, runs the pipeline again, and checks that readers keep a byte-identical published copy and
that a re-run after freeing space succeeds.
"""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

from tests.reliability.harden_disk_ops import RESPONSES_PER_PARTITION
from tests.reliability.harden_disk_ops import load as load_partition_of
from tests.reliability.harden_fs import SmallDisk, small_disk, unwritable_dir
from warehouse.connection import WarehouseStorageError, connect_writer
from warehouse.paths import published_path
from warehouse.publish import Publication, publish

ROOT = Path(__file__).resolve().parents[2]
RAW_TABLE = "raw.binance__funding_rate"
FIXED_NOW = "2026-11-21T08:00:00Z"


def _env(warehouse: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("DAGSTER_HOME", "DW_SIMULATOR_URL", "DW_DEBUG")}
    env.update(DW_WAREHOUSE_PATH=str(warehouse), DW_ASSETS="BTC,ETH,SOL", **extra)
    return env


def _run(args: list[str], warehouse: Path, disk: SmallDisk | None = None, timeout: float = 120):
    return subprocess.run(
        [sys.executable, *args],
        cwd=ROOT,
        env=_env(warehouse),
        capture_output=True,
        text=True,
        timeout=timeout,
        preexec_fn=disk.child_limits() if disk else None,
    )


def _op(op: str, warehouse: Path, arg: str, disk: SmallDisk | None = None):
    return _run(["-m", "tests.reliability.harden_disk_ops", op, str(warehouse), arg], warehouse, disk)


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _lines(text: str) -> list[str]:
    return [line for line in text.splitlines() if line.strip()]


def _partitions(path: Path) -> dict[str, int]:
    con = duckdb.connect(str(path), read_only=True)
    try:
        rows = con.execute(f"select partition_key, count(*) from {RAW_TABLE} group by 1 order by 1").fetchall()
    finally:
        con.close()
    return dict(rows)


def _report(json_text: str) -> dict:
    """A CLI JSON report without the moment it was generated (the only field that differs between two reads)."""
    report = json.loads(json_text)
    report.pop("generated_at")
    return report


def _leftovers(directory: Path) -> list[str]:
    return sorted(p.name for p in directory.iterdir() if ".tmp-" in p.name)


# --- unwritable warehouse path ---------------------------------------------------------------------------------


@pytest.fixture
def unwritable(tmp_path):
    with unwritable_dir(tmp_path) as place:
        yield place


def test_writer_connection_names_the_path_and_the_cause(unwritable):
    target = unwritable.directory / "warehouse.duckdb"
    with pytest.raises(WarehouseStorageError) as raised, connect_writer(target, wait_seconds=1):
        pass
    message = str(raised.value)
    assert "\n" not in message
    assert str(unwritable.directory) in message
    assert unwritable.cause in message.lower(), (unwritable.how, message)


def test_publish_to_an_unwritable_place_names_it_and_leaves_nothing(tmp_path, unwritable):
    warehouse = tmp_path / "warehouse.duckdb"
    load_partition_of(warehouse, "2026-11-19")
    target = unwritable.directory / "warehouse.published.duckdb"
    with pytest.raises(WarehouseStorageError) as raised:
        publish(warehouse, target=target, publication=Publication(run_id="unwritable"))
    message = str(raised.value)
    assert "\n" not in message and str(target) in message and unwritable.cause in message.lower(), message
    assert _leftovers(tmp_path) == []
    assert _partitions(warehouse) == {"2026-11-19": RESPONSES_PER_PARTITION}  # the working file is untouched


def test_pipeline_refuses_an_unwritable_warehouse_in_one_line(unwritable):
    warehouse = unwritable.directory / "warehouse.duckdb"
    done = _run(["-m", "orchestration.run_pipeline", "--simulator", "--days", "1"], warehouse)
    assert done.returncode == 1, done.stdout + done.stderr
    assert "Traceback" not in done.stdout + done.stderr
    lines = _lines(done.stderr)
    assert len(lines) == 1, done.stderr
    assert lines[0].startswith("error: ") and str(unwritable.directory) in lines[0], lines[0]
    assert unwritable.cause in lines[0].lower(), lines[0]
    assert "exchange simulator serving" not in done.stdout  # refused before anything started


def test_cli_on_an_unwritable_empty_warehouse_says_no_data(unwritable):
    warehouse = unwritable.directory / "warehouse.duckdb"
    done = _run(["derivatives_tracker.py", "funding", "BTC"], warehouse)
    assert done.returncode == 4, done.stdout + done.stderr  # ERR_NO_DATA
    assert "Traceback" not in done.stderr
    first = _lines(done.stderr)[0]
    assert first.startswith("ERR_NO_DATA: ") and str(published_path(warehouse)) in first, first


# --- disk full ------------------------------------------------------------------------------------------------


def test_disk_full_load_and_publish_keep_the_good_state(tmp_path):
    with small_disk(tmp_path / "disk", 48) as disk:
        warehouse = disk.directory / "warehouse.duckdb"
        published = published_path(warehouse)
        assert _op("load", warehouse, "2026-11-19").returncode == 0
        assert _op("publish", warehouse, "good").returncode == 0
        good = _sha256(published)

        disk.fill(leave_bytes=256 * 1024)
        load = _op("load", warehouse, "2026-11-20", disk)
        assert load.returncode == 1, load.stdout + load.stderr
        assert disk.cause in load.stderr.lower() and str(disk.directory) in load.stderr, load.stderr
        assert "no transaction is active" not in load.stderr  # the real cause, not the failed rollback

        # The publish copy needs room for a whole warehouse: fill what the failed load gave back.
        disk.fill(leave_bytes=64 * 1024)
        pub = _op("publish", warehouse, "while-full", disk)
        assert pub.returncode == 1, pub.stdout + pub.stderr
        assert pub.stderr.startswith("FAILED WarehouseStorageError: cannot publish"), pub.stderr
        assert disk.cause in pub.stderr.lower() and str(published) in pub.stderr, pub.stderr

        # Readers: the same bytes, opening read-only with the data of the good state; no half-written copy.
        assert _sha256(published) == good
        assert _partitions(published) == {"2026-11-19": RESPONSES_PER_PARTITION}
        assert _leftovers(disk.directory) == []

        disk.release()
        # The working warehouse survived: the failed partition is absent (its transaction never committed).
        assert _op("load", warehouse, "2026-11-20").returncode == 0
        assert _op("publish", warehouse, "after-freeing").returncode == 0
        assert _partitions(published) == {"2026-11-19": RESPONSES_PER_PARTITION, "2026-11-20": RESPONSES_PER_PARTITION}
        assert _sha256(published) != good


def test_pipeline_on_a_full_disk_refuses_in_one_line(tmp_path):
    with small_disk(tmp_path / "disk", 48) as disk:
        if not disk.mounted:
            pytest.skip("needs a tmpfs to fill (mount refused); the RLIMIT_FSIZE case is in the slow test")
        warehouse = disk.directory / "warehouse.duckdb"
        assert _op("load", warehouse, "2026-11-19").returncode == 0
        assert _op("publish", warehouse, "good").returncode == 0
        good = _sha256(published_path(warehouse))
        disk.fill(leave_bytes=0)
        done = _run(["-m", "orchestration.run_pipeline", "--simulator", "--days", "1"], warehouse)
        assert done.returncode == 1, done.stdout + done.stderr
        lines = _lines(done.stderr)
        assert len(lines) == 1 and "Traceback" not in done.stdout, done.stdout + done.stderr
        assert str(disk.directory) in lines[0] and "no space left on device" in lines[0], lines[0]
        assert _sha256(published_path(warehouse)) == good
        assert _leftovers(disk.directory) == []


# --- the whole pipeline filling the disk mid-run (slow) -------------------------------------------------------


def _pipeline(warehouse: Path, disk: SmallDisk):
    args = ["-m", "orchestration.run_pipeline", "--simulator", "--days", "1", "--now", FIXED_NOW]
    return _run(args, warehouse, disk, timeout=1500)


def _remount(directory: Path, mode: str) -> None:
    subprocess.run(["mount", "-o", f"remount,{mode}", str(directory)], check=True, capture_output=True)


@pytest.mark.reliability
@pytest.mark.timeout(3600)  # several pipeline runs on a shared machine
def test_pipeline_disk_full_mid_run_keeps_readers_whole_and_recovers(tmp_path):
    with small_disk(tmp_path / "disk", 200) as disk:
        if not disk.mounted:
            # RLIMIT_FSIZE would also cap dbt's manifest and logs in the shared dbt_project/, not just the warehouse.
            pytest.skip("needs a tmpfs to fill (mount refused); load and publish on EFBIG are covered by the fast test")
        warehouse = disk.directory / "warehouse.duckdb"
        published = published_path(warehouse)
        first = _pipeline(warehouse, disk)
        assert first.returncode == 0, first.stdout[-3000:] + first.stderr[-3000:]
        good = _sha256(published)
        cli = _run(["derivatives_tracker.py", "funding", "BTC", "--output", "json"], warehouse)
        assert cli.returncode == 0, cli.stderr

        # Room for the pre-flight probe and the run's start, not for the loads and the publish copy.
        disk.fill(leave_bytes=4 * 1024 * 1024)
        full = _pipeline(warehouse, disk)
        out = full.stdout + full.stderr
        print(full.stdout[-3000:])  # shown with -rP: what an operator sees when the disk fills mid-run
        assert full.returncode == 1, out[-4000:]
        assert "Traceback" not in out, out[-4000:]
        # The runner's own one-line failure summaries (not only Dagster's log on stderr) name the cause.
        failures = [line for line in full.stdout.splitlines() if "failure:" in line]
        assert any(disk.cause in line.lower() for line in failures), full.stdout[-4000:]
        assert "readers keep the last published warehouse" in full.stdout
        assert _sha256(published) == good
        assert _leftovers(disk.directory) == []
        again = _run(["derivatives_tracker.py", "funding", "BTC", "--output", "json"], warehouse)
        assert again.returncode == 0 and _report(again.stdout) == _report(cli.stdout), again.stderr

        disk.release()
        recovered = _pipeline(warehouse, disk)
        assert recovered.returncode == 0, recovered.stdout[-3000:] + recovered.stderr[-3000:]
        assert _sha256(published) != good  # a new publication (new run id and time) replaced the old one
        con = duckdb.connect(str(published), read_only=True)
        try:
            assert con.execute("select count(*) from marts.fct_funding_rates").fetchone()[0] > 0
        finally:
            con.close()

        if disk.mounted:
            # The same warehouse on a read-only mount: the runner refuses in one line, readers still read.
            _remount(disk.directory, "ro")
            try:
                refused = _pipeline(warehouse, disk)
                assert refused.returncode == 1 and len(_lines(refused.stderr)) == 1, refused.stderr
                assert "read-only file system" in refused.stderr.lower(), refused.stderr
                reader = _run(["derivatives_tracker.py", "funding", "BTC", "--output", "json"], warehouse)
                assert reader.returncode == 0, reader.stderr
            finally:
                _remount(disk.directory, "rw")
