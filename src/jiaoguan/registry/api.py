"""API of the six registries under /api/v1/registry/<plural>: CRUD, Excel, map layers, and the
sensitive reads of personal data (a reason is required and audited)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query

from jiaoguan.platform.auth.permissions import REGISTRY_READ
from jiaoguan.platform.auth.service import Principal
from jiaoguan.platform.crud import ItemId, Registry, api_router
from jiaoguan.platform.deps import SENSITIVE, Db, Reason, require
from jiaoguan.registry import service
from jiaoguan.registry.registries import ALL_REGISTRIES, DRIVERS, VEHICLES
from jiaoguan.registry.schemas import PersonIdentity, VehicleOwner

Reader = Annotated[Principal, Depends(require(REGISTRY_READ))]
BBoxText = Annotated[
    str | None,
    Query(
        max_length=200,
        description="范围：西经度,南纬度,东经度,北纬度（WGS-84），如 115.40,38.80,115.60,38.95",
    ),
]

# Fixed sub-paths come before the registries' `/{item_id}` routes (included after them).
extras = APIRouter()


def _geojson_route(registry: Registry[Any, Any, Any, Any]) -> None:
    def layer(db: Db, principal: Reader, bbox: BBoxText = None) -> dict[str, Any]:
        return service.geojson_layer(registry, db, principal, service.parse_bbox(bbox))

    path = f"{registry.api_prefix}/geojson"
    extras.add_api_route(
        path,
        layer,
        methods=["GET"],
        tags=[registry.label],
        summary=f"{registry.label}地图图层（GeoJSON，按范围，数据权限内）",
        name=f"{registry.name}_geojson",
    )


CellSize = Annotated[int, Query(ge=100, le=5000, description="网格边长（米），100–5000")]


def _density_route(registry: Registry[Any, Any, Any, Any]) -> None:
    def density(db: Db, principal: Reader, cell_m: CellSize = 500) -> dict[str, Any]:
        return service.density_layer(registry, db, principal, float(cell_m))

    extras.add_api_route(
        f"{registry.api_prefix}/density",
        density,
        methods=["GET"],
        tags=[registry.label],
        summary=f"{registry.label}分布热力网格（GeoJSON，数据权限内）",
        name=f"{registry.name}_density",
    )


for _registry in ALL_REGISTRIES:
    _geojson_route(_registry)
    _density_route(_registry)


@extras.get(
    f"{DRIVERS.api_prefix}/{{item_id}}/identity",
    response_model=PersonIdentity,
    tags=[DRIVERS.label],
    summary="查看驾驶人身份信息（完整身份证号、出生日期、电话；须填写事由，记入审计）",
    openapi_extra=SENSITIVE,
)
def driver_identity(item_id: ItemId, db: Db, principal: Reader, reason: Reason) -> PersonIdentity:
    return service.driver_identity(db, principal, item_id, reason)


@extras.get(
    f"{VEHICLES.api_prefix}/{{item_id}}/owner",
    response_model=VehicleOwner,
    tags=[VEHICLES.label],
    summary="查看机动车所有人（姓名与证件号码；须填写事由，记入审计）",
    openapi_extra=SENSITIVE,
)
def vehicle_owner(item_id: ItemId, db: Db, principal: Reader, reason: Reason) -> VehicleOwner:
    return service.vehicle_owner(db, principal, item_id, reason)


router = APIRouter()
router.include_router(extras)
for _registry in ALL_REGISTRIES:
    router.include_router(api_router(_registry))
