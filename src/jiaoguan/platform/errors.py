"""Domain errors and their HTTP form: Chinese message plus the field path, never a 500 for bad input."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from sqlalchemy.exc import IntegrityError
from starlette.exceptions import HTTPException as StarletteHTTPException


class DomainError(Exception):
    """Base of errors that services raise; the API layer maps them to status codes."""

    status_code = 400
    code = "bad_request"

    def __init__(self, message: str, field: Sequence[str | int] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = list(field) if field else []

    def detail(self) -> list[dict[str, Any]]:
        return [{"loc": self.field, "msg": self.message, "type": self.code}]


class NotFound(DomainError):
    status_code = 404
    code = "not_found"


class Forbidden(DomainError):
    status_code = 403
    code = "forbidden"


class Unauthorized(DomainError):
    status_code = 401
    code = "unauthorized"


class Invalid(DomainError):
    status_code = 422
    code = "invalid"


class Conflict(DomainError):
    status_code = 409
    code = "conflict"


class ReasonRequired(DomainError):
    status_code = 428
    code = "reason_required"


# Chinese wording of pydantic's error types; anything unlisted falls back to a generic sentence.
_PYDANTIC_MESSAGES: dict[str, str] = {
    "missing": "必填项缺失",
    "string_type": "应为文本",
    "string_too_short": "内容过短",
    "string_too_long": "内容过长",
    "string_pattern_mismatch": "格式不正确",
    "int_type": "应为整数",
    "int_parsing": "应为整数",
    "float_type": "应为数字",
    "float_parsing": "应为数字",
    "bool_type": "应为是/否",
    "bool_parsing": "应为是/否",
    "datetime_type": "应为日期时间",
    "datetime_parsing": "日期时间格式不正确",
    "datetime_from_date_parsing": "日期时间格式不正确",
    "date_parsing": "日期格式不正确",
    "date_from_datetime_parsing": "日期格式不正确",
    "enum": "取值不在允许范围内",
    "literal_error": "取值不在允许范围内",
    "greater_than": "数值过小",
    "greater_than_equal": "数值过小",
    "less_than": "数值过大",
    "less_than_equal": "数值过大",
    "list_type": "应为列表",
    "dict_type": "应为对象",
    "model_type": "应为对象",
    "model_attributes_type": "应为对象",
    "json_invalid": "JSON 格式错误",
    "json_type": "JSON 格式错误",
    "extra_forbidden": "不允许的字段",
    "value_error": "取值不正确",
    "too_short": "条目过少",
    "too_long": "条目过多",
    "url_parsing": "网址格式不正确",
    "uuid_parsing": "UUID 格式不正确",
    "int_from_float": "应为整数",
    "finite_number": "应为有限数值",
    "timezone_aware": "时间须带时区",
}


def chinese_message(error: dict[str, Any]) -> str:
    kind = str(error.get("type", ""))
    base = _PYDANTIC_MESSAGES.get(kind, "输入不正确")
    if kind == "value_error":
        # Our validators raise ValueError with a Chinese sentence; pydantic prefixes "Value error, ".
        text = str(error.get("msg", ""))
        return text.removeprefix("Value error, ") or base
    ctx = error.get("ctx") or {}
    for key in ("min_length", "max_length", "gt", "ge", "lt", "le", "expected"):
        if key in ctx:
            return f"{base}（{key}={ctx[key]}）"
    return base


def validation_detail(errors: Sequence[Any]) -> list[dict[str, Any]]:
    return [
        {"loc": list(e.get("loc", [])), "msg": chinese_message(dict(e)), "type": e.get("type", "")}
        for e in errors
    ]


_STATUS_MESSAGES = {
    400: "请求不正确",
    401: "未登录或登录已过期",
    403: "无权访问",
    404: "未找到",
    405: "不支持的请求方法",
    406: "不支持的响应格式",
    409: "数据冲突",
    413: "请求内容过大",
    415: "不支持的内容类型",
    422: "输入不正确",
    428: "请填写查询事由",
    429: "请求过于频繁",
    500: "服务器内部错误",
    503: "服务暂不可用",
}


def status_message(status: int) -> str:
    return _STATUS_MESSAGES.get(status, "请求失败")


def wants_html(request: Request) -> bool:
    if request.url.path.startswith(("/api/", "/VIID/")):
        return False
    return "text/html" in request.headers.get("accept", "")


def install_error_handlers(app: FastAPI, render_error_page: Any) -> None:
    """Map errors to JSON for the API and to Chinese error pages for browsers."""

    def respond(request: Request, status: int, detail: list[dict[str, Any]] | str) -> Response:
        if wants_html(request):
            message = detail if isinstance(detail, str) else "；".join(d["msg"] for d in detail)
            return render_error_page(request, status, message)  # type: ignore[no-any-return]
        headers = {"WWW-Authenticate": "Bearer"} if status == 401 else None
        return JSONResponse({"detail": detail}, status_code=status, headers=headers)

    async def on_domain_error(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, DomainError)
        return respond(request, exc.status_code, exc.detail())

    async def on_validation_error(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, RequestValidationError)
        return respond(request, 422, validation_detail(exc.errors()))

    async def on_http_error(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, StarletteHTTPException)
        message = exc.detail if isinstance(exc.detail, str) and not exc.detail.isascii() else None
        response = respond(request, exc.status_code, message or status_message(exc.status_code))
        for key, value in (exc.headers or {}).items():
            response.headers[key] = value
        return response

    async def on_integrity_error(request: Request, exc: Exception) -> Response:
        # A constraint the service did not foresee (e.g. a concurrent duplicate): the request's
        # transaction was rolled back, nothing was half-written; tell the client plainly.
        return respond(
            request, 409, [{"loc": [], "msg": "数据冲突：记录重复或仍被引用", "type": "conflict"}]
        )

    async def on_unexpected(request: Request, exc: Exception) -> Response:
        # Our bug, not the client's: log it with the request id and answer in Chinese.
        from jiaoguan.platform.context import current_request
        from jiaoguan.platform.logging import log

        # Starlette calls this handler outside the request-context middleware, so the request id
        # comes from the request state and goes on the response here.
        request_id = getattr(request.state, "request_id", "") or current_request.get().request_id
        log.exception("unhandled error", exc_info=exc, request_id=request_id)
        message = f"服务器内部错误，请联系管理员（请求编号 {request_id}）"
        response = respond(request, 500, [{"loc": [], "msg": message, "type": "server_error"}])
        response.headers["X-Request-ID"] = request_id
        return response

    app.add_exception_handler(Exception, on_unexpected)
    app.add_exception_handler(DomainError, on_domain_error)
    app.add_exception_handler(IntegrityError, on_integrity_error)
    app.add_exception_handler(RequestValidationError, on_validation_error)
    app.add_exception_handler(StarletteHTTPException, on_http_error)
