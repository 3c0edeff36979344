"""Pydantic I/O of the geo API."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, Field

from jiaoguan.geo.models import AreaKind

Lon = Field(ge=-180, le=180, description="经度（WGS-84）")
Lat = Field(ge=-90, le=90, description="纬度（WGS-84）")


class FeatureCollection(BaseModel):
    type: Literal["FeatureCollection"] = "FeatureCollection"
    features: list[dict[str, Any]] = Field(max_length=200_000)


class SnapRead(BaseModel):
    node_id: int
    lon: float
    lat: float
    distance_m: float


class RouteRead(BaseModel):
    reachable: bool
    profile: str
    hour: int
    seconds: float | None
    length_m: float | None
    straight_line_m: float
    origin: SnapRead
    destination: SnapRead
    node_ids: list[int]
    path: dict[str, Any] = Field(description="GeoJSON LineString（WGS-84）")


class AreaRead(BaseModel):
    id: int
    kind: AreaKind
    name: str
    code: str
    org_unit_id: int | None


class NearestAreaRead(BaseModel):
    area: AreaRead
    distance_m: float


class LookupRead(BaseModel):
    containing: list[AreaRead]
    nearest: NearestAreaRead | None


class ConvertRead(BaseModel):
    lon: float
    lat: float
    crs: Literal["wgs84", "gcj02"]


class ImportRead(BaseModel):
    nodes: int = 0
    edges: int = 0
    areas: int = 0
