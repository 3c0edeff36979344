"""Demo data of the watchlist side: a daytime truck ban on the checkpoints nearest the city
centre, so trucks of the live simulation raise 闯禁行 alerts. The automatic overdue watches come
from the daily registry refresh (watchlists.registry_refresh_loop), which the demo server runs
shortly after it starts. Nothing is created without checkpoints, or when rules exist already."""

from __future__ import annotations

import numpy as np
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from jiaoguan.checkpoint.models import Checkpoint
from jiaoguan.checkpoint.watch_models import RestrictionRule, RestrictionTarget
from jiaoguan.platform.auth.models import OrgUnit

CENTRE_CHECKPOINTS = 4


def seed_restriction_rules(db: Session) -> None:
    if db.scalar(select(func.count(RestrictionRule.id))):
        return
    rows = list(db.execute(select(Checkpoint.code, Checkpoint.lon, Checkpoint.lat)))
    root = db.scalar(select(OrgUnit).where(OrgUnit.parent_id.is_(None)).order_by(OrgUnit.id))
    if not rows or root is None:
        return
    lon = np.array([r.lon for r in rows])
    lat = np.array([r.lat for r in rows])
    distance = np.hypot(lon - lon.mean(), lat - lat.mean())
    central = [rows[i].code for i in np.argsort(distance)[:CENTRE_CHECKPOINTS]]
    db.add(
        RestrictionRule(
            name="中心城区重中型货车日间禁行",
            target=RestrictionTarget.trucks,
            vehicle_classes=["H1", "H2", "Q"],
            checkpoint_codes=central,
            start_time="07:00",
            end_time="21:00",
            weekdays="1234567",
            exempt_plates=[],
            active=True,
            unit_id=root.id,
            note="演示数据：中心城区卡口守卫的货车禁行区域",
        )
    )
    db.flush()
