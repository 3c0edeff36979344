"""Work orders: the closed loop through the API for the demo accounts, scope, refusals, escalation,
events, history, uploads and pages — on SQLite and PostgreSQL."""

from __future__ import annotations

import datetime as dt
import hashlib
import re
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import select

from jiaoguan.app import create_app
from jiaoguan.platform.audit.models import AuditEntry
from jiaoguan.platform.auth.models import OrgUnit, User
from jiaoguan.platform.auth.service import Principal, principal_of
from jiaoguan.platform.db import Database, utcnow
from jiaoguan.platform.errors import Conflict, Forbidden, Invalid
from jiaoguan.platform.events import OutboxEntry
from jiaoguan.platform.push.models import Notification
from jiaoguan.platform.workorders import jobs, queries, service
from jiaoguan.platform.workorders.models import (
    WorkOrder,
    WorkOrderAttachment,
    WorkOrderHistory,
    WorkOrderStatus,
)
from tests.conftest import ClientFactory, make_settings
from tests.support.clients import BASE_URL

API = "/api/v1/workorders"
NUMBER = re.compile(r"^GD\d{8}-\d{4}$")
CJK = re.compile(r"[\u4e00-\u9fff]")


# --- helpers -----------------------------------------------------------------------------------


def _units(app: FastAPI) -> dict[str, OrgUnit]:
    with app.state.db.sessions() as db:
        return {u.code: u for u in db.scalars(select(OrgUnit))}


def _user_id(app: FastAPI, username: str) -> int:
    with app.state.db.sessions() as db:
        user = db.scalar(select(User).where(User.username == username))
        assert user is not None
        return user.id


def _principal(db: Any, username: str) -> Principal:
    user = db.scalar(select(User).where(User.username == username))
    assert user is not None
    return principal_of(user)


def _in(hours: float) -> str:
    return (utcnow() + dt.timedelta(hours=hours)).isoformat()


def _create(
    client: TestClient, unit_id: int, user_id: int | None = None, **extra: Any
) -> dict[str, Any]:
    body = {
        "title": extra.pop("title", "核查占道经营"),
        "description": "请到场核查并反馈",
        "assignee_unit_id": unit_id,
        "assignee_user_id": user_id,
        "deadline": _in(24),
        "priority": "high",
        **extra,
    }
    response = client.post(API, json=body)
    assert response.status_code == 201, response.text
    return dict(response.json())


def _ok(response: Any) -> dict[str, Any]:
    assert response.status_code == 200, response.text
    return dict(response.json())


def _outbox(app: FastAPI, order_id: int) -> list[tuple[str, dict[str, Any]]]:
    with app.state.db.sessions() as db:
        rows = db.scalars(select(OutboxEntry).order_by(OutboxEntry.id))
        return [
            (r.subject, r.payload)
            for r in rows
            if r.subject.startswith("workorder.") and r.payload.get("order_id") == order_id
        ]


def _message(response: Any) -> str:
    return str(response.json()["detail"][0]["msg"])


# --- the loop ------------------------------------------------------------------------------------


