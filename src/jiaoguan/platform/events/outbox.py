"""emit() writes events into the caller's transaction; handled_once() makes consumers idempotent."""

from __future__ import annotations

import threading
import uuid
from collections.abc import Callable

from sqlalchemy import event as sa_event
from sqlalchemy import insert
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from jiaoguan.platform.db import utcnow
from jiaoguan.platform.events.event import Event
from jiaoguan.platform.events.models import ConsumedEvent, OutboxEntry
from jiaoguan.platform.logging import log

_EMITTED = "jiaoguan.events.emitted"

# Relays running in this process register a wake-up callable; commits may happen in any thread.
_wakers: list[Callable[[], None]] = []
_wakers_lock = threading.Lock()


def emit(db: Session, event: Event) -> None:
    """Queue `event` in the caller's transaction: published after commit, dropped on rollback."""
    if not hasattr(type(event), "subject"):
        raise TypeError(f"{type(event).__qualname__} declares no subject and cannot be emitted")
    db.add(
        OutboxEntry(
            event_id=str(event.id),
            subject=event.subject,
            payload=event.payload(),
            created_at=utcnow(),
        )
    )
    db.info[_EMITTED] = True


def add_waker(wake: Callable[[], None]) -> None:
    with _wakers_lock:
        _wakers.append(wake)


def remove_waker(wake: Callable[[], None]) -> None:
    with _wakers_lock:
        if wake in _wakers:
            _wakers.remove(wake)


def wake_relays() -> None:
    with _wakers_lock:
        wakers = list(_wakers)
    for wake in wakers:
        try:
            wake()
        except RuntimeError:
            # The relay's loop is closing; it polls anyway when (if) it runs again.
            log.debug("outbox relay not reachable for wake-up")


@sa_event.listens_for(Session, "after_commit")
def _after_commit(session: Session) -> None:
    if session.info.pop(_EMITTED, False):
        wake_relays()


@sa_event.listens_for(Session, "after_rollback")
def _after_rollback(session: Session) -> None:
    session.info.pop(_EMITTED, None)


def handled_once(db: Session, consumer: str, event_id: uuid.UUID) -> bool:
    """True the first time `consumer` handles `event_id` (recorded in the caller's transaction).

    A concurrent transaction recording the same pair waits for the first one on PostgreSQL and then
    sees the conflict, so exactly one of them gets True once both have committed.
    """
    values = {"consumer": consumer, "event_id": str(event_id), "consumed_at": utcnow()}
    dialect = db.get_bind().dialect.name
    # RETURNING tells whether the row went in (the ORM insert path reports no rowcount).
    if dialect == "postgresql":
        pg_stmt = postgresql.insert(ConsumedEvent).values(values).on_conflict_do_nothing()
        return db.scalar(pg_stmt.returning(ConsumedEvent.event_id)) is not None
    if dialect == "sqlite":
        lite_stmt = sqlite.insert(ConsumedEvent).values(values).on_conflict_do_nothing()
        return db.scalar(lite_stmt.returning(ConsumedEvent.event_id)) is not None
    # Other databases: a savepoint keeps the caller's transaction usable after the conflict.
    try:
        with db.begin_nested():
            db.execute(insert(ConsumedEvent).values(values))
    except IntegrityError:
        return False
    return True
