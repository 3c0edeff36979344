"""Pydantic I/O for the audit log."""

from __future__ import annotations

import datetime as dt
from typing import Any

from pydantic import BaseModel, ConfigDict


class AuditRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    at: dt.datetime
    user_id: int | None
    username: str
    action: str
    resource: str
    resource_id: str | None
    sensitive: bool
    reason: str | None
    ip: str
    method: str
    path: str
    request_id: str
    detail: dict[str, Any]


class AuditPage(BaseModel):
    items: list[AuditRead]
    total: int
    offset: int
    limit: int
