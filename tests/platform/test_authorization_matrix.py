"""Who may call what: every role against every route, another brigade's records, anonymous callers.

Expected outcomes come from the routes themselves (the `require(permission)` dependencies) and the
built-in role defaults, so each route a module adds is covered without touching this file.
"""

from __future__ import annotations

import functools
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import select

from jiaoguan.app import create_app
from jiaoguan.platform.auth.models import OrgUnit
from jiaoguan.platform.auth.permissions import BUILTIN_ROLES, grants
from jiaoguan.platform.bootstrap import DEMO_USERS
from tests.conftest import ClientFactory, make_settings
from tests.support.asgi import first_status
from tests.support.clients import BASE_URL, api_client
from tests.support.databases import SqliteTemplate
from tests.support.routes import (
    MISSING_ID,
    Endpoint,
    api_endpoints,
    collection_of,
    endpoints,
    fill_path,
    items_of,
    listed_ids,
    send,
)
from tests.support.tokens import token_client

REASON = {"reason": "权限矩阵测试"}
DEVICE = "device-demo"


@dataclass(frozen=True)
class Account:
    username: str
    role: str

    @property
    def permissions(self) -> frozenset[str]:
        return _ROLE_PERMISSIONS[self.role]


_ROLE_PERMISSIONS = {role.code: frozenset(role.permissions) for role in BUILTIN_ROLES}
ACCOUNTS = [Account(username, role) for username, _, role, _, _ in DEMO_USERS] + [
    Account(DEVICE, "device")
]


def _route_list() -> list[Endpoint]:
    # Routes are the same for every database; this app is never started.
    return endpoints(create_app(make_settings("sqlite:///:memory:", Path("."))))


ROUTES = _route_list()


def _allowed(account: Account, endpoint: Endpoint) -> bool:
    return all(grants(account.permissions, p) for p in endpoint.permissions)


class Matrix:
    """One seeded app with a logged-in client per demo account, shared by the whole module."""

    def __init__(self, app: FastAPI) -> None:
        self.app = app
        self.clients: dict[str, TestClient] = {}

    def client(self, username: str) -> TestClient:
        if username not in self.clients:
            client = (
                token_client(self.app, username)
                if username == DEVICE
                else _login(self.app, username)
            )
            client.__enter__()
            self.clients[username] = client
        return self.clients[username]

    @functools.cache  # noqa: B019 - the matrix lives for one module
    def sample_id(self, collection: str | None) -> int:
        """The id of a real record for reads (the first one the administrator lists)."""
        ids = listed_ids(self.client("admin"), collection, REASON)
        return ids[0] if ids else 1

    def call(self, username: str, endpoint: Endpoint) -> int:
        client = self.client(username)
        if endpoint.is_read:
            url = fill_path(endpoint.path, default=self.sample_id(collection_of(endpoint.path)))
        else:
            # Writes aim at a record that does not exist, so allowed calls change nothing.
            url = fill_path(endpoint.path, default=MISSING_ID)
        if endpoint.streams:
            return first_status(client, endpoint.method, f"{url}?reason={REASON['reason']}")
        return int(send(client, endpoint, url, params=REASON).status_code)

    def close(self) -> None:
        for client in self.clients.values():
            client.__exit__(None, None, None)


def _login(app: FastAPI, username: str) -> TestClient:
    client = api_client(app, username)
    client.follow_redirects = False
    return client


@pytest.fixture(scope="module")
def matrix(
    sqlite_template: SqliteTemplate, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Matrix]:
    app = create_app(make_settings(sqlite_template.fresh(), tmp_path_factory.mktemp("matrix")))
    matrix = Matrix(app)
    yield matrix
    matrix.close()


def test_demo_roles_match_the_builtin_defaults(matrix: Matrix) -> None:
    """The matrix reads permissions from BUILTIN_ROLES; the seeded accounts must really hold them."""
    for account in ACCOUNTS:
        if account.username == DEVICE:
            continue
        me = matrix.client(account.username).get("/api/v1/auth/me").json()
        assert frozenset(me["permissions"]) == account.permissions, account


