"""The bulk position path on SQLite and PostgreSQL: stored once, counted refusals, the tracker
kept current; the validator under generated input (hypothesis)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

import numpy as np
import pytest
from fastapi import FastAPI
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select, text

from jiaoguan.command.models import Officer, OfficerMode, OfficerPosition, OfficerStatus
from jiaoguan.command.positions import (
    REASON_KEYS,
    PositionFix,
    _columns,
    ingest_positions,
    validate,
)
from jiaoguan.command.tracker import OfficerTracker
from jiaoguan.platform.auth.models import OrgUnit
from jiaoguan.platform.db import Database

NOW = dt.datetime(2026, 11, 24, 8, 0, tzinfo=dt.UTC)
BBOX = (115.40, 38.82, 115.52, 38.92)
LON, LAT = 115.46, 38.87


@pytest.fixture
def database(database_url: str) -> Iterator[Database]:
    db = Database(database_url)
    yield db
    db.dispose()


@pytest.fixture
def officers(database: Database) -> list[int]:
    with database.transaction() as session:
        unit = session.scalar(select(OrgUnit).where(OrgUnit.code == "13060201"))
        assert unit is not None
        rows = [
            Officer(
                code=f"T{i:04d}",
                name=f"测试{i}",
                unit_id=unit.id,
                mode=OfficerMode.walking if i == 2 else OfficerMode.driving,
                status=OfficerStatus.available,
            )
            for i in range(3)
        ]
        session.add_all(rows)
        session.flush()
        return [o.id for o in rows]


def fix(officer: int, seconds: float, **kw: object) -> PositionFix:
    values: dict[str, object] = {"lon": LON, "lat": LAT, **kw}
    return PositionFix(officer, NOW - dt.timedelta(seconds=seconds), **values)  # type: ignore[arg-type]


def stored(database: Database, officers: list[int]) -> list[tuple[int, dt.datetime, float, float]]:
    """The stored fixes of these officers (the demo seed has its own officers' fixes)."""
    with database.sessions() as session:
        rows = session.execute(
            select(
                OfficerPosition.officer_id,
                OfficerPosition.at,
                OfficerPosition.lon,
                OfficerPosition.lat,
            )
            .where(OfficerPosition.officer_id.in_(officers))
            .order_by(OfficerPosition.officer_id, OfficerPosition.at)
        )
        return [tuple(r) for r in rows]  # type: ignore[misc]


def test_batch_is_stored_once_and_refusals_are_counted(
    database: Database, officers: list[int]
) -> None:
    a, b, c = officers
    tracker = OfficerTracker()
    batch = [
        fix(a, 60),
        fix(a, 30, lon=LON + 0.001, accuracy_m=8.0, speed_mps=5.5, source="beidou"),
        fix(a, 30, lon=LON + 0.001),  # the same fix twice in one batch
        fix(b, 10),
        fix(c, 5),
        fix(999_999, 5),  # unknown officer
        fix(a, 20, lon=121.47, lat=31.23),  # Shanghai: far outside the city
        fix(b, -600),  # ten minutes in the future
        fix(b, 3, lon=float("nan")),
        fix(b, 4, lon=0.0, lat=0.0),
        fix(c, 6, accuracy_m=-1.0),
        fix(c, 7, speed_mps=500.0),
        fix(c, 8, source=""),
        PositionFix(c, dt.datetime(2026, 11, 24, 7, 0), LON, LAT),  # naive time
    ]
    with database.transaction() as session:
        report = ingest_positions(session, tracker, batch, now=NOW, bbox=BBOX)
    assert report.accepted == 4
    assert report.duplicates == 1
    assert report.rejected == {
        "bad_time": 1,
        "bad_coordinates": 2,
        "bad_accuracy": 1,
        "bad_speed": 1,
        "bad_source": 1,
        "unknown_officer": 1,
        "outside_city": 1,
        "future_time": 1,
    }
    assert [e["index"] for e in report.errors] == list(range(5, 14))
    assert {e["field"] for e in report.errors} >= {"officer_id", "at", "lon", "accuracy_m"}
    assert all(e["message"] for e in report.errors)
    assert sorted(report.moved) == sorted([a, b, c])
    rows = stored(database, officers)
    assert len(rows) == 4
    assert rows[1][0] == a and rows[1][1] == NOW - dt.timedelta(seconds=30)
    latest = tracker.latest(a)
    assert latest is not None and latest.at == NOW - dt.timedelta(seconds=30)
    assert latest.lon == pytest.approx(LON + 0.001)
    assert latest.status == "available"
    walker = tracker.latest(c)
    assert walker is not None and walker.mode == "walking"

    # The same batch again: everything already stored, nothing moved, nothing raised.
    with database.transaction() as session:
        again = ingest_positions(session, tracker, batch, now=NOW, bbox=BBOX)
    assert again.accepted == 0 and again.duplicates == 5 and again.moved == []
    assert len(stored(database, officers)) == 4


def test_older_fix_is_stored_but_does_not_move_the_officer(
    database: Database, officers: list[int]
) -> None:
    a = officers[0]
    tracker = OfficerTracker()
    with database.transaction() as session:
        ingest_positions(session, tracker, [fix(a, 10)], now=NOW, bbox=None)
    with database.transaction() as session:
        late = ingest_positions(session, tracker, [fix(a, 100, lat=LAT + 0.01)], now=NOW, bbox=None)
    assert late.accepted == 1 and late.moved == []
    latest = tracker.latest(a)
    assert latest is not None and latest.at == NOW - dt.timedelta(seconds=10)


def test_tracker_loads_officers_and_latest_fixes(database: Database, officers: list[int]) -> None:
    a, b, c = officers
    with database.transaction() as session:
        ingest_positions(
            session,
            OfficerTracker(),
            [fix(a, 50), fix(a, 20, lat=LAT + 0.002), fix(b, 40)],
            now=NOW,
            bbox=BBOX,
        )
    tracker = OfficerTracker()
    with database.sessions() as session:
        tracker.load(session, now=NOW)
    snap = tracker.snapshot()
    assert set(snap.ids.tolist()) >= {a, b, c}
    latest = tracker.latest(a)
    assert latest is not None
    assert latest.at == NOW - dt.timedelta(seconds=20) and latest.lat == pytest.approx(LAT + 0.002)
    assert tracker.latest(c) is None  # never located
    walker = tracker.snapshot().mode[list(snap.ids).index(c)]
    assert int(walker) == 1  # walking
    with database.sessions() as session:
        path = session.execute(
            text("SELECT u.path FROM org_unit u WHERE u.code = '13060201'")
        ).scalar_one()
    assert set(snap.unit_path[np.isin(snap.ids, officers)]) == {path}


def test_tracker_state_changes() -> None:
    tracker = OfficerTracker(capacity=1)
    for i in range(1, 40):
        tracker.upsert_officer(i, unit_path="/1/", mode="driving", status="available")
    moved = tracker.update_positions(
        [5, 5, 6, 77], [1.0, 2.0, 3.0, 4.0], [1.0, 2.0, 3.0, 4.0], [10, 20, 5, 1]
    )
    assert moved == [5, 6]
    latest = tracker.latest(5)
    assert latest is not None and latest.lon == 2.0
    tracker.set_status(5, "en_route")
    assert tracker.status_of(5) == "en_route"
    snap = tracker.snapshot()
    tracker.update_positions([6], [9.0], [9.0], [30])
    assert snap.lon[list(snap.ids).index(6)] == 3.0  # a snapshot is a copy
    tracker.remove(5)
    assert tracker.latest(5) is None and len(tracker) == 38
    latest6 = tracker.latest(6)
    assert latest6 is not None and latest6.lon == 9.0


# --- the validator, under generated input ---------------------------------------------------------

floats = st.one_of(
    st.floats(allow_nan=True, allow_infinity=True),
    st.floats(min_value=-200, max_value=200),
    st.sampled_from([LON, LAT, 0.0]),
)
times = st.one_of(
    st.datetimes(
        min_value=dt.datetime(2000, 1, 1),
        max_value=dt.datetime(2100, 1, 1),
        timezones=st.just(dt.UTC),
    ),
    st.datetimes(min_value=dt.datetime(2000, 1, 1), max_value=dt.datetime(2100, 1, 1)),
)
fixes = st.builds(
    PositionFix,
    officer_id=st.integers(min_value=0, max_value=5),
    at=times,
    lon=floats,
    lat=floats,
    accuracy_m=st.one_of(st.none(), floats),
    speed_mps=st.one_of(st.none(), floats),
    source=st.text(max_size=20),
)


@settings(max_examples=300, deadline=None)
@given(st.lists(fixes, max_size=40), st.booleans())
def test_validator_gives_each_fix_exactly_one_verdict(
    batch: list[PositionFix], with_bbox: bool
) -> None:
    columns = _columns(batch)
    known = np.isin(columns.ids, [1, 2, 3])
    codes = validate(columns, known, now=NOW, bbox=BBOX if with_bbox else None)
    assert len(codes) == len(batch)
    for fix_, code, is_known in zip(batch, codes.tolist(), known.tolist(), strict=True):
        if code != 0:
            continue
        # Everything accepted is a sane, located, known, not-future fix.
        assert fix_.at.tzinfo is not None
        assert is_known
        assert np.isfinite(fix_.lon) and np.isfinite(fix_.lat)
        assert abs(fix_.lon) <= 180 and abs(fix_.lat) <= 90 and (fix_.lon, fix_.lat) != (0, 0)
        assert fix_.at.timestamp() <= NOW.timestamp() + 60
        assert fix_.accuracy_m is None or np.isnan(fix_.accuracy_m) or 0 <= fix_.accuracy_m <= 2000
        assert fix_.speed_mps is None or np.isnan(fix_.speed_mps) or 0 <= fix_.speed_mps <= 100
        assert 0 < len(fix_.source) <= 16
        if with_bbox:
            assert 115.3 < fix_.lon < 115.6 and 38.7 < fix_.lat < 39.0
    assert set(REASON_KEYS) == {
        "bad_time",
        "bad_coordinates",
        "bad_accuracy",
        "bad_speed",
        "bad_source",
        "unknown_officer",
        "outside_city",
        "future_time",
    }


# One database for all examples is fine: the accounting holds whatever is already stored.
@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(st.lists(fixes, max_size=30))
def test_ingest_accounts_for_every_fix(sqlite_url: str, batch: list[PositionFix]) -> None:
    database = Database(sqlite_url)
    try:
        with database.transaction() as session:
            ids = [
                int(i)
                for i in session.scalars(select(Officer.id).order_by(Officer.id).limit(3)).all()
            ]
        remapped = [PositionFix(**{**f.__dict__, "officer_id": (ids or [0])[0]}) for f in batch]
        with database.transaction() as session:
            report = ingest_positions(session, OfficerTracker(), remapped, now=NOW, bbox=BBOX)
        assert report.accepted + report.duplicates + sum(report.rejected.values()) == len(batch)
    finally:
        database.dispose()


def test_tracker_of_loads_once_per_app(sqlite_app: FastAPI) -> None:
    from jiaoguan.command.tracker import tracker_of

    tracker = tracker_of(sqlite_app)
    assert tracker.loaded and tracker_of(sqlite_app) is tracker
    with sqlite_app.state.db.sessions() as session:
        count = session.execute(text("SELECT COUNT(*) FROM officer")).scalar_one()
    assert len(tracker) == count


def test_a_second_process_tracker_catches_up_by_refresh(
    database: Database, officers: list[int]
) -> None:
    a, b, _c = officers
    mine, theirs = OfficerTracker(), OfficerTracker()
    with database.sessions() as session:
        mine.load(session, now=NOW)
        theirs.load(session, now=NOW)
    with database.transaction() as session:
        ingest_positions(
            session, mine, [fix(a, 30), fix(a, 10, lat=LAT + 0.003)], now=NOW, bbox=None
        )
    assert theirs.latest(a) is None
    with database.sessions() as session:
        assert theirs.refresh(session) >= 2
    latest = theirs.latest(a)
    assert latest is not None and latest.lat == pytest.approx(LAT + 0.003)
    with database.transaction() as session:
        ingest_positions(session, mine, [fix(b, 5)], now=NOW, bbox=None)
    with database.sessions() as session:
        theirs.refresh(session)  # reads an overlap again: harmless
    assert theirs.latest(b) is not None
    assert theirs.latest(a) == latest