def test_full_lifecycle_for_the_demo_accounts(app: FastAPI, as_user: ClientFactory) -> None:
    units = _units(app)
    officer_id = _user_id(app, "jx_officer")
    dispatcher, officer = as_user("dispatcher"), as_user("jx_officer")

    order = _create(dispatcher, units["13060201"].id, officer_id, title="清理朝阳大街占道摊点")
    assert NUMBER.match(order["number"]), order["number"]
    assert order["status"] == "assigned" and order["status_label"] == "待签收"
    assert (
        order["assignee_user_name"] == "刘民警" and order["creator_unit_id"] == units["130600"].id
    )
    assert order["actions"] == ["reassign", "cancel"]  # the dispatcher's side, not the officer's

    mine = _ok(officer.get(API, params={"mine": True, "status": "assigned"}))
    assert order["id"] in [o["id"] for o in mine["items"]]
    seen = _ok(officer.get(f"{API}/{order['id']}"))
    assert seen["actions"] == ["accept"]

    accepted = _ok(officer.post(f"{API}/{order['id']}/accept"))
    assert accepted["status"] == "accepted" and accepted["accepted_at"]
    attachment = {"file_name": "现场.jpg", "size": 1024, "content_type": "image/jpeg"}
    fed = _ok(
        officer.post(
            f"{API}/{order['id']}/feedback",
            json={"text": "摊点已清理，劝离 4 处", "attachments": [attachment]},
        )
    )
    assert fed["status"] == "fed_back" and fed["actions"] == []
    assert fed["feedback"][0]["text"] == "摊点已清理，劝离 4 处"
    assert fed["feedback"][0]["attachments"][0]["file_name"] == "现场.jpg"
    assert fed["feedback"][0]["attachments"][0]["stored"] is False

    assert _ok(dispatcher.get(f"{API}/{order['id']}"))["actions"] == ["approve", "reject", "cancel"]
    closed = _ok(dispatcher.post(f"{API}/{order['id']}/approve", json={"comment": "办理及时"}))
    assert closed["status"] == "closed" and closed["finished_at"] and closed["actions"] == []

    history = [(h["action"], h["from_status"], h["to_status"]) for h in closed["history"]]
    assert history == [
        ("create", None, "assigned"),
        ("accept", "assigned", "accepted"),
        ("feedback", "accepted", "fed_back"),
        ("approve", "fed_back", "closed"),
    ]
    actors = [h["actor_name"] for h in closed["history"]]
    assert actors == ["王指挥", "刘民警", "刘民警", "王指挥"]
    assert closed["history"][-1]["comment"] == "办理及时"

    events = _outbox(app, order["id"])
    assert [subject for subject, _ in events] == [
        "workorder.created",
        "workorder.assigned",
        "workorder.accepted",
        "workorder.fed_back",
        "workorder.approved",
        "workorder.closed",
    ]
    assert {p["unit_path"] for _, p in events} == {units["13060201"].path}
    assert events[3][1]["attachments"] == 1

    with app.state.db.sessions() as db:
        audited = list(
            db.scalars(
                select(AuditEntry.action).where(
                    AuditEntry.resource == "work_order", AuditEntry.resource_id == str(order["id"])
                )
            )
        )
    assert audited == ["create", "accept", "feedback", "approve"]


def test_rejection_loop_goes_back_to_the_assignee(app: FastAPI, as_user: ClientFactory) -> None:
    units = _units(app)
    officer_id = _user_id(app, "jx_officer")
    jx, officer = as_user("jx_dispatcher"), as_user("jx_officer")
    order = _create(jx, units["13060201"].id, officer_id)
    path = f"{API}/{order['id']}"
    _ok(officer.post(f"{path}/accept"))
    bell = {"file_name": "响\a铃.txt", "size": 1, "content_type": "text/plain"}
    odd = officer.post(f"{path}/feedback", json={"text": "控制字符", "attachments": [bell]})
    assert odd.status_code == 422 and odd.json()["detail"][0]["loc"][:2] == ["body", "attachments"]
    _ok(officer.post(f"{path}/feedback", json={"text": "已处理"}))
    refused = jx.post(f"{path}/reject", json={"reason": " "})
    assert refused.status_code == 422 and refused.json()["detail"][0]["loc"] == ["body", "reason"]
    rejected = _ok(jx.post(f"{path}/reject", json={"reason": "请补充处理前后对比照片"}))
    assert rejected["status"] == "rejected" and rejected["status_label"] == "已退回"
    assert _ok(officer.get(path))["actions"] == ["feedback"]

    again = _ok(officer.post(f"{path}/feedback", json={"text": "已补充照片 2 张"}))
    assert again["status"] == "fed_back" and len(again["feedback"]) == 2
    closed = _ok(jx.post(f"{path}/approve", json={}))
    assert [h["action"] for h in closed["history"]] == [
        "create",
        "accept",
        "feedback",
        "reject",
        "feedback",
        "approve",
    ]
    assert closed["history"][3]["comment"] == "请补充处理前后对比照片"

    with app.state.db.sessions() as db:
        told = list(
            db.scalars(select(Notification.title).where(Notification.user_id == officer_id))
        )
    assert any("被退回" in t and order["number"] in t for t in told), told
    subjects = [s for s, _ in _outbox(app, order["id"])]
    assert subjects.count("workorder.fed_back") == 2 and subjects.count("workorder.rejected") == 1


