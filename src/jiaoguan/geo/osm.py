"""OpenStreetMap import (.osm.pbf, .osm, .osm.bz2) with pyosmium.

Two passes keep memory small: pass 1 reads ways only and keeps highway ways with their node refs;
pass 2 reads nodes only and keeps the locations of the nodes those ways use. Ways are then split at
every node shared by two or more ways (intersections) and at their ends; each piece becomes an edge
with its full geometry. Node ids in Jiaoguan are 1..n in order of first use; OSM ids are kept.
"""

from __future__ import annotations

import re
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import osmium
import psutil

from jiaoguan.geo.coords import polyline_length_m
from jiaoguan.geo.roads import DEFAULT_SPEED_KMH, DRIVABLE
from jiaoguan.geo.store import EdgeIn, NodeIn

Progress = Callable[[str, int, int | None], None]
_MPH = 1.609344
_FIRST_NUMBER = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(mph|km/h|kmh|kph)?\s*$", re.IGNORECASE)
_TRUE = {"yes", "true", "1"}
_REVERSE = {"-1", "reverse"}
# One-way unless tagged otherwise (OSM wiki, Key:oneway "implied").
_IMPLIED_ONEWAY_CLASSES = {"motorway", "motorway_link"}
_IMPLIED_ONEWAY_JUNCTIONS = {"roundabout", "circular"}
_WAY_PROGRESS_EVERY = 20_000


def _no_progress(_stage: str, _done: int, _total: int | None) -> None:
    return None


def parse_maxspeed(value: str | None, road_class: str) -> float:
    """'50' → 50, '30 mph' → 48.3, '60;80' → 60; 'none', 'signals', 'CN:urban' → the class default."""
    default = DEFAULT_SPEED_KMH.get(road_class, 30.0)
    if not value:
        return default
    first = value.split(";")[0].split("|")[0]
    match = _FIRST_NUMBER.match(first)
    if not match:
        return default
    speed = float(match.group(1))
    if (match.group(2) or "").lower() == "mph":
        speed *= _MPH
    return round(speed, 1) if 0 < speed <= 200 else default


def parse_lanes(value: str | None) -> int | None:
    if not value:
        return None
    match = re.match(r"\s*(\d+)", value.split(";")[0])
    if not match:
        return None
    lanes = int(match.group(1))
    return lanes if 0 < lanes <= 20 else None


def oneway_of(tags: dict[str, str], road_class: str) -> int:
    """1 forward, -1 against the way's direction, 0 both ways."""
    if road_class not in DRIVABLE:
        return 0
    value = tags.get("oneway", "").strip().lower()
    if value in _TRUE:
        return 1
    if value in _REVERSE:
        return -1
    if value == "no":
        return 0
    implied = (
        road_class in _IMPLIED_ONEWAY_CLASSES or tags.get("junction") in _IMPLIED_ONEWAY_JUNCTIONS
    )
    return 1 if implied else 0


def _usable(tags: dict[str, str]) -> str | None:
    """The road class of a way we import, or None."""
    road_class = tags.get("highway")
    if road_class not in DEFAULT_SPEED_KMH:
        return None
    if tags.get("area") == "yes" or (
        tags.get("access") in {"no", "private"} and road_class != "service"
    ):
        return None
    return road_class


@dataclass
class _Way:
    osm_id: int
    refs: list[int]
    road_class: str
    oneway: int
    speed_kmh: float
    lanes: int | None
    name: str | None


@dataclass
class OsmNetwork:
    nodes: list[NodeIn] = field(default_factory=list)
    edges: list[EdgeIn] = field(default_factory=list)
    ways: int = 0
    seconds: float = 0.0
    peak_rss_mb: float = 0.0
    missing_nodes: int = 0


class PeakRss:
    """Samples this process's RSS every few milliseconds; `peak_mb` is the highest seen."""

    def __init__(self, interval: float = 0.005) -> None:
        self._process = psutil.Process()
        self._interval = interval
        self._stop = threading.Event()
        self.peak_mb = self._process.memory_info().rss / 2**20
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.wait(self._interval):
            self.peak_mb = max(self.peak_mb, self._process.memory_info().rss / 2**20)

    @contextmanager
    def watching(self) -> Iterator[PeakRss]:
        self._thread.start()
        try:
            yield self
        finally:
            self._stop.set()
            self._thread.join()
            self.peak_mb = max(self.peak_mb, self._process.memory_info().rss / 2**20)


