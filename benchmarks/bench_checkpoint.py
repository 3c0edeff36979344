"""Checkpoint surveillance figures (issue 5 targets), measured in one run on SQLite:

- bulk ingest with watchlist matching, clone detection and restriction rules on, beside a plain
  `executemany` of the same rows into a table of the same shape in the same database;
- VIID over loopback: a real uvicorn server process, a registered device posting
  MotorVehicleListObject batches from two connections;
- alert latency: from the POST of a watched plate to the SSE frame of the browser push, while
  other devices post 5,000 passes/s;
- trajectory and checkpoint-window queries (the module's own query functions, audit included) at
  1 M and at the largest size loaded within the budget, with the bytes stored per pass;
- clone detection on a week of simulated demo-city traffic with OCR noise, scored against the
  planted truth (precision, recall, confusion counts).

Sizes can be changed with JG_BENCH_CKP_SIZES (e.g. "1000000,10000000").
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import gc
import os
import socket
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import numpy as np
import polars as pl
from rich.progress import Progress
from sqlalchemy import func, select

from jiaoguan.app import create_app
from jiaoguan.checkpoint import observers, queries
from jiaoguan.checkpoint.clones import Registered, detect_clones, score_detections
from jiaoguan.checkpoint.digest import client_authorization, digest_ha1
from jiaoguan.checkpoint.ingest import Ingestor, PassRecord, ingestor_of, make_pass, sqlite_time
from jiaoguan.checkpoint.legacy import LOAD_BATCH
from jiaoguan.checkpoint.models import Checkpoint, DeviceKind, Lane, ViidDevice
from jiaoguan.checkpoint.traffic_sim import TrafficSim, impossible_pairs, motor_vehicle_objects
from jiaoguan.checkpoint.travel import CheckpointSites
from jiaoguan.checkpoint.watch_models import Alert, Watch, WatchKind, WatchStatus
from jiaoguan.config import Settings
from jiaoguan.demo import seed_everything
from jiaoguan.platform import migrate
from jiaoguan.platform.auth.models import OrgUnit, User
from jiaoguan.platform.auth.service import principal_of
from jiaoguan.platform.db import Database
from jiaoguan.sim.city import City, generate_city

assert observers  # imported for its side effect: the matchers register on the ingestor
NAME = "checkpoint"
PASSWORD = "bench-Password-2026"
DEVICE_ID = "13060000005030009999"
DEVICE_PASSWORD = "bench-viid-2026"
INGEST_DAYS = 3  # demo city: ~270 k passes a day
CLONE_DAYS = 7
BATCH = LOAD_BATCH  # what `jiaoguan checkpoint load` stores per transaction; the raw baseline too
VIID_BATCH = 1_000
VIID_PASSES = 100_000
PROBES = 200  # alert-latency samples
LOAD_RATE = 5_000  # passes/s sent beside the probes
LOADERS = 2
NATS_URL = os.environ.get("JG_BENCH_NATS_URL", os.environ.get("JG_TEST_NATS_URL", ""))
BUS_PASSES = 50_000
POSTGRES_URL = os.environ.get("JG_BENCH_POSTGRES_URL", os.environ.get("JG_TEST_POSTGRES_URL", ""))
# Stored-pass sizes the queries are measured at: PostgreSQL (daily partitions) when a server is
# configured, SQLite otherwise (its single B-trees load too slowly for more within the budget).
_DEFAULT_SIZES = "1000000,10000000" if POSTGRES_URL else "1000000,3000000"
SIZES = [int(s) for s in os.environ.get("JG_BENCH_CKP_SIZES", _DEFAULT_SIZES).split(",")]
QUERY_REPEATS = 60


# --- the world: simulated city and traffic, a migrated database with checkpoints and watches ----


class World:
    def __init__(self, folder: Path, progress: Progress) -> None:
        task = progress.add_task("卡口：示范市与过车模拟", total=3)
        self.folder = folder
        self.city: City = generate_city(1, "demo")
        self.sim = TrafficSim(self.city, seed=1)
        progress.advance(task)
        self.url = f"sqlite:///{folder / 'checkpoint.db'}"
        migrate.upgrade(self.url)
        self.database = Database(self.url)
        with self.database.transaction() as db:
            seed_everything(db, PASSWORD)
        progress.advance(task)
        self.checkpoint_ids = self._seed_checkpoints()
        self.probe_plates = [f"冀F9{n:04d}" for n in range(PROBES + 20)]
        self._seed_watches()
        progress.advance(task)

    def settings(self, **overrides: Any) -> Settings:
        values: dict[str, Any] = {
            "database_url": self.url,
            "secret_key": "bench",
            "data_dir": self.folder,
            "workorder_check_seconds": 0,
            "log_level": "WARNING",
            **overrides,
        }
        return Settings(**values)

    def _seed_checkpoints(self) -> dict[str, int]:
        with self.database.transaction() as db:
            root = db.scalars(select(OrgUnit).where(OrgUnit.parent_id.is_(None))).one()
            ids = {}
            for site in self.sim.sites:
                checkpoint = Checkpoint(
                    code=site.code,
                    name=site.name,
                    lon=site.lon,
                    lat=site.lat,
                    lane_count=site.lanes,
                    unit_id=root.id,
                    road_node=site.node,
                )
                checkpoint.lanes = [Lane(lane_no=n) for n in range(1, site.lanes + 1)]
                db.add(checkpoint)
                db.flush()
                ids[site.code] = checkpoint.id
            db.add(
                ViidDevice(
                    device_id=DEVICE_ID,
                    name="基准测试汇聚平台",
                    kind=DeviceKind.platform,
                    unit_id=root.id,
                    digest_ha1=digest_ha1(DEVICE_ID, DEVICE_PASSWORD),
                    enabled=True,
                )
            )
            return ids

    def _seed_watches(self) -> None:
        start = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
        plates = list(self.sim.wanted["plate"]) + self.probe_plates
        with self.database.transaction() as db:
            root = db.scalars(select(OrgUnit).where(OrgUnit.parent_id.is_(None))).one()
            for plate in plates:
                db.add(
                    Watch(
                        plate_no=plate,
                        kind=WatchKind.stolen,
                        status=WatchStatus.active,
                        fuzzy=True,
                        reason="基准测试布控",
                        starts_at=start,
                        ends_at=start + dt.timedelta(days=3650),
                        unit_id=root.id,
                        applicant_name="基准",
                    )
                )

    def records(self, passes: pl.DataFrame) -> list[PassRecord]:
        ids = self.checkpoint_ids
        return [
            make_pass(
                record_id=rid,
                checkpoint_id=ids[code],
                tollgate_code=code,
                lane_no=lane,
                passed_at=at,
                plate_raw=raw,
                plate_colour=colour,
                plate_class=pclass,
                vehicle_class=vclass,
                vehicle_colour=vcolour,
                brand=brand,
                speed_kmh=speed,
                direction=direction,
            )
            for (rid, code, lane, at, raw, colour, pclass, vclass, vcolour, brand, speed, direction)
            in passes.iter_rows()
        ]  # fmt: skip


def _batches(records: list[PassRecord], size: int) -> Iterator[list[PassRecord]]:
    for start in range(0, len(records), size):
        yield records[start : start + size]


# --- bulk ingest against raw executemany -----------------------------------------------------------


def _raw_table(path: Path) -> None:
    """`pass_raw`: the same columns, keys and indexes as pass_record."""
    con = sqlite3.connect(path)
    ddl = [
        sql
        for (sql,) in con.execute(
            "SELECT sql FROM sqlite_master WHERE tbl_name = 'pass_record' AND sql IS NOT NULL"
        )
    ]
    for sql in ddl:
        con.execute(sql.replace("pass_record", "pass_raw"))
    con.commit()
    con.close()


def ingest_figures(world: World, progress: Progress) -> dict[str, float]:
    days = [world.sim.day(i) for i in range(INGEST_DAYS)]
    records = world.records(pl.concat([d.passes for d in days]))
    app = create_app(world.settings())
    ingestor = ingestor_of(app)
    ingestor.ingest(records[:1])  # warm the matchers (watch index, sites) outside the timing
    task = progress.add_task("卡口：批量入库（比对、套牌检测开启）", total=len(records) - 1)
    started = time.perf_counter()
    cpu_started = time.process_time()
    stored = 0
    for batch in _batches(records[1:], BATCH):
        stored += ingestor.ingest(batch).stored
        progress.advance(task, len(batch))
    bulk_s = time.perf_counter() - started
    bulk_cpu_s = time.process_time() - cpu_started
    replay_started = time.perf_counter()
    replayed = sum(ingestor.ingest(b).stored for b in _batches(records[:50_000], BATCH))
    replay_s = time.perf_counter() - replay_started

    path = world.folder / "checkpoint.db"
    _raw_table(path)
    rows = [
        (r.record_id, sqlite_time(r.passed_at), r.checkpoint_id, r.tollgate_code, r.lane_no,
         r.plate, r.plate_raw, r.plate_colour, r.plate_class, r.vehicle_class, r.vehicle_colour,
         r.brand, r.speed_kmh, r.direction)
        for r in records[1:]
    ]  # fmt: skip
    marks = ", ".join("?" for _ in rows[0])
    # The same store: a connection of the platform's own pool, with its settings (WAL, cache).
    con = ingestor.database.engine.raw_connection()
    raw_task = progress.add_task("卡口：原始 executemany 基线", total=len(rows))
    started = time.perf_counter()
    for start in range(0, len(rows), BATCH):
        con.executemany(f"INSERT INTO pass_raw VALUES ({marks})", rows[start : start + BATCH])
        con.commit()
        progress.advance(raw_task, min(BATCH, len(rows) - start))
    raw_s = time.perf_counter() - started
    con.execute("DROP TABLE pass_raw")
    con.commit()
    con.close()
    bulk = (len(records) - 1) / bulk_s
    raw = len(rows) / raw_s
    return {
        "ingest_passes": len(records) - 1,
        "ingest_stored": stored,
        "ingest_bulk_per_s": bulk,
        # Per core: the passes over the CPU time the process used for them (all its threads).
        "ingest_bulk_per_cpu_s": (len(records) - 1) / bulk_cpu_s,
        "ingest_raw_insert_per_s": raw,
        "ingest_ratio_vs_raw": bulk / raw,
        "ingest_replay_per_s": 50_000 / replay_s,
        "ingest_replay_stored": replayed,
    }


def live_ingest_figures(world: World, progress: Progress) -> dict[str, float]:
    """The bulk path again on an unseen day, with every hit treated as live (observers.LIVE_FOR
    stretched): each watch hit opens or joins an alert, with its interception order and pushes.
    Bulk history loads raise none of these (their passes are too old to intercept); this is the
    price of the alerts themselves, at the simulator's rate of wanted vehicles."""
    records = world.records(world.sim.day(INGEST_DAYS).passes)
    ingestor = ingestor_of(create_app(world.settings()))
    ingestor.ingest(records[:1])
    task = progress.add_task("卡口：批量入库（每次比中都按实时预警处理）", total=len(records) - 1)
    with _alerts_count(world) as raised, _everything_live():
        started = time.perf_counter()
        for batch in _batches(records[1:], BATCH):
            ingestor.ingest(batch)
            progress.advance(task, len(batch))
        elapsed = time.perf_counter() - started
    return {
        "ingest_live_alerts_per_s": (len(records) - 1) / elapsed,
        "ingest_live_alerts_raised": raised(),
    }


