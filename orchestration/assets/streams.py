# No `from __future__ import annotations` here: Dagster inspects the context type hints at runtime.
"""Raw assets for stream-only data (liquidations on Binance, Bybit, BitMEX): each hourly partition loads
the collector's file for that hour once the hour is closed. The collector itself is a separate,
long-running process (`python -m ingest.collect_liquidations`)."""

from datetime import UTC

from dagster import (
    AssetCheckResult,
    AssetCheckSeverity,
    AssetCheckSpec,
    AssetExecutionContext,
    AssetKey,
    AssetsDefinition,
    Failure,
    MaterializeResult,
    asset,
)

from ingest.streams.loader import DATASET, hour_records
from ingest.streams.sink import collector_dir, hour_file, is_closed
from ingest.streams.specs import STREAMS, StreamSpec
from orchestration.assets.raw import RAW_CHECK
from orchestration.partitions import hourly_partitions
from warehouse.connection import connect_writer
from warehouse.load import load_partition, partition_hash
from warehouse.raw_checks import check_raw_partition
from warehouse.schema import ensure_bookkeeping, raw_table_name


def build_stream_asset(spec: StreamSpec) -> AssetsDefinition:
    key = AssetKey(["raw", spec.venue, DATASET])
    table = raw_table_name(spec.venue, DATASET)

    @asset(
        key=key,
        description=f"{spec.venue} liquidations from the websocket collector, one hour file per partition. {spec.note}",
        partitions_def=hourly_partitions,
        pool="duckdb_writer",
        group_name=f"raw_{spec.venue}",
        kinds={"python", "duckdb"},
        check_specs=[AssetCheckSpec(RAW_CHECK, asset=key, blocking=True, description="Blocking: messages parse.")],
        metadata={"raw_table": table, "cadence": "hourly_stream"},
    )
    def _stream_asset(context: AssetExecutionContext):
        root = collector_dir()
        hour = hourly_partitions.time_window_for_partition_key(context.partition_key).start.astimezone(UTC)
        if not is_closed(hour):
            raise Failure(
                description=f"{spec.venue} hour {hour:%Y-%m-%d %H}:00 is not closed yet; load it after it ends"
            )
        path = hour_file(root, spec.venue, hour)
        if not path.exists():
            raise Failure(
                description=f"no collector file {path}: the {spec.venue} liquidation collector was not running "
                "that hour (start it with `python -m ingest.collect_liquidations`); the gap cannot be refetched"
            )
        records = hour_records(root, spec, hour)
        digest = partition_hash(records)
        with connect_writer() as con:
            ensure_bookkeeping(con)
            previous = con.execute(
                "select partition_sha256 from raw.load_manifest where raw_table = ? and partition_key = ? "
                "order by loaded_at desc limit 1",
                [table, context.partition_key],
            ).fetchone()
            if previous and previous[0] == digest:
                # The same file was loaded before: an hour file is loaded exactly once.
                outcome = check_raw_partition(con, table, context.partition_key, spec.shape)
                loaded_now = False
            else:
                loaded = load_partition(
                    con,
                    spec.venue,
                    DATASET,
                    context.partition_key,
                    records,
                    context.run_id,
                    check=lambda c, t, k: check_raw_partition(c, t, k, spec.shape),
                )
                outcome = loaded.check
                loaded_now = True
        return MaterializeResult(
            metadata={"raw_table": table, "messages": len(records), "file": str(path), "loaded": loaded_now},
            check_results=[
                AssetCheckResult(
                    check_name=RAW_CHECK,
                    passed=outcome.passed,
                    severity=AssetCheckSeverity.ERROR,
                    metadata={"records": outcome.metadata.get("records", 0)},
                    description="; ".join(outcome.failures) or None,
                )
            ],
        )

    return _stream_asset


STREAM_ASSETS: dict[str, AssetsDefinition] = {v: build_stream_asset(s) for v, s in STREAMS.items()}
