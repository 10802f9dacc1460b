"""Running the command line as users do: a real process from the repository root."""

from __future__ import annotations

import subprocess
import sys

from tests.conftest import ROOT


def run_cli(args: list[str], env: dict, check: bool) -> subprocess.CompletedProcess:
    """`python derivatives_tracker.py ARGS`; with `check`, a non-zero exit fails the test showing stderr."""
    proc = subprocess.run(
        [sys.executable, "derivatives_tracker.py", *args], cwd=ROOT, env=env, capture_output=True, text=True
    )
    if check:
        assert proc.returncode == 0, f"{args}: exit {proc.returncode}: {proc.stderr}"
    return proc
