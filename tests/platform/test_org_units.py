"""Org units: the registry contract, the tree rules and the materialised paths."""

from __future__ import annotations

from typing import Any, ClassVar

from fastapi import FastAPI
from sqlalchemy import select

from jiaoguan.platform.auth.models import OrgUnit
from tests.conftest import ClientFactory
from tests.support.registry_contract import (
    RegistryContract,
    Resolver,
    chinese,
    form_data,
    form_values,
    unit,
    user,
)

API = "/api/v1/org-units"


class TestOrgUnitRegistry(RegistryContract):
    api = API
    pages = "/admin/org-units"
    resource = "org_unit"
    samples = (
        {"code": "13060203", "name": "竞秀三中队", "kind": "squad", "parent_id": unit("130602")},
        {
            "code": "1306020102",
            "name": "北二环警务区",
            "kind": "police_district",
            "parent_id": unit("13060201"),
            "phone": "0312-5550101",
        },
    )
    update: ClassVar[dict[str, Any]] = {
        "name": "竞秀三中队（新址）",
        "address": "竞秀区朝阳北大街 9 号",
    }
    invalid = (
        {"code": "13060299", "name": "网格挂大队", "kind": "grid", "parent_id": unit("130602")},
        "kind",
    )
    outsider = "lc_dispatcher"
    in_scope = unit("13060201")
    keyword = "三中队"


def _paths(app: FastAPI) -> dict[str, str]:
    with app.state.db.sessions() as session:
        return {u.code: u.path for u in session.scalars(select(OrgUnit))}


def test_moving_a_unit_rewrites_its_subtree(app: FastAPI, as_user: ClientFactory) -> None:
    admin, ids = as_user("admin"), Resolver(app)
    squad = ids.id(unit("13060201"))
    target = ids.id(unit("130606"))
    before = _paths(app)
    moved = admin.patch(f"{API}/{squad}", json={"parent_id": target})
    assert moved.status_code == 200, moved.text
    after = _paths(app)
    assert after["13060201"] == f"{before['130606']}{squad}/"
    for code in ("1306020101", "130602010101", "130602010102"):
        assert after[code] == after["13060201"] + before[code][len(before["13060201"]) :]
        assert after[code].startswith(before["130606"])
    untouched = {c: p for c, p in before.items() if not p.startswith(before["13060201"])}
    assert {c: after[c] for c in untouched} == untouched
    # The 莲池 dispatcher now sees the moved squad, the 竞秀 one no longer does.
    assert as_user("lc_dispatcher").get(f"{API}/{squad}").status_code == 200
    assert as_user("jx_dispatcher").get(f"{API}/{squad}").status_code == 404


def test_a_unit_cannot_move_under_itself(app: FastAPI, as_user: ClientFactory) -> None:
    admin, ids = as_user("admin"), Resolver(app)
    brigade = ids.id(unit("130602"))
    for below in ("130602", "13060201", "1306020101"):
        response = admin.patch(f"{API}/{brigade}", json={"parent_id": ids.id(unit(below))})
        assert response.status_code == 422, response.text
        assert response.json()["detail"][0]["loc"] == ["body", "parent_id"]
        assert chinese(response.json()["detail"][0]["msg"])


def test_kinds_follow_the_tree(app: FastAPI, as_user: ClientFactory) -> None:
    admin, ids = as_user("admin"), Resolver(app)
    grid = ids.id(unit("130602010101"))
    district = ids.id(unit("1306020101"))
    under_grid = {"code": "X1", "name": "网格下的网格", "kind": "grid", "parent_id": grid}
    assert admin.post(API, json=under_grid).status_code == 422
    # A district with grids below cannot become a grid itself.
    response = admin.patch(f"{API}/{district}", json={"kind": "grid"})
    assert response.status_code == 422 and "网格" in response.json()["detail"][0]["msg"]
    # Moving a squad under a police district breaks the tree and is refused.
    squad = ids.id(unit("13060202"))
    assert admin.patch(f"{API}/{squad}", json={"parent_id": district}).status_code == 422
    root = ids.id(unit("130600"))
    assert admin.patch(f"{API}/{root}", json={"parent_id": district}).status_code == 422
    assert admin.patch(f"{API}/{squad}", json={"parent_id": None}).status_code == 422


