"""The `derivatives_tracker.py` command line: reports read from the published warehouse.

Start-up matters (traders run it every morning): nothing here imports Dagster, dbt or Great
Expectations; only duckdb and the standard library.
"""
