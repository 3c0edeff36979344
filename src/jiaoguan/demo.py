"""Demo data: every module adds its seed here, so `jiaoguan demo` shows a populated platform."""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy.orm import Session

from jiaoguan.checkpoint.demo import seed_checkpoints
from jiaoguan.checkpoint.watch_demo import seed_restriction_rules
from jiaoguan.command.demo import seed_command
from jiaoguan.geo.address.service import seed_addresses
from jiaoguan.platform.bootstrap import DemoAccount, seed_demo
from jiaoguan.platform.workorders.demo import seed_work_orders
from jiaoguan.registry.demo import seed_registries
from jiaoguan.sim.city import CitySize
from jiaoguan.sim.demo import seed_city

# Seeders run after the organisation exists, in registration order.
DemoSeeder = Callable[[Session], None]
DEMO_SEEDERS: list[DemoSeeder] = []
DEMO_SEEDERS.append(seed_addresses)  # divisions first: other seeders place things on addresses
DEMO_SEEDERS.append(seed_work_orders)
DEMO_SEEDERS.append(seed_registries)
DEMO_SEEDERS.append(seed_command)
DEMO_SEEDERS.append(seed_checkpoints)  # needs the road network (seed_city)
DEMO_SEEDERS.append(seed_restriction_rules)  # needs the checkpoints


def seed_everything(
    db: Session, password: str, city_size: CitySize | None = None
) -> list[DemoAccount]:
    """The demo organisation and accounts, the simulated city when a size is given, then every
    module's own demo data."""
    accounts = seed_demo(db, password)
    db.flush()
    if city_size is not None:
        seed_city(db, city_size)
    for seeder in DEMO_SEEDERS:
        seeder(db)
    return accounts
