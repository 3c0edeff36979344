"""Command service: intake and two-level routing, duplicates and merge, dispatch refusals, the
officer's lifecycle with derived incident state, arrival detection, reminders, withdrawal."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

import pytest
from fastapi import FastAPI
from sqlalchemy import select
from sqlalchemy.orm import Session

from jiaoguan.command import service, views
from jiaoguan.command.models import (
    CommandLevel,
    DispatchState,
    IncidentKind,
    IncidentLog,
    IncidentSource,
    IncidentState,
    Officer,
    OfficerPosition,
    OfficerStatus,
)
from jiaoguan.platform.audit.models import AuditEntry
from jiaoguan.platform.auth.models import OrgUnit, User
from jiaoguan.platform.auth.service import Principal, principal_of
from jiaoguan.platform.errors import Conflict, Invalid, NotFound
from jiaoguan.platform.events.models import OutboxEntry
from jiaoguan.platform.push.models import Notification

JX = (115.451, 38.877)  # west of the centre: 竞秀 brigade area in the test city
LC = (115.469, 38.863)  # east: 莲池
# A little ahead of the clock: the demo officers' seeded fixes are stale by then, ours fresh.
NOW = dt.datetime.now(dt.UTC).replace(microsecond=0) + dt.timedelta(minutes=5)


@pytest.fixture
def db(city_app: FastAPI) -> Iterator[Session]:
    with city_app.state.db.transaction() as session:
        yield session


def who(db: Session, username: str) -> Principal:
    user = db.scalar(select(User).where(User.username == username))
    assert user is not None
    return principal_of(user)


def unit(db: Session, code: str) -> OrgUnit:
    found = db.scalar(select(OrgUnit).where(OrgUnit.code == code))
    assert found is not None
    return found


def officer(db: Session, code: str) -> Officer:
    found = db.scalar(select(Officer).where(Officer.code == code))
    assert found is not None
    return found


def locate(db: Session, o: Officer, lon: float, lat: float, at: dt.datetime = NOW) -> None:
    db.add(OfficerPosition(officer_id=o.id, at=at, lon=lon, lat=lat, source="gps", received_at=at))
    db.flush()


def report(
    db: Session,
    kind: IncidentKind = IncidentKind.accident,
    where: tuple[float, float] = JX,
    level: int = 1,
    at: dt.datetime = NOW,
    user: str = "dispatcher",
) -> service.Incident:
    data = service.IntakeData(
        source=IncidentSource.call_122,
        kind=kind,
        place="朝阳大街与东风路交叉口",
        level=level,
        lon=where[0],
        lat=where[1],
    )
    incident, _ = service.intake(db, who(db, user), data, now=at)
    return incident


def ready(db: Session, code: str, where: tuple[float, float] = JX) -> Officer:
    o = officer(db, code)
    o.status = OfficerStatus.available
    locate(db, o, where[0] + 0.001, where[1])
    return o


# --- intake and routing ------------------------------------------------------------------------


def test_rules_route_by_kind_level_and_area(db: Session) -> None:
    plain = report(db)
    assert plain.area_unit_id == unit(db, "130602").id
    assert plain.command_level == CommandLevel.brigade
    assert plain.handling_unit_id == unit(db, "130602").id
    day = NOW.astimezone(service.BEIJING).strftime("%Y%m%d")
    assert plain.state == IncidentState.received and plain.number.startswith(f"JQ{day}-")

    major = report(db, level=3, where=LC)
    assert major.command_level == CommandLevel.detachment
    assert major.handling_unit_id == unit(db, "130600").id
    assert major.area_unit_id == unit(db, "130606").id
    assert (major.accept_limit_s, major.arrive_limit_s) == (30, 600)
    # 一级 incidents also reach the area's brigade.
    paths = set(
        db.scalars(select(Notification.unit_path).where(Notification.link.contains(str(major.id))))
    )
    assert {unit(db, "130600").path, unit(db, "130606").path} <= paths

    walker = report(db, kind=IncidentKind.pedestrian_elevated)
    assert walker.command_level == CommandLevel.detachment


def test_a_rule_limited_to_an_area_applies_only_there(db: Session) -> None:
    db.add(
        service.CommandRule(
            name="莲池事故升级",
            priority=1,
            kind=IncidentKind.accident,
            area_unit_id=unit(db, "130606").id,
            command_level=CommandLevel.detachment,
            accept_limit_s=45,
            arrive_limit_s=700,
        )
    )
    db.flush()
    assert report(db, where=LC).command_level == CommandLevel.detachment
    assert report(db, where=JX).command_level == CommandLevel.brigade


def test_intake_writes_timeline_audit_and_event(db: Session) -> None:
    incident = report(db)
    logs = list(db.scalars(select(IncidentLog).where(IncidentLog.incident_id == incident.id)))
    assert [log.action for log in logs] == ["intake"] and "竞秀交警大队" in logs[0].text
    assert db.scalar(
        select(AuditEntry.id).where(
            AuditEntry.resource == "incident", AuditEntry.resource_id == str(incident.id)
        )
    )
    subjects = set(db.scalars(select(OutboxEntry.subject)))
    assert "command.incident_reported" in subjects


def test_intake_refuses_bad_input(db: Session) -> None:
    principal = who(db, "dispatcher")
    with pytest.raises(Invalid) as lonely:
        service.intake(
            db,
            principal,
            service.IntakeData(IncidentSource.citizen, IncidentKind.other, "某处", lon=115.46),
            now=NOW,
        )
    assert lonely.value.field == ["body", "lat"]
    with pytest.raises(Invalid) as nowhere:
        service.intake(
            db,
            principal,
            service.IntakeData(IncidentSource.citizen, IncidentKind.other, "火星乌托邦平原七号"),
            now=NOW,
        )
    assert nowhere.value.field == ["body", "place"] and "地图上点选" in nowhere.value.message
    future = NOW + dt.timedelta(hours=1)
    with pytest.raises(Invalid, match="报警时间"):
        service.intake(
            db,
            principal,
            service.IntakeData(
                IncidentSource.citizen,
                IncidentKind.other,
                "某处",
                lon=JX[0],
                lat=JX[1],
                reported_at=future,
            ),
            now=NOW,
        )


# --- duplicates and merge ----------------------------------------------------------------------


def test_duplicates_same_kind_place_and_window(db: Session) -> None:
    first = report(db)
    near = (JX[0] + 0.0005, JX[1])  # ~45 m
    data = service.IntakeData(
        IncidentSource.citizen, IncidentKind.accident, "同一路口", lon=near[0], lat=near[1]
    )
    second, duplicates = service.intake(
        db, who(db, "dispatcher"), data, now=NOW + dt.timedelta(minutes=5)
    )
    assert [d.id for d in duplicates] == [first.id]
    other_kind = report(db, kind=IncidentKind.congestion, at=NOW + dt.timedelta(minutes=5))
    far = report(db, where=(JX[0] + 0.01, JX[1]), at=NOW + dt.timedelta(minutes=5))
    late = report(db, at=NOW + dt.timedelta(minutes=45))
    found = {
        d.id
        for d in service.find_duplicates(
            db, kind=IncidentKind.accident, lon=JX[0], lat=JX[1], at=NOW, exclude_id=first.id
        )
    }
    assert second.id in found and not {other_kind.id, far.id, late.id} & found

    merged = service.merge(
        db, who(db, "dispatcher"), second.id, into_id=first.id, reason="同一起事故", now=NOW
    )
    assert merged.state == IncidentState.merged and merged.merged_into_id == first.id
    with pytest.raises(Conflict):
        service.merge(
            db, who(db, "dispatcher"), second.id, into_id=first.id, reason="再次", now=NOW
        )


def test_merge_refused_while_officers_are_out(db: Session) -> None:
    first, second = report(db), report(db, at=NOW + dt.timedelta(minutes=1))
    ready(db, "130602003")
    service.dispatch(
        db, who(db, "dispatcher"), second.id, [service.Pick(officer(db, "130602003").id)], now=NOW
    )
    with pytest.raises(Conflict, match="撤回派警"):
        service.merge(
            db, who(db, "dispatcher"), second.id, into_id=first.id, reason="重复", now=NOW
        )


# --- dispatch ----------------------------------------------------------------------------------


def test_dispatch_refuses_busy_off_duty_stale_and_posted_officers(db: Session) -> None:
    principal = who(db, "dispatcher")
    incident, other = report(db), report(db, where=LC)
    busy = ready(db, "130602003")
    service.dispatch(db, principal, other.id, [service.Pick(busy.id)], now=NOW)

    off = ready(db, "130602004")
    off.status = OfficerStatus.off_duty
    stale = officer(db, "130602005")
    stale.status = OfficerStatus.available
    locate(db, stale, *JX, at=NOW - dt.timedelta(minutes=10))
    posted = ready(db, "130602006")
    posted.status = OfficerStatus.on_duty
    db.flush()

    for o, words in (
        (busy, "不能重复派警"),
        (off, "不在岗"),
        (stale, "定位已超时"),
        (posted, "正在执勤"),
    ):
        with pytest.raises(Conflict) as refused:
            service.dispatch(db, principal, incident.id, [service.Pick(o.id)], now=NOW)
        assert words in refused.value.message and o.name in refused.value.message
    # All or none: one bad officer refuses the whole request.
    fine = ready(db, "130602008")
    with pytest.raises(Conflict):
        service.dispatch(
            db, principal, incident.id, [service.Pick(fine.id), service.Pick(off.id)], now=NOW
        )
    assert officer(db, "130602008").status == OfficerStatus.available
    # A reason lets the dispatcher send the stale or posted officer (confirmed by phone).
    rows = service.dispatch(
        db,
        principal,
        incident.id,
        [service.Pick(stale.id), service.Pick(posted.id)],
        override_reason="已电话确认在附近",
        now=NOW,
    )
    assert len(rows) == 2 and "调派理由" in rows[0].note
    with pytest.raises(Conflict, match="已派往本警情"):
        service.dispatch(db, principal, incident.id, [service.Pick(stale.id)], now=NOW)
    with pytest.raises(NotFound):
        service.dispatch(db, principal, incident.id, [service.Pick(987654)], now=NOW)


def test_a_brigade_dispatcher_cannot_send_another_brigades_officer(db: Session) -> None:
    incident = report(db, user="jx_dispatcher")
    lc = ready(db, "130606003", LC)
    with pytest.raises(NotFound, match="警力不存在"):
        service.dispatch(db, who(db, "jx_dispatcher"), incident.id, [service.Pick(lc.id)], now=NOW)


# --- lifecycle ---------------------------------------------------------------------------------


def test_lifecycle_steps_timestamps_states_and_status(db: Session) -> None:
    principal = who(db, "dispatcher")
    incident = report(db)
    me = officer(db, "130602001")  # jx_officer
    me.status = OfficerStatus.available
    locate(db, me, JX[0] + 0.002, JX[1])
    (row,) = service.dispatch(db, principal, incident.id, [service.Pick(me.id, "推荐")], now=NOW)
    assert incident.state == IncidentState.dispatched and me.status == OfficerStatus.dispatched
    assert incident.dispatched_at == NOW

    officer_principal = who(db, "jx_officer")
    expected = [
        ("accept", DispatchState.accepted, IncidentState.accepted, OfficerStatus.dispatched),
        ("depart", DispatchState.en_route, IncidentState.en_route, OfficerStatus.en_route),
        ("arrive", DispatchState.on_scene, IncidentState.on_scene, OfficerStatus.on_scene),
        ("handle", DispatchState.handled, IncidentState.handled, OfficerStatus.on_scene),
        ("close", DispatchState.closed, IncidentState.closed, OfficerStatus.available),
    ]
    for minutes, (action, dispatch_state, incident_state, status) in enumerate(expected, 1):
        at = NOW + dt.timedelta(minutes=minutes)
        assert action in service.allowed_steps(officer_principal, row)
        result = "已快处快赔" if action == "handle" else None
        service.step(db, officer_principal, row.id, action, result=result, now=at)
        db.refresh(row)
        db.refresh(me)
        assert row.state == dispatch_state and incident.state == incident_state, action
        assert me.status == status, action
        assert getattr(row, service.STEP_COLUMN[action]) == at
    assert incident.arrived_at == NOW + dt.timedelta(minutes=3)
    assert incident.closed_at == NOW + dt.timedelta(minutes=5) and row.result == "已快处快赔"
    actions = [
        log.action
        for log in db.scalars(
            select(IncidentLog)
            .where(IncidentLog.incident_id == incident.id)
            .order_by(IncidentLog.id)
        )
    ]
    assert actions == ["intake", "dispatch", "accept", "depart", "arrive", "handle", "close"]
    with pytest.raises(Conflict, match="不能签收"):
        service.step(db, officer_principal, row.id, "accept", now=NOW)


def test_steps_belong_to_the_officer_and_need_a_result(db: Session) -> None:
    incident = report(db)
    me = ready(db, "130602001")
    (row,) = service.dispatch(
        db, who(db, "dispatcher"), incident.id, [service.Pick(me.id)], now=NOW
    )
    with pytest.raises(NotFound):
        service.step(db, who(db, "lc_officer"), row.id, "accept", now=NOW)
    officer_principal = who(db, "jx_officer")
    service.step(db, officer_principal, row.id, "depart", now=NOW)  # one tap: accept + depart
    db.refresh(row)
    assert row.accepted_at == NOW and row.state == DispatchState.en_route
    service.step(db, officer_principal, row.id, "arrive", now=NOW)
    with pytest.raises(Invalid, match="处置结果"):
        service.step(db, officer_principal, row.id, "handle", result=" ", now=NOW)


def test_derived_state_with_several_officers(db: Session) -> None:
    derive = service.derive_state
    assert derive([]) == IncidentState.received
    assert derive([DispatchState.cancelled]) == IncidentState.received
    assert derive([DispatchState.dispatched, DispatchState.on_scene]) == IncidentState.on_scene
    assert derive([DispatchState.handled, DispatchState.en_route]) == IncidentState.en_route
    assert derive([DispatchState.handled, DispatchState.closed]) == IncidentState.handled
    assert derive([DispatchState.closed, DispatchState.cancelled]) == IncidentState.closed


def test_withdraw_frees_the_officer_and_reroute_escalates(db: Session) -> None:
    principal = who(db, "dispatcher")
    incident = report(db)
    o = ready(db, "130602003")
    (row,) = service.dispatch(db, principal, incident.id, [service.Pick(o.id)], now=NOW)
    service.withdraw(db, principal, row.id, reason="改派更近警力", now=NOW)
    assert o.status == OfficerStatus.available and incident.state == IncidentState.received
    assert row.state == DispatchState.cancelled and row.cancel_reason == "改派更近警力"

    up = service.reroute(
        db,
        principal,
        incident.id,
        command_level=CommandLevel.detachment,
        unit_id=None,
        reason="涉及多车",
    )
    assert up.command_level == CommandLevel.detachment and up.handling_unit.code == "130600"
    down = service.reroute(
        db,
        principal,
        incident.id,
        command_level=CommandLevel.brigade,
        unit_id=unit(db, "130606").id,
        reason="交莲池大队",
    )
    assert down.handling_unit.code == "130606"
    with pytest.raises(Invalid):
        service.reroute(
            db,
            principal,
            incident.id,
            command_level=CommandLevel.brigade,
            unit_id=unit(db, "13060201").id,
            reason="中队不是指挥中心",
        )


def test_cancel_withdraws_everyone(db: Session) -> None:
    principal = who(db, "dispatcher")
    incident = report(db)
    a, b = ready(db, "130602003"), ready(db, "130602008")
    service.dispatch(db, principal, incident.id, [service.Pick(a.id), service.Pick(b.id)], now=NOW)
    service.cancel_incident(db, principal, incident.id, reason="无效警情", now=NOW)
    assert incident.state == IncidentState.cancelled
    assert {a.status, b.status} == {OfficerStatus.available}
    with pytest.raises(Conflict, match="已撤销"):
        service.dispatch(db, principal, incident.id, [service.Pick(a.id)], now=NOW)


# --- positions, arrival, reminders -------------------------------------------------------------


def test_arrival_is_detected_from_positions(city_app: FastAPI, db: Session) -> None:
    incident = report(db, at=dt.datetime.now(dt.UTC))
    me = officer(db, "130602001")
    me.status = OfficerStatus.available
    locate(db, me, JX[0] + 0.01, JX[1], at=dt.datetime.now(dt.UTC))
    (row,) = service.dispatch(db, who(db, "dispatcher"), incident.id, [service.Pick(me.id)])
    service.step(db, who(db, "jx_officer"), row.id, "depart")
    now = dt.datetime.now(dt.UTC)
    far = [{"officer_id": me.id, "at": now.isoformat(), "lon": JX[0] + 0.005, "lat": JX[1]}]
    assert views.ingest(city_app, db, far, now=now).arrivals == 0
    later = now + dt.timedelta(seconds=20)
    near = [
        {"officer_id": me.id, "at": later.isoformat(), "lon": JX[0] + 0.0004, "lat": JX[1]},
        {"officer_id": me.id, "at": "not a time", "lon": 1, "lat": 2},
    ]
    out = views.ingest(city_app, db, near, now=later)
    assert out.accepted == 1 and out.arrivals == 1 and out.rejected == {"invalid": 1}
    assert out.errors[0]["index"] == 1
    db.refresh(row)
    assert row.state == DispatchState.on_scene and row.arrived_auto
    assert me.status == OfficerStatus.on_scene and incident.state == IncidentState.on_scene


def test_late_acceptance_and_arrival_are_reminded_once(db: Session) -> None:
    incident = report(db)
    me = ready(db, "130602001")
    (row,) = service.dispatch(
        db, who(db, "dispatcher"), incident.id, [service.Pick(me.id)], now=NOW
    )
    assert service.overdue(db, NOW + dt.timedelta(seconds=30)) == []
    due = service.overdue(db, NOW + dt.timedelta(seconds=90))
    assert [(d.dispatch_id, d.step) for d in due] == [(row.id, "accept")]
    assert service.remind(db, due[0], now=NOW + dt.timedelta(seconds=90))
    assert not service.remind(db, due[0], now=NOW + dt.timedelta(seconds=95))
    assert service.overdue(db, NOW + dt.timedelta(seconds=120)) == []
    service.step(db, who(db, "jx_officer"), row.id, "depart", now=NOW + dt.timedelta(seconds=120))
    late = service.overdue(db, NOW + dt.timedelta(seconds=incident.arrive_limit_s + 1))
    assert [(d.dispatch_id, d.step) for d in late] == [(row.id, "arrive")]
    assert service.remind(db, late[0], now=NOW + dt.timedelta(hours=1))
    notes = list(db.scalars(select(Notification.title).where(Notification.user_id == me.user_id)))
    assert any("请尽快签收" in n for n in notes) and any("请尽快到场" in n for n in notes)


def test_manual_status_cannot_touch_dispatch_statuses(db: Session) -> None:
    principal = who(db, "dispatcher")
    o = ready(db, "130602003")
    service.set_officer_status(db, principal, o, OfficerStatus.off_duty, now=NOW)
    assert o.status == OfficerStatus.off_duty
    with pytest.raises(Invalid):
        service.set_officer_status(db, principal, o, OfficerStatus.en_route, now=NOW)
    o.status = OfficerStatus.available
    service.dispatch(db, principal, report(db).id, [service.Pick(o.id)], now=NOW)
    with pytest.raises(Conflict, match="正在出警"):
        service.set_officer_status(db, principal, o, OfficerStatus.off_duty, now=NOW)


def test_the_reminder_pass_commits_each_reminder(city_app: FastAPI) -> None:
    from jiaoguan.command.jobs import remind_due

    database = city_app.state.db
    with database.transaction() as db:
        incident = report(db)
        me = ready(db, "130602001")
        service.dispatch(db, who(db, "dispatcher"), incident.id, [service.Pick(me.id)], now=NOW)
    assert remind_due(database, NOW + dt.timedelta(minutes=2)) == 1
    assert remind_due(database, NOW + dt.timedelta(minutes=3)) == 0
