"""Pydantic I/O of checkpoints, lanes, VIID devices and pass queries."""

from __future__ import annotations

import datetime as dt
import re
from typing import Annotated

from pydantic import AfterValidator, AliasChoices, AliasPath, Field

from jiaoguan.checkpoint.models import CheckpointStatus, DeviceKind, SiteKind, TollgateCat
from jiaoguan.platform.crud import Id, ReadSchema, Schema
from jiaoguan.registry.schemas import Lat, Lon, partial

_GB_CODE = re.compile(r"^\d{20}$")


def _gb_code(value: str) -> str:
    # GB/T 28181 coding: division 8 + industry 2 + type 3 + sequence 7 (standards.md §1.8).
    if not _GB_CODE.match(value):
        raise ValueError(f"编号应为 20 位数字，实为 {len(value)} 位")
    return value


def _direction(value: str) -> str:
    if value not in {"1", "2", "3", "4", "5", "6", "7", "8", "9"}:
        raise ValueError("方向应为 1–9（1 西向东 … 9 其他）")
    return value


GbCode = Annotated[str, Field(min_length=1, max_length=20), AfterValidator(_gb_code)]
Direction = Annotated[str, Field(max_length=1), AfterValidator(_direction)]


class CheckpointCreate(Schema):
    code: GbCode = Field(title="卡口编号", description="GA/T 1400 TollgateID，20 位数字")
    name: str = Field(min_length=1, max_length=100, title="卡口名称")
    kind: TollgateCat = Field(TollgateCat.traffic, title="卡口类型")
    site_kind: SiteKind = Field(SiteKind.intersection, title="点位类型")
    lon: Lon = Field(title="经度", description="WGS-84")
    lat: Lat = Field(title="纬度", description="WGS-84")
    direction: Direction | None = Field(None, title="监测方向")
    lane_count: int = Field(1, ge=1, le=32, title="车道数")
    status: CheckpointStatus = Field(CheckpointStatus.normal, title="状态")
    unit_id: Id = Field(title="管辖单位", description="导入时填机构编码或全称")
    place_code: str | None = Field(None, max_length=12, pattern=r"^\d{6,12}$", title="行政区划代码")
    address: str | None = Field(None, max_length=200, title="地址")


CheckpointUpdate = partial("CheckpointUpdate", CheckpointCreate, exclude=("code",))


class CheckpointRead(ReadSchema):
    id: int
    code: str
    name: str
    kind: TollgateCat
    site_kind: SiteKind
    lon: float
    lat: float
    direction: str | None
    lane_count: int
    status: CheckpointStatus
    unit_id: int
    unit_name: str | None = Field(
        None, validation_alias=AliasChoices(AliasPath("unit", "name"), "unit_name")
    )
    place_code: str | None
    address: str | None
    updated_at: dt.datetime


class LaneCreate(Schema):
    checkpoint_id: Id = Field(title="卡口", description="导入时填卡口编号（20 位）")
    lane_no: int = Field(ge=0, le=99, title="车道号")
    direction: Direction | None = Field(None, title="行驶方向")
    description: str | None = Field(None, max_length=100, title="说明")


LaneUpdate = partial("LaneUpdate", LaneCreate, exclude=("checkpoint_id",))


class LaneRead(ReadSchema):
    id: int
    checkpoint_id: int
    checkpoint_name: str | None = Field(
        None,
        validation_alias=AliasChoices(AliasPath("checkpoint", "name"), "checkpoint_name"),
    )
    lane_no: int
    direction: str | None
    description: str | None


class DeviceCreate(Schema):
    device_id: GbCode = Field(title="设备编号", description="GA/T 1400 DeviceID，20 位数字")
    name: str = Field(min_length=1, max_length=100, title="设备名称")
    kind: DeviceKind = Field(DeviceKind.ape, title="设备类型")
    unit_id: Id = Field(title="管辖单位", description="导入时填机构编码或全称")
    checkpoint_id: Id | None = Field(None, title="所属卡口", description="导入时填卡口编号")
    password: str = Field(
        min_length=10, max_length=100, title="接入密码", description="HTTP 摘要认证密码，至少 10 位"
    )
    enabled: bool = Field(True, title="启用")


class DeviceUpdate(Schema):
    name: str | None = Field(None, min_length=1, max_length=100, title="设备名称")
    kind: DeviceKind | None = Field(None, title="设备类型")
    unit_id: Id | None = Field(None, title="管辖单位")
    checkpoint_id: Id | None = Field(None, title="所属卡口")
    password: str | None = Field(
        None, min_length=10, max_length=100, title="接入密码", description="不改则留空"
    )
    enabled: bool | None = Field(None, title="启用")


class DeviceRead(ReadSchema):
    id: int
    device_id: str
    name: str
    kind: DeviceKind
    unit_id: int
    unit_name: str | None = Field(
        None, validation_alias=AliasChoices(AliasPath("unit", "name"), "unit_name")
    )
    checkpoint_id: int | None
    enabled: bool
    registered_at: dt.datetime | None
    last_seen_at: dt.datetime | None
    expires_at: dt.datetime | None


# --- queries -------------------------------------------------------------------------------------


class PassRead(ReadSchema):
    record_id: str
    passed_at: dt.datetime
    checkpoint_id: int
    checkpoint_name: str | None = None
    tollgate_code: str
    lane_no: int | None
    plate: str
    plate_raw: str
    plate_colour: str
    plate_class: str | None
    vehicle_class: str | None
    vehicle_colour: str | None
    brand: str | None
    speed_kmh: float | None
    direction: str | None
    lon: float | None = None
    lat: float | None = None


class PassPage(ReadSchema):
    items: list[PassRead]
    total: int = Field(description="符合条件的过车记录数（至多统计到 limit 之后 1 万条）")
    truncated: bool = Field(False, description="结果超出上限，只返回了前 limit 条")


class CoTravel(ReadSchema):
    plate: str
    plate_colour: str
    times: int = Field(description="同行次数：在同一卡口、相隔不超过时间窗的过车次数")
    checkpoints: int = Field(description="同行涉及的不同卡口数")
    first_at: dt.datetime
    last_at: dt.datetime


class CoTravelResult(ReadSchema):
    plate: str
    target_passes: int
    window_s: int
    min_times: int
    items: list[CoTravel]


class CheckpointHealth(ReadSchema):
    checkpoint_id: int
    code: str
    name: str
    status: CheckpointStatus
    last_pass_at: dt.datetime | None
    passes_last_hour: int
    usual_per_hour: float = Field(description="此前 7 天同一小时的平均过车数")
    ratio: float | None = Field(description="最近一小时 / 平时；平时为 0 时为空")
    verdict: str = Field(description="正常 / 偏低 / 无数据 / 停用")


class PassImportProblem(ReadSchema):
    row: int = Field(description="数据行号（从 1 起，不含表头）")
    reason: str


class PassImportReport(ReadSchema):
    rows: int = Field(description="读取的行数")
    stored: int = Field(description="新入库的过车记录数")
    duplicates: int = Field(description="已入库而跳过的记录数")
    rejected: dict[str, int] = Field(description="拒收原因 → 行数")
    errors: list[PassImportProblem] = Field(description="前 20 条拒收的行")
