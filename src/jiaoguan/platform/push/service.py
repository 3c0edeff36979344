"""Store notifications and decide who sees them; `notify_in` is what other modules call."""

from __future__ import annotations

from typing import Any, get_args

from fastapi import FastAPI
from sqlalchemy import ColumnElement, and_, func, or_, select
from sqlalchemy.orm import Session

from jiaoguan.platform.auth.permissions import PERMISSIONS
from jiaoguan.platform.auth.service import Principal
from jiaoguan.platform.db import Database
from jiaoguan.platform.errors import Invalid
from jiaoguan.platform.events import emit
from jiaoguan.platform.push.events import NotificationPushed
from jiaoguan.platform.push.models import Notification, NotificationSeen
from jiaoguan.platform.push.schemas import Level, NotificationRead

LEVELS = frozenset(get_args(Level))


def ancestor_paths(unit_path: str) -> list[str]:
    """`/1/4/9/` → `/`, `/1/`, `/1/4/`, `/1/4/9/`: the units whose notices reach a member of 9."""
    parts = [p for p in unit_path.split("/") if p]
    return ["/" + "".join(f"{p}/" for p in parts[:depth]) for depth in range(len(parts) + 1)]


def sees(principal: Principal, item: NotificationRead) -> bool:
    """A notice reaches the members of its unit and everyone whose scope covers that unit."""
    if item.user_id is not None and item.user_id != principal.user_id:
        return False
    if item.permission is not None and not principal.can(item.permission):
        return False
    return principal.unit_path.startswith(item.unit_path) or item.unit_path.startswith(
        principal.unit_path
    )


def visible_to(principal: Principal) -> ColumnElement[bool]:
    """`sees` as SQL, for listing and for replaying what a reconnecting browser missed."""
    held = [name for name in PERMISSIONS if principal.can(name)]
    return and_(
        or_(Notification.user_id.is_(None), Notification.user_id == principal.user_id),
        or_(Notification.permission.is_(None), Notification.permission.in_(held)),
        or_(
            Notification.unit_path.in_(ancestor_paths(principal.unit_path)),
            Notification.unit_path.startswith(principal.unit_path, autoescape=True),
        ),
    )


def notify_in(
    db: Session,
    *,
    title: str,
    body: str = "",
    link: str | None = None,
    unit_path: str,
    user_id: int | None = None,
    level: str = "info",
    kind: str = "general",
    permission: str | None = None,
) -> Notification:
    """Store a notification and push it live once the caller's transaction commits."""
    if level not in LEVELS:
        raise Invalid(f"通知级别应为 {'、'.join(sorted(LEVELS))} 之一", ["level"])
    if not title.strip():
        raise Invalid("通知标题不能为空", ["title"])
    if not (unit_path.startswith("/") and unit_path.endswith("/")):
        raise Invalid("通知的单位路径格式不正确", ["unit_path"])
    if permission is not None and permission not in PERMISSIONS:
        raise Invalid(f"未知的权限：{permission}", ["permission"])
    row = Notification(
        title=title.strip()[:200],
        body=body[:1000],
        link=link,
        unit_path=unit_path,
        user_id=user_id,
        level=level,
        kind=kind[:32],
        permission=permission,
    )
    db.add(row)
    db.flush()
    emit(
        db,
        NotificationPushed(notification=NotificationRead.model_validate(row), unit_path=unit_path),
    )
    return row


def notify(app: FastAPI, **fields: Any) -> NotificationRead:
    """`notify_in` in a transaction of its own, for code outside a request (jobs, tests, CLI)."""
    database: Database = app.state.db
    with database.transaction() as db:
        row = notify_in(db, **fields)
        return NotificationRead.model_validate(row)


def recent(
    db: Session, principal: Principal, *, after_id: int | None = None, limit: int = 20
) -> list[Notification]:
    """Newest first; with `after_id`, only those after it, oldest first (for replay)."""
    stmt = select(Notification).where(visible_to(principal))
    if after_id is not None:
        stmt = stmt.where(Notification.id > after_id).order_by(Notification.id)
    else:
        stmt = stmt.order_by(Notification.id.desc())
    return list(db.scalars(stmt.limit(limit)))


def last_seen(db: Session, principal: Principal) -> int:
    mark = db.get(NotificationSeen, principal.user_id)
    return mark.last_seen_id if mark else 0


def unread_count(db: Session, principal: Principal) -> int:
    after = last_seen(db, principal)
    stmt = select(func.count(Notification.id)).where(visible_to(principal), Notification.id > after)
    return db.scalar(stmt) or 0


def mark_seen(db: Session, principal: Principal, last_seen_id: int) -> int:
    """Move the user's read mark forward (never back, so two open tabs cannot undo each other)."""
    newest = db.scalar(select(func.max(Notification.id))) or 0
    target = min(last_seen_id, newest)
    mark = db.get(NotificationSeen, principal.user_id)
    if mark is None:
        mark = NotificationSeen(user_id=principal.user_id, last_seen_id=target)
        db.add(mark)
    elif target > mark.last_seen_id:
        mark.last_seen_id = target
    return mark.last_seen_id
