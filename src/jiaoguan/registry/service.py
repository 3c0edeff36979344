"""Registry services beyond CRUD: sensitive reads, map layers, overdue lists, company rosters, and
bulk loading for the synthetic city generator.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from sqlalchemy import Select, insert, select
from sqlalchemy.orm import Session

from jiaoguan.geo.areas import grid_bins
from jiaoguan.platform.audit.service import record
from jiaoguan.platform.auth.service import Principal, in_scope
from jiaoguan.platform.crud import Registry, get_record
from jiaoguan.platform.db import utcnow
from jiaoguan.platform.errors import Invalid
from jiaoguan.registry.models import (
    Company,
    Driver,
    Facility,
    House,
    Road,
    RoadSegment,
    Vehicle,
)
from jiaoguan.registry.queries import (
    CompanyRoster,
    company_roster,
    overdue_inspection,
    overdue_scrapping,
)
from jiaoguan.registry.registries import DRIVERS, VEHICLES
from jiaoguan.registry.schemas import PersonIdentity, VehicleOwner

MAX_FEATURES = 5000
__all__ = [
    "CompanyRoster",
    "bulk_insert_companies",
    "bulk_insert_drivers",
    "bulk_insert_facilities",
    "bulk_insert_houses",
    "bulk_insert_road_segments",
    "bulk_insert_roads",
    "bulk_insert_vehicles",
    "company_roster",
    "driver_identity",
    "geojson_layer",
    "ids_by_key",
    "overdue_inspection",
    "overdue_scrapping",
    "parse_bbox",
    "vehicle_owner",
]

# --- sensitive reads -----------------------------------------------------------------------------------


def driver_identity(
    db: Session, principal: Principal, driver_id: int, reason: str
) -> PersonIdentity:
    """A driver's full id number, birth date and phone; audited as a sensitive read with the reason."""
    driver: Driver = get_record(DRIVERS, db, principal, driver_id)
    record(db, principal, "read_identity", "driver", driver.id, reason=reason, sensitive=True)
    return PersonIdentity.model_validate(driver)


def vehicle_owner(db: Session, principal: Principal, vehicle_id: int, reason: str) -> VehicleOwner:
    """A vehicle's owner in full (and the owner's driver record, if any); audited with the reason."""
    vehicle: Vehicle = get_record(VEHICLES, db, principal, vehicle_id)
    record(db, principal, "read_owner", "vehicle", vehicle.id, reason=reason, sensitive=True)
    driver_id = db.scalar(
        select(Driver.id).where(
            Driver.id_number == vehicle.owner_id_number, in_scope(principal, Driver.unit_id)
        )
    )
    owner = VehicleOwner.model_validate(vehicle)
    return owner.model_copy(update={"driver_id": driver_id})


# --- map layers ------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class BBox:
    west: float
    south: float
    east: float
    north: float


def parse_bbox(text: str | None) -> BBox | None:
    """`west,south,east,north` in WGS-84 degrees; 422 on the `bbox` parameter otherwise."""
    if text is None or not text.strip():
        return None
    parts = text.split(",")
    try:
        values = [float(p) for p in parts]
    except ValueError:
        values = []
    if len(values) != 4 or any(v != v for v in values):  # v != v: NaN
        raise Invalid("bbox 应为 西经度,南纬度,东经度,北纬度 四个数", ["query", "bbox"])
    west, south, east, north = values
    if not (-180 <= west <= east <= 180 and -90 <= south <= north <= 90):
        raise Invalid("bbox 范围不正确：应 西≤东、南≤北，且在经纬度范围内", ["query", "bbox"])
    return BBox(west, south, east, north)


def _point_properties(registry: Registry[Any, Any, Any, Any], obj: Any) -> dict[str, Any]:
    columns = registry.list_columns()[:4]
    return {
        "id": obj.id,
        "title": registry.title_of(obj),
        "url": f"{registry.page_prefix}/{obj.id}",
        **{c.header: registry.display(c, obj) for c in columns},
    }


def geojson_layer(
    registry: Registry[Any, Any, Any, Any], db: Session, principal: Principal, bbox: BBox | None
) -> dict[str, Any]:
    """The registry's records with coordinates (in scope, in the box) as a GeoJSON FeatureCollection
    of points; road segments with a geometry as LineStrings. At most MAX_FEATURES features."""
    model = registry.model
    stmt: Select[Any] = select(model).where(in_scope(principal, model.unit_id))
    if bbox is not None:
        stmt = stmt.where(
            model.lon >= bbox.west,
            model.lon <= bbox.east,
            model.lat >= bbox.south,
            model.lat <= bbox.north,
        )
    if model is not RoadSegment:
        stmt = stmt.where(model.lon.is_not(None), model.lat.is_not(None))
    features: list[dict[str, Any]] = []
    rows = list(db.scalars(stmt.order_by(model.id).limit(MAX_FEATURES + 1)))
    for obj in rows[:MAX_FEATURES]:
        geometry = _geometry_of(obj)
        if geometry is not None:
            properties = _point_properties(registry, obj)
            features.append({"type": "Feature", "geometry": geometry, "properties": properties})
    return {
        "type": "FeatureCollection",
        "features": features,
        "truncated": len(rows) > MAX_FEATURES,
    }


def _geometry_of(obj: Any) -> dict[str, Any] | None:
    if isinstance(obj, RoadSegment) and obj.geometry:
        return {"type": "LineString", "coordinates": obj.geometry}
    if obj.lon is None or obj.lat is None:
        return None
    return {"type": "Point", "coordinates": [obj.lon, obj.lat]}


