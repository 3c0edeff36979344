"""Statistics maths: mean, median and 90th percentile per group, the 30-second acceptance share,
grouping by unit / kind / day, the xlsx export and the daily bulletin's buckets."""

from __future__ import annotations

import datetime as dt
import io

import openpyxl
import pytest
from fastapi import FastAPI
from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from jiaoguan.command import stats
from jiaoguan.command.models import (
    CommandLevel,
    DispatchState,
    Incident,
    IncidentDispatch,
    IncidentKind,
    IncidentLog,
    IncidentSource,
    IncidentState,
    Officer,
)
from jiaoguan.platform.auth.models import OrgUnit, User
from jiaoguan.platform.auth.service import Principal, principal_of

DAY = dt.date(2026, 11, 20)
T0 = dt.datetime(2026, 11, 20, 9, 0, tzinfo=stats.BEIJING).astimezone(dt.UTC)


def test_measure_mean_median_p90() -> None:
    m = stats.measure([60, 120, 180, 240, 300, 360, 420, 480, 540, 600])
    assert (m.n, m.mean_s, m.median_s) == (10, 330.0, 330.0)
    assert m.p90_s == pytest.approx(546.0)  # linear interpolation between 540 and 600
    assert stats.measure([]).mean_s is None
    assert stats.measure([42]).p90_s == 42


def test_buckets() -> None:
    d = stats.distribution("签收", stats.SIGN_BUCKETS, [0, 30, 31, 60, 119, 180, 181, None])
    assert d.counts == [2, 2, 1, 1, 1] and d.missing == 1 and d.share(0) == pytest.approx(2 / 7)


def _incident(
    db: Session,
    n: int,
    unit: OrgUnit,
    kind: IncidentKind,
    offsets: tuple[int | None, ...],
    accept_s: int | None,
    officer: Officer,
) -> None:
    """offsets (s after report): dispatched, accepted… as (dispatch, arrive, handle, close)."""
    reported = T0 + dt.timedelta(hours=n)

    def at(value: int | None) -> dt.datetime | None:
        return None if value is None else reported + dt.timedelta(seconds=value)

    dispatch, arrive, handle, close = offsets
    closed = close is not None
    incident = Incident(
        number=f"JQT-{n:04d}",
        source=IncidentSource.call_122,
        kind=kind,
        level=1,
        place="测试",
        lon=115.46,
        lat=38.87,
        command_level=CommandLevel.brigade,
        handling_unit_id=unit.id,
        state=IncidentState.closed if closed else IncidentState.on_scene,
        reported_at=reported,
        dispatched_at=at(dispatch),
        arrived_at=at(arrive),
        handled_at=at(handle),
        closed_at=at(close),
    )
    db.add(incident)
    db.flush()
    assert dispatch is not None
    db.add(
        IncidentDispatch(
            incident_id=incident.id,
            officer_id=officer.id,
            state=DispatchState.closed if closed else DispatchState.on_scene,
            dispatched_at=at(dispatch),
            accepted_at=None if accept_s is None else at(dispatch + accept_s),
            departed_at=at(dispatch + 200),
            closed_at=at(close),
        )
    )


@pytest.fixture
def filled(sqlite_app: FastAPI) -> FastAPI:
    with sqlite_app.state.db.transaction() as db:
        # Only our incidents: clear the demo week.
        db.execute(delete(IncidentLog))
        db.execute(delete(IncidentDispatch))
        db.execute(delete(Incident))
        units = {u.code: u for u in db.scalars(select(OrgUnit))}
        jx, lc = units["130602"], units["130606"]
        officer = db.scalars(select(Officer).order_by(Officer.id)).first()
        assert officer is not None
        acc, park = IncidentKind.accident, IncidentKind.illegal_parking
        _incident(db, 0, jx, acc, (60, 300, 900, 1200), 10, officer)
        _incident(db, 1, jx, acc, (120, 600, 1500, 1800), 40, officer)
        _incident(db, 2, jx, park, (180, 900, 2100, None), None, officer)
        _incident(db, 3, lc, acc, (60, 420, 1200, 1500), 30, officer)
    return sqlite_app


def _admin(app: FastAPI) -> Principal:
    with app.state.db.sessions() as db:
        user = db.scalar(select(User).where(User.username == "admin"))
        assert user is not None
        return principal_of(user)


