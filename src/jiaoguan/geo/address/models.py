"""Administrative divisions (with aliases), standard addresses (标准地址) and landmarks.

The address hierarchy follows the public-security standard-address interface: 区划 → 街路巷 →
门楼牌 → 小区 → 建筑物 → 单元/房, plus the police grid (警务网格) the address lies in.
"""

from __future__ import annotations

import datetime as dt
import enum

from sqlalchemy import Enum, Float, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from jiaoguan.platform.auth.models import OrgUnit
from jiaoguan.platform.db import Base, TimestampMixin


class DivisionLevel(enum.StrEnum):
    province = "province"
    city = "city"
    county = "county"
    town = "town"


DIVISION_LEVEL_LABELS = {
    DivisionLevel.province: "省级",
    DivisionLevel.city: "地级",
    DivisionLevel.county: "县级",
    DivisionLevel.town: "乡级",
}


class AliasKind(enum.StrEnum):
    short = "short"  # 竞秀 for 竞秀区
    old = "old"  # 新市区 → 竞秀区, 襄樊 → 襄阳
    zone = "zone"  # 开发区 / 新区 → the county hosting it
    other = "other"


ALIAS_KIND_LABELS = {
    AliasKind.short: "简称",
    AliasKind.old: "曾用名",
    AliasKind.zone: "功能区",
    AliasKind.other: "其他",
}


class AdminDivision(Base):
    """One division of GB/T 2260 (6-digit code) or of the statistics code (12-digit, towns)."""

    __tablename__ = "admin_division"

    code: Mapped[str] = mapped_column(String(12), primary_key=True)
    name: Mapped[str] = mapped_column(String(60))
    short_name: Mapped[str] = mapped_column(String(30))
    level: Mapped[DivisionLevel] = mapped_column(
        Enum(DivisionLevel, native_enum=False, length=16), index=True
    )
    # Counties of municipalities and province-administered counties hang under the province.
    parent_code: Mapped[str | None] = mapped_column(ForeignKey("admin_division.code"), index=True)
    valid_from: Mapped[dt.date | None]
    valid_to: Mapped[dt.date | None]
    lon: Mapped[float | None] = mapped_column(Float)
    lat: Mapped[float | None] = mapped_column(Float)

    aliases: Mapped[list[DivisionAlias]] = relationship(
        back_populates="division", cascade="all, delete-orphan"
    )


class DivisionAlias(Base):
    """Another name a division is written with; one text may name several divisions."""

    __tablename__ = "division_alias"
    __table_args__ = (Index("ix_division_alias_alias_code", "alias", "division_code", unique=True),)

    id: Mapped[int] = mapped_column(primary_key=True)
    division_code: Mapped[str] = mapped_column(
        ForeignKey("admin_division.code", ondelete="CASCADE"), index=True
    )
    alias: Mapped[str] = mapped_column(String(60))
    kind: Mapped[AliasKind] = mapped_column(Enum(AliasKind, native_enum=False, length=16))
    # For old names: the day the name stopped being official.
    valid_to: Mapped[dt.date | None]

    division: Mapped[AdminDivision] = relationship(back_populates="aliases")


class AddressStatus(enum.StrEnum):
    active = "active"
    retired = "retired"


ADDRESS_STATUS_LABELS = {AddressStatus.active: "在用", AddressStatus.retired: "注销"}


class StandardAddress(TimestampMixin, Base):
    """A standard address: a door plate, or a building / unit / room behind it."""

    __tablename__ = "standard_address"
    __table_args__ = (Index("ix_standard_address_road_number", "road", "house_number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(40), unique=True)  # SYSTEMID of the address system
    province_code: Mapped[str] = mapped_column(String(12))
    city_code: Mapped[str] = mapped_column(String(12))
    county_code: Mapped[str] = mapped_column(ForeignKey("admin_division.code"), index=True)
    town: Mapped[str | None] = mapped_column(String(60))  # 乡镇街道 name
    road: Mapped[str] = mapped_column(String(60))  # 街路巷
    house_number: Mapped[str | None] = mapped_column(String(20))  # 门牌号 "123号"
    estate: Mapped[str | None] = mapped_column(String(60))  # 小区 / 院
    building: Mapped[str | None] = mapped_column(String(20))  # "3栋"
    unit_no: Mapped[str | None] = mapped_column(String(10))  # "2单元"
    room: Mapped[str | None] = mapped_column(String(10))  # "501"
    full_text: Mapped[str] = mapped_column(String(255))
    grid_unit_id: Mapped[int | None] = mapped_column(ForeignKey("org_unit.id"), index=True)
    block: Mapped[str | None] = mapped_column(String(40))
    lon: Mapped[float | None] = mapped_column(Float)
    lat: Mapped[float | None] = mapped_column(Float)
    status: Mapped[AddressStatus] = mapped_column(
        Enum(AddressStatus, native_enum=False, length=16), default=AddressStatus.active
    )

    county: Mapped[AdminDivision] = relationship()
    grid_unit: Mapped[OrgUnit | None] = relationship()


class Landmark(TimestampMixin, Base):
    """A place people name instead of an address ("万博广场对面")."""

    __tablename__ = "landmark"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(60), index=True)
    aliases: Mapped[list[str]] = mapped_column(default=list)
    county_code: Mapped[str | None] = mapped_column(ForeignKey("admin_division.code"), index=True)
    address_id: Mapped[int | None] = mapped_column(
        ForeignKey("standard_address.id", ondelete="SET NULL"), index=True
    )
    lon: Mapped[float | None] = mapped_column(Float)
    lat: Mapped[float | None] = mapped_column(Float)

    address: Mapped[StandardAddress | None] = relationship()
