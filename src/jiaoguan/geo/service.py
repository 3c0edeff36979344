"""Geo services used by the API, the CLI and other modules: routing, reach, snapping, areas,
imports (audited). Bulk loaders for other modules: `save_network`, `save_areas` (from store)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from jiaoguan.geo import geojson
from jiaoguan.geo.areas import AreaIndex, AreaRef, NearestArea, area_index_for
from jiaoguan.geo.models import Area, AreaKind
from jiaoguan.geo.network import EmptyNetwork, Profile, RoadNetwork, Route, Snap, network_for
from jiaoguan.geo.osm import OsmNetwork, read_osm
from jiaoguan.geo.store import (
    AreaIn,
    EdgeIn,
    NodeIn,
    Progress,
    SaveResult,
    save_areas,
    save_network,
)
from jiaoguan.platform.audit.service import record
from jiaoguan.platform.auth.service import Principal
from jiaoguan.platform.errors import Invalid, NotFound

__all__ = [
    "AreaIn",
    "EdgeIn",
    "NodeIn",
    "save_areas",
    "save_network",
]

MAX_REACH_SECONDS = 3600.0
MAX_BBOX_DEG = 0.5


def local_hour(timezone: str = "Asia/Shanghai") -> int:
    return dt.datetime.now(ZoneInfo(timezone)).hour


def network(db: Session) -> RoadNetwork:
    net = network_for(db)
    if net.node_count == 0:
        raise NotFound("尚未导入路网（请先导入 OSM 或 GeoJSON 路网）")
    return net


def snap(db: Session, lon: float, lat: float, profile: Profile, hour: int | None) -> Snap:
    try:
        return network(db).snap(lon, lat, profile, hour)
    except EmptyNetwork as exc:
        raise NotFound(f"路网中没有可供{_profile_label(profile)}的道路") from exc


def _profile_label(profile: Profile) -> str:
    return "步行" if profile == "walking" else "驾车"


def route(
    db: Session,
    origin: tuple[float, float],
    destination: tuple[float, float],
    profile: Profile,
    hour: int,
) -> Route:
    net = network(db)
    try:
        return net.eta(origin, destination, profile, hour=hour)
    except EmptyNetwork as exc:
        raise NotFound(f"路网中没有可供{_profile_label(profile)}的道路") from exc


def reachable_geojson(
    db: Session,
    where: tuple[float, float],
    seconds: float,
    profile: Profile,
    *,
    reverse: bool,
    hour: int,
    limit: int,
) -> dict[str, Any]:
    """Reachable nodes as GeoJSON Points with their seconds, nearest first, at most `limit`."""
    if not 0 < seconds <= MAX_REACH_SECONDS:
        raise Invalid(f"时间预算应在 0-{int(MAX_REACH_SECONDS)} 秒之间", ["query", "seconds"])
    net = network(db)
    try:
        reach = net.reachable_within(where, seconds, profile, reverse=reverse, hour=hour)
    except EmptyNetwork as exc:
        raise NotFound(f"路网中没有可供{_profile_label(profile)}的道路") from exc
    order = reach.seconds.argsort()[:limit]
    features = [
        {
            "type": "Feature",
            "id": int(net.node_ids[reach.node_index[k]]),
            "geometry": {
                "type": "Point",
                "coordinates": [
                    float(net.lon[reach.node_index[k]]),
                    float(net.lat[reach.node_index[k]]),
                ],
            },
            "properties": {"seconds": round(float(reach.seconds[k]), 1)},
        }
        for k in order.tolist()
    ]
    return {"type": "FeatureCollection", "features": features}


def network_geojson(
    db: Session, bbox: tuple[float, float, float, float], limit: int
) -> dict[str, Any]:
    min_lon, min_lat, max_lon, max_lat = bbox
    if not (min_lon < max_lon and min_lat < max_lat):
        raise Invalid("范围应为 最小经度,最小纬度,最大经度,最大纬度", ["query", "bbox"])
    if max_lon - min_lon > MAX_BBOX_DEG or max_lat - min_lat > MAX_BBOX_DEG:
        raise Invalid(f"范围过大（每边不超过 {MAX_BBOX_DEG} 度），请放大地图", ["query", "bbox"])
    net = network_for(db)
    edges = net.edges_in_bbox(bbox, limit).tolist() if net.node_count else []
    return geojson.network_to_geojson(net, edges)


def parse_bbox(text: str) -> tuple[float, float, float, float]:
    parts = text.split(",")
    try:
        values = [float(p) for p in parts]
    except ValueError as exc:
        raise Invalid(
            "范围应为四个数字：最小经度,最小纬度,最大经度,最大纬度", ["query", "bbox"]
        ) from exc
    if len(values) != 4 or not all(-180 <= v <= 180 for v in values):
        raise Invalid("范围应为四个数字：最小经度,最小纬度,最大经度,最大纬度", ["query", "bbox"])
    return values[0], values[1], values[2], values[3]


# --- areas -----------------------------------------------------------------------------------


def area_rows(db: Session, kind: AreaKind | None) -> list[dict[str, Any]]:
    stmt = select(Area.id, Area.kind, Area.name, Area.code, Area.org_unit_id, Area.geometry)
    if kind is not None:
        stmt = stmt.where(Area.kind == kind)
    return [dict(r._mapping) for r in db.execute(stmt.order_by(Area.kind, Area.code))]


def areas(db: Session) -> AreaIndex:
    return area_index_for(db)


def lookup(
    db: Session, lon: float, lat: float, kind: AreaKind | None
) -> tuple[list[AreaRef], NearestArea | None]:
    index = area_index_for(db)
    return index.lookup(lon, lat, kind), index.nearest(lon, lat, kind)


# --- imports (audited) -----------------------------------------------------------------------


def import_network_geojson(
    db: Session, principal: Principal | None, collection: Any, *, source: str = "geojson"
) -> SaveResult:
    nodes, edges = geojson.network_from_geojson(collection)
    if not edges:
        raise Invalid("没有可导入的道路（需要 LineString 要素）", ["features"])
    result = save_network(db, nodes, edges)
    record(
        db,
        principal,
        "geo.import_network",
        "road_network",
        detail={"source": source, "nodes": result.nodes, "edges": result.edges},
    )
    return result


def import_areas_geojson(
    db: Session, principal: Principal | None, collection: Any, default_kind: str | None = None
) -> SaveResult:
    parsed = geojson.areas_from_geojson(collection, default_kind)
    if not parsed:
        raise Invalid("没有可导入的区域（需要 Polygon 要素）", ["features"])
    result = save_areas(db, parsed)
    record(
        db,
        principal,
        "geo.import_areas",
        "area",
        detail={"areas": result.areas, "kinds": sorted({str(a.kind) for a in parsed})},
    )
    return result


def import_osm(
    db: Session, principal: Principal | None, path: Path, progress: Progress
) -> tuple[OsmNetwork, SaveResult]:
    parsed = read_osm(path, progress)
    if not parsed.edges:
        raise Invalid("文件中没有可导入的道路（highway=*）", ["file"])
    result = save_network(db, parsed.nodes, parsed.edges, progress)
    record(
        db,
        principal,
        "geo.import_osm",
        "road_network",
        detail={
            "file": path.name,
            "ways": parsed.ways,
            "nodes": result.nodes,
            "edges": result.edges,
            "seconds": round(parsed.seconds, 2),
            "peak_rss_mb": round(parsed.peak_rss_mb, 1),
        },
    )
    return parsed, result
