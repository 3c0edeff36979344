"""Login, lockout, sessions, CSRF, tokens and the unauthenticated refusals."""

from __future__ import annotations

from fastapi import FastAPI
from fastapi.testclient import TestClient

from tests.conftest import ClientFactory
from tests.support.clients import BASE_URL, csrf_of
from tests.support.databases import DEMO_PASSWORD


def test_api_requires_authentication(anonymous: TestClient) -> None:
    response = anonymous.get("/api/v1/auth/me")
    assert response.status_code == 401
    assert response.json()["detail"][0]["msg"] == "请先登录"


def test_pages_redirect_to_login(anonymous: TestClient) -> None:
    response = anonymous.get("/admin/audit", headers={"Accept": "text/html"})
    assert response.status_code == 303
    assert response.headers["location"].startswith("/login?next=/admin/audit")


def test_password_token_and_me(as_user: ClientFactory) -> None:
    client = as_user("jx_officer")
    me = client.get("/api/v1/auth/me").json()
    assert me["username"] == "jx_officer"
    assert "officer" in me["roles"]
    assert "workorder.handle" in me["permissions"]


def test_wrong_password_is_refused_in_chinese(anonymous: TestClient) -> None:
    response = anonymous.post("/api/v1/auth/token", json={"username": "admin", "password": "nope"})
    assert response.status_code == 401
    assert response.json()["detail"][0]["msg"] == "用户名或密码错误"


def test_lockout_after_repeated_failures(anonymous: TestClient) -> None:
    for _ in range(5):
        anonymous.post("/api/v1/auth/token", json={"username": "jx_aux", "password": "bad"})
    response = anonymous.post(
        "/api/v1/auth/token", json={"username": "jx_aux", "password": DEMO_PASSWORD}
    )
    assert response.status_code == 401
    assert "锁定" in response.json()["detail"][0]["msg"]


def test_web_login_logout_and_csrf(app: FastAPI) -> None:
    with TestClient(app, base_url=BASE_URL, follow_redirects=False) as client:
        client.get("/login")
        bad = client.post(
            "/login", data={"username": "admin", "password": DEMO_PASSWORD, "csrf_token": "x"}
        )
        assert bad.status_code == 403
        ok = client.post(
            "/login",
            data={"username": "admin", "password": DEMO_PASSWORD, "csrf_token": csrf_of(client)},
        )
        assert ok.status_code == 303
        cookie = ok.headers["set-cookie"]
        assert "HttpOnly" in cookie and "Secure" in cookie and "SameSite=lax" in cookie
        assert client.get("/", headers={"Accept": "text/html"}).status_code == 200
        # A cookie-authenticated write without the CSRF token is refused.
        assert client.post("/logout").status_code == 403
        out = client.post("/logout", data={"csrf_token": csrf_of(client)})
        assert out.status_code == 303
        assert client.get("/", headers={"Accept": "text/html"}).status_code == 303


def test_wrong_login_shows_chinese_error(anonymous: TestClient) -> None:
    anonymous.get("/login")
    response = anonymous.post(
        "/login",
        data={"username": "admin", "password": "wrong", "csrf_token": csrf_of(anonymous)},
    )
    assert response.status_code == 401
    assert "用户名或密码错误" in response.text


def test_open_redirect_is_refused(anonymous: TestClient) -> None:
    anonymous.get("/login")
    response = anonymous.post(
        "/login",
        data={
            "username": "admin",
            "password": DEMO_PASSWORD,
            "csrf_token": csrf_of(anonymous),
            "next": "//evil.example/",
        },
    )
    assert response.headers["location"] == "/"


def test_device_token_lifecycle(as_user: ClientFactory, anonymous: TestClient) -> None:
    admin = as_user("admin")
    users = admin.get("/api/v1/auth/me").json()
    assert users["username"] == "admin"
    device_id = _user_id(admin, "device-demo")
    issued = admin.post("/api/v1/auth/tokens", json={"name": "卡口前端", "user_id": device_id})
    assert issued.status_code == 201, issued.text
    token = issued.json()["token"]
    me = anonymous.get("/api/v1/auth/me", headers={"Authorization": f"Bearer {token}"})
    assert me.json()["kind"] == "device"
    assert admin.delete(f"/api/v1/auth/tokens/{issued.json()['id']}").status_code == 204
    again = anonymous.get("/api/v1/auth/me", headers={"Authorization": f"Bearer {token}"})
    assert again.status_code == 401


def test_officer_cannot_issue_tokens_for_others(as_user: ClientFactory) -> None:
    officer = as_user("jx_officer")
    response = officer.post("/api/v1/auth/tokens", json={"name": "x", "user_id": 1})
    assert response.status_code == 403


def test_devices_cannot_log_in_with_password(anonymous: TestClient) -> None:
    response = anonymous.post(
        "/api/v1/auth/token", json={"username": "device-demo", "password": DEMO_PASSWORD}
    )
    assert response.status_code == 401


def _user_id(client: TestClient, username: str) -> int:
    from sqlalchemy import select

    from jiaoguan.platform.auth.models import User

    database = client.app.state.db  # type: ignore[attr-defined]
    with database.sessions() as session:
        return int(session.scalar(select(User.id).where(User.username == username)))
