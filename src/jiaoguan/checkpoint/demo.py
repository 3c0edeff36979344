"""Demo checkpoints: placed on the stored road network (geo/network.py) at arterial crossings,
bridges (arterials crossing water areas) and city entrances (arterial ends at the network's edge),
with lanes; plus one VIID device credential (a lower platform) the live simulation registers with.
Nothing is created without a network, or when checkpoints exist already.

TollgateID: GB/T 28181 style, division 8 (county code + 00) + industry 00 + type 121 + sequence 7
(type code 121 for checkpoints is a project choice, standards.md §1.8 gives only the split).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
from shapely.geometry import LineString, Point, shape
from shapely.prepared import prep
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from jiaoguan.checkpoint.digest import digest_ha1
from jiaoguan.checkpoint.models import (
    Checkpoint,
    DeviceKind,
    Lane,
    SiteKind,
    TollgateCat,
    ViidDevice,
)
from jiaoguan.geo.models import Area, AreaKind, RoadNode
from jiaoguan.geo.network import RoadNetwork, network_for
from jiaoguan.platform.auth.models import OrgUnit

DEMO_DEVICE_ID = "13060000005030000002"
DEMO_DEVICE_PASSWORD = "viid-demo-2026"  # demo only; shown in docs/checkpoint.md
DIVISION, INDUSTRY, CHECKPOINT_TYPE = "13060000", "00", "121"
ARTERIAL = "primary"
MAX_CROSSINGS = 24
# Sites keep apart by an eighth of the city's diagonal, between these bounds (metres).
MIN_SPACING_M, MAX_SPACING_M = 300.0, 1200.0
EDGE_MARGIN = 0.03  # share of the network's extent counted as "at the city's edge"


@dataclass(frozen=True)
class Site:
    node_index: int
    kind: SiteKind
    name: str


def _road_names(network: RoadNetwork, edges: np.ndarray) -> list[str]:
    names = network.names or []
    return sorted({names[e] for e in edges if e < len(names) and names[e]})


def find_sites(network: RoadNetwork, water: list[Any]) -> list[Site]:
    """Entrances, bridges and arterial crossings of the network, spread apart."""
    arterial = np.flatnonzero(network.road_class == ARTERIAL)
    if arterial.size == 0:
        return []
    ends = np.concatenate([network.edge_from[arterial], network.edge_to[arterial]])
    edges_of = np.concatenate([arterial, arterial])
    degree = np.bincount(ends, minlength=network.node_count)
    xy = network.projection.forward(network.lon, network.lat)
    sites: list[Site] = []
    taken: list[int] = []

    def add(candidates: list[int], kind: SiteKind, label: str, limit: int) -> None:
        """Keep up to `limit` candidates, in order, at least MIN_SPACING_M from every site."""
        added = 0
        for i in candidates:
            if added >= limit:
                return
            if any(np.hypot(*(xy[i] - xy[k])) < spacing for k in taken):
                continue
            names = _road_names(network, edges_of[ends == i])
            road = "与".join(names[:2]) if names else f"{len(sites) + 1}号路"
            sites.append(Site(i, kind, f"{road}{label}"))
            taken.append(i)
            added += 1

    lo, hi = xy.min(axis=0), xy.max(axis=0)
    spacing = float(np.clip(np.hypot(*(hi - lo)) / 8, MIN_SPACING_M, MAX_SPACING_M))
    margin = (hi - lo) * EDGE_MARGIN
    node_set = np.unique(ends)
    border = [
        int(i) for i in node_set if np.any(xy[i] <= lo + margin) or np.any(xy[i] >= hi - margin)
    ]
    add(border, SiteKind.city_entrance, "城市出入口卡口", 8)
    if water:
        shapes = [prep(w) for w in water]
        bridges = []
        for e in arterial:
            line = LineString(
                [
                    (network.lon[network.edge_from[e]], network.lat[network.edge_from[e]]),
                    (network.lon[network.edge_to[e]], network.lat[network.edge_to[e]]),
                ]
            )
            if any(s.intersects(line) for s in shapes):
                bridges.append(int(network.edge_from[e]))
        add(sorted(set(bridges)), SiteKind.bridge, "桥卡口", 6)
    crossings = [int(i) for i in np.flatnonzero(degree >= 3)]
    centre = xy[crossings].mean(axis=0) if crossings else lo
    crossings.sort(key=lambda i: float(np.hypot(*(xy[i] - centre))))
    add(crossings, SiteKind.intersection, "路口卡口", MAX_CROSSINGS)
    return sites


def _brigade_areas(db: Session) -> list[tuple[Any, int]]:
    """(prepared polygon, org unit id) of each brigade area: a checkpoint belongs to its brigade."""
    areas = db.scalars(select(Area).where(Area.kind == AreaKind.brigade_area))
    return [(prep(shape(a.geometry)), a.org_unit_id) for a in areas if a.org_unit_id]


def seed_checkpoints(db: Session) -> None:
    """Checkpoints, lanes and the demo VIID device, when a network exists and none are there."""
    if db.scalar(select(func.count()).select_from(Checkpoint)):
        return
    root = db.scalar(select(OrgUnit).where(OrgUnit.code == "130600"))
    if root is None:
        return
    if not db.scalar(select(func.count()).select_from(RoadNode)):
        return  # no network stored: no checkpoints to place
    network = network_for(db)
    water = [shape(a.geometry) for a in db.scalars(select(Area).where(Area.kind == AreaKind.water))]
    areas = _brigade_areas(db)
    for seq, site in enumerate(find_sites(network, water), start=1):
        lon, lat = float(network.lon[site.node_index]), float(network.lat[site.node_index])
        point = Point(lon, lat)
        unit_id = next((u for a, u in areas if a.contains(point)), root.id)
        lanes = 6 if site.kind == SiteKind.city_entrance else 4
        checkpoint = Checkpoint(
            code=f"{DIVISION}{INDUSTRY}{CHECKPOINT_TYPE}{seq:07d}",
            name=site.name,
            kind=TollgateCat.public_security
            if site.kind == SiteKind.city_entrance
            else TollgateCat.traffic,
            site_kind=site.kind,
            lon=lon,
            lat=lat,
            direction="9",
            lane_count=lanes,
            unit_id=unit_id,
            place_code="130600",
            address=site.name.removesuffix("卡口"),
            road_node=int(network.node_ids[site.node_index]),
        )
        checkpoint.lanes = [
            Lane(lane_no=n, direction="9", description=f"{n}号车道") for n in range(1, lanes + 1)
        ]
        db.add(checkpoint)
    if db.scalar(select(ViidDevice).where(ViidDevice.device_id == DEMO_DEVICE_ID)) is None:
        db.add(
            ViidDevice(
                device_id=DEMO_DEVICE_ID,
                name="示范市卡口汇聚平台（模拟）",
                kind=DeviceKind.platform,
                unit_id=root.id,
                digest_ha1=digest_ha1(DEMO_DEVICE_ID, DEMO_DEVICE_PASSWORD),
                enabled=True,
            )
        )
    db.flush()
