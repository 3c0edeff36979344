"""Standard-address registry (contract), matching API, divisions API and pages, on both databases."""

from __future__ import annotations

from typing import Any, ClassVar

from fastapi import FastAPI
from sqlalchemy import func, select

from jiaoguan.geo.address.models import AdminDivision, DivisionAlias, Landmark, StandardAddress
from jiaoguan.geo.address.schemas import MAX_BATCH
from tests.conftest import ClientFactory
from tests.support.registry_contract import RegistryContract, chinese, unit


class TestStandardAddressRegistry(RegistryContract):
    api = "/api/v1/addresses"
    pages = "/registry/addresses"
    resource = "standard_address"
    samples = (
        {
            "code": "ZZ-0001",
            "county_code": "130602",
            "road": "朝阳北大街",
            "house_number": "888号",
            "grid_unit_id": unit("130602010101"),
            "lon": 115.46,
            "lat": 38.88,
        },
        {
            "code": "ZZ-0002",
            "county_code": "130606",
            "road": "东风中路",
            "house_number": "66号",
            "estate": "试验小区",
            "building": "2栋",
            "unit_no": "1单元",
            "room": "302",
        },
    )
    update: ClassVar[dict[str, Any]] = {"house_number": "890号", "status": "retired"}
    invalid = ({"code": "ZZ-0003", "county_code": "130600", "road": "东风中路"}, "county_code")
    keyword = "ZZ-0001"


class TestLandmarkRegistry(RegistryContract):
    api = "/api/v1/landmarks"
    pages = "/registry/landmarks"
    resource = "landmark"
    samples = (
        {"name": "试验广场", "aliases": ["试验", "试广"], "county_code": "130602"},
        {"name": "测绘大厦", "aliases": [], "lon": 115.5, "lat": 38.9},
    )
    update: ClassVar[dict[str, Any]] = {"aliases": ["试验场"]}
    invalid = ({"name": "坏区县", "county_code": "130600"}, "county_code")
    keyword = "试验广场"


def test_a_new_landmark_is_matched(as_user: ClientFactory) -> None:
    client = as_user("admin")
    address = client.post(
        "/api/v1/addresses",
        json={"code": "L-1", "county_code": "130606", "road": "五四东路", "house_number": "77号"},
    ).json()
    client.post(
        "/api/v1/landmarks",
        json={"name": "莲池试验馆", "aliases": ["试验馆"], "address_id": address["id"]},
    )
    best = client.post("/api/v1/address-match", json={"text": "试验馆东侧"}).json()["best"]
    assert best["address_id"] == address["id"] and best["relation"] == "东侧"


def test_full_text_and_divisions_are_derived(as_user: ClientFactory) -> None:
    client = as_user("admin")
    body = {"code": "D-1", "county_code": "130606", "road": "五四中路", "house_number": "5号"}
    created = client.post("/api/v1/addresses", json=body).json()
    assert created["full_text"] == "河北省保定市莲池区五四中路5号"
    assert (created["province_code"], created["city_code"]) == ("130000", "130600")
    moved = client.patch(f"/api/v1/addresses/{created['id']}", json={"county_code": "130602"})
    assert moved.json()["full_text"] == "河北省保定市竞秀区五四中路5号"
    half = client.post("/api/v1/addresses", json={**body, "code": "D-2", "lon": 115.0})
    assert half.status_code == 422 and chinese(half.json()["detail"][0]["msg"])
    grid = client.post("/api/v1/addresses", json={**body, "code": "D-3", "grid_unit_id": 1})
    assert grid.status_code == 422
    assert grid.json()["detail"][0]["loc"] == ["body", "grid_unit_id"]


def test_the_demo_seed_holds_divisions_aliases_and_sample_addresses(app: FastAPI) -> None:
    with app.state.db.sessions() as session:
        divisions = session.scalar(select(func.count()).select_from(AdminDivision))
        aliases = session.scalar(select(func.count()).select_from(DivisionAlias))
        addresses = session.scalar(select(func.count()).select_from(StandardAddress))
        landmarks = session.scalar(select(func.count()).select_from(Landmark))
    assert divisions and divisions > 3000 and aliases and aliases > 3000
    assert addresses and 0 < addresses < 400 and landmarks


