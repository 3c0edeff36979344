"""FastAPI application factory: mounts each module's API and pages, static assets and docs."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from urllib.parse import quote

from fastapi import Depends, FastAPI, Request
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from jiaoguan import __version__
from jiaoguan.checkpoint import api as checkpoint_api
from jiaoguan.checkpoint import pages as checkpoint_pages
from jiaoguan.checkpoint import viid as checkpoint_viid
from jiaoguan.checkpoint import watch_api as checkpoint_watch_api
from jiaoguan.checkpoint import watch_pages as checkpoint_watch_pages
from jiaoguan.command import api as command_api
from jiaoguan.command import pages as command_pages
from jiaoguan.config import Settings, get_settings
from jiaoguan.geo import api as geo_api
from jiaoguan.geo.address import api as address_api
from jiaoguan.geo.address import pages as address_pages
from jiaoguan.platform import pages as platform_pages
from jiaoguan.platform import wal as _wal  # noqa: F401 - registers the WAL checkpoint loop
from jiaoguan.platform.admin import api as admin_api
from jiaoguan.platform.admin import pages as admin_pages
from jiaoguan.platform.audit import api as audit_api
from jiaoguan.platform.auth import api as auth_api
from jiaoguan.platform.auth import pages as auth_pages
from jiaoguan.platform.auth import service as auth_service
from jiaoguan.platform.collector import tune_garbage_collector
from jiaoguan.platform.db import Database
from jiaoguan.platform.deps import csrf_check
from jiaoguan.platform.errors import install_error_handlers, status_message
from jiaoguan.platform.events import start_events, stop_events
from jiaoguan.platform.logging import RequestContextMiddleware, configure_logging, log
from jiaoguan.platform.push import api as push_api
from jiaoguan.platform.tasks import BACKGROUND_TASKS
from jiaoguan.platform.workorders import api as workorders_api
from jiaoguan.platform.workorders import pages as workorders_pages
from jiaoguan.registry import api as registry_api
from jiaoguan.registry import pages as registry_pages
from jiaoguan.web import onemap
from jiaoguan.web.assets import mount_static
from jiaoguan.web.templating import render, templates

_HEADINGS = {
    401: "请先登录",
    403: "无权访问",
    404: "页面不存在",
    422: "输入有误",
    500: "服务器错误",
}


def render_error_page(request: Request, status: int, message: str) -> Response:
    if status == 401:
        target = quote(request.url.path + (f"?{request.url.query}" if request.url.query else ""))
        return RedirectResponse(f"/login?next={target}", status_code=303)
    heading = _HEADINGS.get(status, status_message(status))
    context = {"status": status, "heading": heading, "message": message}
    return render(request, "error.html", context, status_code=status)


@asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[None]:
    settings: Settings = app.state.settings
    events = await start_events(app)
    tasks = [asyncio.create_task(task(app)) for task in BACKGROUND_TASKS]
    log.info("started", version=__version__, database=app.state.db.engine.url.render_as_string())
    try:
        yield
    finally:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        await stop_events(app, events)
        app.state.db.dispose()
        log.info("stopped", demo=settings.demo)


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or get_settings()
    configure_logging(settings.log_level, settings.log_json)
    tune_garbage_collector()
    app = FastAPI(
        title="智慧交管平台 Jiaoguan API",
        version=__version__,
        description="交警支队智慧交管平台接口。除登录外，所有接口均需登录会话或 Bearer 令牌。",
        docs_url=None,
        redoc_url=None,
        openapi_url="/api/openapi.json",
        lifespan=lifespan,
        dependencies=[Depends(csrf_check)],
    )
    app.state.settings = settings
    app.state.db = Database(settings.database_url)
    auth_service.set_secret(settings.secret_key)
    templates.env.globals["timezone"] = settings.timezone
    templates.env.globals["map_tile_url"] = settings.map_tile_url
    templates.env.globals["map_crs"] = settings.map_crs
    app.add_middleware(
        RequestContextMiddleware,
        cookie_secure=settings.cookie_secure,
        log_all=settings.log_requests,
    )
    install_error_handlers(app, render_error_page)
    missing = mount_static(app, settings.assets_dir)
    if missing:
        log.warning("front-end packages missing; run `npm ci`", missing=missing)

    for router in (
        platform_pages.health_router,
        auth_api.router,
        auth_pages.router,
        audit_api.router,
        audit_api.pages,
        push_api.router,
        push_api.pages,
        workorders_api.router,
        workorders_pages.router,
        admin_api.router,
        admin_pages.router,
        address_api.router,
        address_pages.router,
        geo_api.router,
        registry_api.router,
        registry_pages.router,
        command_api.api,
        command_pages.pages,
        onemap.router,
        checkpoint_api.router,
        checkpoint_pages.router,
        checkpoint_viid.router,
        checkpoint_watch_api.router,
        checkpoint_watch_pages.router,
        platform_pages.router,
    ):
        app.include_router(router)

    @app.get("/api/docs", include_in_schema=False)
    def swagger_ui() -> HTMLResponse:
        return get_swagger_ui_html(
            openapi_url="/api/openapi.json",
            title="智慧交管平台 API 文档",
            swagger_js_url="/static/vendor/swagger-ui/swagger-ui-bundle.js",
            swagger_css_url="/static/vendor/swagger-ui/swagger-ui.css",
            swagger_favicon_url="/static/app/favicon.svg",
        )

    return app
