"""The simulated city in the demo database: generated once, loaded through the modules' bulk paths."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from jiaoguan.geo.models import RoadNode
from jiaoguan.sim.city import CitySize, generate_city
from jiaoguan.sim.load import LoadResult, load_city

DEMO_CITY_SEED = 1


def seed_city(db: Session, size: CitySize, today: dt.date | None = None) -> LoadResult | None:
    """Roads, areas, grids and registries of 示范市; nothing when a network is already there."""
    if db.scalar(select(func.count()).select_from(RoadNode)):
        return None
    # Due dates are generated relative to today, so the demo always has overdue vehicles.
    city = generate_city(DEMO_CITY_SEED, size, as_of=today or dt.date.today())
    return load_city(db, city)
