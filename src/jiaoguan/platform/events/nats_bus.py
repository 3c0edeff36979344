"""The bus on NATS JetStream: one stream, durable pull consumers, ordered consumers for broadcast."""

from __future__ import annotations

import asyncio
from typing import Any

import nats
from nats.aio.client import Client as NatsClient
from nats.aio.msg import Msg
from nats.js import JetStreamContext, api
from nats.js.errors import NotFoundError
from pydantic import ValidationError

from jiaoguan.platform.events.bus import (
    Bus,
    Handler,
    RetryPolicy,
    Subscription,
    call_handler,
    check_durable,
    check_pattern,
    log_gave_up,
)
from jiaoguan.platform.events.event import Event, UnknownEvent, decode_event
from jiaoguan.platform.logging import log

MSG_ID = "Nats-Msg-Id"


class NatsBus(Bus):
    def __init__(
        self,
        url: str,
        *,
        stream: str = "JIAOGUAN",
        prefix: str = "jg.",
        retry: RetryPolicy | None = None,
        ack_wait: float = 30.0,
        duplicate_window: float = 600.0,
        max_age: float = 7 * 24 * 3600.0,
        fetch_timeout: float = 1.0,
    ) -> None:
        if not prefix.endswith(".") or not prefix.strip("."):
            raise ValueError(f"subject prefix must end with a dot: {prefix!r}")
        self.servers = [part.strip() for part in url.split(",") if part.strip()]
        self.stream = stream
        self.prefix = prefix
        self.retry = retry or RetryPolicy()
        self.ack_wait = ack_wait
        self.duplicate_window = duplicate_window
        self.max_age = max_age
        self.fetch_timeout = fetch_timeout
        self._nc: NatsClient | None = None
        self._js: JetStreamContext | None = None
        self._subscriptions: set[Subscription] = set()
        self._closing = False

    async def start(self) -> None:
        self._nc = await nats.connect(
            servers=self.servers,
            name="jiaoguan",
            max_reconnect_attempts=-1,  # keep trying; healthy() reports the outage meanwhile
            reconnect_time_wait=1,
            error_cb=self._on_error,
            disconnected_cb=self._on_disconnected,
            reconnected_cb=self._on_reconnected,
        )
        self._js = self._nc.jetstream()
        await self._ensure_stream()

    async def _ensure_stream(self) -> None:
        config = api.StreamConfig(
            name=self.stream,
            subjects=[f"{self.prefix}>"],
            storage=api.StorageType.FILE,
            retention=api.RetentionPolicy.LIMITS,
            max_age=self.max_age,
            duplicate_window=self.duplicate_window,
        )
        js = self._jetstream()
        try:
            await js.stream_info(self.stream)
        except NotFoundError:
            await js.add_stream(config)
        else:
            await js.update_stream(config)

    def _jetstream(self) -> JetStreamContext:
        if self._js is None:
            raise RuntimeError("NATS bus is not started")
        return self._js

    async def publish(self, event: Event) -> None:
        ack = await self._jetstream().publish(
            self.prefix + event.subject,
            event.to_json(),
            stream=self.stream,
            headers={MSG_ID: str(event.id)},
        )
        if ack.duplicate:
            log.debug("duplicate event dropped by JetStream", event_id=str(event.id))

    async def subscribe(
        self, pattern: str, handler: Handler, *, durable: str | None = None
    ) -> Subscription:
        check_pattern(pattern)
        check_durable(durable)
        subscription: Subscription
        if durable is None:
            subscription = await self._broadcast(pattern, handler)
        else:
            subscription = await self._durable(pattern, handler, durable)
        self._subscriptions.add(subscription)
        return subscription

    async def _broadcast(self, pattern: str, handler: Handler) -> Subscription:
        async def deliver(msg: Msg) -> None:
            event = self._decode(msg)
            if event is not None:
                await call_handler(handler, event, consumer="broadcast", attempt=1)

        # An ordered consumer is ephemeral, starts at the next message and recreates itself after a
        # reconnect; the stream's duplicate window applies, unlike a core NATS subscription.
        sub = await self._jetstream().subscribe(
            self.prefix + pattern,
            stream=self.stream,
            cb=deliver,
            ordered_consumer=True,
            deliver_policy=api.DeliverPolicy.NEW,
        )
        return _BroadcastSubscription(self, sub)

    async def _durable(self, pattern: str, handler: Handler, durable: str) -> Subscription:
        js = self._jetstream()
        config = api.ConsumerConfig(
            name=durable,
            durable_name=durable,
            filter_subject=self.prefix + pattern,
            # Events from before the first subscription are not replayed; later ones wait for it.
            deliver_policy=api.DeliverPolicy.NEW,
            ack_policy=api.AckPolicy.EXPLICIT,
            ack_wait=self.ack_wait,
            max_deliver=self.retry.max_deliver,
            # A consumer nobody pulled from for as long as the stream keeps events is abandoned.
            inactive_threshold=self.max_age,
        )
        await js.add_consumer(self.stream, config)  # creates it, or updates it to this config
        pull = await js.pull_subscribe_bind(durable=durable, stream=self.stream)
        subscription = _DurableSubscription(self, pull, handler, durable)
        subscription.run()
        return subscription

    def _decode(self, msg: Msg) -> Event | None:
        subject = msg.subject.removeprefix(self.prefix)
        try:
            return decode_event(subject, msg.data)
        except (UnknownEvent, ValidationError):
            log.error("undecodable event dropped", subject=subject, exc_info=True)
            return None

    async def healthy(self) -> bool:
        return self._nc is not None and self._nc.is_connected

    async def close(self) -> None:
        self._closing = True
        # Side by side: each durable loop may take up to a fetch window to finish.
        await asyncio.gather(*(sub.stop() for sub in list(self._subscriptions)))
        if self._nc is not None and not self._nc.is_closed:
            await self._nc.close()
        self._nc = None
        self._js = None

    async def _on_error(self, error: Exception) -> None:
        log.warning("NATS error", error=str(error))

    async def _on_disconnected(self) -> None:
        if not self._closing:  # closing disconnects too; only an outage is worth a warning
            log.warning("NATS disconnected; reconnecting", servers=self.servers)

    async def _on_reconnected(self) -> None:
        log.info("NATS reconnected")

    async def delete_stream(self) -> None:
        """Remove the stream and its consumers (tests, or resetting a deployment)."""
        await self._jetstream().delete_stream(self.stream)


