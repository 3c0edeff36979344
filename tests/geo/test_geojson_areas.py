"""GeoJSON in and out, malformed input refused with its place, the area index and grid binning."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from jiaoguan.geo.areas import AreaIndex, AreaRef, grid_bins
from jiaoguan.geo.geojson import areas_from_geojson, network_from_geojson, network_to_geojson
from jiaoguan.geo.models import AreaKind
from jiaoguan.geo.network import RoadNetwork
from jiaoguan.platform.errors import Invalid


def line(coords: list[list[float]], **props: Any) -> dict[str, Any]:
    return {
        "type": "Feature",
        "geometry": {"type": "LineString", "coordinates": coords},
        "properties": props,
    }


def square(x0: float, y0: float, size: float) -> dict[str, Any]:
    ring = [[x0, y0], [x0 + size, y0], [x0 + size, y0 + size], [x0, y0 + size], [x0, y0]]
    return {"type": "Polygon", "coordinates": [ring]}


ROADS = {
    "type": "FeatureCollection",
    "features": [
        line(
            [[115.46, 38.87], [115.465, 38.87], [115.47, 38.87]],
            road_class="primary",
            speed_limit_kmh=60,
            name="朝阳大街",
            lanes=4,
        ),
        line([[115.47, 38.87], [115.47, 38.875]], road_class="residential", oneway=True),
    ],
}


def test_network_geojson_round_trip() -> None:
    nodes, edges = network_from_geojson(ROADS)
    assert len(nodes) == 3  # the shared end point joins the two lines
    assert edges[0].name == "朝阳大街" and edges[0].lanes == 4 and not edges[0].oneway
    assert edges[1].oneway and edges[1].speed_limit_kmh == 30.0
    net = RoadNetwork.from_id_arrays(
        np.array([n.id for n in nodes]),
        np.array([n.lon for n in nodes]),
        np.array([n.lat for n in nodes]),
        np.array([e.from_id for e in edges]),
        np.array([e.to_id for e in edges]),
        np.array([1000.0, 550.0]),
        np.array([e.speed_limit_kmh or 0 for e in edges]),
        np.array([e.road_class for e in edges], dtype=object),
        np.array([e.oneway for e in edges]),
        geometries=[e.geometry for e in edges],
        names=[e.name for e in edges],
    )
    out = network_to_geojson(net)
    assert (
        out["features"][0]["geometry"]["coordinates"]
        == ROADS["features"][0]["geometry"]["coordinates"]
    )
    assert out["features"][1]["properties"]["oneway"] is True
    again, _ = network_from_geojson(out)
    assert len(again) == 3


@pytest.mark.parametrize(
    ("collection", "loc", "words"),
    [
        ({"type": "Feature"}, ["type"], "FeatureCollection"),
        ({"type": "FeatureCollection", "features": {}}, ["features"], "列表"),
        (
            {
                "type": "FeatureCollection",
                "features": [ROADS["features"][0], line([[115.0, 38.0]])],
            },
            ["features", 1, "geometry", "coordinates"],
            "第 1 个要素",
        ),
        (
            {"type": "FeatureCollection", "features": [line([[115.0, 38.0], [215.0, 38.0]])]},
            ["features", 0, "geometry", "coordinates", 1],
            "经纬度范围",
        ),
        (
            {"type": "FeatureCollection", "features": [line([[115.0, 38.0], ["a", 38.0]])]},
            ["features", 0, "geometry", "coordinates", 1],
            "数值",
        ),
        (
            {
                "type": "FeatureCollection",
                "features": [line([[115.0, 38.0], [115.1, 38.0]], road_class="runway")],
            },
            ["features", 0, "properties", "road_class"],
            "道路等级",
        ),
    ],
)
def test_malformed_network_geojson_is_refused(collection: Any, loc: list[Any], words: str) -> None:
    with pytest.raises(Invalid) as info:
        network_from_geojson(collection)
    assert info.value.field == loc
    assert words in info.value.message


def area_feature(geometry: Any, **props: Any) -> dict[str, Any]:
    return {"type": "Feature", "geometry": geometry, "properties": props}


def test_malformed_area_geometry_is_refused() -> None:
    bow_tie = {"type": "Polygon", "coordinates": [[[0, 0], [1, 1], [1, 0], [0, 1], [0, 0]]]}
    collection = {
        "type": "FeatureCollection",
        "features": [
            area_feature(square(115, 38, 0.1), kind="grid", name="甲", code="G1"),
            area_feature(bow_tie, kind="grid", name="乙", code="G2"),
        ],
    }
    with pytest.raises(Invalid) as info:
        areas_from_geojson(collection)
    assert info.value.field == ["features", 1, "geometry"]
    assert "多边形无效" in info.value.message
    collection["features"][1] = area_feature(
        {"type": "Point", "coordinates": [1, 2]}, kind="grid", name="乙", code="G2"
    )
    with pytest.raises(Invalid, match="Polygon"):
        areas_from_geojson(collection)
    collection["features"][1] = area_feature(square(115, 38, 0.1), kind="grid", code="G2")
    with pytest.raises(Invalid) as missing:
        areas_from_geojson(collection)
    assert missing.value.field == ["features", 1, "properties", "name"]


def index() -> AreaIndex:
    def ref(i: int, kind: AreaKind, code: str, geometry: dict[str, Any]) -> AreaRef:
        return AreaRef(i, kind, f"区域{code}", code, None, geometry)

    return AreaIndex(
        [
            ref(1, AreaKind.brigade_area, "B1", square(115.40, 38.80, 0.2)),
            ref(2, AreaKind.grid, "G1", square(115.45, 38.85, 0.01)),
            ref(3, AreaKind.grid, "G2", square(115.46, 38.85, 0.01)),
        ]
    )


def test_point_lookup_smallest_first_and_by_kind() -> None:
    idx = index()
    assert [a.code for a in idx.lookup(115.455, 38.855)] == ["G1", "B1"]
    assert [a.code for a in idx.lookup(115.465, 38.855, AreaKind.grid)] == ["G2"]
    assert idx.lookup(116.0, 39.5) == []


def test_nearest_area_with_distance() -> None:
    idx = index()
    near = idx.nearest(115.48, 38.855, AreaKind.grid)
    assert near is not None and near.area.code == "G2"
    # 0.01° of longitude at 38.855° N is about 866 m.
    assert near.distance_m == pytest.approx(866, rel=0.02)
    inside = idx.nearest(115.455, 38.855)
    assert inside is not None and inside.distance_m == 0
    assert idx.nearest(115.0, 38.0, AreaKind.block) is None


def test_grid_bins_count_points_per_square() -> None:
    lons = [115.4601, 115.4602, 115.4700]
    lats = [38.8701, 38.8702, 38.8701]
    cells = grid_bins(lons, lats, cell_m=500, origin=(115.46, 38.87))
    counts = {(c.ix, c.iy): c.count for c in cells}
    assert counts == {(0, 0): 2, (1, 0): 1}  # 0.01° lon ≈ 866 m → second cell
    first = next(c for c in cells if (c.ix, c.iy) == (0, 0))
    assert first.polygon[0] == pytest.approx([115.46, 38.87])
    assert len(first.polygon) == 5
    assert grid_bins([], [], 100) == []
