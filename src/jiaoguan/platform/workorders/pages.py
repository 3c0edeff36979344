"""Work-order pages: the list with status tabs, the new-order form, the detail with its actions.

The action forms post with htmx and get the detail panel back (with a message, or the refusal in
Chinese); without JavaScript they post normally and are redirected to the detail page.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, File, Form, Path, Query, Request, UploadFile
from fastapi.responses import FileResponse, HTMLResponse, RedirectResponse, Response
from sqlalchemy.orm import Session

from jiaoguan.platform.auth.permissions import (
    WORKORDER_CREATE,
    WORKORDER_HANDLE,
    WORKORDER_READ,
    WORKORDER_REVIEW,
)
from jiaoguan.platform.auth.service import Principal
from jiaoguan.platform.db import utcnow
from jiaoguan.platform.deps import AppSettings, Db, require
from jiaoguan.platform.errors import DomainError, Invalid, NotFound
from jiaoguan.platform.workorders import queries, service, uploads
from jiaoguan.platform.workorders.models import (
    PRIORITY_LABELS,
    STATUS_LABELS,
    WorkOrder,
    WorkOrderPriority,
    WorkOrderStatus,
)
from jiaoguan.platform.workorders.schemas import MAX_ID
from jiaoguan.web.dashboard import Counter, counter_source
from jiaoguan.web.templating import render

router = APIRouter(include_in_schema=False)

Reader = Annotated[Principal, Depends(require(WORKORDER_READ))]
Creator = Annotated[Principal, Depends(require(WORKORDER_CREATE))]
Handler = Annotated[Principal, Depends(require(WORKORDER_HANDLE))]
Reviewer = Annotated[Principal, Depends(require(WORKORDER_REVIEW))]
OrderId = Annotated[int, Path(ge=1, le=MAX_ID)]

TABS: list[tuple[str, str]] = [
    ("open", "进行中"),
    ("assigned", "待签收"),
    ("accepted", "处理中"),
    ("rejected", "已退回"),
    ("fed_back", "待审核"),
    ("overdue", "超期"),
    ("closed", "已办结"),
    ("cancelled", "已撤销"),
    ("all", "全部"),
]
Tab = Literal[
    "open", "assigned", "accepted", "rejected", "fed_back", "overdue", "closed", "cancelled", "all"
]
Sort = Literal[
    "-created_at", "created_at", "deadline", "-deadline", "-priority", "priority", "number"
]
SORT_LABELS = {
    "-created_at": "最新创建",
    "deadline": "期限最近",
    "-priority": "优先级高",
    "number": "编号",
}
PAGE_SIZE = 30
_OPEN = tuple(
    s for s in WorkOrderStatus if s not in (WorkOrderStatus.closed, WorkOrderStatus.cancelled)
)
DONE_MESSAGES = {
    "accept": "已签收",
    "feedback": "已反馈，等待审核",
    "approve": "已审核通过，工单办结",
    "reject": "已退回处理单位",
    "reassign": "已改派",
    "cancel": "已撤销",
}


@counter_source
def _workorder_counters(db: Session, principal: Principal) -> list[Counter]:
    if not principal.can(WORKORDER_READ):
        return []
    counts = queries.counts(db, principal)
    return [
        Counter("进行中工单", counts["open"], "/workorders", "ti-checklist", "orange"),
        Counter("超期工单", counts["overdue"], "/workorders?tab=overdue", "ti-alarm", "red"),
    ]


def _template_globals() -> dict[str, Any]:
    return {
        "status_labels": {s.value: label for s, label in STATUS_LABELS.items()},
        "priority_labels": {p.value: label for p, label in PRIORITY_LABELS.items()},
        "kinds": service.KINDS,
        "action_labels": service.ACTION_LABELS,
    }


def _query_for(tab: str) -> tuple[tuple[WorkOrderStatus, ...], bool]:
    if tab == "open":
        return _OPEN, False
    if tab == "overdue":
        return (), True
    if tab == "all":
        return (), False
    return (WorkOrderStatus(tab),), False


def _unit_param(value: str | None) -> int | None:
    value = (value or "").strip()
    if not value:
        return None
    if not value.isdigit() or int(value) > MAX_ID:
        raise Invalid("单位编号应为整数", ["query", "unit"])
    return int(value)


@router.get("/workorders", response_class=HTMLResponse)
def list_page(
    request: Request,
    db: Db,
    principal: Reader,
    tab: Tab = "open",
    kind: Annotated[str | None, Query(max_length=32)] = None,
    q: Annotated[str | None, Query(max_length=100)] = None,
    unit: Annotated[str | None, Query(max_length=12)] = None,
    mine: bool = False,
    sort: Sort = "-created_at",
    offset: Annotated[int, Query(ge=0, le=10_000_000)] = 0,
) -> Response:
    statuses, overdue = _query_for(tab)
    query = queries.WorkOrderQuery(
        status=statuses,
        kind=kind or None,
        mine=mine,
        overdue=overdue,
        unit_id=_unit_param(unit),
        q=(q or "").strip() or None,
        sort=sort,
    )
    now = utcnow()
    rows, total = queries.search(db, principal, query, offset=offset, limit=PAGE_SIZE, now=now)
    context = {
        "title": "工单",
        "pretitle": "闭环任务",
        "rows": rows,
        "total": total,
        "offset": offset,
        "limit": PAGE_SIZE,
        "tab": tab,
        "tabs": TABS,
        "counts": queries.counts(db, principal, now),
        "filters": {
            "kind": kind or "",
            "q": q or "",
            "unit": unit or "",
            "mine": mine,
            "sort": sort,
        },
        "sort_labels": SORT_LABELS,
        "units": queries.units_in_scope(db, principal),
        "now": now,
        "can_create": principal.can(WORKORDER_CREATE),
        **_template_globals(),
    }
    partial = request.headers.get("hx-request") and request.headers.get("hx-target") == "wo-rows"
    return render(request, "workorders/_rows.html" if partial else "workorders/list.html", context)


# --- new order ---------------------------------------------------------------------------------


def _default_deadline() -> str:
    later = utcnow().astimezone(service.BEIJING) + dt.timedelta(days=1)
    return later.replace(minute=0, second=0, microsecond=0).strftime("%Y-%m-%dT%H:%M")


def _parse_deadline(value: str) -> dt.datetime | None:
    """The form's datetime-local value (Beijing time); None when left blank."""
    value = (value or "").strip()
    if not value:
        return None
    try:
        parsed = dt.datetime.fromisoformat(value)
    except ValueError:
        raise Invalid("期限格式不正确", ["body", "deadline"]) from None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=service.BEIJING)  # the form shows Beijing time
    return parsed


