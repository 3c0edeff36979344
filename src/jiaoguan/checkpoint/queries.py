"""Pass-record queries (sensitive: the API and pages demand a reason and audit every call).

- trajectory: one plate over a period, in time order — index (plate, passed_at);
- window: passes at chosen checkpoints in a time window, with plate pattern (`*` any run, `?` one
  character), colours, classes, brand — index (checkpoint_id, passed_at);
- co-travel: plates seen at the same checkpoint within ±Δt of the target's passes, at least k
  times — one index range probe per target pass.
On PostgreSQL the time bounds also prune the daily partitions. Every query is bounded: a period of
at most `MAX_PERIOD`, at most `MAX_ROWS` rows. Data scope: passes at checkpoints the user sees.
"""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font
from sqlalchemy import ColumnElement, Select, and_, func, select
from sqlalchemy.orm import Session

from jiaoguan.checkpoint.codes import colour_label, plate_class_label, vehicle_class_label
from jiaoguan.checkpoint.ingest import normalise_pass_plate
from jiaoguan.checkpoint.models import DIRECTION_LABELS, Checkpoint, PassRecordRow
from jiaoguan.checkpoint.schemas import CoTravel, CoTravelResult, PassPage, PassRead
from jiaoguan.platform.audit.service import record
from jiaoguan.platform.auth.service import Principal, in_scope
from jiaoguan.platform.errors import Invalid

MAX_PERIOD = dt.timedelta(days=31)
MAX_ROWS = 5000
MAX_CO_TRAVEL_TARGETS = 2000
COUNT_CAP = 10_000
P = PassRecordRow


@dataclass(frozen=True)
class Period:
    start: dt.datetime
    end: dt.datetime

    @classmethod
    def of(cls, start: dt.datetime, end: dt.datetime, limit: dt.timedelta = MAX_PERIOD) -> Period:
        if start.tzinfo is None or end.tzinfo is None:
            raise Invalid("时间须带时区", ["query", "start"])
        if end <= start:
            raise Invalid("结束时间应晚于开始时间", ["query", "end"])
        if end - start > limit:
            raise Invalid(f"查询时段不能超过 {limit.days} 天", ["query", "end"])
        return cls(start.astimezone(dt.UTC), end.astimezone(dt.UTC))


@dataclass(frozen=True)
class WindowFilter:
    checkpoint_ids: Sequence[int] = ()
    plate: str | None = None  # pattern: * any run, ? one character
    plate_colour: str | None = None
    plate_class: str | None = None
    vehicle_class: str | None = None
    brand: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)


def visible_checkpoints(db: Session, principal: Principal) -> dict[int, Checkpoint]:
    stmt = select(Checkpoint).where(in_scope(principal, Checkpoint.unit_id))
    return {c.id: c for c in db.scalars(stmt)}


def plate_condition(pattern: str) -> ColumnElement[bool]:
    """`*` and `?` wildcards (full-width ones too) as LIKE; a plain plate as equality."""
    text = normalise_pass_plate(pattern.replace("＊", "*").replace("？", "?"))
    if not text:
        raise Invalid("号牌号码不能为空", ["query", "plate"])
    if "*" not in text and "?" not in text:
        return P.plate == text
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    like = escaped.replace("*", "%").replace("?", "_")
    if like.strip("%") == "":
        raise Invalid("号牌模式不能只有通配符", ["query", "plate"])
    return P.plate.like(like, escape="\\")


def _rows(
    db: Session, stmt: Select[Any], checkpoints: dict[int, Checkpoint], limit: int
) -> list[PassRead]:
    found = []
    for row in db.scalars(stmt.limit(limit)):
        gate = checkpoints.get(row.checkpoint_id)
        item = PassRead.model_validate(row)
        if gate is not None:
            item.checkpoint_name, item.lon, item.lat = gate.name, gate.lon, gate.lat
        found.append(item)
    return found


def _audit(
    db: Session, principal: Principal, action: str, reason: str, detail: dict[str, Any]
) -> None:
    record(db, principal, action, "pass_record", detail=detail, reason=reason, sensitive=True)


