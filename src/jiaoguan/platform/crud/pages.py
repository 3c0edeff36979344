"""Pages factory: list (filters, search, sort, htmx paging), detail, create/edit forms, delete,
Excel import, for one registry. Templates live in web/templates/crud/ and can be overridden per
registry (`Registry.templates`). Every page calls the same service functions as the API.
"""

# No `from __future__ import annotations`: the route handlers are built inside factories and
# their annotations name local values, which FastAPI can only see evaluated.

import enum
from dataclasses import dataclass
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import ValidationError
from sqlalchemy.orm import Session
from starlette.datastructures import FormData, UploadFile

from jiaoguan.platform.auth.service import Principal
from jiaoguan.platform.crud import excel, forms, service
from jiaoguan.platform.crud.lookups import units_in_scope
from jiaoguan.platform.crud.query import (
    ListQuery,
    ResolvedFilter,
    page_dependency,
    resolved_filters,
)
from jiaoguan.platform.crud.registry import Registry
from jiaoguan.platform.deps import Db, require
from jiaoguan.platform.errors import DomainError, Invalid
from jiaoguan.web.templating import render

AnyRegistry = Registry[Any, Any, Any, Any]
ROWS_TARGET = "crud-rows"
# Confirmations shown after a redirect (`?done=<key>`); modules may add their own keys.
DONE_MESSAGES = {
    "created": "已新建",
    "updated": "已保存修改",
    "deleted": "已删除",
}


async def form_data(request: Request) -> FormData:
    """The submitted form (urlencoded or multipart); the CSRF check has already read it."""
    return await request.form()


Form = Annotated[FormData, Depends(form_data)]


@dataclass(frozen=True)
class FilterWidget:
    """One control of the list's filter form."""

    name: str
    label: str
    kind: str  # select | text | date | number
    value: str
    options: list[tuple[str, str]]
    name_to: str = ""
    value_to: str = ""


def _filter_widgets(
    registry: AnyRegistry, db: Session, principal: Principal, query: ListQuery
) -> list[FilterWidget]:
    widgets: list[FilterWidget] = []
    for spec in resolved_filters(registry):
        widgets.append(_filter_widget(spec, db, principal, query))
    return widgets


def _filter_widget(
    spec: ResolvedFilter, db: Session, principal: Principal, query: ListQuery
) -> FilterWidget:
    value = forms.as_text(query.filters.get(spec.param))
    if spec.kind == "date_range":
        start, stop = f"{spec.param}_from", f"{spec.param}_to"
        return FilterWidget(
            start,
            spec.label,
            "date",
            forms.as_text(query.filters.get(start)),
            [],
            name_to=stop,
            value_to=forms.as_text(query.filters.get(stop)),
        )
    options: list[tuple[str, str]] = []
    if spec.options is not None:
        options = [(forms.as_text(v), text) for v, text in spec.options(db, principal)]
    elif spec.kind == "unit":
        options = [(forms.as_text(v), text) for v, text in units_in_scope(db, principal)]
    elif spec.choices:
        options = [(forms.as_text(v), text) for v, text in spec.choices.items()]
    elif isinstance(spec.type, type) and issubclass(spec.type, enum.Enum):
        options = [(str(m.value), str(m.value)) for m in spec.type]
    elif spec.type is bool:
        options = [("true", "是"), ("false", "否")]
    if options:
        return FilterWidget(spec.param, spec.label, "select", value, options)
    kind = "number" if spec.type is int else "text"
    return FilterWidget(spec.param, spec.label, kind, value, [])


@dataclass(frozen=True)
class HeaderCell:
    header: str
    sort_url: str | None
    sorted: str  # "", "asc" or "desc"


def _url(base: str, params: dict[str, str]) -> str:
    return f"{base}?{urlencode(params)}" if params else base


def _headers(registry: AnyRegistry, query: ListQuery, prefix: str) -> list[HeaderCell]:
    current = query.sort or registry.default_sort
    cells: list[HeaderCell] = []
    for column in registry.list_columns():
        if column.field not in registry.sortable:
            cells.append(HeaderCell(column.header, None, ""))
            continue
        state = (
            "asc" if current == column.field else "desc" if current == f"-{column.field}" else ""
        )
        target = f"-{column.field}" if state == "asc" else column.field
        params = {**query.params(), "sort": target}
        cells.append(HeaderCell(column.header, _url(prefix, params), state))
    return cells


