"""Alerts (预警): a watch hit raises an alert with its interception work order, pushes it to the
checkpoint's unit and to the units of the next checkpoints, groups repeat hits, and goes through
sign-off, result and review; clone and restriction hits raise alerts the same way."""

from __future__ import annotations

import datetime as dt

from fastapi import FastAPI
from sqlalchemy import func, select

from jiaoguan.checkpoint import observers
from jiaoguan.checkpoint.watch_models import Alert, AlertKind, AlertSighting, AlertUnit
from jiaoguan.platform.auth.models import User
from jiaoguan.platform.db import utcnow
from jiaoguan.platform.events import OutboxEntry
from jiaoguan.platform.push.models import Notification
from jiaoguan.platform.workorders.models import WorkOrder, WorkOrderStatus
from jiaoguan.registry.models import Vehicle
from tests.checkpoint.watch_support import add_checkpoints, ingest, pass_of, unit
from tests.conftest import ClientFactory

WATCHES = "/api/v1/checkpoint/watches"
ALERTS = "/api/v1/checkpoint/alerts"


def _active_watch(
    as_user: ClientFactory, plate: str, kind: str = "stolen", starts: dt.datetime | None = None
) -> int:
    ends = (utcnow() + dt.timedelta(days=3)).isoformat()
    body = {"plate_no": plate, "kind": kind, "reason": "被盗车辆，见案件 2026-77", "ends_at": ends}
    if starts is not None:
        body["starts_at"] = starts.isoformat()
    watch = as_user("dispatcher").post(WATCHES, json=body).json()
    decided = as_user("leader").post(f"{WATCHES}/{watch['id']}/decision", json={"approve": True})
    assert decided.status_code == 200, decided.text
    return int(watch["id"])


def _count(app: FastAPI, stmt) -> int:  # type: ignore[no-untyped-def]
    with app.state.db.sessions() as db:
        return int(db.scalar(stmt) or 0)


def test_a_hit_raises_one_alert_with_order_push_and_event(
    app: FastAPI, as_user: ClientFactory
) -> None:
    checkpoints = add_checkpoints(app)
    watch_id = _active_watch(as_user, "冀F12B45")
    t0 = utcnow()
    notices_before = _count(app, select(func.count(Notification.id)))
    # A fuzzy read (8 for B) at the first checkpoint, among ordinary traffic.
    traffic = [pass_of(checkpoints[1], f"冀F{n:05d}", t0) for n in range(50)]
    assert ingest(app, pass_of(checkpoints[0], "冀F12845", t0), *traffic) == 51
    with app.state.db.sessions() as db:
        alert = db.scalar(select(Alert))
        assert alert is not None
        assert (alert.plate_no, alert.watch_id, alert.match_kind, alert.matched_plate) == (
            "冀F12845",
            watch_id,
            "confusable",
            "冀F12B45",
        )
        assert alert.hit_count == 1 and alert.unit_id == unit(app, "13060201").id
        order = db.get(WorkOrder, alert.work_order_id)
        assert order is not None and order.kind == "interception"
        assert (
            order.assignee_unit_id == unit(app, "13060201").id and order.priority.value == "urgent"
        )
        assert (order.source_module, order.source_id) == ("checkpoint_alert", str(alert.id))
        # Pushed to the checkpoint's squad (the centres above see it), and person by person to
        # the members of the squads of the two checkpoints ahead.
        notices = db.scalars(select(Notification).where(Notification.kind == "checkpoint_alert"))
        told = {(n.unit_path, n.user_id) for n in notices}
        ahead = [unit(app, c).path for c in ("13060202", "13060601")]
        members = {
            (u.unit.path, u.id)
            for u in db.scalars(select(User))
            if u.unit.path.startswith(tuple(ahead)) and u.kind.value != "device"
        }
        lc_officer = db.scalar(select(User.id).where(User.username == "lc_officer"))
        assert (unit(app, "13060601").path, lc_officer) in members
        assert told == {(unit(app, "13060201").path, None), *members}
        units = set(db.scalars(select(AlertUnit.unit_id).where(AlertUnit.alert_id == alert.id)))
        assert units == {unit(app, c).id for c in ("13060201", "13060202", "13060601")}
        assert [c["name"] for c in alert.detail["next_checkpoints"]] == ["东风路卡口", "裕华路卡口"]
        events = list(
            db.scalars(select(OutboxEntry).where(OutboxEntry.subject == "checkpoint.alert_raised"))
        )
        assert len(events) == 1 and events[0].payload["alert_id"] == alert.id
        assert events[0].payload["plate"] == "冀F12845"
    assert _count(app, select(func.count(Notification.id))) > notices_before

    # The dispatcher at the detachment sees it; an officer of a squad ahead sees it too.
    listed = as_user("dispatcher").get(ALERTS).json()
    assert [a["plate_no"] for a in listed["items"]] == ["冀F12845"]
    assert listed["items"][0]["match_label"] == "模糊比中（易混字符）"
    assert as_user("lc_officer").get(f"{ALERTS}/{alert.id}").status_code == 200
    # On the one map: the open alert at its last sighting.
    layer = as_user("dispatcher").get(f"{ALERTS}/geojson").json()
    assert [f["properties"]["号牌"] for f in layer["features"]] == ["冀F12845"]
    assert layer["features"][0]["geometry"]["coordinates"] == [115.46, 38.87]


