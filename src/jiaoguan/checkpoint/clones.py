"""Cloned-plate (套牌) detection: impossible travel between checkpoints and feature mismatch,
with OCR misreads told apart from real clones (algorithms.md §3.3).

Per plate the detector keeps its last few sightings in memory. A new sighting of the same plate at
another checkpoint sooner than the minimum feasible time for that directed pair (free-flow road
time / `speed_tolerance` − `slack_s`) is a *contradiction*. A contradiction is held for `hold_s`
of stream time, then explained away as an OCR misread when either sighting fits a neighbour plate
(one character different, province included):
  - the neighbour was seen within `explain_s` of it where it could have been (feasible travel), or
  - the sighting's features (class, brand, body colour) contradict the read plate's registration
    but fit the neighbour's.
What remains is counted; a plate is reported as cloned after `min_contradictions` of them (one by
default), or after one when the two vehicles differ (class, brand or body colour between the two
sightings or against the registry).

Feature mismatch alone: a plate is also reported when `min_feature_mismatches` of its passes show
the same vehicle that contradicts its registration (the same other brand, class letter or body
colour; `min_colour_mismatches` from two checkpoints for the colour, which cameras misread most)
and do not fit a neighbour plate's registration. One report per plate, whichever comes first.
"""

from __future__ import annotations

import collections
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING

import numpy as np
import numpy.typing as npt
from sqlalchemy import select
from sqlalchemy.orm import Session

from jiaoguan.checkpoint.codes import UNKNOWN_COLORS, body_colour_code, colour_label
from jiaoguan.checkpoint.travel import CheckpointSites
from jiaoguan.registry.models import RETIRED_VEHICLE, Vehicle
from jiaoguan.registry.validators import PROVINCES

if TYPE_CHECKING:
    from jiaoguan.checkpoint.ingest import PassRecord

SERIAL_ALPHABET = "0123456789ABCDEFGHJKLMNPQRSTUVWXYZ"
HISTORY = 3


@dataclass(frozen=True)
class CloneConfig:
    # A car may cover a pair this many times faster than at the speed limit (algorithms.md §3.3:
    # k ≈ 1.2–1.5). Measured on `jiaoguan simulate` (seeds 1 and 7, 0.5–0.8 M passes, OCR noise):
    # k = 1.2 with one unexplained contradiction gives precision 1.0, recall 0.93–0.95 of the
    # clones that ever show impossible travel; without the misread step precision falls to 0.84.
    speed_tolerance: float = 1.2
    slack_s: float = 20.0  # clock skew between checkpoints, snapping
    # Unexplained contradictions before a plate is reported (1: the misread step is the filter;
    # 2: ECNU-style repetition, fewer and later reports). A feature mismatch always reports.
    min_contradictions: int = 1
    # Passes of a plate showing the same vehicle that contradicts its registration (a brand, or a
    # class letter) before it is reported without any impossible travel: recognition errors
    # rarely repeat the same wrong value, a second car on the plate does every time.
    min_feature_mismatches: int = 3
    # The same for the body colour, which cameras misread far more often (light, dirt: 2 % of
    # passes in the simulator), and only from two checkpoints or more (one camera's lighting can
    # repeat a wrong colour). Measured on the checkpoint bench's week (7 days, 1.9 M passes) with
    # the registry colour, tuned on seeds 2 and 7, checked on the bench's seed 1: 3 same wrong
    # colours give ~50 false plates a week, 4 give 0–3, 5 and 6 none; 6 keeps a margin and
    # loses no clone (a cloned car passes dozens of times a week). The colour rule found the 3
    # colour clones seed 2 had missed (recall 0.90 → 0.96) and the colour check of the misread
    # step removed its one false plate. speed_tolerance 1.1–1.3, slack_s 10–40 and
    # min_feature_mismatches 2–3 changed nothing on seed 7.
    min_colour_mismatches: int = 6
    hold_s: float = 600.0  # stream seconds a contradiction waits for its explanation
    explain_s: float = 1800.0  # a neighbour sighting this close in time can explain a misread
    window_s: float = 7 * 86400.0  # contradictions older than this no longer add up


