"""Smart command in Chromium: the dispatcher registers an incident by picking it on the map, sends
the recommended officer from the incident page, and the officer's phone page (with the browser's
geolocation) goes through accept, depart, arrive, handle and close; the dispatcher sees it closed."""

from __future__ import annotations

import datetime as dt
from urllib.parse import urlsplit

from fastapi import FastAPI
from playwright.sync_api import Browser, Page
from sqlalchemy import select

from jiaoguan.command.models import Officer, OfficerStatus
from jiaoguan.platform.auth.models import User
from tests.e2e.conftest import Watched
from tests.support.live_server import HOST, LiveServer
from tests.support.tokens import mint_token

CENTRE = (115.46, 38.87)  # where the intake map opens; a click in its middle picks about here


def _officer(live_app: FastAPI) -> int:
    with live_app.state.db.transaction() as db:
        officer = db.scalar(
            select(Officer)
            .join(User, User.id == Officer.user_id)
            .where(User.username == "jx_officer")
        )
        assert officer is not None
        officer.status = OfficerStatus.available  # the test may run after others moved him
        return int(officer.id)


def _locate(page: Page, live_app: FastAPI, officer_id: int, lon: float, lat: float) -> None:
    """A fix from the AVL gateway (device token), through the public API."""
    token = mint_token(live_app, "device-demo", "端到端定位")
    fix = {
        "officer_id": officer_id,
        "at": dt.datetime.now(dt.UTC).isoformat(),
        "lon": lon,
        "lat": lat,
    }
    response = page.request.post(
        "/api/v1/positions", data={"fixes": [fix]}, headers={"Authorization": f"Bearer {token}"}
    )
    assert response.ok and response.json()["accepted"] == 1, response.text()


def _phone(browser: Browser, server: LiveServer) -> tuple[Page, list[str]]:
    """A phone-sized tab that shares its position (1 km from the scene: no automatic arrival)."""
    context = browser.new_context(
        base_url=server.url,
        locale="zh-CN",
        viewport={"width": 390, "height": 844},
        is_mobile=True,
        has_touch=True,
        geolocation={"longitude": CENTRE[0] + 0.012, "latitude": CENTRE[1]},
        permissions=["geolocation"],
    )
    page = context.new_page()
    problems: list[str] = []

    def host(request: object) -> None:
        url = urlsplit(request.url)  # type: ignore[attr-defined]
        if url.scheme in {"http", "https"} and url.hostname != HOST:
            problems.append(f"request to {url.hostname}")

    page.on("request", host)
    page.on("pageerror", lambda error: problems.append(f"script error: {error}"))
    page.set_default_timeout(10_000)
    return page, problems


def test_dispatch_the_recommended_officer_and_follow_the_phone(
    watched: Watched, live_app: FastAPI, live_server: LiveServer, browser: Browser
) -> None:
    page = watched.page
    officer_id = _officer(live_app)
    watched.login("dispatcher")

    # Intake: type the place, pick the spot in the middle of the map.
    page.goto("/command/intake")
    page.select_option("select[name=kind]", "accident")
    page.fill("input[name=place]", "朝阳大街与东风路口（端到端）")
    page.fill("textarea[name=summary]", "两车追尾，无人受伤")
    box = page.locator("#jg-pick-map").bounding_box()
    assert box is not None
    page.mouse.click(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    lon, lat = float(page.input_value("#jg-lon")), float(page.input_value("#jg-lat"))
    assert abs(lon - CENTRE[0]) < 0.01 and abs(lat - CENTRE[1]) < 0.01
    page.screenshot(path="/tmp/cmd_intake.png", full_page=True)
    # The officer stands right at the picked spot: he is the one to recommend.
    _locate(page, live_app, officer_id, lon + 0.0002, lat)
    with page.expect_navigation():
        page.get_by_role("button", name="登记警情").click()
    detail = urlsplit(page.url).path
    assert detail.startswith("/command/incidents/"), page.url
    number = page.locator("#jg-number").inner_text()

    # The recommendation: rings and route on the map, the officer first with his reason.
    first = page.locator("#jg-recommend .jg-pick").first
    first.wait_for()
    assert first.get_attribute("data-officer") == str(officer_id)
    assert "刘民警" in first.inner_text() and "驾车" in first.inner_text()
    page.screenshot(path="/tmp/cmd_recommend.png", full_page=True)
    with page.expect_navigation():
        first.locator(".jg-dispatch").click()
    row = page.locator("#jg-dispatches tr[data-dispatch]").first
    assert row.get_attribute("data-state") == "dispatched"

    # The officer's phone.
    phone, problems = _phone(browser, live_server)
    phone.goto("/login")
    phone.fill("#username", "jx_officer")
    phone.fill("#password", "test-Password-2026")
    with phone.expect_navigation():
        phone.click("button[type=submit]")
    phone.goto("/m/officer")
    task = phone.locator(".jg-task").first
    task.wait_for()
    assert number in task.inner_text()
    phone.locator("#jg-gps", has_text="定位已上报").wait_for()
    phone.screenshot(path="/tmp/cmd_phone_new.png", full_page=True)
    for step, state in (("accept", "accepted"), ("depart", "en_route"), ("arrive", "on_scene")):
        phone.locator(f".jg-step[data-step={step}]").click()
        phone.locator(f".jg-task[data-state={state}]").wait_for()
    phone.fill(".jg-task textarea[name=result]", "双方协商，快处快赔，已撤离")
    phone.locator(".jg-step[data-step=handle]").click()
    phone.locator(".jg-task[data-state=handled]").wait_for()
    phone.screenshot(path="/tmp/cmd_phone_handled.png", full_page=True)
    phone.locator(".jg-step[data-step=close]").click()
    phone.locator(".jg-task[data-state=closed]").wait_for()
    phone.context.close()
    assert not problems, problems

    # Back at the centre: closed, every step on the timeline.
    page.goto(detail)
    assert page.locator(".jg-state").first.inner_text() == "已结案"
    timeline = page.locator("#jg-timeline").inner_text()
    for word in ("接警登记", "派警", "签收", "出警", "到场", "处置完毕", "反馈结束"):
        assert word in timeline, word
    page.screenshot(path="/tmp/cmd_closed.png", full_page=True)
    page.goto(f"/command/board?incident={detail.rsplit('/', 1)[1]}")
    page.locator("#jg-command-map").wait_for()
    page.screenshot(path="/tmp/cmd_board.png", full_page=True)
