"""Platform kernel figures: event bus throughput (memory and NATS JetStream), outbox relay rate,
and live-push latency from a committed notification to the browser's SSE stream.

Push latency is reported beside a baseline measured in the same run, the round trip of a plain
authenticated GET to the same server, so noisy machines compare like with like.
"""

from __future__ import annotations

import asyncio
import os
import statistics
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

import httpx
from rich.progress import Progress

from jiaoguan.app import create_app
from jiaoguan.config import Settings
from jiaoguan.demo import seed_everything
from jiaoguan.platform import migrate
from jiaoguan.platform.db import Database
from jiaoguan.platform.events import Event, emit
from jiaoguan.platform.events.bus import Bus
from jiaoguan.platform.events.memory import MemoryBus
from jiaoguan.platform.events.nats_bus import NatsBus
from jiaoguan.platform.events.relay import OutboxRelay
from jiaoguan.platform.push import notify

NAME = "platform"
NATS_URL = os.environ.get("JG_BENCH_NATS_URL", os.environ.get("JG_TEST_NATS_URL", ""))
PASSWORD = "bench-Password-2026"


class BenchPing(Event, subject="bench.ping"):
    seq: int


async def _bus_rate(bus: Bus, count: int, *, durable: str | None) -> float:
    """Events per second from the first publish until the subscriber has seen all of them."""
    await bus.start()
    seen = 0
    done = asyncio.Event()

    async def handler(_: Event) -> None:
        nonlocal seen
        seen += 1
        if seen >= count:
            done.set()

    await bus.subscribe("bench.ping", handler, durable=durable)
    started = time.perf_counter()
    for seq in range(count):
        await bus.publish(BenchPing(seq=seq))
    await asyncio.wait_for(done.wait(), timeout=300)
    elapsed = time.perf_counter() - started
    await bus.close()
    return count / elapsed


def _nats(tag: str) -> NatsBus:
    suffix = uuid.uuid4().hex[:8]
    return NatsBus(NATS_URL, stream=f"BENCH_{tag}_{suffix}", prefix=f"bench{suffix}.")


async def _drop_stream(bus: NatsBus) -> None:
    await bus.start()
    await bus.delete_stream()
    await bus.close()


def bus_figures(progress: Progress) -> dict[str, float]:
    task = progress.add_task("事件总线吞吐", total=4)
    figures = {
        "bus_memory_broadcast_per_s": asyncio.run(_bus_rate(MemoryBus(), 50_000, durable=None)),
    }
    progress.advance(task)
    figures["bus_memory_durable_per_s"] = asyncio.run(
        _bus_rate(MemoryBus(), 50_000, durable="bench")
    )
    progress.advance(task)
    if NATS_URL:
        for kind, durable in (("broadcast", None), ("durable", "bench")):
            bus = _nats(kind)
            figures[f"bus_nats_{kind}_per_s"] = asyncio.run(_bus_rate(bus, 5_000, durable=durable))
            asyncio.run(_drop_stream(bus))
            progress.advance(task)
    return figures


def _seeded_database(folder: Path) -> str:
    url = f"sqlite:///{folder / 'bench.db'}"
    migrate.upgrade(url)
    database = Database(url)
    with database.transaction() as db:
        seed_everything(db, PASSWORD)
    database.dispose()
    return url


async def _relay_rate(url: str, count: int) -> dict[str, float]:
    database = Database(url)
    bus = MemoryBus()
    await bus.start()
    seen = asyncio.Event()
    received = 0

    async def handler(_: Event) -> None:
        nonlocal received
        received += 1
        if received >= count:
            seen.set()

    await bus.subscribe("bench.ping", handler)
    started = time.perf_counter()
    # One event per business transaction, as requests emit them.
    for seq in range(count):
        with database.transaction() as db:
            emit(db, BenchPing(seq=seq))
    committed = time.perf_counter() - started
    relay = OutboxRelay(database, bus, batch_size=500)
    relay_started = time.perf_counter()
    task = asyncio.create_task(relay.run())
    await asyncio.wait_for(seen.wait(), timeout=300)
    relayed = time.perf_counter() - relay_started
    task.cancel()
    await asyncio.gather(task, return_exceptions=True)
    await bus.close()
    database.dispose()
    return {"outbox_emit_commits_per_s": count / committed, "outbox_relay_per_s": count / relayed}


def _push_latencies(url: str, folder: Path, count: int, progress: Progress) -> dict[str, float]:
    """Seconds from `notify()` returning (committed) until the frame arrives on an open stream."""
    from tests.support.live_server import LiveServer  # the same server harness as the browser tests

    settings = Settings(  # type: ignore[call-arg]
        database_url=url,
        secret_key="bench",
        data_dir=folder,
        workorder_check_seconds=0,
        log_level="WARNING",
    )
    app = create_app(settings)
    task = progress.add_task("推送延迟", total=count)
    with LiveServer(app) as server, httpx.Client(base_url=server.url, timeout=30) as client:
        token = client.post(
            "/api/v1/auth/token", json={"username": "admin", "password": PASSWORD}
        ).json()["access_token"]
        client.headers["Authorization"] = f"Bearer {token}"
        baseline = _round_trips(client, count)
        latencies: list[float] = []
        with client.stream("GET", "/api/v1/push/stream") as stream:
            lines = stream.iter_lines()
            next(lines)  # the retry line: the stream is open and listening
            for seq in range(count):
                notify(app, title=f"基准 {seq}", unit_path="/")
                committed = time.perf_counter()
                for line in lines:
                    if line.startswith("data:"):
                        break
                latencies.append(time.perf_counter() - committed)
                progress.advance(task)
    return _latency_figures(latencies, baseline)


def _round_trips(client: httpx.Client, count: int) -> list[float]:
    times: list[float] = []
    for _ in range(count):
        started = time.perf_counter()
        client.get("/api/v1/push/notifications", params={"limit": 1}).raise_for_status()
        times.append(time.perf_counter() - started)
    return times


def _percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


def _latency_figures(latencies: list[float], baseline: list[float]) -> dict[str, Any]:
    p50, p99 = statistics.median(latencies) * 1000, _percentile(latencies, 0.99) * 1000
    base50 = statistics.median(baseline) * 1000
    return {
        "push_latency_p50_ms": p50,
        "push_latency_p99_ms": p99,
        "api_round_trip_p50_ms": base50,
        "api_round_trip_p99_ms": _percentile(baseline, 0.99) * 1000,
        "push_p50_over_round_trip": p50 / base50,
    }


def run(progress: Progress) -> dict[str, float]:
    figures = bus_figures(progress)
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        url = _seeded_database(folder)
        figures |= asyncio.run(_relay_rate(url, 2_000))
        figures |= _push_latencies(url, folder, 300, progress)
    return {key: round(value, 3) for key, value in figures.items()}
