"""Watchlists (布控), alerts (预警) with their sightings, and restriction rules (闯禁行).

A watch is one vehicle to alert on: applied for with a reason and a period, approved by someone
else, withdrawn (撤控) with a reason; overdue inspection / scrapping entries come from the vehicle
registry automatically. An alert groups the hits of one vehicle on one cause while it is open:
each hit adds a sighting (the pass) and bumps the count instead of raising a new alert. The
interception itself is a work order (platform/workorders, kind "interception").
"""

from __future__ import annotations

import datetime as dt
import enum
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Enum,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from jiaoguan.checkpoint.models import Checkpoint
from jiaoguan.platform.auth.models import OrgUnit
from jiaoguan.platform.db import Base, TimestampMixin, utcnow
from jiaoguan.platform.workorders.models import WorkOrder


def _enum(kind: type[enum.Enum], length: int = 24) -> Enum:
    return Enum(kind, native_enum=False, length=length)


# --- watches -----------------------------------------------------------------------------------


class WatchKind(enum.StrEnum):
    overdue_inspection = "overdue_inspection"
    overdue_scrapping = "overdue_scrapping"
    cloned_plate = "cloned_plate"
    fake_plate = "fake_plate"
    hit_and_run = "hit_and_run"
    stolen = "stolen"
    key_vehicle = "key_vehicle"
    manual = "manual"


WATCH_KIND_LABELS = {
    WatchKind.overdue_inspection: "逾期未检验",
    WatchKind.overdue_scrapping: "逾期未报废",
    WatchKind.cloned_plate: "套牌车",
    WatchKind.fake_plate: "假牌车",
    WatchKind.hit_and_run: "肇事逃逸嫌疑",
    WatchKind.stolen: "被盗抢车辆",
    WatchKind.key_vehicle: "重点车辆",
    WatchKind.manual: "其他人工布控",
}
# Filled from the vehicle registry by the daily refresh, never applied for by hand.
AUTOMATIC_KINDS = frozenset({WatchKind.overdue_inspection, WatchKind.overdue_scrapping})


class WatchStatus(enum.StrEnum):
    pending = "pending"
    active = "active"
    refused = "refused"
    withdrawn = "withdrawn"


WATCH_STATUS_LABELS = {
    WatchStatus.pending: "待审批",
    WatchStatus.active: "布控中",
    WatchStatus.refused: "未通过",
    WatchStatus.withdrawn: "已撤控",
}


class WatchSource(enum.StrEnum):
    manual = "manual"
    registry = "registry"


WATCH_SOURCE_LABELS = {WatchSource.manual: "人工申请", WatchSource.registry: "车管台账自动"}


class Watch(TimestampMixin, Base):
    """布控: one plate to alert on, for a period, with applicant, approver and withdrawal."""

    __tablename__ = "watch"
    __table_args__ = (Index("ix_watch_status_plate_no", "status", "plate_no"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    # Matching form (registry.validators.normalise_plate).
    plate_no: Mapped[str] = mapped_column(String(16), index=True)
    # Canonical plate colour (BLUE, YELLOW, ...) when known: a blue and a yellow plate with the
    # same number are two vehicles.
    plate_color: Mapped[str | None] = mapped_column(String(16))
    kind: Mapped[WatchKind] = mapped_column(_enum(WatchKind), index=True)
    status: Mapped[WatchStatus] = mapped_column(_enum(WatchStatus, 16), index=True)
    source: Mapped[WatchSource] = mapped_column(_enum(WatchSource, 16), default=WatchSource.manual)
    # Also alert on OCR-confusable reads (0/D/Q, 8/B, ...) and province misreads.
    fuzzy: Mapped[bool] = mapped_column(Boolean, default=True)
    reason: Mapped[str] = mapped_column(Text)
    starts_at: Mapped[dt.datetime]
    ends_at: Mapped[dt.datetime] = mapped_column(index=True)
    # The applying unit: data scope, and whom the alerts concern besides the checkpoint's area.
    unit_id: Mapped[int] = mapped_column(ForeignKey("org_unit.id"), index=True)
    vehicle_id: Mapped[int | None] = mapped_column(
        ForeignKey("vehicle.id", ondelete="SET NULL"), index=True
    )
    applicant_user_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))
    applicant_name: Mapped[str] = mapped_column(String(64))
    applied_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    approver_user_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))
    approver_name: Mapped[str | None] = mapped_column(String(64))
    decided_at: Mapped[dt.datetime | None]
    decision_comment: Mapped[str | None] = mapped_column(String(1000))
    withdrawn_user_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))
    withdrawn_name: Mapped[str | None] = mapped_column(String(64))
    withdrawn_at: Mapped[dt.datetime | None]
    withdraw_reason: Mapped[str | None] = mapped_column(String(1000))

    unit: Mapped[OrgUnit] = relationship(OrgUnit)


