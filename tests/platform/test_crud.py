"""The registry machinery itself: transactions around imports, Excel cells, filters and limits."""

from __future__ import annotations

import datetime as dt
import io
from typing import Any

import openpyxl
import pytest
from fastapi import FastAPI
from sqlalchemy import select, update

from jiaoguan.platform.admin.org_units import ORG_UNITS
from jiaoguan.platform.admin.users import USERS
from jiaoguan.platform.auth.models import OrgUnit, User
from jiaoguan.platform.auth.permissions import ORG_READ, ORG_WRITE
from jiaoguan.platform.auth.service import principal_of
from jiaoguan.platform.crud import Column, Registry, import_xlsx
from jiaoguan.platform.crud.excel import MAX_IMPORT_ROWS, XLSX
from jiaoguan.platform.crud.registry import REGISTRIES
from tests.conftest import ClientFactory
from tests.support.registry_contract import Resolver, chinese, unit

UNITS = "/api/v1/org-units"


def _workbook(rows: list[list[Any]]) -> bytes:
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    assert sheet is not None
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def _upload(content: bytes, name: str = "导入.xlsx") -> dict[str, Any]:
    return {"file": (name, content, XLSX)}


def test_import_rows_roll_back_with_the_request(app: FastAPI) -> None:
    """Each row has its own SAVEPOINT, yet the outer transaction still decides: on SQLite too."""
    content = _workbook(
        [["机构编码", "名称", "类别", "上级单位"], ["13060203", "竞秀三中队", "中队", "130602"]]
    )
    with app.state.db.sessions() as session:
        admin = session.scalar(select(User).where(User.username == "admin"))
        assert admin is not None
        report = import_xlsx(ORG_UNITS, session, principal_of(admin), content)
        assert report.stored == 1
        session.rollback()
    with app.state.db.sessions() as session:
        assert session.scalar(select(OrgUnit).where(OrgUnit.code == "13060203")) is None


def test_import_reads_cells_as_people_type_them(app: FastAPI, as_user: ClientFactory) -> None:
    admin = as_user("admin")
    content = _workbook(
        [
            [" 机构编码 *", "名称（必填）", "类别", "上级单位", "备注（不导入）"],
            [13060203, "竞秀三中队", "中队", 130602, "数字单元格"],
            [None, None, None, None, None],
            ["13060204", "  竞秀四中队  ", "squad", "竞秀交警大队", ""],
        ]
    )
    report = admin.post(f"{UNITS}/import", files=_upload(content)).json()
    assert (report["total"], report["stored"], report["failed"]) == (2, 2, 0), report
    names = {admin.get(f"{UNITS}/{i}").json()["name"] for i in report["ids"]}
    assert names == {"竞秀三中队", "竞秀四中队"}
    users = _workbook(
        [
            ["用户名", "姓名", "人员类别", "所属单位", "角色", "初始密码", "启用"],
            ["jx_a1", "甲", "辅警", "13060201", "民警/辅警, grid_worker", "Abcdefgh12", "否"],
            ["jx_a2", "乙", "设备", "13060201", "device", None, "是"],
        ]
    )
    report = admin.post("/api/v1/users/import", files=_upload(users)).json()
    assert report["stored"] == 2, report
    first = admin.get(f"/api/v1/users/{report['ids'][0]}").json()
    assert first["kind"] == "auxiliary" and first["is_active"] is False
    assert {r["code"] for r in first["roles"]} == {"officer", "grid_worker"}


def test_import_reports_every_problem_of_a_row(as_user: ClientFactory) -> None:
    content = _workbook(
        [
            ["用户名", "姓名", "所属单位", "角色"],
            ["x", "", "不存在的单位", "不存在的角色"],
        ]
    )
    report = as_user("admin").post("/api/v1/users/import", files=_upload(content)).json()
    assert report["stored"] == 0 and report["failed"] == 1
    fields = {p["field"] for p in report["errors"]}
    assert "unit_id" in fields
    assert all(p["row"] == 2 and chinese(p["message"]) for p in report["errors"])


@pytest.mark.parametrize(
    ("rows", "needle"),
    [
        ([["甲", "乙"], ["1", "2"]], "表头"),
        ([], "空"),
    ],
)
def test_import_refuses_files_it_cannot_read(
    sqlite_app: FastAPI, rows: list[list[Any]], needle: str
) -> None:
    from tests.support.clients import api_client

    with api_client(sqlite_app, "admin") as admin:
        response = admin.post(f"{UNITS}/import", files=_upload(_workbook(rows)))
    assert response.status_code == 422
    assert needle in response.json()["detail"][0]["msg"]


def test_import_limits_rows_and_size(sqlite_app: FastAPI) -> None:
    from tests.support.clients import api_client

    header = [["机构编码", "名称", "类别", "上级单位"]]
    many = header + [[f"C{i}", f"单位{i}", "中队", "130602"] for i in range(MAX_IMPORT_ROWS + 1)]
    with api_client(sqlite_app, "admin") as admin:
        too_many = admin.post(f"{UNITS}/import", files=_upload(_workbook(many)))
        assert too_many.status_code == 422 and "5000" in too_many.json()["detail"][0]["msg"]
        huge = b"PK\x03\x04" + b"\0" * (10 * 1024 * 1024 + 10)
        too_big = admin.post(f"{UNITS}/import", files=_upload(huge))
        assert too_big.status_code == 422 and "10 MB" in too_big.json()["detail"][0]["msg"]
        assert admin.get(UNITS).json()["total"] == 13