@pytest.mark.parametrize("endpoint", ROUTES, ids=lambda e: e.label)
@pytest.mark.parametrize("account", ACCOUNTS, ids=lambda a: a.username)
def test_role_against_route(matrix: Matrix, account: Account, endpoint: Endpoint) -> None:
    status = matrix.call(account.username, endpoint)
    if _allowed(account, endpoint):
        assert status not in (401, 403), (
            f"{account.username} refused ({status}) by {endpoint.label}"
        )
    else:
        needed = ", ".join(sorted(endpoint.permissions))
        assert status == 403, (
            f"{account.username} lacks {needed} yet {endpoint.label} gave {status}"
        )


def test_every_route_is_in_the_matrix() -> None:
    """Guard against a refactor that hides routes from introspection (e.g. a new FastAPI layout)."""
    labels = {e.label for e in ROUTES}
    assert {"POST /api/v1/auth/token", "GET /api/v1/audit", "GET /admin/audit"} <= labels
    assert any(e.permissions for e in ROUTES), "no require(...) dependency found on any route"


# --- anonymous callers ---------------------------------------------------------------------------


@pytest.fixture(scope="module")
def stranger(matrix: Matrix) -> Iterator[TestClient]:
    with TestClient(matrix.app, base_url=BASE_URL, follow_redirects=False) as client:
        yield client


def _anonymous_status(client: TestClient, endpoint: Endpoint) -> tuple[int, Any]:
    url = fill_path(endpoint.path)
    if endpoint.streams:
        return first_status(client, endpoint.method, url), None
    response = send(client, endpoint, url)
    return response.status_code, response


@pytest.mark.parametrize(
    "endpoint", [e for e in ROUTES if e.is_api and not e.is_public], ids=lambda e: e.label
)
def test_api_route_needs_credentials(stranger: TestClient, endpoint: Endpoint) -> None:
    status, response = _anonymous_status(stranger, endpoint)
    assert status == 401, f"{endpoint.label} answered {status} without credentials"
    if response is not None:
        assert response.headers["www-authenticate"] == "Bearer"
        assert response.json()["detail"][0]["msg"] == "请先登录"


@pytest.mark.parametrize(
    "endpoint", [e for e in ROUTES if not e.is_api and not e.is_public], ids=lambda e: e.label
)
def test_page_sends_strangers_to_login(stranger: TestClient, endpoint: Endpoint) -> None:
    url = fill_path(endpoint.path)
    response = send(stranger, endpoint, url, headers={"Accept": "text/html"})
    if endpoint.is_read:
        assert response.status_code == 303, f"{endpoint.label}: {response.status_code}"
        assert response.headers["location"].startswith("/login?next=")
    else:
        # A form post without a session is turned away before anything runs.
        assert response.status_code in (303, 401, 403), f"{endpoint.label}: {response.status_code}"


def test_public_routes_answer_strangers(stranger: TestClient) -> None:
    assert stranger.get("/healthz").status_code == 200
    assert stranger.get("/readyz").status_code == 200
    assert stranger.get("/api/docs").status_code == 200
    assert stranger.get("/login").status_code == 200
    wrong = stranger.post("/api/v1/auth/token", json={"username": "admin", "password": "x" * 10})
    assert wrong.status_code == 401


def test_a_bad_token_is_refused_not_ignored(stranger: TestClient) -> None:
    response = stranger.get("/api/v1/auth/me", headers={"Authorization": "Bearer jg_forged"})
    assert response.status_code == 401
    assert "令牌" in response.json()["detail"][0]["msg"]


# --- another brigade's records ----------------------------------------------------------------


@dataclass(frozen=True)
class Scope:
    """Unit ids of the 竞秀 (own) and 莲池 (foreign) brigade subtrees, and all units by id."""

    own: frozenset[int]
    foreign: frozenset[int]
    codes: dict[int, str]

    def unit_refs(self, record: dict[str, Any]) -> set[int]:
        refs = {
            v
            for k, v in record.items()
            if (k == "unit_id" or k.endswith("_unit_id")) and isinstance(v, int)
        }
        if self.codes.get(record.get("id", -1)) == record.get("code"):
            refs.add(record["id"])  # the record is an org unit itself
        return refs

    def is_foreign(self, record: dict[str, Any]) -> bool:
        refs = self.unit_refs(record)
        return bool(refs & self.foreign) and not refs & self.own


