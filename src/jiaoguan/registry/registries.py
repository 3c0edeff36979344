"""The six registries declared with the generic machinery (platform/crud), and their own rules.

Every registry is scoped by `unit_id` (the responsible grid / police district and its parents see
it), searchable, filterable by status / class / tags / grid, importable and exportable. Records a
registry points at (a vehicle's company, a segment's road, a facility's segment) must be visible to
the principal too; the standard address must exist.
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import ColumnElement, String, cast, select
from sqlalchemy.orm import Session

from jiaoguan.platform.auth.permissions import REGISTRY_READ, REGISTRY_WRITE
from jiaoguan.platform.auth.service import Principal, in_scope
from jiaoguan.platform.crud import Column, Filter, Hooks, Registry, unit_by_code, units_in_scope
from jiaoguan.platform.db import Base
from jiaoguan.platform.errors import Conflict, Invalid
from jiaoguan.registry import schemas as s
from jiaoguan.registry.models import (
    COMPANY_KIND_LABELS,
    DRIVER_STATUS_LABELS,
    FACILITY_KIND_LABELS,
    FACILITY_STATUS_LABELS,
    HOUSE_KIND_LABELS,
    KEY_VEHICLE_USES,
    PLATE_COLOR_LABELS,
    RISK_TIER_LABELS,
    ROAD_GRADE_LABELS,
    ROAD_ORDER_LABELS,
    SEX_LABELS,
    VEHICLE_STATUS_LABELS,
    VEHICLE_USE_LABELS,
    Company,
    Driver,
    Facility,
    House,
    PlacedMixin,
    PlateColor,
    Road,
    RoadSegment,
    Vehicle,
    VehicleUse,
)
from jiaoguan.registry.queries import company_roster
from jiaoguan.registry.validators import CLASS_COLOURS, CheckError, check_id_number, check_plate

SECTION = "一标六实"
BEIJING = ZoneInfo("Asia/Shanghai")
STANDARD_ADDRESS = "standard_address"


# --- shared rules ------------------------------------------------------------------------------------


def tag_filter(model: type[PlacedMixin]) -> Any:
    """Records carrying a tag: a text match on the JSON list (codes are ASCII words, quoted)."""

    def where(code: str) -> ColumnElement[bool]:
        return cast(model.tags, String).contains(f'"{code}"', autoescape=True)

    return where


def visible(
    db: Session, principal: Principal, model: type[Any], item_id: int | None, field: str, label: str
) -> Any:
    """The referenced record when it exists within the principal's scope; 422 on `field` otherwise."""
    if item_id is None:
        return None
    found = db.scalar(select(model).where(model.id == item_id, in_scope(principal, model.unit_id)))
    if found is None:
        raise Invalid(f"{label}不存在或不在数据权限范围内", [field])
    return found


def check_address(db: Session, address_id: int | None) -> None:
    if address_id is None:
        return
    table = Base.metadata.tables.get(STANDARD_ADDRESS)
    if table is None or db.scalar(select(table.c.id).where(table.c.id == address_id)) is None:
        raise Invalid("标准地址不存在", ["address_id"])


def _plain_tags(values: dict[str, Any]) -> dict[str, Any]:
    if values.get("tags") is not None:
        values["tags"] = sorted({str(tag) for tag in values["tags"]})
    return values


class PlacedRules(Hooks[Any, Any, Any]):
    """Address check and plain tag codes, for every registry; references checked by subclasses."""

    references: tuple[tuple[str, type[Any], str], ...] = ()

    def _check(self, db: Session, principal: Principal, values: dict[str, Any]) -> None:
        if "address_id" in values:
            check_address(db, values["address_id"])
        for field, model, label in self.references:
            if field in values:
                visible(db, principal, model, values[field], field, label)

    def before_create(self, db: Session, principal: Principal, data: Any) -> None:
        self._check(db, principal, data.model_dump())

    def values(self, db: Session, principal: Principal, data: Any) -> dict[str, Any]:
        return _plain_tags(data.model_dump())

    def before_update(
        self, db: Session, principal: Principal, obj: Any, changes: dict[str, Any]
    ) -> None:
        self._check(db, principal, changes)

    def apply(self, db: Session, principal: Principal, obj: Any, changes: dict[str, Any]) -> None:
        super().apply(db, principal, obj, _plain_tags(dict(changes)))


