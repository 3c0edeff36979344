"""Latest known state of every officer, in memory: position, fix time, status, mode, unit path.

The recommendation reads a consistent copy (`snapshot()`) as plain numpy arrays, so a request
never waits on the database. One tracker per app (process); it is loaded lazily from the
database with two plain SQL queries and kept current by the position ingest and by the dispatch
steps (`set_status`). Thread-safe: writers and `snapshot()` take one lock.
"""

from __future__ import annotations

import datetime as dt
import threading
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt
from fastapi import FastAPI
from sqlalchemy import text
from sqlalchemy.orm import Session

from jiaoguan.platform.db import UTCDateTime

# Codes are positions in these tuples (the arrays hold small ints, not strings).
STATUSES: tuple[str, ...] = (
    "off_duty",
    "on_duty",
    "available",
    "dispatched",
    "en_route",
    "on_scene",
)
STATUS_CODE: dict[str, int] = {name: code for code, name in enumerate(STATUSES)}
AVAILABLE = STATUS_CODE["available"]
# Working an incident: counted as "busy" by the recommendation (on_duty is busy with a post).
BUSY_CODES = frozenset(STATUS_CODE[s] for s in ("on_duty", "dispatched", "en_route", "on_scene"))
MODES: tuple[str, ...] = ("driving", "walking")
MODE_CODE: dict[str, int] = {name: code for code, name in enumerate(MODES)}
# Fixes older than this are not loaded at start-up: a week-old position helps nobody.
LOAD_WINDOW = dt.timedelta(days=7)
# Several worker processes: each tracker reads the others' fixes this often (see `refresh`).
REFRESH_EVERY_S = 5.0
REFRESH_OVERLAP_IDS = 1_000
REFRESH_LIMIT = 200_000

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]
CodeArray = npt.NDArray[np.int8]


@dataclass(frozen=True)
class LatestFix:
    lon: float
    lat: float
    at: dt.datetime
    status: str
    mode: str


@dataclass(frozen=True)
class OfficerSnapshot:
    """Aligned arrays, one entry per known officer; lon/lat/at_epoch_s are NaN without a fix."""

    ids: IntArray
    lon: FloatArray
    lat: FloatArray
    at_epoch_s: FloatArray
    status: CodeArray
    mode: CodeArray
    unit_path: npt.NDArray[np.object_]

    def __len__(self) -> int:
        return len(self.ids)

    @classmethod
    def build(
        cls,
        ids: Sequence[int] | IntArray,
        lon: Sequence[float] | FloatArray,
        lat: Sequence[float] | FloatArray,
        at_epoch_s: Sequence[float] | FloatArray,
        status: Sequence[str],
        mode: Sequence[str],
        unit_path: Sequence[str] | None = None,
    ) -> OfficerSnapshot:
        """From plain sequences (tests, replay): statuses and modes by name."""
        count = len(ids)
        return cls(
            np.asarray(ids, dtype=np.int64),
            np.asarray(lon, dtype=np.float64),
            np.asarray(lat, dtype=np.float64),
            np.asarray(at_epoch_s, dtype=np.float64),
            np.array([STATUS_CODE[s] for s in status], dtype=np.int8),
            np.array([MODE_CODE[m] for m in mode], dtype=np.int8),
            np.array(list(unit_path) if unit_path is not None else ["/"] * count, dtype=object),
        )


