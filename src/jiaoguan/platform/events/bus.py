"""The bus interface both backends implement, subject patterns and the shared delivery policy."""

from __future__ import annotations

import re
from abc import ABC, abstractmethod
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from urllib.parse import parse_qsl

from jiaoguan.platform.events.event import Event
from jiaoguan.platform.logging import log

Handler = Callable[[Event], Awaitable[None]]

_TOKEN = re.compile(r"^[a-z0-9_-]+$")
_DURABLE = re.compile(r"^[A-Za-z0-9_-]{1,64}$")


class Subscription(ABC):
    @abstractmethod
    async def stop(self) -> None:
        """Stop receiving; a durable consumer keeps collecting events for the next subscriber."""


@dataclass(frozen=True)
class RetryPolicy:
    """How often a durable delivery is tried and how long to wait before each retry."""

    max_deliver: int = 5
    delays: Sequence[float] = (0.2, 1.0, 5.0, 15.0)

    def delay(self, attempt: int) -> float:
        """Seconds to wait after failed attempt number `attempt` (1-based)."""
        return self.delays[min(attempt, len(self.delays)) - 1]


class Bus(ABC):
    """Publish typed events; subscribe durably (shared, at-least-once) or as a broadcast.

    durable="name": one consumer shared by every subscriber with that name, in every process; each event
    goes to one of them, is acknowledged after the handler returns, retried after a failure (up to
    `RetryPolicy.max_deliver` attempts) and kept while nobody is subscribed.
    durable=None: every subscriber in every process gets every event published from then on.
    publish() drops an event whose id the bus has seen recently, so republishing is harmless.
    """

    @abstractmethod
    async def start(self) -> None: ...

    @abstractmethod
    async def publish(self, event: Event) -> None: ...

    @abstractmethod
    async def subscribe(
        self, pattern: str, handler: Handler, *, durable: str | None = None
    ) -> Subscription: ...

    @abstractmethod
    async def healthy(self) -> bool: ...

    @abstractmethod
    async def close(self) -> None: ...


def check_pattern(pattern: str) -> None:
    """NATS-style: dot-separated tokens, `*` for one token, `>` (last only) for one or more."""
    tokens = pattern.split(".")
    for index, token in enumerate(tokens):
        if token == "*" or (token == ">" and index == len(tokens) - 1):
            continue
        if not _TOKEN.match(token):
            raise ValueError(f"invalid subscription pattern {pattern!r}")


def check_durable(durable: str | None) -> None:
    if durable is not None and not _DURABLE.match(durable):
        raise ValueError(f"invalid durable name {durable!r} (letters, digits, _ and - only)")


def matches(pattern: str, subject: str) -> bool:
    wanted = pattern.split(".")
    actual = subject.split(".")
    for index, token in enumerate(wanted):
        if token == ">":
            return len(actual) > index
        if index >= len(actual) or (token != "*" and token != actual[index]):
            return False
    return len(actual) == len(wanted)


async def call_handler(handler: Handler, event: Event, *, consumer: str, attempt: int) -> bool:
    """Run the handler; True when it returned, False (logged) when it raised."""
    try:
        await handler(event)
    except Exception:
        log.warning(
            "event handler failed",
            consumer=consumer,
            subject=event.subject,
            event_id=str(event.id),
            attempt=attempt,
            exc_info=True,
        )
        return False
    return True


def log_gave_up(event: Event, *, consumer: str, attempts: int) -> None:
    log.error(
        "event handler gave up",
        consumer=consumer,
        subject=event.subject,
        event_id=str(event.id),
        attempts=attempts,
    )


def make_bus(url: str) -> Bus:
    """`memory://` (one process) or `nats://host:4222[,nats://other:4222][?stream=NAME&prefix=p.]`.

    The query picks the JetStream stream and subject prefix, so two installations (or test runs)
    can share one NATS server without hearing each other.
    """
    # Imported here: both backends import this module for the interface.
    from jiaoguan.platform.events.memory import MemoryBus
    from jiaoguan.platform.events.nats_bus import NatsBus

    if url.strip() in {"memory://", "memory:"}:
        return MemoryBus()
    servers_part, _, query = url.partition("?")
    options = dict(parse_qsl(query))
    servers = [part.strip() for part in servers_part.split(",") if part.strip()]
    known = set(options) <= {"stream", "prefix"}
    if known and servers and all(re.match(r"^(nats|tls)://[^\s/?]+/?$", s) for s in servers):
        return NatsBus(
            ",".join(servers),
            stream=options.get("stream", "JIAOGUAN"),
            prefix=options.get("prefix", "jg."),
        )
    raise ValueError(
        f"不支持的事件总线地址：{url!r}，应为 memory:// 或 nats://主机:端口[?stream=流名&prefix=前缀.]"
    )