def _optional_id(value: str, field: str) -> int | None:
    value = (value or "").strip()
    if not value:
        return None
    if not value.isdigit() or not 1 <= int(value) <= MAX_ID:
        raise Invalid("编号应为正整数", ["body", field])
    return int(value)


def _form_context(db: Session, principal: Principal, values: dict[str, Any]) -> dict[str, Any]:
    return {
        "title": "新建工单",
        "pretitle": "工单",
        "units": queries.units_in_scope(db, principal),
        "priorities": list(WorkOrderPriority),
        "values": values,
        **_template_globals(),
    }


@router.get("/workorders/new", response_class=HTMLResponse)
def new_page(request: Request, db: Db, principal: Creator) -> Response:
    values = {"kind": service.GENERAL, "priority": "normal", "deadline": _default_deadline()}
    return render(request, "workorders/new.html", _form_context(db, principal, values))


@router.post("/workorders/new", response_class=HTMLResponse)
def create_from_form(
    request: Request,
    db: Db,
    principal: Creator,
    title: Annotated[str, Form(max_length=200)],
    assignee_unit_id: Annotated[str, Form(max_length=12)],
    deadline: Annotated[str, Form(max_length=40)],
    kind: Annotated[str, Form(max_length=32)] = service.GENERAL,
    description: Annotated[str, Form(max_length=5000)] = "",
    priority: Annotated[str, Form(max_length=16)] = "normal",
    assignee_user_id: Annotated[str, Form(max_length=12)] = "",
) -> Response:
    values = {
        "title": title,
        "kind": kind,
        "description": description,
        "priority": priority,
        "assignee_unit_id": assignee_unit_id,
        "assignee_user_id": assignee_user_id,
        "deadline": deadline,
    }
    try:
        unit_id = _optional_id(assignee_unit_id, "assignee_unit_id")
        if unit_id is None:
            raise Invalid("请选择处理单位", ["body", "assignee_unit_id"])
        due = _parse_deadline(deadline)
        if due is None:
            raise Invalid("请填写办理期限", ["body", "deadline"])
        order = service.open_work_order(
            db,
            principal,
            kind=kind,
            title=title,
            description=description,
            assignee_unit_id=unit_id,
            assignee_user_id=_optional_id(assignee_user_id, "assignee_user_id"),
            deadline=due,
            priority=priority,
        )
    except DomainError as exc:
        db.rollback()
        context = _form_context(db, principal, values)
        context["flash"] = [("danger", exc.message)]
        return render(request, "workorders/new.html", context, status_code=exc.status_code)
    return RedirectResponse(f"/workorders/{order.id}", status_code=303)


