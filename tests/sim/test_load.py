"""The generated city in the platform's database: network, areas, registries, grids as units."""

from __future__ import annotations

import numpy as np
import polars as pl
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from jiaoguan.geo.models import Area
from jiaoguan.geo.network import RoadNetwork
from jiaoguan.platform.auth.models import OrgUnit
from jiaoguan.platform.db import Database
from jiaoguan.registry.models import Company, Driver, Facility, House, Road, Vehicle
from jiaoguan.sim.batch import overdue_vehicles
from jiaoguan.sim.city import generate_city
from jiaoguan.sim.load import load_city

EXPECTED = {
    Vehicle: "vehicles",
    Driver: "drivers",
    Company: "companies",
    House: "houses",
    Road: "roads",
    Facility: "facilities",
}


def _count(db: Session, model: type) -> int:
    return db.scalar(select(func.count()).select_from(model)) or 0


def test_load_city_into_the_platform(sqlite_url: str) -> None:
    city = generate_city(3, "test")
    database = Database(sqlite_url)
    try:
        with database.transaction() as db:
            before = {model: _count(db, model) for model in EXPECTED}
            result = load_city(db, city)
        with database.sessions() as db:
            # The demo seeds of other modules stay; the city adds exactly its own rows.
            for model, table in EXPECTED.items():
                added = _count(db, model) - before[model]
                assert added == getattr(city, table).height == result.counts[table], table
            # Planted overdue vehicles carry the registry's status.
            overdue = overdue_vehicles(city.vehicles, city.as_of)
            inspection = set(overdue.filter(pl.col("reason") == "overdue_inspection")["plate_no"])
            stored = set(
                db.scalars(
                    select(Vehicle.plate_no).where(
                        Vehicle.status == "inspection_overdue",
                        Vehicle.plate_no.in_(city.vehicles["plate_no"].to_list()),
                    )
                )
            )
            assert stored and stored <= inspection
            # Every generated grid is an org unit, and an area tied to it.
            grids = [a for a in city.areas if a.kind == "grid"]
            units = {u.code: u.id for u in db.scalars(select(OrgUnit))}
            assert all(g.code in units for g in grids)
            rows = db.execute(select(Area.code, Area.org_unit_id).where(Area.kind == "grid"))
            stored_grids = {code: unit for code, unit in rows}
            assert all(stored_grids[g.code] == units[g.code] for g in grids)
            # The stored network routes round the river as the generated one does.
            network = RoadNetwork.from_db(db)
            assert network.node_count == city.nodes.height
            bridge = city.bridges.row(0, named=True)
            edge = city.edges.row(bridge["edge_ids"][0], named=True)
            route = network.eta(network.index_of(edge["source"]), network.index_of(edge["target"]))
            assert route.reachable and route.length_m is not None
            assert np.isclose(route.length_m, edge["length_m"], rtol=0.05)
    finally:
        database.dispose()


def test_city_addresses_are_the_one_address_source(sqlite_url: str) -> None:
    """Door plates and landmarks land in the standard-address registry; registry rows point at
    them; the matcher finds a city address and a landmark by their words."""
    from jiaoguan.geo.address.models import Landmark, StandardAddress
    from jiaoguan.geo.address.service import matcher_for

    city = generate_city(4, "test")
    database = Database(sqlite_url)
    try:
        with database.transaction() as db:
            result = load_city(db, city)
        assert result.counts["addresses"] == city.addresses.height
        assert result.counts["landmarks"] == city.landmarks.height > 0
        with database.sessions() as db:
            owned = city.vehicles.filter(pl.col("owner_id_number").is_not_null())
            plates = owned["plate_no"].to_list()[:50]  # people's cars live at their homes
            linked = db.scalars(
                select(Vehicle.address_id).where(Vehicle.plate_no.in_(plates))
            ).all()
            assert linked and all(linked)
            address = db.get(StandardAddress, linked[0])
            assert address is not None and address.code.startswith("SMS004")
            assert address.county_code in {"130602", "130606"} and address.grid_unit_id
            sample = city.addresses.filter(pl.col("building").is_null()).row(0, named=True)
            found = matcher_for(db).match(sample["full_text"])
            assert found.candidates and found.candidates[0].address_id is not None
            best = db.get(StandardAddress, found.candidates[0].address_id)
            assert best is not None and best.full_text == sample["full_text"]
            landmark = db.scalars(select(Landmark).where(Landmark.address_id.is_not(None))).first()
            assert landmark is not None and landmark.lon is not None
    finally:
        database.dispose()
