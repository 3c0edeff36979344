"""The six registries (一标六实): drivers, vehicles, companies, houses, roads and segments, facilities.

Every record is placed on a standard address (`address_id`, nullable until matched) and in the
grid / police district responsible for it (`unit_id`: data scope by org subtree), with WGS-84
coordinates for the map.

Tags are a JSON list of codes on the record rather than a separate table: an entity carries a few
of them, they are read with the record, edited in the same form and import row, and filtered with
a text match on the list (see `tag_filter`). A table with provenance per tag can replace this when
the tagging module needs history; the codes stay the same.
"""

from __future__ import annotations

import datetime as dt
import enum
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    Enum,
    Float,
    ForeignKey,
    Integer,
    SmallInteger,
    String,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, declared_attr, mapped_column, relationship

from jiaoguan.platform.auth.models import OrgUnit
from jiaoguan.platform.db import Base, TimestampMixin


def mask_code(code: str) -> str:
    """An id number as lists show it: region and last four kept (130602********123X)."""
    return (
        code[:6] + "*" * max(len(code) - 10, 0) + code[-4:] if len(code) > 10 else "*" * len(code)
    )


def mask_name(name: str) -> str:
    """A person's name as lists of vehicles show their owner: the surname only (张*)."""
    return name[:1] + "*" * (len(name) - 1)


def _enum(kind: type[enum.Enum], length: int = 24) -> Enum:
    return Enum(kind, native_enum=False, length=length)


class PlacedMixin(TimestampMixin):
    """Standard address, responsible grid / police district, and map position of a record."""

    unit_id: Mapped[int] = mapped_column(ForeignKey("org_unit.id"), index=True)
    # The standard-address table (migration 0006) comes from the address module.
    address_id: Mapped[int | None] = mapped_column(
        ForeignKey("standard_address.id", ondelete="SET NULL"), index=True
    )
    lon: Mapped[float | None] = mapped_column(Float)
    lat: Mapped[float | None] = mapped_column(Float)
    tags: Mapped[list[str]] = mapped_column(JSON, default=list)

    @declared_attr
    def unit(cls) -> Mapped[OrgUnit]:
        return relationship(OrgUnit)


# --- drivers ----------------------------------------------------------------------------------------


class Sex(enum.StrEnum):
    male = "male"
    female = "female"


SEX_LABELS = {Sex.male: "男", Sex.female: "女"}


class DriverStatus(enum.StrEnum):
    normal = "normal"
    over_points = "over_points"
    audit_overdue = "audit_overdue"
    renewal_overdue = "renewal_overdue"
    suspended = "suspended"
    revoked = "revoked"
    cancelled = "cancelled"


DRIVER_STATUS_LABELS = {
    DriverStatus.normal: "正常",
    DriverStatus.over_points: "超分",
    DriverStatus.audit_overdue: "逾期未审验",
    DriverStatus.renewal_overdue: "逾期未换证",
    DriverStatus.suspended: "暂扣",
    DriverStatus.revoked: "吊销",
    DriverStatus.cancelled: "注销",
}


class Driver(PlacedMixin, Base):
    """实有驾驶人, keyed by the GB 11643 id number (personal data: read with a reason)."""

    __tablename__ = "driver"

    id: Mapped[int] = mapped_column(primary_key=True)
    id_number: Mapped[str] = mapped_column(String(18), unique=True)
    name: Mapped[str] = mapped_column(String(50), index=True)
    sex: Mapped[Sex] = mapped_column(_enum(Sex, 8))
    birth_date: Mapped[dt.date]
    licence_no: Mapped[str | None] = mapped_column(String(32))
    licence_class: Mapped[str] = mapped_column(String(16), index=True)
    status: Mapped[DriverStatus] = mapped_column(_enum(DriverStatus), index=True)
    points: Mapped[int] = mapped_column(SmallInteger, default=0)
    first_issued_on: Mapped[dt.date | None]
    audit_due_on: Mapped[dt.date | None] = mapped_column(index=True)
    expires_on: Mapped[dt.date | None] = mapped_column(index=True)
    phone: Mapped[str | None] = mapped_column(String(20))
    company_id: Mapped[int | None] = mapped_column(ForeignKey("company.id"), index=True)

    @property
    def id_number_masked(self) -> str:
        return mask_code(self.id_number)


# --- companies ---------------------------------------------------------------------------------------


