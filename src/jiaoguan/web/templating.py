"""Jinja2 environment and the one `render` every module's pages use."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from fastapi import Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates

from jiaoguan.platform.audit.labels import action_label, resource_label
from jiaoguan.platform.auth.service import Principal
from jiaoguan.platform.deps import CSRF_FIELD, CSRF_HEADER, csrf_token_of
from jiaoguan.web.nav import NAVIGATION, NavItem

TEMPLATE_DIR = Path(__file__).parent / "templates"
templates = Jinja2Templates(directory=TEMPLATE_DIR)


def _local(value: dt.datetime | None, fmt: str = "%Y-%m-%d %H:%M:%S") -> str:
    if value is None:
        return ""
    zone = ZoneInfo(templates.env.globals.get("timezone", "Asia/Shanghai"))  # type: ignore[arg-type]
    if value.tzinfo is None:
        value = value.replace(tzinfo=dt.UTC)
    return value.astimezone(zone).strftime(fmt)


templates.env.filters["local"] = _local
templates.env.filters["action_label"] = action_label
templates.env.filters["resource_label"] = resource_label
templates.env.globals["csrf_field"] = CSRF_FIELD
templates.env.globals["csrf_header"] = CSRF_HEADER


def visible_nav(principal: Principal | None) -> list[NavItem]:
    """Navigation trimmed to what the principal may open; planned modules stay visible."""
    if principal is None:
        return []
    items: list[NavItem] = []
    for item in NAVIGATION:
        if item.permission and not principal.can(item.permission):
            continue
        if item.children:
            children = tuple(
                c for c in item.children if not c.permission or principal.can(c.permission)
            )
            if not children:
                continue
            item = NavItem(**{**item.__dict__, "children": children})
        items.append(item)
    return items


def render(
    request: Request, template: str, context: dict[str, Any] | None = None, status_code: int = 200
) -> HTMLResponse:
    principal: Principal | None = getattr(request.state, "principal", None)
    full = {
        "request": request,
        "principal": principal,
        "nav": visible_nav(principal),
        "csrf_token": csrf_token_of(request),
        "active_path": request.url.path,
        **(context or {}),
    }
    return templates.TemplateResponse(request, template, full, status_code=status_code)
