"""Browser tests: the real app under uvicorn, driven by Debian's Chromium through Playwright.

Every page a test opens records each request it makes; a request to any host but 127.0.0.1
fails the test, as does a JavaScript error or a failed request for one of our own files.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from fastapi import FastAPI
from playwright.sync_api import Browser, BrowserContext, Page, Playwright, sync_playwright

from jiaoguan.app import create_app
from jiaoguan.sim.city import CitySize
from jiaoguan.sim.demo import seed_city
from tests.conftest import make_settings
from tests.support.databases import DEMO_PASSWORD, SqliteTemplate, services_required
from tests.support.live_server import HOST, LiveServer

LAN_NAME = "jiaoguan.test"
CHROMIUM = Path(os.environ.get("JG_CHROMIUM", "/usr/bin/chromium"))
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    # A LAN-style host name for the same server: some scripts only reach out on non-loopback hosts.
    f"--host-resolver-rules=MAP {LAN_NAME} {HOST}",
]
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    here = Path(__file__).parent
    for item in items:
        if here in Path(str(item.path)).parents:
            item.add_marker(pytest.mark.e2e)


@pytest.fixture(scope="session")
def chromium_path() -> Path:
    if not CHROMIUM.exists():
        message = f"{CHROMIUM} is missing: install Debian's chromium for the browser tests"
        if services_required():
            pytest.fail(message)
        pytest.skip(message)
    return CHROMIUM


@pytest.fixture(scope="session")
def live_app(sqlite_template: SqliteTemplate, tmp_path_factory: pytest.TempPathFactory) -> FastAPI:
    """The app on a fresh seeded SQLite file holding the small simulated city (roads, areas,
    registries), with production cookie settings (Secure)."""
    app: FastAPI = create_app(
        make_settings(sqlite_template.fresh(), tmp_path_factory.mktemp("e2e"))
    )
    with app.state.db.transaction() as session:
        seed_city(session, CitySize.test)
    return app


@pytest.fixture(scope="session")
def live_server(live_app: FastAPI, chromium_path: Path) -> Iterator[LiveServer]:
    with LiveServer(live_app) as server:
        yield server


@pytest.fixture(scope="session")
def playwright() -> Iterator[Playwright]:
    with sync_playwright() as driver:
        yield driver


@pytest.fixture(scope="session")
def browser(playwright: Playwright, chromium_path: Path) -> Iterator[Browser]:
    browser = playwright.chromium.launch(executable_path=str(chromium_path), args=CHROMIUM_ARGS)
    yield browser
    browser.close()


@dataclass
class Watched:
    """A browser tab plus what it did: hosts contacted, script errors, failed requests."""

    page: Page
    context: BrowserContext
    base_url: str
    hosts: set[str] = field(default_factory=set)
    allowed_hosts: set[str] = field(default_factory=lambda: {HOST})
    errors: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)

    def login(self, username: str, password: str = DEMO_PASSWORD) -> None:
        self.page.goto("/login")
        self.page.fill("#username", username)
        self.page.fill("#password", password)
        with self.page.expect_navigation():
            self.page.click("button[type=submit]")
        assert urlsplit(self.page.url).path == "/", f"login as {username} failed: {self.page.url}"

    def shot(self, name: str) -> Path:
        ARTIFACTS.mkdir(exist_ok=True)
        path = ARTIFACTS / f"e2e-{re.sub(r'[^A-Za-z0-9_-]+', '-', name).strip('-')}.png"
        self.page.screenshot(path=str(path), full_page=True)
        return path

    def problems(self) -> list[str]:
        foreign = sorted(self.hosts - self.allowed_hosts)
        found = [f"request to {h}" for h in foreign]
        return found + [f"script error: {e}" for e in self.errors] + self.failed


@pytest.fixture
def watched(browser: Browser, live_server: LiveServer) -> Iterator[Watched]:
    context = browser.new_context(
        base_url=live_server.url, locale="zh-CN", viewport={"width": 1440, "height": 900}
    )
    page = context.new_page()
    tab = Watched(page=page, context=context, base_url=live_server.url)
    page.on("request", _record_host(tab))
    page.on("pageerror", lambda error: tab.errors.append(str(error)))
    page.on("response", _record_failure(tab))
    page.set_default_timeout(10_000)
    yield tab
    context.close()
    assert not tab.problems(), tab.problems()


def _record_host(tab: Watched) -> Callable[[object], None]:
    def record(request: object) -> None:
        url = urlsplit(request.url)  # type: ignore[attr-defined]
        if url.scheme in {"http", "https", "ws", "wss"}:
            tab.hosts.add(url.hostname or "")

    return record


def _record_failure(tab: Watched) -> Callable[[object], None]:
    def record(response: object) -> None:
        status, url = response.status, response.url  # type: ignore[attr-defined]
        if status >= 400 and "/static/" in url:
            tab.failed.append(f"{status} {url}")

    return record
