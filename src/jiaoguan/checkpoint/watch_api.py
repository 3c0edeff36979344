"""API of watchlists (布控), alerts (预警) and restriction rules under /api/v1/checkpoint/."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Path, Query
from pydantic import BaseModel, ConfigDict, Field
from starlette.convertors import StringConvertor, register_url_convertor

from jiaoguan.checkpoint import alerts, watchlists
from jiaoguan.checkpoint import observers as _observers  # noqa: F401 - registers the observers
from jiaoguan.checkpoint.matcher import MATCH_KIND_LABELS, load_index
from jiaoguan.checkpoint.restrictions import RULES
from jiaoguan.checkpoint.watch_models import (
    ALERT_KIND_LABELS,
    ALERT_RESULT_LABELS,
    Alert,
    AlertKind,
    AlertResult,
    WatchKind,
    WatchSource,
    WatchStatus,
)
from jiaoguan.checkpoint.watchlists import (
    RefreshReport,
    WatchApply,
    WatchDecision,
    WatchPage,
    WatchRead,
    WatchWithdraw,
)
from jiaoguan.platform.auth.permissions import (
    ALERT_HANDLE,
    CHECKPOINT_READ,
    WATCHLIST_APPLY,
    WATCHLIST_APPROVE,
    WORKORDER_REVIEW,
)
from jiaoguan.platform.auth.service import Principal
from jiaoguan.platform.crud import Schema, api_router
from jiaoguan.platform.crud.fields import MAX_ID
from jiaoguan.platform.db import utcnow
from jiaoguan.platform.deps import Db, require
from jiaoguan.registry.validators import normalise_plate
from jiaoguan.web.onemap import MapLayer, register_layer

PREFIX = "/api/v1/checkpoint"
Reader = Annotated[Principal, Depends(require(CHECKPOINT_READ))]
Applicant = Annotated[Principal, Depends(require(WATCHLIST_APPLY))]
Approver = Annotated[Principal, Depends(require(WATCHLIST_APPROVE))]
AlertHandler = Annotated[Principal, Depends(require(ALERT_HANDLE))]
Reviewer = Annotated[Principal, Depends(require(WORKORDER_REVIEW))]
WatchId = Annotated[int, Path(ge=1, le=MAX_ID, description="布控编号")]
AlertId = Annotated[int, Path(ge=1, le=MAX_ID, description="预警编号")]
Offset = Annotated[int, Query(ge=0, le=10_000_000)]
Limit = Annotated[int, Query(ge=1, le=500)]
PlateQ = Annotated[str | None, Query(max_length=16, description="号牌号码（包含）")]

watches = APIRouter(prefix=f"{PREFIX}/watches", tags=["布控"])
# Fixed sub-paths of /watches (API and pages): never taken for a watch id, so GET /refresh is a
# 405 and "abc" still reaches the handler as a 422 in Chinese.
WATCH_FIXED = ("refresh", "match", "new")


class WatchIdConvertor(StringConvertor):
    regex = "(?!(?:" + "|".join(WATCH_FIXED) + ")(?:/|$))[^/]+"


register_url_convertor("watch", WatchIdConvertor())
alerts_router = APIRouter(prefix=f"{PREFIX}/alerts", tags=["预警"])
# Likewise for /alerts/geojson.
ALERT_FIXED = ("geojson",)


class AlertIdConvertor(StringConvertor):
    regex = "(?!(?:" + "|".join(ALERT_FIXED) + ")(?:/|$))[^/]+"


register_url_convertor("alert", AlertIdConvertor())
register_layer(
    MapLayer(
        key="checkpoint-alerts",
        title="实时预警（24小时内未办结）",
        group="缉查布控",
        url=f"{PREFIX}/alerts/geojson",
        permission=CHECKPOINT_READ,
        style={"color": "#c2255c"},
        visible=True,
        refresh_seconds=10,
        label_property="title",
    )
)


# --- watches ---------------------------------------------------------------------------------


class MatchPreview(BaseModel):
    watch_id: int
    watched_plate: str
    kind: WatchKind
    match_kind: str
    match_label: str


@watches.get("", response_model=WatchPage, summary="布控列表（数据权限内）")
def list_watches(
    db: Db,
    principal: Reader,
    status: WatchStatus | None = None,
    kind: WatchKind | None = None,
    source: WatchSource | None = None,
    plate: PlateQ = None,
    offset: Offset = 0,
    limit: Limit = 50,
) -> WatchPage:
    query = watchlists.WatchQuery(status=status, kind=kind, source=source, plate=plate)
    rows, total = watchlists.search(db, principal, query, offset=offset, limit=limit)
    return WatchPage(total=total, items=[WatchRead.of(w) for w in rows])


@watches.post("", response_model=WatchRead, status_code=201, summary="申请布控（待审批）")
def apply_watch(data: WatchApply, db: Db, principal: Applicant) -> WatchRead:
    return WatchRead.of(watchlists.apply(db, principal, data))


@watches.post(
    "/refresh", response_model=RefreshReport, summary="按车管台账同步逾期未检验、逾期未报废布控"
)
def refresh_watches(db: Db, principal: Approver) -> RefreshReport:
    return watchlists.refresh_registry_watches(db, principal)


@watches.get(
    "/match",
    response_model=list[MatchPreview],
    summary="比对预览：一个识别号牌会比中哪些布控（精确、易混字符、省份字误识）",
)
def match_preview(
    db: Db,
    principal: Reader,
    plate: Annotated[str, Query(min_length=2, max_length=16, description="识别出的号牌")],
) -> list[MatchPreview]:
    index = load_index(db, utcnow())
    found = index.match_plate(normalise_plate(plate), at_ts=utcnow().timestamp())
    return [
        MatchPreview(
            watch_id=entry.watch_id,
            watched_plate=entry.plate,
            kind=WatchKind(entry.kind),
            match_kind=kind,
            match_label=MATCH_KIND_LABELS[kind],
        )
        for entry, kind in found
    ]


@watches.get("/{watch_id:watch}", response_model=WatchRead, summary="布控详情")
def get_watch(watch_id: WatchId, db: Db, principal: Reader) -> WatchRead:
    return WatchRead.of(watchlists.get_watch(db, principal, watch_id))


@watches.post(
    "/{watch_id:watch}/decision", response_model=WatchRead, summary="审批布控（批准或驳回）"
)
def decide_watch(watch_id: WatchId, data: WatchDecision, db: Db, principal: Approver) -> WatchRead:
    return WatchRead.of(watchlists.decide(db, principal, watch_id, data))


@watches.post("/{watch_id:watch}/withdraw", response_model=WatchRead, summary="撤控（须填写原因）")
def withdraw_watch(
    watch_id: WatchId, data: WatchWithdraw, db: Db, principal: Applicant
) -> WatchRead:
    return WatchRead.of(watchlists.withdraw(db, principal, watch_id, data.reason))


# --- alerts ----------------------------------------------------------------------------------


class SightingRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    record_id: str
    checkpoint_id: int | None
    passed_at: dt.datetime
    plate_raw: str
    lon: float | None
    lat: float | None
    note: str | None


class AlertRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    kind: AlertKind
    kind_label: str = ""
    plate_no: str
    plate_colour: str | None
    watch_id: int | None
    rule_id: int | None
    match_kind: str
    match_label: str = ""
    matched_plate: str | None
    title: str
    hit_count: int
    first_seen_at: dt.datetime
    last_seen_at: dt.datetime
    last_checkpoint_id: int | None
    last_lon: float | None
    last_lat: float | None
    unit_id: int
    work_order_id: int | None
    status_label: str = ""
    result: AlertResult | None
    result_label: str | None = None
    result_note: str | None
    detail: dict[str, Any]

    @classmethod
    def of(cls, alert: Alert) -> AlertRead:
        return cls.model_validate(alert).model_copy(
            update={
                "kind_label": ALERT_KIND_LABELS[alert.kind],
                "match_label": MATCH_KIND_LABELS.get(alert.match_kind, alert.match_kind),
                "status_label": alerts.status_label(alert),
                "result_label": ALERT_RESULT_LABELS[alert.result] if alert.result else None,
            }
        )


class AlertDetail(AlertRead):
    sightings: list[SightingRead] = []
    actions: list[str] = []


class AlertPage(BaseModel):
    total: int
    items: list[AlertRead]


class ResultIn(Schema):
    result: AlertResult = Field(title="拦截结果")
    note: str = Field("", max_length=1000, title="说明", description="误报须说明原因")


class ReviewIn(Schema):
    approve: bool = Field(title="是否通过")
    comment: str = Field("", max_length=1000, title="审核意见", description="退回须填写原因")


def _detail(principal: Principal, alert: Alert) -> AlertDetail:
    base = AlertRead.of(alert).model_dump()
    return AlertDetail(
        **base,
        sightings=[SightingRead.model_validate(s) for s in alert.sightings],
        actions=alerts.allowed_actions(principal, alert),
    )


@alerts_router.get("", response_model=AlertPage, summary="预警列表（数据权限内，最近比中在前）")
def list_alerts(
    db: Db,
    principal: Reader,
    state: Annotated[
        Literal["open", "done", "all"], Query(description="open 未办结 / done 已办结")
    ] = "open",
    kind: AlertKind | None = None,
    result: AlertResult | None = None,
    plate: PlateQ = None,
    offset: Offset = 0,
    limit: Limit = 50,
) -> AlertPage:
    query = alerts.AlertQuery(kind=kind, state=state, plate=plate, result=result)
    rows, total = alerts.search(db, principal, query, offset=offset, limit=limit)
    return AlertPage(total=total, items=[AlertRead.of(a) for a in rows])


@alerts_router.get(
    "/geojson", summary="未办结预警的最近位置（GeoJSON，24 小时内，数据权限内；一张图图层）"
)
def alerts_geojson(db: Db, principal: Reader) -> dict[str, Any]:
    return alerts.geojson(db, principal, since=utcnow() - dt.timedelta(hours=24))


@alerts_router.get(
    "/{alert_id:alert}", response_model=AlertDetail, summary="预警详情（含比中记录）"
)
def get_alert(alert_id: AlertId, db: Db, principal: Reader) -> AlertDetail:
    return _detail(principal, alerts.get_alert(db, principal, alert_id))


@alerts_router.post(
    "/{alert_id:alert}/sign", response_model=AlertDetail, summary="签收预警（拦截工单签收）"
)
def sign_alert(alert_id: AlertId, db: Db, principal: AlertHandler) -> AlertDetail:
    return _detail(principal, alerts.sign(db, principal, alert_id))


@alerts_router.post(
    "/{alert_id:alert}/result",
    response_model=AlertDetail,
    summary="反馈拦截结果（已拦截 / 未发现 / 误报）",
)
def report_alert(alert_id: AlertId, data: ResultIn, db: Db, principal: AlertHandler) -> AlertDetail:
    alert = alerts.report(db, principal, alert_id, result=data.result, note=data.note)
    return _detail(principal, alert)


@alerts_router.post(
    "/{alert_id:alert}/review", response_model=AlertDetail, summary="审核拦截结果（通过办结或退回）"
)
def review_alert(alert_id: AlertId, data: ReviewIn, db: Db, principal: Reviewer) -> AlertDetail:
    alert = alerts.review(db, principal, alert_id, approve=data.approve, comment=data.comment)
    return _detail(principal, alert)


router = APIRouter()
router.include_router(watches)
router.include_router(alerts_router)
router.include_router(api_router(RULES))
