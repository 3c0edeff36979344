"""GeoJSON import and export of the road network and of areas (FeatureCollections, WGS-84).

Network import: one LineString feature per segment, properties road_class, speed_limit_kmh (or
maxspeed), lanes, oneway, name. Nodes are the segments' end points (coordinates equal to 1e-7°
join); segments are not split where they merely cross. Malformed input is refused with a Chinese
message naming the feature index and field.
"""

from __future__ import annotations

import math
from typing import Any

from jiaoguan.geo.network import RoadNetwork
from jiaoguan.geo.osm import parse_lanes, parse_maxspeed
from jiaoguan.geo.roads import DEFAULT_SPEED_KMH
from jiaoguan.geo.store import AreaIn, EdgeIn, NodeIn, validate_polygon
from jiaoguan.platform.errors import Invalid

_KEY_DIGITS = 7


def _features(collection: Any) -> list[Any]:
    if not isinstance(collection, dict) or collection.get("type") != "FeatureCollection":
        raise Invalid("应为 GeoJSON FeatureCollection", ["type"])
    features = collection.get("features")
    if not isinstance(features, list):
        raise Invalid("features 应为列表", ["features"])
    return features


def _position(value: Any, where: list[str | int]) -> list[float]:
    if (
        not isinstance(value, list | tuple)
        or len(value) < 2
        or not all(isinstance(v, int | float) and not isinstance(v, bool) for v in value[:2])
    ):
        raise Invalid("坐标应为 [经度, 纬度] 数值", where)
    lon, lat = float(value[0]), float(value[1])
    if not (math.isfinite(lon) and math.isfinite(lat) and -180 <= lon <= 180 and -90 <= lat <= 90):
        raise Invalid("坐标超出经纬度范围（应为 WGS-84 经度、纬度）", where)
    return [lon, lat]


def _line(feature: Any, index: int) -> tuple[list[list[float]], dict[str, Any]]:
    where: list[str | int] = ["features", index]
    if not isinstance(feature, dict) or feature.get("type") != "Feature":
        raise Invalid(f"第 {index} 个要素不是 Feature", where)
    geometry = feature.get("geometry")
    if not isinstance(geometry, dict) or geometry.get("type") != "LineString":
        raise Invalid(f"第 {index} 个要素的几何应为 LineString", [*where, "geometry"])
    coords = geometry.get("coordinates")
    if not isinstance(coords, list) or len(coords) < 2:
        raise Invalid(f"第 {index} 个要素的线至少需要两个点", [*where, "geometry", "coordinates"])
    line = [_position(c, [*where, "geometry", "coordinates", i]) for i, c in enumerate(coords)]
    props = feature.get("properties") or {}
    if not isinstance(props, dict):
        raise Invalid(f"第 {index} 个要素的 properties 应为对象", [*where, "properties"])
    return line, props


def network_from_geojson(collection: Any) -> tuple[list[NodeIn], list[EdgeIn]]:
    nodes: list[NodeIn] = []
    edges: list[EdgeIn] = []
    ids: dict[tuple[float, float], int] = {}

    def node(point: list[float]) -> int:
        key = (round(point[0], _KEY_DIGITS), round(point[1], _KEY_DIGITS))
        if key not in ids:
            ids[key] = len(ids) + 1
            nodes.append(NodeIn(ids[key], point[0], point[1]))
        return ids[key]

    for index, feature in enumerate(_features(collection)):
        line, props = _line(feature, index)
        road_class = str(props.get("road_class") or props.get("highway") or "residential")
        if road_class not in DEFAULT_SPEED_KMH:
            raise Invalid(
                f"第 {index} 个要素的道路等级 {road_class} 不在允许范围内",
                ["features", index, "properties", "road_class"],
            )
        speed = props.get("speed_limit_kmh")
        if speed is None:
            speed = parse_maxspeed(str(props.get("maxspeed") or ""), road_class)
        if not isinstance(speed, int | float) or isinstance(speed, bool) or not 0 < speed <= 200:
            raise Invalid(
                f"第 {index} 个要素的限速应为 1-200 km/h",
                ["features", index, "properties", "speed_limit_kmh"],
            )
        edges.append(
            EdgeIn(
                from_id=node(line[0]),
                to_id=node(line[-1]),
                geometry=line,
                road_class=road_class,
                speed_limit_kmh=float(speed),
                oneway=props.get("oneway") in (True, "yes", "true", "1", 1),
                lanes=parse_lanes(str(props["lanes"])) if props.get("lanes") is not None else None,
                name=str(props["name"]) if props.get("name") else None,
            )
        )
    return nodes, edges


def network_to_geojson(network: RoadNetwork, edges: list[int] | None = None) -> dict[str, Any]:
    chosen = range(network.edge_count) if edges is None else edges
    features = []
    for e in chosen:
        u, v = int(network.edge_from[e]), int(network.edge_to[e])
        if network.geometries is not None:
            coords = network.geometries[e]
        else:
            coords = [[network.lon[u], network.lat[u]], [network.lon[v], network.lat[v]]]
        features.append(
            {
                "type": "Feature",
                "id": int(network.edge_ids[e]),
                "geometry": {"type": "LineString", "coordinates": coords},
                "properties": {
                    "road_class": str(network.road_class[e]),
                    "speed_limit_kmh": float(network.speed_kmh[e]),
                    "oneway": bool(network.oneway[e]),
                    "name": network.names[e] if network.names is not None else None,
                    "length_m": round(float(network.length_m[e]), 1),
                    "from_node": int(network.node_ids[u]),
                    "to_node": int(network.node_ids[v]),
                },
            }
        )
    return {"type": "FeatureCollection", "features": features}


def areas_from_geojson(collection: Any, default_kind: str | None = None) -> list[AreaIn]:
    areas: list[AreaIn] = []
    for index, feature in enumerate(_features(collection)):
        where: list[str | int] = ["features", index]
        if not isinstance(feature, dict) or feature.get("type") != "Feature":
            raise Invalid(f"第 {index} 个要素不是 Feature", where)
        props = feature.get("properties") or {}
        if not isinstance(props, dict):
            raise Invalid(f"第 {index} 个要素的 properties 应为对象", [*where, "properties"])
        geometry = validate_polygon(feature.get("geometry"), [*where, "geometry"])
        kind = props.get("kind") or default_kind
        name, code = props.get("name"), props.get("code")
        for key, value in (("kind", kind), ("name", name), ("code", code)):
            if not isinstance(value, str) or not value.strip():
                raise Invalid(f"第 {index} 个要素缺少属性 {key}", [*where, "properties", key])
        unit = props.get("org_unit_id")
        if unit is not None and (not isinstance(unit, int) or isinstance(unit, bool) or unit < 1):
            raise Invalid(
                f"第 {index} 个要素的 org_unit_id 应为正整数", [*where, "properties", "org_unit_id"]
            )
        areas.append(AreaIn(str(kind), str(name).strip(), str(code).strip(), geometry, unit))
    return areas


def areas_to_geojson(rows: list[dict[str, Any]]) -> dict[str, Any]:
    """rows: dicts with id, kind, name, code, geometry, org_unit_id."""
    return {
        "type": "FeatureCollection",
        "features": [
            {
                "type": "Feature",
                "id": r["id"],
                "geometry": r["geometry"],
                "properties": {k: r[k] for k in ("kind", "name", "code", "org_unit_id")},
            }
            for r in rows
        ],
    }
