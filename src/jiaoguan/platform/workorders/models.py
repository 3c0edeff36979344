"""Work orders, their history (every transition), feedback with attachments, the number counter."""

from __future__ import annotations

import datetime as dt
import enum
from typing import Any

from sqlalchemy import BigInteger, Enum, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from jiaoguan.platform.auth.models import OrgUnit, User
from jiaoguan.platform.db import Base, TimestampMixin, utcnow


class WorkOrderStatus(enum.StrEnum):
    assigned = "assigned"
    accepted = "accepted"
    fed_back = "fed_back"
    rejected = "rejected"
    closed = "closed"
    cancelled = "cancelled"


STATUS_LABELS: dict[WorkOrderStatus, str] = {
    WorkOrderStatus.assigned: "待签收",
    WorkOrderStatus.accepted: "处理中",
    WorkOrderStatus.fed_back: "待审核",
    WorkOrderStatus.rejected: "已退回",
    WorkOrderStatus.closed: "已办结",
    WorkOrderStatus.cancelled: "已撤销",
}

# Statuses in which the assignee still owes work: these run against the deadline and escalate.
PENDING = frozenset({WorkOrderStatus.assigned, WorkOrderStatus.accepted, WorkOrderStatus.rejected})
# Not finished yet (the assignee's part, or the review).
OPEN = PENDING | {WorkOrderStatus.fed_back}
FINISHED = frozenset({WorkOrderStatus.closed, WorkOrderStatus.cancelled})


class WorkOrderPriority(enum.StrEnum):
    low = "low"
    normal = "normal"
    high = "high"
    urgent = "urgent"


PRIORITY_LABELS: dict[WorkOrderPriority, str] = {
    WorkOrderPriority.low: "低",
    WorkOrderPriority.normal: "普通",
    WorkOrderPriority.high: "高",
    WorkOrderPriority.urgent: "紧急",
}
PRIORITY_RANK: dict[WorkOrderPriority, int] = {p: i for i, p in enumerate(WorkOrderPriority)}


class WorkOrder(TimestampMixin, Base):
    __tablename__ = "work_order"
    # Lets a module find the order it opened for one of its records (e.g. an interception alert).
    __table_args__ = (Index("ix_work_order_source", "source_module", "source_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    # Readable number, e.g. GD20261124-0007 (Beijing date and that day's sequence).
    number: Mapped[str] = mapped_column(String(20), unique=True)
    kind: Mapped[str] = mapped_column(String(32), index=True)
    title: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    priority: Mapped[WorkOrderPriority] = mapped_column(
        Enum(WorkOrderPriority, native_enum=False, length=16), default=WorkOrderPriority.normal
    )
    status: Mapped[WorkOrderStatus] = mapped_column(
        Enum(WorkOrderStatus, native_enum=False, length=16), index=True
    )
    creator_unit_id: Mapped[int] = mapped_column(ForeignKey("org_unit.id"), index=True)
    # NULL when the system opened the order (an automatic alert, a scheduled model).
    creator_user_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"), index=True)
    assignee_unit_id: Mapped[int] = mapped_column(ForeignKey("org_unit.id"), index=True)
    assignee_user_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"), index=True)
    deadline: Mapped[dt.datetime] = mapped_column(index=True)
    # Escalation: the unit that was told about the overdue order, how often, and for which deadline
    # (so one deadline escalates once; a new deadline re-arms it).
    escalation_level: Mapped[int] = mapped_column(default=0)
    escalated_unit_id: Mapped[int | None] = mapped_column(ForeignKey("org_unit.id"), index=True)
    escalated_deadline: Mapped[dt.datetime | None]
    escalated_at: Mapped[dt.datetime | None]
    source_module: Mapped[str | None] = mapped_column(String(32))
    source_id: Mapped[str | None] = mapped_column(String(64))
    accepted_at: Mapped[dt.datetime | None]
    fed_back_at: Mapped[dt.datetime | None]
    finished_at: Mapped[dt.datetime | None]

    creator_unit: Mapped[OrgUnit] = relationship(foreign_keys=[creator_unit_id])
    creator_user: Mapped[User | None] = relationship(foreign_keys=[creator_user_id])
    assignee_unit: Mapped[OrgUnit] = relationship(foreign_keys=[assignee_unit_id])
    assignee_user: Mapped[User | None] = relationship(foreign_keys=[assignee_user_id])
    escalated_unit: Mapped[OrgUnit | None] = relationship(foreign_keys=[escalated_unit_id])


class WorkOrderHistory(Base):
    """One transition: who, when, from which status to which, and why."""

    __tablename__ = "work_order_history"

    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[int] = mapped_column(
        ForeignKey("work_order.id", ondelete="CASCADE"), index=True
    )
    at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    actor_user_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))
    # Kept as written at the time: names change, history does not.
    actor_name: Mapped[str] = mapped_column(String(64))
    action: Mapped[str] = mapped_column(String(32))
    from_status: Mapped[str | None] = mapped_column(String(16))
    to_status: Mapped[str] = mapped_column(String(16))
    comment: Mapped[str] = mapped_column(Text, default="")
    detail: Mapped[dict[str, Any]] = mapped_column(default=dict)


class WorkOrderFeedback(Base):
    __tablename__ = "work_order_feedback"

    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[int] = mapped_column(
        ForeignKey("work_order.id", ondelete="CASCADE"), index=True
    )
    at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))
    user_name: Mapped[str] = mapped_column(String(64))
    unit_id: Mapped[int] = mapped_column(ForeignKey("org_unit.id"))
    text: Mapped[str] = mapped_column(Text)

    attachments: Mapped[list[WorkOrderAttachment]] = relationship(
        lazy="selectin", order_by="WorkOrderAttachment.id"
    )


class WorkOrderAttachment(Base):
    """A file attached to a feedback: metadata always, the content when uploaded through the page."""

    __tablename__ = "work_order_attachment"

    id: Mapped[int] = mapped_column(primary_key=True)
    feedback_id: Mapped[int] = mapped_column(
        ForeignKey("work_order_feedback.id", ondelete="CASCADE"), index=True
    )
    file_name: Mapped[str] = mapped_column(String(255))
    size: Mapped[int] = mapped_column(BigInteger)
    content_type: Mapped[str] = mapped_column(String(100))
    # Hex SHA-256 of the content; with `stored`, the file lives at uploads/<sha[:2]>/<sha>.
    sha256: Mapped[str | None] = mapped_column(String(64))
    stored: Mapped[bool] = mapped_column(default=False)


class WorkOrderCounter(Base):
    """Last number handed out per Beijing day; bumped with one atomic upsert."""

    __tablename__ = "work_order_counter"

    day: Mapped[str] = mapped_column(String(8), primary_key=True)
    value: Mapped[int] = mapped_column(default=0)
