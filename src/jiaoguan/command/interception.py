"""Officers on the spot for a checkpoint alert (拦截): who is near the vehicle's next checkpoints.

The checkpoint module raises the alert and tells the units of the checkpoint and of the ones the
vehicle can reach within minutes (`checkpoint.alert_raised`). Only this module knows where the
officers are. It reads that event by its documented fields (never the checkpoint module's code or
tables). Every officer on duty, free or on a post, whose fix is fresh and lies within `NEAR_M` of
one of those checkpoints gets a personal notice naming the checkpoint and his distance from it,
unless his unit was told already.
"""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from fastapi import FastAPI
from pydantic import BaseModel, ValidationError
from sqlalchemy import select
from sqlalchemy.orm import Session, joinedload

from jiaoguan.command.models import Officer
from jiaoguan.command.recommend import RecommendConfig, distance_text
from jiaoguan.command.tracker import STATUS_CODE, OfficerSnapshot, tracker_of
from jiaoguan.geo.coords import haversine_many
from jiaoguan.platform.db import Database, utcnow
from jiaoguan.platform.events import Bus, Event, handled_once, subscriber
from jiaoguan.platform.logging import log
from jiaoguan.platform.push.service import notify_in

SUBJECT = "checkpoint.alert_raised"
CONSUMER = "command-interception"
NEAR_M = 2000.0  # a few minutes' drive in town: close enough to set up at the checkpoint
MAX_TOLD = 20  # the nearest ones; the units were told anyway
STALE_AFTER_S = RecommendConfig().stale_after_s
# Free, or on duty at a post (a post by a checkpoint is the best place to be); not busy elsewhere.
READY = np.array([STATUS_CODE["available"], STATUS_CODE["on_duty"]], dtype=np.int8)


class Place(BaseModel):
    id: int
    name: str
    lon: float
    lat: float


class AlertAhead(BaseModel):
    """The fields of `checkpoint.alert_raised` this module reads."""

    alert_id: int
    plate: str
    title: str
    next_checkpoints: list[Place] = []
    told_unit_paths: list[str] = []


@dataclass(frozen=True)
class Nearby:
    officer_id: int
    place: Place
    metres: float


def officers_near(
    snapshot: OfficerSnapshot,
    places: list[Place],
    now: dt.datetime,
    told: Sequence[str] = (),
) -> list[Nearby]:
    """Ready officers with a fresh fix within NEAR_M of a place (his nearest one each), outside
    the units already told, nearest first."""
    if not places or not len(snapshot):
        return []
    ready = np.isin(snapshot.status, READY) & (
        snapshot.at_epoch_s >= now.timestamp() - STALE_AFTER_S
    )
    if told:
        prefixes = tuple(told)
        ready &= np.fromiter(
            (not str(p).startswith(prefixes) for p in snapshot.unit_path), np.bool_, len(snapshot)
        )
    best: dict[int, Nearby] = {}
    for place in places:
        with np.errstate(invalid="ignore"):
            metres = haversine_many(
                snapshot.lon, snapshot.lat, np.array(place.lon), np.array(place.lat)
            )
            close = np.flatnonzero(ready & (metres <= NEAR_M))
        for i in close:
            officer_id, distance = int(snapshot.ids[i]), float(metres[i])
            if officer_id not in best or distance < best[officer_id].metres:
                best[officer_id] = Nearby(officer_id, place, distance)
    return sorted(best.values(), key=lambda n: n.metres)[:MAX_TOLD]


def tell(db: Session, alert: AlertAhead, nearby: list[Nearby]) -> int:
    """One notice per officer with an account; returns how many were told."""
    officers = {
        o.id: o
        for o in db.scalars(
            select(Officer)
            .where(Officer.id.in_([n.officer_id for n in nearby]), Officer.user_id.is_not(None))
            .options(joinedload(Officer.unit))
        )
    }
    told = 0
    for near in nearby:
        officer = officers.get(near.officer_id)
        if officer is None or officer.user_id is None:
            continue
        notify_in(
            db,
            title=f"前出拦截：{alert.plate}",
            body=f"{alert.title}。车辆可能驶向{near.place.name}，"
            f"你距该卡口约{distance_text(near.metres)}，请前出拦截并报告指挥中心。",
            unit_path=officer.unit.path,
            user_id=officer.user_id,
            level="danger",
            kind="checkpoint_alert",
        )
        told += 1
    return told


def handle(app: FastAPI, item: Event) -> int:
    """Tell the officers near an alert's next checkpoints, once per event; returns how many."""
    try:
        alert = AlertAhead.model_validate(item.payload())
    except ValidationError:
        log.warning("checkpoint alert event without its places", event_id=str(item.id))
        return 0
    database: Database = app.state.db
    nearby = officers_near(
        tracker_of(app).snapshot(), alert.next_checkpoints, utcnow(), alert.told_unit_paths
    )
    if not nearby:
        return 0  # nothing to write: most alerts, most of the time
    with database.write_gate(), database.transaction() as db:
        if not handled_once(db, CONSUMER, item.id):
            return 0
        return tell(db, alert, nearby)


@subscriber
async def tell_officers_ahead(app: FastAPI, bus: Bus) -> None:
    async def on_event(item: Event) -> None:
        await asyncio.to_thread(handle, app, item)

    await bus.subscribe(SUBJECT, on_event, durable=CONSUMER)
