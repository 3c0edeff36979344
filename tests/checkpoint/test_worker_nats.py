"""Scale-out on the real engine: VIID-side publishing to NATS partitions, ingest workers as real
subprocesses, one of them killed (SIGKILL) mid-stream. No pass may be lost or stored twice and no
alert raised twice."""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import os
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import nats
import pytest
from fastapi import FastAPI
from pydantic import ValidationError
from sqlalchemy import func, select

from jiaoguan.app import create_app
from jiaoguan.checkpoint.ingest import PassRecord, make_pass
from jiaoguan.checkpoint.models import Checkpoint, PassRecordRow
from jiaoguan.checkpoint.watch_models import Alert, AlertSighting, Watch, WatchKind, WatchStatus
from jiaoguan.checkpoint.worker import (
    PassStream,
    decode_records,
    encode_records,
    parse_partitions,
    partition_of,
    publish_passes,
)
from jiaoguan.platform.auth.models import OrgUnit
from jiaoguan.platform.db import Database
from tests.conftest import make_settings
from tests.support.databases import NATS_ENV, need_service

PARTITIONS = 4
PASSES = 12_000
PLATES = 600
WATCHED = 6
BATCH = 400  # passes per VIID batch
# Recent passes: hits older than observers.LIVE_FOR are not raised as alerts.
T0 = (dt.datetime.now(dt.UTC) - dt.timedelta(hours=1)).replace(microsecond=0)


def test_partition_is_stable_and_spreads() -> None:
    # CRC-32, not Python's salted hash(): the same plate goes to the same partition in every process.
    assert partition_of("冀F12345", "x", 8) == partition_of("冀F12345", "y", 8)
    seen = {partition_of(f"冀F{n:05d}", "", 8) for n in range(200)}
    assert seen == set(range(8))
    # Unread plates are spread by record id.
    assert len({partition_of("", f"r{n}", 8) for n in range(200)}) == 8


def test_parse_partitions() -> None:
    assert parse_partitions("0-3,6", 8) == [0, 1, 2, 3, 6]
    assert parse_partitions("all", 3) == [0, 1, 2]
    with pytest.raises(ValueError, match="超出"):
        parse_partitions("7-9", 8)
    with pytest.raises(ValueError):
        parse_partitions("a-b", 8)


def test_stream_from_bus_url() -> None:
    target = PassStream.from_url("nats://h:4222,nats://g:4222?stream=X&prefix=ab.", 4)
    assert target.servers == ("nats://h:4222", "nats://g:4222")
    assert (target.stream, target.subject(3), target.durable(3)) == (
        "X_PASSES",
        "ab_passes.3",
        "ingest_p3",
    )
    with pytest.raises(ValueError, match="NATS"):
        PassStream.from_url("memory://", 4)


def test_bus_mode_needs_nats(tmp_path: Path) -> None:
    with pytest.raises(ValidationError, match="JG_BUS_URL"):
        make_settings("sqlite://", tmp_path, ingest_mode="bus", bus_url="memory://")
    settings = make_settings("sqlite://", tmp_path, ingest_mode="bus", bus_url="nats://h:4222")
    assert PassStream.from_settings(settings).partitions == 8


def test_wire_format_round_trip() -> None:
    record = make_pass(
        record_id="R1",
        checkpoint_id=3,
        tollgate_code="13060000001210000001",
        passed_at=T0,
        plate_raw="冀Ｆ1234O",
        plate_colour="5",
        lane_no=2,
        brand="大众",
        speed_kmh=41.5,
    )
    assert decode_records(encode_records([record])) == [record]


# --- the crash test --------------------------------------------------------------------------------


