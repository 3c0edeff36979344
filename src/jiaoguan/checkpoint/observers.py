"""The ingest observers of this module: watchlist matching, clone detection and restriction rules.

Each gets the newly stored passes of a batch (checkpoint/ingest.py), finds hits in memory and, only
when there are hits, raises or groups alerts in one transaction. A failure here is logged and never
undoes or blocks the ingest: the passes are stored already.
"""

from __future__ import annotations

import collections
import datetime as dt
import threading
import time
from collections.abc import Callable, Sequence

from fastapi import FastAPI

from jiaoguan.checkpoint import alerts
from jiaoguan.checkpoint.clones import (
    CloneDetector,
    CloneFinding,
    Registered,
    Sighting,
    load_registry,
)
from jiaoguan.checkpoint.ingest import PassRecord, register_observer_factory
from jiaoguan.checkpoint.matcher import (
    EXACT,
    MATCH_KIND_LABELS,
    CachedIndex,
    WatchHit,
    watch_matcher,
)
from jiaoguan.checkpoint.restrictions import (
    RestrictionHit,
    RestrictionIndex,
    load_index,
    rule_version,
)
from jiaoguan.checkpoint.travel import SITES, CheckpointSites
from jiaoguan.checkpoint.watch_models import (
    RESTRICTION_TARGET_LABELS,
    WATCH_KIND_LABELS,
    AlertKind,
    RestrictionTarget,
    WatchKind,
)
from jiaoguan.platform.db import Database, utcnow
from jiaoguan.platform.logging import log
from jiaoguan.platform.workorders.models import WorkOrderPriority

WATCH_PRIORITY = {
    WatchKind.stolen: WorkOrderPriority.urgent,
    WatchKind.hit_and_run: WorkOrderPriority.urgent,
    WatchKind.overdue_inspection: WorkOrderPriority.normal,
    WatchKind.overdue_scrapping: WorkOrderPriority.normal,
}
SITES_POLL_S = 60.0
REGISTRY_RELOAD_S = 3600.0
# Watch and restriction hits are raised as interception alerts only while the vehicle may still
# be near: a history load (`jiaoguan checkpoint load --observe`) or a device's backlog after an
# outage would otherwise flood the command centre with orders to stop cars seen days ago. Older
# hits are counted (STALE_HITS, the load report, the log); `checkpoint analyse` lists them.
# Clone findings are raised whatever the age of their evidence: the plate is still cloned.
LIVE_FOR = dt.timedelta(hours=2)
STALE_HITS: collections.Counter[str] = collections.Counter()  # by alert kind, in this process
_STALE_LOCK = threading.Lock()


def _sites(database: Database) -> CheckpointSites:
    with database.sessions() as db:
        return SITES.get(db)


# One raiser at a time in a process: two ingest threads with the same vehicle in their batches
# must group onto one alert, not both create it (hits are rare; the lock costs nothing).
_RAISING = threading.Lock()


def _live(hits: Sequence[alerts.Hit]) -> list[alerts.Hit]:
    """The hits on passes recent enough to intercept; the others are counted and logged."""
    cutoff = utcnow() - LIVE_FOR
    live = [hit for hit in hits if hit.last.passed_at >= cutoff]
    if len(live) < len(hits):
        stale = collections.Counter(h.kind.value for h in hits if h.last.passed_at < cutoff)
        with _STALE_LOCK:
            STALE_HITS.update(stale)
        log.info("stale checkpoint hits not raised", **stale)
    return live


def _raise(
    database: Database, hits: Sequence[alerts.Hit], *, live_only: bool = True
) -> list[alerts.Outcome]:
    if live_only:
        hits = _live(hits)
    if not hits:
        return []
    sites = _sites(database)
    with _RAISING, database.write_gate(), database.transaction() as db:
        return alerts.raise_hits(db, sites, hits)


def _guarded(name: str, work: Callable[[], object]) -> None:
    try:
        work()
    except Exception:
        log.exception("checkpoint observer failed", observer=name)


# --- watchlists ----------------------------------------------------------------------------------


def watch_hit(hit: WatchHit) -> alerts.Hit:
    entry, record = hit.entry, hit.record
    kind = WatchKind(entry.kind)
    how = MATCH_KIND_LABELS[hit.match_kind]
    watched = "" if hit.match_kind == EXACT else f"，布控号牌 {entry.plate}"
    return alerts.Hit(
        kind=AlertKind.watch,
        group_key=f"watch:{entry.watch_id}:{record.plate}",
        plate=record.plate,
        plate_colour=record.plate_colour,
        title=f"{WATCH_KIND_LABELS[kind]}布控比中：{record.plate}（{how}{watched}）",
        sightings=(alerts.sighting_of(record),),
        priority=WATCH_PRIORITY.get(kind, WorkOrderPriority.high),
        watch_id=entry.watch_id,
        match_kind=hit.match_kind,
        matched_plate=entry.plate,
        detail={"watch_kind": kind.value},
    )


class WatchObserver:
    def __init__(self, database: Database) -> None:
        self.database = database
        self.matcher = watch_matcher(database)

    def observe(self, passes: Sequence[PassRecord]) -> None:
        def work() -> None:
            hits = self.matcher.get().match(passes)
            _raise(self.database, [watch_hit(h) for h in hits])

        _guarded("watch", work)


