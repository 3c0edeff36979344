"""The in-process bus for one process (development, tests, the single-machine deployment)."""

from __future__ import annotations

import asyncio
import time
import uuid
from collections import OrderedDict
from dataclasses import dataclass, field

from jiaoguan.platform.events.bus import (
    Bus,
    Handler,
    RetryPolicy,
    Subscription,
    call_handler,
    check_durable,
    check_pattern,
    log_gave_up,
    matches,
)
from jiaoguan.platform.events.event import Event


@dataclass(frozen=True)
class _Delivery:
    event: Event
    attempt: int = 1


@dataclass
class _Durable:
    """A durable consumer: its queue outlives the subscribers, like a JetStream durable consumer."""

    name: str
    pattern: str
    queue: asyncio.Queue[_Delivery] = field(default_factory=asyncio.Queue)


class _Worker(Subscription):
    def __init__(self, bus: MemoryBus, task_name: str) -> None:
        self._bus = bus
        self._task: asyncio.Task[None] | None = None
        self._task_name = task_name

    def run(self) -> None:
        self._task = asyncio.create_task(self._loop(), name=self._task_name)
        self._bus._workers.add(self)

    async def _loop(self) -> None:
        raise NotImplementedError

    async def stop(self) -> None:
        self._bus._workers.discard(self)
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
            self._task = None


class _DurableWorker(_Worker):
    def __init__(self, bus: MemoryBus, durable: _Durable, handler: Handler) -> None:
        super().__init__(bus, f"bus-durable-{durable.name}")
        self._durable = durable
        self._handler = handler

    async def _loop(self) -> None:
        queue = self._durable.queue
        while True:
            delivery = await queue.get()
            try:
                ok = await call_handler(
                    self._handler,
                    delivery.event,
                    consumer=self._durable.name,
                    attempt=delivery.attempt,
                )
            except asyncio.CancelledError:
                # Stopped mid-handler: not acknowledged, so the next subscriber gets it again.
                queue.put_nowait(delivery)
                raise
            if not ok:
                self._bus._retry(self._durable, delivery)


class _BroadcastWorker(_Worker):
    def __init__(self, bus: MemoryBus, pattern: str, handler: Handler) -> None:
        super().__init__(bus, f"bus-broadcast-{pattern}")
        self.pattern = pattern
        self._handler = handler
        self.queue: asyncio.Queue[Event] = asyncio.Queue()

    async def _loop(self) -> None:
        while True:
            event = await self.queue.get()
            # Broadcast is at-most-once: a failure is logged and the next event follows.
            await call_handler(self._handler, event, consumer="broadcast", attempt=1)


class MemoryBus(Bus):
    """Same semantics as NatsBus within one process; durable queues live as long as the process."""

    def __init__(
        self,
        *,
        retry: RetryPolicy | None = None,
        dedupe_seconds: float = 600.0,
        dedupe_max: int = 100_000,
    ) -> None:
        self.retry = retry or RetryPolicy()
        self._dedupe_seconds = dedupe_seconds
        self._dedupe_max = dedupe_max
        self._recent: OrderedDict[uuid.UUID, float] = OrderedDict()
        self._durables: dict[str, _Durable] = {}
        self._workers: set[_Worker] = set()
        self._timers: set[asyncio.TimerHandle] = set()
        self._running = False

    async def start(self) -> None:
        self._running = True

    async def publish(self, event: Event) -> None:
        if not self._running:
            raise RuntimeError("memory bus is not running")
        if self._seen(event.id):
            return
        for durable in self._durables.values():
            if matches(durable.pattern, event.subject):
                durable.queue.put_nowait(_Delivery(event))
        for worker in list(self._workers):
            if isinstance(worker, _BroadcastWorker) and matches(worker.pattern, event.subject):
                worker.queue.put_nowait(event)

    async def subscribe(
        self, pattern: str, handler: Handler, *, durable: str | None = None
    ) -> Subscription:
        check_pattern(pattern)
        check_durable(durable)
        if not self._running:
            raise RuntimeError("memory bus is not running")
        worker: _Worker
        if durable is None:
            worker = _BroadcastWorker(self, pattern, handler)
        else:
            state = self._durables.setdefault(durable, _Durable(durable, pattern))
            if state.pattern != pattern:
                raise ValueError(f"durable {durable!r} already subscribes to {state.pattern!r}")
            worker = _DurableWorker(self, state, handler)
        worker.run()
        return worker

    async def healthy(self) -> bool:
        return self._running

    async def close(self) -> None:
        self._running = False
        for timer in self._timers:
            timer.cancel()
        self._timers.clear()
        for worker in list(self._workers):
            await worker.stop()

    def _seen(self, event_id: uuid.UUID) -> bool:
        """Remember ids for the dedupe window (like JetStream's duplicate window)."""
        now = time.monotonic()
        while self._recent:
            oldest, at = next(iter(self._recent.items()))
            if now - at < self._dedupe_seconds and len(self._recent) < self._dedupe_max:
                break
            del self._recent[oldest]
        if event_id in self._recent:
            return True
        self._recent[event_id] = now
        return False

    def _retry(self, durable: _Durable, delivery: _Delivery) -> None:
        if delivery.attempt >= self.retry.max_deliver:
            log_gave_up(delivery.event, consumer=durable.name, attempts=delivery.attempt)
            return
        again = _Delivery(delivery.event, delivery.attempt + 1)
        loop = asyncio.get_running_loop()
        timer: asyncio.TimerHandle

        def requeue() -> None:
            self._timers.discard(timer)
            durable.queue.put_nowait(again)

        timer = loop.call_later(self.retry.delay(delivery.attempt), requeue)
        self._timers.add(timer)
