"""The event bus contract on both backends, the transactional outbox on both databases, typed events."""

from __future__ import annotations

import asyncio
import datetime as dt
import threading
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import Field, ValidationError
from sqlalchemy import func, select, update

from jiaoguan.app import create_app
from jiaoguan.platform.db import Database
from jiaoguan.platform.events import (
    SUBSCRIBERS,
    Bus,
    Event,
    MemoryBus,
    NatsBus,
    OutboxEntry,
    OutboxRelay,
    Subscription,
    UnknownEvent,
    bus_of,
    decode_event,
    emit,
    event_type,
    handled_once,
    make_bus,
)
from jiaoguan.platform.events.bus import Handler, matches
from tests.conftest import make_settings
from tests.support.buses import BUS_BACKENDS, TEST_RETRY, Connect, Inbox, open_buses


class Ping(Event, subject="test.ping"):
    n: int
    note: str = ""


class DeepPong(Event, subject="test.deep.pong"):
    n: int


class Other(Event, subject="other.thing"):
    pass


class Sample(Event, subject="test.sample"):
    order_id: int
    title: str
    due_at: dt.datetime | None = None
    tags: list[str] = Field(default_factory=list)


# ---------------------------------------------------------------- typed events


def test_event_is_typed_frozen_and_registered() -> None:
    ping = Ping(n=1, unit_path="/1/4/")
    assert event_type("test.ping") is Ping and Ping.subject == "test.ping"
    assert ping.occurred_at.tzinfo is not None and ping.occurred_at.utcoffset() == dt.timedelta(0)
    with pytest.raises(ValidationError):
        ping.n = 2  # type: ignore[misc]
    assert decode_event("test.ping", ping.to_json()) == ping
    assert decode_event("test.ping", ping.payload()) == ping


def test_decode_refuses_unknown_subjects_and_bad_payloads() -> None:
    with pytest.raises(UnknownEvent):
        decode_event("test.nobody", b"{}")
    with pytest.raises(ValidationError):
        decode_event("test.ping", b'{"n": "not a number"}')
    with pytest.raises(ValidationError):
        decode_event("test.ping", {"note": "n is missing"})
    with pytest.raises(ValidationError):
        Ping(n=1, occurred_at=dt.datetime(2026, 1, 1))  # naive times are refused


def test_subjects_are_checked_and_unique() -> None:
    with pytest.raises(ValueError, match="invalid event subject"):

        class Bad(Event, subject="test.*"):
            pass

    with pytest.raises(ValueError, match="already used"):

        class Again(Event, subject="test.ping"):
            pass


offsets = st.sampled_from(
    [dt.UTC, dt.timezone(dt.timedelta(hours=8)), dt.timezone(-dt.timedelta(hours=5))]
)


@settings(max_examples=60, deadline=None)
@given(
    order_id=st.integers(min_value=-(2**53), max_value=2**53),
    title=st.text(max_size=50),
    due_at=st.none() | st.datetimes(timezones=offsets),
    tags=st.lists(st.text(max_size=10), max_size=5),
    unit_path=st.from_regex(r"/(\d{1,3}/){0,4}", fullmatch=True),
)
def test_decode_event_round_trips(
    order_id: int, title: str, due_at: dt.datetime | None, tags: list[str], unit_path: str
) -> None:
    event = Sample(order_id=order_id, title=title, due_at=due_at, tags=tags, unit_path=unit_path)
    for data in (event.to_json(), event.payload()):
        decoded = decode_event(Sample.subject, data)
        assert isinstance(decoded, Sample) and decoded == event
        assert decoded.due_at == due_at  # the same instant, whatever the offset


@pytest.mark.parametrize(
    ("pattern", "subject", "expected"),
    [
        ("test.ping", "test.ping", True),
        ("test.ping", "test.pong", False),
        ("test.*", "test.ping", True),
        ("test.*", "test.deep.pong", False),
        ("test.>", "test.deep.pong", True),
        ("test.>", "test", False),
        ("*.ping", "test.ping", True),
        (">", "other.thing", True),
        ("test.*.pong", "test.deep.pong", True),
    ],
)
def test_pattern_matching(pattern: str, subject: str, expected: bool) -> None:
    assert matches(pattern, subject) is expected