def test_statistics_by_unit_kind_and_day(filled: FastAPI) -> None:
    with filled.state.db.sessions() as db:
        principal = _admin(filled)
        by_unit = stats.statistics(db, principal, since=DAY, until=DAY, group_by="unit")
        assert by_unit.overall.count == 4
        rows = {r.label: r for r in by_unit.rows}
        jx = rows["竞秀交警大队"]
        assert jx.count == 3
        assert jx.to_dispatch.mean_s == 120.0 and jx.to_dispatch.median_s == 120.0
        assert jx.to_arrive.mean_s == 600.0 and jx.to_arrive.p90_s == pytest.approx(840.0)
        assert jx.total.n == 2 and jx.total.mean_s == 1500.0  # the open one has no total
        assert jx.accept_30s_share == pytest.approx(1 / 3, abs=1e-4)  # 10 s yes, 40 s no, never no
        assert rows["莲池交警大队"].accept_30s_share == 1.0  # exactly 30 s counts
        assert by_unit.overall.accept_30s_share == pytest.approx(2 / 4)

        by_kind = stats.statistics(db, principal, since=DAY, until=DAY, group_by="kind")
        assert {r.key: r.count for r in by_kind.rows} == {"accident": 3, "illegal_parking": 1}
        by_day = stats.statistics(
            db, principal, since=DAY - dt.timedelta(days=1), until=DAY, group_by="day"
        )
        assert [(r.key, r.count) for r in by_day.rows] == [(DAY.isoformat(), 4)]
        empty = stats.statistics(
            db, principal, since=DAY + dt.timedelta(days=1), until=DAY + dt.timedelta(days=2)
        )
        assert empty.overall.count == 0 and empty.overall.to_arrive.mean_s is None

        book = openpyxl.load_workbook(io.BytesIO(stats.stats_xlsx(by_unit)))
        sheet = book["出警时效统计"]
        assert (
            sheet["A2"].value == "处置单位"
            and sheet.cell(row=sheet.max_row, column=1).value == "合计"
        )
        assert sheet.cell(row=sheet.max_row, column=2).value == 4


def test_bulletin_buckets_per_unit(filled: FastAPI) -> None:
    with filled.state.db.sessions() as db:
        b = stats.bulletin(db, _admin(filled), DAY)
    assert b.incidents == 4 and b.dispatches == 4
    assert b.overall.sign.counts == [2, 1, 0, 0, 0] and b.overall.sign.missing == 1
    assert b.overall.depart.counts[0] == 4  # 200 s after dispatch: within 5 minutes
    assert sum(b.overall.feedback.counts) == 3 and b.overall.feedback.missing == 1
    assert dict(b.kinds) == {"交通事故": 3, "违法停车": 1}


def test_stats_api_and_export(filled: FastAPI) -> None:
    from tests.support.clients import api_client

    with api_client(filled, "dispatcher") as client:
        body = client.get(
            "/api/v1/command/stats", params={"since": DAY.isoformat(), "until": DAY.isoformat()}
        ).json()
        assert body["overall"]["count"] == 4 and body["group_by"] == "unit"
        bad = client.get(
            "/api/v1/command/stats", params={"since": "2026-11-21", "until": "2026-11-20"}
        )
        assert bad.status_code == 422 and "起始日期" in bad.json()["detail"][0]["msg"]
        xlsx = client.get(
            "/api/v1/command/stats/export",
            params={"since": DAY.isoformat(), "until": DAY.isoformat()},
        )
        assert xlsx.status_code == 200 and xlsx.content[:2] == b"PK"
        page = client.get("/command/bulletin", params={"day": DAY.isoformat()})
        assert page.status_code == 200 and "警情处置日报" in page.text
        chart = client.get(
            "/command/stats", params={"since": DAY.isoformat(), "until": DAY.isoformat()}
        )
        assert chart.status_code == 200 and "jg-stats-chart" in chart.text
    with api_client(filled, "lc_dispatcher") as client:
        mine = client.get(
            "/api/v1/command/stats", params={"since": DAY.isoformat(), "until": DAY.isoformat()}
        ).json()
        assert mine["overall"]["count"] == 1  # 莲池 sees its own incident only
