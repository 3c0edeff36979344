"""Bad input, unknown ids, error pages, offline docs, probes, atomic writes and sensitive reads.

The route-wide checks walk the app's routes, so endpoints added by later modules are held to the
same rules without being listed here.
"""

from __future__ import annotations

import re
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import quote

import pytest
from fastapi import Depends, FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from jiaoguan.app import create_app
from jiaoguan.models import Base
from jiaoguan.platform.audit import service as audit_service
from jiaoguan.platform.audit.models import AuditEntry
from jiaoguan.platform.auth.permissions import USER_READ
from jiaoguan.platform.auth.service import Principal
from jiaoguan.platform.deps import SENSITIVE, Db, Reason, require
from tests.conftest import ClientFactory, make_settings
from tests.support.clients import BASE_URL
from tests.support.routes import (
    MISSING_ID,
    Endpoint,
    api_endpoints,
    collection_of,
    fill_path,
    listed_ids,
    send,
)
from tests.support.tokens import mint_token

CJK = re.compile(r"[\u4e00-\u9fff]")
ROUTES = api_endpoints(create_app(make_settings("sqlite:///:memory:", Path("."))))
REASON = "安全测试核查"


def _chinese(text: object) -> bool:
    return bool(CJK.search(str(text)))


def _label(endpoint: Endpoint) -> str:
    return endpoint.label


def _callable(endpoint: Endpoint) -> bool:
    return not endpoint.streams and not endpoint.is_public


# --- 422: Chinese message and field path -----------------------------------------------------


def _assert_422(response: Any, location: str) -> None:
    assert response.status_code == 422, response.text
    detail = response.json()["detail"]
    assert detail, "a 422 must say what is wrong"
    for item in detail:
        assert _chinese(item["msg"]), item
        assert isinstance(item["loc"], list) and item["loc"][0] == location, item


@pytest.mark.parametrize(
    "endpoint", [e for e in ROUTES if _callable(e) and e.has_body()], ids=_label
)
def test_a_body_of_the_wrong_shape_is_422_in_chinese(
    as_user: ClientFactory, endpoint: Endpoint
) -> None:
    admin = as_user("admin")
    url = fill_path(endpoint.path, default=MISSING_ID)
    response = admin.request(endpoint.method, url, params={"reason": REASON}, json=["不是对象"])
    _assert_422(response, "body")


@pytest.mark.parametrize(
    "endpoint", [e for e in ROUTES if _callable(e) and e.int_params()], ids=_label
)
def test_a_non_numeric_id_is_422_in_chinese(as_user: ClientFactory, endpoint: Endpoint) -> None:
    name = endpoint.int_params()[0]
    url = fill_path(endpoint.path, {name: "不是编号"}, default=MISSING_ID)
    response = send(as_user("admin"), endpoint, url, params={"reason": REASON})
    assert response.status_code == 422, response.text
    located = {tuple(d["loc"]): d["msg"] for d in response.json()["detail"]}
    assert ("path", name) in located and _chinese(located[("path", name)])


def _typed_query(endpoint: Endpoint) -> str | None:
    typed = [n for n, t in endpoint.query_params().items() if t in (int, int | None)]
    return typed[0] if typed else None


@pytest.mark.parametrize(
    "endpoint", [e for e in ROUTES if _callable(e) and _typed_query(e)], ids=_label
)
def test_a_non_numeric_query_number_is_422_in_chinese(
    as_user: ClientFactory, endpoint: Endpoint
) -> None:
    name = _typed_query(endpoint) or ""
    url = fill_path(endpoint.path, default=MISSING_ID)
    response = send(as_user("admin"), endpoint, url, params={name: "十", "reason": REASON})
    assert response.status_code == 422, response.text
    located = {tuple(d["loc"]): d["msg"] for d in response.json()["detail"]}
    assert ("query", name) in located and _chinese(located[("query", name)])


def test_malformed_json_is_422_in_chinese(anonymous: TestClient) -> None:
    response = anonymous.post(
        "/api/v1/auth/token", content=b'{"username": ', headers={"Content-Type": "application/json"}
    )
    _assert_422(response, "body")
    assert response.json()["detail"][0]["msg"] == "JSON 格式错误"


# --- 404: unknown ids ------------------------------------------------------------------------


@pytest.mark.parametrize(
    "endpoint",
    [e for e in ROUTES if _callable(e) and e.int_params() and not e.has_body()],
    ids=_label,
)
def test_an_unknown_id_is_404_in_chinese(as_user: ClientFactory, endpoint: Endpoint) -> None:
    url = fill_path(endpoint.path, default=MISSING_ID)
    response = as_user("admin").request(endpoint.method, url, params={"reason": REASON})
    assert response.status_code == 404, response.text
    assert _chinese(response.json()["detail"][0]["msg"])


