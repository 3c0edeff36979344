"""Pages of the administration registries, the user actions and the API token page.

The token page calls the /api/v1/auth/tokens handlers themselves (plain functions), so a token
issued or revoked here follows exactly the rules and audit of the API.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import ValidationError
from sqlalchemy import select
from sqlalchemy.orm import Session

from jiaoguan.platform.admin.org_units import ORG_UNITS
from jiaoguan.platform.admin.roles import ROLES
from jiaoguan.platform.admin.schemas import UserUpdate
from jiaoguan.platform.admin.users import USERS, reset_password
from jiaoguan.platform.auth import api as auth_api
from jiaoguan.platform.auth.models import ApiToken, User, UserKind
from jiaoguan.platform.auth.permissions import TOKEN_MANAGE, USER_WRITE
from jiaoguan.platform.auth.schemas import TokenCreate
from jiaoguan.platform.auth.service import Principal, in_scope
from jiaoguan.platform.crud import (
    DONE_MESSAGES,
    get_record,
    page_router,
    render_detail,
    savepoint,
    update_record,
)
from jiaoguan.platform.crud.forms import errors_of
from jiaoguan.platform.crud.pages import Form, done_flash
from jiaoguan.platform.db import utcnow
from jiaoguan.platform.deps import Db, require
from jiaoguan.platform.errors import DomainError
from jiaoguan.web.templating import render

DONE_MESSAGES.update(
    {
        "password_reset": "密码已重置，该用户须用新密码重新登录",
        "activated": "账号已启用",
        "deactivated": "账号已停用，其会话和令牌不再有效",
        "revoked": "令牌已吊销",
    }
)

router = APIRouter(include_in_schema=False)
UserWriter = Annotated[Principal, Depends(require(USER_WRITE))]
TokenManager = Annotated[Principal, Depends(require(TOKEN_MANAGE))]

users = page_router(USERS)


@users.post("/{item_id:int}/reset-password", response_class=HTMLResponse)
def reset_user_password(
    request: Request, db: Db, principal: UserWriter, item_id: int, form: Form
) -> Response:
    password = form.get("password")
    try:
        with savepoint(db):
            reset_password(db, principal, item_id, password if isinstance(password, str) else "")
    except DomainError as exc:
        if exc.status_code == 404:
            raise
        obj = get_record(USERS, db, principal, item_id)
        return render_detail(USERS, request, db, principal, obj, [("danger", exc.message)], 422)
    return RedirectResponse(f"/admin/users/{item_id}?done=password_reset", status_code=303)


@users.post("/{item_id:int}/active", response_class=HTMLResponse)
def set_user_active(
    request: Request, db: Db, principal: UserWriter, item_id: int, form: Form
) -> Response:
    active = form.get("active") == "true"
    try:
        with savepoint(db):
            update_record(USERS, db, principal, item_id, UserUpdate(is_active=active))
    except DomainError as exc:
        if exc.status_code == 404:
            raise
        obj = get_record(USERS, db, principal, item_id)
        flash = [("danger", exc.message)]
        return render_detail(USERS, request, db, principal, obj, flash, exc.status_code)
    done = "activated" if active else "deactivated"
    return RedirectResponse(f"/admin/users/{item_id}?done={done}", status_code=303)


# --- API tokens ------------------------------------------------------------------------------


def _device_options(db: Session, principal: Principal) -> list[User]:
    stmt = select(User).where(User.kind == UserKind.device, User.is_active.is_(True))
    return list(db.scalars(stmt.where(in_scope(principal, User.unit_id)).order_by(User.username)))


def _state(token: ApiToken, now: dt.datetime) -> str:
    if token.revoked:
        return "revoked"
    if token.expires_at is not None and token.expires_at <= now:
        return "expired"
    return "active"


def _token_rows(db: Session, principal: Principal, everything: bool) -> list[dict[str, Any]]:
    tokens = auth_api.list_tokens(db, principal)
    owners = {
        u.id: u for u in db.scalars(select(User).where(User.id.in_({t.user_id for t in tokens})))
    }
    now = utcnow()
    rows = []
    for token in tokens:
        state = _state(token, now)
        if not everything and state != "active":
            continue
        rows.append({"token": token, "owner": owners.get(token.user_id), "state": state})
    return rows[:500]


def _tokens_page(
    request: Request,
    db: Session,
    principal: Principal,
    *,
    issued: Any = None,
    values: dict[str, Any] | None = None,
    errors: dict[str, str] | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    everything = request.query_params.get("all") == "1"
    context = {
        "title": "接口令牌",
        "pretitle": "系统管理",
        "rows": _token_rows(db, principal, everything),
        "everything": everything,
        "devices": _device_options(db, principal),
        "issued": issued,
        "values": values or {},
        "errors": errors or {},
        "flash": done_flash(request),
    }
    return render(request, "admin/tokens.html", context, status_code=status_code)


@router.get("/admin/tokens", response_class=HTMLResponse)
def tokens_page(request: Request, db: Db, principal: TokenManager) -> Response:
    return _tokens_page(request, db, principal)


@router.post("/admin/tokens", response_class=HTMLResponse)
def issue_token(request: Request, db: Db, principal: TokenManager, form: Form) -> Response:
    values = {k: form.get(k) for k in ("user_id", "name", "days")}
    raw = {k: v.strip() for k, v in values.items() if isinstance(v, str) and v.strip()}
    try:
        body = TokenCreate.model_validate(raw)
        device = db.get(User, body.user_id) if body.user_id else None
        if device is None or device.kind != UserKind.device:
            errors = {"user_id": "请选择要签发令牌的设备账号"}
            return _tokens_page(
                request, db, principal, values=values, errors=errors, status_code=422
            )
        with savepoint(db):
            issued = auth_api.create_token(body, db, principal)
    except (ValidationError, DomainError) as exc:
        errors, general = errors_of(exc)
        if general:
            errors.setdefault("name", "；".join(general))
        return _tokens_page(request, db, principal, values=values, errors=errors, status_code=422)
    return _tokens_page(request, db, principal, issued=issued)


@router.post("/admin/tokens/{token_id:int}/revoke", response_class=HTMLResponse)
def revoke_token(request: Request, db: Db, principal: TokenManager, token_id: int) -> Response:
    auth_api.revoke_token(token_id, db, principal)
    return RedirectResponse("/admin/tokens?done=revoked", status_code=303)


for registry_router in (page_router(ORG_UNITS), users, page_router(ROLES)):
    router.include_router(registry_router)
