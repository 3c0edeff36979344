"""Org-unit tree, users, roles, web sessions and API tokens."""

from __future__ import annotations

import datetime as dt
import enum

from sqlalchemy import Column, Enum, ForeignKey, String, Table
from sqlalchemy.orm import Mapped, mapped_column, relationship

from jiaoguan.platform.db import Base, TimestampMixin, utcnow


class OrgUnitKind(enum.StrEnum):
    detachment = "detachment"
    brigade = "brigade"
    squad = "squad"
    police_district = "police_district"
    grid = "grid"
    agency = "agency"


ORG_UNIT_KIND_LABELS = {
    OrgUnitKind.detachment: "支队",
    OrgUnitKind.brigade: "大队",
    OrgUnitKind.squad: "中队",
    OrgUnitKind.police_district: "警务区",
    OrgUnitKind.grid: "网格",
    OrgUnitKind.agency: "社会化服务机构",
}

# Which kind may sit under which: the police tree runs detachment > brigade > squad > district > grid;
# agencies hang under the unit that supervises them.
ALLOWED_CHILD_KINDS: dict[OrgUnitKind, set[OrgUnitKind]] = {
    OrgUnitKind.detachment: {OrgUnitKind.brigade, OrgUnitKind.agency},
    OrgUnitKind.brigade: {OrgUnitKind.squad, OrgUnitKind.agency},
    OrgUnitKind.squad: {OrgUnitKind.police_district},
    OrgUnitKind.police_district: {OrgUnitKind.grid},
    OrgUnitKind.grid: set(),
    OrgUnitKind.agency: set(),
}


class OrgUnit(TimestampMixin, Base):
    __tablename__ = "org_unit"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    name: Mapped[str] = mapped_column(String(100))
    kind: Mapped[OrgUnitKind] = mapped_column(Enum(OrgUnitKind, native_enum=False, length=32))
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("org_unit.id"), index=True)
    # Materialised path "/1/4/9/" so a subtree is one indexed prefix match.
    path: Mapped[str] = mapped_column(String(255), index=True, default="")
    phone: Mapped[str | None] = mapped_column(String(32))
    address: Mapped[str | None] = mapped_column(String(200))

    parent: Mapped[OrgUnit | None] = relationship(remote_side="OrgUnit.id")


class UserKind(enum.StrEnum):
    police = "police"
    auxiliary = "auxiliary"
    staff = "staff"
    device = "device"


USER_KIND_LABELS = {
    UserKind.police: "民警",
    UserKind.auxiliary: "辅警",
    UserKind.staff: "非警务人员",
    UserKind.device: "设备",
}

user_role = Table(
    "user_role",
    Base.metadata,
    Column("user_id", ForeignKey("app_user.id", ondelete="CASCADE"), primary_key=True),
    Column("role_id", ForeignKey("role.id", ondelete="CASCADE"), primary_key=True),
)


class Role(TimestampMixin, Base):
    __tablename__ = "role"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    name: Mapped[str] = mapped_column(String(50))
    description: Mapped[str | None] = mapped_column(String(200))
    permissions: Mapped[list[str]] = mapped_column(default=list)
    builtin: Mapped[bool] = mapped_column(default=False)


class User(TimestampMixin, Base):
    __tablename__ = "app_user"

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    full_name: Mapped[str] = mapped_column(String(64))
    kind: Mapped[UserKind] = mapped_column(Enum(UserKind, native_enum=False, length=16))
    badge_no: Mapped[str | None] = mapped_column(String(32))
    phone: Mapped[str | None] = mapped_column(String(32))
    unit_id: Mapped[int] = mapped_column(ForeignKey("org_unit.id"), index=True)
    password_hash: Mapped[str | None] = mapped_column(String(255))
    is_active: Mapped[bool] = mapped_column(default=True)
    failed_logins: Mapped[int] = mapped_column(default=0)
    locked_until: Mapped[dt.datetime | None]
    last_login_at: Mapped[dt.datetime | None]

    unit: Mapped[OrgUnit] = relationship()
    roles: Mapped[list[Role]] = relationship(secondary=user_role, lazy="selectin")


class WebSession(Base):
    __tablename__ = "web_session"

    id: Mapped[int] = mapped_column(primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("app_user.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[dt.datetime]
    ip: Mapped[str | None] = mapped_column(String(64))
    user_agent: Mapped[str | None] = mapped_column(String(255))


class ApiToken(Base):
    __tablename__ = "api_token"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    prefix: Mapped[str] = mapped_column(String(16))
    user_id: Mapped[int] = mapped_column(ForeignKey("app_user.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[dt.datetime | None]
    last_used_at: Mapped[dt.datetime | None]
    revoked: Mapped[bool] = mapped_column(default=False)
