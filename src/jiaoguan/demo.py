"""Demo data: every module adds its seed here, so `jiaoguan demo` shows a populated platform."""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy.orm import Session

from jiaoguan.platform.bootstrap import DemoAccount, seed_demo
from jiaoguan.platform.workorders.demo import seed_work_orders

# Seeders run after the organisation exists, in registration order.
DemoSeeder = Callable[[Session], None]
DEMO_SEEDERS: list[DemoSeeder] = []
DEMO_SEEDERS.append(seed_work_orders)


def seed_everything(db: Session, password: str) -> list[DemoAccount]:
    accounts = seed_demo(db, password)
    db.flush()
    for seeder in DEMO_SEEDERS:
        seeder(db)
    return accounts
