"""Users: the registry contract, no privilege escalation, passwords and devices, deactivation."""

from __future__ import annotations

import io
from typing import Any, ClassVar

import openpyxl
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import select

from jiaoguan.platform.audit.models import AuditEntry
from tests.conftest import ClientFactory
from tests.support.clients import BASE_URL, api_client
from tests.support.registry_contract import (
    RegistryContract,
    Resolver,
    chinese,
    role,
    unit,
    user,
)

API = "/api/v1/users"
NEW_PASSWORD = "Chaoyang2026x"


class TestUserRegistry(RegistryContract):
    api = API
    pages = "/admin/users"
    resource = "user"
    samples = (
        {
            "username": "jx_new_officer",
            "full_name": "新来民警",
            "kind": "police",
            "unit_id": unit("13060201"),
            "badge_no": "130688",
            "role_ids": [role("officer")],
            "password": NEW_PASSWORD,
        },
        {
            "username": "jx_camera_01",
            "full_name": "朝阳大街卡口设备",
            "kind": "device",
            "unit_id": unit("1306020101"),
            "role_ids": [role("device")],
        },
    )
    update: ClassVar[dict[str, Any]] = {
        "full_name": "新来民警（调岗）",
        "unit_id": unit("13060202"),
        "role_ids": [role("grid_worker")],
    }
    invalid = (
        {
            "username": "jx_weak",
            "full_name": "弱密码",
            "kind": "police",
            "unit_id": unit("13060201"),
            "password": "short",
        },
        "password",
    )
    outsider = "lc_dispatcher"
    in_scope = user("jx_officer")
    keyword = "新来民警"


def _brigade_admin(app: FastAPI, as_user: ClientFactory) -> TestClient:
    """jx_duty turned into a 竞秀 user administrator (users, org units, no more)."""
    admin, ids = as_user("admin"), Resolver(app)
    keeper = admin.post(
        "/api/v1/roles",
        json={
            "code": "user_keeper",
            "name": "用户维护员",
            "permissions": ["user.read", "user.write", "org.read", "role.read"],
        },
    ).json()
    response = admin.patch(f"{API}/{ids.id(user('jx_duty'))}", json={"role_ids": [keeper["id"]]})
    assert response.status_code == 200, response.text
    return as_user("jx_duty")


def test_no_privilege_escalation(app: FastAPI, as_user: ClientFactory) -> None:
    keeper, ids = _brigade_admin(app, as_user), Resolver(app)
    body = {
        "username": "jx_sneaky",
        "full_name": "越权者",
        "unit_id": ids.id(unit("13060201")),
        "password": NEW_PASSWORD,
    }
    for code in ("admin", "dispatcher"):  # "*" and workorder/push permissions it lacks
        refused = keeper.post(API, json={**body, "role_ids": [ids.id(role(code))]})
        assert refused.status_code == 403, refused.text
        assert refused.json()["detail"][0]["loc"] == ["body", "role_ids"]
        assert chinese(refused.json()["detail"][0]["msg"])
    lianchi = keeper.post(API, json={**body, "unit_id": ids.id(unit("13060601"))})
    assert lianchi.status_code == 422 and lianchi.json()["detail"][0]["loc"] == ["body", "unit_id"]
    assert keeper.post(API, json=body).status_code == 201
    # Nor can it raise an existing colleague's rights, or touch a stronger account in scope.
    officer = ids.id(user("jx_officer"))
    grant = keeper.patch(f"{API}/{officer}", json={"role_ids": [ids.id(role("admin"))]})
    assert grant.status_code == 403
    dispatcher = ids.id(user("jx_dispatcher"))  # holds permissions jx_duty now lacks
    assert keeper.patch(f"{API}/{dispatcher}", json={"full_name": "改名"}).status_code == 403
    reset = keeper.post(f"{API}/{dispatcher}/reset-password", json={"password": NEW_PASSWORD})
    assert reset.status_code == 403
    assert keeper.delete(f"{API}/{dispatcher}").status_code == 403
    # The root administrator is out of its scope altogether.
    assert keeper.get(f"{API}/{ids.id(user('admin'))}").status_code == 404


def test_people_need_a_good_password_and_devices_none(app: FastAPI, as_user: ClientFactory) -> None:
    admin, ids = as_user("admin"), Resolver(app)
    base = {"unit_id": ids.id(unit("13060201")), "full_name": "测试"}
    missing = admin.post(API, json={**base, "username": "p1", "kind": "police"})
    assert missing.status_code == 422 and missing.json()["detail"][0]["loc"] == ["body", "password"]
    device_pw = admin.post(
        API, json={**base, "username": "d1", "kind": "device", "password": NEW_PASSWORD}
    )
    assert device_pw.status_code == 422
    device = admin.post(API, json={**base, "username": "d2", "kind": "device"})
    assert device.status_code == 201
    with TestClient(app, base_url=BASE_URL) as anonymous:
        login = anonymous.post("/api/v1/auth/token", json={"username": "d2", "password": "x"})
        assert login.status_code == 401
    reset = admin.post(
        f"{API}/{device.json()['id']}/reset-password", json={"password": NEW_PASSWORD}
    )
    assert reset.status_code == 422 and chinese(reset.json()["detail"][0]["msg"])


