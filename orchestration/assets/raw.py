# No `from __future__ import annotations` here: Dagster inspects the context type hints at runtime.
"""Raw landing assets, one per venue dataset of the ingest registry.

Each partition is fetched through ingest/, replaced in its raw table in one transaction
(warehouse/load.py), then checked by a blocking check. A fetch that fails leaves the partition's last
good slice in place, keeps the failed bodies in raw.fetch_failures, and fails only this venue's
asset with its typed cause.
"""

from datetime import UTC

from dagster import (
    AssetCheckResult,
    AssetCheckSeverity,
    AssetCheckSpec,
    AssetExecutionContext,
    AssetKey,
    AssetsDefinition,
    BackfillPolicy,
    Failure,
    MaterializeResult,
    MetadataValue,
    asset,
)

from ingest.errors import ExchangeError
from ingest.registry import DATASETS, Cadence, DatasetSpec, fetch_partition
from ingest.windows import TimeWindow
from orchestration.partitions import daily_partitions, hourly_partitions
from orchestration.resources import VenueSettings
from warehouse.connection import connect_writer
from warehouse.load import load_partition, record_failure
from warehouse.raw_checks import check_raw_partition
from warehouse.schema import raw_table_name

RAW_CHECK = "raw_partition_valid"


def raw_asset_key(spec: DatasetSpec) -> AssetKey:
    return AssetKey(["raw", spec.venue, spec.dataset])


def _store_failures(result_failures, partition_key: str, run_id: str) -> None:
    if not result_failures:
        return
    with connect_writer() as con:
        for failed in result_failures:
            record_failure(con, failed.response, partition_key, failed.error_type, failed.error_message, run_id)


def build_raw_asset(spec: DatasetSpec) -> AssetsDefinition:
    is_history = spec.cadence == Cadence.DAILY_HISTORY
    partitions = daily_partitions if is_history else hourly_partitions
    key = raw_asset_key(spec)
    table = raw_table_name(spec.venue, spec.dataset)

    @asset(
        key=key,
        description=spec.description,
        partitions_def=partitions,
        # Every asset that writes the DuckDB file shares one pool slot: one writer at a time.
        pool="duckdb_writer",
        group_name=f"raw_{spec.venue}",
        kinds={"python", "duckdb"},
        # History backfills run many days in one run (one process, one client, one rate budget);
        # each day is still loaded and checked as its own partition slice.
        backfill_policy=BackfillPolicy.single_run() if is_history else None,
        check_specs=[
            AssetCheckSpec(
                RAW_CHECK,
                asset=key,
                blocking=True,
                description="Blocking: responses present, HTTP 200, valid JSON, required fields present, "
                "no duplicate natural keys, timestamps inside the partition window.",
            )
        ],
        metadata={"raw_table": table, "cadence": spec.cadence.value},
    )
    def _raw_asset(context: AssetExecutionContext, venue_settings: VenueSettings):
        settings = venue_settings.settings()
        outcomes, total_responses, total_requests, total_bytes = {}, 0, 0, 0
        for partition_key in context.partition_keys:
            tw = partitions.time_window_for_partition_key(partition_key)
            window = TimeWindow(tw.start.astimezone(UTC), tw.end.astimezone(UTC))
            if not is_history and not window.contains(settings.now()):
                raise Failure(
                    description=f"{spec.key}: snapshot data exists only for the current hour; partition "
                    f"{partition_key} is not current and cannot be backfilled from the venue.",
                    allow_retries=False,
                )
            try:
                result = fetch_partition(spec, settings, window)
            except ExchangeError as exc:
                _store_failures(getattr(exc, "failed_responses", []), partition_key, context.run_id)
                # Transient causes (rate limits, outages) are worth a later retry of the partition; bans,
                # bad requests and data beyond the venue's retention are not.
                raise Failure(
                    description=f"{spec.venue} {spec.dataset} partition {partition_key} failed: "
                    f"{type(exc).__name__}: {exc}",
                    metadata={
                        "venue": spec.venue,
                        "error_type": type(exc).__name__,
                        "http_status": exc.status if exc.status is not None else -1,
                        "retryable_later": exc.retryable,
                    },
                    allow_retries=exc.retryable,
                ) from exc
            with connect_writer() as con:
                for failed in result.failures:
                    record_failure(
                        con,
                        failed.response,
                        partition_key,
                        failed.error_type,
                        failed.error_message,
                        context.run_id,
                    )
                bounds = (window.start, window.end) if is_history else None
                loaded = load_partition(
                    con,
                    spec.venue,
                    spec.dataset,
                    partition_key,
                    result.responses,
                    context.run_id,
                    check=lambda c, t, k, bounds=bounds: check_raw_partition(c, t, k, spec.shape, bounds),
                )
                outcome = loaded.check
            outcomes[partition_key] = outcome
            total_responses += loaded.response_count
            total_requests += result.request_count
            total_bytes += loaded.payload_bytes
            context.log.info(
                f"{table} {partition_key}: {loaded.response_count} responses, {outcome.metadata.get('records', 0)} "
                f"records, {result.request_count} requests, skipped assets {result.skipped_assets or 'none'}"
            )
        failed = {k: o for k, o in outcomes.items() if not o.passed}
        check_metadata = {
            "partitions_checked": len(outcomes),
            "failed_partitions": MetadataValue.json({k: o.failures for k, o in failed.items()}),
            "records": sum(o.metadata.get("records", 0) for o in outcomes.values()),
        }
        return MaterializeResult(
            metadata={
                "raw_table": table,
                "responses": total_responses,
                "requests": total_requests,
                "payload_bytes": total_bytes,
                "data_mode": settings.data_mode,
            },
            check_results=[
                AssetCheckResult(
                    check_name=RAW_CHECK,
                    passed=not failed,
                    severity=AssetCheckSeverity.ERROR,
                    metadata=check_metadata,
                    description="; ".join(f"{k}: {' | '.join(o.failures)}" for k, o in failed.items()) or None,
                )
            ],
        )

    return _raw_asset


RAW_ASSETS: dict[str, AssetsDefinition] = {spec.key: build_raw_asset(spec) for spec in DATASETS}
HISTORY_RAW_ASSETS = [RAW_ASSETS[s.key] for s in DATASETS if s.cadence == Cadence.DAILY_HISTORY]
SNAPSHOT_RAW_ASSETS = [RAW_ASSETS[s.key] for s in DATASETS if s.cadence == Cadence.HOURLY_SNAPSHOT]
