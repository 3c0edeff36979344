"""FastAPI dependencies shared by every module: database session, principal, CSRF, reasons."""

from __future__ import annotations

import secrets
from collections.abc import Callable, Iterator
from typing import Annotated
from urllib.parse import unquote

from fastapi import Depends, Query, Request
from sqlalchemy.orm import Session

from jiaoguan.config import Settings
from jiaoguan.platform.auth.service import Principal, principal_of, user_for_session, user_for_token
from jiaoguan.platform.db import Database
from jiaoguan.platform.errors import Forbidden, ReasonRequired, Unauthorized

SESSION_COOKIE = "jg_session"
CSRF_COOKIE = "jg_csrf"
CSRF_HEADER = "X-CSRF-Token"
CSRF_FIELD = "csrf_token"
REASON_HEADER = "X-Reason"
_SAFE_METHODS = {"GET", "HEAD", "OPTIONS", "TRACE"}


def get_database(request: Request) -> Database:
    return request.app.state.db  # type: ignore[no-any-return]


def get_settings_dep(request: Request) -> Settings:
    return request.app.state.settings  # type: ignore[no-any-return]


def get_db(request: Request) -> Iterator[Session]:
    """One transaction per request: committed when the handler returns, rolled back on error."""
    with get_database(request).transaction() as session:
        yield session


# scope="function": the commit happens before the response is sent, so a failed commit is an error
# response rather than a 200 for data that was never stored.
Db = Annotated[Session, Depends(get_db, scope="function")]
AppSettings = Annotated[Settings, Depends(get_settings_dep)]


def _bearer(request: Request) -> str | None:
    header = request.headers.get("authorization", "")
    scheme, _, value = header.partition(" ")
    return value.strip() if scheme.lower() == "bearer" and value.strip() else None


def optional_principal(request: Request, db: Db) -> Principal | None:
    cached: Principal | None = getattr(request.state, "principal", None)
    if cached is not None:
        return cached
    token = _bearer(request)
    if token is not None:
        user = user_for_token(db, token)
        if user is None:
            raise Unauthorized("访问令牌无效或已过期")
        via = "token"
    else:
        cookie = request.cookies.get(SESSION_COOKIE)
        user = user_for_session(db, cookie) if cookie else None
        via = "session"
    if user is None:
        return None
    principal = principal_of(user)
    principal = Principal(**{**principal.__dict__, "via": via})
    request.state.principal = principal
    return principal


def current_principal(
    principal: Annotated[Principal | None, Depends(optional_principal)],
) -> Principal:
    if principal is None:
        raise Unauthorized("请先登录")
    return principal


CurrentPrincipal = Annotated[Principal, Depends(current_principal)]


def require(permission: str) -> Callable[[Principal], Principal]:
    """Dependency: the current principal, refused with 403 unless it holds `permission`."""

    def check(principal: CurrentPrincipal) -> Principal:
        principal.require(permission)
        return principal

    check.__name__ = f"require_{permission.replace('.', '_')}"
    # Read by the authorisation-matrix test to know which permission each route demands.
    check.permission = permission  # type: ignore[attr-defined]
    return check


def new_csrf_token() -> str:
    return secrets.token_urlsafe(24)


def csrf_token_of(request: Request) -> str:
    """The double-submit token for this browser (set as a cookie by the CSRF middleware)."""
    return getattr(request.state, "csrf_token", "") or request.cookies.get(CSRF_COOKIE, "")


async def csrf_check(request: Request) -> None:
    """Cookie-authenticated writes must echo the CSRF cookie in a header or form field."""
    if request.method in _SAFE_METHODS or request.headers.get("authorization"):
        return
    if SESSION_COOKIE not in request.cookies and request.url.path != "/login":
        return
    expected = request.cookies.get(CSRF_COOKIE, "")
    given = request.headers.get(CSRF_HEADER, "")
    content_type = request.headers.get("content-type", "")
    if not given and content_type.startswith(
        ("application/x-www-form-urlencoded", "multipart/form-data")
    ):
        form = await request.form()
        value = form.get(CSRF_FIELD)
        given = value if isinstance(value, str) else ""
    if not expected or not secrets.compare_digest(expected, given):
        raise Forbidden("表单已过期或来源不明（CSRF 校验失败），请刷新页面后重试", [CSRF_FIELD])


def reason_of(
    request: Request,
    # Credentials first: a stranger gets 401, never a hint (428) that the route exists.
    _principal: CurrentPrincipal,
    reason: Annotated[
        str | None,
        Query(max_length=500, description="查询事由：敏感数据查询必须填写，并记入审计日志"),
    ] = None,
) -> str:
    """The reason (事由) for a sensitive read, from `?reason=` or a percent-encoded X-Reason header."""
    text = reason or unquote(request.headers.get(REASON_HEADER, ""))
    text = text.strip()
    if len(text) < 2:
        raise ReasonRequired("敏感数据查询须填写查询事由（至少 2 个字）", ["query", "reason"])
    return text[:500]


Reason = Annotated[str, Depends(reason_of)]
SENSITIVE = {"x-sensitive": True}
