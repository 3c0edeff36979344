"""Checkpoint alerts reach the officers near the vehicle's next checkpoints (by their live fixes),
once per event, and leave out the busy, the stale, the far and those whose unit was told."""

from __future__ import annotations

import datetime as dt

from fastapi import FastAPI
from sqlalchemy import select

from jiaoguan.command import interception
from jiaoguan.command.interception import Place, officers_near
from jiaoguan.command.models import Officer, OfficerStatus
from jiaoguan.command.positions import PositionFix, ingest_positions
from jiaoguan.command.tracker import OfficerSnapshot, tracker_of
from jiaoguan.platform.auth.models import User, UserKind
from jiaoguan.platform.db import utcnow
from jiaoguan.platform.events import OutboxEntry, decode_event
from jiaoguan.platform.push.models import Notification
from tests.checkpoint.watch_support import add_checkpoints, add_watch, ingest, pass_of, unit

NOW = dt.datetime(2026, 11, 24, 8, 0, tzinfo=dt.UTC)
PLACE = Place(id=1, name="东风路卡口", lon=115.4750, lat=38.8700)
FAR = Place(id=2, name="裕华路卡口", lon=115.4900, lat=38.8790)


def _snapshot(*officers: tuple[int, float, float, float, str, str]) -> OfficerSnapshot:
    ids, lon, lat, age, status, path = zip(*officers, strict=True)
    at = [NOW.timestamp() - a for a in age]
    return OfficerSnapshot.build(ids, lon, lat, at, status, ["driving"] * len(ids), path)


def test_officers_near_the_next_checkpoints() -> None:
    snapshot = _snapshot(
        (1, 115.4760, 38.8700, 10, "available", "/1/5/"),  # ~90 m from 东风路
        (2, 115.4900, 38.8780, 10, "on_duty", "/1/6/"),  # on a post ~110 m from 裕华路
        (3, 115.4760, 38.8700, 10, "en_route", "/1/5/"),  # busy with an incident
        (4, 115.4760, 38.8700, 600, "available", "/1/5/"),  # fix ten minutes old
        (5, 115.5400, 38.8700, 10, "available", "/1/5/"),  # 5.6 km away
        (6, 115.4755, 38.8700, 10, "available", "/1/7/9/"),  # his squad was told already
    )
    found = officers_near(snapshot, [PLACE, FAR], NOW, told=["/1/7/"])
    assert [(n.officer_id, n.place.name) for n in found] == [(1, "东风路卡口"), (2, "裕华路卡口")]
    assert 50 < found[0].metres < 150
    assert officers_near(snapshot, [], NOW) == []


def _officer_near(app: FastAPI, lon: float, lat: float) -> int:
    """An officer of 莲池大队 (no squad told by the alert below), free, with a fresh fix."""
    brigade = unit(app, "130606")
    with app.state.db.transaction() as db:
        user = User(username="jy_test_near", full_name="就近民警", kind=UserKind.police,
                    unit_id=brigade.id)  # fmt: skip
        db.add(user)
        db.flush()
        officer = Officer(code="T9001", name="就近民警", unit_id=brigade.id, user_id=user.id,
                          status=OfficerStatus.available)  # fmt: skip
        db.add(officer)
        db.flush()
        fix = PositionFix(officer.id, utcnow(), lon=lon, lat=lat)
        ingest_positions(db, tracker_of(app), [fix], now=utcnow(), bbox=None)
        return user.id


def test_an_alert_event_tells_the_officer_near_the_next_checkpoint_once(app: FastAPI) -> None:
    checkpoints = add_checkpoints(app)
    user_id = _officer_near(app, 115.4755, 38.8702)  # beside 东风路卡口, next after 朝阳大街
    add_watch(app, "冀F86420", checkpoints[0].id, utcnow() - dt.timedelta(days=1))
    assert ingest(app, pass_of(checkpoints[0], "冀F86420", utcnow())) == 1
    with app.state.db.sessions() as db:
        entry = db.scalar(select(OutboxEntry).where(OutboxEntry.subject == interception.SUBJECT))
        assert entry is not None
    event = decode_event(entry.subject, entry.payload)
    assert interception.handle(app, event) == 1
    assert interception.handle(app, event) == 0  # redelivered: nobody is told twice
    with app.state.db.sessions() as db:
        notices = list(db.scalars(select(Notification).where(Notification.user_id == user_id)))
    assert [n.title for n in notices] == ["前出拦截：冀F86420"]
    assert "东风路卡口" in notices[0].body and "米" in notices[0].body