@router.get("/workorders/assignees", response_class=HTMLResponse)
def assignee_options(
    request: Request,
    db: Db,
    principal: Creator,
    assignee_unit_id: Annotated[str | None, Query(max_length=12)] = None,
) -> Response:
    unit_id = _optional_id(assignee_unit_id or "", "assignee_unit_id")
    users = queries.assignable_users(db, principal, unit_id) if unit_id is not None else []
    return render(request, "workorders/_assignees.html", {"users": users})


# --- detail and actions ------------------------------------------------------------------------


def _detail_context(
    db: Session, principal: Principal, order: WorkOrder, flash: list[tuple[str, str]] | None = None
) -> dict[str, Any]:
    actions = service.allowed_actions(principal, order)
    return {
        "title": f"工单 {order.number}",
        "pretitle": "工单详情",
        "order": order,
        "overdue": queries.is_overdue(order),
        "actions": actions,
        "history": queries.history_of(db, order),
        "feedback": queries.feedback_of(db, order),
        "units": queries.units_in_scope(db, principal) if "reassign" in actions else [],
        "default_deadline": _default_deadline(),
        "notices": flash or [],
        **_template_globals(),
    }


@router.get("/workorders/{order_id}", response_class=HTMLResponse)
def detail_page(request: Request, order_id: OrderId, db: Db, principal: Reader) -> Response:
    order = service.get_order(db, principal, order_id)
    return render(request, "workorders/detail.html", _detail_context(db, principal, order))


def _act(
    request: Request,
    db: Session,
    principal: Principal,
    order_id: int,
    action: str,
    run: Callable[[], object],
) -> Response:
    """Run one action; answer htmx with the refreshed panel, plain forms with a redirect."""
    htmx = bool(request.headers.get("hx-request"))
    try:
        run()
    except DomainError as exc:
        if not htmx or isinstance(exc, NotFound):
            raise
        db.rollback()  # nothing of the refused action may be committed
        order = service.get_order(db, principal, order_id)
        context = _detail_context(db, principal, order, [("danger", exc.message)])
        return render(request, "workorders/_main.html", context)
    if not htmx:
        return RedirectResponse(f"/workorders/{order_id}", status_code=303)
    order = service.get_order(db, principal, order_id)
    context = _detail_context(db, principal, order, [("success", DONE_MESSAGES[action])])
    return render(request, "workorders/_main.html", context)


@router.post("/workorders/{order_id}/accept", response_class=HTMLResponse)
def accept_action(request: Request, order_id: OrderId, db: Db, principal: Handler) -> Response:
    return _act(
        request, db, principal, order_id, "accept", lambda: service.accept(db, principal, order_id)
    )


