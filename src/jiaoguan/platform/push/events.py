"""The event that carries a stored notification to every process's push hub."""

from __future__ import annotations

from jiaoguan.platform.events import Event
from jiaoguan.platform.push.schemas import NotificationRead


class NotificationPushed(Event, subject="push.notification"):
    notification: NotificationRead
