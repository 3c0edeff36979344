"""Live push: who sees which notification, the read mark, and the real SSE stream (resume, scope)."""

from __future__ import annotations

import asyncio
import contextlib
import json
import queue
import socket
import threading
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import select

from jiaoguan.app import create_app
from jiaoguan.platform.auth.models import OrgUnit, User
from jiaoguan.platform.auth.service import principal_of
from jiaoguan.platform.errors import Invalid
from jiaoguan.platform.events import NatsBus
from jiaoguan.platform.push import notify, notify_in
from jiaoguan.platform.push.hub import hub_of
from jiaoguan.platform.push.service import ancestor_paths, sees
from tests.conftest import ClientFactory, make_settings
from tests.support.databases import NATS_ENV, PostgresTemplate, SqliteTemplate, need_service
from tests.support.live_server import LiveServer
from tests.support.tokens import mint_token


def _path_of(app: FastAPI, code: str) -> str:
    with app.state.db.sessions() as db:
        return str(db.scalar(select(OrgUnit.path).where(OrgUnit.code == code)))


def _user_id(app: FastAPI, username: str) -> int:
    with app.state.db.sessions() as db:
        return int(db.scalar(select(User.id).where(User.username == username)) or 0)


def _titles(client: Any) -> list[str]:
    response = client.get("/api/v1/push/notifications", params={"limit": 50})
    assert response.status_code == 200, response.text
    return [item["title"] for item in response.json()["items"]]


def test_ancestor_paths() -> None:
    assert ancestor_paths("/1/4/9/") == ["/", "/1/", "/1/4/", "/1/4/9/"]
    assert ancestor_paths("/") == ["/"]


def test_a_notice_reaches_its_unit_and_the_units_above_only(
    app: FastAPI, as_user: ClientFactory
) -> None:
    jingxiu = _path_of(app, "130602")
    notify(app, title="竞秀大队通知", unit_path=jingxiu)
    notify(app, title="全支队通知", unit_path="/")
    notify(app, title="给刘民警个人", unit_path="/", user_id=_user_id(app, "jx_officer"))
    mine = {"竞秀大队通知", "全支队通知", "给刘民警个人"}
    assert mine & set(_titles(as_user("jx_officer"))) == mine
    assert mine & set(_titles(as_user("dispatcher"))) == {"竞秀大队通知", "全支队通知"}
    assert mine & set(_titles(as_user("lc_officer"))) == {"全支队通知"}


def test_a_notice_for_a_desk_reaches_only_the_holders_of_its_permission(
    app: FastAPI, as_user: ClientFactory
) -> None:
    """The command module's incident steps go to the brigade's dispatch desk, not to every
    officer of the brigade; listing (SQL) and the live stream (`sees`) agree."""
    item = notify(
        app, title="派警台通知", unit_path=_path_of(app, "130602"), permission="command.dispatch"
    )
    assert "派警台通知" in _titles(as_user("jx_dispatcher"))
    assert "派警台通知" in _titles(as_user("admin"))  # every permission
    assert "派警台通知" not in _titles(as_user("jx_officer"))
    with app.state.db.sessions() as db:
        users = {u.username: u for u in db.scalars(select(User))}
        assert sees(principal_of(users["jx_dispatcher"]), item)
        assert not sees(principal_of(users["jx_officer"]), item)
    with pytest.raises(Invalid) as caught:
        notify(app, title="x", unit_path="/", permission="no.such")
    assert caught.value.field == ["permission"]


