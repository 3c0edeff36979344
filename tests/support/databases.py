"""Fresh, migrated, demo-seeded databases for tests, on SQLite and on a real PostgreSQL."""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from jiaoguan.platform import migrate
from jiaoguan.platform.db import Database

DEMO_PASSWORD = "test-Password-2026"
POSTGRES_ENV = "JG_TEST_POSTGRES_URL"
NATS_ENV = "JG_TEST_NATS_URL"


def services_required() -> bool:
    return os.environ.get("JG_REQUIRE_SERVICES") == "1"


def need_service(env: str, what: str) -> str:
    """The service URL from the environment; skip (or fail in CI) when it is not given."""
    value = os.environ.get(env, "")
    if not value:
        message = f"{env} is not set: {what} tests need a real server"
        if services_required():
            pytest.fail(message + " (JG_REQUIRE_SERVICES=1)")
        pytest.skip(message)
    return value


def seed_template(url: str) -> None:
    from jiaoguan.demo import seed_everything

    migrate.upgrade(url)
    database = Database(url)
    try:
        with database.transaction() as session:
            seed_everything(session, DEMO_PASSWORD)
    finally:
        database.dispose()


class SqliteTemplate:
    """One migrated and seeded SQLite file; each test gets a copy of it."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.template = folder / "template.db"
        seed_template(f"sqlite:///{self.template}")

    def fresh(self) -> str:
        target = self.folder / f"{uuid.uuid4().hex}.db"
        shutil.copyfile(self.template, target)
        return f"sqlite:///{target}"


def _admin_url(url: str) -> str:
    return make_url(url).set(drivername="postgresql+psycopg").render_as_string(hide_password=False)


class PostgresTemplate:
    """A migrated and seeded template database; each test gets CREATE DATABASE ... TEMPLATE."""

    def __init__(self, server_url: str) -> None:
        self.server_url = _admin_url(server_url)
        self.prefix = f"jg_test_{os.getpid()}_{uuid.uuid4().hex[:6]}"
        self.template = f"{self.prefix}_tpl"
        self.created: list[str] = []
        self._execute(f'CREATE DATABASE "{self.template}"')
        seed_template(self._url(self.template))

    def _url(self, name: str) -> str:
        return make_url(self.server_url).set(database=name).render_as_string(hide_password=False)

    def _execute(self, sql: str) -> None:
        engine = create_engine(self.server_url, isolation_level="AUTOCOMMIT")
        try:
            with engine.connect() as conn:
                conn.execute(text(sql))
        finally:
            engine.dispose()

    def fresh(self) -> str:
        name = f"{self.prefix}_{len(self.created)}"
        self._execute(f'CREATE DATABASE "{name}" TEMPLATE "{self.template}"')
        self.created.append(name)
        return self._url(name)

    def drop(self, url: str) -> None:
        name = make_url(url).database
        self._execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    def close(self) -> None:
        self._execute(f'DROP DATABASE IF EXISTS "{self.template}" WITH (FORCE)')


@contextmanager
def scratch_postgres(server_url: str) -> Iterator[str]:
    """An empty database for migration tests."""
    admin = _admin_url(server_url)
    name = f"jg_scratch_{uuid.uuid4().hex[:10]}"
    engine = create_engine(admin, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield make_url(admin).set(database=name).render_as_string(hide_password=False)
    finally:
        with engine.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        engine.dispose()
