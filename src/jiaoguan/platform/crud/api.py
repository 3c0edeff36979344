"""API router factory: the REST routes of a registry under /api/v1/<slug>, thin over the service."""

# No `from __future__ import annotations`: the route handlers are built inside factories and
# their annotations name local values, which FastAPI can only see evaluated.

import inspect
import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, Depends, Path, Request
from fastapi.responses import Response
from pydantic import BaseModel, Field, create_model
from starlette.convertors import StringConvertor, register_url_convertor
from starlette.datastructures import UploadFile
from starlette.exceptions import HTTPException

from jiaoguan.platform.auth.service import Principal
from jiaoguan.platform.crud import excel, service
from jiaoguan.platform.crud.excel import XLSX, ImportReport
from jiaoguan.platform.crud.query import MAX_INT, ListQuery, api_dependency
from jiaoguan.platform.crud.registry import Registry
from jiaoguan.platform.db import utcnow
from jiaoguan.platform.deps import Db, require
from jiaoguan.platform.errors import DomainError, Invalid

AnyRegistry = Registry[Any, Any, Any, Any]
ItemId = Annotated[int, Path(ge=1, le=MAX_INT, description="记录编号")]
# Sub-paths a registry (or a module beside it) serves next to its records, such as map layers.
FIXED_PATHS = ("export", "import", "import-template", "geojson", "density")


class RecordIdConvertor(StringConvertor):
    """The `{item_id:record}` segment: anything but a registry's fixed paths.

    Any other text still reaches the handler, so "abc" is a 422 in Chinese (not a bare 404),
    while PATCH /export is a 405 rather than an attempt to patch a record called "export".
    """

    regex = "(?!(?:" + "|".join(re.escape(p) for p in FIXED_PATHS) + ")(?:/|$))[^/]+"


register_url_convertor("record", RecordIdConvertor())
ITEM = "/{item_id:record}"


class XlsxResponse(Response):
    """An Excel file; documented in OpenAPI with its media type."""

    media_type = XLSX


def xlsx_download(content: bytes, filename: str) -> XlsxResponse:
    # RFC 6266/5987: Chinese file names travel percent-encoded, with an ASCII fallback.
    disposition = f"attachment; filename=export.xlsx; filename*=UTF-8''{quote(filename)}"
    return XlsxResponse(content, headers={"Content-Disposition": disposition})


def export_filename(registry: AnyRegistry, suffix: str = "") -> str:
    return f"{registry.label}{suffix}_{utcnow().strftime('%Y%m%d%H%M%S')}.xlsx"


@contextmanager
def located(prefix: str = "body") -> Iterator[None]:
    """Domain errors about a schema field point into the request body, as pydantic's do."""
    try:
        yield
    except DomainError as exc:
        if exc.field and exc.field[0] not in ("body", "path", "query"):
            exc.field = [prefix, *exc.field]
        raise


@dataclass(frozen=True)
class Upload:
    content: bytes
    filename: str


async def uploaded_file(request: Request) -> Upload:
    """The uploaded `file` field, read only once the caller is known to be allowed.

    A route parameter would make FastAPI parse the body before checking credentials: a stranger
    sending a malformed upload would get 400 instead of 401.
    """
    try:
        form = await request.form()
    except HTTPException:
        raise Invalid(
            "上传内容无法解析：请以 multipart/form-data 上传 .xlsx 文件", ["body", "file"]
        ) from None
    upload = form.get("file")
    if not isinstance(upload, UploadFile):
        raise Invalid("请上传文件（表单字段 file）", ["body", "file"])
    content = await upload.read(excel.MAX_IMPORT_BYTES + 1)
    return Upload(content, upload.filename or "")


UPLOAD_DOC: dict[str, Any] = {
    "requestBody": {
        "required": True,
        "content": {
            "multipart/form-data": {
                "schema": {
                    "type": "object",
                    "required": ["file"],
                    "properties": {
                        "file": {
                            "type": "string",
                            "format": "binary",
                            "description": "按导入模板填写的 .xlsx 文件",
                        }
                    },
                }
            }
        },
    }
}


def page_model(registry: AnyRegistry) -> type[BaseModel]:
    """`<Thing>Page`: one page of Read records with the total."""
    read = registry.read_schema
    name = read.__name__.removesuffix("Read") + "Page"
    model: type[BaseModel] = create_model(
        name,
        items=(list[read], Field(description="本页记录")),  # type: ignore[valid-type]
        total=(int, Field(description="符合条件的总条数")),
        offset=(int, Field(description="跳过条数")),
        limit=(int, Field(description="每页条数")),
    )
    return model


