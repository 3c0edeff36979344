"""Watchlist matching on the ingest path: exact and OCR-confusable plates, in memory.

Every watched plate is indexed under its *folded* key: each character replaced by the first member
of its confusion class (0/O/D/Q → 0, 8/B → 8, 1/I → 1, 2/Z → 2, 5/S → 5, 6/G → 6) and the province
by its group (鄂/粤, 豫/琼, 闽/新; HyperLPR issues #409, #295, algorithms.md §3.4). A pass costs one
`str.translate` and one dict lookup whatever the number of watches; the few candidates found are
then classed (exact, confusable characters, province misread) by comparing the two strings. Entries
with `fuzzy` off only take exact hits. The index is rebuilt from the database when watches change
(never queried per pass).
"""

from __future__ import annotations

import datetime as dt
import threading
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Generic, TypeVar

from sqlalchemy import event as sa_event
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from jiaoguan.checkpoint.watch_models import Watch, WatchStatus
from jiaoguan.platform.db import Database

if TYPE_CHECKING:
    from jiaoguan.checkpoint.ingest import PassRecord

CONFUSABLE_GROUPS: tuple[str, ...] = ("0ODQ", "8B", "1I", "2Z", "5S", "6G")
PROVINCE_GROUPS: tuple[str, ...] = ("鄂粤", "豫琼", "闽新")
T = TypeVar("T")
_FOLD = str.maketrans(
    {char: group[0] for group in (*CONFUSABLE_GROUPS, *PROVINCE_GROUPS) for char in group[1:]}
)

EXACT = "exact"
CONFUSABLE = "confusable"
PROVINCE = "province"
PROVINCE_CONFUSABLE = "province_confusable"
MATCH_KIND_LABELS = {
    EXACT: "精确比中",
    CONFUSABLE: "模糊比中（易混字符）",
    PROVINCE: "模糊比中（省份字误识）",
    PROVINCE_CONFUSABLE: "模糊比中（省份与易混字符）",
}

# GA/T 1400 ColorType codes (standards.md §1.11) → canonical plate colours (§1.13).
COLOUR_OF_CODE = {"1": "BLACK", "2": "WHITE", "5": "BLUE", "6": "YELLOW", "9": "GREEN"}
# NEV plates arrive as 9 (green) or 6 (yellow) whatever their real gradient (standards.md §1.11).
_COMPATIBLE = {"YELLOW_GREEN": frozenset({"GREEN", "YELLOW"}), "GREEN": frozenset({"GREEN"})}


def fold(plate: str) -> str:
    """The confusion-class key of a normalised plate."""
    return plate.translate(_FOLD)


def match_kind(read: str, watched: str) -> str:
    """How a read plate relates to a watched one with the same folded key."""
    if read == watched:
        return EXACT
    province = read[:1] != watched[:1]
    serial = read[1:] != watched[1:]
    if province and serial:
        return PROVINCE_CONFUSABLE
    return PROVINCE if province else CONFUSABLE


def differing_positions(read: str, watched: str) -> list[int]:
    return [i for i, (a, b) in enumerate(zip(read, watched, strict=False)) if a != b]


def colour_compatible(watch_colour: str | None, pass_code: str | None) -> bool:
    """False only when both colours are known and cannot be the same plate."""
    if not watch_colour or not pass_code:
        return True
    seen = COLOUR_OF_CODE.get(pass_code)
    if seen is None:  # unrecognised / other: do not rule the hit out
        return True
    return seen in _COMPATIBLE.get(watch_colour, frozenset({watch_colour}))


@dataclass(frozen=True, slots=True)
class WatchEntry:
    watch_id: int
    plate: str
    plate_color: str | None
    kind: str
    fuzzy: bool
    starts_ts: float
    ends_ts: float


@dataclass(frozen=True, slots=True)
class WatchHit:
    """One pass that matched one watch, with how."""

    record: PassRecord
    entry: WatchEntry
    match_kind: str


