"""Every GA/T 1400 route refuses callers without device credentials, whatever else they hold:
strangers, a logged-in user's session, a user's bearer token, a forged Digest header."""

from __future__ import annotations

from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from jiaoguan.app import create_app
from tests.conftest import ClientFactory, make_settings
from tests.support.routes import Endpoint, device_endpoints, fill_path, send

ROUTES = device_endpoints(create_app(make_settings("sqlite:///:memory:", Path("."))))


def test_device_routes_are_found() -> None:
    labels = {e.label for e in ROUTES}
    assert {
        "POST /VIID/System/Register",
        "POST /VIID/MotorVehicles",
        "GET /VIID/Tollgates",
    } <= labels


def _assert_challenged(response: object, endpoint: Endpoint) -> None:
    status = response.status_code  # type: ignore[attr-defined]
    assert status == 401, f"{endpoint.label} answered {status}"
    headers = response.headers  # type: ignore[attr-defined]
    assert headers["www-authenticate"].startswith("Digest "), endpoint.label
    body = response.json()["ResponseStatusObject"]  # type: ignore[attr-defined]
    assert body["StatusCode"] != 0 and body["StatusString"]


@pytest.mark.parametrize("endpoint", ROUTES, ids=lambda e: e.label)
def test_device_route_refuses_strangers(anonymous: TestClient, endpoint: Endpoint) -> None:
    _assert_challenged(send(anonymous, endpoint, fill_path(endpoint.path)), endpoint)
    forged = {
        "Authorization": 'Digest username="13060000005030000002", realm="jiaoguan-viid", '
        'nonce="1.2.3", uri="/VIID/System/Register", response="0", qop=auth, nc=1, cnonce="x"'
    }
    _assert_challenged(
        send(anonymous, endpoint, fill_path(endpoint.path), headers=forged), endpoint
    )
    unknown = {"User-Identify": "13060000005030000002"}
    _assert_challenged(
        send(anonymous, endpoint, fill_path(endpoint.path), headers=unknown), endpoint
    )


@pytest.mark.parametrize("endpoint", ROUTES, ids=lambda e: e.label)
def test_device_route_refuses_users(
    app: FastAPI, as_user: ClientFactory, browser_as: ClientFactory, endpoint: Endpoint
) -> None:
    for client in (as_user("admin"), browser_as("admin")):
        _assert_challenged(send(client, endpoint, fill_path(endpoint.path)), endpoint)