def test_an_unknown_api_path_is_404_json(as_user: ClientFactory) -> None:
    response = as_user("admin").get("/api/v1/no-such-thing", headers={"Accept": "text/html"})
    assert response.status_code == 404
    assert response.headers["content-type"].startswith("application/json")
    assert _chinese(response.json()["detail"])


# --- error pages for browsers ----------------------------------------------------------------


def test_a_missing_page_shows_the_chinese_error_page(browser_as: ClientFactory) -> None:
    response = browser_as("admin").get("/no-such-page", headers={"Accept": "text/html"})
    assert response.status_code == 404
    assert response.headers["content-type"].startswith("text/html")
    assert "页面不存在" in response.text and "<html" in response.text


def test_a_refused_page_shows_the_chinese_error_page(browser_as: ClientFactory) -> None:
    response = browser_as("jx_officer").get("/admin/audit", headers={"Accept": "text/html"})
    assert response.status_code == 403
    assert "无权访问" in response.text and "audit.read" in response.text


def _raising(*_args: object, **_kwargs: object) -> Any:
    raise RuntimeError("boom: an unexpected failure inside the request")


@pytest.fixture
def fragile(sqlite_app: FastAPI) -> Iterator[TestClient]:
    """An admin client that sees 500 answers instead of re-raised exceptions."""
    client = TestClient(sqlite_app, base_url=BASE_URL, raise_server_exceptions=False)
    with client:
        client.headers["Authorization"] = f"Bearer {mint_token(sqlite_app, 'admin')}"
        yield client