class CompanyKind(enum.StrEnum):
    passenger_transport = "passenger_transport"
    freight_transport = "freight_transport"
    hazmat_transport = "hazmat_transport"
    bus = "bus"
    taxi = "taxi"
    muck_transport = "muck_transport"
    driving_school = "driving_school"
    construction = "construction"
    school = "school"
    other = "other"


COMPANY_KIND_LABELS = {
    CompanyKind.passenger_transport: "客运企业",
    CompanyKind.freight_transport: "货运企业",
    CompanyKind.hazmat_transport: "危险货物运输企业",
    CompanyKind.bus: "公交企业",
    CompanyKind.taxi: "出租汽车企业",
    CompanyKind.muck_transport: "渣土运输企业",
    CompanyKind.driving_school: "驾驶人培训机构",
    CompanyKind.construction: "建筑施工单位",
    CompanyKind.school: "学校",
    CompanyKind.other: "其他单位",
}
TRANSPORT_KINDS = frozenset(
    {
        CompanyKind.passenger_transport,
        CompanyKind.freight_transport,
        CompanyKind.hazmat_transport,
        CompanyKind.bus,
        CompanyKind.taxi,
        CompanyKind.muck_transport,
    }
)


class RiskTier(enum.StrEnum):
    key = "key"
    watch = "watch"
    general = "general"


RISK_TIER_LABELS = {RiskTier.key: "重点", RiskTier.watch: "关注", RiskTier.general: "一般"}


class Company(PlacedMixin, Base):
    """实有单位, keyed by the GB 32100 unified social credit code."""

    __tablename__ = "company"

    id: Mapped[int] = mapped_column(primary_key=True)
    credit_code: Mapped[str] = mapped_column(String(18), unique=True)
    name: Mapped[str] = mapped_column(String(200), index=True)
    kind: Mapped[CompanyKind] = mapped_column(_enum(CompanyKind), index=True)
    legal_representative: Mapped[str | None] = mapped_column(String(50))
    phone: Mapped[str | None] = mapped_column(String(20))
    risk_tier: Mapped[RiskTier] = mapped_column(_enum(RiskTier, 16), index=True)
    address_text: Mapped[str | None] = mapped_column(String(200))

    @property
    def is_transport(self) -> bool:
        return self.kind in TRANSPORT_KINDS


# --- vehicles ----------------------------------------------------------------------------------------


class PlateColor(enum.StrEnum):
    """Canonical plate colours (standards.md §1.13)."""

    BLUE = "BLUE"
    YELLOW = "YELLOW"
    BLACK = "BLACK"
    WHITE = "WHITE"
    GREEN = "GREEN"
    YELLOW_GREEN = "YELLOW_GREEN"
    OTHER = "OTHER"


PLATE_COLOR_LABELS = {
    PlateColor.BLUE: "蓝",
    PlateColor.YELLOW: "黄",
    PlateColor.BLACK: "黑",
    PlateColor.WHITE: "白",
    PlateColor.GREEN: "绿（渐变绿）",
    PlateColor.YELLOW_GREEN: "黄绿",
    PlateColor.OTHER: "其他",
}


class VehicleUse(enum.StrEnum):
    private = "private"
    commercial = "commercial"
    bus = "bus"
    taxi = "taxi"
    coach = "coach"
    tourist = "tourist"
    hazmat = "hazmat"
    freight = "freight"
    muck = "muck"
    school_bus = "school_bus"
    training = "training"
    police = "police"
    other = "other"


VEHICLE_USE_LABELS = {
    VehicleUse.private: "非营运",
    VehicleUse.commercial: "营运",
    VehicleUse.bus: "公交客运",
    VehicleUse.taxi: "出租客运",
    VehicleUse.coach: "公路客运",
    VehicleUse.tourist: "旅游客运",
    VehicleUse.hazmat: "危化品运输",
    VehicleUse.freight: "货运",
    VehicleUse.muck: "渣土运输",
    VehicleUse.school_bus: "校车",
    VehicleUse.training: "教练",
    VehicleUse.police: "警用",
    VehicleUse.other: "其他",
}
# 两客一危: long-distance coaches, tourist coaches and hazardous-goods vehicles.
KEY_VEHICLE_USES = frozenset({VehicleUse.coach, VehicleUse.tourist, VehicleUse.hazmat})