class OfficerTracker:
    """Officers in slots of growable arrays; `_slot` maps officer id → slot."""

    def __init__(self, capacity: int = 256) -> None:
        self._lock = threading.RLock()
        self._refreshing = threading.Lock()
        self._last_id = 0
        self._refreshed = 0.0
        self._slot: dict[int, int] = {}
        self._count = 0
        self.loaded = False
        self._alloc(capacity)

    def _alloc(self, capacity: int) -> None:
        self._ids = np.zeros(capacity, dtype=np.int64)
        self._lon = np.full(capacity, np.nan)
        self._lat = np.full(capacity, np.nan)
        self._at = np.full(capacity, np.nan)
        self._status = np.zeros(capacity, dtype=np.int8)
        self._mode = np.zeros(capacity, dtype=np.int8)
        self._path = np.full(capacity, "/", dtype=object)

    def _arrays(self) -> tuple[npt.NDArray[Any], ...]:
        return (self._ids, self._lon, self._lat, self._at, self._status, self._mode, self._path)

    def _grow(self) -> None:
        old = self._arrays()
        self._alloc(max(2 * len(self._ids), 16))
        for src, dst in zip(old, self._arrays(), strict=True):
            dst[: self._count] = src[: self._count]

    def __len__(self) -> int:
        return self._count

    # --- loading -------------------------------------------------------------------------------

    def load(self, db: Session, *, now: dt.datetime | None = None) -> None:
        """Every officer and the latest fix of each (within `LOAD_WINDOW`), replacing the state."""
        last_id = db.execute(text("SELECT MAX(id) FROM officer_position")).scalar()
        officers = db.execute(
            text(
                "SELECT o.id, o.mode, o.status, u.path FROM officer o "
                "JOIN org_unit u ON u.id = o.unit_id ORDER BY o.id"
            )
        ).all()
        since = (now or dt.datetime.now(dt.UTC)) - LOAD_WINDOW
        fixes = db.execute(
            text(
                "SELECT p.officer_id, p.at, p.lon, p.lat FROM officer_position p JOIN "
                "(SELECT officer_id, MAX(at) AS at FROM officer_position WHERE at >= :since "
                "GROUP BY officer_id) m ON m.officer_id = p.officer_id AND m.at = p.at"
            ).columns(at=UTCDateTime()),
            {"since": since},
        ).all()
        with self._lock:
            self._slot.clear()
            self._count = 0
            self._alloc(max(256, 2 * len(officers)))
            for officer_id, mode, status, path in officers:
                self._upsert(
                    int(officer_id), unit_path=path, mode=enum_text(mode), status=enum_text(status)
                )
            if fixes:
                ids, ats, lons, lats = zip(*fixes, strict=True)
                self._update(ids, lons, lats, [at.timestamp() for at in ats])
            self._last_id = int(last_id or 0)
            self._refreshed = time.monotonic()
            self.loaded = True

    def refresh(self, db: Session) -> int:
        """Fixes other processes stored since the last look, by the table's growing id (an
        indexed range): with several workers, each one's tracker sees every worker's ingest.
        A window of ids is read again, so rows committed slightly out of id order are not lost
        (re-reading a fix is harmless). Returns how many rows were read."""
        if not self._refreshing.acquire(blocking=False):
            return 0  # another thread is at it
        try:
            after = max(self._last_id - REFRESH_OVERLAP_IDS, 0)
            rows = db.execute(
                text(
                    "SELECT id, officer_id, at, lon, lat FROM officer_position "
                    "WHERE id > :after ORDER BY id LIMIT :limit"
                ).columns(at=UTCDateTime()),
                {"after": after, "limit": REFRESH_LIMIT},
            ).all()
            with self._lock:
                if rows:
                    ids, officers, ats, lons, lats = zip(*rows, strict=True)
                    self._update(officers, lons, lats, [at.timestamp() for at in ats])
                    self._last_id = max(self._last_id, int(ids[-1]))
                self._refreshed = time.monotonic()
            return len(rows)
        finally:
            self._refreshing.release()

    def due_for_refresh(self) -> bool:
        return time.monotonic() - self._refreshed >= REFRESH_EVERY_S

    # --- writers -------------------------------------------------------------------------------

    def upsert_officer(self, officer_id: int, *, unit_path: str, mode: str, status: str) -> None:
        with self._lock:
            self._upsert(officer_id, unit_path=unit_path, mode=mode, status=status)

    def _upsert(self, officer_id: int, *, unit_path: str, mode: str, status: str) -> None:
        slot = self._slot.get(officer_id)
        if slot is None:
            if self._count == len(self._ids):
                self._grow()
            slot = self._count
            self._count += 1
            self._slot[officer_id] = slot
            self._ids[slot] = officer_id
            self._lon[slot] = self._lat[slot] = self._at[slot] = np.nan
        self._path[slot] = unit_path or "/"
        self._mode[slot] = MODE_CODE[mode]
        self._status[slot] = STATUS_CODE[status]

    def set_status(self, officer_id: int, status: str) -> None:
        with self._lock:
            slot = self._slot.get(officer_id)
            if slot is not None:
                self._status[slot] = STATUS_CODE[status]

    def remove(self, officer_id: int) -> None:
        """Forget an officer (deleted): the last slot moves into the hole."""
        with self._lock:
            slot = self._slot.pop(officer_id, None)
            if slot is None:
                return
            last = self._count - 1
            if slot != last:
                moved = int(self._ids[last])
                for arr in self._arrays():
                    arr[slot] = arr[last]
                self._slot[moved] = slot
            self._count = last

    def update_positions(
        self,
        officer_ids: Iterable[int] | IntArray,
        lons: Iterable[float] | FloatArray,
        lats: Iterable[float] | FloatArray,
        ats: Iterable[float | dt.datetime] | FloatArray,
    ) -> list[int]:
        """Keep the newest fix per officer (`ats` as datetimes or epoch seconds); unknown officers
        are ignored. Returns the officers whose latest position changed."""
        at_list = [a.timestamp() if isinstance(a, dt.datetime) else float(a) for a in ats]
        with self._lock:
            return self._update(officer_ids, lons, lats, at_list)

    def _update(self, officer_ids: Any, lons: Any, lats: Any, ats: Any) -> list[int]:
        ids = np.asarray(officer_ids, dtype=np.int64)
        if not len(ids):
            return []
        lon = np.asarray(lons, dtype=np.float64)
        lat = np.asarray(lats, dtype=np.float64)
        at = np.asarray(ats, dtype=np.float64)
        slots = np.fromiter((self._slot.get(int(i), -1) for i in ids), np.int64, len(ids))
        known = slots >= 0
        slots, lon, lat, at = slots[known], lon[known], lat[known], at[known]
        # Newest per slot within the batch: sort by (slot, time), keep each slot's last row.
        order = np.lexsort((at, slots))
        slots, lon, lat, at = slots[order], lon[order], lat[order], at[order]
        last = np.ones(len(slots), dtype=np.bool_)
        last[:-1] = slots[1:] != slots[:-1]
        slots, lon, lat, at = slots[last], lon[last], lat[last], at[last]
        current = self._at[slots]
        newer = np.isnan(current) | (at > current)
        slots = slots[newer]
        self._lon[slots] = lon[newer]
        self._lat[slots] = lat[newer]
        self._at[slots] = at[newer]
        return [int(i) for i in self._ids[slots]]

    # --- readers -------------------------------------------------------------------------------

    def known(self, officer_ids: IntArray) -> npt.NDArray[np.bool_]:
        with self._lock:
            return np.fromiter(
                (int(i) in self._slot for i in officer_ids), np.bool_, len(officer_ids)
            )

    def latest(self, officer_id: int) -> LatestFix | None:
        """The latest fix with the current status and mode; None if unknown or never located."""
        with self._lock:
            slot = self._slot.get(officer_id)
            if slot is None or np.isnan(self._at[slot]):
                return None
            return LatestFix(
                float(self._lon[slot]),
                float(self._lat[slot]),
                dt.datetime.fromtimestamp(float(self._at[slot]), dt.UTC),
                STATUSES[int(self._status[slot])],
                MODES[int(self._mode[slot])],
            )

    def status_of(self, officer_id: int) -> str | None:
        with self._lock:
            slot = self._slot.get(officer_id)
            return None if slot is None else STATUSES[int(self._status[slot])]

    def snapshot(self) -> OfficerSnapshot:
        """A copy: the caller may read it while positions keep arriving."""
        with self._lock:
            n = self._count
            return OfficerSnapshot(
                self._ids[:n].copy(),
                self._lon[:n].copy(),
                self._lat[:n].copy(),
                self._at[:n].copy(),
                self._status[:n].copy(),
                self._mode[:n].copy(),
                self._path[:n].copy(),
            )


def enum_text(value: Any) -> str:
    """Enum columns come back as strings from plain SQL; accept enum members too."""
    return str(getattr(value, "value", value))


_app_lock = threading.Lock()


def tracker_of(app: FastAPI) -> OfficerTracker:
    """The app's tracker, loaded from `app.state.db` on first use and refreshed with the other
    processes' fixes every `REFRESH_EVERY_S`."""
    tracker: OfficerTracker | None = getattr(app.state, "officer_tracker", None)
    if tracker is not None and tracker.loaded:
        if tracker.due_for_refresh():
            with app.state.db.sessions() as session:
                tracker.refresh(session)
        return tracker
    with _app_lock:
        tracker = getattr(app.state, "officer_tracker", None)
        if tracker is None:
            tracker = OfficerTracker()
            app.state.officer_tracker = tracker
        if not tracker.loaded:
            with app.state.db.sessions() as session:
                tracker.load(session)
    return tracker
