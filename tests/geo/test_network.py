"""Routing on hand-made networks and on a generated grid: one-way, profiles, bounded search."""

from __future__ import annotations

import numpy as np
import pytest
from benchmarks.bench_geo import perturbed_grid
from scipy.sparse.csgraph import dijkstra

from jiaoguan.geo.network import RoadNetwork
from tests.geo.conftest import ladder


def idx(net: RoadNetwork, node_id: int) -> int:
    return net.index_of(node_id)


def test_one_way_is_respected_when_driving() -> None:
    net = ladder()
    east = net.eta(idx(net, 1), idx(net, 3), "driving")
    assert east.reachable and east.node_ids == [1, 2, 3]
    assert east.seconds == pytest.approx(10.0)  # 200 m at 20 m/s
    west = net.eta(idx(net, 3), idx(net, 1), "driving")
    # Against the one-way row the car must go round the top: 3-6-5-4-1, 400 m at 10 m/s.
    assert west.node_ids == [3, 6, 5, 4, 1]
    assert west.seconds == pytest.approx(40.0)
    assert west.length_m == pytest.approx(400.0)


def test_walking_ignores_one_way_and_avoids_motorways() -> None:
    net = ladder()
    walk = net.eta(idx(net, 3), idx(net, 1), "walking")
    assert walk.node_ids == [3, 2, 1]
    assert walk.seconds == pytest.approx(200 / (5 / 3.6))
    # The motorway 1 → 6 is the driver's short cut, never the walker's.
    drive = net.eta(idx(net, 1), idx(net, 6), "driving")
    assert drive.node_ids == [1, 6]
    walk16 = net.eta(idx(net, 1), idx(net, 6), "walking")
    assert 6 in walk16.node_ids and len(walk16.node_ids) == 4


def test_footway_is_not_driven() -> None:
    net = ladder()
    route = net.eta(idx(net, 2), idx(net, 5), "driving")
    assert route.node_ids != [2, 5]
    assert net.eta(idx(net, 2), idx(net, 5), "walking").node_ids == [2, 5]


def test_reverse_reach_answers_who_can_get_here() -> None:
    net = ladder()
    to_one = net.reachable_within(idx(net, 1), 25, "driving", reverse=True)
    reached = {
        int(net.node_ids[i]): s for i, s in zip(to_one.node_index, to_one.seconds, strict=True)
    }
    # Node 2 cannot drive to 1 (one-way), node 4 can in 10 s.
    assert reached[4] == pytest.approx(10.0)
    assert 2 not in reached
    from_one = net.reachable_within(idx(net, 1), 25, "driving")
    forward = {int(net.node_ids[i]) for i in from_one.node_index}
    assert {2, 3} <= forward


def test_rush_hour_slows_arterials_only() -> None:
    net = ladder()
    free = net.eta(idx(net, 1), idx(net, 3), "driving", hour=None).seconds
    peak = net.eta(idx(net, 1), idx(net, 3), "driving", hour=8).seconds
    night = net.eta(idx(net, 1), idx(net, 3), "driving", hour=3).seconds
    assert free is not None and peak is not None and night is not None
    assert peak == pytest.approx(free / 0.6)
    assert night == pytest.approx(free / 0.9)


def test_snap_reports_the_distance_to_the_node() -> None:
    net = ladder()
    snap = net.snap(float(net.lon[idx(net, 5)]), float(net.lat[idx(net, 5)]) + 0.0001)
    assert snap.node_id == 5
    assert snap.distance_m == pytest.approx(11.1, abs=0.3)


@pytest.fixture(scope="module")
def grid() -> RoadNetwork:
    return perturbed_grid(side=60, seed=7)


def test_bounded_search_equals_full_dijkstra_within_the_limit(grid: RoadNetwork) -> None:
    g = grid.graph("driving")
    rng = np.random.default_rng(3)
    for target in rng.integers(0, grid.node_count, 20):
        bounded = grid.reachable_within(int(target), 180, reverse=True)
        full = dijkstra(g.backward, indices=int(target))
        inside = np.flatnonzero(full <= 180)
        assert set(bounded.node_index.tolist()) == set(inside.tolist())
        np.testing.assert_allclose(bounded.seconds, full[bounded.node_index])


def test_reverse_times_equal_forward_times(grid: RoadNetwork) -> None:
    target = 1234
    reverse = grid.reachable_within(target, 240, reverse=True)
    g = grid.graph("driving")
    for node, seconds in list(zip(reverse.node_index, reverse.seconds, strict=True))[:40]:
        forward = dijkstra(g.forward, indices=int(node))[target]
        assert forward == pytest.approx(seconds)


def test_eta_path_is_consistent_and_longer_than_straight_line(grid: RoadNetwork) -> None:
    route = grid.eta(10, grid.node_count - 10, "driving")
    assert route.reachable and route.seconds is not None and route.length_m is not None
    assert route.length_m >= route.straight_line_m
    assert route.node_ids[0] == int(grid.node_ids[10])
    assert route.node_ids[-1] == int(grid.node_ids[grid.node_count - 10])
    assert len(route.polyline) == len(route.node_ids)
