"""Response statistics: per unit, kind or period, the count, the share of dispatches accepted
within 30 s, and the phases measured from the report (mean, median, 90th percentile):

- to_dispatch: reported → first officer dispatched (接警到派警)
- to_arrive:   reported → first officer on scene (接警到到场)
- to_handle:   reported → handling finished (接警到处置完毕)
- total:       reported → closed (接警到结案, the whole handling time)

and the daily bulletin in the shape of the weekly 110 bulletins (peers.md §2.4): sign-for, depart
and feedback times in buckets per unit, the slowest units named.
"""

from __future__ import annotations

import datetime as dt
import io
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal
from zoneinfo import ZoneInfo

import numpy as np
import openpyxl
from openpyxl.styles import Font
from sqlalchemy import select
from sqlalchemy.orm import Session

from jiaoguan.command.models import (
    KIND_LABELS,
    DispatchState,
    Incident,
    IncidentDispatch,
    IncidentState,
    Officer,
)
from jiaoguan.command.schemas import Measure, StatsOut, StatsRow
from jiaoguan.command.service import visible_clause
from jiaoguan.platform.auth.models import OrgUnit
from jiaoguan.platform.auth.service import Principal

BEIJING = ZoneInfo("Asia/Shanghai")
ACCEPT_TARGET_S = 30.0
GroupBy = Literal["unit", "kind", "day", "week", "month"]
GROUP_LABELS: dict[str, str] = {
    "unit": "处置单位",
    "kind": "警情类型",
    "day": "日期",
    "week": "周",
    "month": "月份",
}
MAX_DAYS = 366


def measure(values: Sequence[float]) -> Measure:
    """Mean, median and 90th percentile (linear interpolation) of durations in seconds."""
    if not values:
        return Measure(n=0, mean_s=None, median_s=None, p90_s=None)
    arr = np.asarray(values, dtype=np.float64)
    return Measure(
        n=len(arr),
        mean_s=round(float(arr.mean()), 1),
        median_s=round(float(np.median(arr)), 1),
        p90_s=round(float(np.percentile(arr, 90)), 1),
    )


def _seconds(start: dt.datetime | None, end: dt.datetime | None) -> float | None:
    if start is None or end is None:
        return None
    return max(0.0, (end - start).total_seconds())


@dataclass
class _Bucket:
    label: str
    count: int = 0
    accepted_fast: int = 0
    dispatches: int = 0
    phases: dict[str, list[float]] = field(
        default_factory=lambda: {"to_dispatch": [], "to_arrive": [], "to_handle": [], "total": []}
    )

    def add(self, incident: _IncidentRow, dispatches: list[_DispatchRow]) -> None:
        self.count += 1
        for d in dispatches:
            self.dispatches += 1
            waited = _seconds(d.dispatched_at, d.accepted_at)
            if waited is not None and waited <= ACCEPT_TARGET_S:
                self.accepted_fast += 1
        ends = {
            "to_dispatch": incident.dispatched_at,
            "to_arrive": incident.arrived_at,
            "to_handle": incident.handled_at,
            "total": incident.closed_at if incident.state == IncidentState.closed else None,
        }
        for phase, end in ends.items():
            value = _seconds(incident.reported_at, end)
            if value is not None:
                self.phases[phase].append(value)

    def row(self, key: str) -> StatsRow:
        share = round(self.accepted_fast / self.dispatches, 4) if self.dispatches else None
        return StatsRow(
            key=key,
            label=self.label,
            count=self.count,
            accept_30s_share=share,
            to_dispatch=measure(self.phases["to_dispatch"]),
            to_arrive=measure(self.phases["to_arrive"]),
            to_handle=measure(self.phases["to_handle"]),
            total=measure(self.phases["total"]),
        )


@dataclass(frozen=True)
class _IncidentRow:
    id: int
    kind: str
    state: IncidentState
    handling_unit_id: int
    reported_at: dt.datetime
    dispatched_at: dt.datetime | None
    arrived_at: dt.datetime | None
    handled_at: dt.datetime | None
    closed_at: dt.datetime | None


@dataclass(frozen=True)
class _DispatchRow:
    incident_id: int
    officer_id: int
    dispatched_at: dt.datetime
    accepted_at: dt.datetime | None
    departed_at: dt.datetime | None
    closed_at: dt.datetime | None


def _window(since: dt.date, until: dt.date) -> tuple[dt.datetime, dt.datetime]:
    """Beijing days [since, until] inclusive, as UTC instants."""
    start = dt.datetime.combine(since, dt.time(), BEIJING)
    end = dt.datetime.combine(until + dt.timedelta(days=1), dt.time(), BEIJING)
    return start.astimezone(dt.UTC), end.astimezone(dt.UTC)


