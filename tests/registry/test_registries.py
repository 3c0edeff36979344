"""The registry contract (tests/support/registry_contract.py) for each of the six registries, on
SQLite and PostgreSQL. Samples live in the 竞秀 grids; the outsider is 莲池's dispatcher."""

from __future__ import annotations

import datetime as dt
from typing import Any, ClassVar

import pytest
from fastapi import FastAPI

from jiaoguan.registry.validators import make_credit_code, make_id_number
from tests.support.registry_contract import RegistryContract, unit

JX_GRID = unit("130602010101")
JX_GRID_2 = unit("130602010102")
PERSON_1 = make_id_number("130602", dt.date(1988, 2, 29), 517)
PERSON_2 = make_id_number("130604", dt.date(1972, 11, 5), 622)
BAD_ID = PERSON_1[:17] + ("0" if PERSON_1[17] != "0" else "1")


class TestDrivers(RegistryContract):
    api = "/api/v1/registry/drivers"
    pages = "/registry/drivers"
    resource = "driver"
    samples = (
        {
            "id_number": PERSON_1,
            "name": "测试甲",
            "licence_class": "C1",
            "points": 3,
            "tags": ["professional"],
            "unit_id": JX_GRID,
        },
        {
            "id_number": PERSON_2,
            "name": "测试乙",
            "licence_class": "A2D",
            "status": "audit_overdue",
            "audit_due_on": "2025-01-31",
            "unit_id": JX_GRID_2,
        },
    )
    update: ClassVar[dict[str, Any]] = {"licence_class": "B2", "status": "over_points"}
    invalid = (
        {"id_number": BAD_ID, "name": "校验位错", "licence_class": "C1", "unit_id": JX_GRID},
        "id_number",
    )
    outsider = "lc_dispatcher"
    keyword = "测试甲"


class TestVehicles(RegistryContract):
    api = "/api/v1/registry/vehicles"
    pages = "/registry/vehicles"
    resource = "vehicle"
    samples = (
        {
            "plate_no": "冀F7Q2K9",
            "plate_class": "02",
            "vehicle_class": "K33",
            "brand": "红旗",
            "owner_name": "测试甲",
            "owner_id_number": PERSON_1,
            "inspection_due_on": "2027-06-30",
            "unit_id": JX_GRID,
        },
        {
            "plate_no": "冀FD83105",
            "plate_class": "52",
            "vehicle_class": "K33",
            "owner_name": "示范市测试运输有限公司",
            "owner_id_number": make_credit_code("91", "130602", "MA0TEQ11"),
            "use": "hazmat",
            "key_vehicle": True,
            "unit_id": JX_GRID_2,
        },
    )
    update: ClassVar[dict[str, Any]] = {"brand": "长城", "status": "inspection_overdue"}
    invalid = (
        {
            "plate_no": "京AI2345",
            "plate_class": "02",
            "vehicle_class": "K33",
            "owner_name": "测试甲",
            "owner_id_number": PERSON_1,
            "unit_id": JX_GRID,
        },
        "plate_no",
    )
    outsider = "lc_dispatcher"
    keyword = "7Q2K9"


class TestCompanies(RegistryContract):
    api = "/api/v1/registry/companies"
    pages = "/registry/companies"
    resource = "company"
    samples = (
        {
            "credit_code": make_credit_code("91", "130602", "MA0TEQ11"),
            "name": "示范市测试运输有限公司",
            "kind": "hazmat_transport",
            "risk_tier": "key",
            "unit_id": JX_GRID,
        },
        {
            "credit_code": make_credit_code("52", "130602", "MJ0TEQ22"),
            "name": "示范市测试驾驶培训学校",
            "kind": "driving_school",
            "unit_id": JX_GRID_2,
        },
    )
    update: ClassVar[dict[str, Any]] = {"risk_tier": "watch", "legal_representative": "测试丙"}
    invalid = (
        {
            "credit_code": "91350100M000100Y44",
            "name": "校验位错",
            "kind": "other",
            "unit_id": JX_GRID,
        },
        "credit_code",
    )
    outsider = "lc_dispatcher"
    keyword = "测试运输"


