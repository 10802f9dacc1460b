"""DuckDB warehouse: one file, the raw landing layer, idempotent partition loads and publishing.

No Dagster here: the orchestration layer calls these functions, and so do tests and benchmarks.
"""
