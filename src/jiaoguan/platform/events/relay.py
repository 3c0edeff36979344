"""Publishes committed outbox entries to the bus, in order, and prunes old ones."""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import time
from collections.abc import Callable
from typing import TypeVar

from pydantic import ValidationError
from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from jiaoguan.platform.db import Database, utcnow
from jiaoguan.platform.events.bus import Bus
from jiaoguan.platform.events.event import UnknownEvent, decode_event
from jiaoguan.platform.events.models import ConsumedEvent, OutboxEntry
from jiaoguan.platform.events.outbox import add_waker, remove_waker
from jiaoguan.platform.logging import log

T = TypeVar("T")


async def _in_thread(fn: Callable[..., T], *args: object) -> T:
    """Run blocking DB work in a thread; a cancelled caller still waits for the thread to finish,
    so the session is never used by two threads at once nor disposed under a running query."""
    future = asyncio.ensure_future(asyncio.to_thread(fn, *args))
    try:
        return await asyncio.shield(future)
    except asyncio.CancelledError:
        await asyncio.gather(future, return_exceptions=True)
        raise


class OutboxRelay:
    """One per process; on PostgreSQL several processes relay side by side (SKIP LOCKED)."""

    def __init__(
        self,
        database: Database,
        bus: Bus,
        *,
        batch_size: int = 100,
        poll_seconds: float = 1.0,
        keep_published: dt.timedelta = dt.timedelta(days=7),
        keep_consumed: dt.timedelta = dt.timedelta(days=30),
        prune_every_seconds: float = 3600.0,
        max_backoff_seconds: float = 30.0,
    ) -> None:
        self.database = database
        self.bus = bus
        self.batch_size = batch_size
        self.poll_seconds = poll_seconds
        self.keep_published = keep_published
        self.keep_consumed = keep_consumed
        self.prune_every_seconds = prune_every_seconds
        self.max_backoff_seconds = max_backoff_seconds
        self._wake = asyncio.Event()
        self._next_prune = 0.0
        # The first pruning waits a minute: start-up (and every test app) stays light.
        self.first_prune_delay = 60.0

    async def run(self) -> None:
        """Relay until cancelled; a failing bus or database is retried with backoff."""
        loop = asyncio.get_running_loop()

        def wake() -> None:
            loop.call_soon_threadsafe(self._wake.set)

        add_waker(wake)
        self._next_prune = time.monotonic() + self.first_prune_delay
        failures = 0
        try:
            while True:
                self._wake.clear()
                try:
                    published = await self.relay_once()
                    await self._prune_now_and_then()
                except Exception:
                    failures += 1
                    delay = min(self.poll_seconds * 2**failures, self.max_backoff_seconds)
                    log.warning("outbox relay failed", retry_in=delay, exc_info=True)
                    await asyncio.sleep(delay)
                    continue
                failures = 0
                if published < self.batch_size:
                    await self._sleep()
        finally:
            remove_waker(wake)

    async def _sleep(self) -> None:
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._wake.wait(), timeout=self.poll_seconds)

    async def relay_once(self) -> int:
        """Publish one batch of unpublished entries in id order; returns how many were published.

        The rows stay locked (PostgreSQL) while they are published, so a second relay skips them.
        If the bus fails midway, the entries published so far are marked and the error is raised.
        """
        session = self.database.sessions()
        try:
            entries = await _in_thread(self._claim, session)
            if not entries:
                await _in_thread(session.rollback)
                return 0
            done: list[int] = []
            try:
                for entry_id, subject, payload in entries:
                    try:
                        event = decode_event(subject, payload)
                    except (UnknownEvent, ValidationError):
                        # Retrying will not help; keep the row (marked) for inspection.
                        log.error("undecodable outbox entry skipped", id=entry_id, exc_info=True)
                    else:
                        await self.bus.publish(event)
                    done.append(entry_id)
            finally:
                if done:
                    await _in_thread(self._mark, session, done)
            return len(done)
        finally:
            await _in_thread(session.close)

    def _claim(self, session: Session) -> list[tuple[int, str, dict[str, object]]]:
        query = (
            select(OutboxEntry.id, OutboxEntry.subject, OutboxEntry.payload)
            .where(OutboxEntry.published_at.is_(None))
            .order_by(OutboxEntry.id)
            .limit(self.batch_size)
            .with_for_update(skip_locked=True)
        )
        return [(row.id, row.subject, row.payload) for row in session.execute(query)]

    def _mark(self, session: Session, ids: list[int]) -> None:
        with self.database.write_gate():
            session.execute(
                update(OutboxEntry).where(OutboxEntry.id.in_(ids)).values(published_at=utcnow())
            )
            session.commit()

    async def _prune_now_and_then(self) -> None:
        now = time.monotonic()
        if now < self._next_prune:
            return
        self._next_prune = now + self.prune_every_seconds
        removed = await _in_thread(self.prune)
        if removed:
            log.info("outbox pruned", removed=removed)

    def prune(self) -> int:
        """Delete published entries and consumed-event records past their retention."""
        now = utcnow()
        with self.database.transaction() as session:
            outbox = session.execute(
                delete(OutboxEntry).where(OutboxEntry.published_at < now - self.keep_published)
            )
            consumed = session.execute(
                delete(ConsumedEvent).where(ConsumedEvent.consumed_at < now - self.keep_consumed)
            )
        return int(outbox.rowcount) + int(consumed.rowcount)  # type: ignore[attr-defined]
