"""Typed event bus (memory or NATS JetStream) fed by a transactional outbox.

Producers call `emit(db, event)` inside their transaction; the `OutboxRelay` publishes committed events
to the `Bus`; consumers `subscribe` with a durable name (shared, at-least-once) or without (broadcast),
usually from a hook registered with `@subscriber`.
"""

from jiaoguan.platform.events.bus import Bus, Handler, RetryPolicy, Subscription, make_bus
from jiaoguan.platform.events.event import (
    Event,
    UnknownEvent,
    decode_event,
    event_type,
    registered_subjects,
)
from jiaoguan.platform.events.memory import MemoryBus
from jiaoguan.platform.events.models import ConsumedEvent, OutboxEntry
from jiaoguan.platform.events.nats_bus import NatsBus
from jiaoguan.platform.events.outbox import emit, handled_once
from jiaoguan.platform.events.relay import OutboxRelay
from jiaoguan.platform.events.runtime import (
    SUBSCRIBERS,
    EventsRuntime,
    SubscriberHook,
    bus_of,
    start_events,
    stop_events,
    subscriber,
)

__all__ = [
    "SUBSCRIBERS",
    "Bus",
    "ConsumedEvent",
    "Event",
    "EventsRuntime",
    "Handler",
    "MemoryBus",
    "NatsBus",
    "OutboxEntry",
    "OutboxRelay",
    "RetryPolicy",
    "SubscriberHook",
    "Subscription",
    "UnknownEvent",
    "bus_of",
    "decode_event",
    "emit",
    "event_type",
    "handled_once",
    "make_bus",
    "registered_subjects",
    "start_events",
    "stop_events",
    "subscriber",
]
