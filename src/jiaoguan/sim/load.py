"""Write a generated city into the platform: road network and areas through geo's store, the
registries through their bulk functions, with org units for every generated grid.

Meant for test and demo cities (tens of thousands of rows, a few seconds on SQLite); a 3-million
vehicle city is for Parquet (`jiaoguan simulate`), not for a demo database. The city's door plates
and landmarks go into the standard-address registry first, and every registry row that lives at
one of them points at it: one address source for the matcher, the registries and the map.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import polars as pl
from shapely.geometry import mapping
from sqlalchemy import select
from sqlalchemy.orm import Session

from jiaoguan.geo.address import divisions as division_table
from jiaoguan.geo.address.service import bulk_insert_addresses, bulk_insert_landmarks
from jiaoguan.geo.store import AreaIn, EdgeIn, NodeIn, save_areas, save_network
from jiaoguan.platform.auth.models import OrgUnit, OrgUnitKind
from jiaoguan.platform.bootstrap import add_unit
from jiaoguan.registry import service as registry
from jiaoguan.registry.models import Company
from jiaoguan.sim.city import City

# Generator vocabulary -> registry vocabulary.
ROAD_CLASS_OSM = {"arterial": "primary", "secondary": "secondary", "local": "residential"}
ROAD_GRADE = {"arterial": "arterial", "secondary": "secondary", "local": "branch"}
COMPANY_KIND = {
    "coach": "passenger_transport",
    "tourist": "passenger_transport",
    "hazmat": "hazmat_transport",
    "muck": "muck_transport",
    "bus": "bus",
    "general": "other",
}
VEHICLE_USE = {
    "car": "private", "suv": "private", "nev": "private", "van": "freight", "fleet": "private",
    "coach": "coach", "tourist": "tourist", "hazmat": "hazmat", "muck": "muck", "bus": "bus",
}  # fmt: skip
HOUSE_KIND = {"住宅": "residential", "平房": "residential", "商铺": "commercial", "办公": "office"}
FACILITY_KIND = {
    "signal": "signal",
    "camera": "camera",
    "checkpoint": "camera",
    "guardrail": "barrier",
    "sign": "sign",
}


@dataclass
class LoadResult:
    counts: dict[str, int] = field(default_factory=dict)


def load_city(db: Session, city: City) -> LoadResult:
    """Load the city into the database in the caller's transaction."""
    result = LoadResult()
    units = _ensure_units(db, city)
    saved = save_network(db, list(_nodes(city)), list(_segments(city)))
    result.counts.update(nodes=saved.nodes, edges=saved.edges)
    result.counts["areas"] = save_areas(db, list(_areas(city, units))).areas
    if not division_table.divisions_loaded(db):
        division_table.load_divisions(db)
    standard_ids = _load_addresses(db, city, units)
    result.counts["addresses"] = len(standard_ids)
    result.counts["landmarks"] = bulk_insert_landmarks(db, _landmarks(city, standard_ids))
    addresses = city.addresses.select(
        "address_id", "full_text", "grid_code", "lon", "lat"
    ).with_columns(
        standard_address_id=pl.col("address_id").replace_strict(standard_ids, default=None)
    )
    result.counts["companies"] = registry.bulk_insert_companies(
        db, _companies(city, addresses, units)
    )
    codes = city.companies["credit_code"].to_list()
    company_ids = registry.ids_by_key(db, Company, "credit_code", codes)
    drivers = city.drivers.join(addresses, on="address_id", how="left")
    result.counts["drivers"] = registry.bulk_insert_drivers(db, _drivers(city, drivers, units))
    homes = drivers.select(
        pl.col("id_number").alias("owner_id_number"),
        "grid_code",
        "standard_address_id",
        "lon",
        "lat",
    )
    result.counts["vehicles"] = registry.bulk_insert_vehicles(
        db, _vehicles(city, homes, company_ids, units)
    )
    result.counts["houses"] = registry.bulk_insert_houses(db, _houses(city, addresses, units))
    result.counts["roads"] = registry.bulk_insert_roads(db, _roads(city, units))
    result.counts["facilities"] = registry.bulk_insert_facilities(db, _facilities(city, units))
    db.flush()
    return result


def _ensure_units(db: Session, city: City) -> dict[str, int]:
    """Org unit ids by code; grids the demo organisation lacks are created under their police
    district, so every generated grid has a unit to scope its data."""
    units = {u.code: u for u in db.scalars(select(OrgUnit))}
    for area in city.areas:
        if area.kind == "grid" and area.code not in units and area.parent_code in units:
            units[area.code] = add_unit(
                db, area.code, area.name, OrgUnitKind.grid, units[area.parent_code]
            )
    return {code: unit.id for code, unit in units.items()}


