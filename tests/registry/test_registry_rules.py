"""The registries' own rules: validated keys with reasons, imports reporting bad rows, sensitive
reads, data scope, map layers, overdue lists, company rosters and bulk loading."""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Iterator
from typing import Any
from urllib.parse import quote

import openpyxl
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from jiaoguan.platform.audit.models import AuditEntry
from jiaoguan.platform.auth.models import OrgUnit
from jiaoguan.registry import service
from jiaoguan.registry.models import Company, Driver, Vehicle
from jiaoguan.registry.validators import make_credit_code, make_id_number
from tests.conftest import ClientFactory
from tests.support.clients import api_client, web_client

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
DRIVERS = "/api/v1/registry/drivers"
VEHICLES = "/api/v1/registry/vehicles"
COMPANIES = "/api/v1/registry/companies"
PERSON = make_id_number("130602", dt.date(1984, 6, 1), 321)


@pytest.fixture
def admin(sqlite_app: FastAPI) -> Iterator[TestClient]:
    with api_client(sqlite_app, "admin") as client:
        yield client


def unit_id(app: FastAPI, code: str) -> int:
    with app.state.db.sessions() as session:
        found = session.scalar(select(OrgUnit.id).where(OrgUnit.code == code))
    assert found is not None
    return int(found)


def workbook(rows: list[list[Any]]) -> bytes:
    book = openpyxl.Workbook()
    sheet = book.active
    assert sheet is not None
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def upload(client: TestClient, api: str, content: bytes) -> dict[str, Any]:
    response = client.post(f"{api}/import", files={"file": ("导入.xlsx", content, XLSX)})
    assert response.status_code == 200, response.text
    report: dict[str, Any] = response.json()
    return report


def problem(response: Any, field: str) -> str:
    assert response.status_code == 422, response.text
    found = {tuple(d["loc"]): d["msg"] for d in response.json()["detail"]}
    return found[("body", field)]


# --- keys validated with the reason --------------------------------------------------------------


def test_a_driver_gets_sex_and_birth_date_from_the_id_number(
    sqlite_app: FastAPI, admin: TestClient
) -> None:
    body = {"id_number": PERSON.lower(), "name": "测试丁", "licence_class": "c1"}
    created = admin.post(DRIVERS, json={**body, "unit_id": unit_id(sqlite_app, "130602010101")})
    assert created.status_code == 201, created.text
    record = created.json()
    assert record["sex"] == "male" and record["licence_class"] == "C1"
    assert record["id_number_masked"] == PERSON[:6] + "********" + PERSON[-4:]
    assert "id_number" not in record and "phone" not in record
    with sqlite_app.state.db.sessions() as session:
        driver = session.get(Driver, record["id"])
        assert driver is not None and driver.birth_date == dt.date(1984, 6, 1)
    again = admin.post(DRIVERS, json={**body, "unit_id": unit_id(sqlite_app, "130602010101")})
    assert again.status_code == 409 and "已存在" in again.json()["detail"][0]["msg"]


def test_bad_keys_are_refused_with_the_failed_check(sqlite_app: FastAPI, admin: TestClient) -> None:
    grid = unit_id(sqlite_app, "130602010101")
    wrong = PERSON[:17] + ("0" if PERSON[17] != "0" else "1")
    driver = {"id_number": wrong, "name": "甲", "licence_class": "C1", "unit_id": grid}
    assert problem(admin.post(DRIVERS, json=driver), "id_number").startswith("校验位错误：应为")
    driver["id_number"] = "130602198402300010"
    assert "出生日期不存在" in problem(admin.post(DRIVERS, json=driver), "id_number")
    company = {"credit_code": "91350100M000100Y4Z", "name": "乙", "kind": "other", "unit_id": grid}
    assert "非法字符" in problem(admin.post(COMPANIES, json=company), "credit_code")
    vehicle = {
        "plate_no": "港A12345",
        "plate_class": "02",
        "vehicle_class": "K33",
        "owner_name": "丙",
        "owner_id_number": PERSON,
        "unit_id": grid,
    }
    assert "省份简称不正确" in problem(admin.post(VEHICLES, json=vehicle), "plate_no")
    vehicle.update(plate_no="冀FD12345")
    assert "号牌种类不符" in problem(admin.post(VEHICLES, json=vehicle), "plate_no")
    vehicle.update(plate_no="冀F12345", owner_id_number="123")
    assert problem(admin.post(VEHICLES, json=vehicle), "owner_id_number")