class WatchIndex:
    """Immutable lookup structure over the active watches."""

    def __init__(self, entries: Iterable[WatchEntry]) -> None:
        by_key: dict[str, list[WatchEntry]] = {}
        count = 0
        for entry in entries:
            by_key.setdefault(fold(entry.plate), []).append(entry)
            count += 1
        self._by_key: dict[str, tuple[WatchEntry, ...]] = {k: tuple(v) for k, v in by_key.items()}
        self.size = count

    def candidates(self, plate: str) -> tuple[WatchEntry, ...]:
        return self._by_key.get(plate.translate(_FOLD), ())

    def match_plate(
        self, plate: str, *, colour_code: str | None = None, at_ts: float | None = None
    ) -> list[tuple[WatchEntry, str]]:
        """The watches a read plate hits, with the match kind (exact first)."""
        found: list[tuple[WatchEntry, str]] = []
        for entry in self.candidates(plate):
            kind = match_kind(plate, entry.plate)
            if kind != EXACT and not entry.fuzzy:
                continue
            if at_ts is not None and not (entry.starts_ts <= at_ts < entry.ends_ts):
                continue
            if not colour_compatible(entry.plate_color, colour_code):
                continue
            found.append((entry, kind))
        found.sort(key=lambda pair: pair[1] != EXACT)
        return found

    def match(self, records: Sequence[PassRecord]) -> list[WatchHit]:
        """The hot loop: one translate + one dict lookup per pass."""
        by_key = self._by_key
        if not by_key:
            return []
        table = _FOLD
        hits: list[WatchHit] = []
        for record in records:
            plate = record.plate
            if not plate:
                continue
            entries = by_key.get(plate.translate(table))
            if entries is None:
                continue
            at = record.passed_at.timestamp()
            for entry, kind in self.match_plate(plate, colour_code=record.plate_colour, at_ts=at):
                hits.append(WatchHit(record, entry, kind))
        return hits


def entry_of(watch: Watch) -> WatchEntry:
    return WatchEntry(
        watch_id=watch.id,
        plate=watch.plate_no,
        plate_color=watch.plate_color,
        kind=watch.kind.value,
        fuzzy=watch.fuzzy,
        starts_ts=watch.starts_at.timestamp(),
        ends_ts=watch.ends_at.timestamp(),
    )


def load_index(db: Session, now: dt.datetime | None = None) -> WatchIndex:
    """Active watches not yet ended, as an index (columns only, no ORM objects kept)."""
    stmt = select(Watch).where(Watch.status == WatchStatus.active)
    if now is not None:
        stmt = stmt.where(Watch.ends_at > now)
    return WatchIndex(entry_of(w) for w in db.scalars(stmt))


# --- change tracking: rebuild after a committed change, or when another process changed it ------

_CHANGED = "jiaoguan.watch.changed"
_generation = 0
_generation_lock = threading.Lock()


def mark_changed(db: Session) -> None:
    """Call in a transaction that changes watches or rules: matchers reload once it commits."""
    db.info[_CHANGED] = True


@sa_event.listens_for(Session, "after_commit")
def _after_commit(session: Session) -> None:
    global _generation
    if session.info.pop(_CHANGED, False):
        with _generation_lock:
            _generation += 1


@sa_event.listens_for(Session, "after_rollback")
def _after_rollback(session: Session) -> None:
    session.info.pop(_CHANGED, None)


def generation() -> int:
    return _generation


def watch_version(db: Session) -> tuple[object, ...]:
    return tuple(db.execute(select(func.count(Watch.id), func.max(Watch.updated_at))).one())


class CachedIndex(Generic[T]):
    """A process's current in-memory index, rebuilt lazily: after a local commit that changed
    watches or rules (generation), and at most every `poll_seconds` when the table's version
    (count, newest update) says another process changed it. Never a query per pass."""

    def __init__(
        self,
        database: Database,
        load: Callable[[Session], T],
        version: Callable[[Session], tuple[object, ...]],
        poll_seconds: float = 15.0,
    ) -> None:
        self.database = database
        self.load = load
        self.version = version
        self.poll_seconds = poll_seconds
        self._value: T | None = None
        self._generation = -1
        self._version: tuple[object, ...] | None = None
        self._checked = 0.0
        self._lock = threading.Lock()

    def get(self) -> T:
        current = self._value
        stale = current is None or self._generation != _generation
        fresh = time.monotonic() - self._checked < self.poll_seconds
        if current is not None and not stale and fresh:
            return current
        with self._lock:
            return self._refresh(force=stale)

    def _refresh(self, *, force: bool) -> T:
        self._checked = time.monotonic()
        gen = _generation
        with self.database.sessions() as db:
            version = self.version(db)
            if not force and version == self._version and self._value is not None:
                return self._value
            value = self.load(db)
        self._value, self._generation, self._version = value, gen, version
        return value

    def invalidate(self) -> None:
        self._value = None


def watch_matcher(database: Database) -> CachedIndex[WatchIndex]:
    return CachedIndex(database, lambda db: load_index(db), watch_version)