def _nodes(city: City) -> Iterator[NodeIn]:
    for node_id, lon, lat in city.nodes.select("node_id", "lon", "lat").iter_rows():
        yield NodeIn(int(node_id), float(lon), float(lat))


def _segments(city: City) -> Iterator[EdgeIn]:
    """One segment per road piece: two-way pieces once (geo adds the way back), one-way as is."""
    edges = city.edges.with_columns(
        lo=pl.min_horizontal("source", "target"), hi=pl.max_horizontal("source", "target")
    ).unique(["lo", "hi", "road_id"], keep="first", maintain_order=True)
    lon, lat = city.nodes["lon"].to_numpy(), city.nodes["lat"].to_numpy()
    columns = ("source", "target", "road_class", "speed_kph", "oneway", "lanes", "name", "length_m")
    for a, b, cls, speed, oneway, lanes, name, length in edges.select(columns).iter_rows():
        yield EdgeIn(
            from_id=int(a),
            to_id=int(b),
            geometry=[[float(lon[a]), float(lat[a])], [float(lon[b]), float(lat[b])]],
            road_class=ROAD_CLASS_OSM[cls],
            speed_limit_kmh=float(speed),
            oneway=bool(oneway),
            lanes=int(lanes),
            name=name,
            length_m=float(length),
        )


def _areas(city: City, units: dict[str, int]) -> Iterator[AreaIn]:
    for area in city.areas:
        geometry = dict(mapping(area.polygon))
        unit = units.get(area.code)
        yield AreaIn(area.kind, area.name, area.code, geometry, unit)
        if area.kind == "district":  # the brigade of the same code patrols the district
            yield AreaIn("brigade_area", area.name, area.code, geometry, unit)


def _load_addresses(db: Session, city: City, units: dict[str, int]) -> dict[int, int]:
    """The city's addresses as standard addresses; `{city address id: standard address id}`."""
    frame = city.addresses
    rows = [
        {
            "code": f"SMS{city.seed:03d}{row['address_id']:09d}",  # SYSTEMID of the synthetic city
            "county_code": row["district_code"],
            "road": row["road_name"],
            "house_number": f"{row['number']}号",
            "building": f"{row['building']}号楼" if row["building"] is not None else None,
            "unit_no": f"{row['unit']}单元" if row["unit"] is not None else None,
            "full_text": row["full_text"],
            "grid_unit_id": units.get(row["grid_code"] or ""),
            "block": row["police_district_code"],
            "lon": row["lon"],
            "lat": row["lat"],
        }
        for row in frame.iter_rows(named=True)
    ]
    ids = bulk_insert_addresses(db, rows)
    return {
        int(city_id): ids[row["code"]]
        for city_id, row in zip(frame["address_id"].to_list(), rows, strict=True)
    }


def _landmarks(city: City, standard_ids: dict[int, int]) -> list[dict[str, Any]]:
    counties = dict(city.addresses.select("address_id", "district_code").iter_rows())
    return [
        {
            "name": name,
            "county_code": counties.get(address_id),
            "address_id": standard_ids.get(address_id),
            "lon": lon,
            "lat": lat,
        }
        for name, address_id, lon, lat in city.landmarks.select(
            "name", "address_id", "lon", "lat"
        ).iter_rows()
    ]


def _placed(row: dict[str, Any]) -> dict[str, Any]:
    """Where a registry row lives: its standard address (when it has one) and coordinates."""
    return {"address_id": row.get("standard_address_id"), "lon": row["lon"], "lat": row["lat"]}


def _unit(units: dict[str, int], grid_code: str | None) -> int:
    # Points outside every generated grid (none by construction) fall back to the detachment.
    return units.get(grid_code or "", units["130600"])


def _companies(
    city: City, addresses: pl.DataFrame, units: dict[str, int]
) -> Iterator[dict[str, Any]]:
    frame = city.companies.drop("grid_code").join(addresses, on="address_id", how="left")
    for row in frame.iter_rows(named=True):
        yield {
            "credit_code": row["credit_code"],
            "name": row["name"],
            "kind": COMPANY_KIND[row["kind"]],
            "risk_tier": row["risk_tier"],
            "unit_id": _unit(units, row["grid_code"]),
            "address_text": row["full_text"],
            **_placed(row),
        }


def _drivers(city: City, drivers: pl.DataFrame, units: dict[str, int]) -> Iterator[dict[str, Any]]:
    for row in drivers.iter_rows(named=True):
        if row["points"] >= 12:
            status = "over_points"
        elif row["valid_until"] < city.as_of:
            status = "renewal_overdue"
        else:
            status = "normal"
        yield {
            "id_number": row["id_number"],
            "name": row["name"],
            "sex": "male" if row["sex"] == "男" else "female",
            "birth_date": row["birth_date"],
            "licence_class": row["licence_class"],
            "status": status,
            "points": int(row["points"]),
            "first_issued_on": row["first_issued_on"],
            "expires_on": row["valid_until"],
            "unit_id": _unit(units, row["grid_code"]),
            **_placed(row),
        }