def test_reassign_and_cancel(app: FastAPI, as_user: ClientFactory) -> None:
    units = _units(app)
    dispatcher, officer = as_user("dispatcher"), as_user("jx_officer")
    order = _create(dispatcher, units["13060201"].id)
    path = f"{API}/{order['id']}"
    _ok(officer.post(f"{path}/accept"))

    same = dispatcher.post(
        f"{path}/reassign", json={"assignee_unit_id": units["13060201"].id, "reason": "重新派发"}
    )
    assert same.status_code == 422
    moved = _ok(
        dispatcher.post(
            f"{path}/reassign",
            json={
                "assignee_unit_id": units["13060202"].id,
                "reason": "一中队警力不足，改由二中队处理",
                "deadline": _in(48),
            },
        )
    )
    assert moved["status"] == "assigned" and moved["assignee_unit_name"] == "竞秀二中队"
    assert moved["accepted_at"] is None
    # The first squad's officer no longer sees an order of the detachment's sent elsewhere.
    assert officer.get(path).status_code == 404

    assert dispatcher.post(f"{path}/cancel", json={"reason": "重复"}).status_code == 200
    after = _ok(dispatcher.get(path))
    assert after["status"] == "cancelled" and after["finished_at"]
    assert [h["action"] for h in after["history"]] == ["create", "accept", "reassign", "cancel"]
    reassign = after["history"][2]
    assert reassign["comment"] == "一中队警力不足，改由二中队处理"
    subjects = [s for s, _ in _outbox(app, order["id"])]
    assert subjects[-2:] == ["workorder.reassigned", "workorder.cancelled"]
    empty = as_user("jx_dispatcher").post(f"{path}/reassign", json={})
    assert empty.status_code == 422  # an empty request is refused on its body


# --- who may do what -------------------------------------------------------------------------


def test_another_brigade_cannot_see_or_act(app: FastAPI, as_user: ClientFactory) -> None:
    units = _units(app)
    jx_order = _create(as_user("jx_dispatcher"), units["13060201"].id)
    lc_order = _create(as_user("lc_dispatcher"), units["13060601"].id)
    for username, foreign in (("lc_officer", jx_order), ("lc_dispatcher", jx_order)):
        client = as_user(username)
        assert client.get(f"{API}/{foreign['id']}").status_code == 404
        listed = [o["id"] for o in _ok(client.get(API, params={"limit": 500}))["items"]]
        assert foreign["id"] not in listed
        for action, body in (
            ("accept", None),
            ("feedback", {"text": "越权反馈"}),
            ("cancel", {"reason": "越权撤销"}),
        ):
            response = client.post(f"{API}/{foreign['id']}/{action}", json=body)
            assert response.status_code in (403, 404), (username, action, response.text)
            if response.status_code == 404:
                assert "不存在" in _message(response)
    officer = as_user("jx_officer")
    assert officer.post(f"{API}/{lc_order['id']}/accept").status_code == 404
    unit_filter = officer.get(API, params={"unit": units["13060601"].id})
    assert unit_filter.status_code == 404
    # The leader at the top sees both brigades' orders.
    leader_ids = [o["id"] for o in _ok(as_user("leader").get(API, params={"limit": 500}))["items"]]
    assert {jx_order["id"], lc_order["id"]} <= set(leader_ids)


def test_visible_is_not_the_same_as_allowed(app: FastAPI, as_user: ClientFactory) -> None:
    units = _units(app)
    dispatcher = as_user("dispatcher")
    order = _create(dispatcher, units["13060201"].id)
    path = f"{API}/{order['id']}"
    # The detachment dispatcher holds workorder.handle, but is not on the assignee side.
    refused = dispatcher.post(f"{path}/accept")
    assert refused.status_code == 403 and CJK.search(_message(refused))
    officer = as_user("jx_officer")
    _ok(officer.post(f"{path}/accept"))
    _ok(officer.post(f"{path}/feedback", json={"text": "完成"}))
    # The brigade sees the order (its squad handles it) but reviews only what its scope created.
    jx = as_user("jx_dispatcher")
    assert _ok(jx.get(path))["actions"] == []
    assert jx.post(f"{path}/approve", json={}).status_code == 403
    # An officer has no workorder.review at all.
    assert officer.post(f"{path}/approve", json={}).status_code == 403
    assert _ok(dispatcher.get(path))["status"] == "fed_back"