def test_repeat_hits_are_grouped_not_spammed(app: FastAPI, as_user: ClientFactory) -> None:
    checkpoints = add_checkpoints(app)
    _active_watch(as_user, "冀F33333")
    t0 = utcnow()
    first = pass_of(checkpoints[0], "冀F33333", t0)
    ingest(app, first)
    notices = _count(app, select(func.count(Notification.id)))
    ingest(app, pass_of(checkpoints[1], "冀F33333", t0 + dt.timedelta(minutes=4)))
    ingest(app, pass_of(checkpoints[2], "冀F33333", t0 + dt.timedelta(minutes=9)))
    ingest(app, first)  # a replayed batch stores and raises nothing
    with app.state.db.sessions() as db:
        alerts = list(db.scalars(select(Alert)))
        assert len(alerts) == 1 and alerts[0].hit_count == 3
        assert alerts[0].last_checkpoint_id == checkpoints[2].id
        assert _count(app, select(func.count(AlertSighting.id))) == 3
        assert (
            _count(app, select(func.count(WorkOrder.id)).where(WorkOrder.kind == "interception"))
            == 1
        )
    assert _count(app, select(func.count(Notification.id))) == notices
    # Long after the last sighting, the next hit is a new alert.
    ingest(app, pass_of(checkpoints[0], "冀F33333", t0 + dt.timedelta(minutes=45)))
    assert _count(app, select(func.count(Alert.id))) == 2


def test_sign_result_review_closes_the_loop(
    app: FastAPI, as_user: ClientFactory, browser_as: ClientFactory
) -> None:
    checkpoints = add_checkpoints(app)
    _active_watch(as_user, "冀F44444", kind="hit_and_run")
    t0 = utcnow()
    ingest(app, pass_of(checkpoints[0], "冀F44444", t0))
    officer, dispatcher = as_user("jx_officer"), as_user("dispatcher")
    alert = officer.get(ALERTS).json()["items"][0]
    assert alert["status_label"] == "待签收"
    detail = officer.get(f"{ALERTS}/{alert['id']}").json()
    assert detail["actions"] == ["sign"] and len(detail["sightings"]) == 1
    # Another brigade's officer cannot sign for this squad's order.
    assert as_user("lc_officer").post(f"{ALERTS}/{alert['id']}/sign").status_code == 403
    signed = officer.post(f"{ALERTS}/{alert['id']}/sign")
    assert signed.status_code == 200 and signed.json()["status_label"] == "拦截处置中"
    # A false hit needs its reason.
    bad = officer.post(f"{ALERTS}/{alert['id']}/result", json={"result": "false_hit"})
    assert bad.status_code == 422
    done = officer.post(
        f"{ALERTS}/{alert['id']}/result", json={"result": "intercepted", "note": "于东风路口拦停"}
    )
    assert done.status_code == 200 and done.json()["result_label"] == "已拦截"
    assert done.json()["status_label"] == "结果待审核"
    reviewed = dispatcher.post(
        f"{ALERTS}/{alert['id']}/review", json={"approve": True, "comment": "处置得当"}
    )
    assert reviewed.status_code == 200, reviewed.text
    assert reviewed.json()["status_label"] == "已办结"
    with app.state.db.sessions() as db:
        order = db.get(WorkOrder, reviewed.json()["work_order_id"])
        assert order is not None and order.status == WorkOrderStatus.closed
    assert dispatcher.get(ALERTS, params={"state": "done"}).json()["total"] == 1
    assert dispatcher.get(ALERTS).json()["total"] == 0
    page = browser_as("dispatcher").get(f"/checkpoint/alerts/{alert['id']}")
    assert page.status_code == 200 and "已拦截" in page.text and "alert-map" in page.text