@contextlib.contextmanager
def _everything_live() -> Iterator[None]:
    kept = observers.LIVE_FOR
    observers.LIVE_FOR = dt.timedelta(days=36500)
    try:
        yield
    finally:
        observers.LIVE_FOR = kept


@contextlib.contextmanager
def _alerts_count(world: World) -> Iterator[Callable[[], int]]:
    def count() -> int:
        with world.database.sessions() as db:
            return int(db.scalar(select(func.count(Alert.id))) or 0)

    before = count()
    yield lambda: count() - before


# --- clone detection scored against the planted truth -------------------------------------------


def clone_figures(world: World, progress: Progress) -> dict[str, float]:
    sim = world.sim
    ids = np.array([world.checkpoint_ids[s.code] for s in sim.sites], dtype=np.int64)
    sites = CheckpointSites(
        ids=ids,
        names=[s.name for s in sim.sites],
        codes=[s.code for s in sim.sites],
        lon=np.array([s.lon for s in sim.sites]),
        lat=np.array([s.lat for s in sim.sites]),
        unit_ids=[0] * len(ids),
        unit_paths=["/"] * len(ids),
        seconds=sim.travel.seconds,
    )
    registry = {
        plate: Registered.of(vclass, brand, colour)
        for plate, vclass, brand, colour in sim.registry.select(
            "plate_no", "vehicle_class", "brand", "vehicle_color"
        ).iter_rows()
    }
    task = progress.add_task("卡口：套牌检测（一周模拟数据）", total=CLONE_DAYS)
    seen: list[pl.DataFrame] = []
    truths: list[pl.DataFrame] = []

    def batches() -> Iterator[list[PassRecord]]:
        for index in range(CLONE_DAYS):
            day = sim.day(index)
            seen.append(day.passes.select("record_id", "tollgate_code", "passed_at"))
            truths.append(day.truth)
            yield from _batches(world.records(day.passes), BATCH)
            progress.advance(task)

    started = time.perf_counter()
    findings, stats = detect_clones(sites, batches(), registry=registry)
    elapsed = time.perf_counter() - started
    planted = sim.clones["plate"].to_list()
    score = score_detections([f.plate for f in findings], planted)
    # The truth side: planted clones whose two cars were ever seen faster than free-flow driving
    # allows (the most a time-distance detector can find; the rest only by features).
    pairs = impossible_pairs(pl.concat(seen), pl.concat(truths), sim.travel.frame())
    detectable = set(pairs["true_plate"]) & set(planted)
    found = {f.plate for f in findings}
    return {
        "clone_detectable": len(detectable),
        "clone_recall_of_detectable": len(found & detectable) / max(len(detectable), 1),
        "clone_passes_scored": stats.passes,
        "clone_planted": sim.clones.height,
        "clone_tp": score.true_positives,
        "clone_fp": score.false_positives,
        "clone_fn": score.false_negatives,
        "clone_precision": score.precision,
        "clone_recall": score.recall,
        "clone_contradictions": stats.contradictions,
        "clone_explained_as_misread": stats.explained,
        "clone_detect_per_s": stats.passes / elapsed,
    }


