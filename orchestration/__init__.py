"""Dagster wiring: one Definitions built from small modules. It wires ingest/, warehouse/ and the dbt
project together; the business logic lives in those rooms, not here."""

import warnings

from dagster import BetaWarning

# Backfill policies are beta in this Dagster release; we rely on them knowingly.
warnings.filterwarnings("ignore", category=BetaWarning)
