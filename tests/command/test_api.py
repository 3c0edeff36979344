"""Command API: the dispatcher's flow through recommend and dispatch, the officer's steps with the
arrival detected from phone positions, device position batches, and bad input in Chinese."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

from fastapi import FastAPI
from fastapi.testclient import TestClient

from tests.support.tokens import token_client

Client = Callable[[str], TestClient]
JX = (115.451, 38.877)


def _now() -> str:
    return dt.datetime.now(dt.UTC).isoformat()


def _officers(client: TestClient) -> dict[str, dict[str, object]]:
    return {o["code"]: o for o in client.get("/api/v1/command/force").json()}


def _intake(client: TestClient, **more: object) -> dict[str, object]:
    body = {
        "source": "call_122",
        "kind": "accident",
        "level": 1,
        "place": "朝阳大街北段",
        "lon": JX[0],
        "lat": JX[1],
        "summary": "两车剐蹭",
        **more,
    }
    response = client.post("/api/v1/command/incidents", json=body)
    assert response.status_code == 201, response.text
    return response.json()  # type: ignore[no-any-return]


def _put_on_duty(
    city_app: FastAPI, city_client: Client, code: str, where: tuple[float, float]
) -> int:
    dispatcher = city_client("dispatcher")
    officer = _officers(dispatcher)[code]
    device = token_client(city_app, "device-demo")
    fix = {
        "officer_id": officer["id"],
        "at": _now(),
        "lon": where[0],
        "lat": where[1],
        "accuracy_m": 8,
    }
    report = device.post("/api/v1/positions", json={"fixes": [fix]})
    assert report.status_code == 200 and report.json()["accepted"] == 1, report.text
    if officer["status"] != "available":
        ok = dispatcher.post(
            f"/api/v1/command/officers/{officer['id']}/status", json={"status": "available"}
        )
        assert ok.status_code == 200, ok.text
    return int(str(officer["id"]))


def test_dispatch_the_recommended_officer_and_follow_the_lifecycle(
    city_app: FastAPI, city_client: Client
) -> None:
    dispatcher = city_client("dispatcher")
    mine = _put_on_duty(city_app, city_client, "130602001", (JX[0] + 0.002, JX[1]))  # ~170 m
    incident = _intake(dispatcher)
    assert incident["handling_unit_name"] == "竞秀交警大队" and incident["state"] == "received"

    rec = dispatcher.get(f"/api/v1/command/incidents/{incident['id']}/recommend").json()
    assert rec["rings_m"] == [300, 500, 1000]
    assert rec["picks"][0]["officer_id"] == mine, rec
    best = rec["picks"][0]
    assert best["ring_m"] == 300 and best["eta_s"] is not None and best["route"]
    assert best["reason"]

    sent = dispatcher.post(
        f"/api/v1/command/incidents/{incident['id']}/dispatch",
        json={"officers": [{"officer_id": mine, "note": best["reason"]}]},
    )
    assert sent.status_code == 200, sent.text
    assert sent.json()["state"] == "dispatched"
    again = dispatcher.get(f"/api/v1/command/incidents/{incident['id']}/recommend").json()
    assert mine not in [p["officer_id"] for p in again["picks"]]
    # The tracker heard the new status at commit: busy for any other incident too.
    elsewhere = _intake(dispatcher, kind="congestion")
    other = dispatcher.get(f"/api/v1/command/incidents/{elsewhere['id']}/recommend").json()
    assert mine not in [p["officer_id"] for p in other["picks"]] and other["busy"] >= 1

    officer = city_client("jx_officer")
    me = officer.get("/api/v1/command/me").json()
    (task,) = [d for d in me["dispatches"] if d["incident_id"] == incident["id"]]
    assert task["actions"] == ["accept", "depart"]
    base = f"/api/v1/command/dispatches/{task['id']}"
    assert officer.post(f"{base}/accept").json()["state"] == "accepted"
    assert officer.post(f"{base}/depart").json()["state"] == "en_route"
    # The phone's own position, at the scene: arrival is confirmed by the platform.
    near = officer.post(
        "/api/v1/command/me/positions",
        json=[{"lon": JX[0] + 0.0003, "lat": JX[1], "accuracy_m": 10}],
    )
    assert near.status_code == 200 and near.json()["arrivals"] == 1, near.text
    assert (
        officer.post(f"{base}/handle", json={"result": "双方协商撤离"}).json()["state"] == "handled"
    )
    closed = officer.post(f"{base}/close", json={"feedback": "已恢复通行"})
    assert closed.status_code == 200 and closed.json()["state"] == "closed"

    detail = dispatcher.get(f"/api/v1/command/incidents/{incident['id']}").json()
    assert detail["state"] == "closed" and detail["dispatches"][0]["arrived_auto"] is True
    actions = [t["action"] for t in detail["timeline"]]
    assert actions == ["intake", "dispatch", "accept", "depart", "arrive", "handle", "close"]
    assert _officers(dispatcher)["130602001"]["status"] == "available"


def test_busy_officer_and_unknown_ids_are_refused_in_chinese(
    city_app: FastAPI, city_client: Client
) -> None:
    dispatcher = city_client("dispatcher")
    busy = _put_on_duty(city_app, city_client, "130602003", (JX[0] + 0.001, JX[1]))
    first, second = _intake(dispatcher), _intake(dispatcher, kind="congestion")
    ok = dispatcher.post(
        f"/api/v1/command/incidents/{first['id']}/dispatch",
        json={"officers": [{"officer_id": busy}]},
    )
    assert ok.status_code == 200
    refused = dispatcher.post(
        f"/api/v1/command/incidents/{second['id']}/dispatch",
        json={"officers": [{"officer_id": busy}]},
    )
    assert refused.status_code == 409
    detail = refused.json()["detail"][0]
    assert "不能重复派警" in detail["msg"] and first["number"] in detail["msg"]
    assert detail["loc"] == ["body", "officers"]

    for method, url, body in (
        ("get", "/api/v1/command/incidents/987654", None),
        ("post", "/api/v1/command/incidents/987654/dispatch", {"officers": [{"officer_id": busy}]}),
        ("post", "/api/v1/command/officers/987654/status", {"status": "available"}),
    ):
        response = dispatcher.request(method, url, json=body)
        assert response.status_code == 404, url
        assert "不存在" in response.json()["detail"][0]["msg"]
    unknown = dispatcher.post(
        f"/api/v1/command/incidents/{second['id']}/dispatch",
        json={"officers": [{"officer_id": 987654}]},
    )
    assert unknown.status_code == 404 and "警力不存在" in unknown.json()["detail"][0]["msg"]
    empty = dispatcher.post(
        f"/api/v1/command/incidents/{second['id']}/dispatch", json={"officers": []}
    )
    assert empty.status_code == 422
    bad = dispatcher.post(
        "/api/v1/command/incidents", json={"source": "call_122", "kind": "飞碟", "place": "某地"}
    )
    assert bad.status_code == 422 and bad.json()["detail"][0]["loc"] == ["body", "kind"]
    missing = city_client("jx_officer").post("/api/v1/command/dispatches/987654/accept")
    assert missing.status_code == 404 and "派警单不存在" in missing.json()["detail"][0]["msg"]
    # An officer may not act on someone else's dispatch.
    task = dispatcher.get(f"/api/v1/command/incidents/{first['id']}").json()["dispatches"][0]
    other = city_client("lc_officer").post(f"/api/v1/command/dispatches/{task['id']}/accept")
    assert other.status_code == 404


def test_device_batches_count_bad_fixes(city_app: FastAPI, city_client: Client) -> None:
    officers = _officers(city_client("dispatcher"))
    one = officers["130602001"]["id"]
    device = token_client(city_app, "device-demo")
    now = dt.datetime.now(dt.UTC)
    good = {"officer_id": one, "at": now.isoformat(), "lon": 115.46, "lat": 38.87}
    fixes = [
        good,
        dict(good),  # the same fix again: stored once
        {**good, "officer_id": 987654},
        {**good, "at": (now + dt.timedelta(hours=1)).isoformat()},
        {**good, "lon": 121.5, "lat": 31.2},
        {**good, "at": "昨天"},
        {**good, "at": "2026-11-24T08:00:00"},  # no time zone
    ]
    report = device.post("/api/v1/positions", json={"fixes": fixes})
    assert report.status_code == 200, report.text
    body = report.json()
    assert body["accepted"] == 1 and body["duplicates"] == 1
    assert sum(body["rejected"].values()) == 5 and body["rejected"]["invalid"] == 2
    assert all(e["message"] for e in body["errors"])
    # Officers post their own positions, not through the device route.
    assert (
        city_client("jx_officer").post("/api/v1/positions", json={"fixes": [good]}).status_code
        == 403
    )
    nobody = city_client("admin").post(
        "/api/v1/command/me/positions", json=[{"lon": 115.46, "lat": 38.87}]
    )
    assert nobody.status_code == 404 and "未关联警力" in nobody.json()["detail"][0]["msg"]


def test_pages_render(city_app: FastAPI, city_client: Client) -> None:
    dispatcher = city_client("dispatcher")
    incident = _intake(dispatcher)
    for url in (
        "/command/board",
        "/command/incidents",
        "/command/incidents?state=received&kind=accident&open=true",
        f"/command/incidents/{incident['id']}",
        "/command/intake",
        "/command/force",
        "/command/stats",
        "/command/bulletin",
        "/command/officers",
        "/command/rules",
    ):
        response = dispatcher.get(url)
        assert response.status_code == 200, url
    assert "朝阳大街北段" in dispatcher.get(f"/command/incidents/{incident['id']}").text
    assert dispatcher.get("/command/incidents?state=飞").status_code == 422
    phone = city_client("jx_officer").get("/m/officer")
    assert phone.status_code == 200 and "刘民警" in phone.text
    assert city_client("jx_officer").get("/command/intake").status_code == 403


def test_lifecycle_on_both_databases_without_the_city(app: FastAPI, as_user: Client) -> None:
    """The demo database alone (no simulated city): no brigade areas, so the detachment handles
    it; recommendation, dispatch and every step work on both databases."""
    dispatcher = as_user("dispatcher")
    mine = int(str(_officers(dispatcher)["130602001"]["id"]))
    device = token_client(app, "device-demo")
    fix = {"officer_id": mine, "at": _now(), "lon": JX[0], "lat": JX[1]}
    assert device.post("/api/v1/positions", json={"fixes": [fix]}).json()["accepted"] == 1
    incident = _intake(dispatcher)
    assert incident["command_level"] == "detachment" and incident["area_unit_id"] is None
    rec = dispatcher.get(f"/api/v1/command/incidents/{incident['id']}/recommend").json()
    assert rec["picks"] and rec["picks"][0]["officer_id"] == mine, rec
    sent = dispatcher.post(
        f"/api/v1/command/incidents/{incident['id']}/dispatch",
        json={"officers": [{"officer_id": mine}]},
    )
    assert sent.status_code == 200, sent.text
    task = sent.json()["dispatches"][0]["id"]
    officer = as_user("jx_officer")
    for step, body in (
        ("depart", None),
        ("arrive", None),
        ("handle", {"result": "已处置"}),
        ("close", {}),
    ):
        response = officer.post(f"/api/v1/command/dispatches/{task}/{step}", json=body)
        assert response.status_code == 200, (step, response.text)
    detail = dispatcher.get(f"/api/v1/command/incidents/{incident['id']}").json()
    assert detail["state"] == "closed" and detail["arrived_at"] is not None
    stats = dispatcher.get("/api/v1/command/stats").json()
    assert stats["overall"]["count"] >= 1
