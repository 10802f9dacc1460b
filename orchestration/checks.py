# No `from __future__ import annotations` here: Dagster inspects the context type hints at runtime.
"""The quality gate of the marts job, as blocking asset checks (visible per asset in the Dagster UI).

Layers, in the order a marts run meets them:
1. `raw_gate` (one check per raw asset): the latest load of every raw partition in the run's window passed
   its blocking raw check. It blocks the dbt step, so nothing is built over bad raw data.
2. dbt tests, surfaced by dagster-dbt as checks on the dbt assets; a failing test fails `dbt build`.
3. `mart_suites` (one check per mart): Great Expectations suites on the window's rows (warehouse/mart_checks.py).
Publishing depends on every mart, so a failed blocking check in any layer leaves the published file as it was.
Check metadata names the cause: the table and partition, or the venue, rows and sample values.
"""

from dagster import (
    AssetCheckExecutionContext,
    AssetCheckResult,
    AssetCheckSeverity,
    AssetCheckSpec,
    MetadataValue,
    multi_asset_check,
)

from ingest.registry import raw_tables
from orchestration.assets.dbt import dbt_models
from orchestration.assets.raw import RAW_ASSETS
from orchestration.assets.streams import STREAM_ASSETS
from orchestration.partitions import partition_keys_in, run_window
from warehouse.connection import connect_writer
from warehouse.raw_gate import failed_loads
from warehouse.schema import raw_table_name

RAW_GATE_CHECK = "window_loads_passed"
MART_SUITE_CHECK = "gx_suite"

# raw table -> asset key, for every raw asset a marts run reads (keys are raw/<venue>/<dataset>).
_RAW_KEYS = {
    raw_table_name(a.key.path[1], a.key.path[2]): a.key for a in (*RAW_ASSETS.values(), *STREAM_ASSETS.values())
}
assert set(_RAW_KEYS) >= {raw_table_name(v, d) for v, d in raw_tables()}, "a raw table has no asset"

MART_KEYS = sorted((k for k in dbt_models.keys if k.path[0] == "marts"), key=lambda k: k.to_user_string())


@multi_asset_check(
    specs=[
        AssetCheckSpec(
            RAW_GATE_CHECK,
            asset=key,
            blocking=True,
            description="Blocking, in the marts run: the latest load of every partition of this raw table in the "
            "run's window passed its raw check. A failed one stops dbt and publishing.",
        )
        for key in _RAW_KEYS.values()
    ],
    name="raw_gate",
    description="Stops a marts run whose window holds a raw partition that failed its blocking raw check.",
)
def raw_gate(context: AssetCheckExecutionContext):
    window = run_window(context.run.tags)
    keys = partition_keys_in(window)
    with connect_writer() as con:
        failed = failed_loads(con, list(_RAW_KEYS), keys)
    if failed:
        context.log.error(
            "raw gate: "
            + "; ".join(f"{t} {p['partition']}: {' | '.join(p['failures'])}" for t, ps in failed.items() for p in ps)
        )
    for table, key in _RAW_KEYS.items():
        bad = failed.get(table, [])
        yield AssetCheckResult(
            asset_key=key,
            check_name=RAW_GATE_CHECK,
            passed=not bad,
            severity=AssetCheckSeverity.ERROR,
            description="; ".join(f"{p['partition']}: {' | '.join(p['failures'])}" for p in bad) or None,
            metadata={
                "raw_table": table,
                "window": f"[{window[0].isoformat()}, {window[1].isoformat()})",
                "failed_partitions": MetadataValue.json(bad),
            },
        )


@multi_asset_check(
    specs=[
        AssetCheckSpec(
            MART_SUITE_CHECK,
            asset=key,
            blocking=True,
            description="Blocking: Great Expectations suite on the run window's rows (value ranges, funding caps per "
            "venue, cross-venue prices, completeness per venue and hour).",
        )
        for key in MART_KEYS
    ],
    name="mart_suites",
    description="Great Expectations suites on every published mart; any failure stops publishing.",
)
def mart_suites(context: AssetCheckExecutionContext):
    from warehouse.mart_checks import plan_slices, run_suites

    window = run_window(context.run.tags)
    names = [k.path[-1] for k in MART_KEYS]
    with connect_writer() as con:
        outcomes = run_suites(con, plan_slices(con, names, window))
    for key in MART_KEYS:
        outcome = outcomes.get(key.path[-1])
        if outcome is None:  # the mart is not in this warehouse: nothing to publish from it
            yield AssetCheckResult(asset_key=key, check_name=MART_SUITE_CHECK, passed=True, description="not built")
            continue
        if not outcome.passed:
            log = context.log.error if outcome.blocking_failed else context.log.warning
            log(f"{key.to_user_string()}: {outcome.description}")
        yield AssetCheckResult(
            asset_key=key,
            check_name=MART_SUITE_CHECK,
            passed=outcome.passed,
            # Only blocking expectations stop publishing; a stale source is a warning on the freshness mart.
            severity=AssetCheckSeverity.ERROR if outcome.blocking_failed else AssetCheckSeverity.WARN,
            description=outcome.description[:1000],
            metadata={
                "rows_checked": outcome.rows_checked,
                "expectations": outcome.expectations,
                "failed_expectations": MetadataValue.json(outcome.failures),
                "window": f"[{window[0].isoformat()}, {window[1].isoformat()})",
            },
        )


GATE_CHECKS = [raw_gate, mart_suites]
