"""The API token page: list in scope, issue for a device showing the value once, revoke."""

from __future__ import annotations

import re

from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import select

from jiaoguan.platform.audit.models import AuditEntry
from tests.conftest import ClientFactory
from tests.support.clients import BASE_URL
from tests.support.registry_contract import Resolver, role, unit, user

HTML = {"Accept": "text/html"}
PLAIN = re.compile(r'id="token-plain" value="(jg_[^"]+)"')


def _issue(browser: TestClient, device_id: int, name: str = "卡口上报") -> str:
    page = browser.post(
        "/admin/tokens", data={"user_id": str(device_id), "name": name, "days": "30"}
    )
    assert page.status_code == 200, page.text
    found = PLAIN.search(page.text)
    assert found, "the plain token is not shown"
    return found.group(1)


def test_issue_use_and_revoke_a_device_token(app: FastAPI, browser_as: ClientFactory) -> None:
    browser, ids = browser_as("admin"), Resolver(app)
    device = ids.id(user("device-demo"))
    plain = _issue(browser, device)
    listing = browser.get("/admin/tokens", headers=HTML).text
    assert "卡口上报" in listing and plain[:10] in listing
    assert plain not in listing, "the plain value is shown only once"
    with TestClient(app, base_url=BASE_URL) as device_client:
        device_client.headers["Authorization"] = f"Bearer {plain}"
        assert device_client.get("/api/v1/auth/me").json()["username"] == "device-demo"
        token_id = int(re.findall(r"/admin/tokens/(\d+)/revoke", listing)[0])
        revoked = browser.post(f"/admin/tokens/{token_id}/revoke")
        assert revoked.status_code == 303
        assert device_client.get("/api/v1/auth/me").status_code == 401
    assert "令牌已吊销" in browser.get(revoked.headers["location"], headers=HTML).text
    with app.state.db.sessions() as session:
        actions = set(
            session.scalars(select(AuditEntry.action).where(AuditEntry.resource == "api_token"))
        )
    assert {"create", "revoke"} <= actions


def test_only_devices_get_tokens_here(app: FastAPI, browser_as: ClientFactory) -> None:
    browser, ids = browser_as("admin"), Resolver(app)
    person = browser.post(
        "/admin/tokens", data={"user_id": str(ids.id(user("jx_officer"))), "name": "人员"}
    )
    assert person.status_code == 422 and "设备账号" in person.text
    nameless = browser.post("/admin/tokens", data={"user_id": str(ids.id(user("device-demo")))})
    assert nameless.status_code == 422 and "必填" in nameless.text
    assert not PLAIN.search(nameless.text)


def test_tokens_are_listed_within_scope(
    app: FastAPI, as_user: ClientFactory, browser_as: ClientFactory
) -> None:
    admin, ids = as_user("admin"), Resolver(app)
    as_user("lc_officer")  # a password login issues a 莲池 token
    manager = admin.post(
        "/api/v1/roles",
        json={"code": "token_keeper", "name": "令牌管理员", "permissions": ["token.manage"]},
    ).json()
    admin.patch(
        f"/api/v1/users/{ids.id(user('jx_duty'))}",
        json={"role_ids": [manager["id"], ids.id(role("duty_manager"))]},
    )
    camera = admin.post(
        "/api/v1/users",
        json={
            "username": "jx_camera",
            "full_name": "竞秀卡口",
            "kind": "device",
            "unit_id": ids.id(unit("1306020101")),
        },
    ).json()
    jx = browser_as("jx_duty")
    page = jx.get("/admin/tokens?all=1", headers=HTML).text
    assert "郑民警" not in page and "lc_officer" not in page
    assert f'value="{camera["id"]}"' in page and "device-demo" not in page
    _issue(jx, camera["id"], "竞秀卡口上报")
    lc_token = as_user("lc_officer").get("/api/v1/auth/tokens").json()[0]["id"]
    assert jx.post(f"/admin/tokens/{lc_token}/revoke", headers=HTML).status_code == 404


def test_the_page_needs_token_management(browser_as: ClientFactory) -> None:
    officer = browser_as("jx_officer")
    assert officer.get("/admin/tokens", headers=HTML).status_code == 403
    assert officer.post("/admin/tokens", data={"name": "x"}, headers=HTML).status_code == 403
