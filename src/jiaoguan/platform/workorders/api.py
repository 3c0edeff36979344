"""Work-order API: list, detail with history and feedback, create, and one POST per action."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Path, Query
from sqlalchemy.orm import Session

from jiaoguan.platform.auth.permissions import (
    WORKORDER_CREATE,
    WORKORDER_HANDLE,
    WORKORDER_READ,
    WORKORDER_REVIEW,
)
from jiaoguan.platform.auth.service import Principal
from jiaoguan.platform.deps import Db, require
from jiaoguan.platform.workorders import jobs as _jobs  # noqa: F401 - registers the escalation loop
from jiaoguan.platform.workorders import queries, service
from jiaoguan.platform.workorders.models import WorkOrder, WorkOrderStatus
from jiaoguan.platform.workorders.schemas import (
    MAX_ID,
    ApproveIn,
    FeedbackIn,
    KindRead,
    ReasonIn,
    ReassignIn,
    WorkOrderCreate,
    WorkOrderDetail,
    WorkOrderPage,
    WorkOrderRead,
)

router = APIRouter(prefix="/api/v1/workorders", tags=["工单"])

Reader = Annotated[Principal, Depends(require(WORKORDER_READ))]
Creator = Annotated[Principal, Depends(require(WORKORDER_CREATE))]
Handler = Annotated[Principal, Depends(require(WORKORDER_HANDLE))]
Reviewer = Annotated[Principal, Depends(require(WORKORDER_REVIEW))]
OrderId = Annotated[int, Path(ge=1, le=MAX_ID, description="工单编号（内部 id）")]
Sort = Literal[
    "-created_at", "created_at", "deadline", "-deadline", "-priority", "priority", "number"
]


def work_order_query(
    status: Annotated[list[WorkOrderStatus] | None, Query(description="状态，可多选")] = None,
    kind: Annotated[str | None, Query(max_length=32, description="工单类型代码")] = None,
    mine: Annotated[
        bool, Query(description="只看与我有关的：派给我（或我单位）或我创建的")
    ] = False,
    overdue: Annotated[bool, Query(description="只看超期未办结的")] = False,
    unit: Annotated[int | None, Query(ge=1, le=MAX_ID, description="处理单位（含下级）")] = None,
    q: Annotated[str | None, Query(max_length=100, description="关键字：编号或标题")] = None,
    sort: Annotated[Sort, Query(description="排序，前缀 - 为倒序")] = "-created_at",
) -> queries.WorkOrderQuery:
    return queries.WorkOrderQuery(
        status=tuple(status or ()),
        kind=kind or None,
        mine=mine,
        overdue=overdue,
        unit_id=unit,
        q=(q or "").strip() or None,
        sort=sort,
    )


Filters = Annotated[queries.WorkOrderQuery, Depends(work_order_query)]
Offset = Annotated[int, Query(ge=0, le=10_000_000)]
Limit = Annotated[int, Query(ge=1, le=500)]


def detail_of(db: Session, principal: Principal, order: WorkOrder) -> WorkOrderDetail:
    return WorkOrderDetail.build(
        order,
        actions=service.allowed_actions(principal, order),
        history=queries.history_of(db, order),
        feedback=queries.feedback_of(db, order),
    )


@router.get("", response_model=WorkOrderPage, summary="工单列表（筛选、排序、分页）")
def list_orders(
    db: Db, principal: Reader, filters: Filters, offset: Offset = 0, limit: Limit = 50
) -> WorkOrderPage:
    rows, total = queries.search(db, principal, filters, offset=offset, limit=limit)
    return WorkOrderPage(
        items=[WorkOrderRead.of(r) for r in rows], total=total, offset=offset, limit=limit
    )


@router.get("/kinds", response_model=list[KindRead], summary="工单类型")
def list_kinds(principal: Reader) -> list[KindRead]:
    return [KindRead(code=code, label=label) for code, label in service.KINDS.items()]


@router.get("/{order_id}", response_model=WorkOrderDetail, summary="工单详情（含流转记录与反馈）")
def get_order(order_id: OrderId, db: Db, principal: Reader) -> WorkOrderDetail:
    return detail_of(db, principal, service.get_order(db, principal, order_id))


@router.post("", response_model=WorkOrderDetail, status_code=201, summary="创建并派发工单")
def create_order(body: WorkOrderCreate, db: Db, principal: Creator) -> WorkOrderDetail:
    source = (body.source_module, body.source_id) if body.source_module and body.source_id else None
    order = service.open_work_order(
        db,
        principal,
        kind=body.kind,
        title=body.title,
        description=body.description,
        assignee_unit_id=body.assignee_unit_id,
        assignee_user_id=body.assignee_user_id,
        deadline=body.deadline,
        priority=body.priority,
        source=source,
    )
    return detail_of(db, principal, order)


@router.post("/{order_id}/accept", response_model=WorkOrderDetail, summary="签收工单")
def accept_order(order_id: OrderId, db: Db, principal: Handler) -> WorkOrderDetail:
    return detail_of(db, principal, service.accept(db, principal, order_id))


@router.post("/{order_id}/feedback", response_model=WorkOrderDetail, summary="反馈办理情况")
def feed_back(order_id: OrderId, body: FeedbackIn, db: Db, principal: Handler) -> WorkOrderDetail:
    attachments = [a.meta() for a in body.attachments]
    order = service.feed_back(db, principal, order_id, text=body.text, attachments=attachments)
    return detail_of(db, principal, order)


@router.post("/{order_id}/approve", response_model=WorkOrderDetail, summary="审核通过并办结")
def approve_order(
    order_id: OrderId, body: ApproveIn, db: Db, principal: Reviewer
) -> WorkOrderDetail:
    order = service.approve(db, principal, order_id, comment=body.comment)
    return detail_of(db, principal, order)


@router.post("/{order_id}/reject", response_model=WorkOrderDetail, summary="审核退回")
def reject_order(order_id: OrderId, body: ReasonIn, db: Db, principal: Reviewer) -> WorkOrderDetail:
    order = service.reject(db, principal, order_id, reason=body.reason)
    return detail_of(db, principal, order)


@router.post("/{order_id}/reassign", response_model=WorkOrderDetail, summary="改派工单")
def reassign_order(
    order_id: OrderId, body: ReassignIn, db: Db, principal: Creator
) -> WorkOrderDetail:
    order = service.reassign(
        db,
        principal,
        order_id,
        assignee_unit_id=body.assignee_unit_id,
        assignee_user_id=body.assignee_user_id,
        reason=body.reason,
        deadline=body.deadline,
    )
    return detail_of(db, principal, order)


@router.post("/{order_id}/cancel", response_model=WorkOrderDetail, summary="撤销工单")
def cancel_order(order_id: OrderId, body: ReasonIn, db: Db, principal: Creator) -> WorkOrderDetail:
    order = service.cancel(db, principal, order_id, reason=body.reason)
    return detail_of(db, principal, order)