def test_unread_count_and_a_read_mark_that_never_goes_back(
    app: FastAPI, as_user: ClientFactory
) -> None:
    officer = as_user("jx_officer")
    # Start from a clean slate whatever the demo data already notified.
    newest = notify(app, title="起点", unit_path="/").id
    officer.post("/api/v1/push/seen", json={"last_seen_id": newest})
    ids = [notify(app, title=f"通知{i}", unit_path="/").id for i in range(3)]
    assert officer.get("/api/v1/push/notifications").json()["unread"] == 3
    assert officer.post("/api/v1/push/seen", json={"last_seen_id": ids[1]}).json() == {
        "last_seen_id": ids[1]
    }
    assert officer.get("/api/v1/push/notifications").json()["unread"] == 1
    # An older tab marking an older id leaves the newer mark alone.
    officer.post("/api/v1/push/seen", json={"last_seen_id": ids[0]})
    assert officer.get("/api/v1/push/notifications").json()["last_seen_id"] == ids[1]
    refused = officer.post("/api/v1/push/seen", json={"last_seen_id": -1})
    assert refused.status_code == 422 and refused.json()["detail"][0]["loc"] == [
        "body",
        "last_seen_id",
    ]


def test_bad_notifications_are_refused_with_the_field(app: FastAPI) -> None:
    for fields, field in (
        ({"title": "x", "unit_path": "/", "level": "loud"}, "level"),
        ({"title": "  ", "unit_path": "/"}, "title"),
        ({"title": "x", "unit_path": "1/2"}, "unit_path"),
    ):
        with pytest.raises(Invalid) as caught:
            notify(app, **fields)
        assert caught.value.field == [field]


def test_a_device_cannot_listen(as_user: ClientFactory, app: FastAPI) -> None:
    from tests.support.tokens import token_client

    with token_client(app, "device-demo") as device:
        assert device.get("/api/v1/push/notifications").status_code == 403


def test_the_notifications_page_lists_them(app: FastAPI, browser_as: ClientFactory) -> None:
    notify(app, title="页面上的通知", body="请查看", unit_path="/", level="warning")
    page = browser_as("jx_dispatcher").get("/notifications", headers={"Accept": "text/html"})
    assert page.status_code == 200 and "页面上的通知" in page.text and "未读" in page.text


# --- the stream itself, over a real HTTP connection -------------------------------------------


class Stream:
    """One SSE connection over a plain socket, read in a thread that hands over notification frames.

    A socket rather than an HTTP client: closing it really hangs up, as a closed browser tab does.
    """

    def __init__(self, url: str, token: str, headers: dict[str, str] | None = None) -> None:
        parts = urlsplit(url)
        # HTTP/1.0: the body comes unchunked, frames exactly as the server writes them.
        lines = [f"GET {parts.path} HTTP/1.0", f"Host: {parts.netloc}"]
        lines += [
            f"{k}: {v}" for k, v in {"Authorization": f"Bearer {token}", **(headers or {})}.items()
        ]
        self.frames: queue.Queue[dict[str, Any]] = queue.Queue()
        self._sock = socket.create_connection((parts.hostname, parts.port), timeout=30)
        self._sock.sendall(("\r\n".join(lines) + "\r\n\r\n").encode())
        self._lines = self._sock.makefile("r", encoding="utf-8", newline=None)
        self.status = int(self._lines.readline().split()[1])
        while self._lines.readline().strip():
            pass  # response headers
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        frame: dict[str, str] = {}
        try:
            for raw in self._lines:
                line = raw.rstrip("\r\n")
                if line == "":
                    if "data" in frame:
                        self.frames.put({"id": int(frame["id"]), **json.loads(frame["data"])})
                    frame = {}
                elif not line.startswith(":") and ":" in line:
                    key, _, value = line.partition(":")
                    frame[key] = value.removeprefix(" ")
        except (OSError, ValueError):
            return  # hung up by the test

    def next(self, timeout: float = 10) -> dict[str, Any]:
        return self.frames.get(timeout=timeout)

    def nothing_within(self, seconds: float) -> bool:
        try:
            self.frames.get(timeout=seconds)
        except queue.Empty:
            return True
        return False

    def close(self) -> None:
        with contextlib.suppress(OSError):
            self._sock.shutdown(socket.SHUT_RDWR)
        self._sock.close()


