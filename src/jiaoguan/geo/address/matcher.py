"""The messy-address matcher: "保定竞秀区朝阳大街万博广场对面" → ranked standard-address candidates.

Design (algorithms.md §8.4): one Aho-Corasick automaton over division names and aliases, road
names (and their abbreviations), estates and landmarks; house numbers parsed after the road;
candidates scored by what matched, the consistency of the divisions written with the record's
division chain and a jurisdiction prior (the platform's own city); fuzzy road names within edit
distance 1 when no road matched exactly. When the best candidates score within `MARGIN` of each
other the result lists them in `ambiguous` and names no `best`: it explains instead of guessing.

The matcher holds plain data (no database session), so it is built once and shared; the service
rebuilds it when the registry changes.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Literal, Protocol

import ahocorasick

from jiaoguan.geo.address.models import AliasKind, DivisionLevel
from jiaoguan.geo.address.normalize import HouseParts, house_key, normalize, parse_house

MAX_TEXT = 200  # characters; longer input is refused (batch: reported per record)
MARGIN = 2.0  # raw points: candidates closer than this are reported as ambiguous
DEFAULT_HOME_CITY = "130600"  # 河北省保定市, the demo city

CandidateKind = Literal["address", "landmark", "road", "intersection", "division"]

# --- input records ------------------------------------------------------------------------------


class DivisionLike(Protocol):
    @property
    def code(self) -> str: ...
    @property
    def name(self) -> str: ...
    @property
    def level(self) -> DivisionLevel: ...
    @property
    def parent_code(self) -> str | None: ...


class AliasLike(Protocol):
    @property
    def alias(self) -> str: ...
    @property
    def code(self) -> str: ...
    @property
    def kind(self) -> AliasKind: ...


class AddressLike(Protocol):
    """What the matcher needs of a standard address: the ORM model and plain records both fit."""

    @property
    def id(self) -> int: ...
    @property
    def county_code(self) -> str: ...
    @property
    def road(self) -> str: ...
    @property
    def house_number(self) -> str | None: ...
    @property
    def estate(self) -> str | None: ...
    @property
    def building(self) -> str | None: ...
    @property
    def unit_no(self) -> str | None: ...
    @property
    def room(self) -> str | None: ...
    @property
    def full_text(self) -> str: ...
    @property
    def lon(self) -> float | None: ...
    @property
    def lat(self) -> float | None: ...


class LandmarkLike(Protocol):
    @property
    def id(self) -> int: ...
    @property
    def name(self) -> str: ...
    @property
    def aliases(self) -> list[str]: ...
    @property
    def county_code(self) -> str | None: ...
    @property
    def address_id(self) -> int | None: ...
    @property
    def lon(self) -> float | None: ...
    @property
    def lat(self) -> float | None: ...


@dataclass(frozen=True, slots=True)
class _Division:
    code: str
    name: str
    level: DivisionLevel
    chain: tuple[str, ...]  # itself, then its ancestors


@dataclass(frozen=True, slots=True)
class _Address:
    id: int
    county: str
    road: str
    number: str | None
    estate: str | None
    building: str | None
    unit: str | None
    room: str | None
    text: str
    lon: float | None
    lat: float | None


@dataclass(frozen=True, slots=True)
class _Landmark:
    id: int
    name: str
    county: str | None
    address: _Address | None
    lon: float | None
    lat: float | None


# --- results ------------------------------------------------------------------------------------


@dataclass
class Candidate:
    kind: CandidateKind
    score: float  # 0..1
    text: str
    address_id: int | None = None
    landmark_id: int | None = None
    county_code: str | None = None
    city_code: str | None = None
    province_code: str | None = None
    lon: float | None = None
    lat: float | None = None
    relation: str | None = None  # 对面, 东侧, 交叉口... for landmark-relative answers
    explanation: list[str] = field(default_factory=list)
    raw: float = 0.0


@dataclass
class MatchResult:
    text: str
    normalized: str
    best: Candidate | None
    candidates: list[Candidate]
    ambiguous: list[Candidate]
    parts: HouseParts
    notes: list[str] = field(default_factory=list)

    @property
    def county_code(self) -> str | None:
        return self.best.county_code if self.best is not None else None


class AddressInputError(ValueError):
    """An address the matcher refuses (empty, too long); the message is Chinese."""


# --- scoring constants --------------------------------------------------------------------------

_FLAVOUR_WEIGHT = {"name": 10.0, "old": 9.0, "zone": 8.0, "short": 7.0, "other": 6.0}
_LEVEL_WEIGHT = {
    DivisionLevel.county: 1.0,
    DivisionLevel.city: 0.6,
    DivisionLevel.province: 0.3,
    DivisionLevel.town: 1.2,
}
_FLAVOUR_LABEL = {
    "name": "全称",
    "old": "曾用名",
    "zone": "功能区",
    "short": "简称",
    "other": "别名",
}
_ROAD_BASE = {"exact": 40.0, "variant": 34.0, "fuzzy": 30.0}
_ESTATE_BASE = 38.0
_LANDMARK_BASE = 36.0
_INTERSECTION_BASE = 42.0
_NUMBER_EXACT = 20.0
_NUMBER_NEAR = 6.0
_HOME_CITY = 3.0
_HOME_PROVINCE = 1.0

_ROAD_SUFFIXES = ("大街", "大道", "路", "街", "道", "巷", "弄", "胡同", "线")
_ROAD_FOLLOWERS = frozenset("路街道巷弄")
_DIRECTIONS = "东西南北中"
_JOINERS = frozenset({"", "与", "和", "及", "交", "跟", "同", "-", "至"})
RELATIONS: tuple[str, ...] = tuple(
    sorted(
        {
            "对面",
            "斜对面",
            "对过",
            "旁边",
            "旁",
            "附近",
            "门口",
            "门前",
            "后面",
            "里面",
            "内",
            "交叉口",
            "路口",
            *(f"{d}{s}" for d in "东西南北" for s in ("侧", "边", "门", "面", "口")),
            *(f"{a}{b}角" for a in "东西" for b in "南北"),
            *(f"往{d}" for d in "东西南北"),
            *(f"以{d}" for d in "东西南北"),
        },
        key=len,
        reverse=True,
    )
)


@dataclass(frozen=True, slots=True)
class _Ref:
    kind: Literal["div", "road", "estate", "landmark"]
    ref: str | int
    flavour: str


@dataclass(frozen=True, slots=True)
class _Hit:
    start: int
    end: int  # exclusive
    key: str
    refs: tuple[_Ref, ...]


def _road_variants(road: str) -> set[str]:
    """Ways people shorten a road name: 朝阳北大街 → 朝阳北街, 东风中路 → 东风路."""
    variants = set()
    if road.endswith("大街") and len(road) > 3:
        variants.add(road[:-2] + "街")
    for suffix in _ROAD_SUFFIXES:
        if road.endswith(suffix):
            stem = road[: -len(suffix)]
            if len(stem) >= 3 and stem[-1] in _DIRECTIONS:
                variants.add(stem[:-1] + suffix)
            break
    variants.discard(road)
    return variants


def _deletions(text: str) -> Iterable[str]:
    for i in range(len(text)):
        yield text[:i] + text[i + 1 :]


def edit_distance(a: str, b: str, limit: int = 2) -> int:
    """Optimal-string-alignment distance (a transposition counts once), capped at `limit`."""
    if abs(len(a) - len(b)) >= limit:
        return limit
    previous2: list[int] = []
    previous = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        current = [i] + [0] * len(b)
        for j, cb in enumerate(b, 1):
            cost = 0 if ca == cb else 1
            current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + cost)
            if i > 1 and j > 1 and ca == b[j - 2] and a[i - 2] == cb:
                current[j] = min(current[j], previous2[j - 2] + 1)
        previous2, previous = previous, current
    return min(previous[-1], limit)


class AddressMatcher:
    """An immutable index of divisions, standard addresses and landmarks, and the matching."""

    def __init__(
        self,
        divisions: Iterable[DivisionLike],
        aliases: Iterable[AliasLike],
        addresses: Iterable[AddressLike] = (),
        landmarks: Iterable[LandmarkLike] = (),
        *,
        home_city: str = DEFAULT_HOME_CITY,
        generic_names: frozenset[str] = frozenset(),
    ) -> None:
        self.home_city = home_city
        self.divisions = self._divisions(divisions)
        keys: dict[str, list[_Ref]] = defaultdict(list)
        for division in self.divisions.values():
            if len(division.name) >= 2 and division.name not in generic_names:
                keys[normalize(division.name)].append(_Ref("div", division.code, "name"))
        for alias in aliases:
            text = normalize(alias.alias)
            if len(text) >= 2 and alias.code in self.divisions and text not in generic_names:
                keys[text].append(_Ref("div", alias.code, str(alias.kind.value)))
        self.addresses: dict[int, _Address] = {}
        self.by_road: dict[str, list[_Address]] = defaultdict(list)
        self.by_road_number: dict[tuple[str, str], list[_Address]] = defaultdict(list)
        self.by_estate: dict[str, list[_Address]] = defaultdict(list)
        for record in addresses:
            entry = self._address(record)
            self.addresses[entry.id] = entry
            self.by_road[entry.road].append(entry)
            if entry.number is not None:
                self.by_road_number[(entry.road, entry.number)].append(entry)
            if entry.estate:
                self.by_estate[entry.estate].append(entry)
        for road in self.by_road:
            keys[road].append(_Ref("road", road, "exact"))
        for road in self.by_road:
            for variant in _road_variants(road):
                if variant not in self.by_road:
                    keys[variant].append(_Ref("road", road, "variant"))
        for estate in self.by_estate:
            if len(estate) >= 2:
                keys[estate].append(_Ref("estate", estate, "exact"))
        self.landmarks: dict[int, _Landmark] = {}
        for mark in landmarks:
            address = self.addresses.get(mark.address_id) if mark.address_id else None
            entry_l = _Landmark(
                mark.id,
                mark.name,
                mark.county_code or (address.county if address else None),
                address,
                mark.lon if mark.lon is not None else (address.lon if address else None),
                mark.lat if mark.lat is not None else (address.lat if address else None),
            )
            self.landmarks[mark.id] = entry_l
            for flavour, name in (("name", mark.name), *(("alias", a) for a in mark.aliases)):
                text = normalize(name)
                if len(text) >= 2:
                    keys[text].append(_Ref("landmark", mark.id, flavour))
        self.automaton = ahocorasick.Automaton()
        for key, refs in keys.items():
            self.automaton.add_word(key, (key, tuple(dict.fromkeys(refs))))
        self.automaton.make_automaton()
        self.fuzzy: dict[str, set[str]] = defaultdict(set)
        for road in self.by_road:
            if len(road) >= 3:
                self.fuzzy[road].add(road)
                for deleted in _deletions(road):
                    self.fuzzy[deleted].add(road)

    # --- building ------------------------------------------------------------------------------

    @staticmethod
    def _divisions(rows: Iterable[DivisionLike]) -> dict[str, _Division]:
        parents: dict[str, str | None] = {}
        info: dict[str, tuple[str, DivisionLevel]] = {}
        for row in rows:
            parents[row.code] = row.parent_code
            info[row.code] = (row.name, row.level)
        result = {}
        for code, (name, level) in info.items():
            chain = [code]
            parent = parents.get(code)
            while parent and parent in info and parent not in chain:
                chain.append(parent)
                parent = parents.get(parent)
            result[code] = _Division(code, name, level, tuple(chain))
        return result

    @staticmethod
    def _address(record: AddressLike) -> _Address:
        return _Address(
            id=record.id,
            county=record.county_code,
            road=normalize(record.road),
            number=house_key(record.house_number),
            estate=normalize(record.estate) if record.estate else None,
            building=house_key(record.building),
            unit=house_key(record.unit_no),
            room=house_key(record.room),
            text=record.full_text,
            lon=record.lon,
            lat=record.lat,
        )

    @property
    def size(self) -> int:
        return len(self.addresses)

    # --- matching ------------------------------------------------------------------------------

    def match(self, text: str, *, home_city: str | None = None, limit: int = 5) -> MatchResult:
        """Ranked candidates for one messy address; raises AddressInputError for empty or
        over-long input."""
        if len(text) > MAX_TEXT:
            raise AddressInputError(f"地址过长（不超过 {MAX_TEXT} 字）")
        norm = normalize(text)
        if not norm:
            raise AddressInputError("地址为空")
        home = home_city or self.home_city
        hits = self._hits(norm)
        notes: list[str] = []
        if not any(h.refs[0].kind in ("road", "estate") for h in hits):
            fuzzy = self._fuzzy_roads(norm, hits, notes)
            # A short division name inside the misspelt road ("复兴民路") is not a division.
            hits = [h for h in hits if not any(_overlap(h, f) for f in fuzzy)] + fuzzy
        div_hits = [h for h in hits if h.refs[0].kind == "div"]
        scorer = _DivisionScorer(self.divisions, div_hits, home)
        candidates, parts = self._anchored(norm, hits, scorer)
        if div_hits and all(scorer.score(c.county_code or "")[0] < 0 for c in candidates):
            # The divisions written contradict every registry candidate: the place lies outside
            # the address registry ("长春朝阳区红旗街"); answer with the divisions, rank the
            # registry's look-alikes below them.
            if candidates:
                notes.append("所写行政区划与地址库中的候选不一致，仅给出区划")
            for candidate in candidates:
                candidate.raw = min(candidate.raw, 0.0) - 1.0
            candidates = self._division_candidates(div_hits, scorer) + candidates
        return self._rank(text, norm, candidates, parts, notes, limit)

    def match_many(
        self, texts: Sequence[str], *, home_city: str | None = None
    ) -> list[MatchResult | AddressInputError]:
        """Batch matching of imported records: a bad record is returned as its error, in place."""
        results: list[MatchResult | AddressInputError] = []
        for text in texts:
            try:
                results.append(self.match(text, home_city=home_city))
            except AddressInputError as exc:
                results.append(exc)
        return results

    def _hits(self, norm: str) -> list[_Hit]:
        hits: list[_Hit] = []
        for end, (key, refs) in self.automaton.iter_long(norm):
            start = end - len(key) + 1
            following = norm[end + 1 : end + 2]
            if refs[0].kind == "div" and following in _ROAD_FOLLOWERS:
                # "文昌路", "中山路": a division's short name that starts a road name.
                refs = tuple(r for r in refs if r.kind != "div" or r.flavour == "name")
                if not refs:
                    continue
            by_kind: dict[str, list[_Ref]] = defaultdict(list)
            for ref in refs:
                by_kind[ref.kind].append(ref)
            hits.extend(_Hit(start, end + 1, key, tuple(group)) for group in by_kind.values())
        return hits

    def _anchored(
        self, norm: str, hits: list[_Hit], scorer: _DivisionScorer
    ) -> tuple[list[Candidate], HouseParts]:
        candidates: list[Candidate] = []
        roads = sorted((h for h in hits if h.refs[0].kind == "road"), key=lambda h: h.start)
        parts = HouseParts()
        for index, hit in enumerate(roads):
            following = roads[index + 1] if index + 1 < len(roads) else None
            if following is not None and norm[hit.end : following.start] in _JOINERS:
                tail = norm[following.end :]
                if not parse_house(tail).number:
                    candidates += self._intersection(hit, following, tail, scorer)
                    continue
            tail_parts = parse_house(norm[hit.end :])
            if tail_parts.number or not parts.number:
                parts = tail_parts if not parts.number else parts
            candidates += self._on_road(hit, tail_parts, scorer)
        for hit in hits:
            kind = hit.refs[0].kind
            if kind == "estate":
                estate_parts = parse_house(norm[hit.end :], with_number=False)
                if parts.empty:
                    parts = estate_parts
                candidates += self._in_estate(hit, estate_parts, scorer)
            elif kind == "landmark":
                candidates += self._near_landmark(norm, hit, scorer)
        return candidates, parts

    def _fuzzy_roads(self, norm: str, hits: list[_Hit], notes: list[str]) -> list[_Hit]:
        """Road names within edit distance 1 in the stretch between the divisions and the number."""
        first_digit = next((i for i, c in enumerate(norm) if c.isdigit()), len(norm))
        # From the last full division name: short names may be part of the misspelt road.
        start = max(
            (
                h.end
                for h in hits
                if h.refs[0].kind == "div"
                and h.end <= first_digit
                and any(r.flavour in ("name", "old", "zone") for r in h.refs)
            ),
            default=0,
        )
        stop = min(
            (h.start for h in hits if h.start >= start and h.refs[0].kind != "div"),
            default=first_digit,
        )
        stop = min(stop, first_digit)
        region = norm[start:stop]
        found: dict[tuple[int, int], set[str]] = {}
        best = (2, 0)
        for i in range(len(region)):
            for j in range(i + 3, min(len(region), i + 10) + 1):
                piece = region[i:j]
                roads = set(self.fuzzy.get(piece, ()))
                for deleted in _deletions(piece):
                    roads |= self.fuzzy.get(deleted, set())
                for road in roads:
                    distance = edit_distance(piece, road)
                    if distance > 1:
                        continue
                    rank = (distance, -len(piece))
                    if rank < best:
                        best, found = rank, {}
                    if rank == best:
                        found.setdefault((start + i, start + j), set()).add(road)
        result = []
        for (begin, end), roads in sorted(found.items()):
            for road in sorted(roads):
                notes.append(f"道路“{norm[begin:end]}”按容错匹配为“{road}”")
                result.append(_Hit(begin, end, norm[begin:end], (_Ref("road", road, "fuzzy"),)))
            break  # one stretch: the leftmost of the best
        return result

    # --- candidates ----------------------------------------------------------------------------

    def _address_candidate(
        self, entry: _Address, base: float, why: list[str], scorer: _DivisionScorer
    ) -> Candidate:
        division_score, division_why = scorer.score(entry.county)
        chain = self.divisions[entry.county].chain if entry.county in self.divisions else ()
        return Candidate(
            kind="address",
            score=0.0,
            text=entry.text,
            address_id=entry.id,
            county_code=entry.county,
            city_code=_level_code(self.divisions, chain, DivisionLevel.city),
            province_code=_level_code(self.divisions, chain, DivisionLevel.province),
            lon=entry.lon,
            lat=entry.lat,
            explanation=[*why, *division_why],
            raw=base + division_score,
        )

    def _on_road(self, hit: _Hit, parts: HouseParts, scorer: _DivisionScorer) -> list[Candidate]:
        result = []
        for ref in hit.refs:
            if ref.kind != "road":
                continue
            road = str(ref.ref)
            base = _ROAD_BASE[ref.flavour]
            how = {"exact": "精确", "variant": "简写", "fuzzy": "容错"}[ref.flavour]
            why = [f"道路：{road}（{how}，原文“{hit.key}”）"]
            if parts.number is None:
                result += self._road_level(road, base, why, parts, scorer)
                continue
            group = self.by_road_number.get((road, parts.number))
            number_score, number_why = _NUMBER_EXACT, f"门牌：{parts.number}号"
            if not group:
                group = self._nearest_numbers(road, parts.number)
                number_score = _NUMBER_NEAR
                number_why = f"门牌 {parts.number} 号未登记，取同路最近门牌"
            for entry, part_score, part_why in _best_parts(group, parts):
                result.append(
                    self._address_candidate(
                        entry,
                        base + number_score + part_score,
                        [*why, number_why, *part_why],
                        scorer,
                    )
                )
        return result

    def _road_level(
        self, road: str, base: float, why: list[str], parts: HouseParts, scorer: _DivisionScorer
    ) -> list[Candidate]:
        """No door number: the road itself, once per county it runs through."""
        result = []
        by_county: dict[str, list[_Address]] = defaultdict(list)
        for entry in self.by_road.get(road, ()):
            by_county[entry.county].append(entry)
        for county, entries in by_county.items():
            located = [e for e in entries if e.lon is not None and e.lat is not None]
            lon = (
                sum(e.lon for e in located if e.lon is not None) / len(located) if located else None
            )
            lat = (
                sum(e.lat for e in located if e.lat is not None) / len(located) if located else None
            )
            candidate = self._address_candidate(entries[0], base, [*why, "未写门牌号"], scorer)
            candidate.kind, candidate.address_id = "road", None
            candidate.text = f"{self._division_text(county)}{road}"
            candidate.lon, candidate.lat = lon, lat
            result.append(candidate)
        return result

    def _nearest_numbers(self, road: str, number: str) -> list[_Address]:
        if not number.isdigit():
            return []
        wanted = int(number)
        numbers = {
            int(e.number) for e in self.by_road.get(road, ()) if e.number and e.number.isdigit()
        }
        if not numbers:
            return []
        nearest = min(numbers, key=lambda n: (abs(n - wanted), n))
        return [
            e
            for e in self.by_road_number.get((road, str(nearest)), ())
            if not (e.building or e.unit or e.room)
        ]

    def _in_estate(self, hit: _Hit, parts: HouseParts, scorer: _DivisionScorer) -> list[Candidate]:
        estate = str(hit.refs[0].ref)
        result = []
        for entry, part_score, part_why in _best_parts(self.by_estate.get(estate, ()), parts):
            why = [f"小区：{estate}", *part_why]
            result.append(
                self._address_candidate(
                    entry, _ESTATE_BASE + _NUMBER_EXACT + part_score, why, scorer
                )
            )
        return result

    def _near_landmark(self, norm: str, hit: _Hit, scorer: _DivisionScorer) -> list[Candidate]:
        after = norm[hit.end : hit.end + 4]
        relation = next((r for r in RELATIONS if after.startswith(r)), None)
        result = []
        for ref in hit.refs:
            mark = self.landmarks.get(int(ref.ref)) if ref.kind == "landmark" else None
            if mark is None:
                continue
            why = [f"地标：{mark.name}" + (f"（{relation}）" if relation else "")]
            if mark.address is not None:
                candidate = self._address_candidate(
                    mark.address, _LANDMARK_BASE + 15.0, why, scorer
                )
                candidate.kind = "landmark"
            else:
                county = mark.county or ""
                division_score, division_why = scorer.score(county) if county else (0.0, [])
                candidate = Candidate(
                    kind="landmark",
                    score=0.0,
                    text=mark.name,
                    county_code=mark.county,
                    lon=mark.lon,
                    lat=mark.lat,
                    explanation=[*why, *division_why],
                    raw=_LANDMARK_BASE + division_score,
                )
            candidate.landmark_id, candidate.relation = mark.id, relation
            candidate.text = f"{candidate.text}（{mark.name}{relation or ''}）"
            result.append(candidate)
        return result

    def _intersection(
        self, first: _Hit, second: _Hit, tail: str, scorer: _DivisionScorer
    ) -> list[Candidate]:
        road_a, road_b = str(first.refs[0].ref), str(second.refs[0].ref)
        counties_a = {e.county for e in self.by_road.get(road_a, ())}
        counties_b = {e.county for e in self.by_road.get(road_b, ())}
        relation = next((r for r in RELATIONS if tail.startswith(r)), None)
        if relation in ("交叉口", "路口", "口"):
            rest = tail[len(relation) :]
            corner = next((r for r in RELATIONS if rest.startswith(r)), None)
            relation = f"{relation}{corner}" if corner else relation
        result = []
        for county in sorted(counties_a & counties_b) or sorted(counties_a | counties_b):
            division_score, division_why = scorer.score(county)
            points = [
                e
                for e in (*self.by_road.get(road_a, ()), *self.by_road.get(road_b, ()))
                if e.county == county and e.lon is not None
            ]
            lon, lat = _closest_pair(
                [e for e in points if e.road == road_a], [e for e in points if e.road == road_b]
            )
            chain = self.divisions[county].chain if county in self.divisions else ()
            result.append(
                Candidate(
                    kind="intersection",
                    score=0.0,
                    text=f"{self._division_text(county)}{road_a}与{road_b}交叉口",
                    county_code=county,
                    city_code=_level_code(self.divisions, chain, DivisionLevel.city),
                    province_code=_level_code(self.divisions, chain, DivisionLevel.province),
                    lon=lon,
                    lat=lat,
                    relation=relation or "交叉口",
                    explanation=[f"交叉口：{road_a} 与 {road_b}", *division_why],
                    raw=_INTERSECTION_BASE + division_score,
                )
            )
        return result

    def _division_candidates(
        self, div_hits: list[_Hit], scorer: _DivisionScorer
    ) -> list[Candidate]:
        """No road, estate or landmark: the divisions written, most specific first."""
        codes = {str(r.ref) for h in div_hits for r in h.refs}
        # The most specific divisions only: 莱州市 stands for 烟台市 and 山东省 as well.
        covered = {a for c in codes for a in self.divisions[c].chain[1:]}
        result = []
        for code in codes - covered:
            division = self.divisions[code]
            raw, why = scorer.score(code)
            raw += {DivisionLevel.county: 0.5, DivisionLevel.city: 0.25}.get(division.level, 0.0)
            result.append(
                Candidate(
                    kind="division",
                    score=0.0,
                    text=self._division_text(code),
                    county_code=code if division.level is DivisionLevel.county else None,
                    city_code=_level_code(self.divisions, division.chain, DivisionLevel.city),
                    province_code=_level_code(
                        self.divisions, division.chain, DivisionLevel.province
                    ),
                    explanation=why,
                    raw=raw,
                )
            )
        return result

    def _division_text(self, code: str) -> str:
        division = self.divisions.get(code)
        if division is None:
            return ""
        names = [self.divisions[c].name for c in reversed(division.chain)]
        # 北京市北京市朝阳区: a municipality's province and city rows share the name.
        return "".join(n for i, n in enumerate(names) if i == 0 or n != names[i - 1])

    def _rank(
        self,
        text: str,
        norm: str,
        candidates: list[Candidate],
        parts: HouseParts,
        notes: list[str],
        limit: int,
    ) -> MatchResult:
        best_by_key: dict[tuple[str, object], Candidate] = {}
        for candidate in candidates:
            key = (
                (candidate.kind, candidate.address_id)
                if candidate.address_id is not None
                else (candidate.kind, candidate.text)
            )
            if candidate.kind == "landmark" and candidate.address_id is not None:
                key = ("address", candidate.address_id)
            held = best_by_key.get(key)
            if held is None:
                best_by_key[key] = candidate
            elif candidate.raw > held.raw:
                candidate.raw += 3.0  # a second, independent route to the same record
                candidate.explanation += held.explanation[:1]
                best_by_key[key] = candidate
            else:
                held.raw += 3.0
                held.explanation += candidate.explanation[:1]
        ranked = sorted(best_by_key.values(), key=lambda c: (-c.raw, c.text))[:limit]
        full = 100.0 if ranked and ranked[0].kind != "division" else 25.0
        for candidate in ranked:
            candidate.score = round(max(0.0, min(1.0, candidate.raw / full)), 3)
        close = [c for c in ranked if ranked and ranked[0].raw - c.raw < MARGIN]
        if len(close) > 1:
            notes.append(f"有 {len(close)} 个得分接近的候选，未自动选定，请人工确认")
            return MatchResult(text, norm, None, ranked, close, parts, notes)
        if not ranked:
            notes.append("未识别出行政区划、道路、小区或地标")
        return MatchResult(text, norm, ranked[0] if ranked else None, ranked, [], parts, notes)


def _overlap(a: _Hit, b: _Hit) -> bool:
    return a.start < b.end and b.start < a.end


def _level_code(
    divisions: dict[str, _Division], chain: tuple[str, ...], level: DivisionLevel
) -> str | None:
    return next((c for c in chain if divisions[c].level is level), None)


def _closest_pair(a: list[_Address], b: list[_Address]) -> tuple[float | None, float | None]:
    """Midpoint of the closest pair of addresses on two roads: where they probably cross."""
    best: tuple[float, float, float] | None = None
    for x in a[:200]:
        for y in b[:200]:
            assert (
                x.lon is not None and x.lat is not None and y.lon is not None and y.lat is not None
            )
            gap = math.hypot(x.lon - y.lon, x.lat - y.lat)
            if best is None or gap < best[0]:
                best = (gap, (x.lon + y.lon) / 2, (x.lat + y.lat) / 2)
    return (best[1], best[2]) if best else (None, None)


def _best_parts(
    entries: Iterable[_Address], parts: HouseParts, keep: int = 6
) -> list[tuple[_Address, float, list[str]]]:
    """The records of one door plate or estate that fit the building/unit/room best: only
    these become candidates (an estate holds hundreds of rooms)."""
    if parts.building:
        fitting = [e for e in entries if e.building in (None, parts.building)]
    else:
        fitting = [e for e in entries if e.building is None]
    scored = [(entry, *_parts_score(entry, parts)) for entry in fitting or entries]
    scored.sort(key=lambda item: -item[1])
    return scored[:keep]


def _parts_score(entry: _Address, parts: HouseParts) -> tuple[float, list[str]]:
    """Building, unit and room: agreement counts, a record more specific than the input is
    penalised (the input means the door plate), a less specific one slightly."""
    score = 0.0
    why = []
    for label, wanted, held in (
        ("楼栋", parts.building, entry.building),
        ("单元", parts.unit, entry.unit),
        ("房号", parts.room, entry.room),
    ):
        if wanted and held:
            if wanted == held:
                score += 4.0
                why.append(f"{label}：{held}")
            else:
                score -= 6.0
        elif held:
            score -= 3.0
        elif wanted:
            score -= 1.0
            why.append(f"{label} {wanted} 未登记")
    return score, why


class _DivisionScorer:
    """How well the divisions written in the text agree with a county (cached per county)."""

    def __init__(self, divisions: dict[str, _Division], hits: list[_Hit], home_city: str) -> None:
        self.divisions = divisions
        self.hits = hits
        self.home_city = home_city
        self.home_province = home_city[:2] + "0000"
        self.cache: dict[str, tuple[float, list[str]]] = {}

    def score(self, code: str) -> tuple[float, list[str]]:
        if code not in self.cache:
            self.cache[code] = self._score(code)
        return self.cache[code]

    def _score(self, code: str) -> tuple[float, list[str]]:
        division = self.divisions.get(code)
        if division is None:
            return 0.0, []
        chain = division.chain
        total = 0.0
        why = []
        for hit in self.hits:
            best, matched = 0.0, None
            for ref in hit.refs:
                if ref.ref in chain:
                    level = self.divisions[str(ref.ref)].level
                    weight = _FLAVOUR_WEIGHT.get(ref.flavour, 6.0) * _LEVEL_WEIGHT[level]
                    if weight > best:
                        best, matched = weight, ref
            if matched is not None:
                total += best
                name = self.divisions[str(matched.ref)].name
                label = _FLAVOUR_LABEL.get(matched.flavour, "别名")
                why.append(f"区划：{name}" + (f"（{label}“{hit.key}”）" if hit.key != name else ""))
            else:
                total -= self._contradiction(hit)
                why.append(f"与所写区划“{hit.key}”不一致")
        if self.home_city in chain:
            total += _HOME_CITY
        elif self.home_province in chain:
            total += _HOME_PROVINCE
        return total, why

    def _contradiction(self, hit: _Hit) -> float:
        penalty = 0.0
        for ref in hit.refs:
            level = self.divisions[str(ref.ref)].level
            weight = 6.0 if level in (DivisionLevel.city, DivisionLevel.province) else 4.0
            penalty = max(penalty, weight * (1.0 if ref.flavour in ("name", "old") else 0.5))
        return penalty