def _load(
    db: Session,
    principal: Principal,
    since: dt.date,
    until: dt.date,
    *,
    unit_path: str | None = None,
    kind: str | None = None,
) -> tuple[list[_IncidentRow], dict[int, list[_DispatchRow]]]:
    start, end = _window(since, until)
    stmt = (
        select(
            Incident.id,
            Incident.kind,
            Incident.state,
            Incident.handling_unit_id,
            Incident.reported_at,
            Incident.dispatched_at,
            Incident.arrived_at,
            Incident.handled_at,
            Incident.closed_at,
        )
        .where(
            visible_clause(principal),
            Incident.reported_at >= start,
            Incident.reported_at < end,
            Incident.state != IncidentState.merged,  # a duplicate is not a second incident
        )
        .order_by(Incident.reported_at)
    )
    if unit_path is not None:
        subtree = select(OrgUnit.id).where(OrgUnit.path.startswith(unit_path, autoescape=True))
        stmt = stmt.where(Incident.handling_unit_id.in_(subtree))
    if kind is not None:
        stmt = stmt.where(Incident.kind == kind)
    incidents = [
        _IncidentRow(r[0], r[1].value, r[2], r[3], r[4], r[5], r[6], r[7], r[8])
        for r in db.execute(stmt)
    ]
    dispatches: dict[int, list[_DispatchRow]] = defaultdict(list)
    ids = [i.id for i in incidents]
    for chunk in range(0, len(ids), 500):
        part = ids[chunk : chunk + 500]
        rows = db.execute(
            select(
                IncidentDispatch.incident_id,
                IncidentDispatch.officer_id,
                IncidentDispatch.dispatched_at,
                IncidentDispatch.accepted_at,
                IncidentDispatch.departed_at,
                IncidentDispatch.closed_at,
            ).where(
                IncidentDispatch.incident_id.in_(part),
                IncidentDispatch.state != DispatchState.cancelled,
            )
        )
        for r in rows:
            dispatches[r[0]].append(_DispatchRow(*r))
    return incidents, dispatches


def _period_key(group_by: GroupBy, at: dt.datetime) -> tuple[str, str]:
    day = at.astimezone(BEIJING).date()
    if group_by == "day":
        return day.isoformat(), day.strftime("%m月%d日")
    if group_by == "week":
        monday = day - dt.timedelta(days=day.weekday())
        return monday.isoformat(), f"{monday.strftime('%m月%d日')}起一周"
    return day.strftime("%Y-%m"), day.strftime("%Y年%m月")


def statistics(
    db: Session,
    principal: Principal,
    *,
    since: dt.date,
    until: dt.date,
    group_by: GroupBy = "unit",
    unit_path: str | None = None,
    kind: str | None = None,
) -> StatsOut:
    incidents, dispatches = _load(db, principal, since, until, unit_path=unit_path, kind=kind)
    unit_names = {u.id: u.name for u in db.scalars(select(OrgUnit))}
    overall = _Bucket("合计")
    groups: dict[str, _Bucket] = {}
    for incident in incidents:
        if group_by == "unit":
            key = str(incident.handling_unit_id)
            label = unit_names.get(incident.handling_unit_id, key)
        elif group_by == "kind":
            key, label = incident.kind, KIND_LABELS.get(incident.kind, incident.kind)
        else:
            key, label = _period_key(group_by, incident.reported_at)
        bucket = groups.setdefault(key, _Bucket(label))
        rows = dispatches.get(incident.id, [])
        bucket.add(incident, rows)
        overall.add(incident, rows)
    ordered = (
        sorted(groups.items())
        if group_by in ("day", "week", "month")
        else sorted(groups.items(), key=lambda item: (-item[1].count, item[0]))
    )
    return StatsOut(
        since=since,
        until=until,
        group_by=group_by,
        overall=overall.row("all"),
        rows=[bucket.row(key) for key, bucket in ordered],
    )


# --- xlsx --------------------------------------------------------------------------------------

_PHASES = (
    ("to_dispatch", "接警到派警"),
    ("to_arrive", "接警到到场"),
    ("to_handle", "接警到处置完毕"),
    ("total", "接警到结案"),
)


def _minutes(value: float | None) -> float | None:
    return None if value is None else round(value / 60, 2)


def stats_xlsx(result: StatsOut) -> bytes:
    book = openpyxl.Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = "出警时效统计"
    sheet.append(
        [f"统计期间：{result.since.isoformat()} 至 {result.until.isoformat()}（时长单位：分钟）"]
    )
    header = [GROUP_LABELS[result.group_by], "警情数", "30秒内签收率"]
    for _, label in _PHASES:
        header += [f"{label}·平均", f"{label}·中位数", f"{label}·90分位"]
    sheet.append(header)
    for cell in sheet[2]:
        cell.font = Font(bold=True)
    for row in [*result.rows, result.overall]:
        values: list[Any] = [row.label, row.count, row.accept_30s_share]
        for phase, _ in _PHASES:
            m: Measure = getattr(row, phase)
            values += [_minutes(m.mean_s), _minutes(m.median_s), _minutes(m.p90_s)]
        sheet.append(values)
    sheet.column_dimensions["A"].width = 22
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


