"""Checkpoint health (last pass, rate of the last hour against the same hour of the past week) and
the checkpoint map layer. Each figure is a bounded query on the (checkpoint_id, passed_at) index."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from jiaoguan.checkpoint.models import (
    CHECKPOINT_STATUS_LABELS,
    SITE_KIND_LABELS,
    Checkpoint,
    CheckpointStatus,
    PassRecordRow,
)
from jiaoguan.checkpoint.schemas import CheckpointHealth
from jiaoguan.platform.auth.service import Principal, in_scope
from jiaoguan.platform.db import utcnow

P = PassRecordRow
HOUR = dt.timedelta(hours=1)
USUAL_DAYS = 7
LOW_RATIO = 0.3  # below this share of the usual hourly rate a checkpoint is flagged 偏低
MIN_USUAL = 5.0  # too few passes normally to judge the rate


def _counts(db: Session, ids: list[int], start: dt.datetime, end: dt.datetime) -> dict[int, int]:
    stmt = (
        select(P.checkpoint_id, func.count())
        .where(P.checkpoint_id.in_(ids), P.passed_at >= start, P.passed_at < end)
        .group_by(P.checkpoint_id)
    )
    return {int(c): int(n) for c, n in db.execute(stmt)}


def _verdict(c: Checkpoint, last: dt.datetime | None, ratio: float | None, usual: float) -> str:
    if c.status == CheckpointStatus.disabled:
        return "停用"
    if last is None:
        return "无数据"
    if usual >= MIN_USUAL and ratio is not None and ratio < LOW_RATIO:
        return "偏低"
    return "正常"


def health(
    db: Session,
    principal: Principal,
    now: dt.datetime | None = None,
    checkpoint_id: int | None = None,
) -> list[CheckpointHealth]:
    """Health of every checkpoint in scope (or of one)."""
    now = now or utcnow()
    stmt = select(Checkpoint).where(in_scope(principal, Checkpoint.unit_id))
    if checkpoint_id is not None:
        stmt = stmt.where(Checkpoint.id == checkpoint_id)
    checkpoints = list(db.scalars(stmt.order_by(Checkpoint.code)))
    ids = [c.id for c in checkpoints]
    recent = _counts(db, ids, now - HOUR, now)
    usual: dict[int, float] = {}
    for day in range(1, USUAL_DAYS + 1):
        back = now - dt.timedelta(days=day)
        for checkpoint_id, count in _counts(db, ids, back - HOUR, back).items():
            usual[checkpoint_id] = usual.get(checkpoint_id, 0.0) + count / USUAL_DAYS
    found = []
    for c in checkpoints:
        # One index probe per checkpoint: the newest entry of (checkpoint_id, passed_at).
        last = db.scalar(select(func.max(P.passed_at)).where(P.checkpoint_id == c.id))
        normal = round(usual.get(c.id, 0.0), 1)
        count = recent.get(c.id, 0)
        ratio = round(count / normal, 2) if normal else None
        found.append(
            CheckpointHealth(
                checkpoint_id=c.id,
                code=c.code,
                name=c.name,
                status=c.status,
                last_pass_at=last,
                passes_last_hour=count,
                usual_per_hour=normal,
                ratio=ratio,
                verdict=_verdict(c, last, ratio, normal),
            )
        )
    return found


def geojson_layer(db: Session, principal: Principal) -> dict[str, Any]:
    """Checkpoints as GeoJSON points for the one map."""
    checkpoints = db.scalars(
        select(Checkpoint).where(in_scope(principal, Checkpoint.unit_id)).order_by(Checkpoint.id)
    )
    features = [
        {
            "type": "Feature",
            "id": c.id,
            "geometry": {"type": "Point", "coordinates": [c.lon, c.lat]},
            "properties": {
                "id": c.id,
                "name": c.name,
                "code": c.code,
                "site_kind": SITE_KIND_LABELS.get(c.site_kind, ""),
                "status": CHECKPOINT_STATUS_LABELS.get(c.status, ""),
                "lanes": c.lane_count,
                "url": f"/checkpoint/checkpoints/{c.id}",
            },
        }
        for c in checkpoints
    ]
    return {"type": "FeatureCollection", "features": features}