def test_impossible_transitions_are_409_with_the_status(
    app: FastAPI, as_user: ClientFactory
) -> None:
    units = _units(app)
    dispatcher, officer = as_user("dispatcher"), as_user("jx_officer")
    order = _create(dispatcher, units["13060201"].id)
    path = f"{API}/{order['id']}"

    early = dispatcher.post(f"{path}/approve", json={})
    assert early.status_code == 409 and "待签收" in _message(early)
    assert officer.post(f"{path}/feedback", json={"text": "未签收先反馈"}).status_code == 409
    _ok(officer.post(f"{path}/accept"))
    twice = officer.post(f"{path}/accept")
    assert twice.status_code == 409 and "处理中" in _message(twice)
    assert dispatcher.post(f"{path}/reject", json={"reason": "还没反馈"}).status_code == 409
    _ok(officer.post(f"{path}/feedback", json={"text": "完成"}))
    _ok(dispatcher.post(f"{path}/approve", json={}))
    for action, body in (
        ("accept", None),
        ("feedback", {"text": "再来一次"}),
        ("approve", {}),
        ("cancel", {"reason": "已经办结"}),
        ("reassign", {"assignee_unit_id": units["13060202"].id, "reason": "办结后改派"}),
    ):
        client = officer if action in ("accept", "feedback") else dispatcher
        response = client.post(f"{path}/{action}", json=body)
        assert response.status_code == 409, (action, response.text)
        assert "已办结" in _message(response)
    assert len(_ok(dispatcher.get(path))["history"]) == 4


def test_bad_input_is_refused_in_chinese(app: FastAPI, as_user: ClientFactory) -> None:
    units = _units(app)
    jx = as_user("jx_dispatcher")
    base = {"title": "测试", "assignee_unit_id": units["13060201"].id, "deadline": _in(5)}
    cases: list[tuple[dict[str, Any], int, list[str]]] = [
        ({"deadline": _in(-1)}, 422, ["body", "deadline"]),
        ({"deadline": _in(24 * 400)}, 422, ["body", "deadline"]),
        ({"deadline": "0001-01-01T00:00:00+05:00"}, 422, ["body", "deadline"]),
        ({"kind": "no_such_kind"}, 422, ["body", "kind"]),
        ({"title": "   "}, 422, ["body", "title"]),
        ({"title": "空\x00字符"}, 422, ["body", "title"]),
        ({"assignee_unit_id": units["13060601"].id}, 404, ["body", "assignee_unit_id"]),
        ({"assignee_user_id": _user_id(app, "lc_officer")}, 422, ["body", "assignee_user_id"]),
        ({"assignee_user_id": _user_id(app, "jx_duty")}, 422, ["body", "assignee_user_id"]),
        ({"source_module": "checkpoint"}, 422, ["body"]),
    ]
    for change, status, loc in cases:
        response = jx.post(API, json={**base, **change})
        assert response.status_code == status, (change, response.text)
        detail = response.json()["detail"][0]
        assert detail["loc"][: len(loc)] == loc, (change, detail)
        assert CJK.search(detail["msg"]), detail
    # A time without zone is Beijing time.
    local = (utcnow() + dt.timedelta(hours=3)).astimezone(service.BEIJING)
    created = _create(jx, units["13060201"].id, deadline=local.strftime("%Y-%m-%dT%H:%M:%S"))
    deadline = dt.datetime.fromisoformat(created["deadline"])
    assert abs((deadline - local.replace(microsecond=0)).total_seconds()) < 1