def test_a_vehicle_is_normalised_and_flagged(sqlite_app: FastAPI, admin: TestClient) -> None:
    grid = unit_id(sqlite_app, "130602010101")
    owner = make_credit_code("91", "130602", "MA0TEQ33")
    vehicle = {
        "plate_no": "冀ｆ·9K27M",
        "plate_class": "01",
        "vehicle_class": "k11",
        "owner_name": "示范市测试客运公司",
        "owner_id_number": owner,
        "use": "coach",
        "unit_id": grid,
    }
    created = admin.post(VEHICLES, json=vehicle)
    assert created.status_code == 201, created.text
    record = created.json()
    assert (record["plate_no"], record["plate_color"], record["vehicle_class"]) == (
        "冀F9K27M",
        "YELLOW",
        "K11",
    )
    assert record["key_vehicle"] is True and record["owner_is_person"] is False
    assert record["owner_name_masked"] == "示范市测试客运公司"  # a company is not masked
    again = admin.post(VEHICLES, json={**vehicle, "plate_no": "冀F9K27M"})
    assert again.status_code == 409
    small = admin.post(VEHICLES, json={**vehicle, "plate_no": "冀F9K27M", "plate_class": "02"})
    assert small.status_code == 201, "the same number as a small car is another plate"


def test_malformed_geometry_is_refused(sqlite_app: FastAPI, admin: TestClient) -> None:
    grid = unit_id(sqlite_app, "130602010101")
    road = admin.post(
        "/api/v1/registry/roads", json={"name": "几何路", "grade": "branch", "unit_id": grid}
    ).json()
    for bad in ("不是 JSON", "[[200, 38]]", "[[115.4, 38.8], [115.5]]", '{"type": "Point"}'):
        body = {"road_id": road["id"], "name": "段", "geometry": bad, "unit_id": grid}
        response = admin.post("/api/v1/registry/road-segments", json=body)
        assert "几何格式错误" in problem(response, "geometry"), bad


# --- Excel import: good rows stored, bad rows reported with the reason ----------------------------


def test_import_reports_each_bad_key_with_its_reason(admin: TestClient) -> None:
    good = make_id_number("130602", dt.date(1990, 3, 3), 101)
    bad_check = good[:17] + ("0" if good[17] != "0" else "1")
    content = workbook(
        [
            ["身份证号", "姓名", "准驾车型", "责任网格/单位"],
            [good, "导入甲", "C1", "130602010101"],
            [bad_check, "导入乙", "C1", "130602010101"],
            ["130602199002300011", "导入丙", "C1", "130602010101"],
            [make_id_number("130602", dt.date(1991, 1, 1), 202), "导入丁", "Z9", "130602010101"],
            [
                make_id_number("130602", dt.date(1992, 1, 1), 303),
                "导入戊",
                "C2",
                "朝阳大街第二网格",
            ],
        ]
    )
    report = upload(admin, DRIVERS, content)
    assert (report["total"], report["stored"], report["failed"]) == (5, 2, 3)
    by_row = {p["row"]: p for p in report["errors"]}
    assert by_row[3]["field"] == "id_number" and "校验位错误" in by_row[3]["message"]
    assert by_row[4]["field"] == "id_number" and "出生日期不存在" in by_row[4]["message"]
    assert by_row[5]["field"] == "licence_class" and "准驾车型" in by_row[5]["message"]