def test_an_unexpected_error_is_a_chinese_500_without_internals(
    fragile: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("jiaoguan.platform.pages.collect_counters", _raising)
    page = fragile.get("/", headers={"Accept": "text/html"})
    assert page.status_code == 500
    assert "服务器错误" in page.text and "请求编号" in page.text
    assert "boom" not in page.text and "Traceback" not in page.text
    assert page.headers["x-request-id"] in page.text
    monkeypatch.setattr("jiaoguan.platform.auth.api.select", _raising)
    answer = fragile.get("/api/v1/auth/tokens")
    assert answer.status_code == 500
    assert answer.json()["detail"][0]["msg"].startswith("服务器内部错误")
    assert answer.headers["x-request-id"] in answer.json()["detail"][0]["msg"]


# --- API docs, offline -----------------------------------------------------------------------


def test_api_docs_are_served_offline(anonymous: TestClient) -> None:
    page = anonymous.get("/api/docs")
    assert page.status_code == 200 and "swagger-ui" in page.text
    assert not re.search(r"https?://", page.text), "the docs page must not load anything remote"
    assets = re.findall(r"""(?:src|href)=["'](/static/[^"']+)""", page.text)
    assert assets
    for asset in assets:
        assert anonymous.get(asset).status_code == 200, asset
    assert anonymous.get("/api/openapi.json").status_code == 200


def test_every_operation_is_documented_in_chinese(anonymous: TestClient) -> None:
    spec = anonymous.get("/api/openapi.json").json()
    assert _chinese(spec["info"]["title"])
    undocumented = [
        f"{method.upper()} {path}"
        for path, operations in spec["paths"].items()
        for method, op in operations.items()
        if not (_chinese(op.get("summary")) and op.get("tags") and all(map(_chinese, op["tags"])))
    ]
    assert not undocumented, f"operations without a Chinese summary and tags: {undocumented}"


# --- probes ----------------------------------------------------------------------------------


def test_health_probes(anonymous: TestClient) -> None:
    assert anonymous.get("/healthz").json() == {"status": "ok"}
    ready = anonymous.get("/readyz")
    assert ready.status_code == 200
    assert ready.json()["status"] == "ok" and ready.json()["checks"]["database"] == "ok"


def test_readyz_reports_an_unreachable_database(tmp_path: Path) -> None:
    # Port 1 on loopback: nothing listens there, so the connection is refused at once.
    app = create_app(make_settings("postgresql+psycopg://nobody@127.0.0.1:1/none", tmp_path))
    with TestClient(app, base_url=BASE_URL) as client:
        ready = client.get("/readyz")
        assert client.get("/healthz").status_code == 200
    assert ready.status_code == 503
    assert ready.json()["checks"]["database"].startswith("error")


# --- a failed request leaves nothing half-written --------------------------------------------


def _row_counts(app: FastAPI) -> dict[str, int]:
    with app.state.db.sessions() as session:
        return {
            table.name: session.scalar(select(func.count()).select_from(table)) or 0
            for table in Base.metadata.sorted_tables
        }


def _break_audit(monkeypatch: pytest.MonkeyPatch) -> int:
    """Make audit.record fail everywhere it was imported; it runs after the write it records."""
    patched, original = 0, audit_service.record
    for name, module in list(sys.modules.items()):
        if name.startswith("jiaoguan") and getattr(module, "record", None) is original:
            monkeypatch.setattr(module, "record", _raising)
            patched += 1
    return patched


def test_a_failing_api_write_stores_nothing(
    fragile: TestClient, sqlite_app: FastAPI, monkeypatch: pytest.MonkeyPatch
) -> None:
    before = _row_counts(sqlite_app)
    assert _break_audit(monkeypatch) >= 2
    response = fragile.post("/api/v1/auth/tokens", json={"name": "半截令牌", "days": 1})
    assert response.status_code == 500
    assert _row_counts(sqlite_app) == before


def test_a_failing_login_opens_no_session(
    sqlite_app: FastAPI, monkeypatch: pytest.MonkeyPatch
) -> None:
    from tests.support.databases import DEMO_PASSWORD

    with TestClient(sqlite_app, base_url=BASE_URL, raise_server_exceptions=False) as client:
        client.get("/login")
        csrf = client.cookies.get("jg_csrf") or ""
        before = _row_counts(sqlite_app)
        _break_audit(monkeypatch)
        form = {"username": "admin", "password": DEMO_PASSWORD, "csrf_token": csrf}
        response = client.post("/login", data=form, follow_redirects=False)
    assert response.status_code == 500
    assert "jg_session" not in response.headers.get("set-cookie", "")
    assert _row_counts(sqlite_app) == before


# --- sensitive reads: refused without a reason, audited with it -------------------------------

SENSITIVE_ROUTES = [e for e in ROUTES if e.sensitive and not e.streams]


def _sensitive_url(admin: TestClient, endpoint: Endpoint) -> str:
    ids = listed_ids(admin, collection_of(endpoint.path), {"reason": REASON})
    return fill_path(endpoint.path, default=ids[0] if ids else 1)


def _assert_sensitive_read(admin: TestClient, app: FastAPI, method: str, url: str) -> None:
    label = f"{method} {url}"
    refused = admin.request(method, url)
    assert refused.status_code == 428, refused.text
    assert refused.json()["detail"][0]["loc"] == ["query", "reason"]
    assert _chinese(refused.json()["detail"][0]["msg"])
    by_query = admin.request(method, url, params={"reason": REASON})
    by_header = admin.request(method, url, headers={"X-Reason": quote("电话核实身份")})
    for response in (by_query, by_header):
        assert response.status_code != 428, response.text
    if by_query.status_code != 200:
        return
    with app.state.db.sessions() as session:
        reasons = set(
            session.scalars(
                select(AuditEntry.reason).where(
                    AuditEntry.sensitive.is_(True), AuditEntry.path == url.split("?")[0]
                )
            )
        )
    assert {REASON, "电话核实身份"} <= reasons, f"{label} did not audit its reason"


@pytest.mark.parametrize("endpoint", SENSITIVE_ROUTES, ids=_label)
def test_sensitive_read_needs_and_records_a_reason(
    as_user: ClientFactory, app: FastAPI, endpoint: Endpoint
) -> None:
    admin = as_user("admin")
    _assert_sensitive_read(admin, app, endpoint.method, _sensitive_url(admin, endpoint))


def test_sensitive_operations_declare_the_reason_parameter(anonymous: TestClient) -> None:
    spec = anonymous.get("/api/openapi.json").json()
    for path, operations in spec["paths"].items():
        for method, op in operations.items():
            if op.get("x-sensitive"):
                names = {p["name"] for p in op.get("parameters", [])}
                assert "reason" in names, f"{method.upper()} {path} hides its reason parameter"


def test_the_sensitive_read_machinery(sqlite_app: FastAPI) -> None:
    """The kernel's Reason dependency on a probe route, independent of which modules exist."""

    @sqlite_app.get("/api/v1/probe/{item_id}", openapi_extra=SENSITIVE)
    def probe(
        item_id: int,
        db: Db,
        reason: Reason,
        principal: Annotated[Principal, Depends(require(USER_READ))],
    ) -> dict[str, int]:
        audit_service.record(db, principal, "read", "probe", item_id, reason=reason, sensitive=True)
        return {"id": item_id}

    with TestClient(sqlite_app, base_url=BASE_URL) as admin:
        admin.headers["Authorization"] = f"Bearer {mint_token(sqlite_app, 'admin')}"
        _assert_sensitive_read(admin, sqlite_app, "GET", "/api/v1/probe/7")
        assert admin.get("/api/v1/probe/7", params={"reason": "好"}).status_code == 428
    with TestClient(sqlite_app, base_url=BASE_URL) as stranger:
        # Credentials are checked before the reason: a stranger learns nothing from a 428.
        assert stranger.get("/api/v1/probe/7").status_code == 401
