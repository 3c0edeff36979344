"""Messy addresses made from standard ones, with the gold answer: the test set of the matcher.

Takes any list of standard-address-like records (the self-made 保定 set now, the synthetic city's
later) and writes each the way people do: short names, missing levels, old names, a landmark and
a direction word instead of the door number, a typo in the road name, full-width digits and
look-alike radicals, other building/unit/room notations. Deterministic for a seed.
"""

from __future__ import annotations

import random
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass

from jiaoguan.geo.address.divisions import OLD_NAMES, DivisionRow, source_rows
from jiaoguan.geo.address.matcher import RELATIONS, AddressLike, LandmarkLike

NOISE_KINDS: tuple[str, ...] = (
    "full",
    "abbreviated",
    "missing_levels",
    "old_name",
    "landmark",
    "typo",
    "fullwidth",
    "building_format",
    "mixed",
)

_TYPO_POOL = "华阳光明建设中和平新兴民丰安康泰永胜利长城文化东西南北红旗育才友谊"
_RADICAL_LOOKALIKES = {
    "西": "⻄",
    "长": "⻓",
    "门": "⻔",
    "风": "⻛",
    "马": "⻢",
    "车": "⻋",
    "见": "⻅",
}
_FULLWIDTH = str.maketrans({chr(c): chr(c + 0xFEE0) for c in range(0x21, 0x7F)})


@dataclass(frozen=True)
class MessyCase:
    text: str
    gold_address_id: int
    gold_county_code: str
    kind: str


class _Divisions:
    def __init__(self, rows: Sequence[DivisionRow]) -> None:
        self.rows = {r.code: r for r in rows}
        self.old: dict[str, list[str]] = defaultdict(list)
        for alias, code, _until in OLD_NAMES:
            self.old[code].append(alias)

    def chain(self, code: str) -> list[DivisionRow]:
        result = []
        current: str | None = code
        while current is not None and current in self.rows:
            result.append(self.rows[current])
            current = self.rows[current].parent_code
        return result[::-1]  # province, city, county


def _tail(record: AddressLike, rng: random.Random, dashed: bool = False) -> str:
    """Door number and what follows it, in one of the notations people use."""
    number = record.house_number or ""
    if not record.building:
        return number
    building = record.building.removesuffix("栋")
    unit = (record.unit_no or "").removesuffix("单元")
    if dashed and unit:
        return f"{number}{record.estate or ''}{building}-{unit}" + (
            f"-{record.room}" if record.room else ""
        )
    style = rng.choice(("栋", "号楼", "幢"))
    text = f"{number}{rng.choice(['院', '']) if rng.random() < 0.3 else ''}{record.estate or ''}"
    text += f"{building}{style}" + (f"{unit}单元" if unit else "")
    if record.room:
        text += record.room + rng.choice(("", "室", "号"))
    return text


def _typo(road: str, rng: random.Random, roads: set[str]) -> str | None:
    stem_end = max(1, len(road) - (2 if road.endswith("大街") else 1))
    for _ in range(10):
        position = rng.randrange(0, stem_end)
        operation = rng.choice(("substitute", "delete", "swap"))
        if operation == "substitute":
            typo = road[:position] + rng.choice(_TYPO_POOL) + road[position + 1 :]
        elif operation == "delete" and stem_end >= 3:
            typo = road[:position] + road[position + 1 :]
        elif operation == "swap" and position + 1 < stem_end:
            typo = road[:position] + road[position + 1] + road[position] + road[position + 2 :]
        else:
            continue
        if typo != road and typo not in roads:
            return typo
    return None