def test_make_bus() -> None:
    assert isinstance(make_bus("memory://"), MemoryBus)
    nats = make_bus("nats://10.0.0.1:4222,nats://10.0.0.2:4222")
    assert isinstance(nats, NatsBus) and nats.servers == [
        "nats://10.0.0.1:4222",
        "nats://10.0.0.2:4222",
    ]
    isolated = make_bus("nats://127.0.0.1:4222?stream=JG_PILOT&prefix=pilot.")
    assert isinstance(isolated, NatsBus)
    assert (isolated.stream, isolated.prefix) == ("JG_PILOT", "pilot.")
    assert isolated.servers == ["nats://127.0.0.1:4222"]
    bad = ("redis://localhost", "", "nats://", "kafka://x:9092", "nats://h:4222?color=red")
    for url in bad:
        with pytest.raises(ValueError, match="不支持的事件总线地址"):
            make_bus(url)


async def test_bad_patterns_and_durable_names_are_refused() -> None:
    bus = MemoryBus()
    await bus.start()
    inbox = Inbox()
    for pattern in ("test.>.x", "test..ping", "Test.ping", ""):
        with pytest.raises(ValueError):
            await bus.subscribe(pattern, inbox.handle)
    with pytest.raises(ValueError):
        await bus.subscribe("test.ping", inbox.handle, durable="has.dot")
    await bus.close()


# ---------------------------------------------------------------- bus contract


@pytest.fixture(params=BUS_BACKENDS)
async def connect(request: pytest.FixtureRequest) -> AsyncIterator[Connect]:
    async with asyncio.timeout(30), open_buses(request.param) as connect:
        yield connect


def durable_name() -> str:
    return f"c{uuid.uuid4().hex[:8]}"


async def subscribe(
    bus: Bus, pattern: str, handler: Handler, durable: str | None = None
) -> Subscription:
    return await bus.subscribe(pattern, handler, durable=durable)


async def test_typed_round_trip(connect: Connect) -> None:
    bus = await connect()
    durable, broadcast = Inbox(), Inbox()
    await subscribe(bus, "test.ping", durable.handle, durable_name())
    await subscribe(bus, "test.ping", broadcast.handle)
    sent = Ping(n=7, note="路口拥堵", unit_path="/1/4/")
    await bus.publish(sent)
    for inbox in (durable, broadcast):
        [received] = await inbox.wait_for(1)
        assert type(received) is Ping and received == sent


async def test_wildcard_patterns(connect: Connect) -> None:
    bus = await connect()
    inboxes = {pattern: Inbox() for pattern in ("test.*", "test.>", "test.ping", "*.thing")}
    for pattern, inbox in inboxes.items():
        await subscribe(bus, pattern, inbox.handle, durable_name())
    events = [Ping(n=1), DeepPong(n=2), Other()]
    for event in events:
        await bus.publish(event)
    expected = {
        "test.*": ["test.ping"],
        "test.>": ["test.ping", "test.deep.pong"],
        "test.ping": ["test.ping"],
        "*.thing": ["other.thing"],
    }
    for pattern, subjects in expected.items():
        received = await inboxes[pattern].wait_for(len(subjects))
        assert [event.subject for event in received] == subjects
    await asyncio.sleep(0.2)
    assert all(len(inboxes[p].events) == len(s) for p, s in expected.items())


async def test_durable_redelivers_after_a_failure(connect: Connect) -> None:
    bus = await connect()
    attempts: list[int] = []
    done = Inbox()

    async def flaky(event: Event) -> None:
        attempts.append(len(attempts) + 1)
        if len(attempts) == 1:
            raise RuntimeError("first attempt fails")
        await done.handle(event)

    await subscribe(bus, "test.ping", flaky, durable_name())
    event = Ping(n=1)
    await bus.publish(event)
    assert await done.wait_for(1) == [event]
    await bus.publish(marker := Ping(n=2))
    await done.wait_for_id(marker.id)
    assert attempts == [1, 2, 3]  # two for the first event, one for the marker: nothing more