@router.post("/workorders/{order_id}/feedback", response_class=HTMLResponse)
def feedback_action(
    request: Request,
    order_id: OrderId,
    db: Db,
    principal: Handler,
    settings: AppSettings,
    text: Annotated[str, Form(max_length=5000)],
    files: Annotated[list[UploadFile] | None, File()] = None,
) -> Response:
    def run() -> object:
        # Refuse before storing anything when the order is not the principal's to feed back.
        service.check_action(principal, service.get_order(db, principal, order_id), "feedback")
        chosen = [f for f in files or [] if f.filename]
        uploads.check_count(len(chosen))
        root = uploads.uploads_root(settings.data_dir)
        stored = [uploads.store(root, f.file, f.filename, f.content_type) for f in chosen]
        return service.feed_back(db, principal, order_id, text=text, attachments=stored)

    return _act(request, db, principal, order_id, "feedback", run)


@router.post("/workorders/{order_id}/approve", response_class=HTMLResponse)
def approve_action(
    request: Request,
    order_id: OrderId,
    db: Db,
    principal: Reviewer,
    comment: Annotated[str, Form(max_length=1000)] = "",
) -> Response:
    return _act(
        request,
        db,
        principal,
        order_id,
        "approve",
        lambda: service.approve(db, principal, order_id, comment=comment),
    )


@router.post("/workorders/{order_id}/reject", response_class=HTMLResponse)
def reject_action(
    request: Request,
    order_id: OrderId,
    db: Db,
    principal: Reviewer,
    reason: Annotated[str, Form(max_length=1000)],
) -> Response:
    return _act(
        request,
        db,
        principal,
        order_id,
        "reject",
        lambda: service.reject(db, principal, order_id, reason=reason),
    )


@router.post("/workorders/{order_id}/reassign", response_class=HTMLResponse)
def reassign_action(
    request: Request,
    order_id: OrderId,
    db: Db,
    principal: Creator,
    assignee_unit_id: Annotated[str, Form(max_length=12)],
    reason: Annotated[str, Form(max_length=1000)],
    assignee_user_id: Annotated[str, Form(max_length=12)] = "",
    deadline: Annotated[str, Form(max_length=40)] = "",
) -> Response:
    def run() -> object:
        unit_id = _optional_id(assignee_unit_id, "assignee_unit_id")
        if unit_id is None:
            raise Invalid("请选择新的处理单位", ["body", "assignee_unit_id"])
        return service.reassign(
            db,
            principal,
            order_id,
            assignee_unit_id=unit_id,
            assignee_user_id=_optional_id(assignee_user_id, "assignee_user_id"),
            reason=reason,
            deadline=_parse_deadline(deadline),
        )

    return _act(request, db, principal, order_id, "reassign", run)


@router.post("/workorders/{order_id}/cancel", response_class=HTMLResponse)
def cancel_action(
    request: Request,
    order_id: OrderId,
    db: Db,
    principal: Creator,
    reason: Annotated[str, Form(max_length=1000)],
) -> Response:
    return _act(
        request,
        db,
        principal,
        order_id,
        "cancel",
        lambda: service.cancel(db, principal, order_id, reason=reason),
    )


@router.get("/workorders/{order_id}/attachments/{attachment_id}")
def download_attachment(
    order_id: OrderId,
    attachment_id: Annotated[int, Path(ge=1, le=MAX_ID)],
    db: Db,
    principal: Reader,
    settings: AppSettings,
) -> Response:
    attachment = queries.attachment_of(db, principal, order_id, attachment_id)
    if not attachment.stored or attachment.sha256 is None:
        raise NotFound("该附件只有登记信息，文件未上传到平台", ["path", "attachment_id"])
    path = uploads.stored_path(uploads.uploads_root(settings.data_dir), attachment.sha256)
    if not path.is_file():
        raise NotFound("附件文件已不在存储中", ["path", "attachment_id"])
    # Always a download, never rendered in our origin: the type is what the uploader claimed.
    return FileResponse(
        path,
        media_type=attachment.content_type,
        filename=attachment.file_name,
        content_disposition_type="attachment",
        headers={"X-Content-Type-Options": "nosniff", "Cache-Control": "private, no-store"},
    )