def messy_cases(
    addresses: Sequence[AddressLike],
    landmarks: Sequence[LandmarkLike] = (),
    *,
    count: int = 2000,
    seed: int = 7,
    kinds: Sequence[str] = NOISE_KINDS,
) -> list[MessyCase]:
    """`count` messy addresses spread evenly over `kinds`, each with its gold record."""
    rng = random.Random(seed)
    divisions = _Divisions(source_rows())
    roads = {a.road for a in addresses}
    by_id = {a.id: a for a in addresses}
    marks = [m for m in landmarks if m.address_id in by_id]
    old_counties = [a for a in addresses if divisions.old.get(a.county_code)]
    cases: list[MessyCase] = []
    attempts = 0
    while len(cases) < count and attempts < count * 20:
        attempts += 1
        kind = kinds[len(cases) % len(kinds)]
        pool: Sequence[AddressLike] = old_counties if kind == "old_name" else addresses
        if kind == "landmark":
            if not marks:
                continue
            mark = rng.choice(marks)
            record = by_id[mark.address_id]  # type: ignore[index]
            text = _landmark_text(record, mark, divisions, rng)
        else:
            if not pool:
                continue
            record = rng.choice(pool)
            made = _address_text(record, kind, divisions, rng, roads)
            if made is None:
                continue
            text = made
        cases.append(MessyCase(text, record.id, record.county_code, kind))
    return cases


def _levels(record: AddressLike, divisions: _Divisions, short: bool) -> list[str]:
    chain = divisions.chain(record.county_code)
    names = [r.short_name if short else r.name for r in chain]
    return [n for i, n in enumerate(names) if i == 0 or n != names[i - 1]]


def _address_text(
    record: AddressLike, kind: str, divisions: _Divisions, rng: random.Random, roads: set[str]
) -> str | None:
    if kind == "mixed":
        return _mixed_text(record, divisions, rng, roads)
    levels = _levels(record, divisions, short=False)
    road = record.road
    tail = _tail(record, rng, dashed=kind == "building_format")
    if kind == "abbreviated":
        levels = _levels(record, divisions, short=True)
        if road.endswith("大街") and rng.random() < 0.5:
            road = road[:-2] + "街"
        levels = levels[rng.randrange(0, len(levels)) :]
    elif kind == "missing_levels":
        levels = levels[rng.choice((1, 2, len(levels))) :]
    elif kind == "old_name":
        levels = [*levels[:-1], rng.choice(divisions.old[record.county_code])]
        levels = levels[rng.choice((0, 1)) :]
    elif kind == "typo":
        typo = _typo(road, rng, roads)
        if typo is None:
            return None
        road = typo
        levels = levels[rng.choice((0, 1, 2)) :]
    elif kind == "fullwidth":
        text = "".join(levels) + " " + road + " " + tail.translate(_FULLWIDTH)
        for plain, lookalike in _RADICAL_LOOKALIKES.items():
            text = text.replace(plain, lookalike)
        return text.replace("号", "号 ", 1) if rng.random() < 0.5 else text
    elif kind == "building_format":
        levels = levels[1:]
    return "".join(levels) + road + tail


def _landmark_text(
    record: AddressLike, mark: LandmarkLike, divisions: _Divisions, rng: random.Random
) -> str:
    levels = _levels(record, divisions, short=rng.random() < 0.5)
    levels = levels[rng.choice((0, 1, 2, len(levels))) :]
    name = rng.choice([mark.name, *mark.aliases]) if mark.aliases else mark.name
    relation = rng.choice([r for r in RELATIONS if len(r) == 2][:12])
    road = record.road if rng.random() < 0.4 else ""
    return "".join(levels) + road + name + relation


def _mixed_text(
    record: AddressLike, divisions: _Divisions, rng: random.Random, roads: set[str]
) -> str | None:
    """Several kinds of noise at once: short or old names, a dropped level, a typo or a shortened
    road, another building notation, full-width digits and stray spaces."""
    levels = _levels(record, divisions, short=rng.random() < 0.5)
    if divisions.old.get(record.county_code) and rng.random() < 0.3:
        levels = [*levels[:-1], rng.choice(divisions.old[record.county_code])]
    levels = levels[rng.randrange(0, len(levels) + 1) :]
    road = record.road
    if rng.random() < 0.35:
        road = _typo(road, rng, roads) or road
    elif road.endswith("大街") and rng.random() < 0.4:
        road = road[:-2] + "街"
    tail = _tail(record, rng, dashed=rng.random() < 0.3)
    if rng.random() < 0.4:
        tail = tail.translate(_FULLWIDTH)
    parts = [*levels, road, tail]
    separator = " " if rng.random() < 0.3 else ""
    return separator.join(parts)
