"""Pass queries: trajectory, window with wildcards and filters, co-travel, export; each one needs a
reason, is audited, and stays inside the user's checkpoints."""

from __future__ import annotations

import datetime as dt
import io
from typing import Any

import pytest
from fastapi import FastAPI
from openpyxl import load_workbook
from sqlalchemy import select

from jiaoguan.checkpoint.ingest import Ingestor, make_pass
from jiaoguan.platform.audit.models import AuditEntry
from tests.checkpoint.conftest import Gate, Gates
from tests.conftest import ClientFactory

T0 = dt.datetime(2026, 11, 20, 2, 0, tzinfo=dt.UTC)
PERIOD: dict[str, Any] = {"start": "2026-11-20T08:00:00+08:00", "end": "2026-11-21T08:00:00+08:00"}
REASON: dict[str, Any] = {"reason": "协查盗抢车辆"}


def _add(app: FastAPI, rows: list[tuple[str, Gate, int, str, str]]) -> None:
    """(plate, gate, seconds after T0, colour, vehicle class)"""
    records = [
        make_pass(
            record_id=f"Q{i:05d}",
            checkpoint_id=gate.id,
            tollgate_code=gate.code,
            passed_at=T0 + dt.timedelta(seconds=s),
            plate_raw=plate,
            plate_colour=colour,
            vehicle_class=cls,
            brand="大众" if cls.startswith("K") else "解放",
            lane_no=1,
        )
        for i, (plate, gate, s, colour, cls) in enumerate(rows)
    ]
    Ingestor(app.state.db).ingest(records)


@pytest.fixture
def passes(app: FastAPI, gates: Gates) -> Gates:
    rows = []
    for k, gate in enumerate((gates.a, gates.b, gates.c)):
        base = k * 1800
        rows += [
            ("冀F12345", gate, base, "5", "K33"),
            ("冀F54321", gate, base + 20, "5", "K33"),  # travels with 冀F12345
            ("冀FA1234", gate, base + 3000, "6", "H11"),
        ]
    rows.append(("冀F99999", gates.a, 10, "5", "K31"))  # once only
    _add(app, rows)
    return gates


def test_queries_need_a_reason_and_the_permission(passes: Gates, as_user: ClientFactory) -> None:
    admin = as_user("admin")
    params = {"plate": "冀F12345", **PERIOD}
    assert admin.get("/api/v1/passes/trajectory", params=params).status_code == 428
    officer = as_user("jx_officer")
    assert officer.get("/api/v1/passes/trajectory", params={**params, **REASON}).status_code == 403


def test_trajectory_in_time_order_and_audited(
    app: FastAPI, passes: Gates, as_user: ClientFactory
) -> None:
    admin = as_user("admin")
    params = {"plate": "ｊｉ冀ｆ·12345".replace("ｊｉ", ""), **PERIOD, **REASON}
    rows = admin.get("/api/v1/passes/trajectory", params=params).json()
    assert [r["checkpoint_id"] for r in rows] == [passes.a.id, passes.b.id, passes.c.id]
    assert rows[0]["checkpoint_name"] == "测试卡口1" and rows[0]["lon"] == 115.46
    with app.state.db.sessions() as db:
        entry = db.scalar(select(AuditEntry).where(AuditEntry.action == "trajectory"))
    assert entry is not None and entry.sensitive and entry.reason == REASON["reason"]
    assert entry.detail["plate"] == "冀F12345"


def test_brigade_user_sees_only_its_checkpoints(passes: Gates, as_user: ClientFactory) -> None:
    jx = as_user("jx_dispatcher")
    rows = jx.get(
        "/api/v1/passes/trajectory", params={"plate": "冀F12345", **PERIOD, **REASON}
    ).json()
    assert {r["checkpoint_id"] for r in rows} == {passes.a.id, passes.b.id}
    refused = jx.get("/api/v1/passes", params={"checkpoint_id": passes.c.id, **PERIOD, **REASON})
    assert refused.status_code == 422


