"""Pydantic I/O for work orders: create, the action bodies, the order with history and feedback."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    model_validator,
)

from jiaoguan.platform.db import utcnow
from jiaoguan.platform.workorders.models import (
    PRIORITY_LABELS,
    STATUS_LABELS,
    WorkOrder,
    WorkOrderFeedback,
    WorkOrderHistory,
    WorkOrderPriority,
    WorkOrderStatus,
)
from jiaoguan.platform.workorders.queries import is_overdue
from jiaoguan.platform.workorders.service import ACTION_LABELS, BEIJING, AttachmentMeta, kind_label

MAX_ID = 2**31 - 1


def _printable(value: str) -> str:
    # NUL and other control characters break PostgreSQL text and mean nothing to a reader.
    if any(ord(ch) < 32 and ch not in "\t\n\r" for ch in value):
        raise ValueError("不能包含控制字符")
    return value


def _beijing(value: dt.datetime) -> dt.datetime:
    """A time without zone is Beijing time, as users write it; stored in UTC."""
    if value.tzinfo is None:
        value = value.replace(tzinfo=BEIJING)
    try:
        return value.astimezone(dt.UTC)
    except OverflowError:
        raise ValueError("时间超出范围") from None


def _text(min_length: int, max_length: int) -> object:
    return StringConstraints(strip_whitespace=True, min_length=min_length, max_length=max_length)


Title = Annotated[str, _text(1, 200), AfterValidator(_printable)]
LongText = Annotated[str, _text(1, 5000), AfterValidator(_printable)]
OptionalText = Annotated[str, _text(0, 5000), AfterValidator(_printable)]
Reason = Annotated[str, _text(2, 1000), AfterValidator(_printable)]
Comment = Annotated[str, _text(0, 1000), AfterValidator(_printable)]
Deadline = Annotated[dt.datetime, AfterValidator(_beijing)]
UnitId = Annotated[int, Field(ge=1, le=MAX_ID)]
Code = Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9_]{1,31}$")]


class WorkOrderCreate(BaseModel):
    kind: Code = Field("general", description="工单类型代码（见 /api/v1/workorders/kinds）")
    title: Title = Field(description="标题")
    description: OptionalText = Field("", description="工作要求")
    priority: WorkOrderPriority = Field(WorkOrderPriority.normal, description="优先级")
    assignee_unit_id: UnitId = Field(description="处理单位")
    assignee_user_id: UnitId | None = Field(None, description="处理人（可选，须属于处理单位）")
    deadline: Deadline = Field(description="办理期限；不带时区时按北京时间理解")
    source_module: Code | None = Field(None, description="来源模块（与来源编号同时填写）")
    source_id: (
        Annotated[str, StringConstraints(min_length=1, max_length=64), AfterValidator(_printable)]
        | None
    ) = Field(None, description="来源记录编号")

    @model_validator(mode="after")
    def _source_pair(self) -> WorkOrderCreate:
        if (self.source_module is None) != (self.source_id is None):
            raise ValueError("来源模块与来源编号须同时填写")
        return self


class AttachmentIn(BaseModel):
    file_name: Annotated[
        str,
        StringConstraints(strip_whitespace=True, min_length=1, max_length=255),
        AfterValidator(_printable),
    ] = Field(description="文件名")
    size: int = Field(ge=0, le=2**40, description="字节数")
    content_type: Annotated[
        str, StringConstraints(max_length=100, pattern=r"^[\w.+-]+/[\w.+-]+$")
    ] = Field("application/octet-stream", description="MIME 类型")
    sha256: Annotated[str, StringConstraints(pattern=r"^[0-9a-f]{64}$")] | None = Field(
        None, description="内容的 SHA-256（十六进制，可选）"
    )

    def meta(self) -> AttachmentMeta:
        return AttachmentMeta(
            file_name=self.file_name,
            size=self.size,
            content_type=self.content_type,
            sha256=self.sha256,
        )


class FeedbackIn(BaseModel):
    text: LongText = Field(description="反馈内容：办理情况")
    attachments: list[AttachmentIn] = Field(
        default_factory=list, max_length=10, description="附件元数据"
    )


class ApproveIn(BaseModel):
    comment: Comment = Field("", description="审核意见（可选）")


class ReasonIn(BaseModel):
    reason: Reason = Field(description="原因")


class ReassignIn(BaseModel):
    assignee_unit_id: UnitId = Field(description="新的处理单位")
    assignee_user_id: UnitId | None = Field(None, description="新的处理人（可选）")
    reason: Reason = Field(description="改派原因")
    deadline: Deadline | None = Field(None, description="新的办理期限（可选，不填沿用原期限）")


class KindRead(BaseModel):
    code: str
    label: str


class AttachmentRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    file_name: str
    size: int
    content_type: str
    sha256: str | None
    stored: bool


class FeedbackRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    at: dt.datetime
    user_id: int | None
    user_name: str
    unit_id: int
    text: str
    attachments: list[AttachmentRead]


class HistoryRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    at: dt.datetime
    actor_user_id: int | None
    actor_name: str
    action: str
    action_label: str
    from_status: str | None
    to_status: str
    comment: str

    @classmethod
    def of(cls, entry: WorkOrderHistory) -> HistoryRead:
        return cls(
            id=entry.id,
            at=entry.at,
            actor_user_id=entry.actor_user_id,
            actor_name=entry.actor_name,
            action=entry.action,
            action_label=ACTION_LABELS.get(entry.action, entry.action),
            from_status=entry.from_status,
            to_status=entry.to_status,
            comment=entry.comment,
        )


class WorkOrderRead(BaseModel):
    id: int
    number: str
    kind: str
    kind_label: str
    title: str
    description: str
    priority: WorkOrderPriority
    priority_label: str
    status: WorkOrderStatus
    status_label: str
    creator_unit_id: int
    creator_unit_name: str
    creator_user_id: int | None
    assignee_unit_id: int
    assignee_unit_name: str
    assignee_user_id: int | None
    assignee_user_name: str | None
    deadline: dt.datetime
    overdue: bool = Field(description="未办结且已过期限")
    escalation_level: int
    escalated_unit_id: int | None
    escalated_unit_name: str | None
    escalated_at: dt.datetime | None
    source_module: str | None
    source_id: str | None
    accepted_at: dt.datetime | None
    fed_back_at: dt.datetime | None
    finished_at: dt.datetime | None
    created_at: dt.datetime
    updated_at: dt.datetime

    @classmethod
    def of(cls, order: WorkOrder, now: dt.datetime | None = None) -> WorkOrderRead:
        return cls(**_fields(order, now or utcnow()))


class WorkOrderDetail(WorkOrderRead):
    actions: list[str] = Field(description="当前用户此刻可执行的操作")
    history: list[HistoryRead]
    feedback: list[FeedbackRead]

    @classmethod
    def build(
        cls,
        order: WorkOrder,
        *,
        actions: list[str],
        history: list[WorkOrderHistory],
        feedback: list[WorkOrderFeedback],
    ) -> WorkOrderDetail:
        return cls(
            **_fields(order, utcnow()),
            actions=actions,
            history=[HistoryRead.of(h) for h in history],
            feedback=[FeedbackRead.model_validate(f) for f in feedback],
        )


def _fields(order: WorkOrder, now: dt.datetime) -> dict[str, object]:
    escalated = order.escalated_unit
    return {
        "id": order.id,
        "number": order.number,
        "kind": order.kind,
        "kind_label": kind_label(order.kind),
        "title": order.title,
        "description": order.description,
        "priority": order.priority,
        "priority_label": PRIORITY_LABELS[order.priority],
        "status": order.status,
        "status_label": STATUS_LABELS[order.status],
        "creator_unit_id": order.creator_unit_id,
        "creator_unit_name": order.creator_unit.name,
        "creator_user_id": order.creator_user_id,
        "assignee_unit_id": order.assignee_unit_id,
        "assignee_unit_name": order.assignee_unit.name,
        "assignee_user_id": order.assignee_user_id,
        "assignee_user_name": order.assignee_user.full_name if order.assignee_user else None,
        "deadline": order.deadline,
        "overdue": is_overdue(order, now),
        "escalation_level": order.escalation_level,
        "escalated_unit_id": order.escalated_unit_id,
        "escalated_unit_name": escalated.name if escalated is not None else None,
        "escalated_at": order.escalated_at,
        "source_module": order.source_module,
        "source_id": order.source_id,
        "accepted_at": order.accepted_at,
        "fed_back_at": order.fed_back_at,
        "finished_at": order.finished_at,
        "created_at": order.created_at,
        "updated_at": order.updated_at,
    }


class WorkOrderPage(BaseModel):
    items: list[WorkOrderRead]
    total: int
    offset: int
    limit: int
