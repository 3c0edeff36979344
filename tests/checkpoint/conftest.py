"""Checkpoints, lanes and a VIID device in the test database, and a device-side VIID client."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import select

from jiaoguan.checkpoint.digest import client_authorization, digest_ha1
from jiaoguan.checkpoint.models import Checkpoint, DeviceKind, Lane, SiteKind, ViidDevice
from jiaoguan.platform.auth.models import OrgUnit
from tests.support.clients import BASE_URL

BEIJING = ZoneInfo("Asia/Shanghai")
DEVICE_ID = "13060200005030000009"
DEVICE_PASSWORD = "device-secret-01"
VIID_JSON = "application/VIID+JSON;charset=UTF-8"


@dataclass(frozen=True)
class Gate:
    id: int
    code: str
    unit: str


@dataclass(frozen=True)
class Gates:
    """Two checkpoints of 竞秀 (a, b) and one of 莲池 (c)."""

    a: Gate
    b: Gate
    c: Gate


def gate_code(seq: int) -> str:
    return f"1306020000121{seq:07d}"


def add_gates(app: FastAPI) -> Gates:
    with app.state.db.transaction() as db:
        units = {u.code: u.id for u in db.scalars(select(OrgUnit))}
        made = []
        for seq, (unit, lon) in enumerate(
            (("130602", 115.46), ("130602", 115.47), ("130606", 115.50)), start=1
        ):
            gate = Checkpoint(
                code=gate_code(seq),
                name=f"测试卡口{seq}",
                site_kind=SiteKind.intersection,
                lon=lon,
                lat=38.87,
                lane_count=2,
                unit_id=units[unit],
            )
            gate.lanes = [Lane(lane_no=1), Lane(lane_no=2)]
            db.add(gate)
            db.flush()
            made.append(Gate(gate.id, gate.code, unit))
        db.add(
            ViidDevice(
                device_id=DEVICE_ID,
                name="测试平台",
                kind=DeviceKind.platform,
                unit_id=units["130600"],
                digest_ha1=digest_ha1(DEVICE_ID, DEVICE_PASSWORD),
            )
        )
    return Gates(*made)


@pytest.fixture
def gates(app: FastAPI) -> Gates:
    return add_gates(app)


class Device:
    """A GA/T 1400 device talking to the app: Digest registration, then User-Identify."""

    def __init__(self, client: TestClient, device_id: str = DEVICE_ID) -> None:
        self.client = client
        self.device_id = device_id

    def headers(self, content_type: str = VIID_JSON) -> dict[str, str]:
        return {"User-Identify": self.device_id, "Content-Type": content_type}

    def register(self, password: str = DEVICE_PASSWORD) -> Any:
        body = {"RegisterObject": {"DeviceID": self.device_id}}
        first = self.client.post("/VIID/System/Register", json=body, headers=self.headers())
        assert first.status_code == 401, first.text
        auth = client_authorization(
            self.device_id,
            password,
            "POST",
            "/VIID/System/Register",
            first.headers["www-authenticate"],
        )
        return self.client.post(
            "/VIID/System/Register",
            json=body,
            headers={**self.headers(), "Authorization": auth},
        )

    def post_vehicles(self, objects: list[Any], content_type: str = VIID_JSON) -> Any:
        body = {"MotorVehicleListObject": {"MotorVehicleObject": objects}}
        return self.client.post(
            "/VIID/MotorVehicles", json=body, headers=self.headers(content_type)
        )


@pytest.fixture
def device(app: FastAPI, gates: Gates) -> Iterator[Device]:
    with TestClient(app, base_url=BASE_URL) as client:
        yield Device(client)


def compact(at: dt.datetime) -> str:
    return at.astimezone(BEIJING).strftime("%Y%m%d%H%M%S")


def vehicle(
    n: int, gate: Gate, at: dt.datetime, plate: str = "冀F12345", **more: Any
) -> dict[str, Any]:
    """A MotorVehicleObject as devices send it (48-character id)."""
    source = f"{gate.code}02{compact(at)}{n:05d}"
    return {
        "MotorVehicleID": f"{source}02{n:05d}",
        "InfoKind": 1,
        "SourceID": source,
        "TollgateID": gate.code,
        "LaneNo": 1,
        "PassTime": compact(at),
        "HasPlate": "1",
        "PlateNo": plate,
        "PlateColor": "5",
        "PlateClass": "02",
        "VehicleClass": "K33",
        "VehicleColor": "2",
        "VehicleBrand": "大众",
        "Speed": 42,
        **more,
    }