def _with_body(handler: Callable[..., Any], schema: type[BaseModel]) -> Callable[..., Any]:
    """Give the handler's `body` parameter the registry's schema, so FastAPI validates with it."""
    signature = inspect.signature(handler, eval_str=True)
    params = [
        p.replace(annotation=schema) if p.name == "body" else p
        for p in signature.parameters.values()
    ]
    handler.__signature__ = signature.replace(parameters=params)  # type: ignore[attr-defined]
    return handler


def api_router(registry: AnyRegistry) -> APIRouter:
    """GET list, GET export, GET import-template, POST import, POST, GET/PATCH/DELETE one record."""
    router = APIRouter(prefix=registry.api_prefix, tags=[registry.label])
    label = registry.label
    read = registry.read_schema
    reader = require(registry.read_permission)
    writer = require(registry.write_permission)
    list_query = api_dependency(registry)

    def list_records(
        db: Db,
        principal: Annotated[Principal, Depends(reader)],
        query: Annotated[ListQuery, Depends(list_query)],
    ) -> Any:
        page = service.list_records(registry, db, principal, query)
        items = [read.model_validate(obj) for obj in page.items]
        return {"items": items, "total": page.total, "offset": page.offset, "limit": page.limit}

    def export(
        db: Db,
        principal: Annotated[Principal, Depends(reader)],
        query: Annotated[ListQuery, Depends(list_query)],
    ) -> XlsxResponse:
        content, _ = excel.export_xlsx(registry, db, principal, query)
        return xlsx_download(content, export_filename(registry))

    def template(principal: Annotated[Principal, Depends(writer)]) -> XlsxResponse:
        return xlsx_download(excel.import_template(registry), f"{label}导入模板.xlsx")

    def import_file(
        db: Db,
        principal: Annotated[Principal, Depends(writer)],
        upload: Annotated[Upload, Depends(uploaded_file)],
    ) -> ImportReport:
        with located():
            return excel.import_xlsx(registry, db, principal, upload.content, upload.filename)

    def create(db: Db, principal: Annotated[Principal, Depends(writer)], body: BaseModel) -> Any:
        with located():
            obj = service.create_record(registry, db, principal, body)
        return read.model_validate(obj)

    def get(db: Db, principal: Annotated[Principal, Depends(reader)], item_id: ItemId) -> Any:
        return read.model_validate(service.get_record(registry, db, principal, item_id))

    def update(
        db: Db, principal: Annotated[Principal, Depends(writer)], item_id: ItemId, body: BaseModel
    ) -> Any:
        with located():
            obj = service.update_record(registry, db, principal, item_id, body)
        return read.model_validate(obj)

    def delete(db: Db, principal: Annotated[Principal, Depends(writer)], item_id: ItemId) -> None:
        service.delete_record(registry, db, principal, item_id)

    name = registry.name
    xlsx_doc: dict[int | str, dict[str, Any]] = {200: {"content": {XLSX: {}}}}
    # Fixed paths first: "/export" must not be taken for an item id.
    router.add_api_route(
        "",
        list_records,
        methods=["GET"],
        response_model=page_model(registry),
        summary=f"{label}列表（筛选、排序、分页）",
        name=f"{name}_list",
    )
    router.add_api_route(
        "/export",
        export,
        methods=["GET"],
        response_class=XlsxResponse,
        responses=xlsx_doc,
        summary=f"导出{label}（Excel，按当前筛选条件）",
        name=f"{name}_export",
    )
    router.add_api_route(
        "/import-template",
        template,
        methods=["GET"],
        response_class=XlsxResponse,
        responses=xlsx_doc,
        summary=f"下载{label}导入模板（Excel）",
        name=f"{name}_import_template",
    )
    router.add_api_route(
        "/import",
        import_file,
        methods=["POST"],
        response_model=ImportReport,
        openapi_extra=UPLOAD_DOC,
        summary=f"导入{label}（Excel，逐行校验，有效行入库）",
        name=f"{name}_import",
    )
    router.add_api_route(
        "",
        _with_body(create, registry.create_schema),
        methods=["POST"],
        response_model=read,
        status_code=201,
        summary=f"新建{label}",
        name=f"{name}_create",
    )
    router.add_api_route(
        ITEM,
        get,
        methods=["GET"],
        response_model=read,
        summary=f"查看{label}",
        name=f"{name}_get",
    )
    router.add_api_route(
        ITEM,
        _with_body(update, registry.update_schema),
        methods=["PATCH"],
        response_model=read,
        summary=f"修改{label}（只改提交的字段）",
        name=f"{name}_update",
    )
    router.add_api_route(
        ITEM,
        delete,
        methods=["DELETE"],
        status_code=204,
        response_class=Response,
        summary=f"删除{label}（仍被引用时拒绝）",
        name=f"{name}_delete",
    )
    return router
