"""The pass-record ingest path: one canonical `PassRecord`, written in batches without the ORM,
deduplicated on (record_id, passed_at), then shown to the observers (watchlist matchers, clone
detection...) — only the records this call stored, so a replayed batch raises nothing twice.

Adapters (VIID in `viid.py`, files in `legacy.py`, the simulation) build records with
`make_pass` (plate normalised) and check them with `check_pass`; `Ingestor.ingest` trusts them.

SQLite: one `INSERT OR IGNORE` executemany; when it stored fewer rows than given, the transaction
is rolled back and redone knowing which keys exist (replays are rare and cheap to redo). PostgreSQL:
COPY into a temporary table, then `INSERT ... ON CONFLICT DO NOTHING RETURNING`; the table is
partitioned by UTC day and missing partitions are created before the write.
"""

from __future__ import annotations

import datetime as dt
import re
import threading
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from operator import attrgetter
from typing import Any, Protocol

from fastapi import FastAPI
from sqlalchemy import select, text

from jiaoguan.checkpoint import worker  # bus branch of `submit`
from jiaoguan.checkpoint.models import Checkpoint, CheckpointStatus, Lane
from jiaoguan.platform.db import Database
from jiaoguan.registry.validators import normalise_plate

UTC = dt.UTC
EARLIEST = dt.datetime(2000, 1, 1, tzinfo=UTC)
FUTURE_TOLERANCE = dt.timedelta(minutes=10)  # device clocks drift; beyond this a time is wrong
RECORD_ID = re.compile(r"^[0-9A-Za-z_\-.:]{1,48}$")


@dataclass(slots=True)
class PassRecord:
    record_id: str  # MotorVehicleID, or the legacy record's id
    checkpoint_id: int  # checkpoint.id
    tollgate_code: str  # 20-digit TollgateID
    lane_no: int | None
    passed_at: dt.datetime  # tz-aware UTC
    plate: str  # normalised (normalise_pass_plate); '' if unreadable
    plate_raw: str
    plate_colour: str  # GA/T 1400 ColorType code (codes.COLOR_LABELS)
    plate_class: str | None
    vehicle_class: str | None
    vehicle_colour: str | None
    brand: str | None
    speed_kmh: float | None
    direction: str | None


# Column order of pass_record rows written by the ingest path (and of `as_row`).
PASS_COLUMNS: tuple[str, ...] = (
    "record_id",
    "passed_at",
    "checkpoint_id",
    "tollgate_code",
    "lane_no",
    "plate",
    "plate_raw",
    "plate_colour",
    "plate_class",
    "vehicle_class",
    "vehicle_colour",
    "brand",
    "speed_kmh",
    "direction",
)


@dataclass(slots=True)
class IngestResult:
    stored: int = 0
    duplicates: int = 0
    new: list[PassRecord] = field(default_factory=list)  # the stored records, in input order

    def add(self, other: IngestResult) -> None:
        self.stored += other.stored
        self.duplicates += other.duplicates
        self.new.extend(other.new)


class PassObserver(Protocol):
    def observe(self, passes: Sequence[PassRecord]) -> None:
        """Called after each batch is committed, with only the newly stored records."""


ObserverFactory = Callable[[FastAPI], PassObserver]
_OBSERVER_FACTORIES: list[ObserverFactory] = []


def register_observer_factory(factory: ObserverFactory) -> None:
    """Modules (watchlist matcher, clone detector) add an observer to every app's ingestor."""
    if factory not in _OBSERVER_FACTORIES:
        _OBSERVER_FACTORIES.append(factory)


# --- building and checking records --------------------------------------------------------------

# Latin look-alikes OCR engines and keyboards produce (Cyrillic, Greek); NFKC does not fold them.
_CONFUSABLES = str.maketrans(
    "АВЕКМНОРСТХУаеорсхукмнтвΑΒΕΖΗΙΚΜΝΟΡΤΥΧ",
    "ABEKMHOPCTXYAEOPCXYKMHTBABEZHIKMNOPTYX",
)


def normalise_pass_plate(raw: str) -> str:
    """The matching form of a captured plate: look-alike letters folded, then
    `registry.validators.normalise_plate` (full-width, case, separators, O/I in the serial)."""
    return normalise_plate(raw.translate(_CONFUSABLES))