# --- restriction rules -------------------------------------------------------------------------


class RestrictionTarget(enum.StrEnum):
    trucks = "trucks"
    hazmat = "hazmat"
    muck = "muck"
    yellow_plate = "yellow_plate"


RESTRICTION_TARGET_LABELS = {
    RestrictionTarget.trucks: "货车（按车辆类型）",
    RestrictionTarget.hazmat: "危化品运输车",
    RestrictionTarget.muck: "渣土车",
    RestrictionTarget.yellow_plate: "黄牌车（大型汽车）",
}


class RestrictionRule(TimestampMixin, Base):
    """禁行规则: which vehicles may not pass which checkpoints in which hours (Beijing time)."""

    __tablename__ = "restriction_rule"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100), index=True)
    target: Mapped[RestrictionTarget] = mapped_column(_enum(RestrictionTarget, 16))
    # GA/T 16.4 vehicle-class prefixes for "trucks", e.g. ["H1", "H2", "Q"] (heavy, medium, tractors).
    vehicle_classes: Mapped[list[str]] = mapped_column(JSON, default=list)
    # The zone, as the TollgateIDs (20 digits) of the checkpoints that guard it.
    checkpoint_codes: Mapped[list[str]] = mapped_column(JSON, default=list)
    # Local time window "HH:MM"; an end before the start runs over midnight.
    start_time: Mapped[str] = mapped_column(String(5))
    end_time: Mapped[str] = mapped_column(String(5))
    # ISO weekdays the rule applies on, e.g. "1234567".
    weekdays: Mapped[str] = mapped_column(String(7), default="1234567")
    # Plates allowed through anyway (permits, 通行证).
    exempt_plates: Mapped[list[str]] = mapped_column(JSON, default=list)
    active: Mapped[bool] = mapped_column(Boolean, default=True, index=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("org_unit.id"), index=True)
    note: Mapped[str | None] = mapped_column(String(500))

    unit: Mapped[OrgUnit] = relationship(OrgUnit)


# --- alerts ------------------------------------------------------------------------------------


class AlertKind(enum.StrEnum):
    watch = "watch"
    cloned_plate = "cloned_plate"
    restriction = "restriction"


ALERT_KIND_LABELS = {
    AlertKind.watch: "布控比中",
    AlertKind.cloned_plate: "疑似套牌",
    AlertKind.restriction: "闯禁行",
}


class AlertResult(enum.StrEnum):
    intercepted = "intercepted"
    not_found = "not_found"
    false_hit = "false_hit"


ALERT_RESULT_LABELS = {
    AlertResult.intercepted: "已拦截",
    AlertResult.not_found: "未发现",
    AlertResult.false_hit: "误报",
}


