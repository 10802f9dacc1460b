"""Ingestion: per-venue endpoint definitions on one shared HTTP layer (client, rate budgets, retry
policy, typed errors, raw envelopes). Plain Python, no Dagster: orchestration wires it."""
