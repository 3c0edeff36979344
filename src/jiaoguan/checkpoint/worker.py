"""Scale-out of the pass ingest on NATS JetStream: partitions by plate, durable per partition.

With `JG_INGEST_MODE=bus` (and `JG_BUS_URL=nats://...`) the VIID front ends do not store passes:
`publish_passes` groups an accepted batch by a stable hash of the plate into `JG_INGEST_PARTITIONS`
subjects `<prefix>_passes.<n>` of their own stream (`<stream>_PASSES`) and publishes every message
at once, then waits for all the JetStream acknowledgements together (one round trip per batch, not
per message). Each message carries a content-derived `Nats-Msg-Id`, so a front end retrying a
batch does not enqueue it twice.

`jiaoguan worker ingest --partitions 0-3` runs an `IngestWorker`: per owned partition one durable
pull consumer `ingest_p<n>`; it fetches a run of messages, hands their records to the app's
`Ingestor` (which stores them, deduplicating on (record_id, passed_at), and shows only the newly
stored ones to the matchers) and acknowledges the messages after the commit. A worker killed
between commit and acknowledgement: the messages come again (after the ack wait) to whoever owns
the partition next; the records are duplicates by then, so nothing is stored twice. Since the
dead worker may have died before its matchers ran, redelivered records are shown to the matchers
once more; alerts group by plate and record id, so that raises what was missed and nothing twice.
A plate always lands in the same partition, so one worker holds all of a plate's recent sightings
(clone detection) in memory; a restarted worker starts that memory afresh.

Partition ownership is by configuration: start each partition in exactly one worker.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import hashlib
import json
import re
import signal
import time
import zlib
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Annotated, Any
from urllib.parse import parse_qsl

import nats
import typer
from fastapi import FastAPI
from nats.aio.client import Client as NatsClient
from nats.aio.msg import Msg
from nats.js import JetStreamContext, api
from nats.js.errors import NotFoundError
from starlette.concurrency import run_in_threadpool

from jiaoguan.config import Settings
from jiaoguan.platform.logging import log
from jiaoguan.platform.tasks import background_task

if TYPE_CHECKING:
    from jiaoguan.checkpoint.ingest import IngestResult, PassRecord

MSG_ID = "Nats-Msg-Id"
MAX_RECORDS_PER_MESSAGE = 1_000  # ~250 kB of JSON: well below NATS's 1 MB default payload limit
FETCH_MESSAGES = 64  # messages fetched (and ingested in one batch) at a time per partition
ACK_WAIT_S = 30.0
_PARTITIONS = re.compile(r"^\d+(-\d+)?(,\d+(-\d+)?)*$")


# --- where passes go --------------------------------------------------------------------------


@dataclass(frozen=True)
class PassStream:
    """The JetStream stream of passes beside the event stream of `JG_BUS_URL`."""

    servers: tuple[str, ...]
    stream: str
    subject_prefix: str  # e.g. "jg_passes." ; the partition number follows
    partitions: int

    @classmethod
    def from_settings(cls, settings: Settings) -> PassStream:
        return cls.from_url(settings.bus_url, settings.ingest_partitions)

    @classmethod
    def from_url(cls, url: str, partitions: int) -> PassStream:
        servers_part, _, query = url.partition("?")
        servers = tuple(s.strip() for s in servers_part.split(",") if s.strip())
        if not servers or not all(s.startswith(("nats://", "tls://")) for s in servers):
            raise ValueError("按分区入库需要 NATS：请设置 JG_BUS_URL=nats://主机:4222")
        options = dict(parse_qsl(query))
        stream = options.get("stream", "JIAOGUAN")
        prefix = options.get("prefix", "jg.").rstrip(".")
        # A subject space of its own: the event stream owns "<prefix>.>".
        return cls(servers, f"{stream}_PASSES", f"{prefix}_passes.", partitions)

    def subject(self, partition: int) -> str:
        return f"{self.subject_prefix}{partition}"

    @staticmethod
    def durable(partition: int) -> str:
        return f"ingest_p{partition}"


def partition_of(plate: str, record_id: str, partitions: int) -> int:
    """Stable across processes and runs (CRC-32, not Python's salted hash). Unread plates are
    spread by record id: they have no sightings to keep together."""
    key = plate or record_id
    return zlib.crc32(key.encode("utf-8")) % partitions


def parse_partitions(spec: str, total: int) -> list[int]:
    """'0-3,6' → [0, 1, 2, 3, 6]; every number below `total`."""
    spec = spec.replace(" ", "")
    if spec in {"", "all"}:
        return list(range(total))
    if not _PARTITIONS.match(spec):
        raise ValueError(f"分区应写作 0-3,6 这样的列表，而不是 {spec!r}")
    found: set[int] = set()
    for part in spec.split(","):
        first, _, last = part.partition("-")
        found.update(range(int(first), int(last or first) + 1))
    outside = sorted(p for p in found if p >= total)
    if outside:
        raise ValueError(f"分区 {outside} 超出分区总数 {total}（0–{total - 1}）")
    return sorted(found)


# --- the wire format: JSON arrays in ingest.PASS_COLUMNS order ---------------------------------


def encode_records(records: Sequence[PassRecord]) -> bytes:
    rows = [
        [
            r.record_id,
            r.passed_at.isoformat(),
            r.checkpoint_id,
            r.tollgate_code,
            r.lane_no,
            r.plate,
            r.plate_raw,
            r.plate_colour,
            r.plate_class,
            r.vehicle_class,
            r.vehicle_colour,
            r.brand,
            r.speed_kmh,
            r.direction,
        ]
        for r in records
    ]
    return json.dumps(rows, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def decode_records(data: bytes) -> list[PassRecord]:
    from jiaoguan.checkpoint.ingest import PassRecord

    out = []
    for row in json.loads(data):
        (rid, at, cp, code, lane, plate, raw, colour, pclass, vclass, vcolour, brand, speed, d) = (
            row
        )
        out.append(
            PassRecord(
                record_id=rid,
                checkpoint_id=cp,
                tollgate_code=code,
                lane_no=lane,
                passed_at=dt.datetime.fromisoformat(at),
                plate=plate,
                plate_raw=raw,
                plate_colour=colour,
                plate_class=pclass,
                vehicle_class=vclass,
                vehicle_colour=vcolour,
                brand=brand,
                speed_kmh=speed,
                direction=d,
            )
        )
    return out


def message_id(records: Sequence[PassRecord]) -> str:
    """Derived from the records' keys: the same batch published again is dropped by JetStream."""
    digest = hashlib.blake2b(digest_size=16)
    for r in records:
        digest.update(f"{r.record_id}|{r.passed_at.isoformat()}\n".encode())
    return digest.hexdigest()


# --- publishing (the VIID front ends) ------------------------------------------------------------


async def _connect(servers: Sequence[str], name: str) -> NatsClient:
    return await nats.connect(
        servers=list(servers), name=name, max_reconnect_attempts=-1, reconnect_time_wait=1
    )


async def ensure_stream(js: JetStreamContext, target: PassStream) -> None:
    config = api.StreamConfig(
        name=target.stream,
        subjects=[f"{target.subject_prefix}*"],
        storage=api.StorageType.FILE,
        retention=api.RetentionPolicy.LIMITS,
        max_age=7 * 24 * 3600.0,
        duplicate_window=600.0,
    )
    try:
        await js.stream_info(target.stream)
    except NotFoundError:
        await js.add_stream(config)


class PassPublisher:
    """One NATS connection per process; publishes partitioned batches with batched acks."""

    def __init__(self, target: PassStream) -> None:
        self.target = target
        self._nc: NatsClient | None = None
        self._js: JetStreamContext | None = None
        self._lock = asyncio.Lock()

    async def _jetstream(self) -> JetStreamContext:
        if self._js is None:
            async with self._lock:
                if self._js is None:
                    self._nc = await _connect(self.target.servers, "jiaoguan-viid")
                    js = self._nc.jetstream(publish_async_max_pending=4096)
                    await ensure_stream(js, self.target)
                    self._js = js
        return self._js

    async def publish(self, records: Sequence[PassRecord]) -> int:
        """Publish every record; returns how many JetStream accepted as new (not duplicate)."""
        js = await self._jetstream()
        parts: dict[int, list[PassRecord]] = {}
        n = self.target.partitions
        for r in records:
            parts.setdefault(partition_of(r.plate, r.record_id, n), []).append(r)
        futures: list[asyncio.Future[api.PubAck]] = []
        sizes: list[int] = []
        for partition, items in parts.items():
            for start in range(0, len(items), MAX_RECORDS_PER_MESSAGE):
                chunk = items[start : start + MAX_RECORDS_PER_MESSAGE]
                futures.append(
                    await js.publish_async(
                        self.target.subject(partition),
                        encode_records(chunk),
                        stream=self.target.stream,
                        headers={MSG_ID: message_id(chunk)},
                    )
                )
                sizes.append(len(chunk))
        acks = await asyncio.wait_for(asyncio.gather(*futures), timeout=30)
        return sum(size for size, ack in zip(sizes, acks, strict=True) if not ack.duplicate)

    async def close(self) -> None:
        if self._nc is not None and not self._nc.is_closed:
            # Every publish awaited its acknowledgement: nothing is in flight to drain.
            with contextlib.suppress(Exception):
                await self._nc.close()
        self._nc = None
        self._js = None


def bus_mode(app: FastAPI) -> bool:
    settings: Settings = app.state.settings
    return settings.ingest_mode == "bus"


def publisher_of(app: FastAPI) -> PassPublisher:
    publisher: PassPublisher | None = getattr(app.state, "checkpoint_publisher", None)
    if publisher is None:
        publisher = PassPublisher(PassStream.from_settings(app.state.settings))
        app.state.checkpoint_publisher = publisher
    return publisher


async def publish_passes(app: FastAPI, records: Sequence[PassRecord]) -> IngestResult:
    """The bus branch of `ingest.submit`: accepted means durably queued for a worker.

    `stored` counts the records queued; storage and matching happen in the workers, where a
    record stored before is skipped as a duplicate.
    """
    from jiaoguan.checkpoint.ingest import IngestResult

    queued = await publisher_of(app).publish(records) if records else 0
    return IngestResult(stored=queued, duplicates=len(records) - queued)


@background_task
async def close_publisher(app: FastAPI) -> None:
    """Closes the process's publisher when the app stops (the task is cancelled then)."""
    try:
        await asyncio.Event().wait()
    finally:
        publisher: PassPublisher | None = getattr(app.state, "checkpoint_publisher", None)
        if publisher is not None:
            await publisher.close()


# --- the ingest worker ---------------------------------------------------------------------------


@dataclass
class WorkerStats:
    messages: int = 0
    records: int = 0
    stored: int = 0
    duplicates: int = 0
    started: float = field(default_factory=time.monotonic)

    def line(self) -> str:
        rate = self.records / max(time.monotonic() - self.started, 1e-9)
        return (
            f"消息 {self.messages}，过车 {self.records}（新入库 {self.stored}，"
            f"重复 {self.duplicates}），{rate:,.0f} 条/秒"
        )


class IngestWorker:
    """Consumes owned partitions into the app's `Ingestor` (store, match, alert), acking after."""

    def __init__(
        self,
        app: FastAPI,
        target: PassStream,
        partitions: Sequence[int],
        *,
        ack_wait_s: float = ACK_WAIT_S,
    ) -> None:
        self.app = app
        self.target = target
        self.partitions = list(partitions)
        self.ack_wait_s = ack_wait_s
        self.stats = WorkerStats()
        self._stop = asyncio.Event()
        self._nc: NatsClient | None = None

    def stop(self) -> None:
        self._stop.set()

    async def run(self) -> WorkerStats:
        from jiaoguan.checkpoint.ingest import ingestor_of

        ingestor = ingestor_of(self.app)
        self._nc = await _connect(self.target.servers, "jiaoguan-ingest-worker")
        js = self._nc.jetstream()
        await ensure_stream(js, self.target)
        try:
            pulls = [await self._bind(js, p) for p in self.partitions]
            await asyncio.gather(*(self._loop(pull, ingestor) for pull in pulls))
        finally:
            # Not drain(): every processed message is acknowledged already, and what is still
            # being fetched goes back to the stream after the ack wait.
            with contextlib.suppress(Exception):
                await self._nc.close()
        return self.stats

    async def _bind(
        self, js: JetStreamContext, partition: int
    ) -> JetStreamContext.PullSubscription:
        durable = self.target.durable(partition)
        config = api.ConsumerConfig(
            name=durable,
            durable_name=durable,
            filter_subject=self.target.subject(partition),
            deliver_policy=api.DeliverPolicy.ALL,
            ack_policy=api.AckPolicy.EXPLICIT,
            # Unacknowledged messages (a worker died) are redelivered after this long.
            ack_wait=self.ack_wait_s,
            max_ack_pending=FETCH_MESSAGES * 4,
        )
        await js.add_consumer(self.target.stream, config)
        return await js.pull_subscribe_bind(durable=durable, stream=self.target.stream)

    async def _loop(self, pull: JetStreamContext.PullSubscription, ingestor: Any) -> None:
        while not self._stop.is_set():
            try:
                msgs = await pull.fetch(FETCH_MESSAGES, timeout=1.0)
            except TimeoutError:
                continue
            except Exception:
                if self._stop.is_set():
                    break
                log.warning("pass fetch failed", exc_info=True)
                await asyncio.sleep(1.0)
                continue
            await self._handle(msgs, ingestor)

    async def _handle(self, msgs: list[Msg], ingestor: Any) -> None:
        records: list[PassRecord] = []
        redelivered: list[PassRecord] = []
        for msg in msgs:
            batch = decode_records(msg.data)
            records.extend(batch)
            if msg.metadata.num_delivered > 1:
                redelivered.extend(batch)
        try:
            # Stores, commits, then runs the matchers on the new records; in a thread so the
            # other partitions' fetches (and acks) go on meanwhile.
            result = await run_in_threadpool(ingestor.ingest, records)
            if redelivered:
                await run_in_threadpool(_observe_again, ingestor, redelivered, result)
        except Exception:
            log.error("pass ingest failed; messages left for redelivery", exc_info=True)
            for msg in msgs:
                with contextlib.suppress(Exception):
                    await msg.nak(delay=2.0)
            return
        for msg in msgs:
            await msg.ack()
        self.stats.messages += len(msgs)
        self.stats.records += len(records)
        self.stats.stored += result.stored
        self.stats.duplicates += result.duplicates


def _observe_again(ingestor: Any, redelivered: list[PassRecord], result: IngestResult) -> None:
    """A worker that died after the commit but before its matchers ran stored these records
    without alerting on them: show the matchers the redelivered records the ingest skipped as
    duplicates. Alerts group by plate and record id (alerts.raise_hit), so a record whose alert
    was raised already adds nothing."""
    fresh = {(r.record_id, r.passed_at) for r in result.new}
    again = [r for r in redelivered if (r.record_id, r.passed_at) not in fresh]
    if again:
        for observer in ingestor.observers:
            observer.observe(again)


async def run_worker(
    settings: Settings,
    partitions: Sequence[int],
    *,
    ack_wait_s: float = ACK_WAIT_S,
    report_every_s: float = 10.0,
) -> WorkerStats:
    """The worker process: the app started (events, outbox relay, alerts) without HTTP."""
    from jiaoguan.app import create_app
    from jiaoguan.checkpoint import observers  # noqa: F401 - registers the matchers

    app = create_app(settings)
    target = PassStream.from_settings(settings)
    async with app.router.lifespan_context(app):
        worker = IngestWorker(app, target, partitions, ack_wait_s=ack_wait_s)
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, worker.stop)
        log.info("ingest worker started", partitions=list(partitions), stream=target.stream)
        reporter = asyncio.create_task(_report(worker, report_every_s))
        try:
            stats = await worker.run()
        finally:
            reporter.cancel()
        log.info("ingest worker stopped", summary=stats.line())
        return stats


