"""Turn a closed hour file of stream messages into raw envelopes for the raw layer (one per message)."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from ingest.envelope import RawResponse
from ingest.streams.sink import read_hour
from ingest.streams.specs import StreamSpec

DATASET = "liquidations"
WS_STATUS = 101  # Switching Protocols: the message came over an upgraded websocket connection


def hour_records(root: Path, spec: StreamSpec, hour: datetime) -> list[RawResponse]:
    records = []
    for i, line in enumerate(read_hour(root, spec.venue, hour)):
        records.append(
            RawResponse(
                venue=spec.venue,
                dataset=DATASET,
                endpoint=spec.path,
                params={},
                http_status=WS_STATUS,
                fetched_at=datetime.fromisoformat(line["received_at"]),
                payload=line["message"],
                page=i,
                data_mode=line.get("data_mode", "live"),
            )
        )
    return records
