"""The synthetic road network: a perturbed arterial grid, secondary roads, irregular local streets,
one-way streets, and a river that only a few bridges cross.

Coordinates are built in local metres (x east, y north, origin at the city centre) and converted to
WGS-84 near 保定 at the end; lengths and travel times come from the metric coordinates.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import polars as pl
from scipy.sparse import csr_matrix
from scipy.sparse.csgraph import connected_components

from jiaoguan.sim.names import ROAD_WORDS

CENTRE_LON = 115.46
CENTRE_LAT = 38.87
M_PER_DEG_LAT = 110_540.0
M_PER_DEG_LON = 111_320.0 * math.cos(math.radians(CENTRE_LAT))

ARTERIAL_EVERY = 10  # every 10th grid line is an arterial (主干路) ...
SECONDARY_EVERY = 5  # ... every 5th one otherwise a secondary road (次干路)
CLASS_SPEC: dict[str, tuple[int, float]] = {
    # road class -> (lanes per direction, speed limit km/h)
    "arterial": (3, 60.0),
    "secondary": (2, 50.0),
    "local": (1, 30.0),
}
CN_DIGITS = "零一二三四五六七八九"


def cn_number(n: int) -> str:
    """1 -> 一, 10 -> 十, 12 -> 十二, 35 -> 三十五 (up to 99)."""
    if n < 10:
        return CN_DIGITS[n]
    tens, ones = divmod(n, 10)
    return ("" if tens == 1 else CN_DIGITS[tens]) + "十" + (CN_DIGITS[ones] if ones else "")


def to_lonlat(
    x: npt.NDArray[np.float64], y: npt.NDArray[np.float64]
) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.float64]]:
    return CENTRE_LON + x / M_PER_DEG_LON, CENTRE_LAT + y / M_PER_DEG_LAT


@dataclass(frozen=True)
class NetworkSpec:
    lines: int  # grid lines in each direction (nodes ≈ lines²)
    spacing_m: float
    bridges: int
    diagonal_share: float = 0.01
    dropped_local_share: float = 0.10
    one_way_share: float = 0.25


@dataclass
class Network:
    nodes: pl.DataFrame  # node_id, x, y, lon, lat
    edges: pl.DataFrame  # directed: edge_id, source, target, road_id, length_m, ..., bridge
    roads: pl.DataFrame  # road_id, name, road_class, orientation, lanes, speed_kph, oneway
    river: npt.NDArray[np.float64]  # (k, 2) lon/lat polyline from west to east
    river_xy: npt.NDArray[np.float64]  # the same in metres
    bridges: pl.DataFrame  # bridge_id, road_id, road_name, edge ids, lon, lat, x


def river_y(x: npt.NDArray[np.float64], half: float, phase: float) -> npt.NDArray[np.float64]:
    """The river's centre line: a meander crossing the whole city from west to east."""
    return 0.08 * half * np.sin(2.2 * np.pi * x / (2 * half) + phase) + 0.05 * half


def _line_class(index: int) -> str:
    if index % ARTERIAL_EVERY == ARTERIAL_EVERY // 2:
        return "arterial"
    if index % SECONDARY_EVERY == 0:
        return "secondary"
    return "local"


def _segment_names(horizontal: bool) -> tuple[str, str, str]:
    # Thirds of a long road, from low to high coordinate: west/centre/east or south/centre/north.
    # The middle of a north-south street keeps the bare name (朝阳大街 between 朝阳南/北大街).
    return ("西", "中", "东") if horizontal else ("南", "", "北")


class _Namer:
    """Unique road names: majors take a bare word plus a segment, locals a word, number, suffix."""

    def __init__(self, rng: np.random.Generator) -> None:
        words = list(ROAD_WORDS)
        order = rng.permutation(len(words))
        # The demo organisation's police districts are named after these roads: they must exist.
        self.reserved = {"ew": ["东风", "裕华"], "ns": ["朝阳"]}
        taken = {w for names in self.reserved.values() for w in names}
        self.major_words: list[str] = [words[i] for i in order if words[i] not in taken]
        local = [
            f"{w}{cn_number(n)}{suffix}"
            for w in words
            for n in range(1, 11)
            for suffix in ("巷", "胡同", "街")
        ]
        self.local_names: list[str] = [local[i] for i in rng.permutation(len(local))]
        self.used: set[str] = set()

    def major(self, index: int, orientation: str, arterial: bool) -> str:
        if arterial and self.reserved[orientation]:
            return self.reserved[orientation].pop(0)
        if index >= len(self.major_words):
            raise ValueError("城市过大：主次干路名称不足")
        return self.major_words[index]

    def local(self, index: int) -> str:
        return self.local_names[index]