def trajectory(
    db: Session, principal: Principal, plate: str, period: Period, reason: str
) -> list[PassRead]:
    """Passes of one plate (exact, normalised) in time order, within the user's checkpoints."""
    normalised = normalise_pass_plate(plate)
    if not normalised:
        raise Invalid("号牌号码不能为空", ["query", "plate"])
    checkpoints = visible_checkpoints(db, principal)
    stmt = (
        select(P)
        .where(P.plate == normalised, P.passed_at >= period.start, P.passed_at < period.end)
        .where(P.checkpoint_id.in_(list(checkpoints)))
        .order_by(P.passed_at)
    )
    rows = _rows(db, stmt, checkpoints, MAX_ROWS)
    detail = {"plate": normalised, "start": period.start, "end": period.end, "rows": len(rows)}
    _audit(db, principal, "trajectory", reason, detail)
    return rows


def _window_conditions(
    checkpoints: dict[int, Checkpoint], period: Period, where: WindowFilter
) -> list[ColumnElement[bool]]:
    ids = [i for i in where.checkpoint_ids if i in checkpoints] or list(checkpoints)
    if where.checkpoint_ids and not set(where.checkpoint_ids) & set(checkpoints):
        raise Invalid("所选卡口不存在或不在数据权限范围内", ["query", "checkpoint_id"])
    conditions = [
        P.checkpoint_id.in_(ids),
        P.passed_at >= period.start,
        P.passed_at < period.end,
    ]
    if where.plate:
        conditions.append(plate_condition(where.plate))
    if where.plate_colour:
        conditions.append(P.plate_colour == where.plate_colour)
    if where.plate_class:
        conditions.append(P.plate_class == where.plate_class)
    if where.vehicle_class:
        code = where.vehicle_class.strip().upper()
        # One letter (H) means the whole class family; three characters one type.
        conditions.append(
            P.vehicle_class.startswith(code) if len(code) < 3 else P.vehicle_class == code
        )
    if where.brand:
        conditions.append(P.brand == where.brand.strip())
    return conditions


def window(
    db: Session,
    principal: Principal,
    period: Period,
    where: WindowFilter,
    reason: str,
    *,
    limit: int = 200,
    offset: int = 0,
) -> PassPage:
    """Passes at checkpoints in a window, newest first, with the total (counted up to a cap)."""
    checkpoints = visible_checkpoints(db, principal)
    conditions = _window_conditions(checkpoints, period, where)
    stmt = select(P).where(and_(*conditions)).order_by(P.passed_at.desc(), P.record_id)
    items = _rows(db, stmt.offset(offset), checkpoints, limit)
    capped = select(P.record_id).where(and_(*conditions)).limit(COUNT_CAP + 1).subquery()
    total = int(db.scalar(select(func.count()).select_from(capped)) or 0)
    detail = {
        "start": period.start,
        "end": period.end,
        "checkpoints": list(where.checkpoint_ids)[:50],
        "plate": where.plate,
        "rows": len(items),
    }
    _audit(db, principal, "pass_window", reason, detail)
    return PassPage(items=items, total=min(total, COUNT_CAP), truncated=total > COUNT_CAP)


def window_rows(
    db: Session, principal: Principal, period: Period, where: WindowFilter, reason: str
) -> list[PassRead]:
    """Every matching pass (up to MAX_ROWS) for the export."""
    checkpoints = visible_checkpoints(db, principal)
    conditions = _window_conditions(checkpoints, period, where)
    stmt = select(P).where(and_(*conditions)).order_by(P.passed_at)
    rows = _rows(db, stmt, checkpoints, MAX_ROWS)
    detail = {"start": period.start, "end": period.end, "plate": where.plate, "rows": len(rows)}
    _audit(db, principal, "pass_export", reason, detail)
    return rows


