"""Fixtures: the app on SQLite and on PostgreSQL, logged-in clients per demo account."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from jiaoguan.app import create_app
from jiaoguan.config import Settings
from tests.support.clients import api_client, web_client
from tests.support.databases import POSTGRES_ENV, PostgresTemplate, SqliteTemplate, need_service

BACKENDS = ["sqlite", "postgres"]


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> SqliteTemplate:
    return SqliteTemplate(tmp_path_factory.mktemp("sqlite"))


@pytest.fixture(scope="session")
def postgres_template() -> Iterator[PostgresTemplate]:
    template = PostgresTemplate(need_service(POSTGRES_ENV, "PostgreSQL"))
    yield template
    template.close()


@pytest.fixture(params=BACKENDS)
def database_url(request: pytest.FixtureRequest) -> Iterator[str]:
    """A fresh migrated database holding the demo organisation and accounts."""
    if request.param == "sqlite":
        yield request.getfixturevalue("sqlite_template").fresh()
        return
    template: PostgresTemplate = request.getfixturevalue("postgres_template")
    url = template.fresh()
    yield url
    template.drop(url)


@pytest.fixture
def sqlite_url(sqlite_template: SqliteTemplate) -> str:
    """For tests that exercise logic, not the backend: SQLite only."""
    return sqlite_template.fresh()


def make_settings(database_url: str, tmp_path: Path, **overrides: object) -> Settings:
    values: dict[str, object] = {
        "database_url": database_url,
        "secret_key": "test-secret",
        "data_dir": tmp_path,
        "workorder_check_seconds": 0,
        "log_level": "WARNING",
        **overrides,
    }
    return Settings(**values)  # type: ignore[arg-type]


@pytest.fixture
def app(database_url: str, tmp_path: Path) -> FastAPI:
    return create_app(make_settings(database_url, tmp_path))


@pytest.fixture
def sqlite_app(sqlite_url: str, tmp_path: Path) -> FastAPI:
    return create_app(make_settings(sqlite_url, tmp_path))


@pytest.fixture
def anonymous(app: FastAPI) -> Iterator[TestClient]:
    with TestClient(app, base_url="https://testserver", follow_redirects=False) as client:
        yield client


ClientFactory = Callable[[str], TestClient]


@pytest.fixture
def as_user(app: FastAPI) -> Iterator[ClientFactory]:
    """`as_user("jx_officer")`: an API client holding that demo account's bearer token."""
    clients: list[TestClient] = []

    def make(username: str) -> TestClient:
        client = api_client(app, username)
        client.__enter__()
        clients.append(client)
        return client

    yield make
    for client in clients:
        client.__exit__(None, None, None)


@pytest.fixture
def browser_as(app: FastAPI) -> Iterator[ClientFactory]:
    """`browser_as("admin")`: a cookie-session client that went through the login form."""
    clients: list[TestClient] = []

    def make(username: str) -> TestClient:
        client = web_client(app, username)
        client.__enter__()
        clients.append(client)
        return client

    yield make
    for client in clients:
        client.__exit__(None, None, None)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Browser tests last: Playwright's sync driver keeps an event loop running in the main
    thread for the rest of the session, which asyncio tests cannot share."""
    e2e = Path(__file__).parent / "e2e"
    items.sort(key=lambda item: e2e in Path(str(item.path)).parents)


def pytest_report_header() -> list[str]:
    return [f"postgres: {os.environ.get(POSTGRES_ENV) or 'not set (skipped)'}"]