def test_list_filters_sort_and_paging(app: FastAPI, as_user: ClientFactory) -> None:
    units = _units(app)
    jx = as_user("jx_dispatcher")
    first = _create(jx, units["13060201"].id, title="过滤测试甲", deadline=_in(50), priority="low")
    second = _create(jx, units["13060202"].id, title="过滤测试乙", deadline=_in(2))

    found = _ok(jx.get(API, params={"q": "过滤测试"}))
    assert [o["id"] for o in found["items"]] == [second["id"], first["id"]]
    by_deadline = _ok(jx.get(API, params={"q": "过滤测试", "sort": "deadline"}))
    assert [o["id"] for o in by_deadline["items"]] == [second["id"], first["id"]]
    by_priority = _ok(jx.get(API, params={"q": "过滤测试", "sort": "priority"}))
    assert by_priority["items"][0]["id"] == first["id"]
    squad = _ok(jx.get(API, params={"q": "过滤测试", "unit": units["13060202"].id}))
    assert [o["id"] for o in squad["items"]] == [second["id"]]
    page = _ok(jx.get(API, params={"q": "过滤测试", "limit": 1, "offset": 1}))
    assert page["total"] == 2 and [o["id"] for o in page["items"]] == [first["id"]]
    assert _ok(jx.get(API, params={"q": "过滤测试", "status": "closed"}))["total"] == 0
    both = _ok(jx.get(API, params=[("status", "assigned"), ("status", "closed"), ("q", "过滤")]))
    assert both["total"] == 2
    overdue = _ok(as_user("lc_dispatcher").get(API, params={"overdue": True}))
    assert overdue["total"] >= 1 and all(o["overdue"] for o in overdue["items"])
    assert jx.get(API, params={"sort": "title"}).status_code == 422
    kinds = jx.get(f"{API}/kinds").json()
    assert {"code": "general", "label": "一般事项"} in kinds


def test_other_modules_register_kinds_and_link_their_records(app: FastAPI) -> None:
    service.register_kind("interception", "拦截处置")
    with pytest.raises(ValueError):
        service.register_kind("Bad Kind", "坏的")
    database: Database = app.state.db
    units = _units(app)
    with database.transaction() as db:
        order = service.open_work_order(
            db,
            None,
            kind="interception",
            title="布控车辆冀F12345 拦截",
            assignee_unit_id=units["13060201"].id,
            deadline=utcnow() + dt.timedelta(minutes=30),
            priority="urgent",
            source=("checkpoint", 4711),
        )
        order_id = order.id
        assert order.creator_user_id is None and order.creator_unit_id == units["130600"].id
    with database.sessions() as db:
        linked = queries.orders_for_source(db, "checkpoint", "4711")
        assert [o.id for o in linked] == [order_id]
        history = db.scalars(select(WorkOrderHistory).where(WorkOrderHistory.order_id == order_id))
        assert [h.actor_name for h in history] == ["系统"]
    created = _outbox(app, order_id)[0][1]
    assert created["source_module"] == "checkpoint" and created["source_id"] == "4711"
    assert created["actor_user_id"] is None and created["kind"] == "interception"


def test_service_refusals_without_http(app: FastAPI) -> None:
    """The service guards itself for callers that are not the API (other modules, jobs)."""
    units = _units(app)
    with app.state.db.transaction() as db:
        officer = _principal(db, "lc_officer")
        order = service.open_work_order(
            db,
            None,
            title="服务层校验",
            assignee_unit_id=units["13060201"].id,
            deadline=utcnow() + dt.timedelta(hours=1),
        )
        with pytest.raises(Invalid):
            service.open_work_order(
                db,
                None,
                title="x",
                assignee_unit_id=units["13060201"].id,
                deadline=utcnow() + dt.timedelta(hours=1),
                priority="very-high",
            )
        jx_officer = _principal(db, "jx_officer")
        service.accept(db, jx_officer, order.id)
        with pytest.raises(Forbidden):
            service.check_action(officer, order, "feedback")


def test_two_people_acting_at_once_cannot_both_win(app: FastAPI) -> None:
    """A session that read the order before someone else accepted it gets a 409, not a double."""
    database: Database = app.state.db
    units = _units(app)
    with database.transaction() as db:
        order_id = service.open_work_order(
            db,
            None,
            title="并发签收",
            assignee_unit_id=units["13060201"].id,
            deadline=utcnow() + dt.timedelta(hours=2),
        ).id
    with database.sessions() as slow:
        stale = service.get_order(slow, None, order_id)  # read while still 待签收
        assert stale.status == WorkOrderStatus.assigned
        with database.transaction() as fast:
            service.accept(fast, _principal(fast, "jx_aux"), order_id)
        with pytest.raises(Conflict) as refused:
            service.accept(slow, _principal(slow, "jx_officer"), order_id)
        assert "处理中" in refused.value.message
        slow.rollback()
    with database.sessions() as db:
        accepts = db.scalars(
            select(WorkOrderHistory).where(
                WorkOrderHistory.order_id == order_id, WorkOrderHistory.action == "accept"
            )
        )
        assert [h.actor_name for h in accepts] == ["孙辅警"]


