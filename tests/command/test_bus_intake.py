"""Incidents requested over the bus (video analytics, detectors): registered once, as the system,
routed by the rules; a malformed request is refused without blocking the consumer."""

from __future__ import annotations

import time

from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import select

from jiaoguan.command import events as ev
from jiaoguan.command.models import CommandLevel, Incident, IncidentLog
from jiaoguan.command.subscribers import take
from jiaoguan.platform.events import emit

SCENE = (115.451, 38.877)


def _request(**more: object) -> ev.IntakeRequested:
    fields: dict[str, object] = {
        "source": "video",
        "kind": "pedestrian_elevated",
        "place": "东风路高架（视频点位 V-12）",
        "lon": SCENE[0],
        "lat": SCENE[1],
        "summary": "视频分析：行人在高架上行走",
        **more,
    }
    return ev.IntakeRequested.model_validate(fields)


def _registered(app: FastAPI, summary: str) -> Incident | None:
    with app.state.db.sessions() as db:
        return db.scalar(select(Incident).where(Incident.summary == summary))


def test_a_requested_incident_arrives_through_the_bus(city_app: FastAPI) -> None:
    request = _request()
    with TestClient(city_app):  # the lifespan runs the bus, the relay and the consumers
        with city_app.state.db.transaction() as db:
            emit(db, request)
        deadline = time.monotonic() + 15
        while _registered(city_app, request.summary) is None and time.monotonic() < deadline:
            time.sleep(0.1)
    incident = _registered(city_app, request.summary)
    assert incident is not None
    assert incident.command_level == CommandLevel.detachment  # 行人上高架: the demo rule
    assert incident.created_by_user_id is None and incident.source.value == "video"
    with city_app.state.db.sessions() as db:
        log = db.scalar(select(IncidentLog).where(IncidentLog.incident_id == incident.id))
        assert log is not None and log.actor_name == "系统"
    # Delivered again (at-least-once): registered only once.
    assert take(city_app.state.db, request) is None


def test_a_malformed_request_is_refused(city_app: FastAPI) -> None:
    assert take(city_app.state.db, _request(kind="飞碟", summary="坏请求一")) is None
    assert take(city_app.state.db, _request(lon=0.0, lat=91.0, summary="坏请求二")) is None
    assert _registered(city_app, "坏请求一") is None
    good = take(city_app.state.db, _request(summary="好请求"))
    assert good is not None and _registered(city_app, "好请求") is not None
