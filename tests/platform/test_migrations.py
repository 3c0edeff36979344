"""The migration chain: one line of revisions that goes up and down on SQLite and PostgreSQL,
ends in exactly the schema the models describe, and keeps the audit log append-only."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, inspect, text
from sqlalchemy.exc import DatabaseError

from jiaoguan.models import Base
from jiaoguan.platform import migrate
from jiaoguan.platform.db import make_engine
from tests.support.databases import POSTGRES_ENV, need_service, scratch_postgres, seed_template


@pytest.fixture(params=["sqlite", "postgres"])
def empty_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """An empty database on each backend."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'migrations.db'}"
        return
    with scratch_postgres(need_service(POSTGRES_ENV, "PostgreSQL")) as url:
        yield url


def _scripts() -> ScriptDirectory:
    return ScriptDirectory.from_config(migrate.alembic_config("sqlite://"))


def _chain() -> list[str]:
    """Revision ids from the first to the head."""
    return [r.revision for r in reversed(list(_scripts().walk_revisions("base", "heads")))]


@contextmanager
def _engine(url: str) -> Iterator[Engine]:
    engine = make_engine(url)
    try:
        yield engine
    finally:
        engine.dispose()


def _tables(url: str) -> set[str]:
    with _engine(url) as engine:
        return set(inspect(engine).get_table_names()) - {"alembic_version"}


def _differences(url: str) -> list[Any]:
    """What autogenerate would still write: empty when migrations and models agree."""
    with _engine(url) as engine, engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True})
        return list(compare_metadata(context, Base.metadata))


def test_one_chain_without_branches() -> None:
    scripts = _scripts()
    assert len(scripts.get_heads()) == 1, f"several heads: {scripts.get_heads()}"
    assert len(scripts.get_bases()) == 1, f"several bases: {scripts.get_bases()}"
    chain = _chain()
    assert chain[0] == "0001" and chain[-1] == migrate.head()
    for revision in scripts.walk_revisions():
        assert not revision.is_merge_point, f"{revision.revision} merges branches"


def test_up_down_up_ends_in_the_models_schema(empty_url: str) -> None:
    migrate.upgrade(empty_url)
    assert migrate.current(empty_url) == migrate.head()
    assert _tables(empty_url) == set(Base.metadata.tables)
    assert _differences(empty_url) == []
    migrate.downgrade(empty_url, "base")
    assert migrate.current(empty_url) is None
    assert _tables(empty_url) == set(), "downgrade to base left tables behind"
    migrate.upgrade(empty_url)
    assert _differences(empty_url) == []


def test_every_revision_steps_down_and_up_alone(empty_url: str) -> None:
    chain = _chain()
    for revision in chain:
        migrate.upgrade(empty_url, revision)
        assert migrate.current(empty_url) == revision
    for expected in [*reversed(chain[:-1]), None]:
        migrate.downgrade(empty_url, "-1")
        assert migrate.current(empty_url) == expected


def test_a_seeded_database_goes_down_and_up(empty_url: str) -> None:
    seed_template(empty_url)  # migrates to head and seeds every module's demo data
    migrate.downgrade(empty_url, "base")
    assert _tables(empty_url) == set()
    seed_template(empty_url)
    assert migrate.current(empty_url) == migrate.head()


def test_audit_log_stays_append_only_after_a_round_trip(empty_url: str) -> None:
    migrate.upgrade(empty_url)
    migrate.downgrade(empty_url, "base")
    migrate.upgrade(empty_url)
    insert = text(
        "INSERT INTO audit_log (at, username, unit_path, action, resource, sensitive, ip, "
        "method, path, request_id, detail) VALUES (CURRENT_TIMESTAMP, 'admin', '/1/', 'create', "
        "'probe', false, '127.0.0.1', 'POST', '/probe', 'r1', '{}')"
    )
    with _engine(empty_url) as engine:
        with engine.begin() as conn:
            conn.execute(insert)
        for statement in ("UPDATE audit_log SET reason = '改写'", "DELETE FROM audit_log"):
            with pytest.raises(DatabaseError, match="append-only"), engine.begin() as conn:
                conn.execute(text(statement))
        with engine.connect() as conn:
            assert conn.execute(text("SELECT count(*), max(reason) FROM audit_log")).one() == (
                1,
                None,
            )