# --- escalation ------------------------------------------------------------------------------


def _overdue_order(app: FastAPI, unit_code: str, *, late_hours: float = 2.0) -> int:
    """An order created yesterday whose deadline passed `late_hours` ago."""
    now = utcnow()
    with app.state.db.transaction() as db:
        order = service.open_work_order(
            db,
            _principal(db, "dispatcher"),
            title="超期测试",
            assignee_unit_id=_units(app)[unit_code].id,
            deadline=now - dt.timedelta(hours=late_hours),
            now=now - dt.timedelta(days=1),
        )
        return order.id


def test_overdue_orders_escalate_once_per_deadline(app: FastAPI, as_user: ClientFactory) -> None:
    units = _units(app)
    order_id = _overdue_order(app, "13060201")
    fresh = _create(as_user("dispatcher"), units["13060201"].id)
    now = utcnow()
    database: Database = app.state.db
    with database.transaction() as db:
        escalated = service.escalate_overdue(db, now=now)
        assert order_id in [o.id for o in escalated]
        assert fresh["id"] not in [o.id for o in escalated]
    with database.transaction() as db:
        assert service.escalate_overdue(db, now=now + dt.timedelta(hours=5)) == []
    assert jobs.escalate_due(database, now + dt.timedelta(hours=6)) == 0

    dispatcher = as_user("dispatcher")
    order = _ok(dispatcher.get(f"{API}/{order_id}"))
    assert order["escalation_level"] == 1 and order["escalated_unit_name"] == "竞秀交警大队"
    assert order["overdue"] is True and order["status"] == "assigned"
    escalations = [h for h in order["history"] if h["action"] == "escalate"]
    assert len(escalations) == 1 and "竞秀交警大队" in escalations[0]["comment"]
    assert escalations[0]["actor_name"] == "系统"
    subjects = [s for s, _ in _outbox(app, order_id)]
    assert subjects.count("workorder.escalated") == 1
    with database.sessions() as db:
        notices = list(
            db.scalars(select(Notification).where(Notification.link == f"/workorders/{order_id}"))
        )
    assert any(n.unit_path == units["130602"].path and n.level == "warning" for n in notices)
    assert _ok(as_user("jx_dispatcher").get(API, params={"overdue": True}))["total"] >= 1

    # The brigade it went to steps in: it may now re-dispatch, with a new deadline.
    jx = as_user("jx_dispatcher")
    assert "reassign" in _ok(jx.get(f"{API}/{order_id}"))["actions"]
    _ok(
        jx.post(
            f"{API}/{order_id}/reassign",
            json={
                "assignee_unit_id": units["13060202"].id,
                "reason": "超期改派二中队",
                "deadline": _in(1),
            },
        )
    )
    with database.transaction() as db:
        assert service.escalate_overdue(db, now=utcnow() + dt.timedelta(minutes=30)) == []
        again = service.escalate_overdue(db, now=utcnow() + dt.timedelta(hours=2))
        assert [o.id for o in again] == [order_id]
        assert again[0].escalation_level == 2 and again[0].escalated_unit_id == units["130602"].id


def test_finished_or_fed_back_orders_do_not_escalate(app: FastAPI, as_user: ClientFactory) -> None:
    order_id = _overdue_order(app, "13060201")
    officer = as_user("jx_officer")
    _ok(officer.post(f"{API}/{order_id}/accept"))
    _ok(officer.post(f"{API}/{order_id}/feedback", json={"text": "逾期完成"}))
    with app.state.db.transaction() as db:
        assert order_id not in service.overdue_ids(db)
        assert service.escalate(db, order_id) is None
    assert _ok(officer.get(f"{API}/{order_id}"))["overdue"] is False


def test_the_top_unit_escalates_to_itself(app: FastAPI) -> None:
    order_id = _overdue_order(app, "130600")
    with app.state.db.transaction() as db:
        order = service.escalate(db, order_id)
        assert order is not None and order.escalated_unit_id == order.assignee_unit_id


