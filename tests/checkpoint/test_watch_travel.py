"""Travel times between checkpoints from the road network, with the straight-line fallback."""

from __future__ import annotations

import numpy as np
import polars as pl

from jiaoguan.checkpoint.travel import (
    FALLBACK_KMH,
    CheckpointSites,
    network_seconds,
    sites_from_frames,
    straight_seconds,
)
from jiaoguan.geo.coords import haversine_m
from jiaoguan.geo.network import RoadNetwork


def _line_network() -> RoadNetwork:
    """Four nodes on a two-way road west → east, 1 km apart at 36 km/h (100 s each)."""
    lon = np.array([115.0, 115.0116, 115.0232, 115.0348])
    lat = np.full(4, 38.9)
    length = np.array([haversine_m(lon[i], 38.9, lon[i + 1], 38.9) for i in range(3)])
    return RoadNetwork(
        np.array([1, 2, 3, 4]),
        lon,
        lat,
        np.array([0, 1, 2]),
        np.array([1, 2, 3]),
        length,
        np.full(3, 36.0),
        np.array(["primary"] * 3, dtype=object),
        np.array([False, False, False]),
    )


def test_network_times_follow_the_road_and_its_direction() -> None:
    network = _line_network()
    lon, lat = network.lon.copy(), network.lat.copy()
    seconds = network_seconds(network, lon, lat)
    assert np.allclose(np.diag(seconds), 0)
    assert abs(seconds[0, 3] - 3 * network.length_m[0] / 10) < 5  # ≈ 300 s
    assert abs(seconds[3, 1] - 2 * network.length_m[0] / 10) < 5
    # A checkpoint 2 km off the road is not on the network: straight line at the fallback speed.
    lon[2], lat[2] = 115.0232, 38.92
    seconds = network_seconds(network, lon, lat)
    expected = haversine_m(lon[0], lat[0], lon[2], lat[2]) / (FALLBACK_KMH / 3.6)
    assert abs(seconds[0, 2] - expected) < 1e-6


def test_points_off_the_network_and_an_empty_network_fall_back() -> None:
    far_lon, far_lat = np.array([116.0, 116.1]), np.array([39.5, 39.5])
    assert np.allclose(
        network_seconds(_line_network(), far_lon, far_lat), straight_seconds(far_lon, far_lat)
    )
    empty = RoadNetwork(
        *(
            np.array([], dtype=t)
            for t in (np.int64, float, float, np.int64, np.int64, float, float, object, bool)
        )
    )
    assert np.allclose(network_seconds(empty, far_lon, far_lat), straight_seconds(far_lon, far_lat))


def test_downstream_lists_the_checkpoints_within_reach_nearest_first() -> None:
    seconds = np.array(
        [[0, 120, 400, 60], [120, 0, 100, 200], [400, 100, 0, 500], [60, 200, 500, 0]],
        dtype=np.float64,
    )
    sites = CheckpointSites(
        ids=np.array([11, 12, 13, 14]),
        names=["甲", "乙", "丙", "丁"],
        codes=["1" * 20, "2" * 20, "3" * 20, "4" * 20],
        lon=np.zeros(4),
        lat=np.zeros(4),
        unit_ids=[1, 1, 1, 1],
        unit_paths=["/1/"] * 4,
        seconds=seconds,
    )
    assert sites.downstream(11, 300) == [14, 12]
    assert sites.downstream(11, 300, limit=1) == [14]
    assert sites.downstream(99, 300) == []


def test_sites_from_simulation_frames() -> None:
    checkpoints = pl.DataFrame(
        {
            "code": ["A" * 20, "B" * 20, "C" * 20],
            "name": ["甲", "乙", "丙"],
            "lon": [115.0, 115.01, 115.02],
            "lat": [38.9] * 3,
        }
    )
    travel = pl.DataFrame({"from_code": ["A" * 20], "to_code": ["B" * 20], "free_flow_s": [95.0]})
    sites = sites_from_frames(checkpoints, travel)
    assert list(sites.ids) == [1, 2, 3] and sites.index(2) == 1
    assert sites.seconds[0, 1] == 95.0
    assert (
        sites.seconds[1, 0] == straight_seconds(sites.lon, sites.lat)[1, 0]
    )  # not given: fallback
