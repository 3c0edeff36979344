"""In-memory road network: sparse travel-time graphs per profile, KD-tree snapping, bounded
Dijkstra ("who can reach this place within T"), point-to-point ETA with path.

Edges are stored once per segment (drivable both ways unless one-way); the graph for a profile
holds one arc per direction that profile may use, with weight = travel seconds. Parallel arcs keep the
fastest. Graphs are built lazily per (profile, hour) and kept in a small LRU; the whole network is
cached per database version by `network_for`.
"""

from __future__ import annotations

import itertools
import json
import threading
from collections import OrderedDict
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
import numpy.typing as npt
from scipy.sparse import csr_matrix
from scipy.sparse.csgraph import connected_components, dijkstra
from scipy.spatial import cKDTree
from sqlalchemy import Text, cast, select
from sqlalchemy.orm import Session

from jiaoguan.geo import store
from jiaoguan.geo.coords import LocalProjection, haversine_m
from jiaoguan.geo.models import RoadEdge, RoadNode
from jiaoguan.geo.roads import DRIVABLE, WALK_SPEED_KMH, WALKABLE, default_speed_factor

Profile = Literal["driving", "walking"]
PROFILES: tuple[Profile, ...] = ("driving", "walking")
IntArray = npt.NDArray[np.int64]
FloatArray = npt.NDArray[np.float64]
# scipy treats explicit zeros as missing arcs in some paths; a zero-length segment still costs 1 ms.
_MIN_SECONDS = 1e-3
# Slowest plausible network speed (m/s) used to bound a point-to-point search before falling back
# to an unbounded one: 3× the straight line at 20 km/h covers nearly every urban trip.
_BOUND_SPEED_MS = 20 / 3.6
_GRAPH_CACHE_SIZE = 8


class EmptyNetwork(Exception):
    """The network has no nodes (nothing imported yet)."""


@dataclass(frozen=True)
class Snap:
    node_index: int
    node_id: int
    lon: float
    lat: float
    distance_m: float


@dataclass(frozen=True)
class Reach:
    """Nodes reachable within the budget and their travel seconds (to the target if reverse)."""

    origin: Snap
    seconds_limit: float
    node_index: IntArray
    seconds: FloatArray


@dataclass(frozen=True)
class Route:
    origin: Snap
    destination: Snap
    reachable: bool
    seconds: float | None
    length_m: float | None
    straight_line_m: float
    node_ids: list[int] = field(default_factory=list)
    polyline: list[list[float]] = field(default_factory=list)


@dataclass(frozen=True)
class _Graph:
    forward: csr_matrix
    backward: csr_matrix
    # For each stored arc (aligned with forward.data): the edge index and whether it runs to → from.
    arc_edge: IntArray
    arc_reversed: npt.NDArray[np.bool_]
    # KD-tree over the nodes this profile can use (a footway node is no place to start driving)
    # and that lie in the largest strongly connected component.
    tree: cKDTree | None
    tree_nodes: IntArray


