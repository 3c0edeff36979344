"""Incidents other modules ask for over the bus (`command.intake_requested`): video analytics,
detector events, alerts. A durable consumer registers each once, as the system."""

from __future__ import annotations

import asyncio

from fastapi import FastAPI

from jiaoguan.command import events as ev
from jiaoguan.command import service
from jiaoguan.command.models import IncidentKind, IncidentSource
from jiaoguan.platform.db import Database
from jiaoguan.platform.errors import DomainError
from jiaoguan.platform.events import Bus, Event, handled_once, subscriber
from jiaoguan.platform.logging import log

CONSUMER = "command-intake"


def take(database: Database, item: ev.IntakeRequested) -> int | None:
    """Register the requested incident; None when it was seen before or cannot be taken (logged:
    a bad request from another module must not block the ones behind it)."""
    with database.transaction() as db:
        if not handled_once(db, CONSUMER, item.id):
            return None
        try:
            data = service.IntakeData(
                source=IncidentSource(item.source),
                kind=IncidentKind(item.kind),
                place=item.place.strip()[:200] or "系统接入",
                level=min(max(item.level, 1), 4),
                lon=item.lon,
                lat=item.lat,
                summary=item.summary[:2000],
                reported_at=item.reported_at,
            )
            with db.begin_nested():
                incident, _ = service.intake(db, None, data)
        except (ValueError, DomainError) as exc:
            log.warning("requested incident refused", event_id=str(item.id), reason=str(exc))
            return None
        return incident.id


@subscriber
async def take_requested_incidents(app: FastAPI, bus: Bus) -> None:
    database: Database = app.state.db

    async def on_event(item: Event) -> None:
        if isinstance(item, ev.IntakeRequested):
            await asyncio.to_thread(take, database, item)

    await bus.subscribe(ev.IntakeRequested.subject, on_event, durable=CONSUMER)