def _placement(*columns: Column) -> tuple[Column, ...]:
    return (
        *columns,
        Column("unit.name", "责任网格/单位"),
        Column("tags", "标签", format=_tag_labels),
        Column("address_id", "标准地址编号", in_list=False),
        Column("lon", "经度", in_list=False),
        Column("lat", "纬度", in_list=False),
        Column("updated_at", "更新时间", in_list=False),
    )


def _tag_labels(value: Any) -> str:
    return "、".join(s.TAG_LABELS.get(tag, str(tag)) for tag in value or [])


def _filters(model: type[PlacedMixin], tags: Any, *more: Filter) -> tuple[Filter, ...]:
    return (
        *more,
        Filter("unit_id", label="责任网格/单位（含下级）", kind="unit"),
        Filter("tags", label="标签", type=str, where=tag_filter(model), param="tag"),
    )


def _placed_registry(
    model: type[Any],
    label: str,
    slug: str,
    *,
    tags: Any,
    columns: tuple[Column, ...],
    filters: tuple[Filter, ...],
    choices: dict[str, dict[Any, str]] | None = None,
    options: dict[str, Any] | None = None,
    import_converters: dict[str, Any] | None = None,
    hooks: Hooks[Any, Any, Any] | None = None,
    eager: tuple[str, ...] = ("unit",),
    **specific: Any,
) -> Registry[Any, Any, Any, Any]:
    """One of the six registries: schemas by naming convention, scoped to the responsible unit,
    placed on an address and in a grid, tagged; only what differs is declared per registry."""
    name = model.__name__
    return Registry(
        model=model,
        create_schema=getattr(s, f"{name}Create"),
        update_schema=getattr(s, f"{name}Update"),
        read_schema=getattr(s, f"{name}Read"),
        label=label,
        slug=f"registry/{slug}",
        resource=model.__tablename__,
        read_permission=REGISTRY_READ,
        write_permission=REGISTRY_WRITE,
        page_prefix=f"/registry/{slug}",
        section=SECTION,
        scope="unit_id",
        columns=_placement(*columns),
        filters=_filters(model, tags, *filters),
        choices={**(choices or {}), "tags": s.tag_choices(tags)},
        options={"unit_id": units_in_scope, **(options or {})},
        import_converters={"unit_id": unit_by_code, **(import_converters or {})},
        hooks=hooks or PlacedRules(),
        eager=eager,
        **specific,
    )


# --- lookups for forms and imports ----------------------------------------------------------------


def _scoped_options(model: type[Any], label_of: Any) -> Any:
    def options(db: Session, principal: Principal) -> list[tuple[Any, str]]:
        stmt = select(model).where(in_scope(principal, model.unit_id)).order_by(model.name)
        return [(row.id, label_of(row)) for row in db.scalars(stmt.limit(1000))]

    return options


company_options = _scoped_options(Company, lambda c: f"{c.name}（{c.credit_code}）")
road_options = _scoped_options(Road, lambda r: r.name)
segment_options = _scoped_options(RoadSegment, lambda r: f"{r.road.name} {r.name}")


def company_by_code(db: Session, principal: Principal, text: Any) -> int:
    """Import converter: a company by credit code (or exact name), in scope."""
    value = str(text).strip().upper()
    stmt = select(Company).where(in_scope(principal, Company.unit_id))
    found = db.scalar(stmt.where(Company.credit_code == value))
    if found is None:
        named = list(db.scalars(stmt.where(Company.name == str(text).strip()).limit(2)))
        found = named[0] if len(named) == 1 else None
    if found is None:
        raise Invalid(f"单位“{text}”不存在或不在数据权限范围内")
    return found.id