class RoadNetwork:
    """Immutable after construction; safe to share between threads."""

    def __init__(
        self,
        node_ids: IntArray,
        lon: FloatArray,
        lat: FloatArray,
        edge_from: IntArray,
        edge_to: IntArray,
        length_m: FloatArray,
        speed_kmh: FloatArray,
        road_class: npt.NDArray[Any],
        oneway: npt.NDArray[np.bool_],
        *,
        edge_ids: IntArray | None = None,
        geometries: list[list[list[float]]] | None = None,
        names: list[str | None] | None = None,
        speed_factors: dict[tuple[str, int], float] | None = None,
    ) -> None:
        """`edge_from`/`edge_to` are node *indices* (positions in `node_ids`)."""
        self.node_ids = np.asarray(node_ids, dtype=np.int64)
        self.lon = np.asarray(lon, dtype=np.float64)
        self.lat = np.asarray(lat, dtype=np.float64)
        self.edge_from = np.asarray(edge_from, dtype=np.int64)
        self.edge_to = np.asarray(edge_to, dtype=np.int64)
        self.length_m = np.asarray(length_m, dtype=np.float64)
        self.speed_kmh = np.asarray(speed_kmh, dtype=np.float64)
        self.road_class = np.asarray(road_class, dtype=object)
        self.oneway = np.asarray(oneway, dtype=np.bool_)
        count = len(self.edge_from)
        self.edge_ids = (
            np.asarray(edge_ids, dtype=np.int64) if edge_ids is not None else np.arange(count)
        )
        self.geometries = geometries
        self.names = names
        self.speed_factors = dict(speed_factors or {})
        self.projection = LocalProjection.around(self.lon, self.lat)
        self._tree = cKDTree(self.projection.forward(self.lon, self.lat)) if len(self.lon) else None
        self._index_of_id = {int(v): i for i, v in enumerate(self.node_ids)}
        self._graphs: OrderedDict[tuple[str, int | None], _Graph] = OrderedDict()
        self._lock = threading.Lock()

    # --- construction ------------------------------------------------------------------------

    @classmethod
    def from_id_arrays(
        cls,
        node_ids: IntArray,
        lon: FloatArray,
        lat: FloatArray,
        from_ids: IntArray,
        to_ids: IntArray,
        length_m: FloatArray,
        speed_kmh: FloatArray,
        road_class: npt.NDArray[Any],
        oneway: npt.NDArray[np.bool_],
        **kwargs: Any,
    ) -> RoadNetwork:
        """Edges given by node ids rather than indices."""
        node_ids = np.asarray(node_ids, dtype=np.int64)
        order = np.argsort(node_ids, kind="stable")
        sorted_ids = node_ids[order]
        src = order[np.searchsorted(sorted_ids, np.asarray(from_ids, dtype=np.int64))]
        dst = order[np.searchsorted(sorted_ids, np.asarray(to_ids, dtype=np.int64))]
        return cls(node_ids, lon, lat, src, dst, length_m, speed_kmh, road_class, oneway, **kwargs)

    @classmethod
    def from_db(cls, db: Session) -> RoadNetwork:
        """Load with two column queries (no ORM objects)."""
        node_rows = db.execute(
            select(RoadNode.id, RoadNode.lon, RoadNode.lat).order_by(RoadNode.id)
        )
        # Columns through zip: numpy probing SQLAlchemy Row objects one by one is slow.
        node_columns = list(zip(*node_rows, strict=True)) or [(), (), ()]
        nodes = np.array(node_columns, dtype=np.float64).reshape(3, -1).T
        edge_rows = list(
            db.execute(
                select(
                    RoadEdge.id,
                    RoadEdge.from_node_id,
                    RoadEdge.to_node_id,
                    RoadEdge.length_m,
                    RoadEdge.speed_limit_kmh,
                    RoadEdge.road_class,
                    RoadEdge.oneway,
                    RoadEdge.name,
                    # As text, decoded in one call below: per-row JSON decoding dominates the load.
                    cast(RoadEdge.geometry, Text),
                ).order_by(RoadEdge.id)
            )
        )
        columns = list(zip(*edge_rows, strict=True)) if edge_rows else [()] * 9
        numeric = np.array(columns[:5], dtype=np.float64).reshape(5, -1)
        geometries = json.loads("[" + ",".join(columns[8]) + "]")
        return cls.from_id_arrays(
            nodes[:, 0].astype(np.int64),
            nodes[:, 1],
            nodes[:, 2],
            numeric[1].astype(np.int64),
            numeric[2].astype(np.int64),
            numeric[3],
            numeric[4],
            np.array(columns[5], dtype=object),
            np.array(columns[6], dtype=np.bool_),
            edge_ids=numeric[0].astype(np.int64),
            names=list(columns[7]),
            geometries=geometries,
            speed_factors=store.load_speed_factors(db),
        )

    # --- sizes and lookups ---------------------------------------------------------------------

    @property
    def node_count(self) -> int:
        return len(self.node_ids)

    @property
    def edge_count(self) -> int:
        return len(self.edge_from)

    def index_of(self, node_id: int) -> int:
        try:
            return self._index_of_id[int(node_id)]
        except KeyError as exc:
            raise KeyError(f"no node {node_id}") from exc

    def factor(self, road_class: str, hour: int | None) -> float:
        if hour is None:
            return 1.0
        return self.speed_factors.get((road_class, hour), default_speed_factor(road_class, hour))

    # --- graphs --------------------------------------------------------------------------------

    def _arc_arrays(
        self, profile: Profile, hour: int | None
    ) -> tuple[IntArray, IntArray, FloatArray, IntArray, npt.NDArray[np.bool_]]:
        classes = self.road_class
        if profile == "walking":
            usable = np.isin(classes, list(WALKABLE))
            speed_ms = np.full(self.edge_count, WALK_SPEED_KMH / 3.6)
            back = usable
        else:
            usable = np.isin(classes, list(DRIVABLE))
            factors = np.array([self.factor(str(c), hour) for c in classes], dtype=np.float64)
            speed_ms = np.maximum(self.speed_kmh * factors, 1.0) / 3.6
            back = usable & ~self.oneway
        seconds = np.maximum(self.length_m / speed_ms, _MIN_SECONDS)
        fwd = np.flatnonzero(usable)
        bwd = np.flatnonzero(back)
        src = np.concatenate([self.edge_from[fwd], self.edge_to[bwd]])
        dst = np.concatenate([self.edge_to[fwd], self.edge_from[bwd]])
        weight = np.concatenate([seconds[fwd], seconds[bwd]])
        edge = np.concatenate([fwd, bwd])
        rev = np.concatenate([np.zeros(len(fwd), np.bool_), np.ones(len(bwd), np.bool_)])
        keep = src != dst
        return src[keep], dst[keep], weight[keep], edge[keep], rev[keep]

    def _build_graph(self, profile: Profile, hour: int | None) -> _Graph:
        src, dst, weight, edge, rev = self._arc_arrays(profile, hour)
        # Sort by (src, dst, weight) and keep the fastest of parallel arcs; then CSR directly, so
        # the arc → edge mapping stays aligned with the matrix data.
        order = np.lexsort((weight, dst, src))
        src, dst, weight, edge, rev = src[order], dst[order], weight[order], edge[order], rev[order]
        first = np.ones(len(src), dtype=np.bool_)
        first[1:] = (src[1:] != src[:-1]) | (dst[1:] != dst[:-1])
        src, dst, weight, edge, rev = src[first], dst[first], weight[first], edge[first], rev[first]
        n = self.node_count
        indptr = np.zeros(n + 1, dtype=np.int32)
        np.cumsum(np.bincount(src, minlength=n), out=indptr[1:])
        forward = csr_matrix((weight, dst.astype(np.int32), indptr), shape=(n, n))
        backward = forward.T.tocsr()
        backward.indices = backward.indices.astype(np.int32)
        # Snap only into the largest strongly connected part: a clipped extract leaves one-way
        # stubs and car parks from which nothing (or only they) can be reached.
        _count, labels = connected_components(forward, directed=True, connection="strong")
        degree = np.bincount(np.concatenate([src, dst]), minlength=n) > 0
        sizes = np.bincount(labels[degree]) if degree.any() else np.zeros(1, np.int64)
        used = np.flatnonzero(degree & (labels == int(np.argmax(sizes))))
        xy = self.projection.forward(self.lon[used], self.lat[used])
        tree = cKDTree(xy) if len(used) else None
        return _Graph(forward, backward, edge, rev, tree, used.astype(np.int64))

    def graph(self, profile: Profile = "driving", hour: int | None = None) -> _Graph:
        key = (profile, hour)
        with self._lock:
            cached = self._graphs.get(key)
            if cached is not None:
                self._graphs.move_to_end(key)
                return cached
        built = self._build_graph(profile, hour)
        with self._lock:
            self._graphs[key] = built
            while len(self._graphs) > _GRAPH_CACHE_SIZE:
                self._graphs.popitem(last=False)
        return built

    # --- snapping ------------------------------------------------------------------------------

    def snap(
        self, lon: float, lat: float, profile: Profile | None = None, hour: int | None = None
    ) -> Snap:
        """The nearest node (usable by `profile` when given) and the distance to it."""
        if profile is None:
            tree, nodes = self._tree, None
        else:
            g = self.graph(profile, hour)
            tree, nodes = g.tree, g.tree_nodes
        if tree is None:
            raise EmptyNetwork
        x, y = self.projection.point(lon, lat)
        _dist, index = tree.query((x, y))
        i = int(index) if nodes is None else int(nodes[int(index)])
        exact = haversine_m(lon, lat, float(self.lon[i]), float(self.lat[i]))
        return Snap(i, int(self.node_ids[i]), float(self.lon[i]), float(self.lat[i]), exact)

    def snap_many(self, lons: FloatArray, lats: FloatArray) -> tuple[IntArray, FloatArray]:
        """Node indices and planar snap distances (m) for many points at once."""
        if self._tree is None:
            raise EmptyNetwork
        dist, index = self._tree.query(self.projection.forward(lons, lats))
        return np.asarray(index, dtype=np.int64), np.asarray(dist, dtype=np.float64)

    def _as_snap(
        self, where: int | tuple[float, float], profile: Profile, hour: int | None
    ) -> Snap:
        if isinstance(where, tuple):
            return self.snap(where[0], where[1], profile, hour)
        i = int(where)
        return Snap(i, int(self.node_ids[i]), float(self.lon[i]), float(self.lat[i]), 0.0)

    # --- searches ------------------------------------------------------------------------------

    def reachable_within(
        self,
        where: int | tuple[float, float],
        seconds: float,
        profile: Profile = "driving",
        *,
        reverse: bool = False,
        hour: int | None = None,
    ) -> Reach:
        """Nodes within `seconds` of `where` (a node index or a (lon, lat) point, snapped).
        reverse=True answers "who can reach this place within T": times are node → place."""
        g = self.graph(profile, hour)
        origin = self._as_snap(where, profile, hour)
        matrix = g.backward if reverse else g.forward
        dist = dijkstra(matrix, directed=True, indices=origin.node_index, limit=float(seconds))
        hit = np.flatnonzero(np.isfinite(dist))
        return Reach(origin, float(seconds), hit.astype(np.int64), dist[hit])

    def eta(
        self,
        a: int | tuple[float, float],
        b: int | tuple[float, float],
        profile: Profile = "driving",
        *,
        hour: int | None = None,
    ) -> Route:
        """Travel seconds and path from a to b (node indices or snapped points)."""
        origin, dest = self._as_snap(a, profile, hour), self._as_snap(b, profile, hour)
        straight = haversine_m(origin.lon, origin.lat, dest.lon, dest.lat)
        g = self.graph(profile, hour)
        bound = 300.0 + 3.0 * straight / _BOUND_SPEED_MS
        dist, pred = dijkstra(
            g.forward, indices=origin.node_index, return_predecessors=True, limit=bound
        )
        if not np.isfinite(dist[dest.node_index]):
            dist, pred = dijkstra(g.forward, indices=origin.node_index, return_predecessors=True)
        seconds = float(dist[dest.node_index])
        if not np.isfinite(seconds):
            return Route(origin, dest, False, None, None, straight)
        path = [dest.node_index]
        while path[-1] != origin.node_index:
            path.append(int(pred[path[-1]]))
        path.reverse()
        arcs = [self._arc_of(g, u, v) for u, v in itertools.pairwise(path)]
        length = float(sum(self.length_m[e] for e, _ in arcs))
        return Route(
            origin,
            dest,
            True,
            seconds,
            length,
            straight,
            node_ids=[int(self.node_ids[i]) for i in path],
            polyline=self._polyline(path, arcs),
        )

    def _arc_of(self, g: _Graph, u: int, v: int) -> tuple[int, bool]:
        start, end = g.forward.indptr[u], g.forward.indptr[u + 1]
        k = start + int(np.searchsorted(g.forward.indices[start:end], v))
        return int(g.arc_edge[k]), bool(g.arc_reversed[k])

    def _polyline(self, path: list[int], arcs: list[tuple[int, bool]]) -> list[list[float]]:
        if not arcs:
            i = path[0]
            return [[float(self.lon[i]), float(self.lat[i])]]
        line: list[list[float]] = []
        for (edge, reversed_), u, v in zip(arcs, path[:-1], path[1:], strict=True):
            if self.geometries is not None:
                coords = self.geometries[edge][::-1] if reversed_ else self.geometries[edge]
            else:
                coords = [[self.lon[u], self.lat[u]], [self.lon[v], self.lat[v]]]
            part = [[float(x), float(y)] for x, y in coords]
            line.extend(part if not line else part[1:])
        return line

    def edges_in_bbox(self, bbox: tuple[float, float, float, float], limit: int) -> IntArray:
        """Edge indices with an end node inside (min_lon, min_lat, max_lon, max_lat)."""
        min_lon, min_lat, max_lon, max_lat = bbox
        inside = (
            (self.lon >= min_lon)
            & (self.lon <= max_lon)
            & (self.lat >= min_lat)
            & (self.lat <= max_lat)
        )
        hit = inside[self.edge_from] | inside[self.edge_to]
        return np.flatnonzero(hit)[:limit].astype(np.int64)


# --- the process-wide cache, one network per database and version -------------------------------

_cache: dict[str, tuple[tuple[float, ...], RoadNetwork]] = {}
_cache_lock = threading.Lock()


def network_for(db: Session) -> RoadNetwork:
    """The stored network, loaded once per database version and shared by every request."""
    key = db.get_bind().engine.url.render_as_string(hide_password=True)
    version = store.network_version(db)
    with _cache_lock:
        hit = _cache.get(key)
        if hit is not None and hit[0] == version:
            return hit[1]
    network = RoadNetwork.from_db(db)
    with _cache_lock:
        _cache[key] = (version, network)
    return network
