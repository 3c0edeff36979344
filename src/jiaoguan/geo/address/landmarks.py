"""Landmark registry: places people name instead of an address ("万博广场对面")."""

from __future__ import annotations

import datetime as dt
from typing import Any

from pydantic import AliasChoices, AliasPath, Field, field_validator
from sqlalchemy.orm import Session

from jiaoguan.geo.address.models import AdminDivision, DivisionLevel, Landmark, StandardAddress
from jiaoguan.geo.address.service import county_by_name, home_counties
from jiaoguan.platform.auth.permissions import ADDRESS_READ, ADDRESS_WRITE
from jiaoguan.platform.auth.service import Principal
from jiaoguan.platform.crud import Column, Hooks, Id, ReadSchema, Registry, Schema
from jiaoguan.platform.errors import Invalid


def _aliases(values: list[str] | None) -> list[str] | None:
    if values is None:
        return None
    cleaned = list(dict.fromkeys(v.strip() for v in values if v.strip()))
    if any(len(v) > 60 for v in cleaned):
        raise ValueError("别名不超过 60 字")
    return cleaned


class LandmarkCreate(Schema):
    name: str = Field(min_length=2, max_length=60, title="名称", description="如 万博广场")
    aliases: list[str] = Field(
        default_factory=list, max_length=20, title="别名", description="每行一个，如 万博"
    )
    county_code: str | None = Field(None, pattern=r"^\d{6}$", title="区县")
    address_id: Id | None = Field(None, title="所在标准地址", description="标准地址的记录编号")
    lon: float | None = Field(None, ge=-180, le=180, title="经度", description="WGS-84")
    lat: float | None = Field(None, ge=-90, le=90, title="纬度", description="WGS-84")

    _clean = field_validator("aliases")(_aliases)


class LandmarkUpdate(Schema):
    name: str | None = Field(None, min_length=2, max_length=60, title="名称")
    aliases: list[str] | None = Field(None, max_length=20, title="别名")
    county_code: str | None = Field(None, pattern=r"^\d{6}$", title="区县")
    address_id: Id | None = Field(None, title="所在标准地址")
    lon: float | None = Field(None, ge=-180, le=180, title="经度")
    lat: float | None = Field(None, ge=-90, le=90, title="纬度")

    _clean = field_validator("aliases")(_aliases)


class LandmarkRead(ReadSchema):
    id: int
    name: str
    aliases: list[str]
    county_code: str | None
    address_id: int | None
    address_text: str | None = Field(
        None, validation_alias=AliasChoices(AliasPath("address", "full_text"), "address_text")
    )
    lon: float | None
    lat: float | None
    created_at: dt.datetime
    updated_at: dt.datetime


class LandmarkRules(Hooks[Landmark, LandmarkCreate, LandmarkUpdate]):
    def before_create(self, db: Session, principal: Principal, data: LandmarkCreate) -> None:
        self._check(db, data.county_code, data.address_id)

    def before_update(
        self, db: Session, principal: Principal, obj: Landmark, changes: dict[str, Any]
    ) -> None:
        self._check(db, changes.get("county_code"), changes.get("address_id"))

    @staticmethod
    def _check(db: Session, county_code: str | None, address_id: int | None) -> None:
        if county_code is not None:
            county = db.get(AdminDivision, county_code)
            if county is None or county.level is not DivisionLevel.county:
                raise Invalid(f"区县代码“{county_code}”不是现行县级行政区划", ["county_code"])
        if address_id is not None and db.get(StandardAddress, address_id) is None:
            raise Invalid("标准地址不存在", ["address_id"])


LANDMARKS: Registry[Landmark, LandmarkCreate, LandmarkUpdate, LandmarkRead] = Registry(
    model=Landmark,
    create_schema=LandmarkCreate,
    update_schema=LandmarkUpdate,
    read_schema=LandmarkRead,
    label="地标",
    slug="landmarks",
    resource="landmark",
    read_permission=ADDRESS_READ,
    write_permission=ADDRESS_WRITE,
    page_prefix="/registry/landmarks",
    section="一标六实",
    scope=None,
    columns=(
        Column("name", "名称"),
        Column("aliases", "别名"),
        Column("address.full_text", "所在标准地址"),
        Column("county_code", "区县代码"),
        Column("lon", "经度", in_list=False),
        Column("lat", "纬度", in_list=False),
        Column("updated_at", "更新时间", in_list=False),
    ),
    sortable=("name", "updated_at"),
    default_sort="name",
    search=("name",),
    options={"county_code": home_counties},
    import_converters={"county_code": county_by_name},
    hooks=LandmarkRules(),
    eager=("address",),
)
