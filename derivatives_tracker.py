#!/usr/bin/env python3
"""Crypto derivatives reports from the published warehouse: `python derivatives_tracker.py funding BTC`."""

import sys

from tracker.cli import entry

if __name__ == "__main__":
    sys.exit(entry())
