"""The audit log records writes and logins, is searchable within scope, and cannot be changed."""

from __future__ import annotations

import pytest
from fastapi import FastAPI
from sqlalchemy import select, text
from sqlalchemy.exc import DatabaseError

from jiaoguan.platform.audit.models import AuditEntry
from tests.conftest import ClientFactory


def test_login_is_audited_and_searchable(as_user: ClientFactory) -> None:
    as_user("jx_officer")
    leader = as_user("leader")
    page = leader.get("/api/v1/audit", params={"username": "jx_officer", "action": "login"}).json()
    assert page["total"] >= 1
    entry = page["items"][0]
    assert entry["resource"] == "api_token" and entry["ip"]


def test_audit_scope_follows_the_org_tree(as_user: ClientFactory, app: FastAPI) -> None:
    as_user("lc_officer")
    database = app.state.db
    with database.transaction() as session:
        # Give the 竞秀 duty manager the right to read the audit log, nothing more.
        session.execute(
            text("UPDATE role SET permissions = :p WHERE code = 'duty_manager'"),
            {"p": '["audit.read"]'},
        )
    jx = as_user("jx_duty")
    names = {e["username"] for e in jx.get("/api/v1/audit", params={"limit": 500}).json()["items"]}
    assert "lc_officer" not in names
    assert "jx_duty" in names


def test_officer_cannot_read_audit(as_user: ClientFactory) -> None:
    assert as_user("jx_officer").get("/api/v1/audit").status_code == 403


def test_bad_filters_are_422_in_chinese(as_user: ClientFactory) -> None:
    response = as_user("admin").get("/api/v1/audit", params={"limit": 0, "since": "yesterday"})
    assert response.status_code == 422
    messages = {tuple(d["loc"]): d["msg"] for d in response.json()["detail"]}
    assert messages[("query", "limit")].startswith("数值过小")
    assert "日期时间" in messages[("query", "since")]


def test_audit_log_is_append_only_in_the_database(as_user: ClientFactory, app: FastAPI) -> None:
    as_user("admin")
    database = app.state.db
    for statement in ("UPDATE audit_log SET reason = 'x'", "DELETE FROM audit_log"):
        with pytest.raises(DatabaseError), database.transaction() as session:
            session.execute(text(statement))
    with database.sessions() as session:
        assert session.scalars(select(AuditEntry)).first() is not None


def test_audit_page_renders_in_chinese(browser_as: ClientFactory) -> None:
    page = browser_as("admin").get("/admin/audit", headers={"Accept": "text/html"})
    assert page.status_code == 200
    assert "审计日志" in page.text and "登录" in page.text
