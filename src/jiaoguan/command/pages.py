"""Command pages: the dispatcher's board (map, open incidents, recommendation with dispatch
buttons), incident list and detail with timeline, intake form, live force, statistics and the
daily bulletin, and the officer's phone page. Actions post JSON to the API (static/command.js),
so the pages and the API run the same service code. Map layers join the one map."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy import select
from sqlalchemy.orm import Session

from jiaoguan.command import service, stats, views
from jiaoguan.command.models import (
    COMMAND_LEVEL_LABELS,
    FINISHED_STATES,
    INCIDENT_STATE_LABELS,
    KIND_LABELS,
    LEVEL_LABELS,
    OFFICER_STATUS_LABELS,
    SOURCE_LABELS,
    IncidentKind,
    IncidentSource,
    IncidentState,
)
from jiaoguan.command.registries import OFFICERS, RULES
from jiaoguan.platform.auth.models import OrgUnit, OrgUnitKind
from jiaoguan.platform.auth.permissions import (
    COMMAND_DISPATCH,
    COMMAND_INTAKE,
    COMMAND_READ,
    COMMAND_RESPOND,
)
from jiaoguan.platform.auth.service import Principal
from jiaoguan.platform.crud import page_router
from jiaoguan.platform.crud.fields import MAX_ID
from jiaoguan.platform.db import utcnow
from jiaoguan.platform.deps import Db, require
from jiaoguan.platform.errors import Invalid
from jiaoguan.web.dashboard import Counter, counter_source
from jiaoguan.web.onemap import MapLayer, register_layer
from jiaoguan.web.templating import render

router = APIRouter(include_in_schema=False)
Reader = Annotated[Principal, Depends(require(COMMAND_READ))]
Intake = Annotated[Principal, Depends(require(COMMAND_INTAKE))]
Responder = Annotated[Principal, Depends(require(COMMAND_RESPOND))]
IncidentId = Annotated[int, Path(ge=1, le=MAX_ID)]
PRETITLE = "智慧指挥"
PAGE_SIZE = 30

# Colours by state/status, shared with command.js through the templates.
STATE_COLOURS = {
    "received": "red",
    "dispatched": "orange",
    "accepted": "yellow",
    "en_route": "azure",
    "on_scene": "blue",
    "handled": "green",
    "closed": "secondary",
    "cancelled": "secondary",
    "merged": "secondary",
}
STATUS_COLOURS = {
    "available": "green",
    "on_duty": "teal",
    "dispatched": "orange",
    "en_route": "azure",
    "on_scene": "blue",
    "off_duty": "secondary",
}

for _layer in (
    MapLayer(
        key="command-incidents",
        title="未结束警情",
        group="智慧指挥",
        url="/api/v1/command/geojson/incidents",
        permission=COMMAND_READ,
        style={"color": "#dc2626"},
        visible=True,
        refresh_seconds=10,
    ),
    MapLayer(
        key="command-officers",
        title="警力（按状态，含定位超时）",
        group="智慧指挥",
        url="/api/v1/command/geojson/officers",
        permission=COMMAND_READ,
        style={"color": "#16a34a"},
        visible=True,
        refresh_seconds=5,
    ),
):
    register_layer(_layer)


@counter_source
def _command_counters(db: Session, principal: Principal) -> list[Counter]:
    if not principal.can(COMMAND_READ):
        return []
    _rows, waiting_total = service.search(
        db, principal, service.IncidentQuery(state=(IncidentState.received,)), limit=1
    )
    _rows, open_total = service.search(
        db, principal, service.IncidentQuery(open_only=True), limit=1
    )
    return [
        Counter("待派警情", waiting_total, "/command/incidents?state=received", "ti-urgent", "red"),
        Counter("处置中警情", open_total, "/command/incidents?open=true", "ti-map-2", "orange"),
    ]


def _labels() -> dict[str, Any]:
    return {
        "kind_labels": KIND_LABELS,
        "source_labels": SOURCE_LABELS,
        "state_labels": INCIDENT_STATE_LABELS,
        "level_labels": LEVEL_LABELS,
        "command_level_labels": COMMAND_LEVEL_LABELS,
        "status_labels": OFFICER_STATUS_LABELS,
        "state_colours": STATE_COLOURS,
        "status_colours": STATUS_COLOURS,
    }


def _page(request: Request, template: str, title: str, **context: Any) -> HTMLResponse:
    return render(request, template, {"title": title, "pretitle": PRETITLE, **_labels(), **context})


@router.get("/command", response_class=HTMLResponse)
def command_home(principal: Reader) -> Response:
    return RedirectResponse("/command/board", status_code=303)


@router.get("/command/board", response_class=HTMLResponse)
def board(request: Request, db: Db, principal: Reader) -> Response:
    rows, total = service.search(db, principal, service.IncidentQuery(open_only=True), limit=100)
    return _page(
        request,
        "command/board.html",
        "指挥台",
        incidents=[views.incident_read(r) for r in rows],
        total=total,
        can_dispatch=principal.can(COMMAND_DISPATCH),
        selected=request.query_params.get("incident", ""),
    )


def _parse_int(value: str | None, name: str, low: int = 1, high: int = MAX_ID) -> int | None:
    value = (value or "").strip()
    if not value:
        return None
    if not value.isdigit() or not low <= int(value) <= high:
        raise Invalid("应为整数", ["query", name])
    return int(value)


@router.get("/command/incidents", response_class=HTMLResponse)
def incident_list(
    request: Request,
    db: Db,
    principal: Reader,
    state: Annotated[str | None, Query(max_length=20)] = None,
    kind: Annotated[str | None, Query(max_length=30)] = None,
    source: Annotated[str | None, Query(max_length=30)] = None,
    level: Annotated[str | None, Query(max_length=2)] = None,
    unit: Annotated[str | None, Query(max_length=12)] = None,
    day: Annotated[dt.date | None, Query()] = None,
    q: Annotated[str | None, Query(max_length=100)] = None,
    open_only: Annotated[bool, Query(alias="open")] = False,
    offset: Annotated[int, Query(ge=0, le=10_000_000)] = 0,
) -> Response:
    if state and state not in IncidentState.__members__:
        raise Invalid("状态取值不正确", ["query", "state"])
    if kind and kind not in IncidentKind.__members__:
        raise Invalid("类型取值不正确", ["query", "kind"])
    if source and source not in IncidentSource.__members__:
        raise Invalid("来源取值不正确", ["query", "source"])
    since = until = None
    if day is not None:
        since, until = stats._window(day, day)
    query = service.IncidentQuery(
        state=(IncidentState(state),) if state else (),
        kind=(IncidentKind(kind),) if kind else (),
        source=IncidentSource(source) if source else None,
        level=_parse_int(level, "level", 1, 4),
        unit_id=_parse_int(unit, "unit"),
        since=since,
        until=until,
        q=(q or "").strip() or None,
        open_only=open_only,
    )
    rows, total = service.search(db, principal, query, offset=offset, limit=PAGE_SIZE)
    filters = {
        "state": state or "",
        "kind": kind or "",
        "source": source or "",
        "level": level or "",
        "unit": unit or "",
        "day": day.isoformat() if day else "",
        "q": q or "",
        "open": open_only,
    }
    base = "&".join(f"{k}={v}" for k, v in filters.items() if v and k != "open")
    if open_only:
        base += "&open=true"
    return _page(
        request,
        "command/list.html",
        "警情列表",
        incidents=[views.incident_read(r) for r in rows],
        total=total,
        offset=offset,
        page_size=PAGE_SIZE,
        filters=filters,
        query_base=base,
        units=_units(db, principal),
        can_intake=principal.can(COMMAND_INTAKE),
    )


def _units(db: Session, principal: Principal) -> list[OrgUnit]:
    return list(
        db.scalars(
            select(OrgUnit)
            .where(
                OrgUnit.path.startswith(principal.unit_path, autoescape=True),
                OrgUnit.kind.in_([OrgUnitKind.detachment, OrgUnitKind.brigade, OrgUnitKind.squad]),
            )
            .order_by(OrgUnit.path)
        )
    )


@router.get("/command/incidents/{incident_id}", response_class=HTMLResponse)
def incident_page(request: Request, incident_id: IncidentId, db: Db, principal: Reader) -> Response:
    incident = service.get_incident(db, principal, incident_id)
    detail = views.incident_detail(db, principal, incident)
    can_command = service._commands(principal, incident) and incident.state not in FINISHED_STATES
    brigades = [u for u in _units(db, principal) if u.kind == OrgUnitKind.brigade]
    on_it = {
        d.officer_id
        for d in detail.dispatches
        if d.state in ("dispatched", "accepted", "en_route", "on_scene")
    }
    candidates = (
        [
            o
            for o in views.live_officers(request.app, db, principal)
            if o.status in ("available", "on_duty") and o.id not in on_it
        ]
        if can_command
        else []
    )
    return _page(
        request,
        "command/detail.html",
        f"警情 {incident.number}",
        incident=detail,
        can_command=can_command,
        brigades=brigades,
        candidates=candidates,
    )


@router.get("/command/intake", response_class=HTMLResponse)
def intake_page(request: Request, principal: Intake) -> Response:
    now = utcnow().astimezone(stats.BEIJING).strftime("%Y-%m-%dT%H:%M")
    return _page(request, "command/intake.html", "接警登记", now=now)


@router.get("/command/force", response_class=HTMLResponse)
def force_page(request: Request, db: Db, principal: Reader) -> Response:
    officers = views.live_officers(request.app, db, principal)
    counts: dict[str, int] = {}
    for officer in officers:
        counts[officer.status] = counts.get(officer.status, 0) + 1
    return _page(
        request,
        "command/force.html",
        "警力态势",
        officers=officers,
        counts=counts,
        stale_count=sum(1 for o in officers if o.stale and o.status != "off_duty"),
        can_dispatch=principal.can(COMMAND_DISPATCH),
        stale_after=int(service.STALE_AFTER_S),
    )


@router.get("/command/stats", response_class=HTMLResponse)
def stats_page(
    request: Request,
    db: Db,
    principal: Reader,
    since: Annotated[dt.date | None, Query()] = None,
    until: Annotated[dt.date | None, Query()] = None,
    group_by: Annotated[stats.GroupBy, Query()] = "unit",
) -> Response:
    today = utcnow().astimezone(stats.BEIJING).date()
    until = until or today
    since = since or until - dt.timedelta(days=6)
    if since > until or (until - since).days > stats.MAX_DAYS:
        raise Invalid("统计期间不正确（起始不晚于截止，且不超过一年）", ["query", "since"])
    result = stats.statistics(db, principal, since=since, until=until, group_by=group_by)
    daily = stats.statistics(db, principal, since=since, until=until, group_by="day")
    chart = {
        "labels": [r.label for r in result.rows],
        "counts": [r.count for r in result.rows],
        "arrive": [_min(r.to_arrive.mean_s) for r in result.rows],
        "total": [_min(r.total.mean_s) for r in result.rows],
        "days": [r.label for r in daily.rows],
        "day_counts": [r.count for r in daily.rows],
        "day_arrive_p90": [_min(r.to_arrive.p90_s) for r in daily.rows],
    }
    return _page(
        request,
        "command/stats.html",
        "出警时效统计",
        result=result,
        chart=chart,
        group_labels=stats.GROUP_LABELS,
        export_query=f"since={since}&until={until}&group_by={group_by}",
    )


def _min(seconds: float | None) -> float | None:
    return None if seconds is None else round(seconds / 60, 1)


@router.get("/command/bulletin", response_class=HTMLResponse)
def bulletin_page(
    request: Request, db: Db, principal: Reader, day: Annotated[dt.date | None, Query()] = None
) -> Response:
    day = day or utcnow().astimezone(stats.BEIJING).date()
    return _page(
        request,
        "command/bulletin.html",
        f"警情处置日报（{day.strftime('%Y年%m月%d日')}）",
        bulletin=stats.bulletin(db, principal, day),
        previous=(day - dt.timedelta(days=1)).isoformat(),
        following=(day + dt.timedelta(days=1)).isoformat(),
    )


@router.get("/m/officer", response_class=HTMLResponse)
def officer_phone(request: Request, db: Db, principal: Responder) -> Response:
    officer = service.officer_of_user(db, principal.user_id)
    return render(
        request,
        "command/officer.html",
        {
            "title": "出警",
            "officer": officer,
            "status_label": OFFICER_STATUS_LABELS[officer.status] if officer else "",
            **_labels(),
        },
    )


@router.get("/m", response_class=HTMLResponse)
def phone_home(principal: Responder) -> Response:
    return RedirectResponse("/m/officer", status_code=303)


pages = APIRouter(include_in_schema=False)
pages.include_router(router)
for _registry in (OFFICERS, RULES):
    pages.include_router(page_router(_registry))
