"""Push I/O: one notification as the bell and the stream show it."""

from __future__ import annotations

import datetime as dt
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

Level = Literal["info", "success", "warning", "danger"]


class NotificationRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    created_at: dt.datetime
    kind: str
    level: str
    title: str
    body: str
    link: str | None
    unit_path: str
    user_id: int | None
    permission: str | None = None


class NotificationPage(BaseModel):
    items: list[NotificationRead]
    unread: int = Field(description="未读条数（比已读标记更新的通知）")
    last_seen_id: int


class SeenMark(BaseModel):
    last_seen_id: int = Field(ge=0, le=2**53, description="已读到的最新通知编号")
