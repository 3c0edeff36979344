"""Work-order logic: open, the transitions, escalation of overdue orders, scope and search.

Every transition checks who may act, moves the status with a conditional UPDATE (so two people
acting at once cannot both succeed), and writes its history entry, audit entry, event and
notification in the caller's transaction.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, cast

from sqlalchemy import ColumnElement, CursorResult, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from jiaoguan.platform.audit.labels import register_audit_labels
from jiaoguan.platform.audit.service import record
from jiaoguan.platform.auth.models import OrgUnit, User, UserKind
from jiaoguan.platform.auth.permissions import (
    WORKORDER_CREATE,
    WORKORDER_HANDLE,
    WORKORDER_REVIEW,
)
from jiaoguan.platform.auth.service import Principal, principal_of, scope_units
from jiaoguan.platform.db import utcnow
from jiaoguan.platform.errors import Conflict, Forbidden, Invalid, NotFound
from jiaoguan.platform.events import emit
from jiaoguan.platform.push.service import notify_in
from jiaoguan.platform.workorders import events as ev
from jiaoguan.platform.workorders.models import (
    PENDING,
    STATUS_LABELS,
    WorkOrder,
    WorkOrderAttachment,
    WorkOrderCounter,
    WorkOrderFeedback,
    WorkOrderHistory,
    WorkOrderPriority,
    WorkOrderStatus,
)

BEIJING = dt.timezone(dt.timedelta(hours=8), "Asia/Shanghai")
MAX_DEADLINE_AHEAD = dt.timedelta(days=366)
MAX_ATTACHMENTS = 10
SYSTEM_NAME = "系统"

# --- kinds -------------------------------------------------------------------------------------

KINDS: dict[str, str] = {}
_KIND_CODE = re.compile(r"^[a-z][a-z0-9_]{1,31}$")


def register_kind(code: str, label: str) -> str:
    """Declare a kind of work order with its Chinese label, e.g. ("interception", "拦截处置")."""
    if not _KIND_CODE.match(code):
        raise ValueError(f"invalid work-order kind {code!r}: lowercase letters, digits, _")
    KINDS[code] = label
    return code


def kind_label(code: str) -> str:
    return KINDS.get(code, code)


GENERAL = register_kind("general", "一般事项")

# --- actions and their labels ---------------------------------------------------------------------

ACTION_LABELS: dict[str, str] = {
    "create": "创建派发",
    "accept": "签收",
    "feedback": "反馈",
    "approve": "审核通过",
    "reject": "退回",
    "reassign": "改派",
    "cancel": "撤销",
    "escalate": "超期升级",
}
# From which statuses each action may start.
ALLOWED_FROM: dict[str, frozenset[WorkOrderStatus]] = {
    "accept": frozenset({WorkOrderStatus.assigned}),
    "feedback": frozenset({WorkOrderStatus.accepted, WorkOrderStatus.rejected}),
    "approve": frozenset({WorkOrderStatus.fed_back}),
    "reject": frozenset({WorkOrderStatus.fed_back}),
    "reassign": PENDING,
    "cancel": PENDING | {WorkOrderStatus.fed_back},
}

register_audit_labels(
    resources={"work_order": "工单"},
    actions={k: v for k, v in ACTION_LABELS.items() if k != "create"},
)


@dataclass(frozen=True)
class AttachmentMeta:
    """A feedback attachment: metadata, and whether its content was stored (see uploads.py)."""

    file_name: str
    size: int
    content_type: str
    sha256: str | None = None
    stored: bool = False


# --- who may do what ---------------------------------------------------------------------------


def visible_clause(principal: Principal) -> ColumnElement[bool]:
    """Orders the principal may see: creator, assignee or escalated-to unit in scope, or named."""
    units = scope_units(principal)
    return or_(
        WorkOrder.creator_unit_id.in_(units),
        WorkOrder.assignee_unit_id.in_(units),
        WorkOrder.escalated_unit_id.in_(units),
        WorkOrder.assignee_user_id == principal.user_id,
    )


def _handles(principal: Principal, order: WorkOrder) -> bool:
    # The assignee side: members of the assignee unit's subtree, or the named person.
    return principal.can(WORKORDER_HANDLE) and (
        principal.unit_path.startswith(order.assignee_unit.path)
        or principal.user_id == order.assignee_user_id
    )


def _reviews(principal: Principal, order: WorkOrder) -> bool:
    return principal.can(WORKORDER_REVIEW) and principal.sees_path(order.creator_unit.path)


def _dispatches(principal: Principal, order: WorkOrder) -> bool:
    # The creator side, or the unit the order was escalated to (it steps in and re-dispatches).
    escalated = order.escalated_unit
    return principal.can(WORKORDER_CREATE) and (
        principal.sees_path(order.creator_unit.path)
        or (escalated is not None and principal.sees_path(escalated.path))
    )


def _cancels(principal: Principal, order: WorkOrder) -> bool:
    return principal.can(WORKORDER_CREATE) and (
        principal.user_id == order.creator_user_id or principal.sees_path(order.creator_unit.path)
    )


_MAY = {
    "accept": _handles,
    "feedback": _handles,
    "approve": _reviews,
    "reject": _reviews,
    "reassign": _dispatches,
    "cancel": _cancels,
}


def allowed_actions(principal: Principal, order: WorkOrder) -> list[str]:
    """What the principal may do with the order now (drives the buttons on the detail page)."""
    return [
        action
        for action, may in _MAY.items()
        if order.status in ALLOWED_FROM[action] and may(principal, order)
    ]


def check_action(actor: Principal | None, order: WorkOrder, action: str) -> None:
    """403 when the actor may not take this action on the order, 409 when its status forbids it."""
    label = ACTION_LABELS[action]
    if actor is not None and not _MAY[action](actor, order):
        raise Forbidden(f"无权{label}此工单", ["path", "order_id"])
    if order.status not in ALLOWED_FROM[action]:
        raise Conflict(
            f"工单当前状态为「{STATUS_LABELS[order.status]}」，不能{label}", ["path", "order_id"]
        )


def get_order(db: Session, principal: Principal | None, order_id: int) -> WorkOrder:
    """The order if the principal may see it (the system sees all); 404 otherwise."""
    stmt = select(WorkOrder).where(WorkOrder.id == order_id)
    if principal is not None:
        stmt = stmt.where(visible_clause(principal))
    order = db.scalar(stmt)
    if order is None:
        raise NotFound("工单不存在或不在数据权限范围内", ["path", "order_id"])
    return order


# --- numbers -----------------------------------------------------------------------------------


def next_number(db: Session, now: dt.datetime) -> str:
    """GD<Beijing date>-<sequence of that day>, from one atomic upsert (safe across processes)."""
    day = now.astimezone(BEIJING).strftime("%Y%m%d")
    dialect = db.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    stmt = (
        insert(WorkOrderCounter)
        .values(day=day, value=1)
        .on_conflict_do_update(
            index_elements=[WorkOrderCounter.day], set_={"value": WorkOrderCounter.value + 1}
        )
        .returning(WorkOrderCounter.value)
    )
    value = db.execute(stmt).scalar_one()
    return f"GD{day}-{value:04d}"


# --- validation helpers ------------------------------------------------------------------------


def _text(value: str, field_name: str, label: str, *, max_length: int, min_length: int = 1) -> str:
    value = (value or "").strip()
    if len(value) < min_length:
        raise Invalid(
            f"{label}不能为空" if min_length <= 1 else f"{label}至少 {min_length} 个字",
            ["body", field_name],
        )
    if len(value) > max_length:
        raise Invalid(f"{label}不能超过 {max_length} 个字", ["body", field_name])
    return value


def _deadline(value: dt.datetime, now: dt.datetime, field_name: str = "deadline") -> dt.datetime:
    if value.tzinfo is None:
        value = value.replace(tzinfo=BEIJING)  # a bare time is Beijing time, as users write it
    if value <= now:
        raise Invalid("期限须晚于当前时间", ["body", field_name])
    if value > now + MAX_DEADLINE_AHEAD:
        raise Invalid("期限不能超过一年", ["body", field_name])
    return value.astimezone(dt.UTC)


def _assignee(
    db: Session, actor: Principal | None, unit_id: int, user_id: int | None
) -> tuple[OrgUnit, User | None]:
    """The assignee unit (in the actor's scope) and optional person (in that unit, able to handle)."""
    unit = db.get(OrgUnit, unit_id)
    if unit is None or (actor is not None and not actor.sees_path(unit.path)):
        raise NotFound("组织机构不存在或不在数据权限范围内", ["body", "assignee_unit_id"])
    if user_id is None:
        return unit, None
    user = db.get(User, user_id)
    if user is None or not user.unit.path.startswith(unit.path):
        raise Invalid("指定的处理人不属于所选单位", ["body", "assignee_user_id"])
    if not user.is_active or user.kind == UserKind.device:
        raise Invalid("指定的处理人账号不可用", ["body", "assignee_user_id"])
    if not principal_of(user).can(WORKORDER_HANDLE):
        raise Invalid("指定的处理人没有签收工单的权限", ["body", "assignee_user_id"])
    return unit, user


def _source(source: tuple[str, object] | None) -> tuple[str | None, str | None]:
    if source is None:
        return None, None
    module, ref = source
    if not _KIND_CODE.match(module):
        raise Invalid("来源模块名称不正确", ["body", "source_module"])
    ref_text = str(ref)
    if not ref_text or len(ref_text) > 64:
        raise Invalid("来源编号应为 1–64 个字符", ["body", "source_id"])
    return module, ref_text


# --- transitions -------------------------------------------------------------------------------


def _actor_name(actor: Principal | None) -> str:
    return actor.full_name if actor is not None else SYSTEM_NAME


def _event_fields(order: WorkOrder, actor: Principal | None) -> dict[str, Any]:
    return {
        "order_id": order.id,
        "number": order.number,
        "kind": order.kind,
        "status": order.status.value,
        "actor_user_id": actor.user_id if actor is not None else None,
        "creator_unit_id": order.creator_unit_id,
        "assignee_unit_id": order.assignee_unit_id,
        "assignee_user_id": order.assignee_user_id,
        "source_module": order.source_module,
        "source_id": order.source_id,
        "unit_path": order.assignee_unit.path,
    }


def _log(
    db: Session,
    actor: Principal | None,
    order: WorkOrder,
    action: str,
    from_status: WorkOrderStatus | None,
    *,
    comment: str = "",
    detail: dict[str, Any] | None = None,
    now: dt.datetime,
) -> WorkOrderHistory:
    """The history entry and the audit entry of one transition."""
    entry = WorkOrderHistory(
        order_id=order.id,
        at=now,
        actor_user_id=actor.user_id if actor is not None else None,
        actor_name=_actor_name(actor),
        action=action,
        from_status=from_status.value if from_status is not None else None,
        to_status=order.status.value,
        comment=comment,
        detail=detail or {},
    )
    db.add(entry)
    audit_detail = {
        "number": order.number,
        "from": from_status.value if from_status is not None else None,
        "to": order.status.value,
        **({"comment": comment} if comment else {}),
        **(detail or {}),
    }
    record(db, actor, action, "work_order", order.id, detail=audit_detail)
    return entry


def _move(
    db: Session, order: WorkOrder, to_status: WorkOrderStatus, now: dt.datetime, **values: Any
) -> WorkOrderStatus:
    """Change the status only if nobody changed it since we read it; 409 otherwise."""
    seen = order.status
    stmt = (
        update(WorkOrder)
        .where(WorkOrder.id == order.id, WorkOrder.status == seen)
        .values(status=to_status, updated_at=now, **values)
        .execution_options(synchronize_session=False)
    )
    result = cast(CursorResult[Any], db.execute(stmt))
    if result.rowcount != 1:
        db.expire(order)  # someone else moved it first: tell what it is now
        raise Conflict(
            f"工单已被他人处理，当前状态为「{STATUS_LABELS[order.status]}」，请刷新后重试",
            ["path", "order_id"],
        )
    db.expire(order)  # reload everything, relationships included (the assignee may have changed)
    return seen


def _link(order: WorkOrder) -> str:
    return f"/workorders/{order.id}"


def _notify_assignee(db: Session, order: WorkOrder, title: str, level: str = "info") -> None:
    notify_in(
        db,
        title=title,
        body=order.title,
        link=_link(order),
        unit_path=order.assignee_unit.path,
        user_id=order.assignee_user_id,
        level=level,
        kind="workorder",
    )


def open_work_order(
    db: Session,
    actor: Principal | None,
    *,
    kind: str = GENERAL,
    title: str,
    description: str = "",
    assignee_unit_id: int,
    assignee_user_id: int | None = None,
    deadline: dt.datetime,
    priority: WorkOrderPriority | str = WorkOrderPriority.normal,
    source: tuple[str, object] | None = None,
    creator_unit_id: int | None = None,
    now: dt.datetime | None = None,
) -> WorkOrder:
    """Create an order and assign it. `actor` None is the system (an automatic alert); its
    creator unit is then `creator_unit_id`, by default the root unit. `now` is for seeding."""
    now = now or utcnow()
    if kind not in KINDS:
        raise Invalid(f"未知的工单类型：{kind}", ["body", "kind"])
    title = _text(title, "title", "标题", max_length=200)
    description = (description or "").strip()
    if len(description) > 5000:
        raise Invalid("描述不能超过 5000 个字", ["body", "description"])
    try:
        level = WorkOrderPriority(priority)
    except ValueError:
        raise Invalid("优先级取值不正确", ["body", "priority"]) from None
    deadline = _deadline(deadline, now)
    unit, user = _assignee(db, actor, assignee_unit_id, assignee_user_id)
    creator_unit = _creator_unit(db, actor, creator_unit_id)
    source_module, source_id = _source(source)
    order = WorkOrder(
        number=next_number(db, now),
        kind=kind,
        title=title,
        description=description,
        priority=level,
        status=WorkOrderStatus.assigned,
        creator_unit_id=creator_unit.id,
        creator_user_id=actor.user_id if actor is not None else None,
        assignee_unit_id=unit.id,
        assignee_user_id=user.id if user is not None else None,
        deadline=deadline,
        source_module=source_module,
        source_id=source_id,
        created_at=now,
        updated_at=now,
    )
    db.add(order)
    db.flush()
    whom = unit.name + (f"（{user.full_name}）" if user is not None else "")
    _log(db, actor, order, "create", None, comment=f"派发至{whom}", now=now)
    fields = _event_fields(order, actor)
    emit(db, ev.WorkOrderCreated(**fields, title=title, priority=level.value, deadline=deadline))
    emit(db, ev.WorkOrderAssigned(**fields, deadline=deadline))
    _notify_assignee(db, order, f"新工单 {order.number}：{title}", _priority_level(level))
    return order


def _creator_unit(db: Session, actor: Principal | None, unit_id: int | None) -> OrgUnit:
    if unit_id is None:
        unit_id = actor.unit_id if actor is not None else _root_id(db)
    unit = db.get(OrgUnit, unit_id)
    if unit is None or (actor is not None and not actor.sees_path(unit.path)):
        raise NotFound("创建单位不存在或不在数据权限范围内", ["body", "creator_unit_id"])
    return unit


def _root_id(db: Session) -> int:
    root = db.scalar(select(OrgUnit.id).where(OrgUnit.parent_id.is_(None)).order_by(OrgUnit.id))
    if root is None:
        raise Invalid("尚未建立组织机构", ["body", "creator_unit_id"])
    return root


def _priority_level(priority: WorkOrderPriority) -> str:
    return {"urgent": "danger", "high": "warning"}.get(priority.value, "info")


def accept(db: Session, actor: Principal | None, order_id: int) -> WorkOrder:
    """签收: the assignee side takes the order on."""
    order = get_order(db, actor, order_id)
    check_action(actor, order, "accept")
    now = utcnow()
    seen = _move(db, order, WorkOrderStatus.accepted, now, accepted_at=now)
    _log(db, actor, order, "accept", seen, now=now)
    emit(db, ev.WorkOrderAccepted(**_event_fields(order, actor)))
    return order


def feed_back(
    db: Session,
    actor: Principal | None,
    order_id: int,
    *,
    text: str,
    attachments: Sequence[AttachmentMeta] = (),
) -> WorkOrder:
    """反馈: what was done, with attachment metadata (and stored files from the page)."""
    order = get_order(db, actor, order_id)
    check_action(actor, order, "feedback")
    text = _text(text, "text", "反馈内容", max_length=5000)
    if len(attachments) > MAX_ATTACHMENTS:
        raise Invalid(f"附件不能超过 {MAX_ATTACHMENTS} 个", ["body", "attachments"])
    now = utcnow()
    seen = _move(db, order, WorkOrderStatus.fed_back, now, fed_back_at=now)
    feedback = WorkOrderFeedback(
        order_id=order.id,
        at=now,
        user_id=actor.user_id if actor is not None else None,
        user_name=_actor_name(actor),
        unit_id=actor.unit_id if actor is not None else order.assignee_unit_id,
        text=text,
        attachments=[
            WorkOrderAttachment(
                file_name=a.file_name,
                size=a.size,
                content_type=a.content_type,
                sha256=a.sha256,
                stored=a.stored,
            )
            for a in attachments
        ],
    )
    db.add(feedback)
    db.flush()
    files = [a.file_name for a in attachments]
    _log(db, actor, order, "feedback", seen, comment=text, detail={"attachments": files}, now=now)
    emit(
        db,
        ev.WorkOrderFedBack(
            **_event_fields(order, actor), feedback_id=feedback.id, attachments=len(files)
        ),
    )
    notify_in(
        db,
        title=f"工单 {order.number} 已反馈，待审核",
        body=f"{_actor_name(actor)}：{text[:200]}",
        link=_link(order),
        unit_path=order.creator_unit.path,
        kind="workorder",
    )
    return order


def approve(db: Session, actor: Principal | None, order_id: int, *, comment: str = "") -> WorkOrder:
    """审核通过 → 办结."""
    order = get_order(db, actor, order_id)
    check_action(actor, order, "approve")
    comment = (comment or "").strip()[:1000]
    now = utcnow()
    seen = _move(db, order, WorkOrderStatus.closed, now, finished_at=now)
    _log(db, actor, order, "approve", seen, comment=comment, now=now)
    fields = _event_fields(order, actor)
    emit(db, ev.WorkOrderApproved(**fields, comment=comment))
    emit(db, ev.WorkOrderClosed(**fields, closed_at=now))
    _notify_assignee(db, order, f"工单 {order.number} 已审核通过，办结", "success")
    return order


def reject(db: Session, actor: Principal | None, order_id: int, *, reason: str) -> WorkOrder:
    """退回: back to the assignee, who feeds back again."""
    order = get_order(db, actor, order_id)
    check_action(actor, order, "reject")
    reason = _text(reason, "reason", "退回原因", max_length=1000, min_length=2)
    now = utcnow()
    seen = _move(db, order, WorkOrderStatus.rejected, now)
    _log(db, actor, order, "reject", seen, comment=reason, now=now)
    emit(db, ev.WorkOrderRejected(**_event_fields(order, actor), reason=reason))
    _notify_assignee(db, order, f"工单 {order.number} 被退回：{reason[:60]}", "warning")
    return order


def reassign(
    db: Session,
    actor: Principal | None,
    order_id: int,
    *,
    assignee_unit_id: int,
    assignee_user_id: int | None = None,
    reason: str,
    deadline: dt.datetime | None = None,
) -> WorkOrder:
    """改派: to another unit or person; the new assignee signs for it again. A new deadline
    re-arms escalation."""
    order = get_order(db, actor, order_id)
    check_action(actor, order, "reassign")
    reason = _text(reason, "reason", "改派原因", max_length=1000, min_length=2)
    now = utcnow()
    unit, user = _assignee(db, actor, assignee_unit_id, assignee_user_id)
    user_id = user.id if user is not None else None
    if (unit.id, user_id) == (order.assignee_unit_id, order.assignee_user_id):
        raise Invalid("改派对象与当前处理单位、处理人相同", ["body", "assignee_unit_id"])
    new_deadline = _deadline(deadline, now) if deadline is not None else order.deadline
    previous_unit, previous_user = order.assignee_unit, order.assignee_user
    seen = _move(
        db,
        order,
        WorkOrderStatus.assigned,
        now,
        assignee_unit_id=unit.id,
        assignee_user_id=user_id,
        deadline=new_deadline,
        accepted_at=None,
    )
    before = previous_unit.name + (f"（{previous_user.full_name}）" if previous_user else "")
    after = unit.name + (f"（{user.full_name}）" if user is not None else "")
    detail = {"from_unit": before, "to_unit": after}
    _log(db, actor, order, "reassign", seen, comment=reason, detail=detail, now=now)
    emit(
        db,
        ev.WorkOrderReassigned(
            **_event_fields(order, actor),
            reason=reason,
            previous_unit_id=previous_unit.id,
            previous_user_id=previous_user.id if previous_user else None,
            deadline=new_deadline,
        ),
    )
    _notify_assignee(db, order, f"改派工单 {order.number}：{order.title}")
    return order


def cancel(db: Session, actor: Principal | None, order_id: int, *, reason: str) -> WorkOrder:
    """撤销: by the creator side, with a reason."""
    order = get_order(db, actor, order_id)
    check_action(actor, order, "cancel")
    reason = _text(reason, "reason", "撤销原因", max_length=1000, min_length=2)
    now = utcnow()
    seen = _move(db, order, WorkOrderStatus.cancelled, now, finished_at=now)
    _log(db, actor, order, "cancel", seen, comment=reason, now=now)
    emit(db, ev.WorkOrderCancelled(**_event_fields(order, actor), reason=reason))
    _notify_assignee(db, order, f"工单 {order.number} 已撤销：{reason[:60]}")
    return order


# --- escalation --------------------------------------------------------------------------------


def _due_clause(now: dt.datetime) -> ColumnElement[bool]:
    """Pending, past its deadline, and not yet escalated for this deadline."""
    return (
        WorkOrder.status.in_(PENDING)
        & (WorkOrder.deadline < now)
        & or_(
            WorkOrder.escalated_deadline.is_(None),
            WorkOrder.escalated_deadline != WorkOrder.deadline,
        )
    )


def overdue_ids(db: Session, now: dt.datetime | None = None) -> list[int]:
    """Orders due for escalation (ids, oldest deadline first)."""
    stmt = select(WorkOrder.id).where(_due_clause(now or utcnow())).order_by(WorkOrder.deadline)
    return list(db.scalars(stmt))


def escalate(db: Session, order_id: int, *, now: dt.datetime | None = None) -> WorkOrder | None:
    """升级 one overdue order to the parent of its assignee unit (the top unit stays itself).

    The conditional UPDATE is the guard: of several processes (or repeated runs) only the first
    matches the row; the others change nothing and get None.
    """
    now = now or utcnow()
    order = db.get(WorkOrder, order_id)
    if order is None:
        return None
    target = order.assignee_unit.parent or order.assignee_unit
    stmt = (
        update(WorkOrder)
        .where(
            WorkOrder.id == order.id,
            WorkOrder.escalation_level == order.escalation_level,
            _due_clause(now),
        )
        .values(
            escalation_level=WorkOrder.escalation_level + 1,
            escalated_unit_id=target.id,
            escalated_deadline=WorkOrder.deadline,
            escalated_at=now,
        )
        .execution_options(synchronize_session=False)
    )
    if cast(CursorResult[Any], db.execute(stmt)).rowcount != 1:
        return None
    db.expire(order)
    late = _duration(now - order.deadline)
    comment = f"超期 {late} 未办结，第 {order.escalation_level} 次升级至{target.name}"
    detail = {"level": order.escalation_level, "escalated_unit": target.name}
    _log(db, None, order, "escalate", order.status, comment=comment, detail=detail, now=now)
    emit(
        db,
        ev.WorkOrderEscalated(
            **_event_fields(order, None),
            level=order.escalation_level,
            escalated_unit_id=target.id,
            deadline=order.deadline,
        ),
    )
    notify_in(
        db,
        title=f"工单 {order.number} 超期未办结，已升级",
        body=f"{order.title}（处理单位：{order.assignee_unit.name}）",
        link=_link(order),
        unit_path=target.path,
        level="warning",
        kind="workorder",
    )
    return order


def escalate_overdue(db: Session, *, now: dt.datetime | None = None) -> list[WorkOrder]:
    """Escalate every order due now, in the caller's transaction; returns those escalated."""
    now = now or utcnow()
    done = [escalate(db, order_id, now=now) for order_id in overdue_ids(db, now)]
    return [order for order in done if order is not None]


def _duration(delta: dt.timedelta) -> str:
    minutes = max(0, int(delta.total_seconds() // 60))
    days, rest = divmod(minutes, 24 * 60)
    hours, minutes = divmod(rest, 60)
    if days:
        return f"{days} 天 {hours} 小时"
    if hours:
        return f"{hours} 小时 {minutes} 分钟"
    return f"{minutes} 分钟"
