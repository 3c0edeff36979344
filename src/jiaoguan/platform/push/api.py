"""Push API: the server-sent event stream behind the bell, the recent list, the read mark; a page."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from typing import Annotated

from fastapi import APIRouter, Depends, Header, Query, Request
from fastapi.responses import HTMLResponse, Response, StreamingResponse
from sqlalchemy.orm import Session

from jiaoguan.platform.audit.labels import register_audit_labels
from jiaoguan.platform.auth.permissions import PUSH_RECEIVE
from jiaoguan.platform.auth.service import Principal
from jiaoguan.platform.db import Database
from jiaoguan.platform.deps import Db, get_database, require
from jiaoguan.platform.push import service
from jiaoguan.platform.push.hub import Listener, PushHub, hub_of
from jiaoguan.platform.push.schemas import NotificationPage, NotificationRead, SeenMark
from jiaoguan.web.templating import render

router = APIRouter(prefix="/api/v1/push", tags=["实时推送"])
pages = APIRouter(include_in_schema=False)
register_audit_labels(resources={"notification": "通知"})

Receiver = Annotated[Principal, Depends(require(PUSH_RECEIVE))]
HEARTBEAT_SECONDS = 15.0
REPLAY_LIMIT = 200


def _frame(item: NotificationRead) -> str:
    data = json.dumps(item.model_dump(mode="json"), ensure_ascii=False)
    return f"id: {item.id}\nevent: notification\ndata: {data}\n\n"


def _replay(database: Database, principal: Principal, after_id: int) -> list[NotificationRead]:
    with database.sessions() as db:
        rows = service.recent(db, principal, after_id=after_id, limit=REPLAY_LIMIT)
        return [NotificationRead.model_validate(r) for r in rows]


async def _frames(
    request: Request, database: Database, principal: Principal, after_id: int | None
) -> AsyncIterator[str]:
    hub = hub_of(request.app)
    listener = hub.listen(principal)
    # Uvicorn tells a streaming response about a closed tab only through `receive`; without this
    # watcher the stream would notice at its next heartbeat (and hold up a shutdown until then).
    watcher = asyncio.create_task(_end_on_disconnect(request, hub, listener))
    try:
        # Listening started before the replay query, so nothing falls between the two;
        # whatever both deliver is sent once, by id.
        yield f"retry: 3000\n: 已连接，在线 {hub.connected} 个\n\n"
        newest = after_id or 0
        if after_id is not None:
            for missed in await asyncio.to_thread(_replay, database, principal, after_id):
                newest = max(newest, missed.id)
                yield _frame(missed)
        while True:
            try:
                async with asyncio.timeout(HEARTBEAT_SECONDS):
                    item = await listener.queue.get()
            except TimeoutError:
                yield ": ping\n\n"
                continue
            if item is None:
                return
            if item.id > newest:
                newest = item.id
                yield _frame(item)
    finally:
        watcher.cancel()
        hub.drop(listener)


async def _end_on_disconnect(request: Request, hub: PushHub, listener: Listener) -> None:
    while (await request.receive())["type"] != "http.disconnect":
        pass
    hub.end(listener)


@router.get(
    "/stream",
    response_class=StreamingResponse,
    summary="实时推送流（SSE），支持 Last-Event-ID 断点续传",
    responses={200: {"content": {"text/event-stream": {}}, "description": "server-sent events"}},
)
async def stream(
    request: Request,
    principal: Receiver,
    last_event_id: Annotated[
        int | None, Query(ge=0, le=2**53, description="从该通知编号之后续传")
    ] = None,
    last_event_header: Annotated[str | None, Header(alias="Last-Event-ID")] = None,
) -> StreamingResponse:
    # The browser's own reconnect header is newer than the id the page opened the stream with.
    header = (last_event_header or "").strip()
    after_id = int(header) if header.isdigit() and len(header) < 16 else last_event_id
    return StreamingResponse(
        _frames(request, get_database(request), principal, after_id),
        media_type="text/event-stream",
        headers={"Cache-Control": "no-store", "X-Accel-Buffering": "no"},
    )


def _page(db: Session, principal: Principal, limit: int) -> NotificationPage:
    items = [NotificationRead.model_validate(r) for r in service.recent(db, principal, limit=limit)]
    return NotificationPage(
        items=items,
        unread=service.unread_count(db, principal),
        last_seen_id=service.last_seen(db, principal),
    )


@router.get("/notifications", response_model=NotificationPage, summary="最近通知与未读数")
def list_notifications(
    db: Db, principal: Receiver, limit: Annotated[int, Query(ge=1, le=200)] = 20
) -> NotificationPage:
    return _page(db, principal, limit)


@router.post("/seen", response_model=SeenMark, summary="标记已读到某条通知")
def mark_seen(body: SeenMark, db: Db, principal: Receiver) -> SeenMark:
    return SeenMark(last_seen_id=service.mark_seen(db, principal, body.last_seen_id))


@pages.get("/notifications", response_class=HTMLResponse)
def notifications_page(request: Request, db: Db, principal: Receiver) -> Response:
    context = {"title": "全部通知", "pretitle": "实时推送", "page": _page(db, principal, 200)}
    return render(request, "platform/notifications.html", context)