def _by_name_or_id(model: type[Any], label: str) -> Any:
    def convert(db: Session, principal: Principal, text: Any) -> int:
        value = str(text).strip()
        stmt = select(model).where(in_scope(principal, model.unit_id))
        if value.isdigit():
            found = db.scalar(stmt.where(model.id == int(value)))
            if found is not None:
                return int(found.id)
        named = list(db.scalars(stmt.where(model.name == value).limit(2)))
        if len(named) != 1:
            raise Invalid(f"{label}“{value}”不存在、不唯一或不在数据权限范围内")
        return int(named[0].id)

    return convert


# --- drivers ----------------------------------------------------------------------------------------


class DriverRules(PlacedRules):
    references = (("company_id", Company, "所属单位"),)

    def values(self, db: Session, principal: Principal, data: Any) -> dict[str, Any]:
        values = super().values(db, principal, data)
        # Sex and birth date are what the id number says, never typed separately.
        parsed = check_id_number(values["id_number"])
        values["birth_date"] = parsed.birth_date
        values["sex"] = parsed.sex
        return values


DRIVERS: Registry[Driver, Any, Any, Any] = _placed_registry(
    Driver,
    "实有驾驶人",
    "drivers",
    tags=s.DriverTag,
    columns=(
        Column("name", "姓名"),
        Column("id_number_masked", "身份证号（脱敏）"),
        Column("sex", "性别"),
        Column("licence_class", "准驾车型"),
        Column("status", "状态"),
        Column("points", "记分"),
        Column("licence_no", "档案编号", in_list=False),
        Column("first_issued_on", "初次领证", in_list=False),
        Column("audit_due_on", "审验有效期止"),
        Column("expires_on", "有效期止", in_list=False),
    ),
    filters=(
        Filter("status"),
        Filter("audit_due_on"),
    ),
    choices={
        "status": DRIVER_STATUS_LABELS,
        "sex": SEX_LABELS,
    },
    options={"company_id": company_options},
    import_converters={"company_id": company_by_code},
    hooks=DriverRules(),
    sortable=("name", "licence_class", "points", "audit_due_on", "expires_on", "updated_at"),
    default_sort="-updated_at",
    search=("name", "id_number", "licence_no"),
    unique=("id_number",),
    templates={"detail": "registry/driver_detail.html"},
)


# --- companies ---------------------------------------------------------------------------------------


def company_detail(db: Session, principal: Principal, company: Company) -> dict[str, Any]:
    """The company page lists its vehicles and drivers (transport companies above all)."""
    today = dt.datetime.now(BEIJING).date()
    return {
        "roster": company_roster(db, principal, company, today),
        "today": today,
        "use_labels": VEHICLE_USE_LABELS,
        "vehicle_status_labels": VEHICLE_STATUS_LABELS,
        "driver_status_labels": DRIVER_STATUS_LABELS,
    }


COMPANIES: Registry[Company, Any, Any, Any] = _placed_registry(
    Company,
    "实有单位",
    "companies",
    tags=s.PlaceTag,
    columns=(
        Column("name", "单位名称"),
        Column("credit_code", "统一社会信用代码"),
        Column("kind", "单位类别"),
        Column("risk_tier", "风险等级"),
        Column("legal_representative", "法定代表人", in_list=False),
        Column("phone", "联系电话", in_list=False),
        Column("address_text", "登记地址", in_list=False),
    ),
    filters=(
        Filter("kind"),
        Filter("risk_tier"),
    ),
    choices={
        "kind": COMPANY_KIND_LABELS,
        "risk_tier": RISK_TIER_LABELS,
    },
    sortable=("name", "credit_code", "kind", "risk_tier", "updated_at"),
    default_sort="name",
    search=("name", "credit_code", "legal_representative"),
    unique=("credit_code",),
    templates={"detail": "registry/company_detail.html"},
    detail_context=company_detail,
)


# --- vehicles ----------------------------------------------------------------------------------------


def _owner_is_person(owner_id: str) -> bool:
    try:
        check_id_number(owner_id)
    except CheckError:
        return False
    return True