class VehicleStatus(enum.StrEnum):
    normal = "normal"
    inspection_overdue = "inspection_overdue"
    scrapping_overdue = "scrapping_overdue"
    stolen = "stolen"
    seized = "seized"
    scrapped = "scrapped"
    cancelled = "cancelled"


VEHICLE_STATUS_LABELS = {
    VehicleStatus.normal: "正常",
    VehicleStatus.inspection_overdue: "逾期未检验",
    VehicleStatus.scrapping_overdue: "逾期未报废",
    VehicleStatus.stolen: "被盗抢",
    VehicleStatus.seized: "查封",
    VehicleStatus.scrapped: "已报废",
    VehicleStatus.cancelled: "注销",
}
# Off the road for good: never "overdue".
RETIRED_VEHICLE = frozenset({VehicleStatus.scrapped, VehicleStatus.cancelled})


class Vehicle(PlacedMixin, Base):
    """实有机动车: plate (GA 36) and class identify it; the owner is personal data."""

    __tablename__ = "vehicle"
    __table_args__ = (UniqueConstraint("plate_no", "plate_class"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    plate_no: Mapped[str] = mapped_column(String(16), index=True)
    plate_class: Mapped[str] = mapped_column(String(2))
    plate_color: Mapped[PlateColor] = mapped_column(_enum(PlateColor, 16))
    vehicle_class: Mapped[str] = mapped_column(String(3), index=True)
    brand: Mapped[str | None] = mapped_column(String(50))
    model: Mapped[str | None] = mapped_column(String(50))
    body_color: Mapped[str | None] = mapped_column(String(20))
    vin: Mapped[str | None] = mapped_column(String(17), index=True)
    owner_name: Mapped[str] = mapped_column(String(200))
    # A person's id number or a company's credit code (which one: owner_is_person).
    owner_id_number: Mapped[str] = mapped_column(String(18), index=True)
    owner_is_person: Mapped[bool] = mapped_column(Boolean, default=True)
    use: Mapped[VehicleUse] = mapped_column(_enum(VehicleUse), index=True)
    registered_on: Mapped[dt.date | None]
    inspection_due_on: Mapped[dt.date | None] = mapped_column(index=True)
    scrapping_due_on: Mapped[dt.date | None] = mapped_column(index=True)
    status: Mapped[VehicleStatus] = mapped_column(_enum(VehicleStatus), index=True)
    company_id: Mapped[int | None] = mapped_column(ForeignKey("company.id"), index=True)
    key_vehicle: Mapped[bool] = mapped_column(Boolean, default=False, index=True)
    muck_truck: Mapped[bool] = mapped_column(Boolean, default=False, index=True)

    company: Mapped[Company | None] = relationship(Company)

    @property
    def owner_name_masked(self) -> str:
        return mask_name(self.owner_name) if self.owner_is_person else self.owner_name

    @property
    def owner_id_masked(self) -> str:
        return mask_code(self.owner_id_number) if self.owner_is_person else self.owner_id_number


# --- houses ------------------------------------------------------------------------------------------


class HouseKind(enum.StrEnum):
    residential = "residential"
    commercial = "commercial"
    office = "office"
    industrial = "industrial"
    school = "school"
    hospital = "hospital"
    public = "public"
    other = "other"


HOUSE_KIND_LABELS = {
    HouseKind.residential: "住宅",
    HouseKind.commercial: "商业",
    HouseKind.office: "办公",
    HouseKind.industrial: "厂房仓储",
    HouseKind.school: "学校",
    HouseKind.hospital: "医院",
    HouseKind.public: "公共场所",
    HouseKind.other: "其他",
}


class House(PlacedMixin, Base):
    """实有房屋: a building or compound at a standard address."""

    __tablename__ = "house"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200), index=True)
    kind: Mapped[HouseKind] = mapped_column(_enum(HouseKind, 16), index=True)
    address_text: Mapped[str | None] = mapped_column(String(200))
    floors: Mapped[int | None] = mapped_column(Integer)
    households: Mapped[int | None] = mapped_column(Integer)
    residents: Mapped[int | None] = mapped_column(Integer)
    parking_spaces: Mapped[int | None] = mapped_column(Integer)


# --- roads -------------------------------------------------------------------------------------------


class RoadGrade(enum.StrEnum):
    expressway = "expressway"
    national = "national"
    provincial = "provincial"
    county = "county"
    township = "township"
    urban_expressway = "urban_expressway"
    arterial = "arterial"
    secondary = "secondary"
    branch = "branch"
    other = "other"


