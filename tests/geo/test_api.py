"""The geo API on SQLite and PostgreSQL: imports (audited), routing, reach, snap, areas, lookup."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI
from sqlalchemy import select

from jiaoguan.geo import service
from jiaoguan.geo.coords import wgs84_to_gcj02
from jiaoguan.platform.audit.models import AuditEntry
from jiaoguan.platform.auth.models import OrgUnit
from tests.conftest import ClientFactory

# A 3 × 3 street grid, 0.005° apart, with one one-way street along the bottom.
X = [115.460, 115.465, 115.470]
Y = [38.870, 38.875, 38.880]


def roads() -> dict[str, Any]:
    features = []
    for j, y in enumerate(Y):
        for i in range(2):
            features.append(
                {
                    "type": "Feature",
                    "geometry": {"type": "LineString", "coordinates": [[X[i], y], [X[i + 1], y]]},
                    "properties": {
                        "road_class": "primary" if j == 1 else "residential",
                        "oneway": j == 0,
                        "name": f"东西路{j}",
                    },
                }
            )
    for i, x in enumerate(X):
        for j in range(2):
            features.append(
                {
                    "type": "Feature",
                    "geometry": {"type": "LineString", "coordinates": [[x, Y[j]], [x, Y[j + 1]]]},
                    "properties": {"road_class": "secondary", "name": f"南北路{i}"},
                }
            )
    return {"type": "FeatureCollection", "features": features}


def areas(unit_id: int) -> dict[str, Any]:
    def sq(x0: float, y0: float, s: float) -> dict[str, Any]:
        ring = [[x0, y0], [x0 + s, y0], [x0 + s, y0 + s], [x0, y0 + s], [x0, y0]]
        return {"type": "Polygon", "coordinates": [ring]}

    return {
        "type": "FeatureCollection",
        "features": [
            {
                "type": "Feature",
                "geometry": sq(115.455, 38.865, 0.02),
                "properties": {"name": "朝阳大街第一网格", "code": "G1", "org_unit_id": unit_id},
            }
        ],
    }


def test_import_route_reach_snap_and_export(app: FastAPI, as_user: ClientFactory) -> None:
    admin = as_user("admin")
    officer = as_user("jx_officer")
    assert (
        officer.get(
            "/api/v1/geo/route",
            params={"from_lon": 115.46, "from_lat": 38.87, "to_lon": 115.47, "to_lat": 38.88},
        ).status_code
        == 404
    )
    assert officer.post("/api/v1/geo/network", json=roads()).status_code == 403
    created = admin.post("/api/v1/geo/network", json=roads())
    assert created.status_code == 201, created.text
    assert created.json() == {"nodes": 9, "edges": 12, "areas": 0}

    params = {
        "from_lon": 115.4701,
        "from_lat": 38.8701,
        "to_lon": 115.46,
        "to_lat": 38.87,
        "hour": 3,
    }
    route = officer.get("/api/v1/geo/route", params=params)
    assert route.status_code == 200, route.text
    body = route.json()
    assert body["reachable"] and body["hour"] == 3
    # The bottom street is one-way eastbound: westward, the car goes round.
    assert body["length_m"] > 1.9 * body["straight_line_m"]
    assert body["destination"]["distance_m"] == 0 and body["origin"]["distance_m"] > 0
    assert body["path"]["type"] == "LineString" and len(body["path"]["coordinates"]) >= 4
    walk = officer.get("/api/v1/geo/route", params={**params, "profile": "walking"}).json()
    assert walk["length_m"] == pytest.approx(body["straight_line_m"], rel=0.01)

    reach = officer.get(
        "/api/v1/geo/reachable",
        params={"lon": 115.465, "lat": 38.875, "seconds": 60, "hour": 3},
    )
    assert reach.status_code == 200, reach.text
    feats = reach.json()["features"]
    assert feats[0]["properties"]["seconds"] == 0
    assert 1 < len(feats) <= 9
    assert (
        officer.get(
            "/api/v1/geo/reachable", params={"lon": 115.46, "lat": 38.87, "seconds": 0}
        ).status_code
        == 422
    )

    snap = officer.get("/api/v1/geo/snap", params={"lon": 115.4651, "lat": 38.8751}).json()
    assert snap["lon"] == 115.465 and snap["distance_m"] < 20

    layer = officer.get("/api/v1/geo/network", params={"bbox": "115.459,38.869,115.466,38.876"})
    assert layer.status_code == 200
    assert 0 < len(layer.json()["features"]) < 12
    too_big = officer.get("/api/v1/geo/network", params={"bbox": "110,30,120,40"})
    assert too_big.status_code == 422 and too_big.json()["detail"][0]["loc"] == ["query", "bbox"]
    assert officer.get("/api/v1/geo/network", params={"bbox": "a,b"}).status_code == 422

    with app.state.db.sessions() as session:
        entry = session.scalars(
            select(AuditEntry).where(AuditEntry.action == "geo.import_network")
        ).one()
        assert entry.username == "admin" and entry.detail["edges"] == 12


def test_areas_import_list_and_lookup(app: FastAPI, as_user: ClientFactory) -> None:
    admin = as_user("admin")
    with app.state.db.sessions() as session:
        unit = session.scalars(select(OrgUnit).where(OrgUnit.code == "130602010101")).one()
    created = admin.post("/api/v1/geo/areas", params={"kind": "grid"}, json=areas(unit.id))
    assert created.status_code == 201, created.text
    grid_worker = as_user("grid_worker")
    listed = grid_worker.get("/api/v1/geo/areas", params={"kind": "grid"}).json()
    assert [(a["code"], a["org_unit_id"]) for a in listed] == [("G1", unit.id)]
    shapes = grid_worker.get("/api/v1/geo/areas/geojson").json()
    assert shapes["features"][0]["geometry"]["type"] == "Polygon"
    hit = grid_worker.get("/api/v1/geo/lookup", params={"lon": 115.46, "lat": 38.87}).json()
    assert [a["code"] for a in hit["containing"]] == ["G1"]
    away = grid_worker.get("/api/v1/geo/lookup", params={"lon": 115.5, "lat": 38.87}).json()
    assert away["containing"] == [] and away["nearest"]["distance_m"] > 1000

    broken = areas(unit.id)
    broken["features"][0]["geometry"]["coordinates"][0] = [[0, 0], [1, 1], [1, 0], [0, 1], [0, 0]]
    refused = admin.post("/api/v1/geo/areas", params={"kind": "grid"}, json=broken)
    assert refused.status_code == 422
    assert refused.json()["detail"][0]["loc"] == ["features", 0, "geometry"]
    assert "多边形无效" in refused.json()["detail"][0]["msg"]
    stranger = admin.post("/api/v1/geo/areas", params={"kind": "grid"}, json=areas(999_999))
    assert stranger.status_code == 422
    assert stranger.json()["detail"][0]["loc"] == ["areas", 0, "org_unit_id"]
    empty = admin.post("/api/v1/geo/network", json={"type": "FeatureCollection", "features": []})
    assert empty.status_code == 422 and empty.json()["detail"][0]["loc"] == ["features"]
    # Refused imports leave what was stored.
    assert len(grid_worker.get("/api/v1/geo/areas").json()) == 1


def test_convert_and_permissions(as_user: ClientFactory, anonymous: Any) -> None:
    leader = as_user("leader")
    answer = leader.get("/api/v1/geo/convert", params={"lon": 115.46, "lat": 38.87}).json()
    assert (answer["lon"], answer["lat"]) == pytest.approx(wgs84_to_gcj02(115.46, 38.87))
    back = leader.get(
        "/api/v1/geo/convert",
        params={"lon": answer["lon"], "lat": answer["lat"], "from": "gcj02", "to": "wgs84"},
    ).json()
    assert (back["lon"], back["lat"]) == pytest.approx((115.46, 38.87), abs=1e-6)
    assert as_user("agency").get("/api/v1/geo/areas").status_code == 403
    assert anonymous.get("/api/v1/geo/areas").status_code == 401


def test_network_is_cached_per_version(app: FastAPI, tmp_path: Path) -> None:
    with app.state.db.transaction() as session:
        service.import_network_geojson(session, None, roads())
    with app.state.db.sessions() as session:
        first = service.network(session)
        assert service.network(session) is first
    with app.state.db.transaction() as session:
        service.import_network_geojson(session, None, roads())
    with app.state.db.sessions() as session:
        assert service.network(session) is not first