class TestHouses(RegistryContract):
    api = "/api/v1/registry/houses"
    pages = "/registry/houses"
    resource = "house"
    samples = (
        {"name": "测试小区 1 号楼", "kind": "residential", "households": 96, "unit_id": JX_GRID},
        {"name": "测试商场", "kind": "commercial", "parking_spaces": 300, "unit_id": JX_GRID_2},
    )
    update: ClassVar[dict[str, Any]] = {"residents": 250, "tags": ["key_place"]}
    invalid = (
        {"name": "层数为负", "kind": "residential", "floors": -1, "unit_id": JX_GRID},
        "floors",
    )
    outsider = "lc_dispatcher"
    keyword = "测试小区"


class TestRoads(RegistryContract):
    api = "/api/v1/registry/roads"
    pages = "/registry/roads"
    resource = "road"
    samples = (
        {"name": "测试大街", "grade": "arterial", "road_order": "complex", "unit_id": JX_GRID},
        {"name": "测试支路", "grade": "branch", "code": "X001", "unit_id": JX_GRID_2},
    )
    update: ClassVar[dict[str, Any]] = {"road_order": "stable", "lanes": 4}
    invalid = ({"name": "测试路", "grade": "no_such_grade", "unit_id": JX_GRID}, "grade")
    outsider = "lc_dispatcher"
    keyword = "测试大街"


class TestRoadSegments(RegistryContract):
    api = "/api/v1/registry/road-segments"
    pages = "/registry/road-segments"
    resource = "road_segment"
    update: ClassVar[dict[str, Any]] = {"hazard": True, "to_desc": "测试桥"}
    outsider = "lc_dispatcher"
    keyword = "测试路口段"

    @pytest.fixture(autouse=True)
    def _a_road(self, app: FastAPI) -> None:
        """Segments need a road: one in 竞秀, created for each test's fresh database."""
        from sqlalchemy import select

        from jiaoguan.platform.auth.models import OrgUnit
        from jiaoguan.registry.models import Road, RoadGrade, RoadOrder

        with app.state.db.transaction() as session:
            unit_id = session.scalar(select(OrgUnit.id).where(OrgUnit.code == "130602010101"))
            road = Road(
                name="路段测试大街",
                grade=RoadGrade.arterial,
                road_order=RoadOrder.stable,
                unit_id=unit_id,
                tags=[],
            )
            session.add(road)
            session.flush()
            road_id = road.id
        line = "[[115.46, 38.87], [115.47, 38.871]]"
        self.samples = (
            {"road_id": road_id, "name": "测试路口段", "geometry": line, "unit_id": JX_GRID},
            {"road_id": road_id, "name": "测试桥段", "accident_prone": True, "unit_id": JX_GRID_2},
        )
        self.invalid = (
            {
                "road_id": road_id,
                "name": "坏线形",
                "geometry": "[[115.46, 38.87]]",
                "unit_id": JX_GRID,
            },
            "geometry",
        )


class TestFacilities(RegistryContract):
    api = "/api/v1/registry/facilities"
    pages = "/registry/facilities"
    resource = "facility"
    samples = (
        {"name": "测试信号灯", "kind": "signal", "unit_id": JX_GRID},
        {"name": "测试限速标志", "kind": "sign", "status": "damaged", "unit_id": JX_GRID_2},
    )
    update: ClassVar[dict[str, Any]] = {"status": "maintenance", "installed_on": "2024-05-01"}
    invalid = ({"name": "未知设施", "kind": "rocket", "unit_id": JX_GRID}, "kind")
    outsider = "lc_dispatcher"
    keyword = "测试信号灯"