class VehicleRules(PlacedRules):
    references = (("company_id", Company, "所属企业"),)

    def before_create(self, db: Session, principal: Principal, data: Any) -> None:
        super().before_create(db, principal, data)
        try:
            check_plate(data.plate_no, data.plate_class)
        except CheckError as exc:
            raise Invalid(str(exc), ["plate_no"]) from None
        taken = select(Vehicle.id).where(
            Vehicle.plate_no == data.plate_no, Vehicle.plate_class == data.plate_class
        )
        if db.scalar(taken.limit(1)) is not None:
            kind = s.PLATE_CLASS_LABELS[data.plate_class]
            raise Conflict(f"号牌“{data.plate_no}”（{kind}）已存在", ["plate_no"])

    def values(self, db: Session, principal: Principal, data: Any) -> dict[str, Any]:
        values = super().values(db, principal, data)
        if values.get("plate_color") is None:
            values["plate_color"] = PlateColor(CLASS_COLOURS.get(values["plate_class"], "OTHER"))
        values["owner_is_person"] = _owner_is_person(values["owner_id_number"])
        # Derived flags: a coach / tourist / hazmat vehicle is 两客一危 whatever the form said.
        values["key_vehicle"] = bool(values.get("key_vehicle")) or values["use"] in KEY_VEHICLE_USES
        values["muck_truck"] = bool(values.get("muck_truck")) or values["use"] == VehicleUse.muck
        return values


VEHICLES: Registry[Vehicle, Any, Any, Any] = _placed_registry(
    Vehicle,
    "实有机动车",
    "vehicles",
    tags=s.VehicleTag,
    columns=(
        Column("plate_no", "号牌号码"),
        Column("plate_class", "号牌种类"),
        Column("plate_color", "号牌颜色", in_list=False),
        Column("vehicle_class", "车辆类型"),
        Column("brand", "品牌"),
        Column("model", "型号", in_list=False),
        Column("body_color", "车身颜色", in_list=False),
        Column("vin", "车辆识别代号", in_list=False),
        Column("owner_name_masked", "所有人（脱敏）"),
        Column("use", "使用性质"),
        Column("status", "状态"),
        Column("registered_on", "初次登记", in_list=False),
        Column("inspection_due_on", "检验有效期止"),
        Column("scrapping_due_on", "强制报废期止", in_list=False),
        Column("company.name", "所属企业", in_list=False),
        Column("key_vehicle", "两客一危", in_list=False),
        Column("muck_truck", "渣土车", in_list=False),
    ),
    filters=(
        Filter("status"),
        Filter("use"),
        Filter("plate_class", type=str),
        Filter("key_vehicle", label="两客一危"),
        Filter("muck_truck", label="渣土车"),
        Filter("inspection_due_on"),
    ),
    choices={
        "plate_class": s.PLATE_CLASS_LABELS,
        "plate_color": PLATE_COLOR_LABELS,
        "use": VEHICLE_USE_LABELS,
        "status": VEHICLE_STATUS_LABELS,
    },
    options={"company_id": company_options},
    import_converters={"company_id": company_by_code},
    hooks=VehicleRules(),
    eager=("unit", "company"),
    sortable=("plate_no", "vehicle_class", "inspection_due_on", "scrapping_due_on", "updated_at"),
    default_sort="-updated_at",
    search=("plate_no", "vin", "owner_name", "owner_id_number"),
    title_field="plate_no",
    templates={"detail": "registry/vehicle_detail.html"},
)


# --- houses ------------------------------------------------------------------------------------------

HOUSES: Registry[House, Any, Any, Any] = _placed_registry(
    House,
    "实有房屋",
    "houses",
    tags=s.PlaceTag,
    columns=(
        Column("name", "房屋名称"),
        Column("kind", "用途"),
        Column("address_text", "地址"),
        Column("floors", "层数", in_list=False),
        Column("households", "户数"),
        Column("residents", "居住人数", in_list=False),
        Column("parking_spaces", "停车位", in_list=False),
    ),
    filters=(Filter("kind"),),
    choices={
        "kind": HOUSE_KIND_LABELS,
    },
    sortable=("name", "kind", "households", "updated_at"),
    default_sort="name",
    search=("name", "address_text"),
)


