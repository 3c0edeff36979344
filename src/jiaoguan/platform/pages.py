"""Home dashboard, placeholders for modules still being built, health probes."""

from __future__ import annotations

import collections
import datetime as dt

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, JSONResponse, Response
from sqlalchemy import func, select, text
from sqlalchemy.orm import Session

from jiaoguan.platform.audit.models import AuditEntry
from jiaoguan.platform.auth.models import OrgUnit, User
from jiaoguan.platform.auth.permissions import AUDIT_READ
from jiaoguan.platform.auth.service import Principal, in_scope, scope_units
from jiaoguan.platform.deps import CurrentPrincipal, Db, get_database
from jiaoguan.platform.errors import NotFound
from jiaoguan.web.dashboard import Counter, collect_counters, counter_source
from jiaoguan.web.nav import planned_module
from jiaoguan.web.templating import render

router = APIRouter(include_in_schema=False)
health_router = APIRouter(tags=["运维"])


@counter_source
def _platform_counters(db: Session, principal: Principal) -> list[Counter]:
    units = db.scalar(select(func.count()).select_from(scope_units(principal).subquery())) or 0
    users = db.scalar(select(func.count(User.id)).where(in_scope(principal, User.unit_id))) or 0
    counters = [
        Counter("组织机构", units, "/admin/org-units", "ti-sitemap"),
        Counter("用户", users, "/admin/users", "ti-users", "green"),
    ]
    if principal.can(AUDIT_READ):
        since = dt.datetime.now(dt.UTC) - dt.timedelta(days=1)
        audited = db.scalar(
            select(func.count(AuditEntry.id)).where(
                AuditEntry.at >= since,
                AuditEntry.unit_path.startswith(principal.unit_path, autoescape=True),
            )
        )
        counters.append(
            Counter("24小时审计记录", audited or 0, "/admin/audit", "ti-file-search", "azure")
        )
    return counters


def daily_activity(db: Session, principal: Principal, days: int = 7) -> dict[str, list[object]]:
    """Audited operations per day (Beijing dates) in the principal's subtree, for the home chart."""
    zone = dt.timezone(dt.timedelta(hours=8))
    today = dt.datetime.now(zone).date()
    start = dt.datetime.combine(today - dt.timedelta(days=days - 1), dt.time(), zone)
    stamps = db.scalars(
        select(AuditEntry.at).where(
            AuditEntry.at >= start,
            AuditEntry.unit_path.startswith(principal.unit_path, autoescape=True),
        )
    )
    counts = collections.Counter(stamp.astimezone(zone).date() for stamp in stamps)
    dates = [today - dt.timedelta(days=offset) for offset in range(days - 1, -1, -1)]
    return {"dates": [d.strftime("%m-%d") for d in dates], "counts": [counts[d] for d in dates]}


@router.get("/", response_class=HTMLResponse)
def home(request: Request, db: Db, principal: CurrentPrincipal) -> Response:
    unit = db.get(OrgUnit, principal.unit_id)
    context = {
        "title": "首页",
        "pretitle": unit.name if unit else "",
        "counters": collect_counters(db, principal),
        "activity": daily_activity(db, principal),
    }
    return render(request, "home.html", context)


@router.get("/modules/{key}", response_class=HTMLResponse)
def planned(request: Request, key: str, principal: CurrentPrincipal) -> Response:
    item = planned_module(key)
    if item is None:
        raise NotFound("没有这个模块")
    return render(
        request, "planned.html", {"title": item.title, "pretitle": "建设中", "item": item}
    )


@health_router.get("/healthz", summary="存活探针")
def healthz() -> dict[str, str]:
    return {"status": "ok"}


@health_router.get("/readyz", summary="就绪探针：数据库与事件总线可用")
async def readyz(request: Request) -> Response:
    checks: dict[str, str] = {}
    try:
        with get_database(request).engine.connect() as conn:
            conn.execute(text("SELECT 1"))
        checks["database"] = "ok"
    except Exception as exc:  # readiness reports any failure rather than raising
        checks["database"] = f"error: {type(exc).__name__}"
    bus = getattr(request.app.state, "bus", None)
    if bus is not None:
        checks["bus"] = "ok" if await bus.healthy() else "error"
    ready = all(v == "ok" for v in checks.values())
    return JSONResponse(
        {"status": "ok" if ready else "error", "checks": checks}, 200 if ready else 503
    )
