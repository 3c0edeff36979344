"""A few records per registry so the demo pages are not empty (the synthetic city from sim/ adds
the full population). Loaded with the bulk functions the generator uses; all keys are synthetic
and valid (check digits computed), placed in the demo grids around 竞秀 and 莲池.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select
from sqlalchemy.orm import Session

from jiaoguan.platform.auth.models import OrgUnit
from jiaoguan.registry import service
from jiaoguan.registry.models import Company, Road, RoadSegment
from jiaoguan.registry.validators import make_credit_code, make_id_number

JX_GRID = "130602010101"  # 朝阳大街第一网格
JX_GRID_2 = "130602010102"
LC_GRID = "130606010101"  # 裕华路第一网格


def seed_registries(db: Session, today: dt.date | None = None) -> None:
    """Idempotent: does nothing once any company exists."""
    if db.scalar(select(Company.id).limit(1)) is not None:
        return
    units = {u.code: u.id for u in db.scalars(select(OrgUnit))}
    if not {JX_GRID, JX_GRID_2, LC_GRID} <= units.keys():
        return  # not the demo organisation
    day = today or dt.date.today()
    jx, jx2, lc = units[JX_GRID], units[JX_GRID_2], units[LC_GRID]
    companies = _companies(db, jx, lc)
    _drivers(db, day, jx, jx2, lc, companies)
    _vehicles(db, day, jx, jx2, lc, companies)
    _places(db, jx, lc)


def _companies(db: Session, jx: int, lc: int) -> dict[str, int]:
    transport = make_credit_code("91", "130602", "MA0CXY10")
    muck = make_credit_code("91", "130606", "MA0DTU27")
    service.bulk_insert_companies(
        db,
        [
            {
                "credit_code": transport,
                "name": "示范市顺达客运有限公司",
                "kind": "passenger_transport",
                "risk_tier": "key",
                "legal_representative": "周顺达",
                "address_text": "竞秀区朝阳大街 200 号",
                "unit_id": jx,
                "lon": 115.4652,
                "lat": 38.8731,
            },
            {
                "credit_code": muck,
                "name": "示范市宏基渣土运输有限公司",
                "kind": "muck_transport",
                "risk_tier": "watch",
                "legal_representative": "吴宏基",
                "address_text": "莲池区裕华路 58 号",
                "unit_id": lc,
                "lon": 115.4981,
                "lat": 38.8602,
            },
        ],
    )
    ids = service.ids_by_key(db, Company, "credit_code", [transport, muck])
    return {"transport": ids[transport], "muck": ids[muck]}


def _drivers(
    db: Session, day: dt.date, jx: int, jx2: int, lc: int, companies: dict[str, int]
) -> None:
    def row(
        region: str, born: dt.date, seq: int, name: str, sex: str, unit: int, **more: object
    ) -> dict[str, object]:
        return {
            "id_number": make_id_number(region, born, seq),
            "name": name,
            "sex": sex,
            "birth_date": born,
            "licence_class": "C1",
            "status": "normal",
            "points": 0,
            "first_issued_on": dt.date(born.year + 20, 5, 1),
            "expires_on": day + dt.timedelta(days=900),
            "unit_id": unit,
            **more,
        }

    service.bulk_insert_drivers(
        db,
        [
            row("130602", dt.date(1979, 4, 12), 131, "赵志强", "male", jx, licence_class="A1",
                company_id=companies["transport"], tags=["professional"],
                audit_due_on=day + dt.timedelta(days=120), lon=115.4661, lat=38.8725),
            row("130602", dt.date(1986, 9, 3), 242, "钱丽华", "female", jx2, points=12,
                status="over_points", tags=["key_violator"], lon=115.4702, lat=38.8688),
            row("130606", dt.date(1990, 1, 21), 357, "孙国庆", "male", lc, licence_class="B2",
                company_id=companies["muck"], audit_due_on=day - dt.timedelta(days=40),
                status="audit_overdue", tags=["overdue_audit", "professional"],
                lon=115.4990, lat=38.8611),
            row("130602", dt.date(1995, 7, 30), 468, "李晓梅", "female", jx, lon=115.4633, lat=38.8752),
        ],
    )  # fmt: skip


def _vehicles(
    db: Session, day: dt.date, jx: int, jx2: int, lc: int, companies: dict[str, int]
) -> None:
    owner = make_id_number("130602", dt.date(1995, 7, 30), 468)
    company_owner = make_credit_code("91", "130602", "MA0CXY10")
    base = {"key_vehicle": False, "muck_truck": False, "status": "normal", "use": "private"}
    service.bulk_insert_vehicles(
        db,
        [
            {**base, "plate_no": "冀F3K7M2", "plate_class": "02", "plate_color": "BLUE",
             "vehicle_class": "K33", "brand": "大众", "model": "朗逸", "body_color": "白",
             "owner_name": "李晓梅", "owner_id_number": owner, "owner_is_person": True,
             "registered_on": dt.date(2019, 6, 18), "inspection_due_on": day + dt.timedelta(days=200),
             "unit_id": jx, "lon": 115.4635, "lat": 38.8749},
            {**base, "plate_no": "冀FA2618", "plate_class": "01", "plate_color": "YELLOW",
             "vehicle_class": "K11", "brand": "宇通", "owner_name": "示范市顺达客运有限公司",
             "owner_id_number": company_owner, "owner_is_person": False, "use": "coach",
             "key_vehicle": True, "company_id": companies["transport"],
             "registered_on": dt.date(2016, 3, 2), "inspection_due_on": day - dt.timedelta(days=15),
             "status": "inspection_overdue", "tags": ["overdue_inspection"],
             "unit_id": jx, "lon": 115.4655, "lat": 38.8733},
            {**base, "plate_no": "冀FD52817", "plate_class": "52", "plate_color": "GREEN",
             "vehicle_class": "K33", "brand": "比亚迪", "model": "秦", "owner_name": "李晓梅",
             "owner_id_number": owner, "owner_is_person": True,
             "registered_on": dt.date(2023, 9, 9), "inspection_due_on": day + dt.timedelta(days=700),
             "unit_id": jx2, "lon": 115.4710, "lat": 38.8680},
            {**base, "plate_no": "冀F6H093", "plate_class": "01", "plate_color": "YELLOW",
             "vehicle_class": "H11", "brand": "东风", "owner_name": "示范市宏基渣土运输有限公司",
             "owner_id_number": make_credit_code("91", "130606", "MA0DTU27"),
             "owner_is_person": False, "use": "muck", "muck_truck": True,
             "company_id": companies["muck"], "registered_on": dt.date(2008, 4, 1),
             "inspection_due_on": day + dt.timedelta(days=30),
             "scrapping_due_on": day - dt.timedelta(days=60), "status": "scrapping_overdue",
             "tags": ["overdue_scrapping"], "unit_id": lc, "lon": 115.4985, "lat": 38.8605},
        ],
    )  # fmt: skip


def _places(db: Session, jx: int, lc: int) -> None:
    service.bulk_insert_houses(
        db,
        [
            {"name": "万博广场", "kind": "commercial", "address_text": "竞秀区朝阳大街 88 号",
             "floors": 6, "parking_spaces": 800, "unit_id": jx, "lon": 115.4668, "lat": 38.8720},
            {"name": "裕华小区 3 号楼", "kind": "residential", "address_text": "莲池区裕华路 21 号",
             "floors": 18, "households": 144, "residents": 380, "unit_id": lc,
             "lon": 115.4960, "lat": 38.8620},
        ],
    )  # fmt: skip
    service.bulk_insert_roads(
        db,
        [
            {"name": "朝阳大街", "grade": "arterial", "road_order": "complex", "length_km": 6.2,
             "lanes": 6, "unit_id": jx, "lon": 115.4660, "lat": 38.8730},
            {"name": "裕华路", "grade": "arterial", "road_order": "disordered", "length_km": 8.5,
             "lanes": 6, "unit_id": lc, "lon": 115.4970, "lat": 38.8610},
        ],
    )  # fmt: skip
    roads = service.ids_by_key(db, Road, "name", ["朝阳大街", "裕华路"])
    service.bulk_insert_road_segments(
        db,
        [
            {"road_id": roads["朝阳大街"], "name": "朝阳大街东风路口段", "from_desc": "东风路口",
             "to_desc": "万博广场", "length_m": 650.0, "hazard": False, "accident_prone": True,
             "tags": ["accident_prone"], "unit_id": jx, "lon": 115.4662, "lat": 38.8728,
             "geometry": [[115.4640, 38.8728], [115.4685, 38.8728]]},
            {"road_id": roads["裕华路"], "name": "裕华路学校段", "from_desc": "裕华小学",
             "to_desc": "裕华小区", "length_m": 400.0, "hazard": True, "accident_prone": False,
             "tags": ["school_zone", "hazard_spot"], "unit_id": lc, "lon": 115.4962,
             "lat": 38.8615, "geometry": [[115.4950, 38.8615], [115.4975, 38.8615]]},
        ],
    )  # fmt: skip
    segments = service.ids_by_key(db, RoadSegment, "name", ["朝阳大街东风路口段", "裕华路学校段"])
    service.bulk_insert_facilities(
        db,
        [
            {"name": "朝阳大街东风路口信号灯", "kind": "signal", "status": "normal",
             "road_segment_id": segments["朝阳大街东风路口段"], "unit_id": jx,
             "lon": 115.4641, "lat": 38.8729},
            {"name": "裕华小学限速标志", "kind": "sign", "status": "damaged",
             "road_segment_id": segments["裕华路学校段"], "tags": ["needs_rectification"],
             "unit_id": lc, "lon": 115.4955, "lat": 38.8616},
        ],
    )  # fmt: skip