def test_rejected_result_goes_back_for_a_new_one(app: FastAPI, as_user: ClientFactory) -> None:
    checkpoints = add_checkpoints(app)
    _active_watch(as_user, "冀F45454")
    ingest(app, pass_of(checkpoints[0], "冀F45454", utcnow()))
    officer, dispatcher = as_user("jx_officer"), as_user("dispatcher")
    alert_id = officer.get(ALERTS).json()["items"][0]["id"]
    officer.post(f"{ALERTS}/{alert_id}/sign")
    officer.post(f"{ALERTS}/{alert_id}/result", json={"result": "not_found"})
    assert (
        dispatcher.post(f"{ALERTS}/{alert_id}/review", json={"approve": False}).status_code == 422
    )
    back = dispatcher.post(
        f"{ALERTS}/{alert_id}/review", json={"approve": False, "comment": "请核实卡口录像"}
    )
    assert back.status_code == 200 and back.json()["status_label"] == "退回重办"
    assert back.json()["result"] is None
    assert officer.get(f"{ALERTS}/{alert_id}").json()["actions"] == ["report"]


def test_pages_list_and_act(
    app: FastAPI, as_user: ClientFactory, browser_as: ClientFactory
) -> None:
    checkpoints = add_checkpoints(app)
    _active_watch(as_user, "冀F56565")
    ingest(app, pass_of(checkpoints[0], "冀F56565", utcnow()))
    officer = browser_as("jx_officer")
    listing = officer.get("/checkpoint/alerts")
    assert listing.status_code == 200 and "冀F56565" in listing.text
    alert_id = as_user("jx_officer").get(ALERTS).json()["items"][0]["id"]
    signed = officer.post(f"/checkpoint/alerts/{alert_id}/sign")
    assert signed.status_code == 303
    bad = officer.post(
        f"/checkpoint/alerts/{alert_id}/result", data={"result": "false_hit", "note": ""}
    )
    assert bad.status_code == 422 and "误报须说明原因" in bad.text
    ok = officer.post(
        f"/checkpoint/alerts/{alert_id}/result",
        data={"result": "false_hit", "note": "号牌识别错误"},
    )
    assert ok.status_code == 303
    assert "误报" in officer.get(f"/checkpoint/alerts/{alert_id}").text


def test_restriction_rule_raises_an_alert_in_its_hours(
    app: FastAPI, as_user: ClientFactory
) -> None:
    checkpoints = add_checkpoints(app)
    dispatcher_unit = unit(app, "130600")
    # Ten minutes ago, in a window of an hour either side (over midnight if need be); an hour
    # and a half ago is outside it and still recent enough to be raised.
    beijing = dt.timezone(dt.timedelta(hours=8))
    day = (utcnow() - dt.timedelta(minutes=10)).astimezone(beijing).replace(microsecond=0)
    night = day - dt.timedelta(minutes=90)
    rule = {
        "name": "主城区货车禁行",
        "target": "trucks",
        "vehicle_classes": ["H1", "H2"],
        "checkpoint_codes": [checkpoints[1].code],
        "start_time": f"{day - dt.timedelta(hours=1):%H:%M}",
        "end_time": f"{day + dt.timedelta(hours=1):%H:%M}",
        "weekdays": "1234567",
        "exempt_plates": ["冀F00H01"],
        "unit_id": dispatcher_unit.id,
    }
    created = as_user("admin").post("/api/v1/checkpoint/restriction-rules", json=rule)
    assert created.status_code == 201, created.text
    bad = as_user("admin").post(
        "/api/v1/checkpoint/restriction-rules",
        json={**rule, "start_time": "25:00", "name": "坏规则"},
    )
    assert bad.status_code == 422
    ingest(
        app,
        pass_of(checkpoints[1], "冀F00H02", day, vehicle_class="H11"),  # in force: alert
        pass_of(checkpoints[1], "冀F00H01", day, vehicle_class="H11"),  # exempt
        pass_of(checkpoints[1], "冀F00H03", night, vehicle_class="H11"),  # outside the hours
        pass_of(checkpoints[1], "冀F00K04", day, vehicle_class="K33"),  # a car
        pass_of(checkpoints[0], "冀F00H05", day, vehicle_class="H21"),  # outside the zone
    )
    with app.state.db.sessions() as db:
        alerts = list(db.scalars(select(Alert)))
    assert [(a.kind.value, a.plate_no) for a in alerts] == [("restriction", "冀F00H02")]
    assert "主城区货车禁行" in alerts[0].title


