"""Standard-address registry, the division list and matching against the database.

The matcher is built from the database once and kept per database; it is rebuilt when the
addresses, landmarks or aliases change (a cheap fingerprint query per call notices changes made by
other processes too).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, func, insert, or_, select
from sqlalchemy.orm import Session, selectinload

from jiaoguan.geo.address import divisions as division_table
from jiaoguan.geo.address.matcher import (
    DEFAULT_HOME_CITY,
    AddressInputError,
    AddressMatcher,
    Candidate,
    MatchResult,
)
from jiaoguan.geo.address.models import (
    ADDRESS_STATUS_LABELS,
    AddressStatus,
    AdminDivision,
    AliasKind,
    DivisionAlias,
    DivisionLevel,
    Landmark,
    StandardAddress,
)
from jiaoguan.geo.address.sample import compose_full_text, sample_city
from jiaoguan.geo.address.schemas import (
    BatchItemOut,
    BatchOut,
    CandidateOut,
    DivisionPage,
    DivisionRead,
    MatchOut,
    PartsOut,
    StandardAddressCreate,
    StandardAddressRead,
    StandardAddressUpdate,
)
from jiaoguan.platform.auth.models import OrgUnit, OrgUnitKind
from jiaoguan.platform.auth.permissions import ADDRESS_READ, ADDRESS_WRITE
from jiaoguan.platform.auth.service import Principal
from jiaoguan.platform.crud import Column, Filter, Hooks, Registry, unit_by_code
from jiaoguan.platform.crud.lookups import INDENT
from jiaoguan.platform.db import utcnow
from jiaoguan.platform.errors import Invalid, NotFound

# --- registry -----------------------------------------------------------------------------------


def _county(db: Session, code: str) -> AdminDivision:
    division = db.get(AdminDivision, code)
    if division is None or division.level is not DivisionLevel.county:
        raise Invalid(f"区县代码“{code}”不是现行县级行政区划", ["county_code"])
    return division


def _check_grid(db: Session, principal: Principal, unit_id: int | None) -> None:
    if unit_id is None:
        return
    unit = db.get(OrgUnit, unit_id)
    if unit is None or not principal.sees_path(unit.path):
        raise Invalid("警务网格不存在或不在数据权限范围内", ["grid_unit_id"])
    if unit.kind is not OrgUnitKind.grid:
        raise Invalid(f"“{unit.name}”不是网格", ["grid_unit_id"])


def _derive(db: Session, obj: StandardAddress) -> None:
    """Province, city and the full text follow the county and the parts."""
    county = _county(db, obj.county_code)
    chain = [county]
    while chain[-1].parent_code is not None:
        parent = db.get(AdminDivision, chain[-1].parent_code)
        if parent is None:
            break
        chain.append(parent)
    by_level = {d.level: d.code for d in chain}
    obj.province_code = by_level.get(DivisionLevel.province, county.code[:2] + "0000")
    obj.city_code = by_level.get(DivisionLevel.city, obj.province_code)
    names = [d.name for d in reversed(chain)]
    prefix = "".join(n for i, n in enumerate(names) if i == 0 or n != names[i - 1])
    obj.full_text = compose_full_text(
        prefix + (obj.town or ""),
        obj.road,
        obj.house_number,
        obj.estate,
        obj.building,
        obj.unit_no,
        obj.room,
    )


class StandardAddressRules(Hooks[StandardAddress, StandardAddressCreate, StandardAddressUpdate]):
    def before_create(self, db: Session, principal: Principal, data: StandardAddressCreate) -> None:
        _county(db, data.county_code)
        _check_grid(db, principal, data.grid_unit_id)

    def values(
        self, db: Session, principal: Principal, data: StandardAddressCreate
    ) -> dict[str, Any]:
        probe = StandardAddress(**data.model_dump())
        _derive(db, probe)
        return {
            **data.model_dump(),
            "province_code": probe.province_code,
            "city_code": probe.city_code,
            "full_text": probe.full_text,
        }

    def before_update(
        self, db: Session, principal: Principal, obj: StandardAddress, changes: dict[str, Any]
    ) -> None:
        if "county_code" in changes and changes["county_code"] is not None:
            _county(db, changes["county_code"])
        if "grid_unit_id" in changes:
            _check_grid(db, principal, changes["grid_unit_id"])
        lon = changes.get("lon", obj.lon)
        lat = changes.get("lat", obj.lat)
        if (lon is None) != (lat is None):
            raise Invalid("经度和纬度须同时填写或同时留空", ["lat" if lat is None else "lon"])

    def apply(
        self, db: Session, principal: Principal, obj: StandardAddress, changes: dict[str, Any]
    ) -> None:
        super().apply(db, principal, obj, changes)
        _derive(db, obj)


def home_counties(db: Session, principal: Principal) -> list[tuple[Any, str]]:
    """Counties of the platform's own city first, for the form's select."""
    city = home_city(db)
    rows = db.execute(
        select(AdminDivision.code, AdminDivision.name)
        .where(AdminDivision.level == DivisionLevel.county, AdminDivision.parent_code == city)
        .order_by(AdminDivision.code)
    ).all()
    return [(code, f"{name}（{code}）") for code, name in rows]


def county_by_name(db: Session, principal: Principal, text: Any) -> str:
    """Import converter: a county code, or a county name (the platform's own city first)."""
    value = str(text).strip()
    if value.isdigit():
        return value
    stmt = select(AdminDivision).where(
        AdminDivision.level == DivisionLevel.county,
        or_(AdminDivision.name == value, AdminDivision.short_name == value),
    )
    found = list(db.scalars(stmt))
    local = [d for d in found if d.parent_code == home_city(db)]
    chosen = local or found
    if len(chosen) != 1:
        raise Invalid(
            f"区县“{value}”" + ("不存在" if not chosen else "有重名，请填写 6 位区划代码")
        )
    return chosen[0].code


def grid_units(db: Session, principal: Principal) -> list[tuple[Any, str]]:
    units = db.scalars(
        select(OrgUnit)
        .where(
            OrgUnit.kind == OrgUnitKind.grid,
            OrgUnit.path.startswith(principal.unit_path, autoescape=True),
        )
        .order_by(OrgUnit.path)
    )
    return [(u.id, f"{INDENT}{u.name}") for u in units]


def _county_filter_options(db: Session, principal: Principal) -> list[tuple[Any, str]]:
    return home_counties(db, principal)


ADDRESSES: Registry[
    StandardAddress, StandardAddressCreate, StandardAddressUpdate, StandardAddressRead
] = Registry(
    model=StandardAddress,
    create_schema=StandardAddressCreate,
    update_schema=StandardAddressUpdate,
    read_schema=StandardAddressRead,
    label="标准地址",
    slug="addresses",
    resource="standard_address",
    read_permission=ADDRESS_READ,
    write_permission=ADDRESS_WRITE,
    page_prefix="/registry/addresses",
    section="一标六实",
    scope=None,  # one city-wide reference: every reader sees it, writers need address.write
    columns=(
        Column("full_text", "标准地址"),
        Column("code", "地址编码"),
        Column("county.name", "区县"),
        Column("road", "街路巷"),
        Column("house_number", "门牌号"),
        Column("estate", "小区/院落", in_list=False),
        Column("building", "楼栋", in_list=False),
        Column("unit_no", "单元", in_list=False),
        Column("room", "房号", in_list=False),
        Column("town", "乡镇街道", in_list=False),
        Column("grid_unit.name", "警务网格"),
        Column("block", "街区", in_list=False),
        Column("lon", "经度", in_list=False),
        Column("lat", "纬度", in_list=False),
        Column("status", "状态"),
        Column("updated_at", "更新时间", in_list=False),
    ),
    filters=(
        Filter("county_code", label="区县", kind="exact", type=str, options=_county_filter_options),
        Filter("grid_unit_id", label="警务网格（含下级）", kind="unit"),
        Filter("status"),
    ),
    sortable=("code", "full_text", "road", "county_code", "status", "updated_at"),
    default_sort="-id",  # newest first: what was just collected is what one checks
    search=("full_text", "code", "estate"),
    unique=("code",),
    choices={"status": ADDRESS_STATUS_LABELS},
    options={"county_code": home_counties, "grid_unit_id": grid_units},
    import_converters={"county_code": county_by_name, "grid_unit_id": unit_by_code},
    hooks=StandardAddressRules(),
    title_field="full_text",
    eager=("county", "grid_unit"),
)


# --- divisions ----------------------------------------------------------------------------------


def home_city(db: Session) -> str:
    """The platform's own city: from the top org unit's code (130600 → 保定市), else 保定."""
    root = db.scalar(select(OrgUnit.code).where(OrgUnit.parent_id.is_(None)).order_by(OrgUnit.id))
    if root and len(root) >= 4 and root[:4].isdigit():
        candidate = root[:4] + "00"
        if db.get(AdminDivision, candidate) is not None:
            return candidate
    return DEFAULT_HOME_CITY


def list_divisions(
    db: Session,
    *,
    level: DivisionLevel | None,
    parent_code: str | None,
    q: str | None,
    offset: int,
    limit: int,
) -> DivisionPage:
    conditions: list[ColumnElement[bool]] = []
    if level is not None:
        conditions.append(AdminDivision.level == level)
    if parent_code:
        conditions.append(AdminDivision.parent_code == parent_code)
    if q:
        pattern = f"%{q}%"
        conditions.append(
            or_(
                AdminDivision.name.like(pattern, escape="\\"),
                AdminDivision.code.startswith(q, autoescape=True),
                AdminDivision.aliases.any(DivisionAlias.alias.like(pattern, escape="\\")),
            )
        )
    total = db.scalar(select(func.count()).select_from(AdminDivision).where(*conditions)) or 0
    rows = db.scalars(
        select(AdminDivision)
        .where(*conditions)
        .options(selectinload(AdminDivision.aliases))
        .order_by(AdminDivision.code)
        .offset(offset)
        .limit(limit)
    )
    return DivisionPage(
        items=[_division_out(d) for d in rows], total=total, offset=offset, limit=limit
    )


def get_division(db: Session, code: str) -> DivisionRead:
    division = db.get(AdminDivision, code)
    if division is None:
        raise NotFound("行政区划不存在", ["path", "code"])
    return _division_out(division)


def _division_out(division: AdminDivision) -> DivisionRead:
    return DivisionRead(
        code=division.code,
        name=division.name,
        short_name=division.short_name,
        level=division.level,
        parent_code=division.parent_code,
        lon=division.lon,
        lat=division.lat,
        aliases=[a.alias for a in division.aliases],
    )


# --- the matcher --------------------------------------------------------------------------------


@dataclass(frozen=True)
class _DivisionRow:
    code: str
    name: str
    level: DivisionLevel
    parent_code: str | None


@dataclass(frozen=True)
class _AliasRow:
    alias: str
    code: str
    kind: AliasKind


@dataclass(frozen=True)
class AddressRecord:
    id: int
    county_code: str
    road: str
    house_number: str | None
    estate: str | None
    building: str | None
    unit_no: str | None
    room: str | None
    full_text: str
    lon: float | None
    lat: float | None


@dataclass(frozen=True)
class LandmarkRecord:
    id: int
    name: str
    aliases: list[str]
    county_code: str | None
    address_id: int | None
    lon: float | None
    lat: float | None


_CACHE: dict[str, tuple[tuple[Any, ...], AddressMatcher]] = {}
_CACHE_LOCK = threading.Lock()
_CACHE_SIZE = 4


def _fingerprint(db: Session) -> tuple[Any, ...]:
    def stats(model: Any) -> tuple[Any, ...]:
        row = db.execute(select(func.count(), func.max(model.updated_at))).one()
        return tuple(row)

    aliases = db.execute(select(func.count(), func.max(DivisionAlias.id))).one()
    return (*stats(StandardAddress), *stats(Landmark), *tuple(aliases), home_city(db))


def _build(db: Session, home: str) -> AddressMatcher:
    division_rows: list[Any] = [
        _DivisionRow(code, name, level, parent)
        for code, name, level, parent in db.execute(
            select(
                AdminDivision.code,
                AdminDivision.name,
                AdminDivision.level,
                AdminDivision.parent_code,
            )
        )
    ]
    alias_rows: list[Any] = [
        _AliasRow(alias, code, kind)
        for alias, code, kind in db.execute(
            select(DivisionAlias.alias, DivisionAlias.division_code, DivisionAlias.kind)
        )
    ]
    if not division_rows:
        # A fresh database without the table loaded: match against the packaged table directly.
        division_rows = list(division_table.source_rows())
        alias_rows = [_AliasRow(a.alias, a.code, a.kind) for a in division_table.alias_rows()]
    addresses = [
        AddressRecord(*row)
        for row in db.execute(
            select(
                StandardAddress.id,
                StandardAddress.county_code,
                StandardAddress.road,
                StandardAddress.house_number,
                StandardAddress.estate,
                StandardAddress.building,
                StandardAddress.unit_no,
                StandardAddress.room,
                StandardAddress.full_text,
                StandardAddress.lon,
                StandardAddress.lat,
            ).where(StandardAddress.status == AddressStatus.active)
        )
    ]
    landmarks = [
        LandmarkRecord(
            m.id, m.name, list(m.aliases or []), m.county_code, m.address_id, m.lon, m.lat
        )
        for m in db.scalars(select(Landmark))
    ]
    return AddressMatcher(
        division_rows,
        alias_rows,
        addresses,
        landmarks,
        home_city=home,
        generic_names=division_table.GENERIC_NAMES,
    )


def matcher_for(db: Session) -> AddressMatcher:
    """The matcher of this database, rebuilt when its addresses or landmarks changed."""
    key = db.get_bind().engine.url.render_as_string(hide_password=True)
    fingerprint = _fingerprint(db)
    with _CACHE_LOCK:
        held = _CACHE.get(key)
        if held is not None and held[0] == fingerprint:
            return held[1]
        matcher = _build(db, str(fingerprint[-1]))
        _CACHE.pop(key, None)
        while len(_CACHE) >= _CACHE_SIZE:  # one per database; tests open many
            _CACHE.pop(next(iter(_CACHE)))
        _CACHE[key] = (fingerprint, matcher)
        return matcher


def candidate_out(candidate: Candidate) -> CandidateOut:
    return CandidateOut(
        kind=candidate.kind,
        score=candidate.score,
        text=candidate.text,
        address_id=candidate.address_id,
        landmark_id=candidate.landmark_id,
        province_code=candidate.province_code,
        city_code=candidate.city_code,
        county_code=candidate.county_code,
        lon=candidate.lon,
        lat=candidate.lat,
        relation=candidate.relation,
        explanation=candidate.explanation,
    )


def result_out(result: MatchResult) -> MatchOut:
    return MatchOut(
        text=result.text,
        normalized=result.normalized,
        best=candidate_out(result.best) if result.best is not None else None,
        ambiguous=[candidate_out(c) for c in result.ambiguous],
        candidates=[candidate_out(c) for c in result.candidates],
        parts=PartsOut(
            number=result.parts.number,
            building=result.parts.building,
            unit=result.parts.unit,
            room=result.parts.room,
        ),
        notes=result.notes,
    )


def match_address(db: Session, principal: Principal, text: str, city_code: str | None) -> MatchOut:
    try:
        result = matcher_for(db).match(text, home_city=city_code)
    except AddressInputError as exc:
        raise Invalid(str(exc), ["body", "text"]) from exc
    return result_out(result)


def match_batch(
    db: Session, principal: Principal, texts: Sequence[str], city_code: str | None
) -> BatchOut:
    """Every record matched on its own: a bad one is reported in its place, the rest go on."""
    matcher = matcher_for(db)
    started = time.perf_counter()
    results = matcher.match_many(texts, home_city=city_code)
    elapsed = time.perf_counter() - started
    items = []
    for index, result in enumerate(results):
        if isinstance(result, AddressInputError):
            items.append(BatchItemOut(index=index, text=texts[index], ok=False, error=str(result)))
        else:
            items.append(
                BatchItemOut(index=index, text=texts[index], ok=True, result=result_out(result))
            )
    matched = sum(1 for r in results if isinstance(r, MatchResult) and r.best is not None)
    ambiguous = sum(1 for r in results if isinstance(r, MatchResult) and r.ambiguous)
    failed = sum(1 for r in results if isinstance(r, AddressInputError))
    return BatchOut(
        total=len(texts),
        matched=matched,
        ambiguous=ambiguous,
        failed=failed,
        per_second=round(len(texts) / elapsed, 1) if elapsed > 0 else 0.0,
        items=items,
    )


# --- seeding ------------------------------------------------------------------------------------


AddressRow = dict[str, Any]


def bulk_insert_addresses(
    db: Session, rows: Sequence[AddressRow], batch: int = 5000
) -> dict[str, int]:
    """Insert standard addresses without the ORM (city loads, samples). Rows: code, county_code,
    road, full_text, and optionally town, house_number, estate, building, unit_no, room,
    grid_unit_id, block, lon, lat. Province and city codes derive from the county code.
    Returns `{code: id}` of the inserted rows."""
    now = utcnow()
    optional = ("town", "house_number", "estate", "building", "unit_no", "room", "grid_unit_id")
    for start in range(0, len(rows), batch):
        db.execute(
            insert(StandardAddress),
            [
                {
                    **{key: row.get(key) for key in (*optional, "block", "lon", "lat")},
                    "code": row["code"],
                    "province_code": row["county_code"][:2] + "0000",
                    "city_code": row["county_code"][:4] + "00",
                    "county_code": row["county_code"],
                    "road": row["road"],
                    "full_text": row["full_text"],
                    "status": AddressStatus.active,
                    "created_at": now,
                    "updated_at": now,
                }
                for row in rows[start : start + batch]
            ],
        )
    codes = [row["code"] for row in rows]
    found: dict[str, int] = {}
    for start in range(0, len(codes), batch):
        part = codes[start : start + batch]
        query = select(StandardAddress.code, StandardAddress.id).where(
            StandardAddress.code.in_(part)
        )
        found.update({code: id_ for code, id_ in db.execute(query)})
    return found


def bulk_insert_landmarks(db: Session, rows: Sequence[dict[str, Any]]) -> int:
    """Rows: name, and optionally aliases, county_code, address_id, lon, lat."""
    if rows:
        now = utcnow()
        db.execute(
            insert(Landmark),
            [
                {
                    "name": row["name"],
                    "aliases": row.get("aliases") or [],
                    "county_code": row.get("county_code"),
                    "address_id": row.get("address_id"),
                    "lon": row.get("lon"),
                    "lat": row.get("lat"),
                    "created_at": now,
                    "updated_at": now,
                }
                for row in rows
            ],
        )
    return len(rows)


def addresses_present(db: Session) -> bool:
    return bool(db.scalar(select(func.count()).select_from(StandardAddress)))


def load_sample_addresses(db: Session, *, small: bool = False, seed: int = 20261124) -> int:
    """The self-made 保定 address set and its landmarks, when the registry is still empty
    (`small`: a few door plates per road, no estates: the tests' set when no city is loaded)."""
    if addresses_present(db):
        return 0
    city = (
        sample_city(seed, doorplates_per_road=(2, 4), estate_share=0.0)
        if small
        else sample_city(seed)
    )
    fields = (
        *("code", "county_code", "road", "house_number", "estate", "building", "unit_no"),
        *("room", "full_text", "lon", "lat"),
    )
    ids = bulk_insert_addresses(
        db, [{key: getattr(a, key) for key in fields} for a in city.addresses]
    )
    by_sample = {a.id: ids[a.code] for a in city.addresses}
    bulk_insert_landmarks(
        db,
        [
            {
                "name": m.name,
                "aliases": m.aliases,
                "county_code": m.county_code,
                "address_id": by_sample.get(m.address_id) if m.address_id else None,
                "lon": m.lon,
                "lat": m.lat,
            }
            for m in city.landmarks
        ],
    )
    db.flush()
    return len(city.addresses)


def seed_addresses(db: Session) -> None:
    """Demo seeder: the division table, then the 保定 sample addresses unless the simulated city
    already brought its own (one address source: the registries point at those)."""
    if not division_table.divisions_loaded(db):
        division_table.load_divisions(db)
    load_sample_addresses(db, small=True)
