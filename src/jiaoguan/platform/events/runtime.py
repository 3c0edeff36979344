"""The bus and the relay in the app's lifespan, and the hooks through which modules subscribe."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from fastapi import FastAPI

from jiaoguan.platform.events.bus import Bus, make_bus
from jiaoguan.platform.events.relay import OutboxRelay

SubscriberHook = Callable[[FastAPI, Bus], Awaitable[None]]

# Each module registers a hook that subscribes its consumers once the bus is running.
SUBSCRIBERS: list[SubscriberHook] = []


def subscriber(fn: SubscriberHook) -> SubscriberHook:
    """Decorator: run `fn(app, bus)` at start-up, once the bus runs and before the relay starts."""
    SUBSCRIBERS.append(fn)
    return fn


@dataclass
class EventsRuntime:
    """What one run of the app's lifespan started, on its own event loop."""

    bus: Bus
    relay: asyncio.Task[None]
    loop: asyncio.AbstractEventLoop


def _runtimes(app: FastAPI) -> list[EventsRuntime]:
    # Tests may run several lifespans of one app at once (a TestClient each, each with its own loop).
    runtimes: list[EventsRuntime] | None = getattr(app.state, "event_runtimes", None)
    if runtimes is None:
        runtimes = app.state.event_runtimes = []
    return runtimes


def bus_of(app: FastAPI) -> Bus:
    """The running bus: the one started on the caller's event loop, else the latest one."""
    runtimes = _runtimes(app)
    if not runtimes:
        raise RuntimeError("the event bus is not running (the app has not been started)")
    try:
        loop: asyncio.AbstractEventLoop | None = asyncio.get_running_loop()
    except RuntimeError:
        loop = None
    for runtime in reversed(runtimes):
        if runtime.loop is loop:
            return runtime.bus
    return runtimes[-1].bus


async def start_events(app: FastAPI) -> EventsRuntime:
    """Connect the bus, let every module subscribe, then start relaying the outbox.

    Subscribing first matters on the memory bus: a durable name collects events only once it has
    been seen, so events still waiting in the outbox at start-up reach the consumers.
    """
    bus = make_bus(app.state.settings.bus_url)
    await bus.start()
    try:
        for hook in SUBSCRIBERS:
            await hook(app, bus)
    except BaseException:
        await bus.close()
        raise
    relay = asyncio.create_task(OutboxRelay(app.state.db, bus).run(), name="outbox-relay")
    runtime = EventsRuntime(bus, relay, asyncio.get_running_loop())
    _runtimes(app).append(runtime)
    app.state.bus = bus  # /readyz reports on it
    return runtime


async def stop_events(app: FastAPI, runtime: EventsRuntime) -> None:
    """Stop the relay, then close the bus (and with it every subscription)."""
    runtime.relay.cancel()
    await asyncio.gather(runtime.relay, return_exceptions=True)
    await runtime.bus.close()
    runtimes = _runtimes(app)
    if runtime in runtimes:
        runtimes.remove(runtime)
    if runtimes:
        app.state.bus = runtimes[-1].bus
    elif getattr(app.state, "bus", None) is runtime.bus:
        del app.state.bus