async def test_durable_gives_up_after_max_deliver(connect: Connect) -> None:
    bus = await connect()
    calls: list[uuid.UUID] = []
    later = Inbox()

    async def broken(event: Event) -> None:
        if isinstance(event, Ping) and event.n == 0:
            calls.append(event.id)
            raise RuntimeError("always fails")
        await later.handle(event)

    await subscribe(bus, "test.ping", broken, durable_name())
    await bus.publish(Ping(n=0))
    await asyncio.sleep(TEST_RETRY.delays[0] * (TEST_RETRY.max_deliver + 3))
    await bus.publish(next_event := Ping(n=1))
    await later.wait_for_id(next_event.id)
    assert len(calls) == TEST_RETRY.max_deliver  # bounded, then logged and dropped


async def test_same_durable_name_shares_events(connect: Connect) -> None:
    first, second = await connect(), await connect()
    name = durable_name()
    handled = Inbox()
    await subscribe(first, "test.ping", handled.handle, name)
    await subscribe(second, "test.ping", handled.handle, name)
    sent = [Ping(n=i) for i in range(20)]
    for event in sent:
        await (first if event.n % 2 else second).publish(event)
    await handled.wait_for(20)
    await asyncio.sleep(0.3)
    assert sorted(handled.ids) == sorted(event.id for event in sent)  # each exactly once overall


async def test_broadcast_reaches_every_subscriber(connect: Connect) -> None:
    first, second = await connect(), await connect()
    one, two = Inbox(), Inbox()
    await subscribe(first, "test.>", one.handle)
    await subscribe(second, "test.>", two.handle)
    sent = [Ping(n=i) for i in range(5)]
    for event in sent:
        await first.publish(event)
    for inbox in (one, two):
        assert [event.id for event in await inbox.wait_for(5)] == [event.id for event in sent]


async def test_broadcast_only_gets_what_is_published_after_subscribing(connect: Connect) -> None:
    bus = await connect()
    await bus.publish(Ping(n=1))
    inbox = Inbox()
    await subscribe(bus, "test.ping", inbox.handle)
    await bus.publish(after := Ping(n=2))
    assert await inbox.wait_for_id(after.id) == [after]


async def test_publish_dedupes_by_event_id(connect: Connect) -> None:
    bus = await connect()
    durable, broadcast = Inbox(), Inbox()
    await subscribe(bus, "test.ping", durable.handle, durable_name())
    await subscribe(bus, "test.ping", broadcast.handle)
    event = Ping(n=1)
    await bus.publish(event)
    await bus.publish(event)
    await bus.publish(Ping(id=event.id, n=1))  # a republished copy from the outbox
    await bus.publish(sentinel := Ping(n=2))
    for inbox in (durable, broadcast):
        await inbox.wait_for_id(sentinel.id)
        assert inbox.ids == [event.id, sentinel.id]


async def test_durable_catches_up_on_events_published_while_unsubscribed(connect: Connect) -> None:
    bus = await connect()
    name = durable_name()
    before = Inbox()
    subscription = await subscribe(bus, "test.ping", before.handle, name)
    await bus.publish(first := Ping(n=1))
    await before.wait_for(1)
    await subscription.stop()
    missed = [Ping(n=2), Ping(n=3)]
    for event in missed:
        await bus.publish(event)
    after = Inbox()
    # Another process (on NATS, another connection) picks the durable consumer up again.
    await subscribe(await connect(), "test.ping", after.handle, name)
    assert [event.id for event in await after.wait_for(2)] == [event.id for event in missed]
    assert first.id not in after.ids and before.ids == [first.id]


async def test_health_and_close(connect: Connect) -> None:
    await connect()
    bus = await connect()
    assert await bus.healthy()
    await bus.close()
    assert not await bus.healthy()


# ---------------------------------------------------------------- outbox


@pytest.fixture
def database(database_url: str) -> Iterator[Database]:
    """The demo database, its seeding's events taken as already relayed."""
    database = Database(database_url)
    with database.transaction() as session:
        session.execute(
            update(OutboxEntry)
            .where(OutboxEntry.published_at.is_(None))
            .values(published_at=dt.datetime.now(dt.UTC))
        )
    yield database
    database.dispose()


@pytest.fixture
async def memory_bus() -> AsyncIterator[MemoryBus]:
    bus = MemoryBus(retry=TEST_RETRY)
    await bus.start()
    yield bus
    await bus.close()


