"""Pages: the standard-address registry, address matching and the division list."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import HTMLResponse, Response

from jiaoguan.geo.address import service
from jiaoguan.geo.address.landmarks import LANDMARKS
from jiaoguan.geo.address.matcher import MAX_TEXT
from jiaoguan.geo.address.models import DIVISION_LEVEL_LABELS, DivisionLevel
from jiaoguan.geo.address.schemas import MAX_BATCH
from jiaoguan.platform.auth.permissions import ADDRESS_READ
from jiaoguan.platform.auth.service import Principal
from jiaoguan.platform.crud import page_router
from jiaoguan.platform.crud.pages import Form
from jiaoguan.platform.deps import Db, require
from jiaoguan.web.templating import render

Reader = Annotated[Principal, Depends(require(ADDRESS_READ))]
SECTION = "一标六实"
PAGE_LINES = 200  # addresses matched from one page submission (the API takes more)

router = APIRouter(include_in_schema=False)


@router.get("/registry/addresses/match", response_class=HTMLResponse)
def match_page(request: Request, db: Db, principal: Reader) -> Response:
    context = {"title": "地址匹配", "pretitle": SECTION, "text": "", "batch": None}
    return render(request, "address/match.html", context)


@router.post("/registry/addresses/match", response_class=HTMLResponse)
def match_submit(request: Request, db: Db, principal: Reader, form: Form) -> Response:
    raw = form.get("texts")
    text = raw if isinstance(raw, str) else ""
    lines = [line for line in text.splitlines() if line.strip()]
    context: dict[str, Any] = {
        "title": "地址匹配",
        "pretitle": SECTION,
        "text": text,
        "batch": None,
        "error": "",
    }
    if not lines:
        context["error"] = "请至少填写一条地址"
        return render(request, "address/match.html", context, status_code=422)
    if len(lines) > PAGE_LINES:
        context["error"] = f"页面一次至多匹配 {PAGE_LINES} 条，更多请用接口（至多 {MAX_BATCH} 条）"
        return render(request, "address/match.html", context, status_code=422)
    context["batch"] = service.match_batch(db, principal, lines, None)
    context["max_text"] = MAX_TEXT
    return render(request, "address/match.html", context)


@router.get("/registry/divisions", response_class=HTMLResponse)
def divisions_page(
    request: Request,
    db: Db,
    principal: Reader,
    level: Annotated[DivisionLevel | None, Query()] = None,
    q: Annotated[str | None, Query(max_length=30)] = None,
    offset: Annotated[int, Query(ge=0, le=10_000_000)] = 0,
) -> Response:
    page = service.list_divisions(
        db, level=level, parent_code=None, q=q or None, offset=offset, limit=100
    )
    context = {
        "title": "行政区划",
        "pretitle": SECTION,
        "page": page,
        "level": level.value if level else "",
        "q": q or "",
        "levels": DIVISION_LEVEL_LABELS,
    }
    return render(request, "address/divisions.html", context)


router.include_router(page_router(service.ADDRESSES))
router.include_router(page_router(LANDMARKS))