ROAD_GRADE_LABELS = {
    RoadGrade.expressway: "高速公路",
    RoadGrade.national: "国道",
    RoadGrade.provincial: "省道",
    RoadGrade.county: "县道",
    RoadGrade.township: "乡道",
    RoadGrade.urban_expressway: "城市快速路",
    RoadGrade.arterial: "城市主干路",
    RoadGrade.secondary: "城市次干路",
    RoadGrade.branch: "城市支路",
    RoadGrade.other: "其他道路",
}


class RoadOrder(enum.StrEnum):
    stable = "stable"
    disordered = "disordered"
    complex = "complex"


ROAD_ORDER_LABELS = {
    RoadOrder.stable: "平稳",
    RoadOrder.disordered: "混乱",
    RoadOrder.complex: "复杂",
}


class Road(PlacedMixin, Base):
    """实有道路, with its order tier (平稳/混乱/复杂)."""

    __tablename__ = "road"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100), index=True)
    code: Mapped[str | None] = mapped_column(String(32))
    grade: Mapped[RoadGrade] = mapped_column(_enum(RoadGrade), index=True)
    road_order: Mapped[RoadOrder] = mapped_column(_enum(RoadOrder, 16), index=True)
    length_km: Mapped[float | None] = mapped_column(Float)
    lanes: Mapped[int | None] = mapped_column(SmallInteger)


class RoadSegment(PlacedMixin, Base):
    """A stretch of a road: hazard spots and accident-prone segments are flagged here."""

    __tablename__ = "road_segment"

    id: Mapped[int] = mapped_column(primary_key=True)
    road_id: Mapped[int] = mapped_column(ForeignKey("road.id"), index=True)
    name: Mapped[str] = mapped_column(String(100))
    from_desc: Mapped[str | None] = mapped_column(String(100))
    to_desc: Mapped[str | None] = mapped_column(String(100))
    length_m: Mapped[float | None] = mapped_column(Float)
    hazard: Mapped[bool] = mapped_column(Boolean, default=False, index=True)
    accident_prone: Mapped[bool] = mapped_column(Boolean, default=False, index=True)
    # [[lon, lat], ...] in WGS-84: a GeoJSON LineString's coordinates.
    geometry: Mapped[list[Any] | None] = mapped_column(JSON)

    road: Mapped[Road] = relationship(Road)


# --- facilities --------------------------------------------------------------------------------------


class FacilityKind(enum.StrEnum):
    sign = "sign"
    signal = "signal"
    marking = "marking"
    barrier = "barrier"
    camera = "camera"
    guidance = "guidance"
    speed_bump = "speed_bump"
    lighting = "lighting"
    other = "other"


FACILITY_KIND_LABELS = {
    FacilityKind.sign: "交通标志",
    FacilityKind.signal: "交通信号灯",
    FacilityKind.marking: "交通标线",
    FacilityKind.barrier: "护栏隔离设施",
    FacilityKind.camera: "监控抓拍设备",
    FacilityKind.guidance: "交通诱导屏",
    FacilityKind.speed_bump: "减速设施",
    FacilityKind.lighting: "照明设施",
    FacilityKind.other: "其他设施",
}


class FacilityStatus(enum.StrEnum):
    normal = "normal"
    damaged = "damaged"
    missing = "missing"
    maintenance = "maintenance"
    removed = "removed"


FACILITY_STATUS_LABELS = {
    FacilityStatus.normal: "正常",
    FacilityStatus.damaged: "损坏",
    FacilityStatus.missing: "缺失",
    FacilityStatus.maintenance: "维修中",
    FacilityStatus.removed: "已拆除",
}


class Facility(PlacedMixin, Base):
    """实有交通设施 on a road segment."""

    __tablename__ = "facility"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100), index=True)
    kind: Mapped[FacilityKind] = mapped_column(_enum(FacilityKind, 16), index=True)
    status: Mapped[FacilityStatus] = mapped_column(_enum(FacilityStatus, 16), index=True)
    road_segment_id: Mapped[int | None] = mapped_column(ForeignKey("road_segment.id"), index=True)
    installed_on: Mapped[dt.date | None]

    road_segment: Mapped[RoadSegment | None] = relationship(RoadSegment)
