"""API for obtaining tokens and reading the current principal."""

from __future__ import annotations

from fastapi import APIRouter
from sqlalchemy import select

from jiaoguan.platform.audit.service import record
from jiaoguan.platform.auth import service
from jiaoguan.platform.auth.models import ApiToken, User
from jiaoguan.platform.auth.permissions import TOKEN_MANAGE
from jiaoguan.platform.auth.schemas import (
    LoginRequest,
    MeRead,
    PasswordToken,
    TokenCreate,
    TokenIssued,
    TokenRead,
)
from jiaoguan.platform.deps import AppSettings, CurrentPrincipal, Db
from jiaoguan.platform.errors import NotFound

router = APIRouter(prefix="/api/v1/auth", tags=["认证"])


@router.post("/token", response_model=PasswordToken, summary="用户名密码换取访问令牌")
def password_token(body: LoginRequest, db: Db, settings: AppSettings) -> PasswordToken:
    user = service.authenticate(
        db,
        body.username,
        body.password,
        max_failures=settings.lockout_failures,
        lock_minutes=settings.lockout_minutes,
    )
    row, plain = service.issue_token(db, user, "密码登录", days=settings.session_hours / 24)
    record(db, service.principal_of(user), "login", "api_token", row.id, detail={"via": "password"})
    return PasswordToken(access_token=plain, expires_at=row.expires_at)


@router.get("/me", response_model=MeRead, summary="当前用户")
def me(principal: CurrentPrincipal) -> MeRead:
    return MeRead(
        id=principal.user_id,
        username=principal.username,
        full_name=principal.full_name,
        kind=principal.kind,
        unit_id=principal.unit_id,
        unit_path=principal.unit_path,
        roles=sorted(principal.roles),
        permissions=sorted(principal.permissions),
    )


@router.get("/tokens", response_model=list[TokenRead], summary="令牌列表")
def list_tokens(db: Db, principal: CurrentPrincipal) -> list[ApiToken]:
    stmt = select(ApiToken).join(User, User.id == ApiToken.user_id).order_by(ApiToken.id.desc())
    if principal.can(TOKEN_MANAGE):
        stmt = stmt.where(service.in_scope(principal, User.unit_id))
    else:
        stmt = stmt.where(ApiToken.user_id == principal.user_id)
    return list(db.scalars(stmt))


@router.post("/tokens", response_model=TokenIssued, status_code=201, summary="签发令牌")
def create_token(body: TokenCreate, db: Db, principal: CurrentPrincipal) -> TokenIssued:
    target_id = body.user_id or principal.user_id
    if target_id != principal.user_id:
        principal.require(TOKEN_MANAGE)
    user = db.get(User, target_id)
    if user is None or not principal.sees_path(user.unit.path):
        raise NotFound("用户不存在或不在数据权限范围内", ["body", "user_id"])
    row, plain = service.issue_token(db, user, body.name, body.days)
    record(
        db,
        principal,
        "create",
        "api_token",
        row.id,
        detail={"user": user.username, "name": body.name},
    )
    return TokenIssued(**TokenRead.model_validate(row).model_dump(), token=plain)


@router.delete("/tokens/{token_id}", status_code=204, summary="吊销令牌")
def revoke_token(token_id: int, db: Db, principal: CurrentPrincipal) -> None:
    row = db.get(ApiToken, token_id)
    owner = db.get(User, row.user_id) if row else None
    mine = row is not None and row.user_id == principal.user_id
    managed = (
        owner is not None and principal.can(TOKEN_MANAGE) and principal.sees_path(owner.unit.path)
    )
    if row is None or not (mine or managed):
        raise NotFound("令牌不存在", ["path", "token_id"])
    row.revoked = True
    record(db, principal, "revoke", "api_token", row.id)
