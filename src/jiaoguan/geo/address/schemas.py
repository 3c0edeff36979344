"""Pydantic I/O of standard addresses, divisions and the matcher."""

from __future__ import annotations

import datetime as dt

from pydantic import AliasChoices, AliasPath, BaseModel, Field, model_validator

from jiaoguan.geo.address.matcher import MAX_TEXT
from jiaoguan.geo.address.models import AddressStatus, DivisionLevel
from jiaoguan.platform.crud import Id, ReadSchema, Schema

ADDRESS_CODE_PATTERN = r"^[A-Za-z0-9_-]+$"
COUNTY_CODE_PATTERN = r"^\d{6}$"
MAX_BATCH = 5000


def _both_or_neither(lon: float | None, lat: float | None) -> None:
    if (lon is None) != (lat is None):
        raise ValueError("经度和纬度须同时填写或同时留空")


class StandardAddressCreate(Schema):
    code: str = Field(
        min_length=1,
        max_length=40,
        pattern=ADDRESS_CODE_PATTERN,
        title="地址编码",
        description="标准地址系统中的唯一编码，字母、数字、下划线或短横线",
    )
    county_code: str = Field(
        pattern=COUNTY_CODE_PATTERN,
        title="区县",
        description="县级行政区划代码（6 位，GB/T 2260），如 130602；导入时也可填区县名称",
    )
    town: str | None = Field(None, max_length=60, title="乡镇街道")
    road: str = Field(min_length=1, max_length=60, title="街路巷", description="如 朝阳北大街")
    house_number: str | None = Field(None, max_length=20, title="门牌号", description="如 123号")
    estate: str | None = Field(None, max_length=60, title="小区/院落")
    building: str | None = Field(None, max_length=20, title="楼栋", description="如 3栋")
    unit_no: str | None = Field(None, max_length=10, title="单元", description="如 2单元")
    room: str | None = Field(None, max_length=10, title="房号", description="如 501")
    grid_unit_id: Id | None = Field(
        None, title="警务网格", description="须在本人数据权限范围内；导入时填网格的机构编码或全称"
    )
    block: str | None = Field(None, max_length=40, title="街区")
    lon: float | None = Field(None, ge=-180, le=180, title="经度", description="WGS-84")
    lat: float | None = Field(None, ge=-90, le=90, title="纬度", description="WGS-84")
    status: AddressStatus = Field(AddressStatus.active, title="状态")

    @model_validator(mode="after")
    def _coordinates(self) -> StandardAddressCreate:
        _both_or_neither(self.lon, self.lat)
        return self


class StandardAddressUpdate(Schema):
    code: str | None = Field(
        None, min_length=1, max_length=40, pattern=ADDRESS_CODE_PATTERN, title="地址编码"
    )
    county_code: str | None = Field(None, pattern=COUNTY_CODE_PATTERN, title="区县")
    town: str | None = Field(None, max_length=60, title="乡镇街道")
    road: str | None = Field(None, min_length=1, max_length=60, title="街路巷")
    house_number: str | None = Field(None, max_length=20, title="门牌号")
    estate: str | None = Field(None, max_length=60, title="小区/院落")
    building: str | None = Field(None, max_length=20, title="楼栋")
    unit_no: str | None = Field(None, max_length=10, title="单元")
    room: str | None = Field(None, max_length=10, title="房号")
    grid_unit_id: Id | None = Field(None, title="警务网格")
    block: str | None = Field(None, max_length=40, title="街区")
    lon: float | None = Field(None, ge=-180, le=180, title="经度")
    lat: float | None = Field(None, ge=-90, le=90, title="纬度")
    status: AddressStatus | None = Field(None, title="状态")


class StandardAddressRead(ReadSchema):
    id: int
    code: str
    full_text: str = Field(description="规范全称：区划 + 街路巷 + 门牌 + 小区 + 楼栋 + 单元 + 房号")
    province_code: str
    city_code: str
    county_code: str
    county_name: str | None = Field(
        None, validation_alias=AliasChoices(AliasPath("county", "name"), "county_name")
    )
    town: str | None
    road: str
    house_number: str | None
    estate: str | None
    building: str | None
    unit_no: str | None
    room: str | None
    grid_unit_id: int | None
    grid_unit_name: str | None = Field(
        None, validation_alias=AliasChoices(AliasPath("grid_unit", "name"), "grid_unit_name")
    )
    block: str | None
    lon: float | None
    lat: float | None
    status: AddressStatus
    created_at: dt.datetime
    updated_at: dt.datetime


# --- divisions ----------------------------------------------------------------------------------


class DivisionRead(BaseModel):
    code: str
    name: str
    short_name: str
    level: DivisionLevel
    parent_code: str | None
    lon: float | None
    lat: float | None
    aliases: list[str] = Field(default_factory=list, description="简称、曾用名、功能区名")


class DivisionPage(BaseModel):
    items: list[DivisionRead]
    total: int
    offset: int
    limit: int


# --- matching -----------------------------------------------------------------------------------


class MatchRequest(BaseModel):
    text: str = Field(
        min_length=1, max_length=MAX_TEXT, title="地址", examples=["保定竞秀区朝阳大街万博广场对面"]
    )
    city_code: str | None = Field(
        None,
        pattern=COUNTY_CODE_PATTERN,
        title="优先城市",
        description="地级行政区划代码；缺省为本平台所在城市",
    )


class MatchBatchRequest(BaseModel):
    texts: list[str] = Field(
        min_length=1,
        max_length=MAX_BATCH,
        title="地址列表",
        description=f"至多 {MAX_BATCH} 条；空白或超过 {MAX_TEXT} 字的条目单独报告，不影响其他条目",
    )
    city_code: str | None = Field(None, pattern=COUNTY_CODE_PATTERN, title="优先城市")


class CandidateOut(BaseModel):
    kind: str = Field(
        description="address 标准地址 / landmark 地标参照 / road 道路 / "
        "intersection 交叉口 / division 行政区划"
    )
    score: float = Field(description="0..1")
    text: str
    address_id: int | None
    landmark_id: int | None
    province_code: str | None
    city_code: str | None
    county_code: str | None
    lon: float | None
    lat: float | None
    relation: str | None = Field(description="相对地标或交叉口的方位，如 对面、东北角")
    explanation: list[str] = Field(description="匹配依据")


class PartsOut(BaseModel):
    number: str | None
    building: str | None
    unit: str | None
    room: str | None


class MatchOut(BaseModel):
    text: str
    normalized: str
    best: CandidateOut | None = Field(description="唯一可信的结果；有歧义时为空")
    ambiguous: list[CandidateOut] = Field(description="得分接近、需人工确认的候选")
    candidates: list[CandidateOut]
    parts: PartsOut
    notes: list[str]


class BatchItemOut(BaseModel):
    index: int
    text: str
    ok: bool
    error: str | None = None
    result: MatchOut | None = None


class BatchOut(BaseModel):
    total: int
    matched: int = Field(description="有唯一结果的条数")
    ambiguous: int
    failed: int = Field(description="空白、过长等无法匹配的条数")
    per_second: float
    items: list[BatchItemOut]
