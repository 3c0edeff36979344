"""Record and search audit entries. Writes go in the caller's transaction: no write, no entry."""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Select, func, or_, select
from sqlalchemy.orm import Session

from jiaoguan.platform.audit.models import AuditEntry
from jiaoguan.platform.auth.service import Principal
from jiaoguan.platform.context import current_request


def _jsonable(detail: dict[str, Any] | None) -> dict[str, Any]:
    return json.loads(json.dumps(detail or {}, default=str, ensure_ascii=False))  # type: ignore[no-any-return]


def record(
    db: Session,
    principal: Principal | None,
    action: str,
    resource: str,
    resource_id: object = None,
    *,
    detail: dict[str, Any] | None = None,
    reason: str | None = None,
    sensitive: bool = False,
) -> AuditEntry:
    request = current_request.get()
    entry = AuditEntry(
        user_id=principal.user_id if principal else None,
        username=principal.username if principal else "",
        unit_path=principal.unit_path if principal else "",
        action=action,
        resource=resource,
        resource_id=None if resource_id is None else str(resource_id),
        sensitive=sensitive,
        reason=reason,
        ip=request.ip,
        method=request.method,
        path=request.path[:500],
        request_id=request.request_id,
        detail=_jsonable(detail),
    )
    db.add(entry)
    return entry


@dataclass(frozen=True)
class AuditQuery:
    q: str | None = None
    username: str | None = None
    action: str | None = None
    resource: str | None = None
    sensitive: bool | None = None
    since: dt.datetime | None = None
    until: dt.datetime | None = None


def _filtered(principal: Principal, query: AuditQuery) -> Select[AuditEntry]:
    stmt = select(AuditEntry).where(
        AuditEntry.unit_path.startswith(principal.unit_path, autoescape=True)
    )
    if query.username:
        stmt = stmt.where(AuditEntry.username == query.username)
    if query.action:
        stmt = stmt.where(AuditEntry.action == query.action)
    if query.resource:
        stmt = stmt.where(AuditEntry.resource == query.resource)
    if query.sensitive is not None:
        stmt = stmt.where(AuditEntry.sensitive == query.sensitive)
    if query.since:
        stmt = stmt.where(AuditEntry.at >= query.since)
    if query.until:
        stmt = stmt.where(AuditEntry.at < query.until)
    if query.q:
        like = f"%{query.q}%"
        stmt = stmt.where(
            or_(
                AuditEntry.reason.like(like),
                AuditEntry.path.like(like),
                AuditEntry.resource_id == query.q,
                AuditEntry.username.like(like),
            )
        )
    return stmt


def search(
    db: Session, principal: Principal, query: AuditQuery, *, offset: int = 0, limit: int = 50
) -> tuple[list[AuditEntry], int]:
    stmt = _filtered(principal, query)
    total = db.scalar(select(func.count()).select_from(stmt.subquery())) or 0
    rows = db.scalars(stmt.order_by(AuditEntry.id.desc()).offset(offset).limit(limit)).all()
    return list(rows), total
