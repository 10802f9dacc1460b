"""The liquidation collector against the simulator's Binance stream, with a forced disconnect in the middle,
and the hourly load of its files into the raw layer (exactly once per file)."""

import asyncio
import json
from datetime import UTC, datetime, timedelta

import duckdb
import httpx
import pytest
from dagster import DagsterInstance, materialize

from ingest.config import Settings
from ingest.streams.collector import CollectorStats, collect
from ingest.streams.sink import HourlyFileSink, hour_file, read_hour
from ingest.streams.specs import BINANCE
from simulator.process import running_simulator

EPISODE_START = datetime(2026, 10, 1, tzinfo=UTC)
CASCADE = EPISODE_START + timedelta(hours=72)  # the long squeeze's cascade phase


@pytest.fixture(scope="module")
def cascade_sim():
    """A simulator whose clock runs through a liquidation cascade at 20 simulated minutes per second."""
    with running_simulator(
        now=CASCADE, speed=1200, episodes=[f"long_squeeze:BTC@{EPISODE_START.isoformat()}"], max_lifetime_s=300
    ) as sim:
        yield sim


async def _collect_with_a_drop(sim, sink, seconds: float, drop_after: float) -> CollectorStats:
    stop = asyncio.Event()
    stats = CollectorStats()
    task = asyncio.create_task(collect(BINANCE, Settings(simulator_url=sim.root), sink, stop, stats=stats))
    await asyncio.sleep(drop_after)
    async with httpx.AsyncClient() as client:
        dropped = (await client.post(f"{sim.root}/_sim/ws/drop", params={"venue": "binance"}, timeout=10)).json()
    assert dropped["dropped"] >= 1
    await asyncio.sleep(seconds - drop_after)
    stop.set()
    await asyncio.wait_for(task, timeout=30)
    return stats


def test_a_forced_disconnect_loses_nothing_sent_after_reconnection(cascade_sim, tmp_path):
    sink = HourlyFileSink(tmp_path, "binance", "simulator")
    stats = asyncio.run(_collect_with_a_drop(cascade_sim, sink, seconds=16, drop_after=4))
    assert stats.connections == 2 and stats.disconnects == 1  # reconnected once, by itself
    sent = httpx.get(f"{cascade_sim.root}/_sim/ws/sent", params={"venue": "binance"}, timeout=10).json()
    # Connection ids grow: the messages of the newest connection are those sent after the reconnection.
    newest = max(m["connection"] for m in sent)
    after_reconnect = [m["message"] for m in sent if m["connection"] == newest]
    assert after_reconnect, "the simulator sent liquidations after the reconnection"
    stored = [line["message"] for path in tmp_path.rglob("*.ndjson") for line in map(json.loads, path.open())]
    assert set(after_reconnect) <= set(stored)  # every message sent on the new connection was kept
    assert len(stored) == stats.stored == len(set(stored))  # nothing stored twice
    first = json.loads(after_reconnect[0])
    assert first["e"] == "forceOrder" and first["o"]["S"] in ("SELL", "BUY")


def test_an_hour_file_is_loaded_exactly_once(tmp_path, monkeypatch):
    from orchestration.assets.streams import STREAM_ASSETS

    monkeypatch.setenv("DW_WAREHOUSE_PATH", str(tmp_path / "w.duckdb"))
    monkeypatch.setenv("DW_COLLECTOR_DIR", str(tmp_path / "collector"))
    hour = datetime(2026, 1, 5, 9, tzinfo=UTC)
    sink = HourlyFileSink(tmp_path / "collector", "binance", "simulator")
    messages = [
        json.dumps(
            {
                "e": "forceOrder",
                "E": 1767603600000 + i,
                "o": {"s": "BTCUSDT", "S": "SELL", "q": "0.5", "p": "90000", "T": 1767603600000 + i},
            }
        )
        for i in range(3)
    ]
    for i, m in enumerate(messages):
        sink.append(m, hour + timedelta(minutes=i))
    sink.close()
    assert len(read_hour(tmp_path / "collector", "binance", hour)) == 3
    key = "2026-01-05-09:00"
    runs = [
        materialize([STREAM_ASSETS["binance"]], partition_key=key, instance=DagsterInstance.ephemeral())
        for _ in range(2)
    ]
    loaded = [
        r.asset_materializations_for_node(STREAM_ASSETS["binance"].op.name)[0].metadata["loaded"].value for r in runs
    ]
    assert loaded == [True, False]
    con = duckdb.connect(str(tmp_path / "w.duckdb"), read_only=True)
    assert con.execute("select count(*) from raw.binance__liquidations").fetchone()[0] == 3
    assert (
        con.execute("select count(*) from raw.load_manifest where raw_table = 'raw.binance__liquidations'").fetchone()[
            0
        ]
        == 1
    )
    assert con.execute("select min(http_status), min(data_mode) from raw.binance__liquidations").fetchone() == (
        101,
        "simulator",
    )
    assert hour_file(tmp_path / "collector", "binance", hour).exists()  # the file is kept as it was received
