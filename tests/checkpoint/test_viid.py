"""GA/T 1400 server: Digest registration, sessions, statuses per object, replays, directories."""

from __future__ import annotations

import datetime as dt
from typing import Any

from fastapi import FastAPI
from sqlalchemy import func, select

from jiaoguan.checkpoint.digest import client_authorization
from jiaoguan.checkpoint.models import PassRecordRow, ViidDevice
from jiaoguan.checkpoint.viid import parse_compact_time
from jiaoguan.platform.db import utcnow
from tests.checkpoint.conftest import DEVICE_ID, Device, Gates, compact, vehicle


def _stored(app: FastAPI) -> int:
    with app.state.db.sessions() as db:
        return int(db.scalar(select(func.count()).select_from(PassRecordRow)) or 0)


def _statuses(response: Any) -> list[dict[str, Any]]:
    statuses: list[dict[str, Any]] = response.json()["ResponseStatusListObject"][
        "ResponseStatusObject"
    ]
    return statuses


def test_register_with_digest_then_post_with_user_identify(device: Device, gates: Gates) -> None:
    registered = device.register()
    assert registered.status_code == 200, registered.text
    assert registered.headers["content-type"].startswith("application/VIID+JSON")
    status = registered.json()["ResponseStatusObject"]
    assert status["StatusCode"] == 0 and status["Id"] == DEVICE_ID
    assert len(status["LocalTime"]) == 14
    now = utcnow() - dt.timedelta(minutes=1)
    response = device.post_vehicles([vehicle(1, gates.a, now), vehicle(2, gates.b, now)])
    assert response.status_code == 200
    assert [s["StatusCode"] for s in _statuses(response)] == [0, 0]
    keepalive = device.client.post(
        "/VIID/System/Keepalive",
        json={"KeepaliveObject": {"DeviceID": DEVICE_ID}},
        headers=device.headers(),
    )
    assert keepalive.json()["ResponseStatusObject"]["StatusCode"] == 0
    clock = device.client.get("/VIID/System/Time", headers=device.headers()).json()
    assert clock["SystemTimeObject"]["TimeZone"] == "Asia/Shanghai"
    local = parse_compact_time(clock["SystemTimeObject"]["LocalTime"])
    assert abs((local - utcnow()).total_seconds()) < 5


def test_register_challenge_and_wrong_password(device: Device, gates: Gates) -> None:
    first = device.client.post(
        "/VIID/System/Register",
        json={"RegisterObject": {"DeviceID": DEVICE_ID}},
        headers=device.headers(),
    )
    assert first.status_code == 401
    challenge = first.headers["www-authenticate"]
    assert challenge.startswith("Digest ") and 'qop="auth"' in challenge and "nonce=" in challenge
    assert device.register(password="wrong-password").status_code == 401
    # Not registered: User-Identify alone is refused, and nothing is stored.
    now = utcnow()
    refused = device.post_vehicles([vehicle(1, gates.a, now)])
    assert refused.status_code == 401
    assert refused.json()["ResponseStatusObject"]["StatusCode"] != 0
    assert _stored(device.client.app) == 0  # type: ignore[arg-type]


def test_digest_on_every_request_needs_no_registration(device: Device, gates: Gates) -> None:
    first = device.client.post("/VIID/MotorVehicles", json={}, headers=device.headers())
    assert first.status_code == 401
    body = {"MotorVehicleListObject": {"MotorVehicleObject": [vehicle(1, gates.a, utcnow())]}}
    auth = client_authorization(
        DEVICE_ID,
        "device-secret-01",
        "POST",
        "/VIID/MotorVehicles",
        first.headers["www-authenticate"],
    )
    response = device.client.post(
        "/VIID/MotorVehicles",
        json=body,
        headers={"Authorization": auth, "Content-Type": "application/json"},
    )
    assert response.status_code == 200, response.text
    assert _statuses(response)[0]["StatusCode"] == 0


def test_expired_and_unregistered_sessions_are_refused(
    app: FastAPI, device: Device, gates: Gates
) -> None:
    assert device.register().status_code == 200
    with app.state.db.transaction() as db:
        row = db.scalar(select(ViidDevice).where(ViidDevice.device_id == DEVICE_ID))
        assert row is not None and row.expires_at is not None
        row.expires_at = utcnow() - dt.timedelta(seconds=1)
    expired = device.post_vehicles([vehicle(1, gates.a, utcnow())])
    assert (
        expired.status_code == 401
        and "过期" in expired.json()["ResponseStatusObject"]["StatusString"]
    )
    assert device.register().status_code == 200
    gone = device.client.post(
        "/VIID/System/UnRegister",
        json={"UnRegisterObject": {"DeviceID": DEVICE_ID}},
        headers=device.headers(),
    )
    assert gone.status_code == 200
    assert device.post_vehicles([vehicle(1, gates.a, utcnow())]).status_code == 401
    assert _stored(app) == 0