def _scope(app: FastAPI) -> Scope:
    with app.state.db.sessions() as session:
        units = list(session.scalars(select(OrgUnit)))
    by_code = {u.code: u for u in units}
    jx, lc = by_code["130602"].path, by_code["130606"].path
    return Scope(
        own=frozenset(u.id for u in units if u.path.startswith(jx)),
        foreign=frozenset(u.id for u in units if u.path.startswith(lc)),
        codes={u.id: u.code for u in units},
    )


def _scoped_collections(
    app: FastAPI, admin: TestClient, scope: Scope
) -> dict[str, list[dict[str, Any]]]:
    """API collections whose records carry an org unit, with the 莲池 records the admin sees."""
    found: dict[str, list[dict[str, Any]]] = {}
    for endpoint in api_endpoints(app):
        collection = collection_of(endpoint.path)
        if collection is None or collection in found or len(endpoint.int_params()) != 1:
            continue
        response = admin.get(collection, params=REASON)
        if response.status_code != 200:
            continue
        foreign = [r for r in items_of(response.json()) if scope.is_foreign(r)]
        if foreign:
            found[collection] = foreign
    return found


def _endpoints_on_record(app: FastAPI, collection: str) -> list[Endpoint]:
    return [
        e
        for e in api_endpoints(app)
        if collection_of(e.path) == collection and len(e.int_params()) == 1 and not e.streams
    ]


def test_brigade_user_cannot_reach_another_brigades_records(
    app: FastAPI, as_user: ClientFactory
) -> None:
    admin, jx = as_user("admin"), as_user("jx_dispatcher")
    scope = _scope(app)
    collections = _scoped_collections(app, admin, scope)
    if not collections:
        pytest.skip("no API collection with org-scoped records exists yet")
    for collection, records in collections.items():
        listed = jx.get(collection, params=REASON)
        if listed.status_code == 200:
            leaked = {r.get("id") for r in items_of(listed.json()) if scope.is_foreign(r)}
            assert not leaked, f"{collection} lists 莲池 records {leaked} to a 竞秀 user"
        for record in records[:3]:
            _assert_unreachable(
                admin, jx, _endpoints_on_record(app, collection), record, collection
            )


def _assert_unreachable(
    admin: TestClient,
    jx: TestClient,
    on_record: list[Endpoint],
    record: dict[str, Any],
    collection: str,
) -> None:
    detail = f"{collection}/{record['id']}"
    before = admin.get(detail, params=REASON)
    secret = str(record.get("name") or record.get("full_name") or record.get("title") or "\0")
    for endpoint in on_record:
        url = fill_path(endpoint.path, default=record["id"])
        response = send(jx, endpoint, url, params=REASON)
        if endpoint.is_read:
            assert response.status_code in (403, 404), f"{endpoint.label} showed 莲池 {url}"
        else:
            # A write may fail on its body first (422) but must never succeed.
            assert response.status_code in (403, 404, 422), f"{endpoint.label} acted on 莲池 {url}"
        assert secret not in response.text, f"{endpoint.label} leaked {secret}"
    after = admin.get(detail, params=REASON)
    if before.status_code == 200:
        assert after.json() == before.json(), f"{detail} changed by a 竞秀 user"


def test_brigade_user_cannot_revoke_another_brigades_token(
    app: FastAPI, as_user: ClientFactory
) -> None:
    lc = as_user("lc_officer")
    token_id = lc.get("/api/v1/auth/tokens").json()[0]["id"]
    for username in ("jx_dispatcher", "jx_officer"):
        assert as_user(username).delete(f"/api/v1/auth/tokens/{token_id}").status_code == 404
    assert lc.get("/api/v1/auth/me").status_code == 200
