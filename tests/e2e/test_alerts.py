"""A watch hit shows up live for the dispatcher: the bell rings with the alert, the alert list
picks it up without a reload, and the detail page shows the sighting on its small map."""

from __future__ import annotations

import datetime as dt

from fastapi import FastAPI
from sqlalchemy import select

from jiaoguan.checkpoint import watchlists
from jiaoguan.checkpoint.watch_models import Watch, WatchKind
from jiaoguan.platform.auth.models import User
from jiaoguan.platform.auth.service import principal_of
from jiaoguan.platform.db import utcnow
from tests.checkpoint.watch_support import add_checkpoints, ingest, pass_of
from tests.e2e.conftest import Watched

PLATE = "冀F7E2A1"


def _active_watch(app: FastAPI) -> None:
    with app.state.db.transaction() as db:
        users = {u.username: principal_of(u) for u in db.scalars(select(User))}
        data = watchlists.WatchApply(
            plate_no=PLATE,
            kind=WatchKind.stolen,
            reason="端到端测试：被盗车辆",
            ends_at=utcnow() + dt.timedelta(days=1),
        )
        watch: Watch = watchlists.apply(db, users["dispatcher"], data)
        watchlists.decide(db, users["leader"], watch.id, watchlists.WatchDecision(approve=True))


def test_an_alert_appears_live_for_the_dispatcher(watched: Watched, live_app: FastAPI) -> None:
    checkpoints = add_checkpoints(live_app)
    _active_watch(live_app)
    watched.login("dispatcher")
    page = watched.page
    page.goto("/checkpoint/alerts")
    page.wait_for_function("document.getElementById('jg-bell-status').textContent !== '连接中…'")
    assert PLATE not in page.locator("#alert-table").inner_text()

    # A camera reads the plate with one confusable character (2 read as Z).
    ingest(live_app, pass_of(checkpoints[0], "冀F7EZA1", utcnow()))

    page.locator("#jg-bell-list").get_by_text("冀F7EZA1").first.wait_for(state="attached")
    page.locator("#alert-table").get_by_role("link", name="冀F7EZA1").wait_for(timeout=15_000)
    page.locator("#jg-bell a").first.click()
    page.screenshot(path="/tmp/alert_list.png", full_page=True)
    row = page.locator("#alert-table tr", has_text="冀F7EZA1")
    assert "模糊比中（易混字符）" in row.inner_text()

    row.get_by_role("link", name="冀F7EZA1").click()
    page.wait_for_url("**/checkpoint/alerts/*")
    page.wait_for_function("window.jgAlertMap !== undefined")
    assert "冀F7E2A1" in page.locator(".datagrid").inner_text()  # the watched plate is shown
    assert page.locator("#alert-map .leaflet-interactive").count() >= 3  # sighting + 2 ahead
    assert "拦截工单" in page.locator(".datagrid").inner_text()
    page.screenshot(path="/tmp/alert_detail.png", full_page=True)


def test_a_watch_is_applied_for_in_the_browser(watched: Watched) -> None:
    watched.login("dispatcher")
    page = watched.page
    page.goto("/checkpoint/watches/new")
    page.fill("#w-plate", "冀F5M3K8")
    page.select_option("#w-kind", "hit_and_run")
    page.fill("#w-reason", "端到端测试：肇事逃逸嫌疑车辆")
    with page.expect_navigation():
        page.click("#watch-form button[type=submit]")
    assert "已提交布控申请" in page.content()
    assert page.locator("#watch-status").inner_text() == "待审批"
    page.goto("/checkpoint/watches?tab=pending")
    page.fill("#watch-match-plate", "冀F5M3K8")
    # The live preview: a watch still pending approval matches nothing.
    page.locator("#watch-match").get_by_text("不会比中任何生效的布控").wait_for()
    page.screenshot(path="/tmp/alert_watches.png", full_page=True)
    assert "冀F5M3K8" in page.locator("#watch-table").inner_text()