def test_one_status_per_object_good_ones_stored(app: FastAPI, device: Device, gates: Gates) -> None:
    assert device.register().status_code == 200
    now = utcnow() - dt.timedelta(minutes=5)
    missing_time = vehicle(3, gates.a, now)
    del missing_time["PassTime"]
    objects: list[Any] = [
        vehicle(1, gates.a, now),
        vehicle(2, gates.a, now, TollgateID="13060200001219999999"),  # not registered
        missing_time,
        vehicle(4, gates.b, now + dt.timedelta(days=2)),  # in the future
        "not an object",
        vehicle(6, gates.b, now, PlateNo="ｊｉ冀Ｆ·１２３４５"),
        vehicle(7, gates.b, now, Speed="fast"),
    ]
    response = device.post_vehicles(objects, content_type="application/json")
    assert response.status_code == 200
    statuses = _statuses(response)
    assert [s["StatusCode"] for s in statuses] == [0, 8, 8, 8, 8, 0, 8]
    assert "未登记" in statuses[1]["StatusString"]
    assert "PassTime" in statuses[2]["StatusString"]
    assert statuses[0]["Id"] == objects[0]["MotorVehicleID"]
    assert _stored(app) == 2


def test_bad_json_and_wrong_envelope(app: FastAPI, device: Device, gates: Gates) -> None:
    assert device.register().status_code == 200
    broken = device.client.post(
        "/VIID/MotorVehicles", content=b'{"MotorVehicleListObject": [', headers=device.headers()
    )
    assert broken.status_code == 400
    assert broken.json()["ResponseStatusObject"]["StatusCode"] == 7
    envelope = device.client.post(
        "/VIID/MotorVehicles", json={"MotorVehicles": []}, headers=device.headers()
    )
    assert envelope.status_code == 400
    assert envelope.json()["ResponseStatusObject"]["StatusCode"] == 8
    empty = device.client.post(
        "/VIID/MotorVehicles",
        json={"MotorVehicleListObject": {"MotorVehicleObject": []}},
        headers=device.headers(),
    )
    assert empty.json()["ResponseStatusObject"]["StatusCode"] == 8
    assert _stored(app) == 0


def test_replayed_batch_stores_nothing_twice(app: FastAPI, device: Device, gates: Gates) -> None:
    assert device.register().status_code == 200
    now = utcnow() - dt.timedelta(minutes=2)
    batch = [vehicle(n, gates.a, now + dt.timedelta(seconds=n)) for n in range(50)]
    for _ in range(3):
        response = device.post_vehicles(batch)
        assert {s["StatusCode"] for s in _statuses(response)} == {0}
    doubled = device.post_vehicles(batch[:10] + batch[:10])
    assert len(_statuses(doubled)) == 20
    assert _stored(app) == 50


def test_tollgates_and_lanes_from_the_registry(device: Device, gates: Gates) -> None:
    assert device.register().status_code == 200
    listed = device.client.get("/VIID/Tollgates", headers=device.headers()).json()
    objects = listed["TollgateListObject"]["TollgateObject"]
    assert {o["TollgateID"] for o in objects} == {gates.a.code, gates.b.code, gates.c.code}
    one = objects[0]
    assert one["Status"] == "1" and one["TollgateCat"] == "81" and one["LaneNum"] == 2
    lanes = device.client.get(
        "/VIID/Lanes", params={"TollgateID": gates.a.code}, headers=device.headers()
    ).json()["LaneListObject"]["LaneObject"]
    assert sorted(lane["LaneNo"] for lane in lanes) == [1, 2]
    assert {lane["TollgateID"] for lane in lanes} == {gates.a.code}


def test_compact_time_is_beijing_local() -> None:
    assert parse_compact_time("20261124080000") == dt.datetime(2026, 11, 24, 0, 0, tzinfo=dt.UTC)
    assert compact(dt.datetime(2026, 11, 24, 0, 0, tzinfo=dt.UTC)) == "20261124080000"


def test_digest_response_is_bound_to_the_uri(device: Device, gates: Gates) -> None:
    first = device.client.post("/VIID/System/Register", json={}, headers=device.headers())
    other_uri = client_authorization(
        DEVICE_ID,
        "device-secret-01",
        "POST",
        "/VIID/System/Keepalive",
        first.headers["www-authenticate"],
    )
    body = {"RegisterObject": {"DeviceID": DEVICE_ID}}
    response = device.client.post(
        "/VIID/System/Register", json=body, headers={**device.headers(), "Authorization": other_uri}
    )
    assert response.status_code == 401
    assert "uri" in response.json()["ResponseStatusObject"]["StatusString"]
