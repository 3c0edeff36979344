"""Command API under /api/v1/command (incidents, dispatch, the officer's steps, officers, rules,
statistics) and the batched position intake POST /api/v1/positions for AVL devices."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Path, Query, Request
from sqlalchemy.orm import Session

from jiaoguan.command import interception as _interception  # noqa: F401 - alert subscriber
from jiaoguan.command import jobs as _jobs  # noqa: F401 - registers the reminder loop
from jiaoguan.command import service, stats, views
from jiaoguan.command import subscribers as _subscribers  # noqa: F401 - bus intake
from jiaoguan.command.live import track_commits
from jiaoguan.command.models import (
    CommandLevel,
    IncidentKind,
    IncidentSource,
    IncidentState,
    OfficerStatus,
)
from jiaoguan.command.registries import OFFICERS, RULES
from jiaoguan.command.schemas import (
    CancelIn,
    CloseIn,
    DispatchIn,
    DispatchRead,
    HandleIn,
    IncidentCreate,
    IncidentDetail,
    IncidentPage,
    LiveOfficer,
    MeOut,
    MergeIn,
    MyFixIn,
    OfficerRead,
    PositionBatch,
    PositionReportOut,
    RecommendationOut,
    RouteIn,
    StatsOut,
    StatusIn,
)
from jiaoguan.platform.auth.models import OrgUnit
from jiaoguan.platform.auth.permissions import (
    COMMAND_DISPATCH,
    COMMAND_INTAKE,
    COMMAND_READ,
    COMMAND_RESPOND,
    DEVICE_INGEST,
)
from jiaoguan.platform.auth.service import Principal
from jiaoguan.platform.crud import api_router, xlsx_download
from jiaoguan.platform.crud.api import XlsxResponse
from jiaoguan.platform.crud.fields import MAX_ID
from jiaoguan.platform.db import utcnow
from jiaoguan.platform.deps import Db, require
from jiaoguan.platform.errors import Invalid, NotFound


def _tracked(request: Request, db: Db) -> Session:
    """The request's session, with officer changes applied to this process's tracker on commit."""
    track_commits(request.app, db)
    return db


TrackedDb = Annotated[Session, Depends(_tracked)]
Reader = Annotated[Principal, Depends(require(COMMAND_READ))]
Intake = Annotated[Principal, Depends(require(COMMAND_INTAKE))]
Dispatcher = Annotated[Principal, Depends(require(COMMAND_DISPATCH))]
Responder = Annotated[Principal, Depends(require(COMMAND_RESPOND))]
Device = Annotated[Principal, Depends(require(DEVICE_INGEST))]
IncidentId = Annotated[int, Path(ge=1, le=MAX_ID, description="警情内部编号")]
DispatchId = Annotated[int, Path(ge=1, le=MAX_ID, description="派警单编号")]
OfficerId = Annotated[int, Path(ge=1, le=MAX_ID, description="警力编号")]
Offset = Annotated[int, Query(ge=0, le=10_000_000)]
Limit = Annotated[int, Query(ge=1, le=500)]

router = APIRouter(prefix="/api/v1/command", tags=["智慧指挥"])
positions = APIRouter(prefix="/api/v1/positions", tags=["警力定位"])


def incident_query(
    state: Annotated[list[IncidentState] | None, Query(description="状态，可多选")] = None,
    kind: Annotated[list[IncidentKind] | None, Query(description="类型，可多选")] = None,
    source: Annotated[IncidentSource | None, Query(description="来源")] = None,
    level: Annotated[int | None, Query(ge=1, le=4, description="最低等级")] = None,
    command_level: Annotated[CommandLevel | None, Query(description="指挥层级")] = None,
    unit: Annotated[
        int | None, Query(ge=1, le=MAX_ID, description="处置或辖区单位（含下级）")
    ] = None,
    since: Annotated[dt.datetime | None, Query(description="报警时间起（含）")] = None,
    until: Annotated[dt.datetime | None, Query(description="报警时间止（不含）")] = None,
    q: Annotated[str | None, Query(max_length=100, description="关键字：编号、地点、简要")] = None,
    open_only: Annotated[bool, Query(alias="open", description="只看未结束的")] = False,
) -> service.IncidentQuery:
    for name, value in (("since", since), ("until", until)):
        if value is not None and value.tzinfo is None:
            raise Invalid("时间须带时区，如 2026-11-24T08:00:00+08:00", ["query", name])
    return service.IncidentQuery(
        state=tuple(state or ()),
        kind=tuple(kind or ()),
        source=source,
        level=level,
        command_level=command_level,
        unit_id=unit,
        since=since,
        until=until,
        q=(q or "").strip() or None,
        open_only=open_only,
    )


Filters = Annotated[service.IncidentQuery, Depends(incident_query)]


# --- incidents ---------------------------------------------------------------------------------


@router.get("/incidents", response_model=IncidentPage, summary="警情列表（筛选、分页）")
def list_incidents(
    db: Db, principal: Reader, filters: Filters, offset: Offset = 0, limit: Limit = 50
) -> IncidentPage:
    rows, total = service.search(db, principal, filters, offset=offset, limit=limit)
    return IncidentPage(
        items=[views.incident_read(r) for r in rows], total=total, offset=offset, limit=limit
    )


@router.post(
    "/incidents",
    response_model=IncidentDetail,
    status_code=201,
    summary="接警登记（地址自动匹配或地图点选；返回疑似重复警情）",
)
def create_incident(body: IncidentCreate, db: Db, principal: Intake) -> IncidentDetail:
    data = service.IntakeData(**body.model_dump())
    incident, _duplicates = service.intake(db, principal, data)
    return views.incident_detail(db, principal, incident)


@router.get(
    "/incidents/{incident_id}", response_model=IncidentDetail, summary="警情详情（含派警与时间线）"
)
def get_incident(incident_id: IncidentId, db: Db, principal: Reader) -> IncidentDetail:
    return views.incident_detail(db, principal, service.get_incident(db, principal, incident_id))


@router.get(
    "/incidents/{incident_id}/recommend",
    response_model=RecommendationOut,
    summary="就近派警推荐（300/500/1000 米圈内可用警力，按道路行程时间排序，含理由与缺口）",
)
def recommend_officers(
    request: Request, incident_id: IncidentId, db: Db, principal: Reader
) -> RecommendationOut:
    incident = service.get_incident(db, principal, incident_id)
    return views.recommendation(request.app, db, principal, incident)


@router.post(
    "/incidents/{incident_id}/dispatch",
    response_model=IncidentDetail,
    summary="派警（一名或多名；不在岗、正在出警、定位超时的警力拒绝并说明原因）",
)
def dispatch_officers(
    incident_id: IncidentId, body: DispatchIn, db: TrackedDb, principal: Dispatcher
) -> IncidentDetail:
    picks = [service.Pick(p.officer_id, p.note) for p in body.officers]
    service.dispatch(db, principal, incident_id, picks, override_reason=body.override_reason)
    return views.incident_detail(db, principal, service.get_incident(db, principal, incident_id))


@router.post(
    "/incidents/{incident_id}/route",
    response_model=IncidentDetail,
    summary="调整指挥层级：升级为一级（支队）或改由大队处置，须说明理由",
)
def route_incident(
    incident_id: IncidentId, body: RouteIn, db: Db, principal: Dispatcher
) -> IncidentDetail:
    incident = service.reroute(
        db,
        principal,
        incident_id,
        command_level=body.command_level,
        unit_id=body.unit_id,
        reason=body.reason,
    )
    return views.incident_detail(db, principal, incident)


@router.post(
    "/incidents/{incident_id}/merge", response_model=IncidentDetail, summary="合并重复警情"
)
def merge_incident(
    incident_id: IncidentId, body: MergeIn, db: Db, principal: Dispatcher
) -> IncidentDetail:
    incident = service.merge(db, principal, incident_id, into_id=body.into_id, reason=body.reason)
    return views.incident_detail(db, principal, incident)


@router.post(
    "/incidents/{incident_id}/cancel",
    response_model=IncidentDetail,
    summary="撤销警情（无效警情；撤回全部派警）",
)
def cancel_incident(
    incident_id: IncidentId, body: CancelIn, db: TrackedDb, principal: Dispatcher
) -> IncidentDetail:
    incident = service.cancel_incident(db, principal, incident_id, reason=body.reason)
    return views.incident_detail(db, principal, incident)


@router.post(
    "/dispatches/{dispatch_id}/withdraw",
    response_model=DispatchRead,
    summary="撤回派警（改派前撤回原警力），须说明理由",
)
def withdraw_dispatch(
    dispatch_id: DispatchId, body: CancelIn, db: TrackedDb, principal: Dispatcher
) -> DispatchRead:
    return views.dispatch_read(service.withdraw(db, principal, dispatch_id, reason=body.reason))


# --- the officer's steps -----------------------------------------------------------------------

_STEP_SUMMARIES = {
    "accept": "签收派警",
    "depart": "出警（未签收时同时签收）",
    "arrive": "到场（手动确认；定位进入现场范围时自动确认）",
}


def _step_route(action: str) -> None:
    def handler(dispatch_id: DispatchId, db: TrackedDb, principal: Responder) -> DispatchRead:
        return views.dispatch_read(service.step(db, principal, dispatch_id, action), principal)

    handler.__name__ = f"{action}_dispatch"
    router.add_api_route(
        f"/dispatches/{{dispatch_id}}/{action}",
        handler,
        methods=["POST"],
        response_model=DispatchRead,
        summary=_STEP_SUMMARIES[action],
        name=f"command_{action}",
    )


for _action in _STEP_SUMMARIES:
    _step_route(_action)


@router.post(
    "/dispatches/{dispatch_id}/handle", response_model=DispatchRead, summary="处置完毕（填写结果）"
)
def handle_dispatch(
    dispatch_id: DispatchId, body: HandleIn, db: TrackedDb, principal: Responder
) -> DispatchRead:
    row = service.step(db, principal, dispatch_id, "handle", result=body.result)
    return views.dispatch_read(row, principal)


@router.post(
    "/dispatches/{dispatch_id}/close", response_model=DispatchRead, summary="反馈并结束出警"
)
def close_dispatch(
    dispatch_id: DispatchId, body: CloseIn, db: TrackedDb, principal: Responder
) -> DispatchRead:
    row = service.step(db, principal, dispatch_id, "close", result=body.feedback or None)
    return views.dispatch_read(row, principal)


def _my_officer(db: Session, principal: Principal) -> Any:
    officer = service.officer_of_user(db, principal.user_id)
    if officer is None:
        raise NotFound("您的账号未关联警力档案，请联系指挥中心", ["path"])
    return officer


@router.get("/me", response_model=MeOut, summary="我的出警任务（手机端）")
def my_tasks(db: Db, principal: Responder) -> MeOut:
    officer = service.officer_of_user(db, principal.user_id)
    if officer is None:
        return MeOut(officer=None, dispatches=[], incidents=[])
    rows = service.active_for_officer(db, officer)
    incidents = {r.incident_id: r.incident for r in rows}
    return MeOut(
        officer=OfficerRead.model_validate(officer),
        dispatches=[views.dispatch_read(r, principal) for r in rows],
        incidents=[views.incident_read(i) for i in incidents.values()],
    )


@router.post("/me/status", response_model=OfficerRead, summary="上岗、下岗或报告可派（本人）")
def my_status(body: StatusIn, db: TrackedDb, principal: Responder) -> OfficerRead:
    officer = _my_officer(db, principal)
    service.set_officer_status(db, principal, officer, OfficerStatus(body.status))
    return OfficerRead.model_validate(officer)


@router.post(
    "/me/positions",
    response_model=PositionReportOut,
    summary="上报本人定位（手机浏览器定位；可批量）",
)
def my_positions(
    request: Request, body: list[MyFixIn], db: TrackedDb, principal: Responder
) -> PositionReportOut:
    if not 1 <= len(body) <= 100:
        raise Invalid("每次上报 1–100 个定位点", ["body"])
    officer = _my_officer(db, principal)
    now = utcnow()
    raw = [
        {
            "officer_id": officer.id,
            "at": (f.at or now).isoformat(),
            "lon": f.lon,
            "lat": f.lat,
            "accuracy_m": f.accuracy_m,
            "speed_mps": f.speed_mps,
            "source": "phone",
        }
        for f in body
    ]
    return views.ingest(request.app, db, raw, now=now)


# --- officers ----------------------------------------------------------------------------------


@router.get(
    "/force",
    response_model=list[LiveOfficer],
    summary="警力实时状态与最新定位（含定位时长与超时标记）",
)
def officers_live(request: Request, db: Db, principal: Reader) -> list[LiveOfficer]:
    return views.live_officers(request.app, db, principal)


@router.post(
    "/officers/{officer_id}/status",
    response_model=OfficerRead,
    summary="设置警力状态（不在岗 / 执勤中 / 可派；出警状态由派警流程自动变更）",
)
def officer_status(
    officer_id: OfficerId, body: StatusIn, db: TrackedDb, principal: Dispatcher
) -> OfficerRead:
    officer = service.officer_in_scope(db, principal, officer_id, ["path", "officer_id"])
    service.set_officer_status(db, principal, officer, OfficerStatus(body.status))
    return OfficerRead.model_validate(officer)


# --- map layers and statistics -----------------------------------------------------------------


@router.get("/geojson/officers", summary="警力图层（GeoJSON，按状态，含定位超时标记）")
def officers_layer(request: Request, db: Db, principal: Reader) -> dict[str, Any]:
    return views.officers_geojson(request.app, db, principal)


@router.get("/geojson/incidents", summary="未结束警情图层（GeoJSON，按状态与等级）")
def incidents_layer(db: Db, principal: Reader) -> dict[str, Any]:
    return views.incidents_geojson(db, principal)


GroupBy = Literal["unit", "kind", "day", "week", "month"]


def stats_params(
    db: Db,
    principal: Reader,
    since: Annotated[dt.date | None, Query(description="起始日期（北京时间，含）")] = None,
    until: Annotated[dt.date | None, Query(description="截止日期（北京时间，含）")] = None,
    group_by: Annotated[
        GroupBy, Query(description="按 unit 单位 / kind 类型 / day / week / month")
    ] = "unit",
    unit: Annotated[int | None, Query(ge=1, le=MAX_ID, description="处置单位（含下级）")] = None,
    kind: Annotated[IncidentKind | None, Query(description="警情类型")] = None,
) -> StatsOut:
    today = utcnow().astimezone(stats.BEIJING).date()
    until = until or today
    since = since or until - dt.timedelta(days=6)
    if since > until:
        raise Invalid("起始日期不能晚于截止日期", ["query", "since"])
    if (until - since).days > stats.MAX_DAYS:
        raise Invalid(f"统计期间不能超过 {stats.MAX_DAYS} 天", ["query", "since"])
    unit_path = None
    if unit is not None:
        found = db.get(OrgUnit, unit)
        if found is None or not principal.sees_path(found.path):
            raise NotFound("组织机构不存在或不在数据权限范围内", ["query", "unit"])
        unit_path = found.path
    return stats.statistics(
        db,
        principal,
        since=since,
        until=until,
        group_by=group_by,
        unit_path=unit_path,
        kind=kind.value if kind is not None else None,
    )


Stats = Annotated[StatsOut, Depends(stats_params)]


@router.get(
    "/stats",
    response_model=StatsOut,
    summary="出警时效统计（警情数、30秒签收率、派警/到场/处置/结案用时的平均、中位、90分位）",
)
def statistics(result: Stats) -> StatsOut:
    return result


@router.get(
    "/stats/export",
    response_class=XlsxResponse,
    responses={200: {"content": {XlsxResponse.media_type: {}}}},
    summary="导出出警时效统计（Excel）",
)
def statistics_export(result: Stats) -> XlsxResponse:
    name = f"出警时效统计_{result.since.isoformat()}_{result.until.isoformat()}.xlsx"
    return xlsx_download(stats.stats_xlsx(result), name)


# --- positions (devices) -----------------------------------------------------------------------


@positions.post(
    "",
    response_model=PositionReportOut,
    summary="批量上报警力定位（设备接入：逐条校验，坏点计数并说明原因，重复点只存一次）",
)
def post_positions(
    request: Request, body: PositionBatch, db: TrackedDb, principal: Device
) -> PositionReportOut:
    return views.ingest(request.app, db, body.fixes)


# The registries last: their `/{item_id}` routes must not shadow fixed paths.
api = APIRouter()
api.include_router(router)
api.include_router(positions)
for _registry in (OFFICERS, RULES):
    api.include_router(api_router(_registry), dependencies=[Depends(_tracked)])
