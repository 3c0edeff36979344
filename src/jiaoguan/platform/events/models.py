"""The transactional outbox and the ledger of events already handled by idempotent consumers."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column

from jiaoguan.platform.db import Base, utcnow


class OutboxEntry(Base):
    """An event written in the business transaction; the relay publishes it after commit."""

    __tablename__ = "event_outbox"

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[str] = mapped_column(String(36), unique=True)
    subject: Mapped[str] = mapped_column(String(100), index=True)
    payload: Mapped[dict[str, Any]] = mapped_column()
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    # NULL until the relay has handed the event to the bus.
    published_at: Mapped[dt.datetime | None] = mapped_column(index=True)


class ConsumedEvent(Base):
    """(consumer, event) pairs already applied; makes at-least-once delivery effectively once."""

    __tablename__ = "event_consumed"

    consumer: Mapped[str] = mapped_column(String(100), primary_key=True)
    event_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    consumed_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