def build_network(spec: NetworkSpec, rng: np.random.Generator) -> Network:
    n, s = spec.lines, spec.spacing_m
    half = (n - 1) * s / 2
    ii, jj = np.meshgrid(np.arange(n), np.arange(n), indexing="ij")  # ii: column, jj: row
    base_x = ii * s - half
    base_y = jj * s - half
    # Gentle curvature per line plus local jitter: arterials stay recognisably straight.
    col_amp = rng.uniform(0, 0.25 * s, n)
    row_amp = rng.uniform(0, 0.25 * s, n)
    col_phase = rng.uniform(0, 2 * np.pi, n)
    row_phase = rng.uniform(0, 2 * np.pi, n)
    x = base_x + col_amp[ii] * np.sin(base_y / (6 * s) + col_phase[ii])
    y = base_y + row_amp[jj] * np.sin(base_x / (6 * s) + row_phase[jj])
    col_major = np.array([_line_class(i) != "local" for i in range(n)])
    jitter = np.where(col_major[ii] | col_major[jj], 0.04, 0.18) * s
    x = x + rng.uniform(-1, 1, x.shape) * jitter
    y = y + rng.uniform(-1, 1, y.shape) * jitter
    node_of = (ii * n + jj).astype(np.int64)

    phase = float(rng.uniform(0, 2 * np.pi))
    xs = x.ravel()
    ys = y.ravel()
    north = ys > river_y(xs, half, phase)

    namer = _Namer(rng)
    segments: list[tuple[npt.NDArray[np.int64], npt.NDArray[np.int64], int, bool]] = []
    road_rows: list[dict[str, object]] = []
    major_count = 0
    local_count = 0
    thirds = np.array_split(np.arange(n - 1), 3)

    def add_road(name: str, cls: str, orientation: str, oneway: bool) -> int:
        lanes, speed = CLASS_SPEC[cls]
        if cls == "local":
            speed = float(rng.choice([30.0, 40.0]))
        road_rows.append(
            {
                "road_id": len(road_rows),
                "name": name,
                "road_class": cls,
                "orientation": orientation,
                "lanes": lanes,
                "speed_kph": speed,
                "oneway": oneway,
            }
        )
        return len(road_rows) - 1

    for horizontal in (True, False):
        for line in range(n):
            cls = _line_class(line)
            steps = np.arange(n - 1)
            if horizontal:  # row `line`, edges between columns k and k+1
                a, b = node_of[steps, line], node_of[steps + 1, line]
            else:
                a, b = node_of[line, steps], node_of[line, steps + 1]
            orientation = "ew" if horizontal else "ns"
            if cls == "local":
                keep = rng.random(n - 1) >= spec.dropped_local_share
                oneway = bool(rng.random() < spec.one_way_share)
                forward = line % 2 == 0
                road = add_road(namer.local(local_count), cls, orientation, oneway)
                local_count += 1
                if oneway and not forward:
                    a, b = b, a
                segments.append((a[keep], b[keep], road, oneway))
                continue
            word = namer.major(major_count, orientation, cls == "arterial")
            major_count += 1
            suffix = ("路" if horizontal else "大街") if cls == "arterial" else "街"
            for seg_name, part in zip(_segment_names(horizontal), thirds, strict=True):
                road = add_road(f"{word}{seg_name}{suffix}", cls, orientation, False)
                segments.append((a[part], b[part], road, False))

    # Irregular local streets: a few diagonals cutting through blocks.
    cells = np.flatnonzero(rng.random((n - 1) * (n - 1)) < spec.diagonal_share)
    for cell in cells:
        ci, cj = divmod(int(cell), n - 1)
        road = add_road(namer.local(local_count), "local", "diagonal", False)
        local_count += 1
        segments.append(
            (np.array([node_of[ci, cj]]), np.array([node_of[ci + 1, cj + 1]]), road, False)
        )

    src = np.concatenate([seg[0] for seg in segments])
    dst = np.concatenate([seg[1] for seg in segments])
    road_of = np.concatenate([np.full(len(seg[0]), seg[2]) for seg in segments])
    oneway_of = np.concatenate([np.full(len(seg[0]), seg[3]) for seg in segments])
    roads = pl.DataFrame(road_rows)

    # The river: a segment whose ends lie on different banks survives only as a bridge.
    crossing = north[src] != north[dst]
    road_class = roads["road_class"].to_numpy()[road_of]
    orient = roads["orientation"].to_numpy()[road_of]
    candidates = np.flatnonzero(crossing & (road_class == "arterial") & (orient == "ns"))
    bridge_columns = _spread(np.unique(xs[src[candidates]]), spec.bridges)
    is_bridge = crossing & np.isin(xs[src], bridge_columns) & (road_class == "arterial")
    keep = ~crossing | is_bridge
    src, dst, road_of, oneway_of, is_bridge = (
        arr[keep] for arr in (src, dst, road_of, oneway_of, is_bridge)
    )

    # Directed edges: two per two-way segment, one per one-way segment.
    two = ~oneway_of
    d_src = np.concatenate([src, dst[two]])
    d_dst = np.concatenate([dst, src[two]])
    d_road = np.concatenate([road_of, road_of[two]])
    d_bridge = np.concatenate([is_bridge, is_bridge[two]])

    # Keep the largest strongly connected part: every kept node can reach every other by road.
    total = n * n
    graph = csr_matrix((np.ones(len(d_src)), (d_src, d_dst)), shape=(total, total))
    _, labels = connected_components(graph, directed=True, connection="strong")
    biggest = np.bincount(labels).argmax()
    alive = labels == biggest
    new_id = np.full(total, -1, dtype=np.int64)
    new_id[alive] = np.arange(int(alive.sum()))
    ok = alive[d_src] & alive[d_dst]
    d_src, d_dst, d_road, d_bridge = new_id[d_src[ok]], new_id[d_dst[ok]], d_road[ok], d_bridge[ok]

    nx_, ny_ = xs[alive], ys[alive]
    lon, lat = to_lonlat(nx_, ny_)
    nodes = pl.DataFrame(
        {"node_id": np.arange(len(nx_)), "x": nx_, "y": ny_, "lon": lon, "lat": lat}
    )
    length = np.hypot(nx_[d_dst] - nx_[d_src], ny_[d_dst] - ny_[d_src])
    lanes = roads["lanes"].to_numpy()[d_road]
    speed = roads["speed_kph"].to_numpy()[d_road]
    edges = pl.DataFrame(
        {
            "edge_id": np.arange(len(d_src)),
            "source": d_src,
            "target": d_dst,
            "road_id": d_road,
            "length_m": length,
            "lanes": lanes,
            "speed_kph": speed,
            "travel_s": length / (speed / 3.6),
            "bridge": d_bridge,
        }
    ).join(roads.select("road_id", "name", "road_class", "oneway"), on="road_id", how="left")
    edges = edges.sort("edge_id")
    river_x = np.linspace(-half - s, half + s, 200)
    river_xy = np.column_stack([river_x, river_y(river_x, half, phase)])
    rlon, rlat = to_lonlat(river_xy[:, 0], river_xy[:, 1])
    bridges = _bridges(edges, nodes)
    used_roads = edges["road_id"].unique()
    roads = roads.filter(pl.col("road_id").is_in(used_roads.implode()))
    return Network(nodes, edges, roads, np.column_stack([rlon, rlat]), river_xy, bridges)


