"""Command test data: a copy of the seeded demo database plus the small simulated city (roads and
brigade areas), so intake routes by area and the recommendation has a road network."""

from __future__ import annotations

import shutil
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from jiaoguan.app import create_app
from jiaoguan.platform.db import Database
from jiaoguan.sim.city import CitySize
from jiaoguan.sim.demo import seed_city
from tests.conftest import make_settings
from tests.support.clients import api_client
from tests.support.databases import SqliteTemplate


class CityTemplate:
    """The demo template with the test city loaded once; each test gets a copy."""

    def __init__(self, source: SqliteTemplate, folder: Path) -> None:
        self.folder = folder
        self.template = folder / "city.db"
        shutil.copyfile(source.template, self.template)
        database = Database(f"sqlite:///{self.template}")
        try:
            with database.transaction() as session:
                seed_city(session, CitySize.test)
        finally:
            database.dispose()

    def fresh(self) -> str:
        target = self.folder / f"{uuid.uuid4().hex}.db"
        shutil.copyfile(self.template, target)
        return f"sqlite:///{target}"


@pytest.fixture(scope="session")
def city_template(
    sqlite_template: SqliteTemplate, tmp_path_factory: pytest.TempPathFactory
) -> CityTemplate:
    return CityTemplate(sqlite_template, tmp_path_factory.mktemp("command-city"))


@pytest.fixture
def city_app(city_template: CityTemplate, tmp_path: Path) -> FastAPI:
    app: FastAPI = create_app(make_settings(city_template.fresh(), tmp_path))
    return app


@pytest.fixture
def city_client(city_app: FastAPI) -> Iterator[Callable[[str], TestClient]]:
    """`city_client("dispatcher")`: an API client on the city app."""
    clients: list[TestClient] = []

    def make(username: str) -> TestClient:
        client = api_client(city_app, username)
        client.__enter__()
        clients.append(client)
        return client

    yield make
    for client in clients:
        client.__exit__(None, None, None)