@dataclass(frozen=True, slots=True)
class Sighting:
    checkpoint_id: int
    cp: int  # index in the sites
    ts: float
    record_id: str
    plate_raw: str
    plate_colour: str | None
    vehicle_class: str | None
    vehicle_colour: str | None
    brand: str | None


# A sighting as kept in memory, in Sighting's field order after (checkpoint index, time): a
# tuple of plain values, which the garbage collector stops tracking — millions of them (one per
# plate) would otherwise make every full collection crawl through the detector's state.
Seen = tuple[int, float, str, str, str | None, str | None, str | None, str | None, int]


def _newest(seen: Seen) -> float:
    return -seen[1]


def sighting(seen: Seen) -> Sighting:
    cp, ts, record_id, raw, colour, vclass, vcolour, brand, checkpoint_id = seen
    return Sighting(checkpoint_id, cp, ts, record_id, raw, colour, vclass, vcolour, brand)


@dataclass(frozen=True, slots=True)
class Registered:
    """What the registry says a plate's vehicle looks like (for feature checks)."""

    vehicle_class: str | None
    brand: str | None
    body_colour: str | None = None  # GA/T 1400 ColorType code, as passes carry it

    @classmethod
    def of(cls, vehicle_class: str | None, brand: str | None, body_color: str | None) -> Registered:
        """From the vehicle registry's columns (its body colour is a label such as "银")."""
        return cls(vehicle_class, brand, body_colour_code(body_color))


@dataclass(frozen=True)
class Contradiction:
    plate: str
    first: Sighting
    second: Sighting
    needed_s: float
    mismatch: tuple[str, ...]

    @property
    def gap_s(self) -> float:
        return self.second.ts - self.first.ts


@dataclass(frozen=True)
class CloneFinding:
    plate: str
    contradictions: tuple[Contradiction, ...]
    reason: str
    # Passes whose vehicle consistently differs from the registration (feature evidence).
    mismatched: tuple[Sighting, ...] = ()

    @property
    def sightings(self) -> tuple[Sighting, ...]:
        """The evidence passes, oldest first."""
        pairs = [s for c in self.contradictions for s in (c.first, c.second)]
        unique = {s.record_id: s for s in (*pairs, *self.mismatched)}
        return tuple(sorted(unique.values(), key=lambda s: s.ts))


@dataclass
class CloneStats:
    passes: int = 0
    contradictions: int = 0
    explained: int = 0
    feature_mismatches: int = 0
    findings: int = 0


FEATURE_LABELS = {"vehicle_class": "车辆类型", "brand": "品牌", "vehicle_colour": "车身颜色"}


def _clean(value: str | None) -> str | None:
    value = (value or "").strip().upper()
    return value or None


def _class_letter(value: str | None) -> str | None:
    value = _clean(value)
    return value[:1] if value else None


def _colour(value: str | None) -> str | None:
    """A ColorType code worth comparing (not 其他 / 透明)."""
    value = _clean(value)
    return None if value in UNKNOWN_COLORS else value


def feature_mismatch(a: Sighting, b: Sighting) -> tuple[str, ...]:
    """Features both sightings report and that differ (class by its first letter)."""
    out: list[str] = []
    pairs = (
        ("vehicle_class", _class_letter(a.vehicle_class), _class_letter(b.vehicle_class)),
        ("brand", _clean(a.brand), _clean(b.brand)),
        ("vehicle_colour", _colour(a.vehicle_colour), _colour(b.vehicle_colour)),
    )
    for name, x, y in pairs:
        if x and y and x != y:
            out.append(name)
    return tuple(out)


def _against(s: Sighting, reg: Registered) -> Iterator[tuple[str, str, str]]:
    """(feature label, seen, registered) of each feature both sides report, after cleaning."""
    seen_class, reg_class = _class_letter(s.vehicle_class), _class_letter(reg.vehicle_class)
    if seen_class and reg_class:
        yield ("车辆类型", s.vehicle_class or seen_class, reg.vehicle_class or reg_class)
    seen_brand, reg_brand = _clean(s.brand), _clean(reg.brand)
    if seen_brand and reg_brand:
        yield ("品牌", seen_brand, reg_brand)
    seen_colour, reg_colour = _colour(s.vehicle_colour), _colour(reg.body_colour)
    if seen_colour and reg_colour:
        yield ("车身颜色", colour_label(seen_colour), colour_label(reg_colour))