def _spread(values: npt.NDArray[np.float64], count: int) -> npt.NDArray[np.float64]:
    """`count` values picked evenly across the sorted candidates (bridges spread along the river)."""
    if len(values) <= count:
        return values
    picks = np.linspace(0, len(values) - 1, count + 2)[1:-1].round().astype(int)
    chosen: npt.NDArray[np.float64] = values[picks]
    return chosen


def _bridges(edges: pl.DataFrame, nodes: pl.DataFrame) -> pl.DataFrame:
    crossing = edges.filter(pl.col("bridge"))
    xy = nodes.select("x", "y", "lon", "lat").to_numpy()
    rows = []
    for bridge_id, (road_id, group) in enumerate(
        sorted(crossing.group_by("road_id"), key=lambda g: int(g[0][0]))
    ):
        ends = np.concatenate([group["source"].to_numpy(), group["target"].to_numpy()])
        mid = xy[ends].mean(axis=0)
        rows.append(
            {
                "bridge_id": bridge_id,
                "road_id": int(road_id[0]),
                "road_name": str(group["name"][0]),
                "edge_ids": group["edge_id"].to_list(),
                "x": float(mid[0]),
                "y": float(mid[1]),
                "lon": float(mid[2]),
                "lat": float(mid[3]),
            }
        )
    return pl.DataFrame(
        rows,
        schema={
            "bridge_id": pl.Int64,
            "road_id": pl.Int64,
            "road_name": pl.String,
            "edge_ids": pl.List(pl.Int64),
            "x": pl.Float64,
            "y": pl.Float64,
            "lon": pl.Float64,
            "lat": pl.Float64,
        },
    )
