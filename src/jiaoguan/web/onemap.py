"""The one map (一张图): a Leaflet page whose layers modules register, drawn without internet tiles.

Each layer is a GeoJSON source the browser loads (once, or for the visible bounding box as the map
moves, or again every few seconds for live layers); the page shows only layers the user may read.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any, Literal

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from jiaoguan.platform.auth.permissions import GEO_READ, REGISTRY_READ
from jiaoguan.platform.auth.service import Principal
from jiaoguan.platform.deps import CurrentPrincipal
from jiaoguan.web.templating import render

router = APIRouter(include_in_schema=False)

Loading = Literal["once", "bbox"]


@dataclass(frozen=True)
class MapLayer:
    key: str
    title: str
    group: str
    url: str
    permission: str
    loading: Loading = "once"
    # Style for lines and polygons (Leaflet path options) or the colour of point markers.
    style: dict[str, Any] = field(default_factory=dict)
    visible: bool = False
    min_zoom: int = 0
    # Live layers reload on a timer until a module pushes them over the stream instead.
    refresh_seconds: int = 0
    # Feature property shown as the label in popups.
    label_property: str = "name"


MAP_LAYERS: list[MapLayer] = []


def register_layer(layer: MapLayer) -> MapLayer:
    """Modules add their layers (officers, incidents, checkpoints, ...) to the one map."""
    if any(existing.key == layer.key for existing in MAP_LAYERS):
        raise ValueError(f"map layer {layer.key!r} registered twice")
    MAP_LAYERS.append(layer)
    return layer


def visible_layers(principal: Principal) -> list[dict[str, Any]]:
    return [asdict(layer) for layer in MAP_LAYERS if principal.can(layer.permission)]


def _area(kind: str, title: str, colour: str, visible: bool = False) -> MapLayer:
    return MapLayer(
        key=f"area-{kind}",
        title=title,
        group="区域",
        url=f"/api/v1/geo/areas/geojson?kind={kind}",
        permission=GEO_READ,
        style={"color": colour, "weight": 2, "fillOpacity": 0.05, "dashArray": "6 4"},
        visible=visible,
    )


def _registry(slug: str, title: str, colour: str) -> MapLayer:
    return MapLayer(
        key=f"registry-{slug}",
        title=title,
        group="一标六实",
        url=f"/api/v1/registry/{slug}/geojson",
        permission=REGISTRY_READ,
        loading="bbox",
        style={"color": colour},
        min_zoom=13,
    )


def _density(slug: str, title: str, colour: str) -> MapLayer:
    return MapLayer(
        key=f"density-{slug}",
        title=title,
        group="分布热力",
        url=f"/api/v1/registry/{slug}/density?cell_m=500",
        permission=REGISTRY_READ,
        style={"color": colour, "heat": True},
        label_property="title",
    )


for _layer in (
    MapLayer(
        key="roads",
        title="道路",
        group="底图",
        url="/api/v1/geo/network",
        permission=GEO_READ,
        loading="bbox",
        style={"color": "#64748b"},
        visible=True,
        min_zoom=11,
    ),
    MapLayer(
        key="area-water",
        title="水系",
        group="底图",
        url="/api/v1/geo/areas/geojson?kind=water",
        permission=GEO_READ,
        style={"color": "#60a5fa", "weight": 1, "fillColor": "#93c5fd", "fillOpacity": 0.6},
        visible=True,
    ),
    _area("district", "行政区", "#7c3aed", visible=True),
    _area("brigade_area", "大队辖区", "#2563eb"),
    _area("police_district", "警务区", "#0891b2"),
    _area("grid", "网格", "#16a34a"),
    _density("vehicles", "机动车分布（500米网格）", "#dc2626"),
    _density("drivers", "驾驶人分布（500米网格）", "#ea580c"),
    _registry("vehicles", "机动车", "#dc2626"),
    _registry("drivers", "驾驶人", "#ea580c"),
    _registry("companies", "单位", "#9333ea"),
    _registry("houses", "房屋", "#0d9488"),
    _registry("facilities", "交通设施", "#ca8a04"),
):
    register_layer(_layer)


@router.get("/map", response_class=HTMLResponse)
def one_map(request: Request, principal: CurrentPrincipal) -> Response:
    context = {
        "title": "一张图",
        "pretitle": "全域态势",
        "layers": visible_layers(principal),
        "can_route": principal.can(GEO_READ),
    }
    return render(request, "map.html", context)