def make_pass(
    *,
    record_id: str,
    checkpoint_id: int,
    tollgate_code: str,
    passed_at: dt.datetime,
    plate_raw: str,
    plate_colour: str = "99",
    lane_no: int | None = None,
    plate_class: str | None = None,
    vehicle_class: str | None = None,
    vehicle_colour: str | None = None,
    brand: str | None = None,
    speed_kmh: float | None = None,
    direction: str | None = None,
) -> PassRecord:
    """A record with the plate normalised and the time in UTC."""
    return PassRecord(
        record_id=record_id,
        checkpoint_id=checkpoint_id,
        tollgate_code=tollgate_code,
        lane_no=lane_no,
        passed_at=passed_at.astimezone(UTC),
        plate=normalise_pass_plate(plate_raw)[:16],
        plate_raw=plate_raw[:32],
        plate_colour=plate_colour or "99",
        plate_class=plate_class,
        vehicle_class=vehicle_class,
        vehicle_colour=vehicle_colour,
        brand=brand[:32] if brand else None,
        speed_kmh=speed_kmh,
        direction=direction,
    )


def check_pass(record: PassRecord, now: dt.datetime) -> str | None:
    """Why a record cannot be stored (Chinese), or None."""
    if not RECORD_ID.match(record.record_id):
        return "记录编号应为 1–48 位字母、数字或 _-.:"
    if record.passed_at.tzinfo is None:
        return "过车时间缺少时区"
    if record.passed_at < EARLIEST:
        return "过车时间早于 2000 年"
    if record.passed_at > now + FUTURE_TOLERANCE:
        return "过车时间晚于当前时间"
    if record.speed_kmh is not None and not 0 <= record.speed_kmh <= 400:
        return "车速应在 0–400 km/h"
    if record.lane_no is not None and not 0 <= record.lane_no <= 99:
        return "车道号应在 0–99"
    return None


# --- the checkpoint directory the adapters resolve TollgateIDs with -------------------------------


@dataclass(frozen=True, slots=True)
class KnownCheckpoint:
    id: int
    code: str
    name: str
    enabled: bool
    lanes: frozenset[int]
    direction: str | None
    lon: float
    lat: float


class CheckpointDirectory:
    """TollgateID → checkpoint, cached in memory; reloaded on a miss at most every few seconds so
    a checkpoint added in the registry is known without a restart."""

    def __init__(self, database: Database, reload_after_s: float = 5.0) -> None:
        self._database = database
        self._reload_after_s = reload_after_s
        self._by_code: dict[str, KnownCheckpoint] = {}
        self._loaded_at = -1e9
        self._lock = threading.Lock()

    def reload(self) -> None:
        with self._database.sessions() as db:
            lanes: dict[int, set[int]] = {}
            for checkpoint_id, lane_no in db.execute(select(Lane.checkpoint_id, Lane.lane_no)):
                lanes.setdefault(checkpoint_id, set()).add(lane_no)
            found = {
                c.code: KnownCheckpoint(
                    c.id,
                    c.code,
                    c.name,
                    c.status != CheckpointStatus.disabled,
                    frozenset(lanes.get(c.id, ())),
                    c.direction,
                    c.lon,
                    c.lat,
                )
                for c in db.scalars(select(Checkpoint))
            }
        with self._lock:
            self._by_code = found
            self._loaded_at = time.monotonic()

    def get(self, code: str) -> KnownCheckpoint | None:
        found = self._by_code.get(code)
        if found is None and time.monotonic() - self._loaded_at > self._reload_after_s:
            self.reload()
            found = self._by_code.get(code)
        return found

    def by_id(self, checkpoint_id: int) -> KnownCheckpoint | None:
        found = next((c for c in self._by_code.values() if c.id == checkpoint_id), None)
        if found is None and time.monotonic() - self._loaded_at > self._reload_after_s:
            self.reload()
            found = next((c for c in self._by_code.values() if c.id == checkpoint_id), None)
        return found

    def all(self) -> list[KnownCheckpoint]:
        if not self._by_code:
            self.get("")
        return list(self._by_code.values())


# --- the writer ------------------------------------------------------------------------------------

