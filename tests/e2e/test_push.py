"""A notification pushed by the server appears live in the header bell, without a reload."""

from __future__ import annotations

import importlib
import uuid
from typing import Any

import pytest
from fastapi import FastAPI

from tests.e2e.conftest import Watched
from tests.support.routes import api_endpoints


def _push_module() -> Any:
    if not any(e.streams and e.path.startswith("/api/v1/push") for e in api_endpoints(_app())):
        pytest.skip("live push (/api/v1/push/...) is not built yet")
    return importlib.import_module("jiaoguan.platform.push")


def _app() -> FastAPI:
    from pathlib import Path

    from jiaoguan.app import create_app
    from tests.conftest import make_settings

    return create_app(make_settings("sqlite:///:memory:", Path(".")))


def _notify(live_app: FastAPI, title: str) -> None:
    """Push one notification to the whole organisation from inside the server process."""
    push = _push_module()
    push.notify(live_app, title=title, unit_path="/")


def test_a_pushed_notification_appears_in_the_bell(watched: Watched, live_app: FastAPI) -> None:
    watched.login("admin")
    page = watched.page
    count, listing = page.locator("#jg-bell-count"), page.locator("#jg-bell-list")
    page.locator("#jg-bell").wait_for()
    # The bell says when its stream is connected; push only what a live page can receive.
    page.wait_for_function("document.getElementById('jg-bell-status').textContent !== '连接中…'")
    title = f"端到端推送测试 {uuid.uuid4().hex[:6]}"
    _notify(live_app, title)
    listing.get_by_text(title).wait_for(state="attached")
    assert count.is_visible() and int(count.inner_text()) >= 1
    page.locator("#jg-bell a").first.click()
    listing.get_by_text(title).wait_for()
    watched.shot("bell")
