"""Pages of the checkpoint module: the registries (卡口, 车道, 接入设备), checkpoint health, and the
sensitive pass queries (过车查询, 轨迹, 同行分析), which run only with a reason and audit it."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from jiaoguan.checkpoint import queries, service
from jiaoguan.checkpoint.codes import COLOR_LABELS, PLATE_CLASS_LABELS
from jiaoguan.checkpoint.registries import ALL_REGISTRIES, CHECKPOINTS, checkpoint_options
from jiaoguan.platform.auth.permissions import CHECKPOINT_QUERY, CHECKPOINT_READ
from jiaoguan.platform.auth.service import Principal
from jiaoguan.platform.crud import page_router
from jiaoguan.platform.db import utcnow
from jiaoguan.platform.deps import Db, require
from jiaoguan.platform.errors import DomainError
from jiaoguan.web.templating import render, templates

BEIJING = ZoneInfo("Asia/Shanghai")
Reader = Annotated[Principal, Depends(require(CHECKPOINT_READ))]
Querier = Annotated[Principal, Depends(require(CHECKPOINT_QUERY))]
SECTION = "缉查布控"
_FORM_TIME = "%Y-%m-%dT%H:%M"

# Pass fields as people read them (Beijing time, colour and class names), in every template.
templates.env.globals["checkpoint_shown"] = queries.shown

router = APIRouter(include_in_schema=False)
fixed = APIRouter(include_in_schema=False)


def _form_time(value: str | None, default: dt.datetime) -> dt.datetime:
    """A datetime-local value (Beijing) → aware time; the default when empty."""
    if not value:
        return default
    try:
        parsed = dt.datetime.fromisoformat(value.strip())
    except ValueError:
        raise DomainError("时间格式不正确，应为 年-月-日 时:分", ["query", "start"]) from None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=BEIJING)


def _shown_time(value: dt.datetime) -> str:
    return value.astimezone(BEIJING).strftime(_FORM_TIME)


class QueryForm:
    """The common part of the query pages: period, reason, and whether to run."""

    def __init__(self, request: Request, default_hours: int) -> None:
        params = request.query_params
        now = utcnow()
        self.params = params
        self.reason = (params.get("reason") or "").strip()
        self.error = ""
        self.submitted = bool(params.get("submitted"))
        try:
            self.start = _form_time(params.get("start"), now - dt.timedelta(hours=default_hours))
            self.end = _form_time(params.get("end"), now)
        except DomainError as exc:
            self.error = exc.message
            self.start, self.end = now - dt.timedelta(hours=default_hours), now
        if self.submitted and not self.error and len(self.reason) < 2:
            self.error = "敏感数据查询须填写查询事由（至少 2 个字）"

    @property
    def ready(self) -> bool:
        return self.submitted and not self.error

    def period(self) -> queries.Period:
        return queries.Period.of(self.start, self.end)

    def context(self) -> dict[str, Any]:
        return {
            "form": {k: self.params.get(k, "") for k in self.params},
            "start": _shown_time(self.start),
            "end": _shown_time(self.end),
            "reason": self.reason,
            "error": self.error,
            "submitted": self.submitted,
        }


def _run(form: QueryForm, action: Any) -> Any:
    if not form.ready:
        return None
    try:
        return action()
    except DomainError as exc:
        form.error = exc.message
        return None


def _page(request: Request, template: str, title: str, **context: Any) -> HTMLResponse:
    return render(request, template, {"title": title, "pretitle": SECTION, **context})


@fixed.get("/checkpoint", response_class=HTMLResponse)
def checkpoint_home(principal: Reader) -> Response:
    return RedirectResponse(CHECKPOINTS.page_prefix or "/", status_code=303)


@fixed.get("/checkpoint/health", response_class=HTMLResponse)
def health_page(request: Request, db: Db, principal: Reader) -> HTMLResponse:
    rows = service.health(db, principal, utcnow())
    return _page(request, "checkpoint/health.html", "卡口运行状态", rows=rows)


@fixed.get("/checkpoint/passes", response_class=HTMLResponse)
def passes_page(request: Request, db: Db, principal: Querier) -> HTMLResponse:
    form = QueryForm(request, default_hours=1)
    params = request.query_params
    ids = [int(v) for v in params.getlist("checkpoint_id") if v.isdigit() and len(v) < 10]
    where = queries.WindowFilter(
        checkpoint_ids=ids,
        plate=(params.get("plate") or "").strip()[:20] or None,
        plate_colour=(params.get("plate_colour") or None),
        plate_class=(params.get("plate_class") or None),
        vehicle_class=(params.get("vehicle_class") or "").strip()[:3] or None,
        brand=(params.get("brand") or "").strip()[:32] or None,
    )
    result = _run(form, lambda: queries.window(db, principal, form.period(), where, form.reason))
    export = ""
    if result is not None:
        skip = {"submitted", "start", "end"}
        pairs = [(k, v) for k, v in params.multi_items() if k not in skip and v]
        pairs += [("start", form.start.isoformat()), ("end", form.end.isoformat())]
        export = "/api/v1/passes/export?" + urlencode(pairs)
    return _page(
        request,
        "checkpoint/passes.html",
        "过车查询",
        result=result,
        export_url=export,
        checkpoints=checkpoint_options(db, principal),
        selected=set(ids),
        colours=COLOR_LABELS,
        plate_classes=PLATE_CLASS_LABELS,
        **form.context(),
    )


def _trajectory_points(rows: list[Any]) -> list[dict[str, Any]]:
    return [
        {
            "lon": r.lon,
            "lat": r.lat,
            "name": r.checkpoint_name or r.tollgate_code,
            "at": r.passed_at.astimezone(BEIJING).strftime("%m-%d %H:%M:%S"),
        }
        for r in rows
        if r.lon is not None and r.lat is not None
    ]


@fixed.get("/checkpoint/trajectory", response_class=HTMLResponse)
def trajectory_page(request: Request, db: Db, principal: Querier) -> HTMLResponse:
    form = QueryForm(request, default_hours=24)
    plate = (request.query_params.get("plate") or "").strip()[:20]
    if form.submitted and not plate and not form.error:
        form.error = "请填写号牌号码"
    rows = _run(form, lambda: queries.trajectory(db, principal, plate, form.period(), form.reason))
    return _page(
        request,
        "checkpoint/trajectory.html",
        "车辆轨迹",
        plate=plate,
        rows=rows,
        points=_trajectory_points(rows or []),
        **form.context(),
    )


@fixed.get("/checkpoint/co-travel", response_class=HTMLResponse)
def co_travel_page(request: Request, db: Db, principal: Querier) -> HTMLResponse:
    form = QueryForm(request, default_hours=24 * 7)
    params = request.query_params
    plate = (params.get("plate") or "").strip()[:20]
    window_s = _bounded(params.get("window_s"), 60, 5, 600)
    min_times = _bounded(params.get("min_times"), 2, 1, 100)
    if form.submitted and not plate and not form.error:
        form.error = "请填写号牌号码"
    result = _run(
        form,
        lambda: queries.co_travel(
            db,
            principal,
            plate,
            form.period(),
            form.reason,
            window_s=window_s,
            min_times=min_times,
        ),
    )
    return _page(
        request,
        "checkpoint/co_travel.html",
        "同行分析",
        plate=plate,
        window_s=window_s,
        min_times=min_times,
        result=result,
        **form.context(),
    )


def _bounded(value: str | None, default: int, low: int, high: int) -> int:
    if not value or not value.strip().isdigit() or len(value) > 6:
        return default
    return max(low, min(high, int(value)))


router.include_router(fixed)
for _registry in ALL_REGISTRIES:
    router.include_router(page_router(_registry))