def _rows(registry: AnyRegistry, items: list[Any], prefix: str) -> list[dict[str, Any]]:
    columns = registry.list_columns()
    depths = [registry.indent(obj) for obj in items] if registry.indent else [0] * len(items)
    base = min(depths, default=0)
    return [
        {
            "href": f"{prefix}/{obj.id}",
            "cells": [registry.display(column, obj) for column in columns],
            "indent": depth - base,
        }
        for obj, depth in zip(items, depths, strict=True)
    ]


def list_context(
    registry: AnyRegistry, db: Session, principal: Principal, query: ListQuery
) -> dict[str, Any]:
    prefix = registry.page_prefix or ""
    page = service.list_records(registry, db, principal, query)
    params = query.params()
    previous = {**params, "offset": str(max(query.offset - query.limit, 0))}
    following = {**params, "offset": str(query.offset + query.limit)}
    return {
        "registry": registry,
        "title": registry.label,
        "pretitle": registry.section,
        "query": query,
        "page": page,
        "rows": _rows(registry, page.items, prefix),
        "headers": _headers(registry, query, prefix),
        "filters": _filter_widgets(registry, db, principal, query),
        "export_url": _url(f"{registry.api_prefix}/export", params),
        "prev_url": _url(prefix, previous) if query.offset > 0 else None,
        "next_url": _url(prefix, following) if query.offset + query.limit < page.total else None,
        "rows_target": ROWS_TARGET,
        "rows_template": template_of(registry, "list_rows"),
        "partial": False,
        "can_write": principal.can(registry.write_permission),
    }


def template_of(registry: AnyRegistry, kind: str) -> str:
    return registry.templates.get(kind, f"crud/{kind}.html")


def done_flash(request: Request) -> list[tuple[str, str]]:
    """The confirmation after a redirect (`?done=created` ...)."""
    message = DONE_MESSAGES.get(request.query_params.get("done", ""))
    return [("success", message)] if message else []


def _is_rows_request(request: Request) -> bool:
    return (
        request.headers.get("hx-request") == "true"
        and request.headers.get("hx-target") == ROWS_TARGET
        and request.headers.get("hx-history-restore-request") != "true"
    )