def _records(checkpoints: list[tuple[int, str]]) -> list[PassRecord]:
    """Each plate passes one checkpoint a few times within minutes: no clone contradiction, and
    a watched plate's hits group into one alert whatever order the workers see them in."""
    out = []
    for n in range(PASSES):
        plate_no = n % PLATES
        cp_id, code = checkpoints[plate_no % len(checkpoints)]
        out.append(
            make_pass(
                record_id=f"{code}02{n:026d}",
                checkpoint_id=cp_id,
                tollgate_code=code,
                passed_at=T0 + dt.timedelta(seconds=plate_no * 10 + (n // PLATES) * 15),
                plate_raw=f"冀F{plate_no:05d}",
                plate_colour="5",
                vehicle_class="K33",
                brand="大众",
            )
        )
    return out


def _seed(database: Database) -> list[tuple[int, str]]:
    with database.transaction() as db:
        unit = db.scalars(select(OrgUnit).order_by(OrgUnit.id)).first()
        assert unit is not None
        sites = []
        for i in range(3):
            checkpoint = Checkpoint(
                code=f"130600000012199{i:05d}",
                name=f"测试卡口{i}",
                lon=115.46 + i * 0.05,
                lat=38.87,
                unit_id=unit.id,
            )
            db.add(checkpoint)
            db.flush()
            sites.append((checkpoint.id, checkpoint.code))
        for plate_no in range(WATCHED):
            db.add(
                Watch(
                    plate_no=f"冀F{plate_no * 7:05d}",
                    kind=WatchKind.stolen,
                    status=WatchStatus.active,
                    fuzzy=False,
                    reason="测试布控",
                    starts_at=T0 - dt.timedelta(days=1),
                    ends_at=T0 + dt.timedelta(days=30),
                    unit_id=unit.id,
                    applicant_name="测试",
                )
            )
        return sites


def _counts(database: Database) -> tuple[int, int, int, int]:
    with database.sessions() as db:
        passes = db.scalar(select(func.count()).select_from(PassRecordRow)) or 0
        distinct = db.scalar(select(func.count(func.distinct(PassRecordRow.record_id)))) or 0
        alerts = db.scalar(select(func.count()).select_from(Alert)) or 0
        sightings = db.scalar(select(func.count()).select_from(AlertSighting)) or 0
    return passes, distinct, alerts, sightings


def _wait(
    database: Database, predicate: Callable[[tuple[int, ...]], bool], timeout: float, what: str
) -> tuple[int, ...]:
    deadline = time.monotonic() + timeout
    while True:
        counts = _counts(database)
        if predicate(counts):
            return counts
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}; counts {counts}")
        time.sleep(0.2)


class Workers:
    """`jiaoguan worker ingest` subprocesses with the test's settings in their environment."""

    def __init__(self, env: dict[str, str], log_dir: Path) -> None:
        self.env = env
        self.log_dir = log_dir
        self.started: list[subprocess.Popen[bytes]] = []

    def start(self, name: str) -> subprocess.Popen[bytes]:
        out = (self.log_dir / f"{name}.log").open("wb")
        proc = subprocess.Popen(
            [sys.executable, "-m", "jiaoguan.cli", "worker", "ingest", "--partitions", "all",
             "--ack-wait", "2"],
            env=self.env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )  # fmt: skip
        self.started.append(proc)
        return proc

    def stop_all(self) -> None:
        for proc in self.started:
            if proc.poll() is None:
                proc.kill()
                proc.wait(10)


@pytest.fixture
def workers(tmp_path: Path) -> Iterator[Workers]:
    pool = Workers({}, tmp_path)
    yield pool
    pool.stop_all()


async def _publish(app: FastAPI, records: list[PassRecord]) -> int:
    queued = 0
    for start in range(0, len(records), BATCH):
        result = await publish_passes(app, records[start : start + BATCH])
        queued += result.stored
    return queued


async def _pending(target: PassStream) -> int:
    nc = await nats.connect(list(target.servers))
    try:
        js = nc.jetstream()
        total = 0
        for p in range(target.partitions):
            info = await js.consumer_info(target.stream, target.durable(p))
            total += info.num_pending + info.num_ack_pending
        return total
    finally:
        await nc.close()


async def _drop(target: PassStream) -> None:
    """The pass stream and the event stream the processes made beside it."""
    nc = await nats.connect(list(target.servers))
    try:
        for stream in (target.stream, target.stream.removesuffix("_PASSES")):
            with contextlib.suppress(nats.js.errors.NotFoundError):
                await nc.jetstream().delete_stream(stream)
    finally:
        await nc.close()


def test_killed_worker_loses_and_repeats_nothing(
    database_url: str, tmp_path: Path, workers: Workers
) -> None:
    nats_url = need_service(NATS_ENV, "NATS JetStream")
    tag = uuid.uuid4().hex[:8]
    bus_url = f"{nats_url}?stream=JGTEST_W{tag}&prefix=jgw{tag}."
    settings = make_settings(
        database_url,
        tmp_path,
        bus_url=bus_url,
        ingest_mode="bus",
        ingest_partitions=PARTITIONS,
    )
    front = create_app(settings)  # the VIID front end: publishes, stores nothing itself
    database = Database(database_url)
    records = _records(_seed(database))
    hit_passes = sum(1 for r in records if r.plate in {f"冀F{p * 7:05d}" for p in range(WATCHED)})
    workers.env = {
        **os.environ,
        "JG_DATABASE_URL": database_url,
        "JG_BUS_URL": bus_url,
        "JG_INGEST_PARTITIONS": str(PARTITIONS),
        "JG_SECRET_KEY": "test-secret",
        "JG_DATA_DIR": str(tmp_path),
        "JG_LOG_LEVEL": "WARNING",
        "JG_WORKORDER_CHECK_SECONDS": "0",
    }
    target = PassStream.from_settings(settings)
    loop = asyncio.new_event_loop()
    try:
        first = workers.start("worker-a")
        half = len(records) // 2
        assert loop.run_until_complete(_publish(front, records[:half])) == half
        # Kill worker A while it is part-way through the stream.
        at_kill = _wait(database, lambda c: c[0] >= 1_000, 60, "worker A to store passes")
        first.send_signal(signal.SIGKILL)
        first.wait(10)
        assert first.returncode == -signal.SIGKILL
        assert loop.run_until_complete(_publish(front, records[half:])) == len(records) - half
        assert at_kill[0] < len(records), "worker A finished before it was killed"

        second = workers.start("worker-b")
        done = _wait(database, lambda c: c[0] >= len(records), 90, "worker B to catch up")
        # Redelivery of what A took but never acknowledged comes after the ack wait: let it pass.
        deadline = time.monotonic() + 30
        while loop.run_until_complete(_pending(target)) and time.monotonic() < deadline:
            time.sleep(0.3)
        assert loop.run_until_complete(_pending(target)) == 0

        # A front end retrying batches (other batch boundaries: new message ids) stores nothing.
        replay = records[: 3 * BATCH + 17]
        assert loop.run_until_complete(_publish(front, replay[::-1])) == len(replay)
        deadline = time.monotonic() + 30
        while loop.run_until_complete(_pending(target)) and time.monotonic() < deadline:
            time.sleep(0.3)
        time.sleep(1.0)
        final = _counts(database)
        second.send_signal(signal.SIGTERM)
        assert second.wait(30) == 0
    finally:
        publisher = getattr(front.state, "checkpoint_publisher", None)
        if publisher is not None:
            loop.run_until_complete(publisher.close())
        loop.run_until_complete(_drop(target))
        loop.close()
        database.dispose()

    passes, distinct, alerts, sightings = final
    assert passes == distinct == len(records) == done[0]  # none lost, none twice
    assert alerts == WATCHED  # one alert per watched plate, none raised again on redelivery
    assert sightings == hit_passes  # every hit recorded once
    with Database(database_url).sessions() as db:
        repeated = db.execute(
            select(AlertSighting.record_id)
            .group_by(AlertSighting.record_id)
            .having(func.count() > 1)
        ).all()
    assert repeated == []