def test_match_one_address(as_user: ClientFactory) -> None:
    client = as_user("jx_officer")
    response = client.post("/api/v1/address-match", json={"text": "保定竞秀区万博广场对面"})
    assert response.status_code == 200, response.text
    best = response.json()["best"]
    assert best["kind"] == "landmark" and best["relation"] == "对面"
    assert best["county_code"] == "130602" and best["explanation"]
    empty = client.post("/api/v1/address-match", json={"text": " ，"})
    assert empty.status_code == 422
    assert empty.json()["detail"][0]["loc"] == ["body", "text"]
    assert chinese(empty.json()["detail"][0]["msg"])
    ambiguous = client.post("/api/v1/address-match", json={"text": "朝阳区"}).json()
    assert ambiguous["best"] is None and len(ambiguous["ambiguous"]) >= 2


def test_batch_reports_bad_records_and_matches_the_rest(as_user: ClientFactory) -> None:
    client = as_user("admin")
    created = client.post(
        "/api/v1/addresses",
        json={
            "code": "B-1",
            "county_code": "130606",
            "road": "长城北大街",
            "house_number": "501号",
        },
    ).json()
    texts = ["莲池区长城北大街501号", "", "长" * 201, "保定市莲池区长城北大接501号"]
    response = client.post("/api/v1/address-match/batch", json={"texts": texts})
    assert response.status_code == 200, response.text
    report = response.json()
    assert (report["total"], report["failed"], report["matched"]) == (4, 2, 2)
    items = report["items"]
    assert [i["ok"] for i in items] == [True, False, False, True]
    assert chinese(items[1]["error"]) and chinese(items[2]["error"])
    assert items[0]["result"]["best"]["address_id"] == created["id"]  # the new record is seen
    assert items[3]["result"]["best"]["address_id"] == created["id"]  # through a typo
    too_many = client.post("/api/v1/address-match/batch", json={"texts": ["x"] * (MAX_BATCH + 1)})
    assert too_many.status_code == 422


def test_divisions_api(as_user: ClientFactory) -> None:
    client = as_user("jx_officer")
    page = client.get("/api/v1/divisions", params={"parent_code": "130600", "limit": 500}).json()
    names = {d["name"] for d in page["items"]}
    assert {"竞秀区", "莲池区", "涿州市"} <= names
    found = client.get("/api/v1/divisions", params={"q": "襄樊"}).json()["items"]
    assert [d["code"] for d in found] == ["420600"]
    one = client.get("/api/v1/divisions/130602").json()
    assert one["short_name"] == "竞秀" and "新市区" in one["aliases"]
    missing = client.get("/api/v1/divisions/999999")
    assert missing.status_code == 404 and chinese(missing.json()["detail"][0]["msg"])
    assert client.get("/api/v1/divisions", params={"level": "村"}).status_code == 422


def test_who_may_match_and_write(as_user: ClientFactory) -> None:
    body = {"code": "P-1", "county_code": "130606", "road": "五四东路"}
    assert as_user("jx_officer").post("/api/v1/addresses", json=body).status_code == 403
    agency = as_user("agency").post("/api/v1/address-match", json={"text": "五四东路"})
    assert agency.status_code == 403


def test_match_and_division_pages(browser_as: ClientFactory) -> None:
    browser = browser_as("jx_officer")
    html = {"Accept": "text/html"}
    assert browser.get("/registry/addresses/match", headers=html).status_code == 200
    page = browser.post(
        "/registry/addresses/match", data={"texts": "保定竞秀区万博广场对面\n朝阳区\n"}
    )
    assert page.status_code == 200 and "万博广场" in page.text and "有歧义" in page.text
    assert browser.post("/registry/addresses/match", data={"texts": "  "}).status_code == 422
    divisions = browser.get("/registry/divisions", params={"q": "保定"}, headers=html)
    assert divisions.status_code == 200 and "130600" in divisions.text