def render_detail(
    registry: AnyRegistry,
    request: Request,
    db: Session,
    principal: Principal,
    obj: Any,
    flash: list[tuple[str, str]] | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    """The detail page of `obj` (also for a registry's own actions that end on it)."""
    extra = registry.detail_context(db, principal, obj) if registry.detail_context else {}
    context = {
        "registry": registry,
        "title": registry.title_of(obj),
        "pretitle": registry.label,
        "obj": obj,
        "rows": [(c.header, registry.display(c, obj)) for c in registry.detail_columns()],
        "can_write": principal.can(registry.write_permission),
        "flash": flash or [],
        **extra,
    }
    return render(request, template_of(registry, "detail"), context, status_code=status_code)


def page_router(registry: AnyRegistry) -> APIRouter:
    """The registry's pages under `registry.page_prefix`."""
    if registry.page_prefix is None:
        raise ValueError(f"registry {registry.slug} declares no page_prefix")
    prefix = registry.page_prefix
    router = APIRouter(prefix=prefix, include_in_schema=False)
    Reader = Annotated[Principal, Depends(require(registry.read_permission))]
    Writer = Annotated[Principal, Depends(require(registry.write_permission))]
    Query = Annotated[ListQuery, Depends(page_dependency(registry))]
    label = registry.label

    def form_page(
        request: Request,
        db: Session,
        principal: Principal,
        *,
        obj: Any,
        values: dict[str, Any],
        errors: dict[str, str],
        general: list[str],
        status_code: int = 200,
    ) -> HTMLResponse:
        creating = obj is None
        schema = registry.create_schema if creating else registry.update_schema
        fields = forms.form_fields(registry, schema, db, principal, values, errors)
        context = {
            "registry": registry,
            "title": f"新建{label}" if creating else f"修改{label}",
            "pretitle": registry.section if creating else registry.title_of(obj),
            "fields": fields,
            "obj": obj,
            "action": f"{prefix}/new" if creating else f"{prefix}/{obj.id}/edit",
            "cancel_url": prefix if creating else f"{prefix}/{obj.id}",
            "flash": [("danger", message) for message in general],
        }
        return render(request, template_of(registry, "form"), context, status_code=status_code)

    @router.get("", response_class=HTMLResponse)
    def list_page(request: Request, db: Db, principal: Reader, query: Query) -> Response:
        context = list_context(registry, db, principal, query)
        if _is_rows_request(request):
            context["partial"] = True
            return render(request, template_of(registry, "list_rows"), context)
        context["flash"] = done_flash(request)
        return render(request, template_of(registry, "list"), context)

    @router.get("/new", response_class=HTMLResponse)
    def new_page(request: Request, db: Db, principal: Writer) -> Response:
        return form_page(request, db, principal, obj=None, values={}, errors={}, general=[])

    @router.post("/new", response_class=HTMLResponse)
    def create(request: Request, db: Db, principal: Writer, form: Form) -> Response:
        values = forms.parse_form(registry.create_schema, form, partial=False)
        try:
            data = registry.create_schema.model_validate(values)
            with service.savepoint(db):
                obj = service.create_record(registry, db, principal, data)
        except (ValidationError, DomainError) as exc:
            errors, general = forms.errors_of(exc)
            return form_page(
                request,
                db,
                principal,
                obj=None,
                values=values,
                errors=errors,
                general=general or (["请按提示修改后再提交"] if errors else []),
                status_code=_status(exc, errors),
            )
        return RedirectResponse(f"{prefix}/{obj.id}?done=created", status_code=303)

    @router.get("/import", response_class=HTMLResponse)
    def import_page(request: Request, principal: Writer) -> Response:
        return _import_page(request, registry, None, [])

    @router.post("/import", response_class=HTMLResponse)
    def import_upload(request: Request, db: Db, principal: Writer, form: Form) -> Response:
        upload = form.get("file")
        if not isinstance(upload, UploadFile) or not upload.filename:
            return _import_page(request, registry, None, ["请选择要上传的 .xlsx 文件"], 422)
        content = upload.file.read(excel.MAX_IMPORT_BYTES + 1)
        try:
            report = excel.import_xlsx(registry, db, principal, content, upload.filename)
        except Invalid as exc:
            return _import_page(request, registry, None, [exc.message], 422)
        return _import_page(request, registry, report, [])

    @router.get("/{item_id:int}", response_class=HTMLResponse)
    def detail(request: Request, db: Db, principal: Reader, item_id: int) -> Response:
        obj = service.get_record(registry, db, principal, item_id)
        return render_detail(registry, request, db, principal, obj, done_flash(request))

    @router.get("/{item_id:int}/edit", response_class=HTMLResponse)
    def edit_page(request: Request, db: Db, principal: Writer, item_id: int) -> Response:
        obj = service.get_record(registry, db, principal, item_id)
        values = registry.read_schema.model_validate(obj).model_dump()
        return form_page(request, db, principal, obj=obj, values=values, errors={}, general=[])

    @router.post("/{item_id:int}/edit", response_class=HTMLResponse)
    def update(request: Request, db: Db, principal: Writer, item_id: int, form: Form) -> Response:
        obj = service.get_record(registry, db, principal, item_id)
        values = forms.parse_form(registry.update_schema, form, partial=True)
        try:
            data = registry.update_schema.model_validate(values)
            with service.savepoint(db):
                service.update_record(registry, db, principal, item_id, data)
        except (ValidationError, DomainError) as exc:
            errors, general = forms.errors_of(exc)
            db.refresh(obj)
            return form_page(
                request,
                db,
                principal,
                obj=obj,
                values=values,
                errors=errors,
                general=general or (["请按提示修改后再提交"] if errors else []),
                status_code=_status(exc, errors),
            )
        return RedirectResponse(f"{prefix}/{item_id}?done=updated", status_code=303)

    @router.post("/{item_id:int}/delete", response_class=HTMLResponse)
    def delete(request: Request, db: Db, principal: Writer, item_id: int) -> Response:
        obj = service.get_record(registry, db, principal, item_id)
        try:
            with service.savepoint(db):
                service.delete_record(registry, db, principal, item_id)
        except DomainError as exc:
            if exc.status_code == 404:
                raise
            db.refresh(obj)
            flash = [("danger", exc.message)]
            return render_detail(registry, request, db, principal, obj, flash, exc.status_code)
        return RedirectResponse(f"{prefix}?done=deleted", status_code=303)

    return router


def _status(exc: ValidationError | DomainError, field_errors: dict[str, str]) -> int:
    """422 when the form has something to correct; the domain's own status otherwise (409...)."""
    if field_errors or isinstance(exc, ValidationError):
        return 422
    return exc.status_code


def _import_page(
    request: Request,
    registry: AnyRegistry,
    report: excel.ImportReport | None,
    errors: list[str],
    status_code: int = 200,
) -> HTMLResponse:
    context = {
        "registry": registry,
        "title": f"导入{registry.label}",
        "pretitle": registry.section,
        "report": report,
        "columns": excel.import_columns(registry),
        "template_url": f"{registry.api_prefix}/import-template",
        "flash": [("danger", message) for message in errors],
    }
    return render(request, template_of(registry, "import"), context, status_code=status_code)
