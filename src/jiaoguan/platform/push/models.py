"""Notifications (kept, so a reconnecting browser can resume) and each user's read mark."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from jiaoguan.platform.db import Base, utcnow


class Notification(Base):
    __tablename__ = "notification"

    id: Mapped[int] = mapped_column(primary_key=True)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow, index=True)
    kind: Mapped[str] = mapped_column(String(32), default="general")
    level: Mapped[str] = mapped_column(String(16), default="info")
    title: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(String(1000), default="")
    link: Mapped[str | None] = mapped_column(String(300))
    # The unit the item concerns: its members and the units above it see it ("/" = everyone).
    unit_path: Mapped[str] = mapped_column(String(255), index=True)
    # Set for an item meant for one person only.
    user_id: Mapped[int | None] = mapped_column(
        ForeignKey("app_user.id", ondelete="CASCADE"), index=True
    )
    # Set for an item meant for the holders of this permission only (a unit's dispatch desk).
    permission: Mapped[str | None] = mapped_column(String(64))


class NotificationSeen(Base):
    """The newest notification a user has opened the bell on: everything above it is unread."""

    __tablename__ = "notification_seen"

    user_id: Mapped[int] = mapped_column(
        ForeignKey("app_user.id", ondelete="CASCADE"), primary_key=True
    )
    last_seen_id: Mapped[int] = mapped_column(default=0)
    seen_at: Mapped[dt.datetime] = mapped_column(default=utcnow, onupdate=utcnow)