def test_a_clone_raises_an_alert_with_its_evidence(app: FastAPI) -> None:
    checkpoints = add_checkpoints(app)
    t0 = utcnow() - dt.timedelta(hours=3)
    # Same plate at the two far checkpoints 10 s apart, by two different cars (brands differ).
    ingest(
        app,
        pass_of(checkpoints[0], "冀F98765", t0, brand="大众", vehicle_class="K33"),
        pass_of(
            checkpoints[2],
            "冀F98765",
            t0 + dt.timedelta(seconds=10),
            brand="丰田",
            vehicle_class="K33",
        ),
    )
    # Later traffic moves the stream clock past the hold time, which decides the contradiction.
    ingest(app, pass_of(checkpoints[1], "冀F11111", t0 + dt.timedelta(hours=1)))
    with app.state.db.sessions() as db:
        alert = db.scalar(select(Alert))
        assert alert is not None and alert.kind.value == "cloned_plate"
        assert alert.plate_no == "冀F98765" and len(alert.sightings) == 2
        evidence = alert.detail["evidence"][0]
        assert evidence["mismatch"] == ["brand"] and evidence["gap_s"] == 10.0


def test_a_second_car_on_a_registered_plate_raises_a_clone_alert(app: FastAPI) -> None:
    checkpoints = add_checkpoints(app)
    with app.state.db.sessions() as db:
        vehicle = db.scalars(
            select(Vehicle).where(Vehicle.brand.is_not(None), Vehicle.vehicle_class.like("K%"))
        ).first()
        assert vehicle is not None, "the demo registry has cars with a brand"
        plate, brand = vehicle.plate_no, vehicle.brand
    other = "解放" if brand != "解放" else "东风"
    t0 = utcnow() - dt.timedelta(hours=5)
    for n in range(3):
        at = t0 + dt.timedelta(hours=n)
        ingest(app, pass_of(checkpoints[n], plate, at, brand=other, vehicle_class="K33"))
    with app.state.db.sessions() as db:
        alert = db.scalar(select(Alert).where(Alert.kind == AlertKind.cloned_plate))
        assert alert is not None and alert.plate_no == plate
        assert f"登记为 {brand}" in alert.title
        assert [s.note for s in alert.sightings] == ["车辆与登记不符"] * 3


def test_hits_on_old_passes_are_counted_not_raised(app: FastAPI, as_user: ClientFactory) -> None:
    """A history load or a device's backlog: no interception order for a car seen hours ago."""
    checkpoints = add_checkpoints(app)
    _active_watch(as_user, "冀F24680", starts=utcnow() - dt.timedelta(days=1))
    before = observers.STALE_HITS["watch"]
    old = utcnow() - observers.LIVE_FOR - dt.timedelta(minutes=5)
    assert ingest(app, pass_of(checkpoints[0], "冀F24680", old)) == 1
    assert _count(app, select(func.count(Alert.id))) == 0
    assert observers.STALE_HITS["watch"] == before + 1
    # The same vehicle seen now is raised.
    ingest(app, pass_of(checkpoints[1], "冀F24680", utcnow()))
    assert _count(app, select(func.count(Alert.id))) == 1