def test_window_with_wildcards_and_filters(passes: Gates, as_user: ClientFactory) -> None:
    admin = as_user("admin")

    def plates(**params: Any) -> list[str]:
        response = admin.get("/api/v1/passes", params={**PERIOD, **REASON, **params})
        assert response.status_code == 200, response.text
        return sorted(r["plate"] for r in response.json()["items"])

    assert plates(plate="冀F*4321") == ["冀F54321"] * 3
    assert plates(plate="冀F?2345") == ["冀F12345"] * 3
    assert plates(plate="冀F*", checkpoint_id=passes.a.id, plate_colour="6") == ["冀FA1234"]
    assert plates(vehicle_class="H") == ["冀FA1234"] * 3
    assert plates(vehicle_class="K31") == ["冀F99999"]
    assert plates(brand="解放", checkpoint_id=[passes.a.id, passes.b.id]) == ["冀FA1234"] * 2
    page = admin.get("/api/v1/passes", params={**PERIOD, **REASON, "limit": 2}).json()
    assert page["total"] == 10 and len(page["items"]) == 2
    long = admin.get(
        "/api/v1/passes",
        params={"start": "2026-01-01T00:00:00", "end": "2026-03-01T00:00:00", **REASON},
    )
    assert long.status_code == 422 and "31" in long.json()["detail"][0]["msg"]


def test_export_xlsx(passes: Gates, as_user: ClientFactory) -> None:
    admin = as_user("admin")
    response = admin.get("/api/v1/passes/export", params={"plate": "冀F1*", **PERIOD, **REASON})
    assert response.status_code == 200
    sheet = load_workbook(io.BytesIO(response.content)).active
    assert sheet is not None
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][:3] == ("过车时间", "号牌号码", "号牌颜色")
    assert [r[1] for r in rows[1:]] == ["冀F12345"] * 3
    assert rows[1][0] == "2026-11-20 10:00:00" and rows[1][2] == "蓝"


def test_co_travel(passes: Gates, as_user: ClientFactory) -> None:
    admin = as_user("admin")
    params = {"plate": "冀F12345", **PERIOD, **REASON, "window_s": 30, "min_times": 2}
    result = admin.get("/api/v1/passes/co-travel", params=params).json()
    assert result["target_passes"] == 3
    assert [(c["plate"], c["times"], c["checkpoints"]) for c in result["items"]] == [
        ("冀F54321", 3, 3)
    ]
    once = admin.get("/api/v1/passes/co-travel", params={**params, "min_times": 1}).json()
    assert {c["plate"] for c in once["items"]} == {"冀F54321", "冀F99999"}


def test_pages_run_only_with_a_reason(passes: Gates, browser_as: ClientFactory) -> None:
    browser = browser_as("admin")
    form = {"plate": "冀F12345", "start": "2026-11-20T08:00", "end": "2026-11-21T08:00"}
    empty = browser.get("/checkpoint/trajectory")
    assert empty.status_code == 200 and "jg-trajectory" not in empty.text
    missing = browser.get("/checkpoint/trajectory", params={**form, "submitted": "1"})
    assert "须填写查询事由" in missing.text and "jg-trajectory" not in missing.text
    shown = browser.get("/checkpoint/trajectory", params={**form, "submitted": "1", **REASON})
    assert "jg-trajectory" in shown.text and "测试卡口2" in shown.text
    window = browser.get(
        "/checkpoint/passes", params={**form, "plate": "冀F*", "submitted": "1", **REASON}
    )
    assert "共 10 条" in window.text and "/api/v1/passes/export?" in window.text
    co = browser.get("/checkpoint/co-travel", params={**form, "submitted": "1", **REASON})
    assert "冀F54321" in co.text
    health = browser.get("/checkpoint/health")
    assert health.status_code == 200 and "测试卡口1" in health.text
