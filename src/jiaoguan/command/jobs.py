"""The reminder loop: every `JG_COMMAND_CHECK_SECONDS`, dispatches not accepted or not arrived in
time remind the officer and the centre (once per dispatch and step)."""

from __future__ import annotations

import asyncio
import datetime as dt

from fastapi import FastAPI

from jiaoguan.command import service
from jiaoguan.platform.db import Database
from jiaoguan.platform.logging import log
from jiaoguan.platform.tasks import background_task


def remind_due(database: Database, now: dt.datetime | None = None) -> int:
    """One pass; each reminder in a transaction of its own. Safe with several processes:
    `service.remind` marks the dispatch conditionally."""
    with database.sessions() as db:
        due = service.overdue(db, now)
    sent = 0
    for item in due:
        try:
            with database.transaction() as db:
                if service.remind(db, item, now=now):
                    sent += 1
        except Exception:
            log.exception("command reminder failed", dispatch_id=item.dispatch_id)
    return sent


@background_task
async def reminder_loop(app: FastAPI) -> None:
    settings = app.state.settings
    interval = float(settings.command_check_seconds)
    # Tests switch the background loops off through the work-order setting; follow it.
    if interval <= 0 or float(settings.workorder_check_seconds) <= 0:
        return
    database: Database = app.state.db
    while True:
        await asyncio.sleep(interval)
        try:
            count = await asyncio.to_thread(remind_due, database)
            if count:
                log.info("command reminders sent", count=count)
        except Exception:  # the database may be briefly away; try again next round
            log.exception("command reminder pass failed")
