"""Bearer tokens issued straight in the database, for accounts that cannot log in (devices)."""

from __future__ import annotations

from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import select

from jiaoguan.platform.auth import service
from jiaoguan.platform.auth.models import User
from jiaoguan.platform.db import Database
from tests.support.clients import BASE_URL


def mint_token(app: FastAPI, username: str, name: str = "测试令牌") -> str:
    """A fresh token for `username`, issued as an administrator would for a device."""
    database: Database = app.state.db
    with database.transaction() as session:
        user = session.scalar(select(User).where(User.username == username))
        assert user is not None, f"no account {username}"
        _, plain = service.issue_token(session, user, name, days=1)
    return str(plain)


def token_client(app: FastAPI, username: str) -> TestClient:
    client = TestClient(app, base_url=BASE_URL, follow_redirects=False)
    client.headers["Authorization"] = f"Bearer {mint_token(app, username)}"
    return client
