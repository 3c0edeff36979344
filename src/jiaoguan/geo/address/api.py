"""API: /api/v1/addresses (the registry), /api/v1/address-match (matching), /api/v1/divisions.

Matching has a path of its own: a single segment under /api/v1/addresses/ is a record id for the
registry's GET/PATCH/DELETE routes, so /api/v1/addresses/match would answer PATCH with 422
instead of 405.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query

from jiaoguan.geo.address import service
from jiaoguan.geo.address.landmarks import LANDMARKS
from jiaoguan.geo.address.models import DivisionLevel
from jiaoguan.geo.address.schemas import (
    BatchOut,
    DivisionPage,
    DivisionRead,
    MatchBatchRequest,
    MatchOut,
    MatchRequest,
)
from jiaoguan.platform.auth.permissions import ADDRESS_READ
from jiaoguan.platform.auth.service import Principal
from jiaoguan.platform.crud import api_router
from jiaoguan.platform.deps import Db, require

Reader = Annotated[Principal, Depends(require(ADDRESS_READ))]

router = APIRouter()
addresses = api_router(service.ADDRESSES)
matching = APIRouter(prefix="/api/v1/address-match", tags=["标准地址"])


@matching.post(
    "",
    response_model=MatchOut,
    summary="匹配一条非标准地址：返回排序的候选、得分与依据，得分接近时列出歧义而不猜测",
    name="addresses_match",
)
def match_address(body: MatchRequest, db: Db, principal: Reader) -> MatchOut:
    return service.match_address(db, principal, body.text, body.city_code)


@matching.post(
    "/batch",
    response_model=BatchOut,
    summary="批量匹配导入的地址：逐条返回结果，空白或过长的条目单独报告",
    name="addresses_match_batch",
)
def match_batch(body: MatchBatchRequest, db: Db, principal: Reader) -> BatchOut:
    return service.match_batch(db, principal, body.texts, body.city_code)


divisions = APIRouter(prefix="/api/v1/divisions", tags=["行政区划"])


@divisions.get(
    "", response_model=DivisionPage, summary="行政区划列表（省、地、县三级，含简称与曾用名）"
)
def list_divisions(
    db: Db,
    principal: Reader,
    level: Annotated[DivisionLevel | None, Query(description="级别")] = None,
    parent_code: Annotated[
        str | None, Query(pattern=r"^\d{6,12}$", description="上级区划代码")
    ] = None,
    q: Annotated[
        str | None, Query(max_length=30, description="名称、简称、曾用名或代码前缀")
    ] = None,
    offset: Annotated[int, Query(ge=0, le=10_000_000, description="跳过条数")] = 0,
    limit: Annotated[int, Query(ge=1, le=500, description="每页条数")] = 50,
) -> DivisionPage:
    return service.list_divisions(
        db, level=level, parent_code=parent_code, q=q, offset=offset, limit=limit
    )


@divisions.get("/{code}", response_model=DivisionRead, summary="查看一个行政区划")
def get_division(
    db: Db,
    principal: Reader,
    code: Annotated[str, Path(pattern=r"^\d{6,12}$", description="区划代码")],
) -> DivisionRead:
    return service.get_division(db, code)


router.include_router(addresses)
router.include_router(api_router(LANDMARKS))
router.include_router(matching)
router.include_router(divisions)