def test_template_explains_columns_and_offers_choices(as_user: ClientFactory) -> None:
    response = as_user("admin").get(f"{UNITS}/import-template")
    workbook = openpyxl.load_workbook(io.BytesIO(response.content))
    data, notes = workbook["数据"], workbook["填写说明"]
    assert [c.value for c in data[1]] == ["机构编码", "名称", "类别", "上级单位", "电话", "地址"]
    rules = data.data_validations.dataValidation
    assert any("大队" in (rule.formula1 or "") for rule in rules)
    rows = {r[0]: r for r in notes.iter_rows(min_row=2, values_only=True)}
    assert rows["类别"][1] == "kind" and rows["类别"][2] == "必填" and "大队" in rows["类别"][4]


def test_export_keeps_text_inert(app: FastAPI, as_user: ClientFactory) -> None:
    admin, ids = as_user("admin"), Resolver(app)
    body = {
        "code": "13060203",
        "name": '=HYPERLINK("http://example.invalid","点我")',
        "kind": "squad",
        "parent_id": ids.id(unit("130602")),
    }
    assert admin.post(UNITS, json=body).status_code == 201
    exported = admin.get(f"{UNITS}/export", params={"q": "13060203"})
    sheet = openpyxl.load_workbook(io.BytesIO(exported.content)).worksheets[0]
    cells = [cell for row in sheet.iter_rows(min_row=2) for cell in row]
    formulas = [cell.value for cell in cells if cell.data_type == "f"]
    assert formulas == [] and body["name"] in [cell.value for cell in cells]


def test_date_filters_are_beijing_days(app: FastAPI, as_user: ClientFactory) -> None:
    admin = as_user("admin")
    # 2026-01-01 00:30 in Beijing is still 2025-12-31 in UTC.
    moment = dt.datetime(2025, 12, 31, 16, 30, tzinfo=dt.UTC)
    with app.state.db.transaction() as session:
        session.execute(update(User).where(User.username == "leader").values(last_login_at=moment))

    def names(**params: str) -> set[str]:
        items = admin.get("/api/v1/users", params={"limit": 500, **params}).json()["items"]
        return {u["username"] for u in items}

    assert "leader" in names(last_login_at_from="2026-01-01", last_login_at_to="2026-01-01")
    assert "leader" not in names(last_login_at_to="2025-12-31")
    far = names(last_login_at_from="0001-01-01", last_login_at_to="9999-12-31")
    assert "leader" in far


def test_empty_page_filters_mean_any(browser_as: ClientFactory) -> None:
    browser = browser_as("admin")
    html = {"Accept": "text/html"}
    page = browser.get("/admin/org-units?q=&within=&kind=&sort=", headers=html)
    assert page.status_code == 200 and '共 <strong id="crud-total">13</strong>' in page.text
    bad = browser.get("/admin/org-units?kind=nonsense", headers=html)
    assert bad.status_code == 422 and "取值不在允许范围内" in bad.text
    narrowed = browser.get("/admin/users?kind=auxiliary&sort=-username", headers=html).text
    assert "孙辅警" in narrowed and "刘民警" not in narrowed
    assert "/api/v1/users/export?kind=auxiliary&amp;sort=-username" in narrowed


def test_hostile_input_is_refused_not_stored(app: FastAPI, as_user: ClientFactory) -> None:
    admin, ids = as_user("admin"), Resolver(app)
    body = {"code": "X9", "name": "坏\x00名", "kind": "squad", "parent_id": ids.id(unit("130602"))}
    nul = admin.post(UNITS, json=body)
    assert nul.status_code == 422 and nul.json()["detail"][0]["loc"] == ["body", "name"]
    huge = admin.post(UNITS, json={**body, "name": "好名", "parent_id": 2**40})
    assert huge.status_code == 422
    assert admin.get(f"{UNITS}/{2**70}").status_code == 422
    assert admin.get(UNITS, params={"within": 2**70}).status_code == 422
    assert admin.get(UNITS, params={"q": "%"}).json()["total"] == 0
    assert admin.patch(f"{UNITS}/export", json={}).status_code == 405


def test_a_registry_declaration_is_checked() -> None:
    with pytest.raises(ValueError, match="no column"):
        Registry(
            model=OrgUnit,
            create_schema=ORG_UNITS.create_schema,
            update_schema=ORG_UNITS.update_schema,
            read_schema=ORG_UNITS.read_schema,
            label="测试",
            slug="test-units",
            resource="test_unit",
            read_permission=ORG_READ,
            write_permission=ORG_WRITE,
            columns=(Column("name", "名称"),),
            sortable=("no_such_column",),
        )
    assert REGISTRIES["org_unit"] is ORG_UNITS and REGISTRIES["app_user"] is USERS


def test_a_list_page_costs_a_few_queries_not_one_per_row(sqlite_app: FastAPI) -> None:
    from sqlalchemy import event

    from jiaoguan.platform.crud import ListQuery, list_records

    statements: list[str] = []

    def count(*args: Any) -> None:
        statements.append(str(args[2]))

    engine = sqlite_app.state.db.engine
    with sqlite_app.state.db.sessions() as session:
        admin = session.scalar(select(User).where(User.username == "admin"))
        assert admin is not None
        principal = principal_of(admin)
        event.listen(engine, "before_cursor_execute", count)
        try:
            page = list_records(USERS, session, principal, ListQuery(limit=500))
            shown = [USERS.display(c, u) for u in page.items for c in USERS.list_columns()]
        finally:
            event.remove(engine, "before_cursor_execute", count)
    assert len(page.items) >= 13 and "竞秀一中队" in shown
    # count, rows, their units, their roles: however many rows there are.
    assert len(statements) <= 4, statements
