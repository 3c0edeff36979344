"""Geo API: route/ETA, reach within T, snapping, areas, point lookup, network by bbox, coordinate
conversion; imports of GeoJSON (geo.write, audited)."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Query

from jiaoguan.geo import service
from jiaoguan.geo.areas import AreaRef
from jiaoguan.geo.coords import convert as convert_crs
from jiaoguan.geo.geojson import areas_to_geojson
from jiaoguan.geo.models import AreaKind
from jiaoguan.geo.network import Snap
from jiaoguan.geo.schemas import (
    AreaRead,
    ConvertRead,
    FeatureCollection,
    ImportRead,
    LookupRead,
    NearestAreaRead,
    RouteRead,
    SnapRead,
)
from jiaoguan.platform.auth.permissions import GEO_READ, GEO_WRITE
from jiaoguan.platform.auth.service import Principal
from jiaoguan.platform.deps import AppSettings, Db, require

router = APIRouter(prefix="/api/v1/geo", tags=["地理与路网"])

Reader = Annotated[Principal, Depends(require(GEO_READ))]
Writer = Annotated[Principal, Depends(require(GEO_WRITE))]
Lon = Annotated[float, Query(ge=-180, le=180, description="经度（WGS-84）")]
Lat = Annotated[float, Query(ge=-90, le=90, description="纬度（WGS-84）")]
ProfileQ = Annotated[
    Literal["driving", "walking"], Query(description="出行方式：driving 驾车，walking 步行")
]
HourQ = Annotated[int | None, Query(ge=0, le=23, description="时段（0-23 时），缺省为当前时刻")]
KindQ = Annotated[AreaKind | None, Query(description="区域类型")]
Crs = Literal["wgs84", "gcj02"]


def _hour(settings: AppSettings, hour: int | None) -> int:
    return service.local_hour(settings.timezone) if hour is None else hour


def _area(a: AreaRef) -> AreaRead:
    return AreaRead(id=a.id, kind=a.kind, name=a.name, code=a.code, org_unit_id=a.org_unit_id)


@router.get("/route", response_model=RouteRead, summary="两点间路径与行程时间（ETA）")
def route(
    db: Db,
    principal: Reader,
    settings: AppSettings,
    from_lon: Lon,
    from_lat: Lat,
    to_lon: Lon,
    to_lat: Lat,
    profile: ProfileQ = "driving",
    hour: HourQ = None,
) -> RouteRead:
    h = _hour(settings, hour)
    r = service.route(db, (from_lon, from_lat), (to_lon, to_lat), profile, h)

    def snap(s: Snap) -> SnapRead:
        return SnapRead(node_id=s.node_id, lon=s.lon, lat=s.lat, distance_m=round(s.distance_m, 1))

    return RouteRead(
        reachable=r.reachable,
        profile=profile,
        hour=h,
        seconds=None if r.seconds is None else round(r.seconds, 1),
        length_m=None if r.length_m is None else round(r.length_m, 1),
        straight_line_m=round(r.straight_line_m, 1),
        origin=snap(r.origin),
        destination=snap(r.destination),
        node_ids=r.node_ids,
        path={"type": "LineString", "coordinates": r.polyline},
    )


@router.get(
    "/reachable",
    response_model=FeatureCollection,
    summary="限定时间内可达的路网节点（GeoJSON，reverse=true 为可在时限内到达此处的节点）",
)
def reachable(
    db: Db,
    principal: Reader,
    settings: AppSettings,
    lon: Lon,
    lat: Lat,
    seconds: Annotated[float, Query(gt=0, le=3600, description="时间预算（秒）")] = 300,
    profile: ProfileQ = "driving",
    reverse: Annotated[bool, Query(description="反向：谁能在时限内到达此处")] = True,
    hour: HourQ = None,
    limit: Annotated[int, Query(ge=1, le=20_000, description="最多返回的节点数")] = 5000,
) -> FeatureCollection:
    data = service.reachable_geojson(
        db,
        (lon, lat),
        seconds,
        profile,
        reverse=reverse,
        hour=_hour(settings, hour),
        limit=limit,
    )
    return FeatureCollection.model_validate(data)


@router.get("/snap", response_model=SnapRead, summary="将坐标吸附到最近的路网节点")
def snap(
    db: Db,
    principal: Reader,
    settings: AppSettings,
    lon: Lon,
    lat: Lat,
    profile: ProfileQ = "driving",
) -> SnapRead:
    s = service.snap(db, lon, lat, profile, None)
    return SnapRead(node_id=s.node_id, lon=s.lon, lat=s.lat, distance_m=round(s.distance_m, 1))


@router.get(
    "/network", response_model=FeatureCollection, summary="范围内的道路（GeoJSON 矢量路网图层）"
)
def network(
    db: Db,
    principal: Reader,
    bbox: Annotated[
        str, Query(max_length=120, description="范围：最小经度,最小纬度,最大经度,最大纬度")
    ],
    limit: Annotated[int, Query(ge=1, le=50_000, description="最多返回的路段数")] = 20_000,
) -> FeatureCollection:
    data = service.network_geojson(db, service.parse_bbox(bbox), limit)
    return FeatureCollection.model_validate(data)


@router.post(
    "/network", response_model=ImportRead, summary="以 GeoJSON 导入（替换）路网", status_code=201
)
def import_network(body: FeatureCollection, db: Db, principal: Writer) -> ImportRead:
    result = service.import_network_geojson(db, principal, body.model_dump())
    return ImportRead(nodes=result.nodes, edges=result.edges)


@router.get("/areas", response_model=list[AreaRead], summary="区域列表（辖区、警务区、网格等）")
def list_areas(db: Db, principal: Reader, kind: KindQ = None) -> list[AreaRead]:
    return [AreaRead.model_validate(r) for r in service.area_rows(db, kind)]


@router.get("/areas/geojson", response_model=FeatureCollection, summary="区域边界（GeoJSON）")
def areas_geojson(db: Db, principal: Reader, kind: KindQ = None) -> FeatureCollection:
    return FeatureCollection.model_validate(areas_to_geojson(service.area_rows(db, kind)))


@router.post(
    "/areas",
    response_model=ImportRead,
    summary="以 GeoJSON 导入区域（替换同类型区域）",
    status_code=201,
)
def import_areas(
    body: FeatureCollection,
    db: Db,
    principal: Writer,
    kind: Annotated[AreaKind | None, Query(description="要素未写 kind 时使用的区域类型")] = None,
) -> ImportRead:
    result = service.import_areas_geojson(db, principal, body.model_dump(), kind)
    return ImportRead(areas=result.areas)


@router.get("/lookup", response_model=LookupRead, summary="查询坐标所在区域及最近区域")
def lookup(db: Db, principal: Reader, lon: Lon, lat: Lat, kind: KindQ = None) -> LookupRead:
    containing, nearest = service.lookup(db, lon, lat, kind)
    return LookupRead(
        containing=[_area(a) for a in containing],
        nearest=None
        if nearest is None
        else NearestAreaRead(area=_area(nearest.area), distance_m=round(nearest.distance_m, 1)),
    )


@router.get("/convert", response_model=ConvertRead, summary="坐标系转换（WGS-84 ⇄ GCJ-02）")
def convert(
    principal: Reader,
    lon: Lon,
    lat: Lat,
    source: Annotated[Crs, Query(alias="from", description="源坐标系")] = "wgs84",
    target: Annotated[Crs, Query(alias="to", description="目标坐标系")] = "gcj02",
) -> ConvertRead:
    x, y = convert_crs(lon, lat, source, target)
    return ConvertRead(lon=x, lat=y, crs=target)