class _BroadcastSubscription(Subscription):
    def __init__(self, bus: NatsBus, sub: Any) -> None:
        self._bus = bus
        self._sub = sub

    async def stop(self) -> None:
        self._bus._subscriptions.discard(self)
        if self._sub is not None:
            try:
                await self._sub.unsubscribe()
            except Exception:
                log.debug("broadcast unsubscribe failed", exc_info=True)
            self._sub = None


class _DurableSubscription(Subscription):
    def __init__(
        self, bus: NatsBus, pull: JetStreamContext.PullSubscription, handler: Handler, name: str
    ) -> None:
        self._bus = bus
        self._pull = pull
        self._handler = handler
        self._name = name
        self._stopping = False
        self._task: asyncio.Task[None] | None = None

    def run(self) -> None:
        self._task = asyncio.create_task(self._loop(), name=f"bus-durable-{self._name}")

    async def _loop(self) -> None:
        while not self._stopping:
            try:
                msgs = await self._pull.fetch(1, timeout=self._bus.fetch_timeout)
            except TimeoutError:
                continue  # nothing to do within the fetch window
            except Exception:
                log.warning("event fetch failed", consumer=self._name, exc_info=True)
                await asyncio.sleep(1.0)
                continue
            for msg in msgs:
                await self._process(msg)

    async def _process(self, msg: Msg) -> None:
        try:
            if self._stopping:
                await msg.nak()  # hand it straight to another subscriber
                return
            event = self._bus._decode(msg)
            if event is None:
                await msg.term()
                return
            attempt = msg.metadata.num_delivered
            if await call_handler(self._handler, event, consumer=self._name, attempt=attempt):
                await msg.ack()
            elif attempt >= self._bus.retry.max_deliver:
                log_gave_up(event, consumer=self._name, attempts=attempt)
                await msg.term()
            else:
                await msg.nak(delay=self._bus.retry.delay(attempt))
        except Exception:
            # Acknowledging failed (connection lost): JetStream redelivers after ack_wait.
            log.warning("event acknowledgement failed", consumer=self._name, exc_info=True)

    async def stop(self) -> None:
        self._bus._subscriptions.discard(self)
        self._stopping = True
        if self._task is not None:
            # The loop ends after the current fetch; a handler stuck past that is cancelled.
            done, _ = await asyncio.wait({self._task}, timeout=self._bus.fetch_timeout + 5.0)
            if not done:
                self._task.cancel()
                await asyncio.gather(self._task, return_exceptions=True)
            self._task = None
        try:
            await self._pull.unsubscribe()
        except Exception:
            log.debug("durable unsubscribe failed", exc_info=True)
