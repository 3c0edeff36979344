"""The escalation loop: every `JG_WORKORDER_CHECK_SECONDS`, overdue orders go up one unit."""

from __future__ import annotations

import asyncio
import datetime as dt

from fastapi import FastAPI

from jiaoguan.platform.db import Database
from jiaoguan.platform.logging import log
from jiaoguan.platform.tasks import background_task
from jiaoguan.platform.workorders import service


def escalate_due(database: Database, now: dt.datetime | None = None) -> int:
    """One pass; each order in a transaction of its own, so one failure holds up no other.

    Safe with several processes running it: `service.escalate` updates conditionally.
    """
    with database.sessions() as db:
        due = service.overdue_ids(db, now)
    escalated = 0
    for order_id in due:
        try:
            with database.transaction() as db:
                if service.escalate(db, order_id, now=now) is not None:
                    escalated += 1
        except Exception:
            log.exception("work-order escalation failed", order_id=order_id)
    return escalated


@background_task
async def escalation_loop(app: FastAPI) -> None:
    interval = float(app.state.settings.workorder_check_seconds)
    if interval <= 0:
        return
    database: Database = app.state.db
    while True:
        try:
            count = await asyncio.to_thread(escalate_due, database)
            if count:
                log.info("work orders escalated", count=count)
        except Exception:  # the database may be briefly away; try again next round
            log.exception("work-order escalation pass failed")
        await asyncio.sleep(interval)
