"""Login, logout and the account page."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from jiaoguan.platform.audit.service import record
from jiaoguan.platform.auth import service
from jiaoguan.platform.deps import SESSION_COOKIE, AppSettings, CurrentPrincipal, Db
from jiaoguan.platform.errors import Unauthorized
from jiaoguan.web.templating import render

router = APIRouter(include_in_schema=False)


def _safe_next(target: str | None) -> str:
    # Only local paths: an open redirect after login would be a phishing aid.
    if not target or not target.startswith("/") or target.startswith("//"):
        return "/"
    return target


@router.get("/login", response_class=HTMLResponse)
def login_page(request: Request, settings: AppSettings, next: str | None = None) -> Response:
    return render(request, "login.html", {"next": _safe_next(next), "demo": settings.demo})


@router.post("/login", response_class=HTMLResponse)
def login_submit(
    request: Request,
    db: Db,
    settings: AppSettings,
    username: Annotated[str, Form(max_length=64)],
    password: Annotated[str, Form(max_length=128)],
    next: Annotated[str, Form(max_length=500)] = "/",
) -> Response:
    try:
        user = service.authenticate(
            db,
            username,
            password,
            max_failures=settings.lockout_failures,
            lock_minutes=settings.lockout_minutes,
        )
    except Unauthorized as exc:
        context = {
            "error": exc.message,
            "username": username,
            "next": _safe_next(next),
            "demo": settings.demo,
        }
        return render(request, "login.html", context, status_code=401)
    client = request.client.host if request.client else ""
    token = service.open_session(
        db, user, settings.session_hours, client, request.headers.get("user-agent", "")
    )
    record(db, service.principal_of(user), "login", "user", user.id, detail={"via": "web"})
    response = RedirectResponse(_safe_next(next), status_code=303)
    response.set_cookie(
        SESSION_COOKIE,
        token,
        max_age=int(settings.session_hours * 3600),
        httponly=True,
        samesite="lax",
        secure=settings.cookie_secure,
    )
    return response


@router.post("/logout")
def logout(request: Request, db: Db, principal: CurrentPrincipal) -> Response:
    token = request.cookies.get(SESSION_COOKIE)
    if token:
        service.close_session(db, token)
    record(db, principal, "logout", "user", principal.user_id)
    response = RedirectResponse("/login", status_code=303)
    response.delete_cookie(SESSION_COOKIE)
    return response


@router.get("/account", response_class=HTMLResponse)
def account(request: Request, principal: CurrentPrincipal) -> Response:
    return render(request, "platform/account.html", {"title": "个人中心"})
