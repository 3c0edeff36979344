"""Roles: the registry contract, permissions from the registry, built-ins kept, no escalation."""

from __future__ import annotations

from typing import Any, ClassVar

from fastapi import FastAPI

from jiaoguan.platform.auth.permissions import PERMISSIONS
from tests.conftest import ClientFactory
from tests.support.registry_contract import RegistryContract, Resolver, chinese, role, user

API = "/api/v1/roles"


class TestRoleRegistry(RegistryContract):
    api = API
    pages = "/admin/roles"
    resource = "role"
    samples = (
        {
            "code": "traffic_analyst",
            "name": "研判分析员",
            "description": "事故与路况研判",
            "permissions": ["audit.read", "org.read"],
        },
        {"code": "gate_keeper", "name": "卡口管理员", "permissions": ["org.read"]},
    )
    update: ClassVar[dict[str, Any]] = {
        "name": "研判员（高级）",
        "permissions": ["org.read", "user.read"],
    }
    invalid = ({"code": "Bad Code", "name": "坏代码", "permissions": []}, "code")
    keyword = "研判分析"


def test_builtin_and_used_roles_are_kept(app: FastAPI, as_user: ClientFactory) -> None:
    admin, ids = as_user("admin"), Resolver(app)
    builtin = admin.delete(f"{API}/{ids.id(role('leader'))}")
    assert builtin.status_code == 409 and "内置" in builtin.json()["detail"][0]["msg"]
    used = admin.post(
        API, json={"code": "used_role", "name": "在用角色", "permissions": ["org.read"]}
    )
    officer = ids.id(user("jx_officer"))
    admin.patch(f"/api/v1/users/{officer}", json={"role_ids": [used.json()["id"]]})
    in_use = admin.delete(f"{API}/{used.json()['id']}")
    assert in_use.status_code == 409 and "用户" in in_use.json()["detail"][0]["msg"]
    # Built-in roles can still be tuned.
    tuned = admin.patch(f"{API}/{ids.id(role('leader'))}", json={"description": "领导查看"})
    assert tuned.status_code == 200 and tuned.json()["builtin"] is True


def test_permissions_come_from_the_registry(as_user: ClientFactory) -> None:
    admin = as_user("admin")
    unknown = admin.post(
        API, json={"code": "odd", "name": "怪", "permissions": ["launch.missiles"]}
    )
    assert unknown.status_code == 422
    assert unknown.json()["detail"][0]["loc"][:2] == ["body", "permissions"]
    assert chinese(unknown.json()["detail"][0]["msg"])
    duplicate = admin.post(API, json={"code": "admin", "name": "重名", "permissions": []})
    assert duplicate.status_code == 409 and duplicate.json()["detail"][0]["loc"] == ["body", "code"]
    stored = admin.post(
        API, json={"code": "twice", "name": "重复权限", "permissions": ["org.read", "org.read"]}
    )
    assert stored.json()["permissions"] == ["org.read"]


def test_no_escalation_through_roles(app: FastAPI, as_user: ClientFactory) -> None:
    admin, ids = as_user("admin"), Resolver(app)
    keeper = admin.post(
        API,
        json={
            "code": "role_keeper",
            "name": "角色维护员",
            "permissions": ["role.read", "role.write"],
        },
    ).json()
    admin.patch(f"/api/v1/users/{ids.id(user('jx_duty'))}", json={"role_ids": [keeper["id"]]})
    duty = as_user("jx_duty")
    for permissions in (["*"], ["audit.read"], ["role.read", "user.write"]):
        response = duty.post(API, json={"code": "grab", "name": "夺权", "permissions": permissions})
        assert response.status_code == 403, permissions
        assert response.json()["detail"][0]["loc"] == ["body", "permissions"]
    assert (
        duty.post(
            API, json={"code": "small", "name": "小角色", "permissions": ["role.read"]}
        ).status_code
        == 201
    )
    # Its own role may be edited within its rights; the admin role may not be touched at all.
    assert (
        duty.patch(
            f"{API}/{keeper['id']}", json={"permissions": ["role.read", "role.write"]}
        ).status_code
        == 200
    )
    assert duty.patch(f"{API}/{ids.id(role('admin'))}", json={"name": "改名"}).status_code == 403


def test_role_form_lists_permissions_in_chinese(browser_as: ClientFactory) -> None:
    form = browser_as("admin").get("/admin/roles/new", headers={"Accept": "text/html"}).text
    for code, permission in PERMISSIONS.items():
        assert f'value="{code}"' in form and permission.label in form
    assert "全部权限（系统管理员）" in form