def _read_ways(path: Path, progress: Progress) -> list[_Way]:
    ways: list[_Way] = []
    seen = 0
    for way in osmium.FileProcessor(str(path), osmium.osm.WAY):
        if not isinstance(way, osmium.osm.Way):
            continue
        seen += 1
        if seen % _WAY_PROGRESS_EVERY == 0:
            progress("读取道路", seen, None)
        tags = {t.k: t.v for t in way.tags}
        road_class = _usable(tags)
        if road_class is None or len(way.nodes) < 2:
            continue
        refs = [n.ref for n in way.nodes]
        ways.append(
            _Way(
                osm_id=way.id,
                refs=refs,
                road_class=road_class,
                oneway=oneway_of(tags, road_class),
                speed_kmh=parse_maxspeed(tags.get("maxspeed"), road_class),
                lanes=parse_lanes(tags.get("lanes")),
                name=tags.get("name:zh") or tags.get("name") or tags.get("ref"),
            )
        )
    progress("读取道路", seen, seen)
    return ways


def _read_locations(
    path: Path, wanted: set[int], progress: Progress
) -> dict[int, tuple[float, float]]:
    found: dict[int, tuple[float, float]] = {}
    total = len(wanted)
    step = max(1, total // 100)
    for node in osmium.FileProcessor(str(path), osmium.osm.NODE):
        if not isinstance(node, osmium.osm.Node):
            continue
        if node.id in wanted and node.location.valid():
            found[node.id] = (node.location.lon, node.location.lat)
            if len(found) % step == 0:
                progress("读取节点坐标", len(found), total)
    progress("读取节点坐标", len(found), total)
    return found


def _split(ways: list[_Way], locations: dict[int, tuple[float, float]]) -> OsmNetwork:
    """Edges between graph vertices (shared nodes and way ends), keeping the geometry."""
    use = Counter(ref for way in ways for ref in way.refs)
    result = OsmNetwork(ways=len(ways))
    node_id: dict[int, int] = {}

    def vertex(ref: int) -> int:
        if ref not in node_id:
            node_id[ref] = len(node_id) + 1
            lon, lat = locations[ref]
            result.nodes.append(NodeIn(node_id[ref], lon, lat, ref))
        return node_id[ref]

    for way in ways:
        refs = [r for r in way.refs if r in locations]
        result.missing_nodes += len(way.refs) - len(refs)
        if way.oneway == -1:
            refs.reverse()
        piece: list[int] = []
        for position, ref in enumerate(refs):
            if piece and ref == piece[-1]:
                continue
            piece.append(ref)
            is_vertex = position == len(refs) - 1 or use[ref] > 1
            if is_vertex and len(piece) >= 2:
                geometry = [list(locations[r]) for r in piece]
                result.edges.append(
                    EdgeIn(
                        from_id=vertex(piece[0]),
                        to_id=vertex(piece[-1]),
                        geometry=geometry,
                        road_class=way.road_class,
                        speed_limit_kmh=way.speed_kmh,
                        oneway=way.oneway != 0,
                        lanes=way.lanes,
                        name=way.name,
                        length_m=polyline_length_m(geometry),
                        osm_way_id=way.osm_id,
                    )
                )
                piece = [ref]
            elif is_vertex:
                piece = [ref]
    return result


def read_osm(path: Path | str, progress: Progress = _no_progress) -> OsmNetwork:
    """Parse an OSM file into nodes and edges ready for `store.save_network`."""
    path = Path(path)
    started = time.perf_counter()
    with PeakRss().watching() as rss:
        ways = _read_ways(path, progress)
        wanted = {ref for way in ways for ref in way.refs}
        locations = _read_locations(path, wanted, progress)
        result = _split(ways, locations)
    result.seconds = time.perf_counter() - started
    result.peak_rss_mb = rss.peak_mb
    return result
