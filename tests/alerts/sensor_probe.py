"""Evaluate the `alerts_delivery` sensor once in a fresh process, as a restarted Dagster daemon would: the
sensor comes from `orchestration.definitions` (so it is registered there), the cursor is whatever the caller
says the daemon remembered (None when it was lost)."""

from __future__ import annotations

import json
import os
import subprocess
import sys

from tests.conftest import ROOT

PROBE = """
import json, sys
from dagster import build_sensor_context
from orchestration.definitions import defs

sensor = next(s for s in defs.sensors if s.name == "alerts_delivery")
tick = sensor.evaluate_tick(build_sensor_context(cursor=sys.argv[1] if len(sys.argv) > 1 else None))
requests = len(tick.run_requests or [])
print(json.dumps({"cursor": tick.cursor, "skip_message": tick.skip_message, "run_requests": requests}))
"""


def evaluate_sensor_in_new_process(env: dict[str, str], cursor: str | None = None, timeout: float = 300) -> dict:
    """One tick in a new `python -c` process with `env` over ours; its JSON, plus all it printed as `output`."""
    args = [sys.executable, "-c", PROBE] + ([cursor] if cursor is not None else [])
    proc = subprocess.run(args, cwd=ROOT, env={**os.environ, **env}, capture_output=True, text=True, timeout=timeout)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    out = json.loads(proc.stdout.strip().splitlines()[-1])
    out["output"] = proc.stdout + proc.stderr
    return out