# --- VIID over loopback and alert latency ----------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class Server:
    """The platform in its own uvicorn process (the client must not share its interpreter), or
    another `jiaoguan` process (an ingest worker) with the same settings."""

    def __init__(
        self, world: World, env: dict[str, str] | None = None, command: list[str] | None = None
    ) -> None:
        self.port = _free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        environment = {
            **os.environ,
            "JG_DATABASE_URL": world.url,
            "JG_SECRET_KEY": "bench",
            "JG_DATA_DIR": str(world.folder),
            "JG_LOG_LEVEL": "WARNING",
            "JG_WORKORDER_CHECK_SECONDS": "0",
            "JG_INGEST_MODE": "local",
            **(env or {}),
        }
        command = command or [
            sys.executable, "-m", "uvicorn", "jiaoguan.app:create_app", "--factory",
            "--host", "127.0.0.1", "--port", str(self.port), "--log-level", "warning",
            "--no-access-log",
        ]  # fmt: skip
        self.log = (world.folder / f"process-{self.port}.log").open("wb")
        self.proc = subprocess.Popen(
            command, env=environment, stdout=self.log, stderr=subprocess.STDOUT
        )

    def wait_ready(self, timeout: float = 90.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError("平台进程启动失败，见 process-*.log")
            try:
                if httpx.get(f"{self.url}/healthz", timeout=2).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            time.sleep(0.3)
        raise TimeoutError("平台未就绪")

    def stop(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(20)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(10)
        self.log.close()


VIID_HEADERS = {"Content-Type": "application/VIID+JSON;charset=UTF-8", "User-Identify": DEVICE_ID}


async def register(client: httpx.AsyncClient) -> None:
    body = {"RegisterObject": {"DeviceID": DEVICE_ID}}
    uri = "/VIID/System/Register"
    first = await client.post(uri, json=body, headers=VIID_HEADERS)
    if first.status_code != 401:
        first.raise_for_status()
        return
    auth = client_authorization(
        DEVICE_ID, DEVICE_PASSWORD, "POST", uri, first.headers["WWW-Authenticate"]
    )
    second = await client.post(uri, json=body, headers={**VIID_HEADERS, "Authorization": auth})
    second.raise_for_status()


async def post_batch(client: httpx.AsyncClient, objects: list[dict[str, Any]]) -> None:
    body = {"MotorVehicleListObject": {"MotorVehicleObject": objects}}
    response = await client.post("/VIID/MotorVehicles", json=body, headers=VIID_HEADERS)
    response.raise_for_status()
    statuses = response.json()["ResponseStatusListObject"]["ResponseStatusObject"]
    bad = [s for s in statuses if int(s["StatusCode"]) != 0]
    if bad:
        raise RuntimeError(f"VIID refused {len(bad)} objects: {bad[0]}")


def _fresh_day(world: World, index: int) -> list[dict[str, Any]]:
    """A later simulated day's passes as MotorVehicleObjects (ids not stored yet)."""
    objects: list[dict[str, Any]] = motor_vehicle_objects(world.sim.day(index).passes)
    return objects


async def _viid_rate(url: str, objects: list[dict[str, Any]], progress: Progress) -> float:
    task = progress.add_task("卡口：VIID 回环上报", total=len(objects))
    async with httpx.AsyncClient(base_url=url, timeout=120) as client:
        await register(client)
        chunks = [objects[i : i + VIID_BATCH] for i in range(0, len(objects), VIID_BATCH)]
        queue = list(reversed(chunks))

        async def sender() -> None:
            while queue:
                chunk = queue.pop()
                await post_batch(client, chunk)
                progress.advance(task, len(chunk))

        started = time.perf_counter()
        await asyncio.gather(sender(), sender())
        return len(objects) / (time.perf_counter() - started)


def _probe_object(template: dict[str, Any], plate: str, seq: int) -> dict[str, Any]:
    now = dt.datetime.now(dt.UTC) + dt.timedelta(hours=8)
    stamp = now.strftime("%Y%m%d%H%M%S")
    return {
        **template,
        "MotorVehicleID": f"{template['TollgateID']}02{stamp}{seq:05d}0299999",
        "PlateNo": plate,
        "PassTime": stamp,
    }


async def _alert_latencies(
    url: str, background: list[dict[str, Any]], plates: list[str], progress: Progress
) -> tuple[list[float], float]:
    """(probe latencies in seconds, the background rate actually sent)."""
    task = progress.add_task("卡口：预警推送延迟（5000 条/秒背景）", total=PROBES)
    async with (
        httpx.AsyncClient(base_url=url, timeout=60) as api,
        httpx.AsyncClient(base_url=url, timeout=60) as loader,
        httpx.AsyncClient(base_url=url, timeout=None) as push,
    ):
        token = (
            await api.post("/api/v1/auth/token", json={"username": "admin", "password": PASSWORD})
        ).json()["access_token"]
        await register(api)
        stop = asyncio.Event()
        sent = 0
        position = 0
        tick = 0.2
        # Two devices, each posting its share every tick, so that one slow answer does not
        # hold the whole load back.
        per_tick = int(LOAD_RATE * tick / LOADERS)

        async def load(offset: float) -> None:
            nonlocal sent, position
            next_at = time.perf_counter() + offset
            await asyncio.sleep(offset)
            while not stop.is_set() and position < len(background):
                chunk = background[position : position + per_tick]
                position += per_tick
                await post_batch(loader, chunk)
                sent += len(chunk)
                next_at += tick
                await asyncio.sleep(max(0.0, next_at - time.perf_counter()))

        waiting: dict[str, asyncio.Future[float]] = {}

        async def listen(ready: asyncio.Event) -> None:
            headers = {"Authorization": f"Bearer {token}"}
            async with push.stream("GET", "/api/v1/push/stream", headers=headers) as stream:
                ready.set()
                async for line in stream.aiter_lines():
                    if not line.startswith("data:"):
                        continue
                    for plate, future in list(waiting.items()):
                        if plate in line and not future.done():
                            future.set_result(time.perf_counter())

        ready = asyncio.Event()
        listener = asyncio.create_task(listen(ready))
        await asyncio.wait_for(ready.wait(), 30)
        loader_task = asyncio.gather(*(load(i * tick / LOADERS) for i in range(LOADERS)))
        await asyncio.sleep(1.0)  # the load is running
        started = time.perf_counter()
        latencies: list[float] = []
        template = background[0]
        for seq, plate in enumerate(plates[:PROBES]):
            future: asyncio.Future[float] = asyncio.get_running_loop().create_future()
            waiting[plate] = future
            sent_at = time.perf_counter()
            await post_batch(api, [_probe_object(template, plate, seq)])
            try:
                arrived = await asyncio.wait_for(future, 10)
                latencies.append(arrived - sent_at)
            except TimeoutError:
                latencies.append(10.0)  # counted as a 10 s miss, never dropped
            waiting.pop(plate, None)
            progress.advance(task)
            await asyncio.sleep(0.05)
        elapsed = time.perf_counter() - started
        stop.set()
        await loader_task
        listener.cancel()
        await asyncio.gather(listener, return_exceptions=True)
        return latencies, sent / (elapsed + 1.0)


@contextlib.contextmanager
def _still_instrument() -> Iterator[None]:
    """The measuring client holds the simulated city and a day of passes (millions of objects):
    its own full garbage collections (~200 ms) would show up as alert latency. Everything it
    holds is frozen out of the collector while it measures the server."""
    gc.collect()
    gc.freeze()
    try:
        yield
    finally:
        gc.unfreeze()


def _percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


def viid_figures(world: World, progress: Progress) -> dict[str, float]:
    objects = _fresh_day(world, 10)[:VIID_PASSES]
    background = _fresh_day(world, 11)
    # Background passes carry today's time, so that nothing is refused as too old or too new.
    stamp = (dt.datetime.now(dt.UTC) + dt.timedelta(hours=8)).strftime("%Y%m%d%H%M%S")
    background = [{**o, "PassTime": stamp} for o in background]
    server = Server(world)
    try:
        server.wait_ready()
        rate = asyncio.run(_viid_rate(server.url, objects, progress))
        with _still_instrument():
            latencies, load = asyncio.run(
                _alert_latencies(server.url, background, world.probe_plates, progress)
            )
    finally:
        server.stop()
    return {
        "viid_loopback_per_s": rate,
        "alert_latency_p50_ms": statistics.median(latencies) * 1000,
        "alert_latency_p99_ms": _percentile(latencies, 0.99) * 1000,
        "alert_latency_max_ms": max(latencies) * 1000,
        "alert_latency_probes": len(latencies),
        "alert_background_per_s": load,
    }


def _stored(world: World) -> int:
    con = sqlite3.connect(world.folder / "checkpoint.db")
    try:
        return int(con.execute("SELECT count(*) FROM pass_record").fetchone()[0])
    finally:
        con.close()


async def _drop_streams(url: str, streams: list[str]) -> None:
    import nats

    nc = await nats.connect(url.partition("?")[0].split(","))
    try:
        for stream in streams:
            with contextlib.suppress(Exception):
                await nc.jetstream().delete_stream(stream)
    finally:
        await nc.close()


def bus_figures(world: World, progress: Progress) -> dict[str, float]:
    """VIID front end publishing to NATS partitions, one `jiaoguan worker ingest` storing."""
    if not NATS_URL:
        return {}
    tag = uuid.uuid4().hex[:8]
    bus_url = f"{NATS_URL}?stream=JGBENCH_{tag}&prefix=jgb{tag}."
    env = {"JG_INGEST_MODE": "bus", "JG_BUS_URL": bus_url, "JG_INGEST_PARTITIONS": "4"}
    objects = _fresh_day(world, 12)[:BUS_PASSES]
    before = _stored(world)
    server = Server(world, env)
    worker = Server(world, env, [sys.executable, "-m", "jiaoguan.cli", "worker", "ingest"])
    try:
        server.wait_ready()
        started = time.perf_counter()
        front = asyncio.run(_viid_rate(server.url, objects, progress))
        deadline = time.monotonic() + 300
        while _stored(world) < before + len(objects) and time.monotonic() < deadline:
            time.sleep(0.2)
        stored = _stored(world) - before
        end_to_end = stored / (time.perf_counter() - started)
    finally:
        worker.stop()
        server.stop()
        asyncio.run(_drop_streams(NATS_URL, [f"JGBENCH_{tag}", f"JGBENCH_{tag}_PASSES"]))
    return {
        "viid_bus_front_per_s": front,
        "viid_bus_end_to_end_per_s": end_to_end,
        "viid_bus_stored": stored,
    }


# --- queries at scale ------------------------------------------------------------------------------

PLATES_IN_CITY = 300_000
PASSES_PER_DAY = 1_000_000
QUERY_CHECKPOINTS = 200
T0 = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
STEP_US = 86_400_000_000 // PASSES_PER_DAY
# The same synthetic rows on both engines: pass i at T0 + i * STEP_US, checkpoint i % 200, plate
# (i * 7919) % 300 k (a prime stride: every plate once per 300 k passes, spread over the day).
_COLUMNS = (
    "record_id, passed_at, checkpoint_id, tollgate_code, lane_no, plate, plate_raw, "
    "plate_colour, plate_class, vehicle_class, vehicle_colour, brand, speed_kmh, direction"
)


class SqliteStore:
    """Rows generated inside SQLite by a recursive CTE (no Python per row)."""

    engine = "sqlite"

    def __init__(self, folder: Path) -> None:
        self.path = folder / "queries.db"
        self.url = f"sqlite:///{self.path}"

    def fill(self, start: int, count: int) -> None:
        con = sqlite3.connect(self.path)
        con.execute("PRAGMA synchronous=OFF")
        con.execute("PRAGMA cache_size=-400000")
        base = int(T0.timestamp() * 1_000_000)
        for first in range(start, start + count, 1_000_000):
            last = min(first + 1_000_000, start + count) - 1
            con.execute(
                f"""
                WITH RECURSIVE n(i) AS (SELECT {first} UNION ALL SELECT i + 1 FROM n WHERE i < {last})
                INSERT INTO pass_record ({_COLUMNS})
                SELECT printf('13060000001210%06d02%026d', i % {QUERY_CHECKPOINTS}, i),
                    strftime('%Y-%m-%d %H:%M:%f000', ({base} + i * {STEP_US}) / 1000000.0,
                             'unixepoch'),
                    1 + (i % {QUERY_CHECKPOINTS}), printf('13060000001210%06d', i % {QUERY_CHECKPOINTS}),
                    1 + (i % 4), printf('冀F%05d', (i * 7919) % {PLATES_IN_CITY}),
                    printf('冀F%05d', (i * 7919) % {PLATES_IN_CITY}),
                    '5', '02', 'K33', '2', '大众', 40.0, '1'
                FROM n
                """
            )
            con.commit()
        con.close()

    def used_bytes(self) -> int:
        con = sqlite3.connect(self.path)
        pages = con.execute("PRAGMA page_count").fetchone()[0]
        free = con.execute("PRAGMA freelist_count").fetchone()[0]
        size = con.execute("PRAGMA page_size").fetchone()[0]
        con.close()
        return int((pages - free) * size)

    def analyse(self) -> None:
        """SQLite plans from the indexes alone; nothing to do."""

    def close(self) -> None:
        """The folder goes with the run."""


class PostgresStore:
    """A scratch database; rows by generate_series into daily partitions (the ingest path's
    `ensure_partitions` creates them)."""

    engine = "postgresql"

    def __init__(self, server_url: str) -> None:
        from sqlalchemy.engine import make_url

        self.name = f"jg_bench_{uuid.uuid4().hex[:8]}"
        self.server = make_url(server_url)
        self._admin(f'CREATE DATABASE "{self.name}"')
        self.url = self.server.set(database=self.name).render_as_string(hide_password=False)

    def _admin(self, sql: str) -> None:
        import psycopg

        url = self.server.set(drivername="postgresql", database="postgres")
        with psycopg.connect(url.render_as_string(hide_password=False), autocommit=True) as con:
            con.execute(sql.encode())

    def fill(self, start: int, count: int) -> None:
        database = Database(self.url)
        ingestor = Ingestor(database)
        try:
            for first in range(start, start + count, PASSES_PER_DAY):
                last = min(first + PASSES_PER_DAY, start + count) - 1
                days = {(T0 + dt.timedelta(microseconds=i * STEP_US)).date() for i in (first, last)}
                ingestor.ensure_partitions(days)
                with database.engine.begin() as con:
                    con.exec_driver_sql(
                        f"""
                        INSERT INTO pass_record ({_COLUMNS})
                        SELECT '13060000001210' || lpad(mod(i, {QUERY_CHECKPOINTS})::text, 6, '0')
                                || '02' || lpad(i::text, 26, '0'),
                            timestamptz '{T0.isoformat()}' + (i * {STEP_US}) * interval '1 microsecond',
                            1 + mod(i, {QUERY_CHECKPOINTS}),
                            '13060000001210' || lpad(mod(i, {QUERY_CHECKPOINTS})::text, 6, '0'),
                            1 + mod(i, 4),
                            '冀F' || lpad(mod(i * 7919, {PLATES_IN_CITY})::text, 5, '0'),
                            '冀F' || lpad(mod(i * 7919, {PLATES_IN_CITY})::text, 5, '0'),
                            '5', '02', 'K33', '2', '大众', 40.0, '1'
                        FROM generate_series({first}::bigint, {last}::bigint) AS i
                        """
                    )
        finally:
            database.dispose()

    def used_bytes(self) -> int:
        database = Database(self.url)
        try:
            with database.engine.connect() as con:
                value = con.exec_driver_sql(
                    "SELECT coalesce(sum(pg_total_relation_size(inhrelid)), 0) FROM pg_inherits "
                    "WHERE inhparent = 'pass_record'::regclass"
                ).scalar()
        finally:
            database.dispose()
        return int(value or 0)

    def analyse(self) -> None:
        database = Database(self.url)
        try:
            with database.engine.begin() as con:
                con.exec_driver_sql("ANALYZE pass_record")
        finally:
            database.dispose()

    def close(self) -> None:
        self._admin(f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)')


def query_figures(folder: Path, progress: Progress) -> dict[str, float]:
    store: SqliteStore | PostgresStore = (
        PostgresStore(POSTGRES_URL) if POSTGRES_URL else SqliteStore(folder)
    )
    try:
        return _query_figures(store, progress)
    finally:
        store.close()


def _query_figures(store: SqliteStore | PostgresStore, progress: Progress) -> dict[str, float]:
    migrate.upgrade(store.url)
    database = Database(store.url)
    with database.transaction() as db:
        seed_everything(db, PASSWORD)
        root = db.scalars(select(OrgUnit).where(OrgUnit.parent_id.is_(None))).one()
        for n in range(QUERY_CHECKPOINTS):
            code = f"13060000001210{n:06d}"
            db.add(Checkpoint(code=code, name=f"基准卡口{n}", lon=115.4 + n * 0.001, lat=38.8,
                              unit_id=root.id))  # fmt: skip
    empty = store.used_bytes()
    figures: dict[str, float] = {"query_engine_postgresql": float(store.engine == "postgresql")}
    loaded = 0
    rng = np.random.default_rng(7)
    task = progress.add_task(f"卡口：查询规模（{store.engine} 装载与测量）", total=max(SIZES))
    for size in sorted(SIZES):
        started = time.perf_counter()
        store.fill(loaded, size - loaded)
        store.analyse()
        progress.advance(task, size - loaded)
        label = _size_label(size)
        figures[f"load_{label}_per_s"] = (size - loaded) / (time.perf_counter() - started)
        loaded = size
        figures[f"bytes_per_pass_{label}"] = (store.used_bytes() - empty) / size
        trajectory_ms, window_ms = _measure_queries(database, size / PASSES_PER_DAY, rng)
        figures[f"query_trajectory_median_ms_{label}"] = trajectory_ms
        figures[f"query_window_median_ms_{label}"] = window_ms
    database.dispose()
    largest = _size_label(max(SIZES))
    smallest = _size_label(min(SIZES))
    figures["stored_passes"] = max(SIZES)
    figures["query_trajectory_median_ms"] = figures[f"query_trajectory_median_ms_{largest}"]
    figures["query_window_median_ms"] = figures[f"query_window_median_ms_{largest}"]
    figures["bytes_per_pass"] = figures[f"bytes_per_pass_{largest}"]
    for kind in ("trajectory", "window"):
        small = figures[f"query_{kind}_median_ms_{smallest}"]
        big = figures[f"query_{kind}_median_ms_{largest}"]
        # Growth of the median per tenfold growth of the table: 1.0 is flat.
        decades = max(np.log10(max(SIZES) / min(SIZES)), 1e-9)
        figures[f"query_{kind}_growth_per_10x"] = (big / small) ** (1 / decades)
    return figures


def _timed(call: Callable[[], object], repeats: int) -> float:
    times: list[float] = []
    for _ in range(repeats):
        started = time.perf_counter()
        call()
        times.append(time.perf_counter() - started)
    return float(statistics.median(times)) * 1000


def _measure_queries(
    database: Database, days: float, rng: np.random.Generator
) -> tuple[float, float]:
    """Median ms of a one-day trajectory of a random plate and of a 15-minute window at a random
    checkpoint, through the module's query functions (scope, audit row and all)."""
    with database.sessions() as db:
        admin = db.scalars(select(User).where(User.username == "admin")).one()
        principal = principal_of(admin)

        def trajectory() -> None:
            plate = f"冀F{int(rng.integers(0, PLATES_IN_CITY)):05d}"
            day = T0 + dt.timedelta(days=float(rng.uniform(0, max(days - 1, 0))))
            period = queries.Period.of(day, day + dt.timedelta(days=1))
            queries.trajectory(db, principal, plate, period, "基准测试")

        def window() -> None:
            cp = int(rng.integers(1, QUERY_CHECKPOINTS + 1))
            at = T0 + dt.timedelta(hours=float(rng.uniform(0, days * 24 - 0.25)))
            period = queries.Period.of(at, at + dt.timedelta(minutes=15))
            where = queries.WindowFilter(checkpoint_ids=[cp])
            queries.window(db, principal, period, where, "基准测试")

        trajectory()  # warm the caches once
        window()
        result = _timed(trajectory, QUERY_REPEATS), _timed(window, QUERY_REPEATS)
        db.rollback()  # the measurements' audit rows are not kept
    return result


def _size_label(size: int) -> str:
    return f"{size // 1_000_000}m" if size >= 1_000_000 else f"{size // 1000}k"


# --- the run ------------------------------------------------------------------------------------------


def run(progress: Progress) -> dict[str, float]:
    figures: dict[str, float] = {}
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        world = World(folder, progress)
        figures |= ingest_figures(world, progress)
        figures |= live_ingest_figures(world, progress)
        figures |= clone_figures(world, progress)
        world.database.dispose()
        figures |= viid_figures(world, progress)
        figures |= bus_figures(world, progress)
        figures |= query_figures(folder, progress)
    # The key names beside the descriptive ones.
    figures |= {
        "bulk_ingest_per_s": figures["ingest_bulk_per_s"],
        "raw_insert_per_s": figures["ingest_raw_insert_per_s"],
        "bulk_vs_raw_ratio": figures["ingest_ratio_vs_raw"],
        "viid_ingest_per_s": figures["viid_loopback_per_s"],
        "trajectory_query_median_ms": figures["query_trajectory_median_ms"],
        "window_query_median_ms": figures["query_window_median_ms"],
    }
    return {key: round(float(value), 3) for key, value in figures.items()}
