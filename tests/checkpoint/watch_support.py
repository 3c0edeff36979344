"""Helpers for the watchlist / alert tests: checkpoints placed by hand, passes through the ingestor."""

from __future__ import annotations

import datetime as dt
import itertools
from typing import Any

from fastapi import FastAPI
from sqlalchemy import select

from jiaoguan.checkpoint.ingest import PassRecord, ingestor_of, make_pass
from jiaoguan.checkpoint.models import Checkpoint
from jiaoguan.checkpoint.watch_models import Watch, WatchKind, WatchStatus
from jiaoguan.platform.auth.models import OrgUnit
from jiaoguan.platform.db import utcnow

# Three checkpoints about 1–2 km apart (well within five minutes of each other), in three units.
SITES = [
    ("13060000001210000901", "朝阳大街卡口", 115.4600, 38.8700, "13060201"),
    ("13060000001210000902", "东风路卡口", 115.4750, 38.8700, "13060202"),
    ("13060000001210000903", "裕华路卡口", 115.4900, 38.8790, "13060601"),
]
_ids = itertools.count(1)


def add_checkpoints(app: FastAPI) -> list[Checkpoint]:
    with app.state.db.transaction() as db:
        units = {u.code: u for u in db.scalars(select(OrgUnit))}
        rows = [
            Checkpoint(code=code, name=name, lon=lon, lat=lat, unit_id=units[unit].id)
            for code, name, lon, lat, unit in SITES
        ]
        db.add_all(rows)
        db.flush()
        return rows


def add_watch(app: FastAPI, plate: str, checkpoint_id: int, starts: dt.datetime) -> None:
    """An approved stolen-vehicle watch from `starts` for a month after now, owned by the unit of
    the checkpoint."""
    with app.state.db.transaction() as db:
        db.add(
            Watch(
                plate_no=plate,
                kind=WatchKind.stolen,
                status=WatchStatus.active,
                reason="被盗车辆",
                starts_at=starts,
                ends_at=utcnow() + dt.timedelta(days=30),
                unit_id=db.get_one(Checkpoint, checkpoint_id).unit_id,
                applicant_name="测试",
            )
        )


def unit(app: FastAPI, code: str) -> OrgUnit:
    with app.state.db.sessions() as db:
        found: OrgUnit | None = db.scalar(select(OrgUnit).where(OrgUnit.code == code))
        assert found is not None
        return found


def pass_of(checkpoint: Checkpoint, plate: str, at: dt.datetime, **fields: Any) -> PassRecord:
    return make_pass(
        record_id=f"t{next(_ids):08d}",
        checkpoint_id=checkpoint.id,
        tollgate_code=checkpoint.code,
        passed_at=at,
        plate_raw=plate,
        plate_colour=fields.pop("plate_colour", "5"),
        **fields,
    )


def ingest(app: FastAPI, *records: PassRecord) -> int:
    return int(ingestor_of(app).ingest(list(records)).stored)