def test_two_workers_escalate_an_order_once(app: FastAPI) -> None:
    """Two processes' passes at the same moment: the conditional UPDATE lets one through."""
    database: Database = app.state.db
    if database.is_sqlite:
        pytest.skip("SQLite serialises writers itself; the race needs PostgreSQL's row locks")
    order_id = _overdue_order(app, "13060601")
    now = utcnow()
    first, second = database.sessions(), database.sessions()
    try:
        assert service.escalate(first, order_id, now=now) is not None  # holds the row lock
        started = threading.Event()

        def other() -> WorkOrder | None:
            started.set()
            result = service.escalate(second, order_id, now=now)
            second.commit()
            return result

        with ThreadPoolExecutor(max_workers=1) as pool:
            outcome = pool.submit(other)
            started.wait()
            time.sleep(0.3)  # the second UPDATE is now waiting for the first transaction
            first.commit()
            assert outcome.result(timeout=10) is None
    finally:
        first.close()
        second.close()
    with database.sessions() as db:
        order = db.get(WorkOrder, order_id)
        assert order is not None and order.escalation_level == 1
        entries = db.scalars(
            select(WorkOrderHistory).where(
                WorkOrderHistory.order_id == order_id, WorkOrderHistory.action == "escalate"
            )
        )
        assert len(list(entries)) == 1


def test_the_background_loop_escalates(sqlite_url: str, tmp_path: Path) -> None:
    app = create_app(make_settings(sqlite_url, tmp_path, workorder_check_seconds=0.05))
    order_id = _overdue_order(app, "13060202")
    with TestClient(app, base_url=BASE_URL):
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            with app.state.db.sessions() as db:
                order = db.get(WorkOrder, order_id)
                if order is not None and order.escalation_level == 1:
                    break
            time.sleep(0.05)
        else:
            pytest.fail("the escalation loop did not escalate the overdue order")


def test_the_loop_is_off_at_zero(sqlite_url: str, tmp_path: Path) -> None:
    app = create_app(make_settings(sqlite_url, tmp_path, workorder_check_seconds=0))
    order_id = _overdue_order(app, "13060202")
    with TestClient(app, base_url=BASE_URL):
        time.sleep(0.3)
    with app.state.db.sessions() as db:
        order = db.get(WorkOrder, order_id)
        assert order is not None and order.escalation_level == 0


# --- pages -----------------------------------------------------------------------------------


def test_pages_render_in_chinese(app: FastAPI, browser_as: ClientFactory) -> None:
    dispatcher = browser_as("dispatcher")
    listing = dispatcher.get("/workorders", headers={"Accept": "text/html"})
    assert listing.status_code == 200
    assert "进行中" in listing.text and "核查朝阳大街早高峰违停投诉" in listing.text
    overdue = dispatcher.get("/workorders", params={"tab": "overdue"})
    assert "裕华路信号灯故障点位交通疏导" in overdue.text and "超期" in overdue.text
    rows = dispatcher.get(
        "/workorders",
        params={"tab": "all", "q": "护学岗"},
        headers={"HX-Request": "true", "HX-Target": "wo-rows"},
    )
    assert "<html" not in rows.text and "朝阳小学周边护学岗" in rows.text
    assert "核查朝阳大街" not in rows.text
    new = dispatcher.get("/workorders/new")
    assert (
        new.status_code == 200 and "莲池一中队" in new.text and "办理期限（北京时间）" in new.text
    )
    options = dispatcher.get(
        "/workorders/assignees", params={"assignee_unit_id": _units(app)["13060201"].id}
    )
    assert "刘民警" in options.text and "孙辅警" in options.text
    home = dispatcher.get("/")
    assert "进行中工单" in home.text and "超期工单" in home.text

    jx_new = browser_as("jx_dispatcher").get("/workorders/new")
    assert "竞秀一中队" in jx_new.text and "莲池一中队" not in jx_new.text
    assert browser_as("jx_officer").get("/workorders/new").status_code == 403


