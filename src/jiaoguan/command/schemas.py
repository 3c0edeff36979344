"""Pydantic I/O of the command module: officers, rules, incidents, dispatches, positions, stats."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Literal

from pydantic import AliasChoices, AliasPath, AwareDatetime, BaseModel, Field

from jiaoguan.command.models import (
    CommandLevel,
    IncidentKind,
    IncidentSource,
    OfficerKind,
    OfficerMode,
    OfficerStatus,
)
from jiaoguan.platform.crud import Id, ReadSchema, Schema

Lon = Annotated[float, Field(ge=-180, le=180, description="经度（WGS-84）")]
Lat = Annotated[float, Field(ge=-90, le=90, description="纬度（WGS-84）")]
Level = Annotated[
    int, Field(ge=1, le=4, description="警情等级：1 一般 / 2 较大 / 3 重大 / 4 特别重大")
]
ReasonText = Annotated[str, Field(min_length=2, max_length=500, description="理由（至少 2 个字）")]

# --- officers (registry) -------------------------------------------------------------------------


class OfficerCreate(Schema):
    code: str = Field(min_length=2, max_length=32, title="警号", description="如 130602001")
    name: str = Field(min_length=1, max_length=64, title="姓名")
    unit_id: Id = Field(title="所属单位", description="导入时填机构编码或全称")
    kind: OfficerKind = Field(OfficerKind.police, title="类别")
    mode: OfficerMode = Field(OfficerMode.driving, title="出警方式", description="驾车或步巡")
    phone: str | None = Field(None, max_length=32, title="联系电话")
    device_code: str | None = Field(
        None, max_length=64, title="终端编号", description="执法记录仪或对讲机编号"
    )
    user_id: Id | None = Field(None, title="登录账号", description="民警本人的平台账号（手机端用）")


class OfficerUpdate(Schema):
    name: str | None = Field(None, min_length=1, max_length=64, title="姓名")
    unit_id: Id | None = Field(None, title="所属单位")
    kind: OfficerKind | None = Field(None, title="类别")
    mode: OfficerMode | None = Field(None, title="出警方式")
    phone: str | None = Field(None, max_length=32, title="联系电话")
    device_code: str | None = Field(None, max_length=64, title="终端编号")
    user_id: Id | None = Field(None, title="登录账号")


class OfficerRead(ReadSchema):
    id: int
    code: str
    name: str
    unit_id: int
    unit_name: str | None = Field(
        None, validation_alias=AliasChoices(AliasPath("unit", "name"), "unit_name")
    )
    user_id: int | None
    username: str | None = Field(
        None, validation_alias=AliasChoices(AliasPath("user", "username"), "username")
    )
    kind: OfficerKind
    mode: OfficerMode
    status: OfficerStatus
    status_at: AwareDatetime
    phone: str | None
    device_code: str | None
    updated_at: AwareDatetime


class StatusIn(BaseModel):
    status: Literal["off_duty", "on_duty", "available"] = Field(
        description="off_duty 不在岗 / on_duty 执勤中（岗位或其他任务） / available 可派"
    )


class LiveOfficer(BaseModel):
    """An officer with the latest fix and its age: staleness is shown wherever positions are."""

    id: int
    code: str
    name: str
    unit_id: int
    unit_name: str
    kind: str
    mode: str
    status: str
    status_label: str
    lon: float | None
    lat: float | None
    fix_at: AwareDatetime | None
    fix_age_s: float | None
    stale: bool = Field(description="定位超时（或无定位）：位置不可信，不纳入推荐")


# --- rules (registry) ---------------------------------------------------------------------------


class RuleCreate(Schema):
    name: str = Field(min_length=1, max_length=100, title="规则名称")
    priority: int = Field(100, ge=0, le=10_000, title="优先级", description="数字小的先匹配")
    enabled: bool = Field(True, title="启用")
    kind: IncidentKind | None = Field(None, title="警情类型", description="空：任意类型")
    min_level: int | None = Field(None, ge=1, le=4, title="最低等级", description="空：任意等级")
    area_unit_id: Id | None = Field(None, title="辖区大队", description="空：全市")
    command_level: CommandLevel = Field(title="指挥层级")
    accept_limit_s: int = Field(60, ge=10, le=3600, title="签收时限（秒）")
    arrive_limit_s: int = Field(900, ge=60, le=86_400, title="到场时限（秒）")
    description: str = Field("", max_length=500, title="说明")


class RuleUpdate(Schema):
    name: str | None = Field(None, min_length=1, max_length=100, title="规则名称")
    priority: int | None = Field(None, ge=0, le=10_000, title="优先级")
    enabled: bool | None = Field(None, title="启用")
    kind: IncidentKind | None = Field(None, title="警情类型")
    min_level: int | None = Field(None, ge=1, le=4, title="最低等级")
    area_unit_id: Id | None = Field(None, title="辖区大队")
    command_level: CommandLevel | None = Field(None, title="指挥层级")
    accept_limit_s: int | None = Field(None, ge=10, le=3600, title="签收时限（秒）")
    arrive_limit_s: int | None = Field(None, ge=60, le=86_400, title="到场时限（秒）")
    description: str | None = Field(None, max_length=500, title="说明")


class RuleRead(ReadSchema):
    id: int
    name: str
    priority: int
    enabled: bool
    kind: IncidentKind | None
    min_level: int | None
    area_unit_id: int | None
    area_unit_name: str | None = Field(
        None, validation_alias=AliasChoices(AliasPath("area_unit", "name"), "area_unit_name")
    )
    command_level: CommandLevel
    accept_limit_s: int
    arrive_limit_s: int
    description: str


# --- incidents ----------------------------------------------------------------------------------


class IncidentCreate(Schema):
    source: IncidentSource = Field(description="来源")
    kind: IncidentKind = Field(description="警情类型")
    level: Level = 1
    place: str = Field(
        min_length=2, max_length=200, description="地点描述；未给坐标时按此匹配标准地址"
    )
    lon: Lon | None = None
    lat: Lat | None = None
    address_id: Id | None = Field(None, description="已选定的标准地址编号")
    summary: str = Field("", max_length=2000, description="警情简要")
    reporter_name: str | None = Field(None, max_length=64)
    reporter_phone: str | None = Field(None, max_length=32)
    reported_at: AwareDatetime | None = Field(None, description="报警时间，默认为当前")


class RouteIn(Schema):
    command_level: CommandLevel = Field(
        description="detachment 一级（支队） / brigade 二级（大队）"
    )
    unit_id: Id | None = Field(None, description="改派到的大队（二级指挥时）；空：辖区大队")
    reason: ReasonText


class MergeIn(Schema):
    into_id: Id = Field(description="并入的警情编号（内部 id）")
    reason: ReasonText


class CancelIn(Schema):
    reason: ReasonText


class DispatchPick(Schema):
    officer_id: Id
    note: str = Field("", max_length=500, description="派警说明，如推荐理由")


class DispatchIn(Schema):
    officers: list[DispatchPick] = Field(min_length=1, max_length=20)
    override_reason: str | None = Field(
        None,
        min_length=2,
        max_length=500,
        description="调派执勤中或定位超时的警力时须说明理由（如已电话确认位置）",
    )


class HandleIn(Schema):
    result: str = Field(min_length=2, max_length=2000, description="处置结果")


class CloseIn(Schema):
    feedback: str = Field("", max_length=2000, description="反馈（可空）")


class DispatchRead(BaseModel):
    id: int
    incident_id: int
    officer_id: int
    officer_name: str
    officer_code: str
    state: str
    state_label: str
    note: str
    eta_s: float | None
    distance_m: float | None
    dispatched_at: AwareDatetime
    accepted_at: AwareDatetime | None
    departed_at: AwareDatetime | None
    arrived_at: AwareDatetime | None
    arrived_auto: bool
    handled_at: AwareDatetime | None
    closed_at: AwareDatetime | None
    cancelled_at: AwareDatetime | None
    result: str | None
    cancel_reason: str | None
    actions: list[str] = Field(default_factory=list, description="当前用户可执行的出警步骤")


class IncidentRead(BaseModel):
    id: int
    number: str
    source: str
    source_label: str
    kind: str
    kind_label: str
    level: int
    level_label: str
    summary: str
    place: str
    lon: float
    lat: float
    address_id: int | None
    area_unit_id: int | None
    area_unit_name: str | None
    command_level: str
    command_level_label: str
    handling_unit_id: int
    handling_unit_name: str
    state: str
    state_label: str
    reported_at: AwareDatetime
    dispatched_at: AwareDatetime | None
    accepted_at: AwareDatetime | None
    arrived_at: AwareDatetime | None
    handled_at: AwareDatetime | None
    closed_at: AwareDatetime | None
    merged_into_id: int | None
    accept_limit_s: int
    arrive_limit_s: int


class LogRead(BaseModel):
    at: AwareDatetime
    actor_name: str
    action: str
    action_label: str
    text: str
    dispatch_id: int | None


class IncidentDetail(IncidentRead):
    dispatches: list[DispatchRead]
    timeline: list[LogRead]
    duplicates: list[IncidentRead] = Field(
        default_factory=list, description="疑似重复警情（同类型、同地点、相近时间）"
    )


class IncidentPage(BaseModel):
    items: list[IncidentRead]
    total: int
    offset: int
    limit: int


class PickOut(BaseModel):
    officer_id: int
    code: str
    name: str
    unit_name: str
    status: str
    mode: str
    ring_m: int | None = Field(description="所在最小圈（米）；圈外为空")
    straight_m: float
    eta_s: float | None
    reason: str
    fix_age_s: float | None = None
    lon: float | None = None
    lat: float | None = None
    route: list[list[float]] = Field(
        default_factory=list, description="推荐路线 [[经度, 纬度], ...]"
    )


class RecommendationOut(BaseModel):
    incident_id: int
    lon: float
    lat: float
    rings_m: list[int]
    picks: list[PickOut]
    gaps: list[str] = Field(description="缺口原因：圈内无可用警力、定位超时、均在出警等")
    considered: int
    stale: int
    busy: int


class MeOut(BaseModel):
    officer: OfficerRead | None
    dispatches: list[DispatchRead]
    incidents: list[IncidentRead]


# --- positions ----------------------------------------------------------------------------------


class FixIn(BaseModel):
    officer_id: int = Field(ge=1, le=2_147_483_647)
    at: dt.datetime = Field(description="定位时间（带时区）")
    lon: float = Field(ge=-180, le=180)
    lat: float = Field(ge=-90, le=90)
    accuracy_m: float | None = Field(None, ge=0, le=100_000)
    speed_mps: float | None = Field(None, ge=0, le=200)
    source: str = Field("gps", min_length=1, max_length=16, pattern=r"^[a-z0-9_]+$")


class PositionBatch(BaseModel):
    fixes: list[dict[str, Any]] = Field(
        min_length=1,
        max_length=5000,
        description="定位点：officer_id, at, lon, lat, accuracy_m, speed_mps, source；"
        "逐条校验，坏的计数并说明原因，好的入库",
    )


class MyFixIn(BaseModel):
    at: AwareDatetime | None = Field(None, description="定位时间，默认为当前")
    lon: float = Field(ge=-180, le=180)
    lat: float = Field(ge=-90, le=90)
    accuracy_m: float | None = Field(None, ge=0, le=100_000)
    speed_mps: float | None = Field(None, ge=0, le=200)


class PositionReportOut(BaseModel):
    accepted: int
    duplicates: int
    rejected: dict[str, int]
    errors: list[dict[str, Any]]
    arrivals: int = Field(0, description="因进入现场范围而自动确认到场的派警单数")


# --- statistics ---------------------------------------------------------------------------------


class Measure(BaseModel):
    n: int
    mean_s: float | None
    median_s: float | None
    p90_s: float | None


class StatsRow(BaseModel):
    key: str
    label: str
    count: int
    accept_30s_share: float | None = Field(description="30 秒内签收的派警单比例")
    to_dispatch: Measure
    to_arrive: Measure
    to_handle: Measure
    total: Measure


class StatsOut(BaseModel):
    since: dt.date
    until: dt.date
    group_by: str
    overall: StatsRow
    rows: list[StatsRow]
