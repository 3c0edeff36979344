"""Passwords, login with lockout, sessions and tokens, principals and data scope."""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass, field

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import ColumnElement, Select, select
from sqlalchemy.orm import InstrumentedAttribute, Session

from jiaoguan.platform.auth.models import ApiToken, OrgUnit, User, UserKind, WebSession
from jiaoguan.platform.auth.permissions import grants
from jiaoguan.platform.db import utcnow
from jiaoguan.platform.errors import Forbidden, Invalid, NotFound, Unauthorized

_hasher = PasswordHasher()


@dataclass(frozen=True)
class Principal:
    """Who is acting: a person or a device, with the unit subtree they may see."""

    user_id: int
    username: str
    full_name: str
    kind: UserKind
    unit_id: int
    unit_path: str
    roles: frozenset[str]
    permissions: frozenset[str] = field(default_factory=frozenset)
    via: str = "session"

    def can(self, permission: str) -> bool:
        return grants(self.permissions, permission)

    def require(self, permission: str) -> None:
        if not self.can(permission):
            raise Forbidden(f"缺少权限：{permission}")

    def sees_path(self, path: str) -> bool:
        return path.startswith(self.unit_path)


def principal_of(user: User) -> Principal:
    perms: set[str] = set()
    for role in user.roles:
        perms.update(role.permissions)
    return Principal(
        user_id=user.id,
        username=user.username,
        full_name=user.full_name,
        kind=user.kind,
        unit_id=user.unit_id,
        unit_path=user.unit.path,
        roles=frozenset(r.code for r in user.roles),
        permissions=frozenset(perms),
    )


# --- passwords -------------------------------------------------------------------------------

_PASSWORD_RULE = re.compile(r"^(?=.*[A-Za-z])(?=.*\d).{10,128}$")


def check_password_policy(password: str) -> None:
    if not _PASSWORD_RULE.match(password):
        raise Invalid("密码至少 10 位，且须同时包含字母和数字", ["password"])


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(password_hash: str | None, password: str) -> bool:
    if not password_hash:
        return False
    try:
        return _hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


# --- login and lockout -------------------------------------------------------------------------


def authenticate(
    db: Session, username: str, password: str, *, max_failures: int, lock_minutes: int
) -> User:
    """Check a password; lock the account after `max_failures` misses in a row."""
    user = db.scalar(select(User).where(User.username == username))
    now = utcnow()
    if user is None or not user.is_active or user.kind == UserKind.device:
        # Same cost and message for unknown users so names cannot be probed.
        verify_password(_DUMMY_HASH, password)
        raise Unauthorized("用户名或密码错误", ["username"])
    if user.locked_until and user.locked_until > now:
        minutes = max(1, int((user.locked_until - now).total_seconds() // 60) + 1)
        raise Unauthorized(f"账号已锁定，请 {minutes} 分钟后再试", ["username"])
    if not verify_password(user.password_hash, password):
        user.failed_logins += 1
        if user.failed_logins >= max_failures:
            user.locked_until = now + dt.timedelta(minutes=lock_minutes)
            user.failed_logins = 0
            db.commit()
            raise Unauthorized(
                f"连续输错 {max_failures} 次，账号已锁定 {lock_minutes} 分钟", ["password"]
            )
        db.commit()
        raise Unauthorized("用户名或密码错误", ["password"])
    user.failed_logins = 0
    user.locked_until = None
    user.last_login_at = now
    return user


_DUMMY_HASH = _hasher.hash("not-a-real-password-0")


# --- sessions and tokens -----------------------------------------------------------------------


_pepper: bytes = b""


def set_secret(secret_key: str) -> None:
    """Key the token digests with the deployment's secret: a stolen table alone verifies nothing."""
    global _pepper
    _pepper = secret_key.encode()


def token_digest(token: str) -> str:
    return hmac.new(_pepper, token.encode(), hashlib.sha256).hexdigest()


def open_session(db: Session, user: User, hours: float, ip: str, user_agent: str) -> str:
    token = secrets.token_urlsafe(32)
    db.add(
        WebSession(
            token_hash=token_digest(token),
            user_id=user.id,
            expires_at=utcnow() + dt.timedelta(hours=hours),
            ip=ip[:64],
            user_agent=user_agent[:255],
        )
    )
    return token


def close_session(db: Session, token: str) -> None:
    row = db.scalar(select(WebSession).where(WebSession.token_hash == token_digest(token)))
    if row is not None:
        db.delete(row)


def user_for_session(db: Session, token: str) -> User | None:
    row = db.scalar(select(WebSession).where(WebSession.token_hash == token_digest(token)))
    if row is None or row.expires_at <= utcnow():
        return None
    user = db.get(User, row.user_id)
    return user if user is not None and user.is_active else None


def issue_token(db: Session, user: User, name: str, days: float | None) -> tuple[ApiToken, str]:
    """A bearer token; only its digest is stored, so the plain value is shown once."""
    plain = "jg_" + secrets.token_urlsafe(32)
    expires = utcnow() + dt.timedelta(days=days) if days else None
    row = ApiToken(
        name=name,
        token_hash=token_digest(plain),
        prefix=plain[:10],
        user_id=user.id,
        expires_at=expires,
    )
    db.add(row)
    db.flush()
    return row, plain


def user_for_token(db: Session, plain: str) -> User | None:
    row = db.scalar(select(ApiToken).where(ApiToken.token_hash == token_digest(plain)))
    now = utcnow()
    if row is None or row.revoked or (row.expires_at is not None and row.expires_at <= now):
        return None
    user = db.get(User, row.user_id)
    if user is None or not user.is_active:
        return None
    # Cheap enough per request, and tells admins which device tokens are alive.
    if row.last_used_at is None or (now - row.last_used_at).total_seconds() > 60:
        row.last_used_at = now
    return user


# --- data scope --------------------------------------------------------------------------------


def scope_units(principal: Principal) -> Select[int]:
    """Ids of the org units in the principal's subtree."""
    return select(OrgUnit.id).where(OrgUnit.path.startswith(principal.unit_path, autoescape=True))


def in_scope(principal: Principal, unit_column: InstrumentedAttribute[int]) -> ColumnElement[bool]:
    return unit_column.in_(scope_units(principal))


def unit_in_scope(db: Session, principal: Principal, unit_id: int) -> OrgUnit:
    """The unit if the principal may see it; 404 otherwise (existence is not leaked)."""
    unit = db.get(OrgUnit, unit_id)
    if unit is None or not principal.sees_path(unit.path):
        raise NotFound("组织机构不存在或不在数据权限范围内", ["unit_id"])
    return unit
