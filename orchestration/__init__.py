"""Dagster wiring: one Definitions built from small modules. It wires ingest/, warehouse/ and the dbt
project together; the business logic lives in those rooms, not here."""