_AFTER_TIME = attrgetter(*PASS_COLUMNS[2:])  # the columns after (record_id, passed_at), in C
_SQLITE_INSERT = (
    f"INSERT OR IGNORE INTO pass_record ({', '.join(PASS_COLUMNS)}) "
    f"VALUES ({', '.join('?' for _ in PASS_COLUMNS)})"
)
_PG_STAGE = "pass_incoming"
_PG_INSERT = (
    f"INSERT INTO pass_record ({', '.join(PASS_COLUMNS)}) "
    f"SELECT {', '.join(PASS_COLUMNS)} FROM {_PG_STAGE} "
    "ON CONFLICT DO NOTHING RETURNING record_id, passed_at"
)
_SQLITE_KEYS_CHUNK = 10_000  # below SQLite's 32,766 bound variables


def sqlite_time(value: dt.datetime) -> str:
    """The text SQLAlchemy's SQLite DateTime stores (and compares against): UTC, microseconds."""
    if value.tzinfo is not UTC:
        value = value.astimezone(UTC)
    return value.isoformat(" ", "microseconds")[:26]  # without "+00:00"


def as_row(record: PassRecord) -> tuple[Any, ...]:
    """The record as a pass_record row in PASS_COLUMNS order (time left as datetime)."""
    return (
        record.record_id,
        record.passed_at,
        record.checkpoint_id,
        record.tollgate_code,
        record.lane_no,
        record.plate,
        record.plate_raw,
        record.plate_colour,
        record.plate_class,
        record.vehicle_class,
        record.vehicle_colour,
        record.brand,
        record.speed_kmh,
        record.direction,
    )


def _sqlite_rows(batch: list[PassRecord]) -> list[tuple[Any, ...]]:
    # Devices stamp passes to the second: a batch holds far fewer distinct times than passes.
    texts = {at: sqlite_time(at) for at in {r.passed_at for r in batch}}
    rest = _AFTER_TIME
    return [(r.record_id, texts[r.passed_at], *rest(r)) for r in batch]


def _unique(batch: list[PassRecord]) -> list[PassRecord]:
    """The batch with each (record_id, passed_at) once, its first record kept."""
    unique: dict[tuple[str, dt.datetime], PassRecord] = {}
    for record in batch:
        unique.setdefault((record.record_id, record.passed_at), record)
    return batch if len(unique) == len(batch) else list(unique.values())


def partition_name(day: dt.date) -> str:
    return f"pass_record_p{day:%Y%m%d}"