def co_travel(
    db: Session,
    principal: Principal,
    plate: str,
    period: Period,
    reason: str,
    *,
    window_s: int = 60,
    min_times: int = 2,
    limit: int = 50,
) -> CoTravelResult:
    """Plates passing the same checkpoint within ±window_s of the target, at least min_times."""
    normalised = normalise_pass_plate(plate)
    if not normalised:
        raise Invalid("号牌号码不能为空", ["query", "plate"])
    checkpoints = visible_checkpoints(db, principal)
    targets = db.execute(
        select(P.checkpoint_id, P.passed_at, P.record_id)
        .where(P.plate == normalised, P.passed_at >= period.start, P.passed_at < period.end)
        .where(P.checkpoint_id.in_(list(checkpoints)))
        .order_by(P.passed_at)
        .limit(MAX_CO_TRAVEL_TARGETS)
    ).all()
    delta = dt.timedelta(seconds=window_s)
    seen: dict[tuple[str, str], dict[str, Any]] = {}
    for checkpoint_id, passed_at, _record_id in targets:
        others = db.execute(
            select(P.plate, P.plate_colour, P.passed_at).where(
                P.checkpoint_id == checkpoint_id,
                P.passed_at >= passed_at - delta,
                P.passed_at <= passed_at + delta,
                P.plate != normalised,
                P.plate != "",
            )
        ).all()
        counted: set[tuple[str, str]] = set()
        for other, colour, at in others:
            key = (other, colour)
            entry = seen.setdefault(
                key, {"times": 0, "checkpoints": set(), "first_at": at, "last_at": at}
            )
            if key not in counted:  # one target pass counts once per companion
                entry["times"] += 1
                counted.add(key)
            entry["checkpoints"].add(checkpoint_id)
            entry["first_at"] = min(entry["first_at"], at)
            entry["last_at"] = max(entry["last_at"], at)
    items = sorted(
        (
            CoTravel(
                plate=key[0],
                plate_colour=key[1],
                times=v["times"],
                checkpoints=len(v["checkpoints"]),
                first_at=v["first_at"],
                last_at=v["last_at"],
            )
            for key, v in seen.items()
            if v["times"] >= min_times
        ),
        key=lambda c: (-c.times, -c.checkpoints, c.plate),
    )[:limit]
    detail = {"plate": normalised, "start": period.start, "end": period.end, "found": len(items)}
    _audit(db, principal, "co_travel", reason, detail)
    return CoTravelResult(
        plate=normalised,
        target_passes=len(targets),
        window_s=window_s,
        min_times=min_times,
        items=items,
    )


# --- export ------------------------------------------------------------------------------------------

EXPORT_COLUMNS: tuple[tuple[str, str], ...] = (
    ("passed_at", "过车时间"),
    ("plate", "号牌号码"),
    ("plate_colour", "号牌颜色"),
    ("plate_class", "号牌种类"),
    ("checkpoint_name", "卡口"),
    ("tollgate_code", "卡口编号"),
    ("lane_no", "车道"),
    ("direction", "方向"),
    ("vehicle_class", "车辆类型"),
    ("vehicle_colour", "车身颜色"),
    ("brand", "品牌"),
    ("speed_kmh", "车速(km/h)"),
    ("plate_raw", "原始号牌"),
    ("record_id", "记录编号"),
)


def _direction_label(value: Any) -> str:
    return DIRECTION_LABELS.get(value or "", value or "")


_SHOWN: dict[str, Callable[[Any], str]] = {
    "plate_colour": colour_label,
    "vehicle_colour": colour_label,
    "plate_class": plate_class_label,
    "vehicle_class": vehicle_class_label,
    "direction": _direction_label,
}


def shown(name: str, value: Any) -> Any:
    """A pass field as people read it: Beijing time, colour and class names."""
    if value is None:
        return ""
    if isinstance(value, dt.datetime):
        return value.astimezone(dt.timezone(dt.timedelta(hours=8))).strftime("%Y-%m-%d %H:%M:%S")
    if name in _SHOWN:
        return _SHOWN[name](value)
    return value


def passes_xlsx(rows: Sequence[PassRead], title: str) -> bytes:
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(title[:31])
    header = []
    for _, label in EXPORT_COLUMNS:
        cell = WriteOnlyCell(sheet, value=label)
        cell.font = Font(bold=True)
        header.append(cell)
    sheet.append(header)
    for row in rows:
        values = []
        for name, _ in EXPORT_COLUMNS:
            value = shown(name, getattr(row, name))
            if isinstance(value, str) and value.startswith(("=", "+", "-", "@")):
                value = "'" + value  # never a formula
            values.append(value)
        sheet.append(values)
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()
