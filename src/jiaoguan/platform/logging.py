"""Structured logs (console or JSON lines) with the request id bound per request."""

from __future__ import annotations

import logging
import sys
import time
import uuid
from typing import Any

import structlog
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from jiaoguan.platform.context import RequestInfo, current_request
from jiaoguan.platform.deps import CSRF_COOKIE, new_csrf_token


def configure_logging(level: str = "INFO", as_json: bool = False) -> None:
    renderer: Any = (
        structlog.processors.JSONRenderer(ensure_ascii=False)
        if as_json
        else structlog.dev.ConsoleRenderer(
            colors=sys.stderr.isatty(), exception_formatter=structlog.dev.plain_traceback
        )
    )
    # The server's own messages (uvicorn's start-up line, warnings) go to stderr as plain lines.
    logging.basicConfig(level=level.upper(), format="%(message)s", stream=sys.stderr, force=True)
    structlog.configure(
        processors=[
            structlog.contextvars.merge_contextvars,
            structlog.processors.add_log_level,
            structlog.processors.TimeStamper(fmt="iso", utc=True),
            renderer,
        ],
        wrapper_class=structlog.make_filtering_bound_logger(logging.getLevelName(level.upper())),
        logger_factory=structlog.PrintLoggerFactory(sys.stderr),
        cache_logger_on_first_use=False,
    )


log = structlog.get_logger("jiaoguan")


class RequestContextMiddleware:
    """Request id, client address and the CSRF cookie for every HTTP request; one access log line."""

    def __init__(self, app: ASGIApp, cookie_secure: bool = True, log_all: bool = True) -> None:
        self.app = app
        self.cookie_secure = cookie_secure
        # False: only refused and failed requests get a line (the demo's simulation is chatty).
        self.log_all = log_all

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope["headers"]}
        request_id = headers.get("x-request-id", "")[:64] or uuid.uuid4().hex
        client = scope.get("client")
        info = RequestInfo(
            request_id=request_id,
            ip=client[0] if client else "",
            user_agent=headers.get("user-agent", "")[:255],
            method=scope["method"],
            path=scope["path"],
        )
        token = current_request.set(info)
        # Kept on the request too: the 500 handler runs after this middleware has returned.
        scope.setdefault("state", {})["request_id"] = request_id
        structlog.contextvars.bind_contextvars(request_id=request_id)
        has_csrf = f"{CSRF_COOKIE}=" in headers.get("cookie", "")
        csrf_value = "" if has_csrf else new_csrf_token()
        if csrf_value:
            scope.setdefault("state", {})["csrf_token"] = csrf_value
        started = time.perf_counter()
        status = 500

        async def send_with_headers(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                extra = [(b"x-request-id", request_id.encode())]
                if csrf_value:
                    cookie = f"{CSRF_COOKIE}={csrf_value}; Path=/; SameSite=Strict; HttpOnly"
                    if self.cookie_secure:
                        cookie += "; Secure"
                    extra.append((b"set-cookie", cookie.encode()))
                message["headers"] = [*message.get("headers", []), *extra]
            await send(message)

        try:
            await self.app(scope, receive, send_with_headers)
        finally:
            elapsed_ms = round((time.perf_counter() - started) * 1000, 1)
            if not scope["path"].startswith("/static/") and (self.log_all or status >= 400):
                log.info(
                    "request", method=info.method, path=info.path, status=status, ms=elapsed_ms
                )
            structlog.contextvars.unbind_contextvars("request_id")
            current_request.reset(token)
