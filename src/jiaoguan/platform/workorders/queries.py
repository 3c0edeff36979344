"""Reading work orders: search with filters, counts for tabs and the dashboard, the parts of one
order, and the units and people an order may go to. Scope is always the principal's."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, Select, case, func, or_, select
from sqlalchemy.orm import Session, selectinload

from jiaoguan.platform.auth.models import OrgUnit, User, UserKind
from jiaoguan.platform.auth.permissions import WORKORDER_HANDLE
from jiaoguan.platform.auth.service import Principal, principal_of
from jiaoguan.platform.db import utcnow
from jiaoguan.platform.errors import NotFound
from jiaoguan.platform.workorders.models import (
    FINISHED,
    PENDING,
    PRIORITY_RANK,
    WorkOrder,
    WorkOrderAttachment,
    WorkOrderFeedback,
    WorkOrderHistory,
    WorkOrderStatus,
)
from jiaoguan.platform.workorders.service import get_order, visible_clause


def is_overdue(order: WorkOrder, now: dt.datetime | None = None) -> bool:
    return order.status in PENDING and order.deadline < (now or utcnow())


def overdue_clause(now: dt.datetime) -> ColumnElement[bool]:
    return WorkOrder.status.in_(PENDING) & (WorkOrder.deadline < now)


@dataclass(frozen=True)
class WorkOrderQuery:
    status: tuple[WorkOrderStatus, ...] = ()
    kind: str | None = None
    # Assigned to me (by name, or to my own unit without a name) or created by me.
    mine: bool = False
    overdue: bool = False
    # Assignee unit in this unit's subtree.
    unit_id: int | None = None
    q: str | None = None
    sort: str = "-created_at"


def _filtered(
    db: Session, principal: Principal, query: WorkOrderQuery, now: dt.datetime
) -> Select[WorkOrder]:
    stmt = select(WorkOrder).where(visible_clause(principal))
    if query.status:
        stmt = stmt.where(WorkOrder.status.in_(query.status))
    if query.kind:
        stmt = stmt.where(WorkOrder.kind == query.kind)
    if query.mine:
        stmt = stmt.where(
            or_(
                WorkOrder.assignee_user_id == principal.user_id,
                (WorkOrder.assignee_unit_id == principal.unit_id)
                & WorkOrder.assignee_user_id.is_(None),
                WorkOrder.creator_user_id == principal.user_id,
            )
        )
    if query.overdue:
        stmt = stmt.where(overdue_clause(now))
    if query.unit_id is not None:
        unit = db.get(OrgUnit, query.unit_id)
        if unit is None or not principal.sees_path(unit.path):
            raise NotFound("组织机构不存在或不在数据权限范围内", ["query", "unit"])
        subtree = select(OrgUnit.id).where(OrgUnit.path.startswith(unit.path, autoescape=True))
        stmt = stmt.where(WorkOrder.assignee_unit_id.in_(subtree))
    if query.q:
        like = f"%{query.q}%"
        stmt = stmt.where(or_(WorkOrder.number.like(like), WorkOrder.title.like(like)))
    return stmt


def _ordering(sort: str) -> list[Any]:
    descending = sort.startswith("-")
    key = sort.lstrip("-")
    column: Any
    if key == "priority":
        column = case(
            {p.value: rank for p, rank in PRIORITY_RANK.items()}, value=WorkOrder.priority
        )
    elif key == "deadline":
        column = WorkOrder.deadline
    elif key == "number":
        column = WorkOrder.number
    else:
        column = WorkOrder.id  # creation order
    return [column.desc() if descending else column.asc(), WorkOrder.id.desc()]


def search(
    db: Session,
    principal: Principal,
    query: WorkOrderQuery,
    *,
    offset: int = 0,
    limit: int = 50,
    now: dt.datetime | None = None,
) -> tuple[list[WorkOrder], int]:
    now = now or utcnow()
    stmt = _filtered(db, principal, query, now)
    total = db.scalar(select(func.count()).select_from(stmt.subquery())) or 0
    rows = db.scalars(
        stmt.options(
            selectinload(WorkOrder.creator_unit),
            selectinload(WorkOrder.assignee_unit),
            selectinload(WorkOrder.assignee_user),
            selectinload(WorkOrder.escalated_unit),
        )
        .order_by(*_ordering(query.sort))
        .offset(offset)
        .limit(limit)
    ).all()
    return list(rows), total


def counts(db: Session, principal: Principal, now: dt.datetime | None = None) -> dict[str, int]:
    """Visible orders per status, plus `open` and `overdue`, for the tabs and the dashboard."""
    now = now or utcnow()
    by_status = dict(
        db.execute(
            select(WorkOrder.status, func.count(WorkOrder.id))
            .where(visible_clause(principal))
            .group_by(WorkOrder.status)
        ).all()
    )
    result = {status.value: int(by_status.get(status, 0)) for status in WorkOrderStatus}
    result["open"] = sum(n for s, n in result.items() if WorkOrderStatus(s) not in FINISHED)
    result["all"] = sum(int(n) for n in by_status.values())
    result["overdue"] = (
        db.scalar(
            select(func.count(WorkOrder.id)).where(visible_clause(principal), overdue_clause(now))
        )
        or 0
    )
    return result


def orders_for_source(db: Session, module: str, source_id: object) -> list[WorkOrder]:
    """Orders a module opened for one of its records, newest first (no scope: system use)."""
    stmt = select(WorkOrder).where(
        WorkOrder.source_module == module, WorkOrder.source_id == str(source_id)
    )
    return list(db.scalars(stmt.order_by(WorkOrder.id.desc())))


def history_of(db: Session, order: WorkOrder) -> list[WorkOrderHistory]:
    stmt = select(WorkOrderHistory).where(WorkOrderHistory.order_id == order.id)
    return list(db.scalars(stmt.order_by(WorkOrderHistory.id)))


def feedback_of(db: Session, order: WorkOrder) -> list[WorkOrderFeedback]:
    stmt = select(WorkOrderFeedback).where(WorkOrderFeedback.order_id == order.id)
    return list(db.scalars(stmt.order_by(WorkOrderFeedback.id)))


def attachment_of(
    db: Session, principal: Principal, order_id: int, attachment_id: int
) -> WorkOrderAttachment:
    """An attachment of a visible order; 404 for anything else."""
    order = get_order(db, principal, order_id)
    attachment = db.scalar(
        select(WorkOrderAttachment)
        .join(WorkOrderFeedback, WorkOrderFeedback.id == WorkOrderAttachment.feedback_id)
        .where(WorkOrderAttachment.id == attachment_id, WorkOrderFeedback.order_id == order.id)
    )
    if attachment is None:
        raise NotFound("附件不存在", ["path", "attachment_id"])
    return attachment


def units_in_scope(db: Session, principal: Principal) -> list[OrgUnit]:
    """Units the principal may assign to, in tree order (paths sort subtree by subtree)."""
    stmt = select(OrgUnit).where(OrgUnit.path.startswith(principal.unit_path, autoescape=True))
    return list(db.scalars(stmt.order_by(OrgUnit.path)))


def assignable_users(db: Session, principal: Principal, unit_id: int) -> list[User]:
    """Active people in the unit's subtree who may handle work orders."""
    unit = db.get(OrgUnit, unit_id)
    if unit is None or not principal.sees_path(unit.path):
        raise NotFound("组织机构不存在或不在数据权限范围内", ["query", "unit_id"])
    stmt = (
        select(User)
        .join(OrgUnit, OrgUnit.id == User.unit_id)
        .where(
            OrgUnit.path.startswith(unit.path, autoescape=True),
            User.is_active.is_(True),
            User.kind != UserKind.device,
        )
        .order_by(OrgUnit.path, User.id)
    )
    return [u for u in db.scalars(stmt) if principal_of(u).can(WORKORDER_HANDLE)]