class Alert(TimestampMixin, Base):
    """预警: the hits of one vehicle on one cause, grouped while open, with its interception."""

    __tablename__ = "alert"
    __table_args__ = (Index("ix_alert_group_key_last_seen_at", "group_key", "last_seen_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[AlertKind] = mapped_column(_enum(AlertKind, 16), index=True)
    # watch:<id>:<plate> / clone:<plate> / rule:<id>:<plate>: repeat hits with the same key group.
    group_key: Mapped[str] = mapped_column(String(64))
    plate_no: Mapped[str] = mapped_column(String(16), index=True)  # as read
    plate_colour: Mapped[str | None] = mapped_column(String(2))
    watch_id: Mapped[int | None] = mapped_column(
        ForeignKey("watch.id", ondelete="SET NULL"), index=True
    )
    rule_id: Mapped[int | None] = mapped_column(
        ForeignKey("restriction_rule.id", ondelete="SET NULL"), index=True
    )
    # exact / confusable / province / province_confusable (matcher.MATCH_KIND_LABELS).
    match_kind: Mapped[str] = mapped_column(String(24), default="exact")
    matched_plate: Mapped[str | None] = mapped_column(String(16))
    title: Mapped[str] = mapped_column(String(200))
    hit_count: Mapped[int] = mapped_column(Integer, default=1)
    first_seen_at: Mapped[dt.datetime] = mapped_column(index=True)
    last_seen_at: Mapped[dt.datetime] = mapped_column(index=True)
    last_checkpoint_id: Mapped[int | None] = mapped_column(
        ForeignKey("checkpoint.id", ondelete="SET NULL"), index=True
    )
    last_lon: Mapped[float | None] = mapped_column(Float)
    last_lat: Mapped[float | None] = mapped_column(Float)
    # The checkpoint's unit: data scope and the first place officers are told.
    unit_id: Mapped[int] = mapped_column(ForeignKey("org_unit.id"), index=True)
    work_order_id: Mapped[int | None] = mapped_column(
        ForeignKey("work_order.id", ondelete="SET NULL"), index=True
    )
    result: Mapped[AlertResult | None] = mapped_column(_enum(AlertResult, 16), index=True)
    result_note: Mapped[str | None] = mapped_column(String(1000))
    result_at: Mapped[dt.datetime | None]
    # Evidence (clone pairs, rule window, next checkpoints told) as shown on the detail page.
    detail: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)

    unit: Mapped[OrgUnit] = relationship(OrgUnit)
    watch: Mapped[Watch | None] = relationship(Watch)
    rule: Mapped[RestrictionRule | None] = relationship(RestrictionRule)
    work_order: Mapped[WorkOrder | None] = relationship(WorkOrder)
    sightings: Mapped[list[AlertSighting]] = relationship(
        back_populates="alert", order_by="AlertSighting.passed_at", cascade="all, delete-orphan"
    )


class AlertSighting(Base):
    """One pass behind an alert (the first and every grouped repeat)."""

    __tablename__ = "alert_sighting"

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    alert_id: Mapped[int] = mapped_column(ForeignKey("alert.id", ondelete="CASCADE"), index=True)
    record_id: Mapped[str] = mapped_column(String(48))
    checkpoint_id: Mapped[int | None] = mapped_column(
        ForeignKey("checkpoint.id", ondelete="SET NULL")
    )
    passed_at: Mapped[dt.datetime]
    plate_raw: Mapped[str] = mapped_column(String(32))
    lon: Mapped[float | None] = mapped_column(Float)
    lat: Mapped[float | None] = mapped_column(Float)
    note: Mapped[str | None] = mapped_column(String(200))

    alert: Mapped[Alert] = relationship(back_populates="sightings")
    checkpoint: Mapped[Checkpoint | None] = relationship(Checkpoint)


class AlertUnit(Base):
    """A unit an alert was pushed to (the checkpoint's, and those of the next checkpoints): its
    members and the units above it see the alert (the same reach as a notification)."""

    __tablename__ = "alert_unit"

    alert_id: Mapped[int] = mapped_column(
        ForeignKey("alert.id", ondelete="CASCADE"), primary_key=True
    )
    unit_id: Mapped[int] = mapped_column(
        ForeignKey("org_unit.id", ondelete="CASCADE"), primary_key=True, index=True
    )