class Ingestor:
    """Stores pass records and feeds the observers. One per app or worker; thread-safe (writes
    are serialised per ingestor, the database serialises between processes)."""

    def __init__(self, database: Database, observers: Iterable[PassObserver] = ()) -> None:
        self.database = database
        self.observers: list[PassObserver] = list(observers)
        self.checkpoints = CheckpointDirectory(database)
        self._is_sqlite = database.is_sqlite
        self._partitions: set[dt.date] = set()
        self._lock = threading.Lock()

    def add_observer(self, observer: PassObserver) -> None:
        self.observers.append(observer)

    def ingest(self, records: Sequence[PassRecord]) -> IngestResult:
        """Store what is new, skip what is stored already (or repeated in the batch), then call
        the observers with the newly stored records."""
        if not records:
            return IngestResult()
        batch = list(records)
        with self._lock, self.database.write_gate():
            new = self._write_sqlite(batch) if self._is_sqlite else self._write_postgres(batch)
        result = IngestResult(len(new), len(records) - len(new), new)
        if new:
            for observer in self.observers:
                observer.observe(new)
        return result

    # SQLite --------------------------------------------------------------------------------------

    def _write_sqlite(self, batch: list[PassRecord]) -> list[PassRecord]:
        rows = _sqlite_rows(batch)
        raw = self.database.engine.raw_connection()  # the DBAPI connection: no ORM, no Core
        try:
            for _attempt in range(5):
                if self._insert_sqlite(raw, rows) == len(rows):
                    raw.commit()
                    return batch
                raw.rollback()
                # Some keys were repeated in the batch or exist: keep each key's first record
                # and find the stored ones, then store the rest. A concurrent writer may store a
                # key between the look-up and the insert; then the count differs: go round again.
                if len(unique := _unique(batch)) < len(batch):
                    batch, rows = unique, _sqlite_rows(unique)
                existing = self._existing_sqlite(raw, rows)
                keep = [i for i, row in enumerate(rows) if (row[0], row[1]) not in existing]
                fresh = [rows[i] for i in keep]
                if self._insert_sqlite(raw, fresh) == len(fresh):
                    raw.commit()
                    return [batch[i] for i in keep]
                raw.rollback()
        except BaseException:
            raw.rollback()
            raise
        finally:
            raw.close()  # back to the pool
        raise RuntimeError("pass_record: concurrent writers kept changing the batch")

    @staticmethod
    def _insert_sqlite(raw: Any, rows: list[tuple[Any, ...]]) -> int:
        if not rows:
            return 0
        cursor = raw.cursor()
        try:
            cursor.executemany(_SQLITE_INSERT, rows)
            return int(cursor.rowcount)
        finally:
            cursor.close()

    @staticmethod
    def _existing_sqlite(raw: Any, rows: list[tuple[Any, ...]]) -> set[tuple[str, str]]:
        found: set[tuple[str, str]] = set()
        ids = list({row[0] for row in rows})
        cursor = raw.cursor()
        try:
            for start in range(0, len(ids), _SQLITE_KEYS_CHUNK):
                chunk = ids[start : start + _SQLITE_KEYS_CHUNK]
                marks = ", ".join("?" for _ in chunk)
                cursor.execute(
                    f"SELECT record_id, passed_at FROM pass_record WHERE record_id IN ({marks})",
                    chunk,
                )
                found.update((r, p) for r, p in cursor.fetchall())
        finally:
            cursor.close()
        return found

    # PostgreSQL ----------------------------------------------------------------------------------

    def ensure_partitions(self, days: Iterable[dt.date]) -> None:
        """Create the daily partitions of pass_record that do not exist yet (PostgreSQL)."""
        missing = sorted(set(days) - self._partitions)
        if not missing or self._is_sqlite:
            return
        with self.database.engine.begin() as conn:
            # One creator at a time across workers: CREATE ... IF NOT EXISTS is not race-free.
            conn.execute(text("SELECT pg_advisory_xact_lock(14001400)"))
            for day in missing:
                start = dt.datetime.combine(day, dt.time(), UTC)
                end = start + dt.timedelta(days=1)
                conn.execute(
                    text(
                        f"CREATE TABLE IF NOT EXISTS {partition_name(day)} PARTITION OF "
                        f"pass_record FOR VALUES FROM ('{start.isoformat()}') "
                        f"TO ('{end.isoformat()}')"
                    )
                )
        self._partitions.update(missing)

    def _write_postgres(self, batch: list[PassRecord]) -> list[PassRecord]:
        batch = _unique(batch)  # both copies of a repeated key would count as stored
        self.ensure_partitions({r.passed_at.astimezone(UTC).date() for r in batch})
        with self.database.engine.begin() as conn:
            raw = conn.connection.driver_connection
            with raw.cursor() as cursor:  # type: ignore[union-attr]
                cursor.execute(
                    f"CREATE TEMP TABLE IF NOT EXISTS {_PG_STAGE} "
                    "(LIKE pass_record INCLUDING DEFAULTS) ON COMMIT DELETE ROWS"
                )
                with cursor.copy(f"COPY {_PG_STAGE} ({', '.join(PASS_COLUMNS)}) FROM STDIN") as cp:
                    for record in batch:
                        cp.write_row(as_row(record))
                cursor.execute(_PG_INSERT)
                stored = {(r, p.astimezone(UTC)) for r, p in cursor.fetchall()}
        return [r for r in batch if (r.record_id, r.passed_at) in stored]


_APP_LOCK = threading.Lock()


def ingestor_of(app: FastAPI) -> Ingestor:
    """The app's ingestor, made on first use with an observer from every registered factory."""
    ingestor: Ingestor | None = getattr(app.state, "checkpoint_ingestor", None)
    if ingestor is not None:
        return ingestor
    with _APP_LOCK:  # first use may come from several threads at once
        ingestor = getattr(app.state, "checkpoint_ingestor", None)
        if ingestor is None:
            ingestor = Ingestor(app.state.db)
            for factory in _OBSERVER_FACTORIES:
                ingestor.add_observer(factory(app))
            app.state.checkpoint_ingestor = ingestor
    return ingestor


async def submit(app: FastAPI, records: Sequence[PassRecord]) -> IngestResult:
    """What VIID and file uploads call: ingest in this process, off the event loop; with
    JG_INGEST_MODE=bus, publish to the NATS partitions the ingest workers consume (worker.py)."""
    from starlette.concurrency import run_in_threadpool

    if worker.bus_mode(app):
        return await worker.publish_passes(app, records)
    return await run_in_threadpool(ingestor_of(app).ingest, records)