def unpublished(database: Database) -> int:
    with database.sessions() as session:
        query = select(func.count()).where(OutboxEntry.published_at.is_(None))
        return session.scalar(query) or 0


def commit_event(database: Database, event: Event) -> None:
    with database.transaction() as session:
        emit(session, event)


async def test_rolled_back_emit_publishes_nothing(
    database: Database, memory_bus: MemoryBus
) -> None:
    inbox = Inbox()
    await memory_bus.subscribe("test.ping", inbox.handle, durable="c1")
    with database.sessions() as session:
        emit(session, Ping(n=1))
        session.flush()
        session.rollback()
    with pytest.raises(RuntimeError), database.transaction() as session:
        emit(session, Ping(n=2))
        raise RuntimeError("the business write failed")
    assert await OutboxRelay(database, memory_bus).relay_once() == 0
    assert unpublished(database) == 0
    assert inbox.events == []


async def test_committed_emit_is_published_once_right_after_commit(
    database: Database, memory_bus: MemoryBus
) -> None:
    inbox = Inbox()
    await memory_bus.subscribe("test.>", inbox.handle, durable="c1")
    # A long poll interval: delivery within the deadline proves the after-commit wake-up works.
    relay = asyncio.create_task(OutboxRelay(database, memory_bus, poll_seconds=60).run())
    try:
        await asyncio.sleep(0.1)  # let the relay start waiting
        events = [Ping(n=1, unit_path="/1/4/"), DeepPong(n=2)]
        # Committed in a worker thread, as request handlers do.
        await asyncio.to_thread(commit_event, database, events[0])
        await asyncio.to_thread(commit_event, database, events[1])
        assert await inbox.wait_for(2, timeout=5) == events
    finally:
        relay.cancel()
        await asyncio.gather(relay, return_exceptions=True)
    assert unpublished(database) == 0
    assert await OutboxRelay(database, memory_bus).relay_once() == 0
    await asyncio.sleep(0.1)
    assert len(inbox.events) == 2


class CrashAfterPublish(Bus):
    """A real bus whose relay 'crashes' after publishing, before the outbox row is marked."""

    def __init__(self, inner: Bus) -> None:
        self.inner = inner

    async def start(self) -> None:
        await self.inner.start()

    async def publish(self, event: Event) -> None:
        await self.inner.publish(event)
        raise ConnectionError("relay died before marking the entry")

    async def subscribe(
        self, pattern: str, handler: Handler, *, durable: str | None = None
    ) -> Subscription:
        return await self.inner.subscribe(pattern, handler, durable=durable)

    async def healthy(self) -> bool:
        return await self.inner.healthy()

    async def close(self) -> None:
        await self.inner.close()


async def test_republish_after_a_crash_is_deduped(
    database: Database, memory_bus: MemoryBus
) -> None:
    inbox = Inbox()
    await memory_bus.subscribe("test.ping", inbox.handle, durable="c1")
    event = Ping(n=1)
    commit_event(database, event)
    with pytest.raises(ConnectionError):
        await OutboxRelay(database, CrashAfterPublish(memory_bus)).relay_once()
    assert unpublished(database) == 1  # the entry stays for the next relay
    commit_event(database, sentinel := Ping(n=2))
    assert await OutboxRelay(database, memory_bus).relay_once() == 2
    await inbox.wait_for_id(sentinel.id)
    assert inbox.ids == [event.id, sentinel.id]
    assert unpublished(database) == 0


async def test_relay_keeps_entries_while_the_bus_is_down(database: Database) -> None:
    bus = MemoryBus()  # never started: publish fails
    commit_event(database, Ping(n=1))
    relay = asyncio.create_task(OutboxRelay(database, bus, poll_seconds=0.05).run())
    await asyncio.sleep(0.3)
    assert not relay.done() and unpublished(database) == 1
    inbox = Inbox()
    await bus.start()
    await bus.subscribe("test.ping", inbox.handle, durable="c1")
    # Nothing was published while the bus was down, so the durable consumer sees the event now.
    try:
        await inbox.wait_for(1, timeout=5)
    finally:
        relay.cancel()
        await asyncio.gather(relay, return_exceptions=True)
        await bus.close()
    assert unpublished(database) == 0


