"""Bulk reads and writes of the road network and areas: Core inserts in chunks, no ORM objects.

Other modules (the synthetic city generator, importers) call `save_network` and `save_areas` with
plain dataclasses; both replace what was there and return counts.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any, cast

import psycopg
from shapely.errors import ShapelyError
from shapely.geometry import shape
from sqlalchemy import delete, func, insert, select
from sqlalchemy.orm import Session

from jiaoguan.geo.coords import polyline_length_m
from jiaoguan.geo.models import Area, AreaKind, RoadEdge, RoadNode, SpeedProfile
from jiaoguan.geo.roads import DEFAULT_SPEED_KMH
from jiaoguan.platform.auth.models import OrgUnit
from jiaoguan.platform.errors import Invalid

CHUNK = 5_000
Progress = Callable[[str, int, int | None], None]


def _no_progress(_stage: str, _done: int, _total: int | None) -> None:
    return None


@dataclass(frozen=True)
class NodeIn:
    id: int
    lon: float
    lat: float
    osm_id: int | None = None


@dataclass(frozen=True)
class EdgeIn:
    """A segment from → to; `geometry` is [[lon, lat], ...] starting at `from_id`'s node and ending at
    `to_id`'s. `length_m` is computed from the geometry when None."""

    from_id: int
    to_id: int
    geometry: list[list[float]]
    road_class: str = "residential"
    speed_limit_kmh: float | None = None
    oneway: bool = False
    lanes: int | None = None
    name: str | None = None
    length_m: float | None = None
    osm_way_id: int | None = None


@dataclass(frozen=True)
class AreaIn:
    kind: AreaKind | str
    name: str
    code: str
    geometry: dict[str, Any]
    org_unit_id: int | None = None


@dataclass
class SaveResult:
    nodes: int = 0
    edges: int = 0
    areas: int = 0
    skipped: list[str] = field(default_factory=list)


def _chunks(rows: Sequence[dict[str, Any]]) -> Iterable[Sequence[dict[str, Any]]]:
    for start in range(0, len(rows), CHUNK):
        yield rows[start : start + CHUNK]


_EDGE_COLUMNS = (
    "from_node_id",
    "to_node_id",
    "road_class",
    "lanes",
    "speed_limit_kmh",
    "oneway",
    "name",
    "length_m",
    "geometry",
    "osm_way_id",
)


def _edge_row(edge: EdgeIn) -> tuple[Any, ...]:
    length = edge.length_m if edge.length_m is not None else polyline_length_m(edge.geometry)
    speed = edge.speed_limit_kmh or DEFAULT_SPEED_KMH.get(edge.road_class, 30.0)
    # repr of a float is valid JSON and this is ~3× faster than json.dumps per row.
    geometry = "[" + ",".join(f"[{float(x)!r},{float(y)!r}]" for x, y in edge.geometry) + "]"
    return (
        int(edge.from_id),
        int(edge.to_id),
        edge.road_class,
        edge.lanes,
        float(speed),
        bool(edge.oneway),
        edge.name[:200] if edge.name else None,
        float(length),
        geometry,
        edge.osm_way_id,
    )