def test_delete_is_refused_while_children_or_users_remain(
    app: FastAPI, as_user: ClientFactory
) -> None:
    admin, ids = as_user("admin"), Resolver(app)
    with_children = admin.delete(f"{API}/{ids.id(unit('130602'))}")
    assert (
        with_children.status_code == 409 and "下级单位" in with_children.json()["detail"][0]["msg"]
    )
    grid = ids.id(unit("130602010101"))  # holds the demo grid worker
    with_users = admin.delete(f"{API}/{grid}")
    assert with_users.status_code == 409 and "用户" in with_users.json()["detail"][0]["msg"]
    district = ids.id(unit("1306020101"))
    fresh = {"code": "130602010199", "name": "待撤销网格", "kind": "grid", "parent_id": district}
    empty = admin.post(API, json=fresh)
    assert empty.status_code == 201, empty.text
    assert admin.delete(f"{API}/{empty.json()['id']}").status_code == 204


def test_a_brigade_writer_stays_inside_its_subtree(app: FastAPI, as_user: ClientFactory) -> None:
    admin, ids = as_user("admin"), Resolver(app)
    role = admin.post(
        "/api/v1/roles",
        json={
            "code": "unit_keeper",
            "name": "机构维护员",
            "permissions": ["org.read", "org.write"],
        },
    ).json()
    admin.patch(f"/api/v1/users/{ids.id(user('jx_duty'))}", json={"role_ids": [role["id"]]})
    keeper = as_user("jx_duty")
    lianchi = ids.id(unit("130606"))
    own = ids.id(unit("130602"))
    outside = {"code": "13060602", "name": "莲池二中队", "kind": "squad", "parent_id": lianchi}
    refused = keeper.post(API, json=outside)
    assert refused.status_code == 422 and refused.json()["detail"][0]["loc"] == [
        "body",
        "parent_id",
    ]
    inside = {"code": "13060209", "name": "竞秀九中队", "kind": "squad", "parent_id": own}
    assert keeper.post(API, json=inside).status_code == 201
    # Its own brigade can be renamed but not moved anywhere (every target is below itself).
    assert keeper.patch(f"{API}/{own}", json={"name": "竞秀交警大队（新）"}).status_code == 200
    assert keeper.patch(f"{API}/{own}", json={"parent_id": lianchi}).status_code == 422
    listed = {u["code"] for u in keeper.get(API, params={"limit": 500}).json()["items"]}
    assert "130606" not in listed and "130600" not in listed and "13060209" in listed


def test_tree_filter_and_tree_page(
    app: FastAPI, as_user: ClientFactory, browser_as: ClientFactory
) -> None:
    admin, ids = as_user("admin"), Resolver(app)
    squad = ids.id(unit("13060201"))
    within = admin.get(API, params={"within": squad, "limit": 500}).json()["items"]
    assert {u["code"] for u in within} == {"13060201", "1306020101", "130602010101", "130602010102"}
    page = browser_as("admin").get("/admin/org-units", headers={"Accept": "text/html"}).text
    # Tree order with indentation and Chinese kind labels.
    assert page.index("竞秀交警大队") < page.index("竞秀一中队") < page.index("朝阳大街警务区")
    assert "padding-left" in page and "警务区" in page and "网格" in page


def test_the_top_of_a_scope_can_be_edited_in_its_form(
    app: FastAPI, as_user: ClientFactory, browser_as: ClientFactory
) -> None:
    """The brigade's parent lies outside the keeper's scope: the form keeps it rather than clear it."""
    admin, ids = as_user("admin"), Resolver(app)
    role = admin.post(
        "/api/v1/roles",
        json={
            "code": "unit_keeper",
            "name": "机构维护员",
            "permissions": ["org.read", "org.write"],
        },
    ).json()
    admin.patch(f"/api/v1/users/{ids.id(user('jx_duty'))}", json={"role_ids": [role["id"]]})
    brigade = ids.id(unit("130602"))
    browser = browser_as("jx_duty")
    form = browser.get(f"/admin/org-units/{brigade}/edit", headers={"Accept": "text/html"}).text
    assert "（保持当前值）" in form
    sent = [(k, v) for k, v in form_values(form, f"/admin/org-units/{brigade}/edit") if k != "name"]
    data = form_data([*sent, ("name", "竞秀交警大队（改）")])
    saved = browser.post(f"/admin/org-units/{brigade}/edit", data=data)
    assert saved.status_code == 303, saved.text
    stored = admin.get(f"{API}/{brigade}").json()
    assert stored["parent_id"] == ids.id(unit("130600")) and stored["name"] == "竞秀交警大队（改）"