async def test_parallel_relays_publish_each_entry_once(database: Database) -> None:
    if database.is_sqlite:
        pytest.skip("SKIP LOCKED is PostgreSQL's; on SQLite the bus dedupes a double publish")
    published: list[uuid.UUID] = []

    class Counting(MemoryBus):
        async def publish(self, event: Event) -> None:
            published.append(event.id)
            await asyncio.sleep(0.001)  # yield so the two relays interleave

    bus = Counting()
    await bus.start()
    for n in range(60):
        commit_event(database, Ping(n=n))
    relays = [OutboxRelay(database, bus, batch_size=10) for _ in range(2)]

    async def drain(relay: OutboxRelay) -> None:
        while await relay.relay_once():
            pass

    async with asyncio.timeout(20):
        await asyncio.gather(*(drain(relay) for relay in relays))
    assert len(published) == 60 and len(set(published)) == 60
    assert unpublished(database) == 0


def test_handled_once_is_idempotent(database: Database) -> None:
    event_id = uuid.uuid4()
    with database.transaction() as session:
        assert handled_once(session, "workorders", event_id) is True
        assert handled_once(session, "workorders", event_id) is False
        assert handled_once(session, "push", event_id) is True
    with database.transaction() as session:
        assert handled_once(session, "workorders", event_id) is False
    with database.sessions() as session:
        assert handled_once(session, "audit", event_id) is True
        session.rollback()  # the consumer's work failed: the record goes with it
    with database.transaction() as session:
        assert handled_once(session, "audit", event_id) is True


def test_prune_removes_only_old_published_entries(database: Database) -> None:
    old, recent, pending = Ping(n=1), Ping(n=2), Ping(n=3)
    for event in (old, recent, pending):
        commit_event(database, event)
    now = dt.datetime.now(dt.UTC)
    with database.transaction() as session:
        for event, published_at in ((old, now - dt.timedelta(days=8)), (recent, now)):
            session.execute(
                update(OutboxEntry)
                .where(OutboxEntry.event_id == str(event.id))
                .values(published_at=published_at)
            )
    before = outbox_ids(database)
    assert OutboxRelay(database, MemoryBus()).prune() == 1
    assert outbox_ids(database) == before - {str(old.id)}
    assert {str(recent.id), str(pending.id)} <= before


def outbox_ids(database: Database) -> set[str]:
    with database.sessions() as session:
        return set(session.scalars(select(OutboxEntry.event_id)))


# ---------------------------------------------------------------- app wiring


def test_app_runs_the_bus_relay_and_subscriber_hooks(sqlite_url: str, tmp_path: Path) -> None:
    app = create_app(make_settings(sqlite_url, tmp_path))
    with pytest.raises(RuntimeError):
        bus_of(app)  # not started yet
    received: list[Event] = []
    arrived = threading.Event()

    async def on_ping(event: Event) -> None:
        received.append(event)
        arrived.set()

    async def hook(_app: object, bus: Bus) -> None:
        await bus.subscribe("test.ping", on_ping, durable="test-hook")

    SUBSCRIBERS.append(hook)
    try:
        with TestClient(app, base_url="https://testserver") as client:
            assert isinstance(bus_of(app), MemoryBus)
            assert client.get("/readyz").json()["checks"]["bus"] == "ok"
            commit_event(app.state.db, event := Ping(n=5))
            assert arrived.wait(5)
            assert received == [event]
    finally:
        SUBSCRIBERS.remove(hook)


def test_overlapping_lifespans_of_one_app_each_stop_their_own_bus(
    sqlite_url: str, tmp_path: Path
) -> None:
    """Test suites enter several TestClients on one app (each its own loop) and leave in any order."""
    app = create_app(make_settings(sqlite_url, tmp_path))
    first = TestClient(app, base_url="https://testserver")
    second = TestClient(app, base_url="https://testserver")
    first.__enter__()
    first_bus = bus_of(app)
    second.__enter__()
    second_bus = bus_of(app)
    assert first_bus is not second_bus
    first.__exit__(None, None, None)
    assert second.get("/readyz").json()["checks"]["bus"] == "ok"
    assert bus_of(app) is second_bus
    second.__exit__(None, None, None)
    with pytest.raises(RuntimeError):
        bus_of(app)