def _vehicles(
    city: City, homes: pl.DataFrame, company_ids: dict[str, int], units: dict[str, int]
) -> Iterator[dict[str, Any]]:
    companies = city.companies.select(
        pl.col("credit_code").alias("owner_credit_code"), pl.col("grid_code").alias("company_grid")
    )
    frame = city.vehicles.join(homes, on="owner_id_number", how="left").join(
        companies, on="owner_credit_code", how="left"
    )
    for row in frame.iter_rows(named=True):
        if row["status"] == "seized":
            status = "seized"
        elif row["scrapping_due"] is not None and row["scrapping_due"] < city.as_of:
            status = "scrapping_overdue"
        elif row["inspection_due"] < city.as_of:
            status = "inspection_overdue"
        else:
            status = "normal"
        person = row["owner_id_number"] is not None
        yield {
            "plate_no": row["plate_no"],
            "plate_class": row["plate_class"],
            "plate_color": row["plate_color"],
            "vehicle_class": row["vehicle_class"],
            "brand": row["brand"],
            "body_color": row["vehicle_color"],
            "owner_name": row["owner_name"],
            "owner_id_number": row["owner_id_number"] if person else row["owner_credit_code"],
            "owner_is_person": person,
            "use": VEHICLE_USE[row["category"]],
            "registered_on": row["registered_on"],
            "inspection_due_on": row["inspection_due"],
            "scrapping_due_on": row["scrapping_due"],
            "status": status,
            "company_id": None if person else company_ids[row["owner_credit_code"]],
            "key_vehicle": row["key_kind"] in ("coach", "tourist", "hazmat"),
            "muck_truck": row["key_kind"] == "muck",
            "unit_id": _unit(units, row["grid_code"] if person else row["company_grid"]),
            **_placed(row),
        }


def _houses(city: City, addresses: pl.DataFrame, units: dict[str, int]) -> Iterator[dict[str, Any]]:
    frame = city.houses.drop("grid_code").join(addresses, on="address_id", how="left")
    prefix = len("河北省保定市")
    for row in frame.iter_rows(named=True):
        yield {
            "name": row["full_text"][prefix:],
            "kind": HOUSE_KIND[row["kind"]],
            "address_text": row["full_text"],
            "floors": int(row["floors"]),
            "households": int(row["households"]),
            "unit_id": _unit(units, row["grid_code"]),
            **_placed(row),
        }


def _road_order(name: str) -> str:
    """平稳 mostly, some 混乱 / 复杂: fixed per road name, so reloads agree."""
    value = hashlib.sha256(name.encode()).digest()[0]
    return "stable" if value < 180 else "disordered" if value < 230 else "complex"


def _roads(city: City, units: dict[str, int]) -> Iterator[dict[str, Any]]:
    from jiaoguan.sim.city import locate

    per_road = (
        city.edges.join(city.nodes.select(pl.col("node_id").alias("source"), "x", "y", "lon", "lat"),
                        on="source")
        .group_by("road_id")
        .agg(pl.col("length_m").sum() / 2, pl.col("x").mean(), pl.col("y").mean(),
             pl.col("lon").mean(), pl.col("lat").mean())
    )  # fmt: skip
    frame = city.roads.join(per_road, on="road_id").sort("road_id")
    grids = locate(city.areas, "grid", frame["x"].to_numpy(), frame["y"].to_numpy())
    for row, grid in zip(frame.iter_rows(named=True), grids, strict=True):
        length = row["length_m"] * (2 if row["oneway"] else 1)  # one-way pieces counted once
        yield {
            "name": row["name"],
            "grade": ROAD_GRADE[row["road_class"]],
            "road_order": _road_order(row["name"]),
            "length_km": round(length / 1000, 3),
            "lanes": int(row["lanes"]) * (1 if row["oneway"] else 2),
            "unit_id": _unit(units, grid),
            "lon": row["lon"],
            "lat": row["lat"],
        }


def _facilities(city: City, units: dict[str, int]) -> Iterator[dict[str, Any]]:
    for row in city.facilities.iter_rows(named=True):
        yield {
            "name": row["name"],
            "kind": FACILITY_KIND[row["kind"]],
            "status": "normal",
            "unit_id": _unit(units, row["grid_code"]),
            "lon": row["lon"],
            "lat": row["lat"],
        }
