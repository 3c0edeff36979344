"""The server's WAL loop copies the log back into the database file without stopping writers."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import text

from jiaoguan.platform.db import Database
from jiaoguan.platform.wal import checkpoint_passive


def test_a_passive_checkpoint_copies_the_whole_log(tmp_path: Path) -> None:
    database = Database(f"sqlite:///{tmp_path / 'wal.db'}")
    try:
        with database.engine.begin() as conn:
            conn.execute(text("CREATE TABLE t (x INTEGER)"))
            conn.execute(text("INSERT INTO t VALUES (1), (2), (3)"))
        busy, frames, copied = checkpoint_passive(database)
        assert busy == 0 and frames > 0 and copied == frames
        assert (tmp_path / "wal.db").stat().st_size > 0  # the pages are in the database file
    finally:
        database.dispose()
