"""Pages of watchlists (布控) and alerts (预警), and the restriction-rule registry pages.

Forms post normally; success redirects to the detail page with a message, a refusal re-renders the
page with the Chinese reason and the error's status code.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Form, Path, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import ValidationError

from jiaoguan.checkpoint import alerts, watchlists
from jiaoguan.checkpoint import watch_api as _convertor  # noqa: F401 - the {watch_id:watch} segment
from jiaoguan.checkpoint.matcher import MATCH_KIND_LABELS, load_index
from jiaoguan.checkpoint.restrictions import RULES
from jiaoguan.checkpoint.watch_models import (
    ALERT_KIND_LABELS,
    ALERT_RESULT_LABELS,
    AUTOMATIC_KINDS,
    WATCH_KIND_LABELS,
    WATCH_SOURCE_LABELS,
    WATCH_STATUS_LABELS,
    AlertKind,
    AlertResult,
    WatchKind,
    WatchStatus,
)
from jiaoguan.platform.auth.permissions import (
    ALERT_HANDLE,
    CHECKPOINT_READ,
    WATCHLIST_APPLY,
    WATCHLIST_APPROVE,
    WORKORDER_REVIEW,
)
from jiaoguan.platform.auth.service import Principal
from jiaoguan.platform.crud import page_router
from jiaoguan.platform.crud.fields import MAX_ID
from jiaoguan.platform.db import utcnow
from jiaoguan.platform.deps import Db, require
from jiaoguan.platform.errors import DomainError, Invalid
from jiaoguan.registry.validators import normalise_plate
from jiaoguan.web.templating import render

router = APIRouter(include_in_schema=False)
Reader = Annotated[Principal, Depends(require(CHECKPOINT_READ))]
Applicant = Annotated[Principal, Depends(require(WATCHLIST_APPLY))]
Approver = Annotated[Principal, Depends(require(WATCHLIST_APPROVE))]
AlertHandler = Annotated[Principal, Depends(require(ALERT_HANDLE))]
Reviewer = Annotated[Principal, Depends(require(WORKORDER_REVIEW))]
ItemId = Annotated[int, Path(ge=1, le=MAX_ID)]
Offset = Annotated[int, Query(ge=0, le=10_000_000)]
PAGE_SIZE = 30
BEIJING = dt.timezone(dt.timedelta(hours=8))

WATCH_TABS = [
    ("active", "布控中"),
    ("pending", "待审批"),
    ("refused", "未通过"),
    ("withdrawn", "已撤控"),
    ("all", "全部"),
]
ALERT_TABS = [("open", "未办结"), ("done", "已办结"), ("all", "全部")]
DONE = {
    "applied": "已提交布控申请，等待审批",
    "approved": "已批准，布控生效",
    "refused": "已驳回",
    "withdrawn": "已撤控",
    "sign": "已签收，请组织拦查",
    "report": "已反馈拦截结果，等待审核",
    "review": "已审核",
}


def _labels() -> dict[str, Any]:
    return {
        "watch_kind_labels": {k.value: v for k, v in WATCH_KIND_LABELS.items()},
        "watch_status_labels": {k.value: v for k, v in WATCH_STATUS_LABELS.items()},
        "watch_source_labels": {k.value: v for k, v in WATCH_SOURCE_LABELS.items()},
        "alert_kind_labels": {k.value: v for k, v in ALERT_KIND_LABELS.items()},
        "alert_result_labels": {k.value: v for k, v in ALERT_RESULT_LABELS.items()},
        "match_kind_labels": MATCH_KIND_LABELS,
    }


def _flash(done: str | None, error: DomainError | None = None) -> list[tuple[str, str]]:
    out: list[tuple[str, str]] = []
    if done in DONE:
        out.append(("success", DONE[done]))
    if error is not None:
        out.append(("danger", error.message))
    return out


# --- watches ---------------------------------------------------------------------------------


@router.get("/checkpoint/watches", response_class=HTMLResponse)
def watch_list(
    request: Request,
    db: Db,
    principal: Reader,
    tab: Literal["active", "pending", "refused", "withdrawn", "all"] = "active",
    kind: WatchKind | None = None,
    plate: Annotated[str | None, Query(max_length=16)] = None,
    offset: Offset = 0,
) -> Response:
    status = None if tab == "all" else WatchStatus(tab)
    query = watchlists.WatchQuery(status=status, kind=kind, plate=plate or None)
    rows, total = watchlists.search(db, principal, query, offset=offset, limit=PAGE_SIZE)
    context = {
        "title": "布控库",
        "pretitle": "缉查布控",
        "rows": rows,
        "total": total,
        "offset": offset,
        "limit": PAGE_SIZE,
        "tab": tab,
        "tabs": WATCH_TABS,
        "counts": watchlists.counts(db, principal),
        "filters": {"kind": kind.value if kind else "", "plate": plate or ""},
        "now": utcnow(),
        "can_apply": principal.can(WATCHLIST_APPLY),
        "can_approve": principal.can(WATCHLIST_APPROVE),
        "flash": _flash(request.query_params.get("done")) + _refreshed(request),
        **_labels(),
    }
    return render(request, "checkpoint/watch_list.html", context)


def _refreshed(request: Request) -> list[tuple[str, str]]:
    added, withdrawn = (request.query_params.get(k, "") for k in ("added", "withdrawn"))
    if not (added.isdigit() and withdrawn.isdigit()):
        return []
    return [("success", f"已按车管台账同步：新增 {added} 条，自动撤控 {withdrawn} 条")]


@router.get("/checkpoint/watches/match", response_class=HTMLResponse)
def match_preview(
    request: Request,
    db: Db,
    principal: Reader,
    plate: Annotated[str, Query(max_length=16)] = "",
) -> Response:
    """The watches a read plate would hit, and how (htmx partial of the list page)."""
    read = normalise_plate(plate)
    found = load_index(db, utcnow()).match_plate(read, at_ts=utcnow().timestamp()) if read else []
    context = {"read": read, "found": found, **_labels()}
    return render(request, "checkpoint/watch_match.html", context)


def _apply_page(
    request: Request, values: dict[str, str], error: DomainError | None = None, status: int = 200
) -> Response:
    later = (utcnow() + dt.timedelta(days=30)).astimezone(BEIJING).strftime("%Y-%m-%dT%H:%M")
    context = {
        "title": "申请布控",
        "pretitle": "缉查布控",
        "kinds": [(k.value, v) for k, v in WATCH_KIND_LABELS.items() if k not in AUTOMATIC_KINDS],
        "values": {"ends_at": later, "fuzzy": "true", **values},
        "error": error,
        **_labels(),
    }
    return render(request, "checkpoint/watch_new.html", context, status_code=status)


@router.get("/checkpoint/watches/new", response_class=HTMLResponse)
def watch_new(request: Request, principal: Applicant) -> Response:
    return _apply_page(request, {})


def _local_time(value: str, field: str) -> dt.datetime | None:
    value = value.strip()
    if not value:
        return None
    try:
        parsed = dt.datetime.fromisoformat(value)
    except ValueError:
        raise Invalid("时间格式不正确", ["body", field]) from None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=BEIJING)


@router.post("/checkpoint/watches/new", response_class=HTMLResponse)
def watch_create(
    request: Request,
    db: Db,
    principal: Applicant,
    plate_no: Annotated[str, Form(max_length=16)] = "",
    plate_color: Annotated[str, Form(max_length=16)] = "",
    kind: Annotated[str, Form(max_length=24)] = "",
    reason: Annotated[str, Form(max_length=2000)] = "",
    starts_at: Annotated[str, Form(max_length=32)] = "",
    ends_at: Annotated[str, Form(max_length=32)] = "",
    fuzzy: Annotated[str, Form(max_length=8)] = "",
) -> Response:
    values = {
        "plate_no": plate_no,
        "plate_color": plate_color,
        "kind": kind,
        "reason": reason,
        "starts_at": starts_at,
        "ends_at": ends_at,
        "fuzzy": fuzzy,
    }
    try:
        data = watchlists.WatchApply(
            plate_no=plate_no,
            plate_color=plate_color or None,
            kind=kind,
            reason=reason,
            starts_at=_local_time(starts_at, "starts_at"),
            ends_at=_local_time(ends_at, "ends_at"),
            fuzzy=fuzzy == "true",
        )
        watch = watchlists.apply(db, principal, data)
    except ValidationError as exc:
        first = exc.errors()[0]
        name = str(first["loc"][0]) if first["loc"] else ""
        label = {
            "plate_no": "号牌号码",
            "kind": "布控类型",
            "reason": "布控事由",
            "ends_at": "结束时间",
        }
        message = f"{label.get(name, name)}：{first['msg'].removeprefix('Value error, ')}"
        return _apply_page(request, values, Invalid(message, ["body", name]), 422)
    except DomainError as exc:
        db.rollback()
        return _apply_page(request, values, exc, exc.status_code)
    return RedirectResponse(f"/checkpoint/watches/{watch.id}?done=applied", status_code=303)


def _watch_page(
    request: Request, db: Db, principal: Principal, watch_id: int, error: DomainError | None = None
) -> Response:
    watch = watchlists.get_watch(db, principal, watch_id)
    related, _total = alerts.search(
        db, principal, alerts.AlertQuery(state="all", watch_id=watch.id), limit=20
    )
    context = {
        "title": f"布控 {watch.plate_no}",
        "pretitle": "缉查布控 · 布控库",
        "watch": watch,
        "related": related,
        "can_decide": principal.can(WATCHLIST_APPROVE)
        and watch.status == WatchStatus.pending
        and watch.applicant_user_id != principal.user_id,
        "can_withdraw": principal.can(WATCHLIST_APPLY)
        and watch.status in (WatchStatus.pending, WatchStatus.active),
        "flash": _flash(request.query_params.get("done"), error),
        **_labels(),
    }
    status = error.status_code if error is not None else 200
    return render(request, "checkpoint/watch_detail.html", context, status_code=status)


@router.get("/checkpoint/watches/{watch_id:watch}", response_class=HTMLResponse)
def watch_detail(request: Request, db: Db, principal: Reader, watch_id: ItemId) -> Response:
    return _watch_page(request, db, principal, watch_id)


@router.post("/checkpoint/watches/{watch_id:watch}/decision", response_class=HTMLResponse)
def watch_decide(
    request: Request,
    db: Db,
    principal: Approver,
    watch_id: ItemId,
    approve: Annotated[str, Form(max_length=8)] = "",
    comment: Annotated[str, Form(max_length=1000)] = "",
) -> Response:
    try:
        data = watchlists.WatchDecision(approve=approve == "true", comment=comment)
        watchlists.decide(db, principal, watch_id, data)
    except DomainError as exc:
        db.rollback()
        return _watch_page(request, db, principal, watch_id, exc)
    done = "approved" if approve == "true" else "refused"
    return RedirectResponse(f"/checkpoint/watches/{watch_id}?done={done}", status_code=303)


@router.post("/checkpoint/watches/{watch_id:watch}/withdraw", response_class=HTMLResponse)
def watch_withdraw(
    request: Request,
    db: Db,
    principal: Applicant,
    watch_id: ItemId,
    reason: Annotated[str, Form(max_length=1000)] = "",
) -> Response:
    try:
        watchlists.withdraw(db, principal, watch_id, reason)
    except DomainError as exc:
        db.rollback()
        return _watch_page(request, db, principal, watch_id, exc)
    return RedirectResponse(f"/checkpoint/watches/{watch_id}?done=withdrawn", status_code=303)


@router.post("/checkpoint/watches/refresh", response_class=HTMLResponse)
def watch_refresh(request: Request, db: Db, principal: Approver) -> Response:
    report = watchlists.refresh_registry_watches(db, principal)
    target = f"/checkpoint/watches?added={report.added}&withdrawn={report.withdrawn}"
    return RedirectResponse(target, status_code=303)


# --- alerts ----------------------------------------------------------------------------------


@router.get("/checkpoint/alerts", response_class=HTMLResponse)
def alert_list(
    request: Request,
    db: Db,
    principal: Reader,
    tab: Literal["open", "done", "all"] = "open",
    kind: AlertKind | None = None,
    plate: Annotated[str | None, Query(max_length=16)] = None,
    offset: Offset = 0,
) -> Response:
    query = alerts.AlertQuery(kind=kind, state=tab, plate=plate or None)
    rows, total = alerts.search(db, principal, query, offset=offset, limit=PAGE_SIZE)
    context = {
        "title": "预警处置",
        "pretitle": "缉查布控",
        "rows": rows,
        "total": total,
        "offset": offset,
        "limit": PAGE_SIZE,
        "tab": tab,
        "tabs": ALERT_TABS,
        "filters": {"kind": kind.value if kind else "", "plate": plate or ""},
        "status_label": alerts.status_label,
        **_labels(),
    }
    partial = request.headers.get("hx-request") and request.headers.get("hx-target") == "alert-rows"
    template = "checkpoint/watch_alert_rows.html" if partial else "checkpoint/watch_alerts.html"
    return render(request, template, context)


def _alert_page(
    request: Request, db: Db, principal: Principal, alert_id: int, error: DomainError | None = None
) -> Response:
    alert = alerts.get_alert(db, principal, alert_id)
    points = [
        {"lon": s.lon, "lat": s.lat, "at": s.passed_at.isoformat(), "note": s.note or "比中"}
        for s in alert.sightings
        if s.lon is not None and s.lat is not None
    ]
    context = {
        "title": f"预警 {alert.plate_no}",
        "pretitle": "缉查布控 · 预警处置",
        "alert": alert,
        "status": alerts.status_label(alert),
        "actions": alerts.allowed_actions(principal, alert),
        "results": [(r.value, ALERT_RESULT_LABELS[r]) for r in AlertResult],
        "points": points,
        "nexts": alert.detail.get("next_checkpoints", []),
        "flash": _flash(request.query_params.get("done"), error),
        **_labels(),
    }
    status = error.status_code if error is not None else 200
    return render(request, "checkpoint/watch_alert_detail.html", context, status_code=status)


@router.get("/checkpoint/alerts/{alert_id}", response_class=HTMLResponse)
def alert_detail(request: Request, db: Db, principal: Reader, alert_id: ItemId) -> Response:
    return _alert_page(request, db, principal, alert_id)


def _act(
    request: Request, db: Db, principal: Principal, alert_id: int, done: str, work: Any
) -> Response:
    try:
        work()
    except DomainError as exc:
        db.rollback()
        return _alert_page(request, db, principal, alert_id, exc)
    return RedirectResponse(f"/checkpoint/alerts/{alert_id}?done={done}", status_code=303)


@router.post("/checkpoint/alerts/{alert_id}/sign", response_class=HTMLResponse)
def alert_sign(request: Request, db: Db, principal: AlertHandler, alert_id: ItemId) -> Response:
    return _act(
        request, db, principal, alert_id, "sign", lambda: alerts.sign(db, principal, alert_id)
    )


@router.post("/checkpoint/alerts/{alert_id}/result", response_class=HTMLResponse)
def alert_result(
    request: Request,
    db: Db,
    principal: AlertHandler,
    alert_id: ItemId,
    result: Annotated[str, Form(max_length=16)] = "",
    note: Annotated[str, Form(max_length=1000)] = "",
) -> Response:
    def work() -> None:
        try:
            value = AlertResult(result)
        except ValueError:
            raise Invalid("请选择拦截结果", ["body", "result"]) from None
        alerts.report(db, principal, alert_id, result=value, note=note)

    return _act(request, db, principal, alert_id, "report", work)


@router.post("/checkpoint/alerts/{alert_id}/review", response_class=HTMLResponse)
def alert_review(
    request: Request,
    db: Db,
    principal: Reviewer,
    alert_id: ItemId,
    approve: Annotated[str, Form(max_length=8)] = "",
    comment: Annotated[str, Form(max_length=1000)] = "",
) -> Response:
    def work() -> None:
        alerts.review(db, principal, alert_id, approve=approve == "true", comment=comment)

    return _act(request, db, principal, alert_id, "review", work)


router.include_router(page_router(RULES))
