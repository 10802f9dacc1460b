"""Runs whose process died (kill -9, the OOM killer, a power cut) never end by themselves.

`run_pipeline` executes its jobs in its own process (execute_in_process), so no run worker or daemon watches
them: a run killed mid-step stays STARTED in the Dagster instance and keeps the `duckdb_writer` pool slot its
step had claimed. With the pool's limit of one, every later run, of this command or of a schedule, then
waits for that slot forever. Each run of this command is tagged with its process, and the next one marks the
runs of dead processes as failed and frees their slots before it starts.
"""

from __future__ import annotations

import os
import socket

from dagster import DagsterInstance, DagsterRunStatus, RunsFilter

from warehouse.publish import process_alive

RUNNER_PID_TAG = "dw/runner_pid"
RUNNER_HOST_TAG = "dw/runner_host"

_IN_PROGRESS = [
    DagsterRunStatus.NOT_STARTED,
    DagsterRunStatus.STARTING,
    DagsterRunStatus.STARTED,
    DagsterRunStatus.CANCELING,
]


def runner_tags() -> dict[str, str]:
    """The tags that tie a run to the process executing it."""
    return {RUNNER_PID_TAG: str(os.getpid()), RUNNER_HOST_TAG: socket.gethostname()}


def release_dead_runs(instance: DagsterInstance) -> list[str]:
    """Fail the in-progress runs of this host whose process is gone and free their pool slots; says what it did.

    Only runs tagged by runner_tags() on this host are judged: a run launched by the daemon, or by another
    machine, is not ours to end."""
    host = socket.gethostname()
    released = []
    for run in instance.get_runs(filters=RunsFilter(statuses=_IN_PROGRESS, tags={RUNNER_HOST_TAG: host})):
        pid = run.tags.get(RUNNER_PID_TAG, "")
        if not pid.isdigit() or int(pid) == os.getpid() or process_alive(int(pid)):
            continue
        instance.report_run_failed(run, f"its process {pid} died before the run ended (killed?)")
        if instance.event_log_storage.supports_global_concurrency_limits:
            instance.event_log_storage.free_concurrency_slots_for_run(run.run_id)
        released.append(f"run {run.run_id} ({run.job_name}) of dead process {pid}: marked failed, pool slots freed")
    return released
