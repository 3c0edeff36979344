"""Each process's fan-out from the bus to the browsers connected to it."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass, field

from fastapi import FastAPI

from jiaoguan.platform.auth.service import Principal
from jiaoguan.platform.events import Bus, Event, subscriber
from jiaoguan.platform.push.events import NotificationPushed
from jiaoguan.platform.push.schemas import NotificationRead
from jiaoguan.platform.push.service import sees

# A browser that falls this far behind is cut off; it reconnects and replays from the database.
QUEUE_LIMIT = 500


@dataclass(eq=False)
class Listener:
    principal: Principal
    queue: asyncio.Queue[NotificationRead | None] = field(
        default_factory=lambda: asyncio.Queue(QUEUE_LIMIT)
    )
    # The stream's own loop: the bus may deliver on another one (a test client per thread).
    loop: asyncio.AbstractEventLoop = field(default_factory=asyncio.get_running_loop)


class PushHub:
    def __init__(self) -> None:
        self._listeners: set[Listener] = set()

    def listen(self, principal: Principal) -> Listener:
        listener = Listener(principal)
        self._listeners.add(listener)
        return listener

    def drop(self, listener: Listener) -> None:
        self._listeners.discard(listener)

    @property
    def connected(self) -> int:
        return len(self._listeners)

    def deliver(self, item: NotificationRead) -> None:
        for listener in list(self._listeners):
            if sees(listener.principal, item):
                self._on_loop(listener, self._offer, listener, item)

    def _offer(self, listener: Listener, item: NotificationRead) -> None:
        try:
            listener.queue.put_nowait(item)
        except asyncio.QueueFull:
            self._cut_off(listener)

    @staticmethod
    def _on_loop(listener: Listener, call: Callable[..., None], *args: object) -> None:
        try:
            running = asyncio.get_running_loop()
        except RuntimeError:
            running = None
        if running is listener.loop:
            call(*args)
        elif not listener.loop.is_closed():
            listener.loop.call_soon_threadsafe(call, *args)

    def end(self, listener: Listener) -> None:
        """Ends one stream (its browser went away)."""
        self._on_loop(listener, self._cut_off, listener)

    def close(self) -> None:
        """Ends every open stream (shutdown): browsers reconnect to another worker or later."""
        for listener in list(self._listeners):
            self._on_loop(listener, self._cut_off, listener)

    def _cut_off(self, listener: Listener) -> None:
        self._listeners.discard(listener)
        while not listener.queue.empty():
            listener.queue.get_nowait()
        listener.queue.put_nowait(None)


def hub_of(app: FastAPI) -> PushHub:
    hub: PushHub | None = getattr(app.state, "push_hub", None)
    if hub is None:
        hub = app.state.push_hub = PushHub()
    return hub


@subscriber
async def feed_hub(app: FastAPI, bus: Bus) -> None:
    """Every process hears every notification (a broadcast subscription) and keeps what its browsers may see."""
    hub = hub_of(app)

    async def deliver(event: Event) -> None:
        if isinstance(event, NotificationPushed):
            hub.deliver(event.notification)

    await bus.subscribe(NotificationPushed.subject, deliver)