def density_layer(
    registry: Registry[Any, Any, Any, Any], db: Session, principal: Principal, cell_m: float
) -> dict[str, Any]:
    """How many of the registry's records (in scope) lie in each square of `cell_m` metres: a heat
    grid for the map. Cells are anchored on a fixed city-wide origin so they don't shift as data
    changes; `level` is the count relative to the fullest cell (0..1], for colouring."""
    model = registry.model
    stmt = select(model.lon, model.lat).where(
        in_scope(principal, model.unit_id), model.lon.is_not(None), model.lat.is_not(None)
    )
    points = np.array(db.execute(stmt).all(), dtype=np.float64).reshape(-1, 2)
    origin: tuple[float, float] | None = None
    if len(points):
        # A tenth of a degree south-west of the data: the same cells on every call.
        west, south = np.floor(points.min(axis=0) * 10) / 10
        origin = (float(west), float(south))
    cells = grid_bins(points[:, 0], points[:, 1], cell_m, origin)
    fullest = max((cell.count for cell in cells), default=1)
    return {
        "type": "FeatureCollection",
        "features": [
            {
                "type": "Feature",
                "geometry": {"type": "Polygon", "coordinates": [cell.polygon]},
                "properties": {
                    "title": f"{registry.label}：{cell.count}",
                    "数量": cell.count,
                    "网格边长（米）": int(cell_m),
                    "level": round(cell.count / fullest, 4),
                },
            }
            for cell in cells
        ],
    }


# --- bulk loading (sim/ city generator) -----------------------------------------------------------------

Row = Mapping[str, Any]


def _bulk(db: Session, model: type[Any], rows: Iterable[Row], batch: int) -> int:
    """INSERT plain rows with Core executemany, `batch` at a time; no ORM objects, no audit
    (the generator is not a user; its ground truth is its own record). Returns the row count.

    Rows carry column names; `created_at` / `updated_at` / `tags` default when absent. Values are
    stored as given: the generator produces valid keys (use `validators.make_id_number` etc.).
    """
    now = utcnow()
    table = model.__table__
    # executemany needs the same keys in every row: absent optional columns become NULL or
    # their scalar default.
    defaults: dict[str, Any] = {}
    for column in table.columns:
        if column.primary_key:
            continue
        if column.default is not None and column.default.is_scalar:
            defaults[column.key] = column.default.arg
        elif column.nullable:
            defaults[column.key] = None
    defaults.update({"created_at": now, "updated_at": now, "tags": []})
    count = 0
    chunk: list[dict[str, Any]] = []
    for row in rows:
        chunk.append({**defaults, **row})
        if len(chunk) >= batch:
            db.execute(insert(table), chunk)
            count += len(chunk)
            chunk = []
    if chunk:
        db.execute(insert(table), chunk)
        count += len(chunk)
    return count


def bulk_insert_drivers(db: Session, rows: Iterable[Row], batch: int = 5000) -> int:
    """Rows: id_number, name, sex ("male"/"female"), birth_date, licence_class, status, points,
    unit_id, and optionally licence_no, first_issued_on, audit_due_on, expires_on, phone,
    company_id, address_id, lon, lat, tags."""
    return _bulk(db, Driver, rows, batch)


def bulk_insert_vehicles(db: Session, rows: Iterable[Row], batch: int = 5000) -> int:
    """Rows: plate_no, plate_class, plate_color, vehicle_class, owner_name, owner_id_number,
    owner_is_person, use, status, unit_id, key_vehicle, muck_truck, and optionally brand, model,
    body_color, vin, registered_on, inspection_due_on, scrapping_due_on, company_id, address_id,
    lon, lat, tags."""
    return _bulk(db, Vehicle, rows, batch)


def bulk_insert_companies(db: Session, rows: Iterable[Row], batch: int = 5000) -> int:
    """Rows: credit_code, name, kind, risk_tier, unit_id, and optionally legal_representative,
    phone, address_text, address_id, lon, lat, tags."""
    return _bulk(db, Company, rows, batch)


def bulk_insert_houses(db: Session, rows: Iterable[Row], batch: int = 5000) -> int:
    """Rows: name, kind, unit_id, and optionally address_text, floors, households, residents,
    parking_spaces, address_id, lon, lat, tags."""
    return _bulk(db, House, rows, batch)


def bulk_insert_roads(db: Session, rows: Iterable[Row], batch: int = 5000) -> int:
    """Rows: name, grade, road_order, unit_id, and optionally code, length_km, lanes, lon, lat, tags."""
    return _bulk(db, Road, rows, batch)


def bulk_insert_road_segments(db: Session, rows: Iterable[Row], batch: int = 5000) -> int:
    """Rows: road_id, name, unit_id, hazard, accident_prone, and optionally from_desc, to_desc,
    length_m, geometry ([[lon, lat], ...]), lon, lat, tags."""
    return _bulk(db, RoadSegment, rows, batch)


def bulk_insert_facilities(db: Session, rows: Iterable[Row], batch: int = 5000) -> int:
    """Rows: name, kind, status, unit_id, and optionally road_segment_id, installed_on, lon, lat, tags."""
    return _bulk(db, Facility, rows, batch)


def ids_by_key(db: Session, model: type[Any], key: str, values: Sequence[Any]) -> dict[Any, int]:
    """`{key value: id}` for rows just bulk-inserted (e.g. companies by credit_code), in chunks."""
    column = getattr(model, key)
    found: dict[Any, int] = {}
    for start in range(0, len(values), 5000):
        part = values[start : start + 5000]
        rows = db.execute(select(column, model.id).where(column.in_(part)))
        found.update({key_value: row_id for key_value, row_id in rows})
    return found
