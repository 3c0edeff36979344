"""Officers, their position history, incidents (警情), dispatches (派警单), timelines, command rules.

An incident's state is derived from its dispatches (one per officer sent), as in CoCeSo: the
officers' steps are the facts, the incident only summarises them.
"""

from __future__ import annotations

import datetime as dt
import enum
from typing import Any

from sqlalchemy import (
    BigInteger,
    Enum,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from jiaoguan.platform.auth.models import OrgUnit, User
from jiaoguan.platform.db import Base, TimestampMixin, utcnow


def _enum(kind: type[enum.Enum]) -> Enum:
    return Enum(kind, native_enum=False, length=32)


# --- officers ----------------------------------------------------------------------------------


class OfficerStatus(enum.StrEnum):
    off_duty = "off_duty"
    on_duty = "on_duty"  # on duty but busy with a post or another task
    available = "available"  # on duty and free to send
    dispatched = "dispatched"
    en_route = "en_route"
    on_scene = "on_scene"


OFFICER_STATUS_LABELS: dict[str, str] = {
    OfficerStatus.off_duty: "不在岗",
    OfficerStatus.on_duty: "执勤中",
    OfficerStatus.available: "可派",
    OfficerStatus.dispatched: "已派警",
    OfficerStatus.en_route: "出警途中",
    OfficerStatus.on_scene: "现场处置",
}
# Statuses in which an officer is working an incident: never sent to a second one.
BUSY = frozenset({OfficerStatus.dispatched, OfficerStatus.en_route, OfficerStatus.on_scene})


class OfficerKind(enum.StrEnum):
    police = "police"
    auxiliary = "auxiliary"


OFFICER_KIND_LABELS: dict[str, str] = {OfficerKind.police: "民警", OfficerKind.auxiliary: "辅警"}


class OfficerMode(enum.StrEnum):
    driving = "driving"
    walking = "walking"


OFFICER_MODE_LABELS: dict[str, str] = {OfficerMode.driving: "驾车", OfficerMode.walking: "步巡"}


class Officer(TimestampMixin, Base):
    """A person who can be dispatched (民警/辅警), with the status the dispatch steps maintain."""

    __tablename__ = "officer"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)  # 警号
    name: Mapped[str] = mapped_column(String(64))
    unit_id: Mapped[int] = mapped_column(ForeignKey("org_unit.id"), index=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"), unique=True)
    kind: Mapped[OfficerKind] = mapped_column(_enum(OfficerKind), default=OfficerKind.police)
    mode: Mapped[OfficerMode] = mapped_column(_enum(OfficerMode), default=OfficerMode.driving)
    status: Mapped[OfficerStatus] = mapped_column(
        _enum(OfficerStatus), default=OfficerStatus.off_duty, index=True
    )
    # When the status last changed: time-in-status reminders and the officers list read it.
    status_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    phone: Mapped[str | None] = mapped_column(String(32))
    device_code: Mapped[str | None] = mapped_column(String(64))

    unit: Mapped[OrgUnit] = relationship()
    user: Mapped[User | None] = relationship()


class OfficerPosition(Base):
    """One AVL fix. Written by the bulk path (command/positions.py), never through the ORM."""

    __tablename__ = "officer_position"
    # One row per (officer, time): a repeated fix is stored once; the constraint is also the index
    # that "latest fix of an officer" and "track of an officer" read.
    __table_args__ = (UniqueConstraint("officer_id", "at"),)

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    officer_id: Mapped[int] = mapped_column(ForeignKey("officer.id", ondelete="CASCADE"))
    at: Mapped[dt.datetime]
    lon: Mapped[float] = mapped_column(Float)
    lat: Mapped[float] = mapped_column(Float)
    accuracy_m: Mapped[float | None] = mapped_column(Float)
    speed_mps: Mapped[float | None] = mapped_column(Float)
    source: Mapped[str] = mapped_column(String(16), default="gps")
    received_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


# --- incidents ---------------------------------------------------------------------------------


class IncidentSource(enum.StrEnum):
    call_122 = "call_122"
    citizen = "citizen"
    video = "video"
    detector = "detector"
    officer_report = "officer_report"


SOURCE_LABELS: dict[str, str] = {
    IncidentSource.call_122: "122报警",
    IncidentSource.citizen: "群众上报",
    IncidentSource.video: "视频分析",
    IncidentSource.detector: "检测器事件",
    IncidentSource.officer_report: "民警自报",
}


class IncidentKind(enum.StrEnum):
    accident = "accident"
    congestion = "congestion"
    illegal_parking = "illegal_parking"
    road_works = "road_works"
    pedestrian_elevated = "pedestrian_elevated"
    low_visibility = "low_visibility"
    violation = "violation"
    other = "other"


KIND_LABELS: dict[str, str] = {
    IncidentKind.accident: "交通事故",
    IncidentKind.congestion: "交通拥堵",
    IncidentKind.illegal_parking: "违法停车",
    IncidentKind.road_works: "道路施工",
    IncidentKind.pedestrian_elevated: "行人上高架",
    IncidentKind.low_visibility: "低能见度",
    IncidentKind.violation: "交通违法",
    IncidentKind.other: "其他",
}

LEVEL_LABELS: dict[int, str] = {1: "一般", 2: "较大", 3: "重大", 4: "特别重大"}


class CommandLevel(enum.StrEnum):
    detachment = "detachment"  # 一级指挥: the detachment command centre
    brigade = "brigade"  # 二级指挥: the brigade sub-centre


COMMAND_LEVEL_LABELS: dict[str, str] = {
    CommandLevel.detachment: "一级指挥（支队）",
    CommandLevel.brigade: "二级指挥（大队）",
}


class IncidentState(enum.StrEnum):
    received = "received"  # 待派警
    dispatched = "dispatched"
    accepted = "accepted"
    en_route = "en_route"
    on_scene = "on_scene"
    handled = "handled"
    closed = "closed"
    cancelled = "cancelled"
    merged = "merged"


INCIDENT_STATE_LABELS: dict[str, str] = {
    IncidentState.received: "待派警",
    IncidentState.dispatched: "已派警",
    IncidentState.accepted: "已签收",
    IncidentState.en_route: "出警途中",
    IncidentState.on_scene: "现场处置",
    IncidentState.handled: "处置完毕",
    IncidentState.closed: "已结案",
    IncidentState.cancelled: "已撤销",
    IncidentState.merged: "已合并",
}
FINISHED_STATES = frozenset({IncidentState.closed, IncidentState.cancelled, IncidentState.merged})


class Incident(TimestampMixin, Base):
    __tablename__ = "incident"
    __table_args__ = (
        Index("ix_incident_state_reported", "state", "reported_at"),
        Index("ix_incident_kind_reported", "kind", "reported_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    # JQ<Beijing date>-<sequence of that day>, e.g. JQ20261124-0007.
    number: Mapped[str] = mapped_column(String(20), unique=True)
    source: Mapped[IncidentSource] = mapped_column(_enum(IncidentSource))
    kind: Mapped[IncidentKind] = mapped_column(_enum(IncidentKind))
    level: Mapped[int] = mapped_column(Integer, default=1)
    summary: Mapped[str] = mapped_column(Text, default="")
    place: Mapped[str] = mapped_column(String(200))
    lon: Mapped[float] = mapped_column(Float)
    lat: Mapped[float] = mapped_column(Float)
    address_id: Mapped[int | None] = mapped_column(
        ForeignKey("standard_address.id", ondelete="SET NULL")
    )
    reporter_name: Mapped[str | None] = mapped_column(String(64))
    reporter_phone: Mapped[str | None] = mapped_column(String(32))
    # The brigade whose area holds the place; NULL outside every brigade area.
    area_unit_id: Mapped[int | None] = mapped_column(ForeignKey("org_unit.id"), index=True)
    command_level: Mapped[CommandLevel] = mapped_column(_enum(CommandLevel))
    # The command centre that handles it: the detachment (一级) or a brigade (二级).
    handling_unit_id: Mapped[int] = mapped_column(ForeignKey("org_unit.id"), index=True)
    rule_id: Mapped[int | None] = mapped_column(ForeignKey("command_rule.id", ondelete="SET NULL"))
    state: Mapped[IncidentState] = mapped_column(_enum(IncidentState), index=True)
    reported_at: Mapped[dt.datetime] = mapped_column(index=True)
    # Milestones over all its dispatches (first dispatch, first arrival, ...), for statistics.
    dispatched_at: Mapped[dt.datetime | None]
    accepted_at: Mapped[dt.datetime | None]
    arrived_at: Mapped[dt.datetime | None]
    handled_at: Mapped[dt.datetime | None]
    closed_at: Mapped[dt.datetime | None]
    merged_into_id: Mapped[int | None] = mapped_column(ForeignKey("incident.id"))
    created_by_user_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))
    # Reminder thresholds copied from the matching rule at intake (seconds).
    accept_limit_s: Mapped[int] = mapped_column(Integer, default=60)
    arrive_limit_s: Mapped[int] = mapped_column(Integer, default=900)

    area_unit: Mapped[OrgUnit | None] = relationship(foreign_keys=[area_unit_id])
    handling_unit: Mapped[OrgUnit] = relationship(foreign_keys=[handling_unit_id])
    dispatches: Mapped[list[IncidentDispatch]] = relationship(
        back_populates="incident", order_by="IncidentDispatch.id", lazy="selectin"
    )


class DispatchState(enum.StrEnum):
    dispatched = "dispatched"
    accepted = "accepted"
    en_route = "en_route"
    on_scene = "on_scene"
    handled = "handled"
    closed = "closed"
    cancelled = "cancelled"


DISPATCH_STATE_LABELS: dict[str, str] = {
    DispatchState.dispatched: "待签收",
    DispatchState.accepted: "已签收",
    DispatchState.en_route: "出警途中",
    DispatchState.on_scene: "已到场",
    DispatchState.handled: "处置完毕",
    DispatchState.closed: "已反馈结束",
    DispatchState.cancelled: "已撤回",
}
# The officer still owes work on these: he counts as committed to the incident.
LIVE_DISPATCH = frozenset(
    {
        DispatchState.dispatched,
        DispatchState.accepted,
        DispatchState.en_route,
        DispatchState.on_scene,
    }
)


class IncidentDispatch(Base):
    """One officer sent to one incident, with every step's time."""

    __tablename__ = "incident_dispatch"
    __table_args__ = (Index("ix_incident_dispatch_officer_state", "officer_id", "state"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    incident_id: Mapped[int] = mapped_column(
        ForeignKey("incident.id", ondelete="CASCADE"), index=True
    )
    officer_id: Mapped[int] = mapped_column(ForeignKey("officer.id"))
    state: Mapped[DispatchState] = mapped_column(_enum(DispatchState))
    dispatched_by_user_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))
    # Why this officer (the recommendation's reason, or the dispatcher's note).
    note: Mapped[str] = mapped_column(String(500), default="")
    eta_s: Mapped[float | None] = mapped_column(Float)
    distance_m: Mapped[float | None] = mapped_column(Float)
    dispatched_at: Mapped[dt.datetime]
    accepted_at: Mapped[dt.datetime | None]
    departed_at: Mapped[dt.datetime | None]
    arrived_at: Mapped[dt.datetime | None]
    arrived_auto: Mapped[bool] = mapped_column(default=False)
    handled_at: Mapped[dt.datetime | None]
    closed_at: Mapped[dt.datetime | None]
    cancelled_at: Mapped[dt.datetime | None]
    result: Mapped[str | None] = mapped_column(Text)
    cancel_reason: Mapped[str | None] = mapped_column(String(500))
    # Reminders already sent for this dispatch (once each).
    accept_reminded_at: Mapped[dt.datetime | None]
    arrive_reminded_at: Mapped[dt.datetime | None]

    incident: Mapped[Incident] = relationship(back_populates="dispatches")
    officer: Mapped[Officer] = relationship(lazy="joined")


class IncidentLog(Base):
    """The timeline: every step, who took it and why."""

    __tablename__ = "incident_log"

    id: Mapped[int] = mapped_column(primary_key=True)
    incident_id: Mapped[int] = mapped_column(
        ForeignKey("incident.id", ondelete="CASCADE"), index=True
    )
    dispatch_id: Mapped[int | None] = mapped_column(
        ForeignKey("incident_dispatch.id", ondelete="SET NULL")
    )
    at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    actor_user_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))
    # As written at the time: names change, history does not.
    actor_name: Mapped[str] = mapped_column(String(64))
    action: Mapped[str] = mapped_column(String(32))
    text: Mapped[str] = mapped_column(Text, default="")
    detail: Mapped[dict[str, Any]] = mapped_column(default=dict)


