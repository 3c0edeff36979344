"""Watchlists (布控): apply → approve / refuse, withdraw, scope, automatic entries from the vehicle
registry, and the pages — through the API and the service, on SQLite and PostgreSQL."""

from __future__ import annotations

import datetime as dt
from typing import Any

from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from jiaoguan.checkpoint import matcher, watchlists
from jiaoguan.checkpoint.watch_models import Watch, WatchKind, WatchSource, WatchStatus
from jiaoguan.platform.audit.models import AuditEntry
from jiaoguan.platform.auth.models import User
from jiaoguan.platform.auth.service import Principal, principal_of
from jiaoguan.platform.db import utcnow
from jiaoguan.registry.models import Vehicle, VehicleStatus
from tests.conftest import ClientFactory

API = "/api/v1/checkpoint/watches"


def _apply(
    client: TestClient, plate: str = "冀F12B45", kind: str = "stolen", **extra: object
) -> Any:
    ends = (utcnow() + dt.timedelta(days=10)).isoformat()
    body = {
        "plate_no": plate,
        "kind": kind,
        "reason": "盗抢案件 2026-118 涉案车辆",
        "ends_at": ends,
    }
    return client.post(API, json={**body, **extra})


def test_apply_approve_withdraw(app: FastAPI, as_user: ClientFactory) -> None:
    dispatcher, leader = as_user("dispatcher"), as_user("leader")
    created = _apply(dispatcher, "冀f·12b45")
    assert created.status_code == 201, created.text
    watch = created.json()
    assert (watch["plate_no"], watch["status"], watch["applicant_name"]) == (
        "冀F12B45",
        "pending",
        "王指挥",
    )
    # Not active yet: the matcher does not know it.
    with app.state.db.sessions() as db:
        assert matcher.load_index(db).size == 0
    # The applicant may not approve; an officer has no approval right at all.
    assert (
        dispatcher.post(f"{API}/{watch['id']}/decision", json={"approve": True}).status_code == 403
    )
    assert (
        as_user("jx_officer")
        .post(f"{API}/{watch['id']}/decision", json={"approve": True})
        .status_code
        == 403
    )
    approved = leader.post(
        f"{API}/{watch['id']}/decision", json={"approve": True, "comment": "同意"}
    )
    assert approved.status_code == 200, approved.text
    assert (approved.json()["status"], approved.json()["approver_name"]) == ("active", "李支队长")
    again = leader.post(f"{API}/{watch['id']}/decision", json={"approve": True})
    assert again.status_code == 409
    with app.state.db.sessions() as db:
        index = matcher.load_index(db)
        assert [k for _e, k in index.match_plate("冀F12845")] == ["confusable"]
    # A second watch of the same kind on the same plate is refused while this one runs.
    assert _apply(dispatcher, "冀F12B45").status_code == 409
    # Withdraw needs a reason; then the watch no longer matches.
    assert dispatcher.post(f"{API}/{watch['id']}/withdraw", json={"reason": ""}).status_code == 422
    withdrawn = dispatcher.post(f"{API}/{watch['id']}/withdraw", json={"reason": "车辆已追回"})
    assert withdrawn.status_code == 200 and withdrawn.json()["status"] == "withdrawn"
    assert withdrawn.json()["withdraw_reason"] == "车辆已追回"
    with app.state.db.sessions() as db:
        assert matcher.load_index(db).size == 0
        actions = set(db.scalars(select(AuditEntry.action).where(AuditEntry.resource == "watch")))
    assert {"apply", "approve_watch", "withdraw"} <= actions


def test_refusal_needs_a_comment(as_user: ClientFactory) -> None:
    watch = _apply(as_user("dispatcher"), "冀F66666", kind="hit_and_run").json()
    leader = as_user("leader")
    assert leader.post(f"{API}/{watch['id']}/decision", json={"approve": False}).status_code == 422
    refused = leader.post(
        f"{API}/{watch['id']}/decision", json={"approve": False, "comment": "证据不足"}
    )
    assert refused.json()["status"] == "refused"


def test_bad_applications_are_422_in_chinese(as_user: ClientFactory) -> None:
    dispatcher = as_user("dispatcher")
    past = (utcnow() - dt.timedelta(days=1)).isoformat()
    cases = [
        ({"plate_no": "-"}, "plate_no"),
        ({"kind": "overdue_inspection"}, "kind"),
        ({"ends_at": past}, "ends_at"),
        ({"ends_at": (utcnow() + dt.timedelta(days=800)).isoformat()}, "ends_at"),
        ({"plate_color": "PINK"}, "plate_color"),
        ({"reason": "x"}, "reason"),
    ]
    for extra, field in cases:
        response = _apply(dispatcher, **extra)
        assert response.status_code == 422, (extra, response.text)
        detail = response.json()["detail"][0]
        assert detail["loc"][-1] == field, detail
        assert any("\u4e00" <= c <= "\u9fff" for c in detail["msg"]), detail


