"""A work order round the loop in Chromium: the dispatcher creates it, the officer signs for it and
reports with a photo, the dispatcher approves — each through the pages, with htmx."""

from __future__ import annotations

import re
import uuid

from fastapi import FastAPI
from sqlalchemy import select

from jiaoguan.platform.auth.models import OrgUnit, User
from jiaoguan.platform.workorders.models import WorkOrder, WorkOrderStatus
from tests.e2e.conftest import Watched

# A 1×1 PNG: enough for the browser to upload a real file.
PIXEL = bytes.fromhex(
    "89504e470d0a1a0a0000000d49484452000000010000000108060000001f15c489"
    "0000000d4944415478da63f8cfc0f01f0005000201a5f1d2a40000000049454e44ae426082"
)


def _ids(live_app: FastAPI) -> tuple[int, int]:
    with live_app.state.db.sessions() as db:
        unit = db.scalar(select(OrgUnit.id).where(OrgUnit.code == "13060201"))
        officer = db.scalar(select(User.id).where(User.username == "jx_officer"))
    assert unit is not None and officer is not None
    return unit, officer


def _switch_user(watched: Watched, username: str) -> None:
    watched.context.clear_cookies()
    watched.login(username)


def test_a_work_order_round_the_loop(watched: Watched, live_app: FastAPI) -> None:
    page = watched.page
    unit_id, officer_id = _ids(live_app)
    title = f"端到端工单 {uuid.uuid4().hex[:6]}"

    watched.login("dispatcher")
    page.goto("/workorders")
    page.get_by_role("link", name="新建工单").click()
    page.fill("#wo-title", title)
    page.select_option("#wo-priority", "urgent")
    page.fill("#wo-description", "朝阳大街与东风路口护栏被撞倒，请到场处置并反馈照片。")
    page.select_option("#wo-unit", str(unit_id))
    # htmx fills the people of the chosen unit into the second picker.
    page.locator("#wo-user option", has_text="刘民警").wait_for(state="attached")
    page.select_option("#wo-user", str(officer_id))
    assert page.input_value("#wo-deadline"), "the form proposes a deadline in Beijing time"
    watched.shot("workorder-new")
    with page.expect_navigation():
        page.get_by_role("button", name="创建并派发").click()
    assert re.search(r"/workorders/\d+$", page.url), page.url
    detail = page.url.removeprefix(watched.base_url)
    assert page.locator(".jg-wo-status").inner_text() == "待签收"
    assert page.locator("#wo-accept").count() == 0  # the dispatcher does not sign for it

    _switch_user(watched, "jx_officer")
    page.goto(detail)
    page.locator("#wo-accept").click()
    page.locator(".jg-wo-notice", has_text="已签收").wait_for()
    assert page.locator(".jg-wo-status").inner_text() == "处理中"
    page.fill("#wo-feedback-text", "已到场，护栏已扶正加固，现场照片见附件。")
    page.set_input_files(
        "#wo-files", files=[{"name": "现场.png", "mimeType": "image/png", "buffer": PIXEL}]
    )
    page.locator("#wo-feedback-form button[type=submit]").click()
    page.locator(".jg-wo-notice", has_text="已反馈").wait_for()
    assert page.locator("#wo-feedback").get_by_role("link", name="现场.png").is_visible()
    watched.shot("workorder-fed-back")

    _switch_user(watched, "dispatcher")
    page.goto(detail)
    assert page.locator(".jg-wo-status").inner_text() == "待审核"
    page.fill("#wo-approve-comment", "处置及时")
    page.locator("#wo-approve").click()
    page.locator(".jg-wo-notice", has_text="已审核通过").wait_for()
    assert page.locator(".jg-wo-status").inner_text() == "已办结"
    steps = page.locator("#wo-timeline h4").all_inner_texts()
    assert steps == ["创建派发", "签收", "反馈", "审核通过"], steps
    watched.shot("workorder-closed")

    page.goto("/workorders")
    overdue_row = page.locator("tr.jg-wo-overdue", has_text="裕华路信号灯故障点位交通疏导")
    assert overdue_row.get_by_text("超期").is_visible()  # the demo's escalated order
    watched.shot("workorder-list")
    page.goto("/workorders?tab=closed")
    assert page.get_by_role("link", name=title).is_visible()
    with live_app.state.db.sessions() as db:
        order = db.scalar(select(WorkOrder).where(WorkOrder.title == title))
        assert order is not None and order.status == WorkOrderStatus.closed