def test_vehicle_import_reports_bad_plates_and_resolves_companies(
    sqlite_app: FastAPI, admin: TestClient
) -> None:
    grid = unit_id(sqlite_app, "130602010101")
    code = make_credit_code("91", "130602", "MA0TEQ44")
    company = {
        "credit_code": code,
        "name": "导入运输",
        "kind": "freight_transport",
        "unit_id": grid,
    }
    company_id = admin.post(COMPANIES, json=company).json()["id"]
    header = [
        "号牌号码",
        "号牌种类",
        "车辆类型",
        "所有人",
        "所有人证件号码",
        "所属企业",
        "责任网格/单位",
    ]
    content = workbook(
        [
            header,
            ["冀F1A2B3", "小型汽车", "K33", "导入甲", PERSON, None, "130602010101"],
            ["冀F1O2B3", "02", "K33", "导入乙", PERSON, None, "130602010101"],
            ["冀FB7766", "大型汽车", "H11", "导入运输", code, code, "130602010101"],
            ["冀FB7767", "大型汽车", "H11", "导入运输", code, "91130602MA0TEQ00X", "130602010101"],
        ]
    )
    report = upload(admin, VEHICLES, content)
    assert (report["stored"], report["failed"]) == (2, 2), report
    by_row = {p["row"]: p for p in report["errors"]}
    assert by_row[3]["field"] == "plate_no" and "字母 O" in by_row[3]["message"]
    assert by_row[5]["field"] == "company_id"
    truck = admin.get(f"{VEHICLES}/{report['ids'][1]}").json()
    assert truck["company_id"] == company_id and truck["plate_class"] == "01"


# --- sensitive reads ---------------------------------------------------------------------------------


def _sensitive_entries(app: FastAPI, action: str) -> list[str | None]:
    with app.state.db.sessions() as session:
        stmt = select(AuditEntry.reason).where(
            AuditEntry.action == action, AuditEntry.sensitive.is_(True)
        )
        return list(session.scalars(stmt))


def test_personal_data_needs_a_reason_and_is_audited(app: FastAPI, as_user: ClientFactory) -> None:
    officer = as_user("jx_officer")
    drivers = officer.get(DRIVERS, params={"q": "赵志强"}).json()["items"]
    [driver] = drivers
    url = f"{DRIVERS}/{driver['id']}/identity"
    refused = officer.get(url)
    assert refused.status_code == 428
    assert refused.json()["detail"][0]["loc"] == ["query", "reason"]
    identity = officer.get(url, params={"reason": "核查违法行为人身份"})
    assert identity.status_code == 200
    assert (
        identity.json()["id_number"].startswith("130602")
        and "*" not in identity.json()["id_number"]
    )
    assert "核查违法行为人身份" in _sensitive_entries(app, "read_identity")
    [vehicle] = officer.get(VEHICLES, params={"q": "冀F3K7M2"}).json()["items"]
    assert vehicle["owner_name_masked"] == "李**" and "*" in vehicle["owner_id_masked"]
    owner_url = f"{VEHICLES}/{vehicle['id']}/owner"
    assert officer.get(owner_url).status_code == 428
    owner = officer.get(owner_url, headers={"X-Reason": quote("电话核实车主")})
    assert owner.status_code == 200 and owner.json()["owner_name"] == "李晓梅"
    assert owner.json()["driver_id"] is not None
    assert "电话核实车主" in _sensitive_entries(app, "read_owner")


def test_the_identity_page_asks_for_a_reason(sqlite_app: FastAPI) -> None:
    with web_client(sqlite_app, "jx_officer") as browser:
        html = {"Accept": "text/html"}
        listed = browser.get("/registry/drivers", headers=html, params={"q": "赵志强"})
        assert listed.status_code == 200
        driver_id = int(listed.text.split('href="/registry/drivers/')[1].split('"')[0])
        detail = browser.get(f"/registry/drivers/{driver_id}", headers=html).text
        assert f'action="/registry/drivers/{driver_id}/identity"' in detail
        assert 'name="reason"' in detail
        page = f"/registry/drivers/{driver_id}/identity"
        assert browser.get(page, headers=html).status_code == 428
        shown = browser.get(page, headers=html, params={"reason": "现场核查"})
        assert shown.status_code == 200 and "现场核查" in shown.text
        assert "130602" in shown.text and "赵志强" in shown.text


