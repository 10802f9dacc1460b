import duckdb
import pytest

from warehouse.paths import published_path
from warehouse.publish import publish


def test_publish_swaps_in_a_readable_copy(tmp_path):
    src = tmp_path / "w.duckdb"
    con = duckdb.connect(str(src))
    con.execute("create table t as select 1 as x")
    con.close()
    dst = publish(src)
    assert dst == published_path(src) == tmp_path / "w.published.duckdb"
    reader = duckdb.connect(str(dst), read_only=True)
    assert reader.execute("select x from t").fetchall() == [(1,)]
    # A reader holding the old file keeps a consistent view while a new one is published.
    con = duckdb.connect(str(src))
    con.execute("insert into t values (2)")
    con.close()
    publish(src)
    assert reader.execute("select count(*) from t").fetchone()[0] == 1
    reader.close()
    assert duckdb.connect(str(dst), read_only=True).execute("select count(*) from t").fetchone()[0] == 2
    assert not list(tmp_path.glob(".*tmp*"))


def test_publish_refuses_while_the_write_ahead_log_holds_unflushed_writes(tmp_path):
    src = tmp_path / "w.duckdb"
    duckdb.connect(str(src)).close()
    (tmp_path / "w.duckdb.wal").write_bytes(b"pending")
    with pytest.raises(RuntimeError, match="write-ahead log"):
        publish(src)