def test_scope_a_brigade_sees_its_own_watches_only(as_user: ClientFactory) -> None:
    lc = as_user("lc_dispatcher")
    watch = _apply(lc, "冀F77777").json()
    assert as_user("jx_dispatcher").get(f"{API}/{watch['id']}").status_code == 404
    assert as_user("dispatcher").get(f"{API}/{watch['id']}").status_code == 200
    listed = as_user("jx_dispatcher").get(API, params={"status": "pending"}).json()
    assert watch["id"] not in [w["id"] for w in listed["items"]]


def test_registry_refresh_adds_and_withdraws(app: FastAPI, as_user: ClientFactory) -> None:
    now = utcnow()
    today = now.date()
    with app.state.db.transaction() as db:
        # A vehicle on the road that is not overdue yet.
        vehicle = db.scalars(
            select(Vehicle).where(
                Vehicle.status.not_in([VehicleStatus.scrapped, VehicleStatus.cancelled]),
                (Vehicle.inspection_due_on.is_(None)) | (Vehicle.inspection_due_on >= today),
            )
        ).first()
        assert vehicle is not None, "the demo registry has vehicles"
        vehicle.inspection_due_on = today - dt.timedelta(days=40)
        vehicle_id = vehicle.id
    report = as_user("leader").post(f"{API}/refresh")
    assert report.status_code == 200, report.text
    assert report.json()["added"] >= 1
    with app.state.db.sessions() as db:
        auto = db.scalar(
            select(Watch).where(
                Watch.vehicle_id == vehicle_id, Watch.kind == WatchKind.overdue_inspection
            )
        )
        assert (
            auto is not None
            and auto.status == WatchStatus.active
            and auto.source == WatchSource.registry
        )
    # Running again adds nothing new.
    assert as_user("leader").post(f"{API}/refresh").json()["added"] == 0
    # Inspected since: withdrawn automatically.
    with app.state.db.transaction() as db:
        db.get(Vehicle, vehicle_id).inspection_due_on = (now + dt.timedelta(days=300)).date()
    assert as_user("leader").post(f"{API}/refresh").json()["withdrawn"] >= 1
    with app.state.db.sessions() as db:
        assert db.get(Watch, auto.id).status == WatchStatus.withdrawn
    # Officers may not trigger it.
    assert as_user("jx_officer").post(f"{API}/refresh").status_code == 403


def test_match_preview(as_user: ClientFactory) -> None:
    dispatcher = as_user("dispatcher")
    watch = _apply(dispatcher, "粤B0D815").json()
    as_user("leader").post(f"{API}/{watch['id']}/decision", json={"approve": True})
    found = dispatcher.get(f"{API}/match", params={"plate": "鄂BQD815"}).json()
    assert [(f["watched_plate"], f["match_kind"]) for f in found] == [
        ("粤B0D815", "province_confusable")
    ]
    assert found[0]["match_label"].startswith("模糊比中")


def test_pages(app: FastAPI, browser_as: ClientFactory) -> None:
    dispatcher = browser_as("dispatcher")
    assert dispatcher.get("/checkpoint/watches").status_code == 200
    form = dispatcher.get("/checkpoint/watches/new")
    assert form.status_code == 200 and "布控事由" in form.text
    later = (utcnow() + dt.timedelta(days=5)).astimezone(dt.timezone(dt.timedelta(hours=8)))
    data = {
        "plate_no": "冀F55555",
        "kind": "key_vehicle",
        "reason": "重点关注车辆",
        "ends_at": later.strftime("%Y-%m-%dT%H:%M"),
        "fuzzy": "true",
    }
    created = dispatcher.post("/checkpoint/watches/new", data=data)
    assert created.status_code == 303, created.text
    detail = dispatcher.get(created.headers["location"])
    assert "已提交布控申请" in detail.text and "冀F55555" in detail.text
    bad = dispatcher.post("/checkpoint/watches/new", data={**data, "reason": ""})
    assert bad.status_code == 422 and "布控事由" in bad.text
    leader = browser_as("leader")
    watch_id = int(created.headers["location"].split("/")[-1].split("?")[0])
    decided = leader.post(f"/checkpoint/watches/{watch_id}/decision", data={"approve": "true"})
    assert decided.status_code == 303
    assert "布控中" in leader.get(f"/checkpoint/watches/{watch_id}").text
    preview = dispatcher.get("/checkpoint/watches/match", params={"plate": "冀FS5555"})
    assert "冀F55555" in preview.text and "易混字符" in preview.text
    with app.state.db.sessions() as db:
        assert watchlists.counts(db, _principal_all(db))["active"] >= 1


def _principal_all(db: Session) -> Principal:
    admin = db.scalar(select(User).where(User.username == "admin"))
    assert admin is not None
    return principal_of(admin)
