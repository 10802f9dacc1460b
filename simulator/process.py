"""Start the simulator as its own process and wait until it serves (used by the pipeline runner,
the tests and the benchmarks)."""

from __future__ import annotations

import contextlib
import json
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import datetime

import httpx


class SimulatorProcess:
    def __init__(self, proc: subprocess.Popen, root: str):
        self.proc, self.root = proc, root

    def requests_summary(self) -> dict:
        return httpx.get(f"{self.root}/_sim/requests", timeout=10).json()

    def full_log(self) -> list[dict]:
        return httpx.get(f"{self.root}/_sim/requests", params={"full": 1}, timeout=30).json()["entries"]

    def reset(self) -> None:
        httpx.post(f"{self.root}/_sim/reset", timeout=10).raise_for_status()

    def add_fault(self, spec: dict) -> None:
        r = httpx.post(f"{self.root}/_sim/faults", json=spec, timeout=10)
        if r.status_code != 200:
            raise ValueError(f"the simulator refused fault {spec}: {r.text}")

    def set_limits(self, overrides: dict) -> None:
        httpx.post(f"{self.root}/_sim/limits", json=overrides, timeout=10).raise_for_status()

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=10)


@contextlib.contextmanager
def running_simulator(
    port: int = 0,
    now: datetime | None = None,
    limits: dict | None = None,
    seed: int = 7,
    speed: float = 0.0,
    episodes: list[str] | None = None,
    startup_timeout: float = 60.0,
    max_lifetime_s: float = 3600.0,
) -> Iterator[SimulatorProcess]:
    """Start `python -m simulator` on 127.0.0.1 and yield it once it prints its READY line.

    `max_lifetime_s` bounds the process even if this context is never exited (a killed test run).
    """
    cmd = [
        sys.executable,
        "-m",
        "simulator",
        "--port",
        str(port),
        "--seed",
        str(seed),
        "--run-seconds",
        str(max_lifetime_s),
    ]
    if now is not None:
        cmd += ["--now", now.isoformat()]
    if limits:
        cmd += ["--limits", json.dumps(limits)]
    if speed:
        cmd += ["--speed", str(speed)]
    for episode in episodes or []:
        cmd += ["--episode", episode]
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    deadline = time.monotonic() + startup_timeout
    root = None
    lines = []
    assert proc.stdout is not None
    while time.monotonic() < deadline:
        line = proc.stdout.readline()
        if not line:
            if proc.poll() is not None:
                break
            continue
        lines.append(line)
        if line.startswith("SIMULATOR READY "):
            root = line.split()[-1]
            break
    if root is None:
        proc.kill()
        raise RuntimeError("exchange simulator did not start:\n" + "".join(lines))
    sim = SimulatorProcess(proc, root)
    try:
        yield sim
    finally:
        sim.stop()