@pytest.fixture
def live(sqlite_template: SqliteTemplate, tmp_path: Path) -> Iterator[tuple[FastAPI, LiveServer]]:
    app = create_app(make_settings(sqlite_template.fresh(), tmp_path))
    with LiveServer(app) as server:
        yield app, server


def test_the_stream_delivers_live_resumes_and_keeps_to_scope(
    live: tuple[FastAPI, LiveServer],
) -> None:
    app, server = live
    url = f"{server.url}/api/v1/push/stream"
    officer = Stream(url, mint_token(app, "jx_officer"))
    stranger = Stream(url, mint_token(app, "lc_officer"))
    try:
        assert officer.status == 200
        first = notify(app, title="第一条", unit_path=_path_of(app, "130602"))
        assert officer.next()["title"] == "第一条"
        second = notify(app, title="第二条", unit_path=_path_of(app, "130602"), level="danger")
        got = officer.next()
        assert (got["id"], got["title"], got["level"]) == (second.id, "第二条", "danger")
        assert first.id < second.id
        assert stranger.nothing_within(1.0), "another brigade's notice leaked"
    finally:
        officer.close()
        stranger.close()
    # Offline for a while: what came meanwhile is replayed after the last id the browser had.
    notify(app, title="离线期间", unit_path="/")
    resumed = Stream(url, mint_token(app, "jx_officer"), {"Last-Event-ID": str(first.id)})
    try:
        assert [resumed.next()["title"] for _ in range(2)] == ["第二条", "离线期间"]
        notify(app, title="重连之后", unit_path="/")
        assert resumed.next()["title"] == "重连之后"
    finally:
        resumed.close()
    # A closed tab is noticed at once, not at the next heartbeat.
    deadline = time.monotonic() + 3
    while hub_of(app).connected and time.monotonic() < deadline:
        time.sleep(0.05)
    assert hub_of(app).connected == 0


def test_a_stranger_cannot_open_the_stream(live: tuple[FastAPI, LiveServer]) -> None:
    _, server = live
    response = httpx.get(f"{server.url}/api/v1/push/stream", timeout=10)
    assert response.status_code == 401


def test_notify_in_is_part_of_the_callers_transaction(app: FastAPI, as_user: ClientFactory) -> None:
    database = app.state.db
    with pytest.raises(RuntimeError), database.transaction() as db:
        notify_in(db, title="回滚的通知", unit_path="/")
        raise RuntimeError("the business write failed")
    assert "回滚的通知" not in _titles(as_user("admin"))


def test_push_reaches_a_browser_on_another_worker_through_nats(
    postgres_template: PostgresTemplate, tmp_path: Path
) -> None:
    """Two API workers on one PostgreSQL database and one JetStream stream: a notification written
    through worker A is relayed by either and reaches a stream held open on worker B."""
    nats = need_service(NATS_ENV, "NATS JetStream")
    tag = uuid.uuid4().hex[:8]
    bus_url = f"{nats}?stream=JGTEST_PUSH_{tag}&prefix=jgp{tag}."
    url = postgres_template.fresh()
    worker_a = create_app(make_settings(url, tmp_path / "a", bus_url=bus_url))
    worker_b = create_app(make_settings(url, tmp_path / "b", bus_url=bus_url))
    try:
        with LiveServer(worker_a), LiveServer(worker_b) as server_b:
            stream = Stream(
                f"{server_b.url}/api/v1/push/stream", mint_token(worker_b, "jx_officer")
            )
            try:
                sent = notify(worker_a, title="跨进程推送", unit_path="/")
                got = stream.next()
                assert (got["id"], got["title"]) == (sent.id, "跨进程推送")
                assert stream.nothing_within(1.0), "a notification arrived twice"
            finally:
                stream.close()
            asyncio.run(_drop_stream(nats, f"JGTEST_PUSH_{tag}"))
    finally:
        postgres_template.drop(url)


async def _drop_stream(url: str, stream: str) -> None:
    bus = NatsBus(url, stream=stream, prefix="jgdrop.")
    await bus.start()
    await bus.delete_stream()
    await bus.close()
