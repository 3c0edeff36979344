"""Buses for tests: the memory bus, or NATS JetStream on a stream and subject prefix of their own."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager

from jiaoguan.platform.events import Bus, Event, MemoryBus, NatsBus, RetryPolicy
from tests.support.databases import NATS_ENV, need_service

BUS_BACKENDS = ["memory", "nats"]

# Quick retries so that redelivery tests take a fraction of a second.
TEST_RETRY = RetryPolicy(max_deliver=3, delays=(0.1,))

# `connect()` opens one more "process" on the same bus: the same MemoryBus (there is only one process),
# or a new NATS connection to the same stream.
Connect = Callable[[], Awaitable[Bus]]


@asynccontextmanager
async def open_buses(backend: str) -> AsyncIterator[Connect]:
    if backend == "memory":
        memory = MemoryBus(retry=TEST_RETRY)
        await memory.start()

        async def same() -> Bus:
            return memory

        try:
            yield same
        finally:
            await memory.close()
        return
    url = need_service(NATS_ENV, "NATS JetStream")
    tag = uuid.uuid4().hex[:10]
    opened: list[NatsBus] = []

    async def connect() -> Bus:
        bus = NatsBus(url, stream=f"JGTEST_{tag}", prefix=f"jgt{tag}.", retry=TEST_RETRY)
        await bus.start()
        opened.append(bus)
        return bus

    try:
        yield connect
    finally:
        live = [bus for bus in opened if await bus.healthy()]
        if live:
            await live[0].delete_stream()
        for bus in opened:
            await bus.close()


class Inbox:
    """Collects the events a handler receives and waits, with a deadline, for some to arrive."""

    def __init__(self) -> None:
        self.events: list[Event] = []
        self._changed = asyncio.Event()

    async def handle(self, event: Event) -> None:
        self.events.append(event)
        self._changed.set()

    def add(self, event: Event) -> None:
        self.events.append(event)
        self._changed.set()

    async def wait_for(self, count: int, timeout: float = 5.0) -> list[Event]:
        async with asyncio.timeout(timeout):
            while len(self.events) < count:
                self._changed.clear()
                await self._changed.wait()
        return self.events

    async def wait_for_id(self, event_id: uuid.UUID, timeout: float = 5.0) -> list[Event]:
        async with asyncio.timeout(timeout):
            while all(event.id != event_id for event in self.events):
                self._changed.clear()
                await self._changed.wait()
        return self.events

    @property
    def ids(self) -> list[uuid.UUID]:
        return [event.id for event in self.events]