# --- data scope --------------------------------------------------------------------------------------


def test_lianchi_does_not_see_jingxiu_vehicles(as_user: ClientFactory) -> None:
    lianchi = as_user("lc_dispatcher").get(VEHICLES, params={"limit": 500}).json()["items"]
    jingxiu = as_user("jx_dispatcher").get(VEHICLES, params={"limit": 500}).json()["items"]
    everyone = as_user("dispatcher").get(VEHICLES, params={"limit": 500}).json()["items"]
    assert {v["plate_no"] for v in lianchi} == {"冀F6H093"}
    assert "冀F6H093" not in {v["plate_no"] for v in jingxiu} and len(jingxiu) == 3
    assert len(everyone) == 4
    grid = as_user("grid_worker").get(VEHICLES, params={"limit": 500}).json()["items"]
    assert {v["plate_no"] for v in grid} == {"冀F3K7M2", "冀FA2618"}


def test_a_grid_worker_cannot_place_records_outside_their_grid(
    app: FastAPI, as_user: ClientFactory
) -> None:
    worker = as_user("grid_worker")
    house = {"name": "越界房屋", "kind": "other", "unit_id": unit_id(app, "130606010101")}
    response = worker.post("/api/v1/registry/houses", json=house)
    assert problem(response, "unit_id")
    company_lc = as_user("lc_dispatcher").get(COMPANIES).json()["items"][0]["id"]
    vehicle = {
        "plate_no": "冀F5N8P1",
        "plate_class": "02",
        "vehicle_class": "K33",
        "owner_name": "甲",
        "owner_id_number": PERSON,
        "company_id": company_lc,
        "unit_id": unit_id(app, "130602010101"),
    }
    assert "不在数据权限范围内" in problem(worker.post(VEHICLES, json=vehicle), "company_id")


def test_filters_by_tag_status_and_grid(app: FastAPI, as_user: ClientFactory) -> None:
    admin = as_user("admin")

    def plates(**params: Any) -> set[str]:
        items = admin.get(VEHICLES, params={**params, "limit": 500}).json()["items"]
        return {item["plate_no"] for item in items}

    assert plates(tag="overdue_inspection") == {"冀FA2618"}
    assert plates(status="scrapping_overdue") == {"冀F6H093"}
    assert plates(key_vehicle=True) == {"冀FA2618"}
    assert plates(unit_id=unit_id(app, "130602010102")) == {"冀FD52817"}
    assert plates(q="冀F3K7") == {"冀F3K7M2"}
    assert admin.get(VEHICLES, params={"tag": "no_such_tag"}).status_code == 422


# --- map layers --------------------------------------------------------------------------------------


def test_geojson_layers_are_scoped_and_boxed(as_user: ClientFactory) -> None:
    lianchi = as_user("lc_dispatcher")
    layer = lianchi.get(f"{VEHICLES}/geojson").json()
    assert layer["type"] == "FeatureCollection"
    assert [f["properties"]["title"] for f in layer["features"]] == ["冀F6H093"]
    admin = as_user("admin")
    boxed = admin.get(f"{VEHICLES}/geojson", params={"bbox": "115.46,38.87,115.467,38.876"}).json()
    assert {f["properties"]["title"] for f in boxed["features"]} == {"冀F3K7M2", "冀FA2618"}
    point = boxed["features"][0]["geometry"]
    assert point["type"] == "Point" and len(point["coordinates"]) == 2
    lines = admin.get("/api/v1/registry/road-segments/geojson").json()["features"]
    assert {f["geometry"]["type"] for f in lines} == {"LineString"}
    for bad in ("1,2,3", "a,b,c,d", "10,10,5,5", "0,0,0,nan"):
        response = admin.get(f"{VEHICLES}/geojson", params={"bbox": bad})
        assert response.status_code == 422, bad
        assert response.json()["detail"][0]["loc"] == ["query", "bbox"]