def _bulk_insert(db: Session, table: str, columns: list[str], rows: list[tuple[Any, ...]]) -> None:
    """Driver-level bulk insert: COPY on PostgreSQL, executemany on SQLite; values must already be
    plain (JSON as text). Skips SQLAlchemy's per-row processing, which dominates at 100k rows."""
    if not rows:
        return
    connection = db.connection()
    names = ", ".join(columns)
    if connection.dialect.name == "postgresql":
        raw = cast("psycopg.Connection[Any]", connection.connection.dbapi_connection)
        with raw.cursor() as cursor, cursor.copy(f"COPY {table} ({names}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)
        return
    marks = ", ".join("?" for _ in columns)
    connection.exec_driver_sql(f"INSERT INTO {table} ({names}) VALUES ({marks})", rows)


def save_network(
    db: Session,
    nodes: Sequence[NodeIn],
    edges: Sequence[EdgeIn],
    progress: Progress = _no_progress,
) -> SaveResult:
    """Replace the stored road network. Edges must reference given node ids."""
    known = {n.id for n in nodes}
    for index, edge in enumerate(edges):
        if edge.from_id not in known or edge.to_id not in known:
            raise Invalid(f"第 {index} 条路段引用了不存在的节点", ["edges", index])
        if len(edge.geometry) < 2:
            raise Invalid(f"第 {index} 条路段的几何至少需要两个点", ["edges", index, "geometry"])
        if not all(math.isfinite(x) and math.isfinite(y) for x, y in edge.geometry):
            raise Invalid(f"第 {index} 条路段的坐标不是有限数值", ["edges", index, "geometry"])
    db.execute(delete(RoadEdge))
    db.execute(delete(RoadNode))
    node_rows = [(int(n.id), float(n.lon), float(n.lat), n.osm_id) for n in nodes]
    for start in range(0, len(node_rows), CHUNK):
        chunk = node_rows[start : start + CHUNK]
        _bulk_insert(db, "road_node", ["id", "lon", "lat", "osm_id"], chunk)
        progress("写入节点", start + len(chunk), len(node_rows))
    edge_rows = [_edge_row(e) for e in edges]
    for start in range(0, len(edge_rows), CHUNK):
        chunk = edge_rows[start : start + CHUNK]
        _bulk_insert(db, "road_edge", list(_EDGE_COLUMNS), chunk)
        progress("写入路段", start + len(chunk), len(edge_rows))
    return SaveResult(nodes=len(node_rows), edges=len(edge_rows))


def save_speed_profiles(db: Session, factors: dict[tuple[str, int], float]) -> int:
    """Replace the time-of-day factors: {(road_class, hour): factor}."""
    db.execute(delete(SpeedProfile))
    rows = [{"road_class": c, "hour": h, "factor": f} for (c, h), f in sorted(factors.items())]
    if rows:
        db.execute(insert(SpeedProfile), rows)
    return len(rows)


def validate_polygon(geometry: Any, where: list[str | int]) -> dict[str, Any]:
    """A GeoJSON Polygon/MultiPolygon that shapely accepts as valid; else 422 naming the place."""
    if not isinstance(geometry, dict) or geometry.get("type") not in {"Polygon", "MultiPolygon"}:
        raise Invalid("几何类型应为 Polygon 或 MultiPolygon", where)
    try:
        shp = shape(geometry)
    except (ShapelyError, ValueError, TypeError, IndexError, AttributeError, KeyError) as exc:
        raise Invalid(f"几何坐标格式错误：{exc}", where) from exc
    if shp.is_empty or not shp.is_valid:
        raise Invalid("多边形无效（自相交、点数不足或为空）", where)
    minx, miny, maxx, maxy = shp.bounds
    if not (-180 <= minx <= maxx <= 180 and -90 <= miny <= maxy <= 90):
        raise Invalid("坐标超出经纬度范围（应为 WGS-84 经度、纬度）", where)
    return dict(geometry)


def save_areas(db: Session, areas: Sequence[AreaIn], *, replace_kinds: bool = True) -> SaveResult:
    """Insert areas; with `replace_kinds` the stored areas of the kinds given are replaced first."""
    rows: list[dict[str, Any]] = []
    seen: set[tuple[str, str]] = set()
    for index, area in enumerate(areas):
        try:
            kind = AreaKind(area.kind)
        except ValueError as exc:
            raise Invalid(
                f"第 {index} 个区域的类型 {area.kind} 不在允许范围内", ["areas", index, "kind"]
            ) from exc
        if not area.code or not area.name:
            raise Invalid(f"第 {index} 个区域缺少编码或名称", ["areas", index, "code"])
        if (kind, area.code) in seen:
            raise Invalid(f"第 {index} 个区域的编码 {area.code} 重复", ["areas", index, "code"])
        seen.add((kind, area.code))
        geometry = validate_polygon(area.geometry, ["areas", index, "geometry"])
        rows.append(
            {
                "kind": kind,
                "name": area.name[:100],
                "code": area.code[:64],
                "geometry": geometry,
                "org_unit_id": area.org_unit_id,
            }
        )
    _check_units(db, areas)
    if replace_kinds:
        kinds = {r["kind"] for r in rows}
        if kinds:
            db.execute(delete(Area).where(Area.kind.in_(kinds)))
    for chunk in _chunks(rows):
        db.execute(insert(Area), chunk)
    db.flush()
    return SaveResult(areas=len(rows))


def _check_units(db: Session, areas: Sequence[AreaIn]) -> None:
    wanted = {a.org_unit_id for a in areas if a.org_unit_id is not None}
    if not wanted:
        return
    known = set(db.scalars(select(OrgUnit.id).where(OrgUnit.id.in_(wanted))))
    for index, area in enumerate(areas):
        if area.org_unit_id is not None and area.org_unit_id not in known:
            raise Invalid(
                f"第 {index} 个区域的所属单位 {area.org_unit_id} 不存在",
                ["areas", index, "org_unit_id"],
            )


def network_version(db: Session) -> tuple[float, ...]:
    """Changes whenever the network is replaced: save_network deletes and re-inserts, so edge ids
    grow; node and edge counts catch the rest."""
    nodes = db.execute(select(func.count(), func.max(RoadNode.id))).one()
    edges = db.execute(select(func.count(), func.max(RoadEdge.id))).one()
    profiles = db.execute(
        select(func.count(), func.sum(SpeedProfile.factor * (SpeedProfile.hour + 1)))
    ).one()
    return (
        int(nodes[0]),
        int(edges[0]),
        int(edges[1] or 0),
        int(profiles[0]),
        round(float(profiles[1] or 0), 6),
    )


def areas_version(db: Session) -> tuple[int, int, str]:
    row = db.execute(select(func.count(), func.max(Area.id), func.max(Area.updated_at))).one()
    return (int(row[0]), int(row[1] or 0), str(row[2]))


def load_speed_factors(db: Session) -> dict[tuple[str, int], float]:
    rows = db.execute(select(SpeedProfile.road_class, SpeedProfile.hour, SpeedProfile.factor))
    return {(c, int(h)): float(f) for c, h, f in rows}