def test_the_pages_run_the_loop(app: FastAPI, browser_as: ClientFactory) -> None:
    units = _units(app)
    dispatcher, officer = browser_as("dispatcher"), browser_as("jx_officer")
    local = (utcnow() + dt.timedelta(days=2)).astimezone(service.BEIJING)
    form = {
        "title": "页面派发测试",
        "kind": "general",
        "priority": "urgent",
        "description": "第一行\n第二行",
        "assignee_unit_id": str(units["13060201"].id),
        "assignee_user_id": "",
        "deadline": local.strftime("%Y-%m-%dT%H:%M"),
        "csrf_token": dispatcher.cookies.get("jg_csrf") or "",
    }
    bad = dispatcher.post("/workorders/new", data={**form, "deadline": "明天"})
    assert bad.status_code == 422 and "期限格式不正确" in bad.text and "页面派发测试" in bad.text
    created = dispatcher.post("/workorders/new", data=form)
    assert created.status_code == 303
    detail_url = created.headers["location"]
    order_id = int(detail_url.rsplit("/", 1)[1])
    page = dispatcher.get(detail_url)
    assert "页面派发测试" in page.text and "创建派发" in page.text and "紧急" in page.text
    assert local.strftime("%Y-%m-%d %H:%M") in page.text  # the deadline as the user typed it
    assert 'id="wo-accept"' not in page.text

    htmx = {"HX-Request": "true"}
    mine = officer.get(detail_url)
    assert 'id="wo-accept"' in mine.text
    accepted = officer.post(f"{detail_url}/accept", headers=htmx)
    assert (
        accepted.status_code == 200 and "已签收" in accepted.text and "<html" not in accepted.text
    )
    twice = officer.post(f"{detail_url}/accept", headers=htmx)
    assert "工单当前状态为「处理中」，不能签收" in twice.text

    content = "现场照片内容".encode() * 100
    files = [("files", ("现场 照片.jpg", content, "image/jpeg"))]
    fed = officer.post(f"{detail_url}/feedback", data={"text": "已处置"}, files=files, headers=htmx)
    assert fed.status_code == 200 and "已反馈" in fed.text, fed.text
    sha = hashlib.sha256(content).hexdigest()
    stored = app.state.settings.data_dir / "uploads" / sha[:2] / sha
    assert stored.read_bytes() == content
    with app.state.db.sessions() as db:
        attachment_id = db.scalar(
            select(WorkOrderAttachment.id).where(WorkOrderAttachment.sha256 == sha)
        )
    download = dispatcher.get(f"{detail_url}/attachments/{attachment_id}")
    assert download.status_code == 200 and download.content == content
    assert download.headers["content-disposition"].startswith("attachment")
    assert download.headers["x-content-type-options"] == "nosniff"
    lc = browser_as("lc_officer")
    assert lc.get(f"{detail_url}/attachments/{attachment_id}").status_code == 404
    assert lc.get(detail_url, headers={"Accept": "text/html"}).status_code == 404

    approved = dispatcher.post(f"{detail_url}/approve", data={"comment": "好"}, headers=htmx)
    assert "已审核通过" in approved.text and "已办结" in approved.text
    without_js = dispatcher.post(f"{detail_url}/cancel", data={"reason": "测试"})
    assert without_js.status_code == 409  # no htmx: the Chinese error answer, not a panel
    with app.state.db.sessions() as db:
        order = db.get(WorkOrder, order_id)
        assert order is not None and order.status == WorkOrderStatus.closed


def test_a_refused_page_action_changes_nothing(app: FastAPI, browser_as: ClientFactory) -> None:
    units = _units(app)
    officer = browser_as("jx_officer")
    with app.state.db.transaction() as db:
        order = service.open_work_order(
            db,
            None,
            title="页面拒绝测试",
            assignee_unit_id=units["13060201"].id,
            deadline=utcnow() + dt.timedelta(hours=3),
        )
        order_id = order.id
    panel = officer.post(
        f"/workorders/{order_id}/feedback",
        data={"text": "未签收直接反馈"},
        files=[("files", ("a.txt", b"abc", "text/plain"))],
        headers={"HX-Request": "true"},
    )
    assert panel.status_code == 200 and "不能反馈" in panel.text
    assert not (app.state.settings.data_dir / "uploads").exists()  # refused before storing
    with app.state.db.sessions() as db:
        order = db.get(WorkOrder, order_id)
        assert order is not None and order.status == WorkOrderStatus.assigned
        assert len(queries.feedback_of(db, order)) == 0
