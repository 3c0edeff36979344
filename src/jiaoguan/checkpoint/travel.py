"""Checkpoints as sites with free-flow driving times between every ordered pair.

Clone detection needs the minimum feasible travel time per directed pair (algorithms.md §3.3), and
alerts need "the checkpoints a vehicle reaches within a few minutes after this one". Both come from
one matrix of road-network travel seconds at the speed limit (geo/network.py, hour=None), built
with one bounded multi-source Dijkstra per chunk of checkpoints. A checkpoint the network cannot
place (no network imported, off the graph) falls back to the straight line at `FALLBACK_KMH`.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import polars as pl
from scipy.sparse.csgraph import dijkstra
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from jiaoguan.checkpoint.models import Checkpoint
from jiaoguan.geo.coords import haversine_m
from jiaoguan.geo.network import EmptyNetwork, RoadNetwork, network_for
from jiaoguan.platform.auth.models import OrgUnit

FloatArray = npt.NDArray[np.float64]
# Straight-line speed assumed without a road network: fast, so that the fallback rarely flags.
FALLBACK_KMH = 80.0
# Longest trip worth knowing between two checkpoints; beyond it, a sighting pair proves nothing.
SEARCH_LIMIT_S = 4 * 3600.0
# A checkpoint farther than this from any road node is not on the network.
MAX_SNAP_M = 500.0
_CHUNK = 32


@dataclass(frozen=True)
class CheckpointSites:
    """The checkpoints in index order, and `seconds[i, j]`: free-flow driving time i → j."""

    ids: npt.NDArray[np.int64]
    names: list[str]
    codes: list[str]
    lon: FloatArray
    lat: FloatArray
    unit_ids: list[int]
    unit_paths: list[str]
    seconds: FloatArray

    def __post_init__(self) -> None:
        object.__setattr__(self, "_index", {int(c): i for i, c in enumerate(self.ids)})

    def index(self, checkpoint_id: int) -> int | None:
        found: int | None = self._index.get(checkpoint_id)  # type: ignore[attr-defined]
        return found

    @property
    def index_map(self) -> dict[int, int]:
        return self._index  # type: ignore[attr-defined,no-any-return]

    def __len__(self) -> int:
        return len(self.ids)

    def downstream(self, checkpoint_id: int, within_s: float, limit: int = 5) -> list[int]:
        """Checkpoints reachable from this one within `within_s` (nearest first), itself excluded."""
        i = self.index(checkpoint_id)
        if i is None:
            return []
        row = self.seconds[i]
        order = np.argsort(row, kind="stable")
        picked = [int(self.ids[j]) for j in order if j != i and row[j] <= within_s]
        return picked[:limit]


def straight_seconds(lon: FloatArray, lat: FloatArray, kmh: float = FALLBACK_KMH) -> FloatArray:
    n = len(lon)
    out = np.zeros((n, n), dtype=np.float64)
    for i in range(n):
        for j in range(i + 1, n):
            out[i, j] = out[j, i] = haversine_m(lon[i], lat[i], lon[j], lat[j]) / (kmh / 3.6)
    return out


def network_seconds(network: RoadNetwork, lon: FloatArray, lat: FloatArray) -> FloatArray:
    """Driving seconds between the points on the network; the straight-line fallback where a
    point is off the network or a pair is unreachable within the search limit."""
    result = straight_seconds(lon, lat)
    n = len(lon)
    if n == 0:
        return result
    try:
        snaps = [network.snap(float(x), float(y), "driving") for x, y in zip(lon, lat, strict=True)]
    except EmptyNetwork:
        return result
    on_net = np.array([s.distance_m <= MAX_SNAP_M for s in snaps])
    nodes = np.array([s.node_index for s in snaps], dtype=np.int64)
    usable = np.flatnonzero(on_net)
    graph = network.graph("driving").forward
    for start in range(0, len(usable), _CHUNK):
        rows = usable[start : start + _CHUNK]
        dist = dijkstra(graph, directed=True, indices=nodes[rows], limit=SEARCH_LIMIT_S)
        block = dist[:, nodes[usable]]
        for r, i in enumerate(rows):
            finite = np.isfinite(block[r])
            cols = usable[finite]
            result[i, cols] = np.maximum(block[r][finite], 0.0)
    np.fill_diagonal(result, 0.0)
    return result


def load_sites(db: Session, *, with_network: bool = True) -> CheckpointSites:
    """Every checkpoint (whatever its status: a disabled one still explains old passes)."""
    rows = list(
        db.execute(
            select(
                Checkpoint.id,
                Checkpoint.name,
                Checkpoint.code,
                Checkpoint.lon,
                Checkpoint.lat,
                Checkpoint.unit_id,
                OrgUnit.path,
            )
            .join(OrgUnit, OrgUnit.id == Checkpoint.unit_id)
            .order_by(Checkpoint.id)
        )
    )
    lon = np.array([r.lon for r in rows], dtype=np.float64)
    lat = np.array([r.lat for r in rows], dtype=np.float64)
    seconds = straight_seconds(lon, lat)
    if with_network and rows:
        seconds = network_seconds(network_for(db), lon, lat)
    return CheckpointSites(
        ids=np.array([r.id for r in rows], dtype=np.int64),
        names=[r.name for r in rows],
        codes=[r.code for r in rows],
        lon=lon,
        lat=lat,
        unit_ids=[r.unit_id for r in rows],
        unit_paths=[r.path for r in rows],
        seconds=seconds,
    )


class SitesCache:
    """Sites per process, rebuilt when checkpoints are added or moved (count and newest update)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._sites: CheckpointSites | None = None
        self._version: tuple[object, ...] | None = None

    def get(self, db: Session) -> CheckpointSites:
        version = tuple(
            db.execute(select(func.count(Checkpoint.id), func.max(Checkpoint.updated_at))).one()
        )
        with self._lock:
            if self._sites is not None and self._version == version:
                return self._sites
        sites = load_sites(db)
        with self._lock:
            self._sites, self._version = sites, version
        return sites


SITES = SitesCache()


def sites_from_frames(checkpoints: pl.DataFrame, travel: pl.DataFrame) -> CheckpointSites:
    """Sites from `jiaoguan simulate` output (checkpoint/checkpoints and checkpoint/travel_times:
    code, name, lon, lat / from_code, to_code, free_flow_s), for benchmarks and offline scoring.
    Ids are 1..n in file order; pairs missing from `travel` get the straight-line fallback."""
    codes = list(checkpoints["code"])
    lon = checkpoints["lon"].to_numpy().astype(np.float64)
    lat = checkpoints["lat"].to_numpy().astype(np.float64)
    seconds = straight_seconds(lon, lat)
    index = {code: i for i, code in enumerate(codes)}
    for start, end, value in travel.select("from_code", "to_code", "free_flow_s").iter_rows():
        if start in index and end in index:
            seconds[index[start], index[end]] = value
    n = len(codes)
    return CheckpointSites(
        ids=np.arange(1, n + 1, dtype=np.int64),
        names=list(checkpoints["name"]) if "name" in checkpoints.columns else codes,
        codes=codes,
        lon=lon,
        lat=lat,
        unit_ids=[0] * n,
        unit_paths=["/"] * n,
        seconds=seconds,
    )