def test_density_grid_counts_what_the_user_may_see(as_user: ClientFactory) -> None:
    admin, lianchi = as_user("admin"), as_user("lc_dispatcher")
    placed = admin.get(f"{VEHICLES}/geojson").json()["features"]
    grid = admin.get(f"{VEHICLES}/density", params={"cell_m": 200}).json()
    assert sum(f["properties"]["数量"] for f in grid["features"]) == len(placed)
    assert max(f["properties"]["level"] for f in grid["features"]) == 1.0
    ring = grid["features"][0]["geometry"]["coordinates"][0]
    assert len(ring) == 5 and ring[0] == ring[-1]
    # Another brigade counts only its own vehicles; bigger cells merge points, never lose them.
    mine = lianchi.get(f"{VEHICLES}/density").json()["features"]
    assert sum(f["properties"]["数量"] for f in mine) == 1
    coarse = admin.get(f"{VEHICLES}/density", params={"cell_m": 5000}).json()["features"]
    assert len(coarse) <= len(grid["features"])
    assert sum(f["properties"]["数量"] for f in coarse) == len(placed)
    for bad in ("50", "99999", "abc"):
        response = admin.get(f"{VEHICLES}/density", params={"cell_m": bad})
        assert response.status_code == 422, bad
        assert response.json()["detail"][0]["loc"] == ["query", "cell_m"]


# --- overdue lists, company roster, bulk loading ---------------------------------------------------------


def test_overdue_lists(sqlite_app: FastAPI) -> None:
    today = dt.date.today()
    with sqlite_app.state.db.sessions() as session:
        late = session.scalars(service.overdue_inspection(session, today)).all()
        scrap = session.scalars(service.overdue_scrapping(session, today)).all()
        assert [v.plate_no for v in late] == ["冀FA2618"]
        assert [v.plate_no for v in scrap] == ["冀F6H093"]
        assert (
            session.scalars(
                service.overdue_inspection(session, today - dt.timedelta(days=30))
            ).all()
            == []
        )


def test_the_company_page_lists_its_vehicles_and_drivers(sqlite_app: FastAPI) -> None:
    with sqlite_app.state.db.sessions() as session:
        company_id = session.scalar(select(Company.id).where(Company.name.contains("顺达")))
    with web_client(sqlite_app, "jx_dispatcher") as browser:
        page = browser.get(f"/registry/companies/{company_id}", headers={"Accept": "text/html"})
    assert page.status_code == 200
    vehicles = page.text.split('id="company-vehicles"')[1].split("</table>")[0]
    drivers = page.text.split('id="company-drivers"')[1].split("</table>")[0]
    assert "冀FA2618" in vehicles and "两客一危" in vehicles
    assert "赵志强" in drivers


def test_bulk_insert_stores_plain_rows(sqlite_app: FastAPI) -> None:
    grid = unit_id(sqlite_app, "130602010101")
    rows = [
        {
            "plate_no": f"冀F{n:05d}",
            "plate_class": "02",
            "plate_color": "BLUE",
            "vehicle_class": "K33",
            "owner_name": "批量",
            "owner_id_number": PERSON,
            "use": "private",
            "status": "normal",
            "unit_id": grid,
            **({"inspection_due_on": dt.date(2020, 1, 1)} if n % 2 else {}),
        }
        for n in range(1, 2501)
    ]
    with sqlite_app.state.db.transaction() as session:
        assert service.bulk_insert_vehicles(session, rows, batch=1000) == 2500
    with sqlite_app.state.db.sessions() as session:
        count = session.scalar(select(func.count()).where(Vehicle.owner_name == "批量"))
        assert count == 2500
        late = session.scalars(service.overdue_inspection(session, dt.date(2024, 1, 1))).all()
        assert sum(v.owner_name == "批量" for v in late) == 1250
        stored = session.scalar(select(Vehicle).where(Vehicle.plate_no == "冀F00002"))
        assert stored is not None and stored.tags == [] and stored.key_vehicle is False
