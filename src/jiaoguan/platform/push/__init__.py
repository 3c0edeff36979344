"""Live push to browsers: notifications behind the header bell, over server-sent events."""

from jiaoguan.platform.push.service import notify, notify_in

__all__ = ["notify", "notify_in"]
