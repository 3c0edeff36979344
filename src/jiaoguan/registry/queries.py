"""Queries other modules build on: overdue inspection / scrapping lists and company rosters."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import Select, select
from sqlalchemy.orm import Session

from jiaoguan.platform.auth.service import Principal, in_scope
from jiaoguan.registry.models import RETIRED_VEHICLE, Company, Driver, Vehicle

# --- overdue lists (checkpoint watchlists and grid tasks use these) ----------------------------------------


def overdue_inspection(
    db: Session, today: dt.date, principal: Principal | None = None
) -> Select[Vehicle]:
    """Vehicles whose inspection validity ended before `today` and that are still on the road
    (not scrapped or cancelled): a SELECT to page, count or stream; scoped when given a principal."""
    stmt = select(Vehicle).where(
        Vehicle.inspection_due_on < today, Vehicle.status.not_in(RETIRED_VEHICLE)
    )
    if principal is not None:
        stmt = stmt.where(in_scope(principal, Vehicle.unit_id))
    return stmt.order_by(Vehicle.inspection_due_on, Vehicle.id)


def overdue_scrapping(
    db: Session, today: dt.date, principal: Principal | None = None
) -> Select[Vehicle]:
    """Vehicles past their compulsory scrapping date and not yet scrapped or cancelled."""
    stmt = select(Vehicle).where(
        Vehicle.scrapping_due_on < today, Vehicle.status.not_in(RETIRED_VEHICLE)
    )
    if principal is not None:
        stmt = stmt.where(in_scope(principal, Vehicle.unit_id))
    return stmt.order_by(Vehicle.scrapping_due_on, Vehicle.id)


@dataclass(frozen=True)
class CompanyRoster:
    """A (transport) company's vehicles and drivers, as far as the principal sees them."""

    vehicles: list[Vehicle]
    drivers: list[Driver]
    vehicle_total: int
    overdue_inspection: int
    key_vehicles: int


def company_roster(
    db: Session, principal: Principal, company: Company, today: dt.date, limit: int = 200
) -> CompanyRoster:
    vehicles = list(
        db.scalars(
            select(Vehicle)
            .where(Vehicle.company_id == company.id, in_scope(principal, Vehicle.unit_id))
            .order_by(Vehicle.plate_no)
        )
    )
    drivers = list(
        db.scalars(
            select(Driver)
            .where(Driver.company_id == company.id, in_scope(principal, Driver.unit_id))
            .order_by(Driver.name)
            .limit(limit)
        )
    )
    overdue = sum(
        1
        for v in vehicles
        if v.inspection_due_on and v.inspection_due_on < today and v.status not in RETIRED_VEHICLE
    )
    return CompanyRoster(
        vehicles=vehicles[:limit],
        drivers=drivers,
        vehicle_total=len(vehicles),
        overdue_inspection=overdue,
        key_vehicles=sum(1 for v in vehicles if v.key_vehicle),
    )