def _differs(label: str, seen: str, registered: str) -> bool:
    if label == "车辆类型":  # by the class letter (K33 and K31 are both cars)
        return _class_letter(seen) != _class_letter(registered)
    return seen != registered


def fits_registration(s: Sighting, reg: Registered | None) -> bool | None:
    """None when nothing can be compared; else whether the sighting looks like the registration."""
    if reg is None:
        return None
    compared = list(_against(s, reg))
    if not compared:
        return None
    return not any(_differs(*feature) for feature in compared)


def registration_mismatch(s: Sighting, reg: Registered) -> tuple[str, str, str] | None:
    """(feature label, seen, registered) for the first feature that differs, after cleaning."""
    return next((feature for feature in _against(s, reg) if _differs(*feature)), None)


def neighbours(plate: str) -> Iterator[str]:
    """Plates one character away: the province among the 31, any other among digits/letters."""
    for i, char in enumerate(plate):
        alphabet = PROVINCES if i == 0 else SERIAL_ALPHABET
        head, tail = plate[:i], plate[i + 1 :]
        for other in alphabet:
            if other != char:
                yield head + other + tail


class CloneDetector:
    """Streaming detector; feed passes in (roughly) time order, call `flush` at the end."""

    def __init__(
        self,
        sites: CheckpointSites,
        config: CloneConfig | None = None,
        registry: dict[str, Registered] | None = None,
    ) -> None:
        self.config = config or CloneConfig()
        self.registry = registry or {}
        # Per plate, newest first (see `Seen`); a Sighting is made only when a contradiction
        # needs one.
        self.history: dict[str, tuple[Seen, ...]] = {}
        self.pending: collections.deque[Contradiction] = collections.deque()
        self.counted: dict[str, list[Contradiction]] = {}
        self.reported: set[str] = set()
        # (plate, (feature, seen value, registered value)) → the latest such passes.
        self.unlike: dict[tuple[str, tuple[str, str, str]], list[Sighting]] = {}
        self.stats = CloneStats()
        self.clock = 0.0
        self.set_sites(sites)

    def set_sites(self, sites: CheckpointSites) -> None:
        """Use new sites (checkpoints added or moved): sightings kept are re-indexed."""
        self.sites = sites
        cfg = self.config
        self.min_s: npt.NDArray[np.float64] = sites.seconds / cfg.speed_tolerance - cfg.slack_s
        self._index = index = sites.index_map

        def moved(s: Sighting) -> Sighting | None:
            cp = index.get(s.checkpoint_id)
            return None if cp is None else replace(s, cp=cp)

        for plate, seen in list(self.history.items()):
            kept = tuple((index[s[-1]], *s[1:]) for s in seen if s[-1] in index)
            if kept:
                self.history[plate] = kept
            else:
                del self.history[plate]
        pending: collections.deque[Contradiction] = collections.deque()
        for c in self.pending:
            first, second = moved(c.first), moved(c.second)
            if first is not None and second is not None:
                pending.append(replace(c, first=first, second=second))
        self.pending = pending

    # --- the hot path ------------------------------------------------------------------------

    def observe(self, records: Sequence[PassRecord]) -> list[CloneFinding]:
        index, history, min_s, registry = self._index, self.history, self.min_s, self.registry
        clock = self.clock
        findings: list[CloneFinding] = []
        for r in records:
            plate = r.plate
            cp = index.get(r.checkpoint_id)
            if not plate or cp is None:
                continue
            ts = r.passed_at.timestamp()
            seen = (
                cp,
                ts,
                r.record_id,
                r.plate_raw,
                r.plate_colour,
                r.vehicle_class,
                r.vehicle_colour,
                r.brand,
                r.checkpoint_id,
            )
            past = history.get(plate)
            if past is None:
                history[plate] = (seen,)
            else:
                last = past[0]
                if ts >= last[1]:
                    history[plate] = (seen, *past[: HISTORY - 1])
                else:  # late arrival: keep newest first
                    history[plate] = tuple(sorted((*past, seen), key=_newest))[:HISTORY]
                if last[0] != cp:
                    a, b = (last, seen) if last[1] <= ts else (seen, last)
                    needed = float(min_s[a[0], b[0]])
                    if b[1] - a[1] < needed and last[2] != r.record_id:
                        self._contradiction(plate, a, b, needed)
            if registry:
                reg = registry.get(plate)
                if reg is not None and (
                    (r.brand and reg.brand and r.brand != reg.brand)
                    or (
                        r.vehicle_class
                        and reg.vehicle_class
                        and r.vehicle_class[0] != reg.vehicle_class[0]
                    )
                    or (
                        r.vehicle_colour
                        and reg.body_colour
                        and r.vehicle_colour != reg.body_colour
                        and r.vehicle_colour not in UNKNOWN_COLORS
                    )
                ):
                    found = self._unlike_registration(plate, seen, reg)
                    if found is not None:
                        findings.append(found)
            if ts > clock:
                clock = ts
        self.clock = clock
        self.stats.passes += len(records)
        return findings + self._release(clock - self.config.hold_s)

    def _unlike_registration(self, plate: str, seen: Seen, reg: Registered) -> CloneFinding | None:
        """Count a pass whose vehicle is not the registered one (same wrong value each time);
        a pass that fits a neighbour plate's registration is a misread and does not count."""
        if plate in self.reported:
            return None
        s = sighting(seen)
        what = registration_mismatch(s, reg)
        if not what:
            return None
        self.stats.feature_mismatches += 1
        key, cfg = (plate, what), self.config
        colour = what[0] == FEATURE_LABELS["vehicle_colour"]
        needed = cfg.min_colour_mismatches if colour else cfg.min_feature_mismatches
        kept = [t for t in self.unlike.get(key, ()) if s.ts - t.ts < cfg.window_s]
        kept.append(s)
        if len(kept) >= needed:
            # Misreads of a neighbour plate are weeded out only now: the check looks up some
            # 250 plates, and most mismatches (one-off colour errors) never get this far.
            kept = [t for t in kept if not self._fits_neighbour(plate, t)]
        kept = kept[-needed:]
        self.unlike[key] = kept
        if len(kept) < needed or (colour and len({t.checkpoint_id for t in kept}) < 2):
            return None
        self.reported.add(plate)
        self.stats.findings += 1
        label, value, registered = what
        reason = f"{len(kept)} 次过车车辆与登记不符（{label}：{value}，登记为 {registered}）"
        return CloneFinding(plate, (), reason, tuple(kept))

    def _fits_neighbour(self, plate: str, s: Sighting) -> bool:
        registry = self.registry
        return any(
            fits_registration(s, registry.get(other)) is True
            for other in neighbours(plate)
            if other in registry
        )

    def _contradiction(self, plate: str, a: Seen, b: Seen, needed: float) -> None:
        self.stats.contradictions += 1
        first, second = sighting(a), sighting(b)
        self.pending.append(
            Contradiction(plate, first, second, needed, feature_mismatch(first, second))
        )

    def flush(self) -> list[CloneFinding]:
        """Decide every held contradiction now (end of a batch file, shutdown)."""
        return self._release(float("inf"))

    # --- deciding ----------------------------------------------------------------------------

    def _release(self, until: float) -> list[CloneFinding]:
        findings: list[CloneFinding] = []
        pending = self.pending
        while pending and pending[0].second.ts <= until:
            c = pending.popleft()
            if c.plate in self.reported:
                continue
            if self._misread(c.plate, c.first) or self._misread(c.plate, c.second):
                self.stats.explained += 1
                continue
            found = self._count(c)
            if found is not None:
                findings.append(found)
        return findings

    def _count(self, c: Contradiction) -> CloneFinding | None:
        cfg = self.config
        kept = [
            old
            for old in self.counted.get(c.plate, [])
            if c.second.ts - old.second.ts < cfg.window_s
        ]
        kept.append(c)
        self.counted[c.plate] = kept
        reg = self.registry.get(c.plate)
        registry_mismatch = any(fits_registration(s, reg) is False for s in (c.first, c.second))
        if c.mismatch or registry_mismatch:
            what = "、".join(FEATURE_LABELS[m] for m in c.mismatch) or "与登记信息"
            reason = f"{len(kept)} 次时空矛盾，且两车特征不符（{what}）"
        elif len(kept) >= cfg.min_contradictions:
            reason = f"{len(kept)} 次时空矛盾（两卡口间行驶时间不足，已排除号牌识别误差）"
        else:
            return None
        self.reported.add(c.plate)
        del self.counted[c.plate]
        self.stats.findings += 1
        return CloneFinding(c.plate, tuple(kept), reason)

    def _misread(self, plate: str, s: Sighting) -> bool:
        """Whether this sighting of `plate` is better explained as a neighbour plate misread."""
        cfg = self.config
        own = fits_registration(s, self.registry.get(plate))
        for other in neighbours(plate):
            seen = self.history.get(other)
            if seen is not None:
                for t in map(sighting, seen):
                    near = abs(t.ts - s.ts) <= cfg.explain_s
                    if near and self._feasible(s, t) and not feature_mismatch(s, t):
                        return True
            if own is False and fits_registration(s, self.registry.get(other)) is True:
                return True
        return False

    def _feasible(self, a: Sighting, b: Sighting) -> bool:
        first, second = (a, b) if a.ts <= b.ts else (b, a)
        if first.cp == second.cp:
            return True
        return second.ts - first.ts >= float(self.min_s[first.cp, second.cp])