# --- roads and segments ----------------------------------------------------------------------------

ROADS: Registry[Road, Any, Any, Any] = _placed_registry(
    Road,
    "实有道路",
    "roads",
    tags=s.PlaceTag,
    columns=(
        Column("name", "道路名称"),
        Column("code", "道路编号"),
        Column("grade", "道路等级"),
        Column("road_order", "秩序等级"),
        Column("length_km", "长度（千米）"),
        Column("lanes", "车道数", in_list=False),
    ),
    filters=(
        Filter("grade"),
        Filter("road_order"),
    ),
    choices={
        "grade": ROAD_GRADE_LABELS,
        "road_order": ROAD_ORDER_LABELS,
    },
    sortable=("name", "grade", "road_order", "length_km", "updated_at"),
    default_sort="name",
    search=("name", "code"),
)


def _geometry_values(values: dict[str, Any]) -> dict[str, Any]:
    if isinstance(values.get("geometry"), str):
        values["geometry"] = json.loads(values["geometry"])
    return values


class SegmentRules(PlacedRules):
    references = (("road_id", Road, "道路"),)

    def values(self, db: Session, principal: Principal, data: Any) -> dict[str, Any]:
        return _geometry_values(super().values(db, principal, data))

    def apply(self, db: Session, principal: Principal, obj: Any, changes: dict[str, Any]) -> None:
        super().apply(db, principal, obj, _geometry_values(dict(changes)))


ROAD_SEGMENTS: Registry[RoadSegment, Any, Any, Any] = _placed_registry(
    RoadSegment,
    "道路路段",
    "road-segments",
    tags=s.PlaceTag,
    columns=(
        Column("name", "路段名称"),
        Column("road.name", "所属道路"),
        Column("from_desc", "起点"),
        Column("to_desc", "止点"),
        Column("length_m", "长度（米）", in_list=False),
        Column("hazard", "隐患点"),
        Column("accident_prone", "事故多发"),
    ),
    filters=(
        Filter("road_id", label="所属道路", type=int, options=road_options),
        Filter("hazard", label="隐患点"),
        Filter("accident_prone", label="事故多发"),
    ),
    options={"road_id": road_options},
    import_converters={"road_id": _by_name_or_id(Road, "道路")},
    hooks=SegmentRules(),
    eager=("unit", "road"),
    sortable=("name", "length_m", "updated_at"),
    default_sort="name",
    search=("name", "from_desc", "to_desc"),
)


# --- facilities --------------------------------------------------------------------------------------


class FacilityRules(PlacedRules):
    references = (("road_segment_id", RoadSegment, "路段"),)


FACILITIES: Registry[Facility, Any, Any, Any] = _placed_registry(
    Facility,
    "实有交通设施",
    "facilities",
    tags=s.PlaceTag,
    columns=(
        Column("name", "设施名称"),
        Column("kind", "设施类别"),
        Column("status", "状态"),
        Column("road_segment.name", "所在路段"),
        Column("installed_on", "设置日期", in_list=False),
    ),
    filters=(
        Filter("kind"),
        Filter("status"),
    ),
    choices={
        "kind": FACILITY_KIND_LABELS,
        "status": FACILITY_STATUS_LABELS,
    },
    options={"road_segment_id": segment_options},
    import_converters={
        "road_segment_id": _by_name_or_id(RoadSegment, "路段"),
    },
    hooks=FacilityRules(),
    eager=("unit", "road_segment"),
    sortable=("name", "kind", "status", "installed_on", "updated_at"),
    default_sort="name",
    search=("name",),
)

# Every registry of the module, in navigation order.
ALL_REGISTRIES: tuple[Registry[Any, Any, Any, Any], ...] = (
    DRIVERS,
    VEHICLES,
    COMPANIES,
    HOUSES,
    ROADS,
    ROAD_SEGMENTS,
    FACILITIES,
)