def test_reset_password_unlocks_signs_out_and_is_audited(
    app: FastAPI, as_user: ClientFactory, browser_as: ClientFactory
) -> None:
    admin, ids = as_user("admin"), Resolver(app)
    officer_id = ids.id(user("jx_officer"))
    browser = browser_as("jx_officer")
    assert browser.get("/account", headers={"Accept": "text/html"}).status_code == 200
    weak = admin.post(f"{API}/{officer_id}/reset-password", json={"password": "abc"})
    assert weak.status_code == 422 and weak.json()["detail"][0]["loc"] == ["body", "password"]
    assert (
        admin.post(
            f"{API}/{officer_id}/reset-password", json={"password": NEW_PASSWORD}
        ).status_code
        == 204
    )
    # The web session opened with the old password has ended; the new password works.
    assert browser.get("/account", headers={"Accept": "text/html"}).status_code == 303
    with api_client(app, "jx_officer", NEW_PASSWORD) as fresh:
        assert fresh.get("/api/v1/auth/me").status_code == 200
    with app.state.db.sessions() as session:
        entry = session.scalar(select(AuditEntry).where(AuditEntry.action == "reset_password"))
    assert entry is not None and entry.resource_id == str(officer_id)
    assert NEW_PASSWORD not in str(entry.detail)


def test_deactivation_blocks_login_but_not_for_oneself(
    app: FastAPI, as_user: ClientFactory
) -> None:
    admin, ids = as_user("admin"), Resolver(app)
    officer = as_user("jx_officer")
    assert (
        admin.patch(f"{API}/{ids.id(user('jx_officer'))}", json={"is_active": False}).status_code
        == 200
    )
    assert officer.get("/api/v1/auth/me").status_code == 401
    own = admin.patch(f"{API}/{ids.id(user('admin'))}", json={"is_active": False})
    assert own.status_code == 422 and own.json()["detail"][0]["loc"] == ["body", "is_active"]
    assert admin.delete(f"{API}/{ids.id(user('admin'))}").status_code == 409


def test_password_hashes_never_leave(
    app: FastAPI, as_user: ClientFactory, browser_as: ClientFactory
) -> None:
    admin = as_user("admin")
    listed = admin.get(API, params={"limit": 500}).text
    assert "argon2" not in listed and "password" not in listed
    exported = admin.get(f"{API}/export").content
    sheet = openpyxl.load_workbook(io.BytesIO(exported)).worksheets[0]
    cells = " ".join(str(c) for row in sheet.iter_rows(values_only=True) for c in row)
    assert "argon2" not in cells
    detail = browser_as("admin").get(f"/admin/users/{Resolver(app).id(user('jx_officer'))}/edit")
    assert "argon2" not in detail.text


def test_user_page_actions(app: FastAPI, browser_as: ClientFactory) -> None:
    browser, ids = browser_as("admin"), Resolver(app)
    officer = ids.id(user("jx_officer"))
    weak = browser.post(f"/admin/users/{officer}/reset-password", data={"password": "abc"})
    assert weak.status_code == 422 and "密码至少 10 位" in weak.text
    done = browser.post(f"/admin/users/{officer}/reset-password", data={"password": NEW_PASSWORD})
    assert done.status_code == 303
    assert (
        "密码已重置" in browser.get(done.headers["location"], headers={"Accept": "text/html"}).text
    )
    off = browser.post(f"/admin/users/{officer}/active", data={"active": "false"})
    assert off.status_code == 303
    assert browser.get(f"{API}/{officer}").json()["is_active"] is False
    on = browser.post(f"/admin/users/{officer}/active", data={"active": "true"})
    assert on.status_code == 303 and browser.get(f"{API}/{officer}").json()["is_active"] is True
    own = browser.post(f"/admin/users/{ids.id(user('admin'))}/active", data={"active": "false"})
    assert own.status_code == 422 and "不能停用本人账号" in own.text


def test_filters_by_unit_subtree_role_and_state(app: FastAPI, as_user: ClientFactory) -> None:
    admin, ids = as_user("admin"), Resolver(app)

    def names(**params: object) -> set[str]:
        items = admin.get(API, params={"limit": 500, **params}).json()["items"]
        # The command module's demo seeds one account per generated officer (jy<警号>): not
        # the accounts this test is about.
        return {u["username"] for u in items if not u["username"].startswith("jy")}

    assert names(unit_id=ids.id(unit("130602"))) == {
        "jx_dispatcher",
        "jx_duty",
        "jx_officer",
        "jx_aux",
        "grid_worker",
    }
    assert names(role_id=ids.id(role("dispatcher"))) == {
        "dispatcher",
        "jx_dispatcher",
        "lc_dispatcher",
    }
    assert names(kind="auxiliary") == {"jx_aux"}
    assert "device-demo" in names(is_active=True)
    assert names(is_active=False) == set()
    assert "admin" in names(last_login_at_from="2000-01-01")
    assert "jx_aux" not in names(last_login_at_from="2000-01-01")
