"""The web shell in a real browser: login, dashboard, every page the navigation links to."""

from __future__ import annotations

from urllib.parse import urlsplit

from fastapi import FastAPI
from sqlalchemy import func, select

from jiaoguan.platform.auth.models import OrgUnit, User
from jiaoguan.web.nav import NAVIGATION
from tests.e2e.conftest import LAN_NAME, Watched
from tests.support.live_server import LiveServer


def test_login_keeps_a_secure_session_on_loopback_http(watched: Watched) -> None:
    """Chromium treats http://127.0.0.1 as a secure context, so the Secure cookie is kept and sent."""
    watched.login("admin")
    cookies = {c["name"]: c for c in watched.context.cookies()}
    assert cookies["jg_session"]["secure"] and cookies["jg_session"]["httpOnly"]
    watched.page.goto("/account")
    assert urlsplit(watched.page.url).path == "/account"
    assert watched.page.get_by_text("系统管理员").first.is_visible()


def test_a_wrong_password_is_refused_in_chinese(watched: Watched) -> None:
    watched.page.goto("/login")
    watched.page.fill("#username", "admin")
    watched.page.fill("#password", "wrong-Password-1")
    watched.page.click("button[type=submit]")
    assert watched.page.get_by_text("用户名或密码错误").is_visible()
    watched.shot("login-refused")


def _counter_values(watched: Watched) -> dict[str, int]:
    cards = watched.page.locator(".card-link")
    values: dict[str, int] = {}
    for i in range(cards.count()):
        card = cards.nth(i)
        label = card.locator(".text-secondary").inner_text().strip()
        values[label] = int(card.locator(".jg-counter-value").inner_text().replace(",", ""))
    return values


def test_dashboard_shows_real_counts_and_the_whole_navigation(
    watched: Watched, live_app: FastAPI
) -> None:
    watched.login("admin")
    page = watched.page
    assert page.locator(".page-title").inner_text() == "首页"
    with live_app.state.db.sessions() as session:
        units = session.scalar(select(func.count(OrgUnit.id)))
        users = session.scalar(select(func.count(User.id)))
    counters = _counter_values(watched)
    assert counters["组织机构"] == units and counters["用户"] == users, counters
    sidebar = page.locator("aside")
    for item in NAVIGATION:
        link = sidebar.locator(".nav-link", has_text=item.title).first
        assert link.is_visible(), item.title
        assert ("建设中" in link.inner_text()) == (not item.built), item.title
    page.locator("#jg-activity-chart canvas").wait_for()
    watched.shot("home")


def _nav_links(watched: Watched) -> list[str]:
    hrefs = watched.page.eval_on_selector_all(
        "aside a[href]", "links => links.map(a => a.getAttribute('href'))"
    )
    return list(dict.fromkeys(h for h in hrefs if h.startswith("/") and h != "/"))


def test_every_page_in_the_navigation_opens(watched: Watched) -> None:
    watched.login("admin")
    links = _nav_links(watched)
    assert "/admin/audit" in links and "/api/docs" in links
    broken: list[str] = []
    for href in links:
        response = watched.page.goto(href)
        status = response.status if response else 0
        if status != 200 or "服务器错误" in watched.page.content():
            broken.append(f"{href}: {status}")
            continue
        if href == "/api/docs":
            title = watched.page.locator(".swagger-ui .info .title")
            title.wait_for()
            assert "智慧交管平台" in title.inner_text()
        elif href.startswith("/modules/"):
            assert watched.page.get_by_text("建设中").first.is_visible()
        else:
            assert watched.page.locator(".page-title").is_visible(), href
        watched.shot(f"page{href}")
    assert not broken, f"pages that did not open: {broken}"


def test_an_officer_sees_only_what_they_may_open(watched: Watched) -> None:
    watched.login("jx_officer")
    links = _nav_links(watched)
    assert "/admin/audit" not in links
    response = watched.page.goto("/admin/audit")
    assert response is not None and response.status == 403
    assert watched.page.get_by_text("无权访问").first.is_visible()
    watched.shot("officer-refused")


def test_logout_ends_the_session(watched: Watched) -> None:
    watched.login("leader")
    watched.page.locator("header .avatar").click()
    with watched.page.expect_navigation():
        watched.page.get_by_text("退出登录").click()
    assert urlsplit(watched.page.url).path == "/login"
    watched.page.goto("/")
    assert urlsplit(watched.page.url).path == "/login"


def test_api_docs_reach_no_other_host_when_served_by_name(
    watched: Watched, live_server: LiveServer
) -> None:
    """Served under a LAN host name, Swagger UI would fetch its validator badge from the internet."""
    watched.allowed_hosts.add(LAN_NAME)
    watched.page.goto(f"http://{LAN_NAME}:{live_server.port}/api/docs")
    watched.page.locator(".swagger-ui .info .title").wait_for()
    watched.page.wait_for_load_state("networkidle")
    assert watched.hosts == {LAN_NAME}, watched.hosts