# --- restriction rules ---------------------------------------------------------------------------


def restriction_hit(hit: RestrictionHit) -> alerts.Hit:
    rule, record = hit.rule, hit.record
    target = RESTRICTION_TARGET_LABELS[RestrictionTarget(rule.target)]
    return alerts.Hit(
        kind=AlertKind.restriction,
        group_key=f"rule:{rule.rule_id}:{record.plate}",
        plate=record.plate,
        plate_colour=record.plate_colour,
        title=f"闯禁行：{record.plate}（{target}）于禁行时段 {rule.window} 驶入「{rule.name}」",
        sightings=(alerts.sighting_of(record),),
        priority=WorkOrderPriority.normal,
        rule_id=rule.rule_id,
        detail={"rule": rule.name, "window": rule.window, "vehicle_class": record.vehicle_class},
    )


class RestrictionObserver:
    def __init__(self, database: Database) -> None:
        self.database = database
        self.rules: CachedIndex[RestrictionIndex] = CachedIndex(database, load_index, rule_version)

    def observe(self, passes: Sequence[PassRecord]) -> None:
        def work() -> None:
            hits = self.rules.get().match(passes)
            _raise(self.database, [restriction_hit(h) for h in hits])

        _guarded("restriction", work)


# --- clones -------------------------------------------------------------------------------------


def _at(ts: float) -> dt.datetime:
    return dt.datetime.fromtimestamp(ts, dt.UTC)


def _evidence(sites: CheckpointSites, s: Sighting) -> dict[str, object]:
    return {
        "record_id": s.record_id,
        "checkpoint": sites.names[s.cp] if s.cp < len(sites) else str(s.checkpoint_id),
        "at": _at(s.ts).isoformat(),
        "vehicle_class": s.vehicle_class,
        "brand": s.brand,
        "vehicle_colour": s.vehicle_colour,
    }


def clone_hit(sites: CheckpointSites, finding: CloneFinding) -> alerts.Hit:
    pairs = finding.contradictions[-3:]
    noted = [
        (s, note) for c in pairs for s, note in ((c.first, "矛盾前车"), (c.second, "矛盾后车"))
    ]
    noted += [(s, "车辆与登记不符") for s in finding.mismatched]
    sightings: dict[str, alerts.SightingIn] = {}
    for s, note in noted:
        sightings.setdefault(
            s.record_id,
            alerts.SightingIn(s.record_id, s.checkpoint_id, _at(s.ts), s.plate_raw, note),
        )
    evidence = [
        {
            "first": _evidence(sites, c.first),
            "second": _evidence(sites, c.second),
            "gap_s": round(c.gap_s, 1),
            "needed_s": round(c.needed_s, 1),
            "mismatch": list(c.mismatch),
        }
        for c in pairs
    ]
    return alerts.Hit(
        kind=AlertKind.cloned_plate,
        group_key=f"clone:{finding.plate}",
        plate=finding.plate,
        plate_colour=finding.sightings[-1].plate_colour,
        title=f"疑似套牌：{finding.plate}，{finding.reason}",
        sightings=tuple(sightings.values()),
        priority=WorkOrderPriority.high,
        detail={"reason": finding.reason, "evidence": evidence},
    )


class CloneObserver:
    """One detector per process; its sites follow the checkpoint registry (polled every minute)
    and its view of the vehicle registry is reloaded hourly (a full read of the plates)."""

    def __init__(self, database: Database) -> None:
        self.database = database
        self._detector: CloneDetector | None = None
        self._checked = 0.0
        self._registry_loaded = 0.0
        self._lock = threading.Lock()

    def detector(self) -> CloneDetector:
        now = time.monotonic()
        if self._detector is None or now - self._checked > SITES_POLL_S:
            self._checked = now
            sites = _sites(self.database)
            if self._detector is None:
                self._detector = CloneDetector(sites, registry=self._registry(now))
            elif sites is not self._detector.sites:
                self._detector.set_sites(sites)
        if now - self._registry_loaded > REGISTRY_RELOAD_S:
            self._detector.registry = self._registry(now)
        return self._detector

    def _registry(self, now: float) -> dict[str, Registered]:
        self._registry_loaded = now
        with self.database.sessions() as db:
            return load_registry(db)

    def observe(self, passes: Sequence[PassRecord]) -> None:
        def work() -> None:
            with self._lock:
                detector = self.detector()
                findings = detector.observe(passes)
            hits = [clone_hit(detector.sites, f) for f in findings]
            _raise(self.database, hits, live_only=False)

        _guarded("clone", work)


def _watch_factory(app: FastAPI) -> WatchObserver:
    return WatchObserver(app.state.db)


def _restriction_factory(app: FastAPI) -> RestrictionObserver:
    return RestrictionObserver(app.state.db)


def _clone_factory(app: FastAPI) -> CloneObserver:
    return CloneObserver(app.state.db)


for _factory in (_watch_factory, _restriction_factory, _clone_factory):
    register_observer_factory(_factory)