def load_registry(db: Session) -> dict[str, Registered]:
    """Registered class, brand and body colour per plate (vehicles still on the road)."""
    rows = db.execute(
        select(Vehicle.plate_no, Vehicle.vehicle_class, Vehicle.brand, Vehicle.body_color).where(
            Vehicle.status.not_in(RETIRED_VEHICLE)
        )
    )
    return {plate: Registered.of(vclass, brand, colour) for plate, vclass, brand, colour in rows}


# --- scoring against ground truth (simulation benchmark) ------------------------------------------


@dataclass(frozen=True)
class CloneScore:
    true_positives: int
    false_positives: int
    false_negatives: int
    precision: float
    recall: float
    false_positive_plates: tuple[str, ...] = field(default=())
    missed_plates: tuple[str, ...] = field(default=())

    def as_dict(self) -> dict[str, float]:
        return {
            "clone_true_positives": self.true_positives,
            "clone_false_positives": self.false_positives,
            "clone_false_negatives": self.false_negatives,
            "clone_precision": self.precision,
            "clone_recall": self.recall,
        }


def score_detections(detected: Iterable[str], truth: Iterable[str]) -> CloneScore:
    """Plate-level precision and recall of clone detections against the planted cloned plates."""
    found, real = set(detected), set(truth)
    tp, fp, fn = len(found & real), len(found - real), len(real - found)
    return CloneScore(
        tp,
        fp,
        fn,
        tp / (tp + fp) if tp + fp else 1.0,
        tp / (tp + fn) if tp + fn else 1.0,
        tuple(sorted(found - real)),
        tuple(sorted(real - found)),
    )


def detect_clones(
    sites: CheckpointSites,
    batches: Iterable[Sequence[PassRecord]],
    *,
    config: CloneConfig | None = None,
    registry: dict[str, Registered] | None = None,
) -> tuple[list[CloneFinding], CloneStats]:
    """Run the detector over time-ordered batches of passes (benchmarks, offline analysis)."""
    detector = CloneDetector(sites, config, registry)
    findings: list[CloneFinding] = []
    for batch in batches:
        findings.extend(detector.observe(batch))
    findings.extend(detector.flush())
    return findings, detector.stats