async def _report(worker: IngestWorker, every_s: float) -> None:
    while True:
        await asyncio.sleep(every_s)
        log.info("ingest worker progress", summary=worker.stats.line())


# --- `jiaoguan worker ...` -------------------------------------------------------------------------

worker_app = typer.Typer(help="后台工作进程（按分区入库等）", no_args_is_help=True)


@worker_app.command("ingest")
def ingest_command(
    partitions: Annotated[
        str, typer.Option("--partitions", help="本进程负责的分区，如 0-3,6；all 为全部")
    ] = "all",
    ack_wait: Annotated[
        float, typer.Option("--ack-wait", min=1, help="未确认消息重投前等待的秒数")
    ] = ACK_WAIT_S,
) -> None:
    """按号牌分区消费 NATS 中的过车记录：入库、布控比对、套牌检测与预警（需 JG_BUS_URL=nats://…）。"""
    from jiaoguan.config import get_settings

    settings = get_settings()
    try:
        PassStream.from_settings(settings)
        owned = parse_partitions(partitions, settings.ingest_partitions)
    except ValueError as exc:
        typer.echo(str(exc), err=True)
        raise typer.Exit(2) from exc
    stats = asyncio.run(run_worker(settings, owned, ack_wait_s=ack_wait))
    typer.echo(stats.line())
