"""Checkpoints and VIID devices honour the registry contract; device passwords become Digest HA1."""

from __future__ import annotations

from typing import Any, ClassVar

from fastapi import FastAPI
from sqlalchemy import select

from jiaoguan.checkpoint.digest import digest_ha1
from jiaoguan.checkpoint.models import ViidDevice
from tests.conftest import ClientFactory
from tests.support.registry_contract import RegistryContract, unit


class TestCheckpoints(RegistryContract):
    api = "/api/v1/checkpoints"
    pages = "/checkpoint/checkpoints"
    resource = "checkpoint"
    samples = (
        {
            "code": "13060200001210000101",
            "name": "测试东卡口",
            "lon": 115.47,
            "lat": 38.87,
            "lane_count": 4,
            "unit_id": unit("130602"),
        },
        {
            "code": "13060200001210000102",
            "name": "测试桥卡口",
            "kind": "80",
            "site_kind": "bridge",
            "lon": 115.48,
            "lat": 38.86,
            "direction": "3",
            "status": "2",
            "unit_id": unit("13060201"),
        },
    )
    update: ClassVar[dict[str, Any]] = {"name": "测试东卡口（改）", "status": "9"}
    invalid = (
        {
            "code": "1306020000121",
            "name": "短编号",
            "lon": 115.4,
            "lat": 38.8,
            "unit_id": unit("130602"),
        },
        "code",
    )
    outsider = "lc_dispatcher"
    keyword = "东卡口"


class TestDevices(RegistryContract):
    api = "/api/v1/viid-devices"
    pages = "/checkpoint/devices"
    resource = "viid_device"
    samples = (
        {
            "device_id": "13060200005030000101",
            "name": "测试平台甲",
            "kind": "platform",
            "password": "device-pass-01",
            "unit_id": unit("130602"),
        },
        {
            "device_id": "13060200001190000102",
            "name": "测试相机乙",
            "password": "device-pass-02",
            "unit_id": unit("13060201"),
        },
    )
    update: ClassVar[dict[str, Any]] = {"name": "测试平台甲（改）", "enabled": False}
    invalid = (
        {
            "device_id": "abc",
            "name": "坏编号",
            "password": "device-pass-03",
            "unit_id": unit("130602"),
        },
        "device_id",
    )
    outsider = "lc_dispatcher"
    keyword = "平台甲"


def test_device_password_is_stored_as_digest_ha1(app: FastAPI, as_user: ClientFactory) -> None:
    admin = as_user("admin")
    body = {"device_id": "13060200005030000201", "name": "测试", "password": "device-pass-09"}
    units = admin.get("/api/v1/org-units", params={"q": "竞秀交警大队"}).json()["items"]
    created = admin.post("/api/v1/viid-devices", json={**body, "unit_id": units[0]["id"]})
    assert created.status_code == 201, created.text
    assert "password" not in created.json() and "digest_ha1" not in created.json()
    with app.state.db.sessions() as db:
        row = db.scalar(select(ViidDevice).where(ViidDevice.device_id == body["device_id"]))
    assert row is not None and row.digest_ha1 == digest_ha1(body["device_id"], body["password"])
