"""Where a dataset's records sit inside Deribit's JSON-RPC envelope (`{"jsonrpc":..., "result": [...]}` or
`{"result": {"trades": [...]}}`): the raw check looks them up at that path and applies the record-level
contract (natural key, required fields, time field)."""

from __future__ import annotations

from dataclasses import dataclass, replace

from ingest.shapes import RecordShape


@dataclass(frozen=True)
class Records:
    path: tuple[str, ...]  # keys from the envelope down to the records, e.g. ("result", "trades")
    shape: RecordShape  # one record: its structure, natural key, required fields, time field

    @property
    def json_path(self) -> str:
        return "$." + ".".join(self.path)

    def raw_check_shape(self) -> RecordShape:
        """The record-level contract, looked up inside the JSON-RPC envelope."""
        return replace(self.shape, records_path=self.json_path)
