"""SQLite: a loop of each server process copies the write-ahead log back into the database file.

Connections do it themselves every 64 MB of log (`wal_autocheckpoint`, platform/db.py), inside
the commit that crosses the mark: on a database of a few GB that commit then takes a few hundred
milliseconds, and every writer queued behind it waits (alert latency). Copied every second,
PASSIVE (writers go on meanwhile), the log rarely grows that far. Loads without a server (the
`checkpoint load` command) keep the connections' own, cheaper rhythm.
"""

from __future__ import annotations

import asyncio

from fastapi import FastAPI

from jiaoguan.platform.db import Database
from jiaoguan.platform.logging import log
from jiaoguan.platform.tasks import background_task

EVERY_S = 1.0


def checkpoint_passive(database: Database) -> tuple[int, int, int]:
    """(busy, frames in the log, frames copied) of one PASSIVE checkpoint."""
    raw = database.engine.raw_connection()
    try:
        cursor = raw.cursor()
        cursor.execute("PRAGMA wal_checkpoint(PASSIVE)")
        row = cursor.fetchone()
        cursor.close()
        busy, frames, copied = row if row is not None else (0, -1, -1)
        return int(busy), int(frames), int(copied)
    finally:
        raw.close()


@background_task
async def keep_the_log_short(app: FastAPI) -> None:
    database: Database = app.state.db
    if not database.is_sqlite or database.engine.url.database in (None, "", ":memory:"):
        return
    while True:
        await asyncio.sleep(EVERY_S)
        try:
            await asyncio.to_thread(checkpoint_passive, database)
        except Exception:  # a locked or vanished file: try again next time
            log.warning("wal checkpoint failed", exc_info=True)
