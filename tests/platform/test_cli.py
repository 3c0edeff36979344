"""The operator commands against a real database file."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import func, select
from typer.testing import CliRunner

from jiaoguan.cli import app as cli
from jiaoguan.config import get_settings
from jiaoguan.geo.models import RoadNode
from jiaoguan.platform import migrate
from jiaoguan.platform.auth.models import User
from jiaoguan.platform.db import Database
from jiaoguan.registry.models import Vehicle


@pytest.fixture
def db_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    url = f"sqlite:///{tmp_path / 'cli.db'}"
    monkeypatch.setenv("JG_DATABASE_URL", url)
    monkeypatch.setenv("JG_DATA_DIR", str(tmp_path))
    # The commands write JG_DEMO / JG_SECRET_KEY into os.environ; monkeypatch removes them afterwards.
    monkeypatch.setenv("JG_DEMO", "0")
    monkeypatch.setenv("JG_SECRET_KEY", "")
    get_settings.cache_clear()
    yield url
    get_settings.cache_clear()


def test_db_upgrade_current_downgrade(db_env: str) -> None:
    runner = CliRunner()
    assert runner.invoke(cli, ["db", "upgrade"]).exit_code == 0
    assert migrate.current(db_env) == migrate.head()
    result = runner.invoke(cli, ["db", "current"])
    assert str(migrate.head()) in result.output
    assert runner.invoke(cli, ["db", "downgrade", "base"]).exit_code == 0
    assert migrate.current(db_env) is None


def test_admin_create_enforces_password_policy(db_env: str) -> None:
    runner = CliRunner()
    weak = runner.invoke(cli, ["admin", "create", "chief", "--password-stdin"], input="short\n")
    assert weak.exit_code == 1
    assert "密码至少 10 位" in weak.output
    ok = runner.invoke(
        cli, ["admin", "create", "chief", "--password-stdin"], input="Strong-pass-2026\n"
    )
    assert ok.exit_code == 0, ok.output
    database = Database(db_env)
    with database.sessions() as session:
        user = session.scalar(select(User).where(User.username == "chief"))
        assert user is not None and [r.code for r in user.roles] == ["admin"]
        assert user.password_hash and "Strong" not in user.password_hash
    database.dispose()


def test_serve_refuses_without_secret_outside_demo(
    db_env: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    result = CliRunner().invoke(cli, ["serve"])
    assert result.exit_code == 2
    assert "JG_SECRET_KEY" in result.output


def test_demo_no_serve_seeds_and_prints_accounts(
    db_env: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("JG_DEMO_PASSWORD", "demo-Password-1")
    result = CliRunner().invoke(cli, ["demo", "--no-serve", "--city-size", "test"])
    assert result.exit_code == 0, result.output
    assert "jx_officer" in result.output and "demo-Password-1" in result.output
    database = Database(db_env)
    try:
        with database.sessions() as session:
            roads = session.scalar(select(func.count(RoadNode.id)))
            vehicles = session.scalar(select(func.count(Vehicle.id)))
    finally:
        database.dispose()
    assert roads and vehicles and vehicles >= 1000, (roads, vehicles)
    # Running it again keeps the city as it is rather than loading a second one.
    again = CliRunner().invoke(cli, ["demo", "--no-serve", "--city-size", "test"])
    assert again.exit_code == 0, again.output
    with database.sessions() as session:
        assert session.scalar(select(func.count(Vehicle.id))) == vehicles
    database.dispose()


def test_demo_refuses_an_unknown_city_size(db_env: str) -> None:
    result = CliRunner().invoke(cli, ["demo", "--no-serve", "--city-size", "huge"])
    assert result.exit_code == 2 and "--city-size" in result.output
