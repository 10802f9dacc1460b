"""One warehouse operation in its own process, for the disk-full tests (a child can carry RLIMIT_FSIZE).

    python -m tests.reliability.harden_disk_ops load|publish|writer WAREHOUSE [PARTITION]

Prints `FAILED <ExceptionType>: <first line>` on stderr and exits 1 when the operation raises, so the test can
read the error a caller of the library function would see.
"""

from __future__ import annotations

import random
import string
import sys
from datetime import UTC, datetime
from pathlib import Path

from ingest.envelope import RawResponse
from warehouse.connection import connect_writer
from warehouse.load import load_partition
from warehouse.publish import Publication, publish

RESPONSES_PER_PARTITION = 40
PAYLOAD_CHARS = 80_000  # about 3 MB a partition: enough to overflow the little room left on a full disk


def responses(partition: str) -> list[RawResponse]:
    rnd = random.Random(partition)  # the same partition always has the same bytes
    fetched_at = datetime(2026, 11, 20, tzinfo=UTC)
    return [
        RawResponse(
            "binance",
            "funding_rate",
            "/fapi/v1/fundingRate",
            {"page": page, "partition": partition},
            200,
            fetched_at,
            "".join(rnd.choices(string.ascii_letters + string.digits, k=PAYLOAD_CHARS)),
            page,
            "simulator",
        )
        for page in range(RESPONSES_PER_PARTITION)
    ]


def load(warehouse: Path, partition: str) -> None:
    with connect_writer(warehouse, wait_seconds=2) as con:
        load_partition(con, "binance", "funding_rate", partition, responses(partition), run_id=f"run-{partition}")
        con.execute("checkpoint")


def main(argv: list[str]) -> int:
    op, warehouse = argv[0], Path(argv[1])
    try:
        if op == "load":
            load(warehouse, argv[2])
        elif op == "publish":
            publish(warehouse, publication=Publication(run_id=argv[2] if len(argv) > 2 else "harden"))
        elif op == "writer":
            with connect_writer(warehouse, wait_seconds=2):
                pass
        else:
            raise SystemExit(f"unknown op {op}")
    except Exception as exc:  # noqa: BLE001 - reported to the parent test as one line
        first = str(exc).splitlines()[0] if str(exc) else ""
        print(f"FAILED {type(exc).__name__}: {first}", file=sys.stderr)
        return 1
    print("OK")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
