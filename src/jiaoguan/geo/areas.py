"""Spatial index over areas (shapely STRtree): which areas contain a point, the nearest area of a kind,
and square-grid binning (metres, not H3: no extra dependency, and square cells line up with the
grids police draw) for heat maps."""

from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt
import shapely
from shapely import STRtree
from shapely.geometry import Point, shape
from shapely.ops import nearest_points
from sqlalchemy import select
from sqlalchemy.orm import Session

from jiaoguan.geo import store
from jiaoguan.geo.coords import LocalProjection
from jiaoguan.geo.models import Area, AreaKind


@dataclass(frozen=True)
class AreaRef:
    id: int
    kind: AreaKind
    name: str
    code: str
    org_unit_id: int | None
    geometry: dict[str, Any]


@dataclass(frozen=True)
class NearestArea:
    area: AreaRef
    distance_m: float


class AreaIndex:
    def __init__(self, areas: list[AreaRef]) -> None:
        self.areas = areas
        self._shapes = [shape(a.geometry) for a in areas]
        self._tree = STRtree(self._shapes)
        self._kinds = np.array([a.kind.value for a in areas], dtype=object)

    @classmethod
    def from_db(cls, db: Session) -> AreaIndex:
        rows = db.execute(
            select(Area.id, Area.kind, Area.name, Area.code, Area.org_unit_id, Area.geometry)
        ).all()
        return cls([AreaRef(r[0], AreaKind(r[1]), r[2], r[3], r[4], r[5]) for r in rows])

    def lookup(self, lon: float, lat: float, kind: AreaKind | None = None) -> list[AreaRef]:
        """Areas containing the point (boundary included), smallest first."""
        point = Point(lon, lat)
        hits = self._tree.query(point, predicate="intersects")
        found = [int(i) for i in hits if kind is None or self.areas[int(i)].kind == kind]
        found.sort(key=lambda i: self._shapes[i].area)
        return [self.areas[i] for i in found]

    def nearest(self, lon: float, lat: float, kind: AreaKind | None = None) -> NearestArea | None:
        if not self.areas:
            return None
        point = Point(lon, lat)
        if kind is None:
            best = int(self._tree.nearest(point))
        else:
            candidates = np.flatnonzero(self._kinds == kind.value)
            if len(candidates) == 0:
                return None
            distances = shapely.distance(np.array(self._shapes, dtype=object)[candidates], point)
            best = int(candidates[int(np.argmin(distances))])
        return NearestArea(self.areas[best], _metres(self._shapes[best], point, lat))


def _metres(geom: Any, point: Point, lat: float) -> float:
    """Distance in metres from the point to the geometry, through a local projection."""
    if geom.intersects(point):
        return 0.0
    near = nearest_points(geom, point)[0]
    projection = LocalProjection(point.x, lat)
    x, y = projection.point(near.x, near.y)
    return float(np.hypot(x, y))


@dataclass(frozen=True)
class GridCell:
    ix: int
    iy: int
    count: int
    polygon: list[list[float]]


def grid_bins(
    lons: npt.ArrayLike,
    lats: npt.ArrayLike,
    cell_m: float,
    origin: tuple[float, float] | None = None,
) -> list[GridCell]:
    """Counts of points per square cell of `cell_m` metres, cells anchored at `origin` (lon, lat);
    only non-empty cells are returned, each with its WGS-84 outline."""
    lon = np.asarray(lons, dtype=np.float64)
    lat = np.asarray(lats, dtype=np.float64)
    if lon.size == 0:
        return []
    projection = LocalProjection(*(origin or (float(lon.min()), float(lat.min()))))
    xy = projection.forward(lon, lat)
    cells = np.floor(xy / cell_m).astype(np.int64)
    keys, counts = np.unique(cells, axis=0, return_counts=True)
    out: list[GridCell] = []
    for (ix, iy), count in zip(keys.tolist(), counts.tolist(), strict=True):
        xs = np.array([ix, ix + 1, ix + 1, ix, ix], dtype=np.float64) * cell_m
        ys = np.array([iy, iy, iy + 1, iy + 1, iy], dtype=np.float64) * cell_m
        ring = projection.inverse(xs, ys).tolist()
        out.append(GridCell(int(ix), int(iy), int(count), ring))
    return out


_cache: dict[str, tuple[tuple[object, ...], AreaIndex]] = {}
_lock = threading.Lock()


def area_index_for(db: Session) -> AreaIndex:
    key = db.get_bind().engine.url.render_as_string(hide_password=True)
    version = store.areas_version(db)
    with _lock:
        hit = _cache.get(key)
        if hit is not None and hit[0] == version:
            return hit[1]
    index = AreaIndex.from_db(db)
    with _lock:
        _cache[key] = (version, index)
    return index