class CommandRule(TimestampMixin, Base):
    """Two-level command: which centre handles an incident of this kind, level and area, and how
    soon acceptance and arrival are due. The enabled rule with the lowest `priority` that matches
    wins; empty conditions match anything."""

    __tablename__ = "command_rule"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100))
    priority: Mapped[int] = mapped_column(Integer, default=100)
    enabled: Mapped[bool] = mapped_column(default=True)
    kind: Mapped[IncidentKind | None] = mapped_column(_enum(IncidentKind))
    min_level: Mapped[int | None] = mapped_column(Integer)
    # The rule applies to incidents in this brigade's area (its subtree); NULL: everywhere.
    area_unit_id: Mapped[int | None] = mapped_column(ForeignKey("org_unit.id"), index=True)
    command_level: Mapped[CommandLevel] = mapped_column(_enum(CommandLevel))
    accept_limit_s: Mapped[int] = mapped_column(Integer, default=60)
    arrive_limit_s: Mapped[int] = mapped_column(Integer, default=900)
    description: Mapped[str] = mapped_column(String(500), default="")

    area_unit: Mapped[OrgUnit | None] = relationship()


class IncidentCounter(Base):
    """Last incident number handed out per Beijing day; bumped with one atomic upsert."""

    __tablename__ = "incident_counter"

    day: Mapped[str] = mapped_column(String(8), primary_key=True)
    value: Mapped[int] = mapped_column(default=0)
