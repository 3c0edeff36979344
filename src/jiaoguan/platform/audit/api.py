"""Audit log API and pages: read and search only; nothing here can change an entry."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import HTMLResponse, Response

from jiaoguan.platform.audit.schemas import AuditPage, AuditRead
from jiaoguan.platform.audit.service import AuditQuery, search
from jiaoguan.platform.auth.permissions import AUDIT_READ
from jiaoguan.platform.auth.service import Principal
from jiaoguan.platform.deps import Db, require
from jiaoguan.web.templating import render

router = APIRouter(prefix="/api/v1/audit", tags=["审计"])
pages = APIRouter(include_in_schema=False)

Auditor = Annotated[Principal, Depends(require(AUDIT_READ))]


def audit_query(
    q: Annotated[
        str | None, Query(max_length=100, description="关键字：事由、路径、用户、对象编号")
    ] = None,
    username: Annotated[str | None, Query(max_length=64)] = None,
    action: Annotated[str | None, Query(max_length=64)] = None,
    resource: Annotated[str | None, Query(max_length=64)] = None,
    sensitive: bool | None = None,
    since: dt.datetime | None = None,
    until: dt.datetime | None = None,
) -> AuditQuery:
    return AuditQuery(
        q=q or None,
        username=username or None,
        action=action or None,
        resource=resource or None,
        sensitive=sensitive,
        since=_aware(since),
        until=_aware(until),
    )


def _aware(value: dt.datetime | None) -> dt.datetime | None:
    if value is not None and value.tzinfo is None:
        # A bare time from a form is Beijing time, as the user sees it.
        return value.replace(tzinfo=dt.timezone(dt.timedelta(hours=8)))
    return value


Filters = Annotated[AuditQuery, Depends(audit_query)]
Offset = Annotated[int, Query(ge=0, le=10_000_000)]
Limit = Annotated[int, Query(ge=1, le=500)]


@router.get("", response_model=AuditPage, summary="检索审计日志")
def list_audit(
    db: Db, principal: Auditor, filters: Filters, offset: Offset = 0, limit: Limit = 50
) -> AuditPage:
    rows, total = search(db, principal, filters, offset=offset, limit=limit)
    return AuditPage(
        items=[AuditRead.model_validate(r) for r in rows], total=total, offset=offset, limit=limit
    )


@pages.get("/admin/audit", response_class=HTMLResponse)
def audit_page(
    request: Request, db: Db, principal: Auditor, filters: Filters, offset: Offset = 0
) -> Response:
    rows, total = search(db, principal, filters, offset=offset, limit=50)
    context = {
        "title": "审计日志",
        "pretitle": "系统管理",
        "rows": rows,
        "total": total,
        "offset": offset,
        "limit": 50,
        "filters": filters,
    }
    template = (
        "platform/audit_rows.html" if request.headers.get("hx-request") else "platform/audit.html"
    )
    return render(request, template, context)