# --- the daily bulletin ------------------------------------------------------------------------

Buckets = tuple[tuple[float, str], ...]
SIGN_BUCKETS: Buckets = (
    (30, "0–30秒"),
    (60, "30–60秒"),
    (120, "60–120秒"),
    (180, "120–180秒"),
    (float("inf"), "180秒以上"),
)
DEPART_BUCKETS: Buckets = (
    (300, "0–5分钟"),
    (600, "5–10分钟"),
    (900, "10–15分钟"),
    (1800, "15–30分钟"),
    (float("inf"), "30分钟以上"),
)
FEEDBACK_BUCKETS: Buckets = (
    (1800, "0–30分钟"),
    (3600, "30–60分钟"),
    (7200, "1–2小时"),
    (14400, "2–4小时"),
    (float("inf"), "4小时以上"),
)


@dataclass
class Distribution:
    title: str
    labels: list[str]
    counts: list[int]
    missing: int = 0  # dispatches that never took this step

    @property
    def total(self) -> int:
        return sum(self.counts)

    def share(self, index: int) -> float | None:
        return self.counts[index] / self.total if self.total else None


def distribution(title: str, buckets: Buckets, values: Sequence[float | None]) -> Distribution:
    counts = [0] * len(buckets)
    missing = 0
    for value in values:
        if value is None:
            missing += 1
            continue
        index = next(i for i, (limit, _) in enumerate(buckets) if value <= limit)
        counts[index] += 1
    return Distribution(title, [label for _, label in buckets], counts, missing)


@dataclass
class UnitLine:
    unit: str
    incidents: int
    sign: Distribution
    depart: Distribution
    feedback: Distribution
    sign_fast_share: float | None


@dataclass
class Bulletin:
    day: dt.date
    incidents: int
    dispatches: int
    overall: UnitLine
    units: list[UnitLine]
    slowest_sign: list[str]
    slowest_depart: list[str]
    kinds: list[tuple[str, int]]


def _line(name: str, incident_count: int, rows: list[_DispatchRow]) -> UnitLine:
    def spans(end: Callable[[_DispatchRow], dt.datetime | None]) -> list[float | None]:
        return [_seconds(r.dispatched_at, end(r)) for r in rows]

    sign = distribution("签收用时", SIGN_BUCKETS, spans(lambda r: r.accepted_at))
    return UnitLine(
        unit=name,
        incidents=incident_count,
        sign=sign,
        depart=distribution("出警用时", DEPART_BUCKETS, spans(lambda r: r.departed_at)),
        feedback=distribution("反馈用时", FEEDBACK_BUCKETS, spans(lambda r: r.closed_at)),
        sign_fast_share=sign.share(0),
    )


def bulletin(db: Session, principal: Principal, day: dt.date) -> Bulletin:
    """One Beijing day, per officer's unit; the units slowest to sign for / depart named."""
    incidents, dispatches = _load(db, principal, day, day)
    officer_units = {int(r[0]): int(r[1]) for r in db.execute(select(Officer.id, Officer.unit_id))}
    unit_names = {u.id: u.name for u in db.scalars(select(OrgUnit))}
    per_unit: dict[str, list[_DispatchRow]] = defaultdict(list)
    per_unit_incidents: dict[str, set[int]] = defaultdict(set)
    all_rows: list[_DispatchRow] = []
    for incident in incidents:
        for row in dispatches.get(incident.id, []):
            unit = unit_names.get(officer_units.get(row.officer_id, 0), "未知单位")
            per_unit[unit].append(row)
            per_unit_incidents[unit].add(incident.id)
            all_rows.append(row)
    units = [
        _line(name, len(per_unit_incidents[name]), rows) for name, rows in sorted(per_unit.items())
    ]

    def slowest(score: Callable[[UnitLine], float | None]) -> list[str]:
        scored = [(s, u.unit) for u in units if (s := score(u)) is not None]
        scored.sort()
        return [name for _, name in scored[:3] if _ < 1.0]

    kinds: dict[str, int] = defaultdict(int)
    for incident in incidents:
        kinds[KIND_LABELS.get(incident.kind, incident.kind)] += 1
    return Bulletin(
        day=day,
        incidents=len(incidents),
        dispatches=len(all_rows),
        overall=_line("全部", len(incidents), all_rows),
        units=units,
        slowest_sign=slowest(lambda u: u.sign_fast_share),
        slowest_depart=slowest(lambda u: u.depart.share(0)),
        kinds=sorted(kinds.items(), key=lambda kv: -kv[1]),
    )
