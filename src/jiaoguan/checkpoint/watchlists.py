"""Watchlist (布控库) logic: apply → approve / refuse, withdraw (撤控), and the automatic entries
from the vehicle registry (overdue inspection / scrapping), refreshed daily and on demand.

Every change marks the matchers stale (they reload after the commit) and is audited.
"""

from __future__ import annotations

import asyncio
import datetime as dt
from dataclasses import dataclass
from typing import Any

from fastapi import FastAPI
from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, field_validator
from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from jiaoguan.checkpoint.matcher import mark_changed
from jiaoguan.checkpoint.watch_models import (
    AUTOMATIC_KINDS,
    WATCH_KIND_LABELS,
    Watch,
    WatchKind,
    WatchSource,
    WatchStatus,
)
from jiaoguan.platform.audit.labels import register_audit_labels
from jiaoguan.platform.audit.service import record as audit
from jiaoguan.platform.auth.service import Principal, in_scope, unit_in_scope
from jiaoguan.platform.crud import Id, Schema
from jiaoguan.platform.db import Database, utcnow
from jiaoguan.platform.errors import Conflict, Forbidden, Invalid, NotFound
from jiaoguan.platform.logging import log
from jiaoguan.platform.push.service import notify_in
from jiaoguan.platform.tasks import background_task
from jiaoguan.registry import queries as registry_queries
from jiaoguan.registry.models import Vehicle
from jiaoguan.registry.validators import CheckError, check_plate, normalise_plate

MAX_PERIOD = dt.timedelta(days=366)
AUTO_PERIOD = dt.timedelta(days=366)
REFRESH_EVERY = dt.timedelta(hours=24)
REFRESH_FIRST_DELAY_S = 30.0
SYSTEM = "系统"
PLATE_COLOURS = ("BLUE", "YELLOW", "BLACK", "WHITE", "GREEN", "YELLOW_GREEN", "OTHER")

register_audit_labels(
    resources={"watch": "布控"},
    actions={
        "apply": "申请布控",
        "approve_watch": "批准布控",
        "refuse_watch": "驳回布控",
        "withdraw": "撤控",
        "refresh": "同步台账布控",
    },
)

# --- schemas ---------------------------------------------------------------------------------


class WatchApply(Schema):
    plate_no: str = Field(min_length=2, max_length=16, title="号牌号码", description="如 冀F12345")
    plate_color: str | None = Field(
        None, max_length=16, title="号牌颜色", description="BLUE/YELLOW/...；空为不限"
    )
    kind: WatchKind = Field(title="布控类型")
    reason: str = Field(min_length=2, max_length=2000, title="布控事由")
    starts_at: AwareDatetime | None = Field(None, title="开始时间", description="空为批准即生效")
    ends_at: AwareDatetime = Field(title="结束时间")
    fuzzy: bool = Field(True, title="模糊比对", description="对易混字符、省份字误识也预警")
    unit_id: Id | None = Field(None, title="布控单位", description="空为本人单位")

    @field_validator("plate_color")
    @classmethod
    def _colour(cls, value: str | None) -> str | None:
        if value is None or value == "":
            return None
        if value.upper() not in PLATE_COLOURS:
            raise ValueError(f"号牌颜色应为 {'/'.join(PLATE_COLOURS)} 之一")
        return value.upper()


class WatchDecision(Schema):
    approve: bool = Field(title="是否批准")
    comment: str = Field("", max_length=1000, title="审批意见")


class WatchWithdraw(Schema):
    reason: str = Field(min_length=2, max_length=1000, title="撤控原因")


class WatchRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    plate_no: str
    plate_color: str | None
    kind: WatchKind
    kind_label: str = ""
    status: WatchStatus
    source: WatchSource
    fuzzy: bool
    reason: str
    starts_at: dt.datetime
    ends_at: dt.datetime
    unit_id: int
    vehicle_id: int | None
    applicant_name: str
    applied_at: dt.datetime
    approver_name: str | None
    decided_at: dt.datetime | None
    decision_comment: str | None
    withdrawn_name: str | None
    withdrawn_at: dt.datetime | None
    withdraw_reason: str | None

    @classmethod
    def of(cls, watch: Watch) -> WatchRead:
        read = cls.model_validate(watch)
        return read.model_copy(update={"kind_label": WATCH_KIND_LABELS[watch.kind]})


class WatchPage(BaseModel):
    total: int
    items: list[WatchRead]


class RefreshReport(BaseModel):
    added: int
    withdrawn: int
    active: int


# --- reading ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class WatchQuery:
    status: WatchStatus | None = None
    kind: WatchKind | None = None
    source: WatchSource | None = None
    plate: str | None = None


def search(
    db: Session, principal: Principal, query: WatchQuery, *, offset: int = 0, limit: int = 50
) -> tuple[list[Watch], int]:
    stmt = select(Watch).where(in_scope(principal, Watch.unit_id))
    if query.status is not None:
        stmt = stmt.where(Watch.status == query.status)
    if query.kind is not None:
        stmt = stmt.where(Watch.kind == query.kind)
    if query.source is not None:
        stmt = stmt.where(Watch.source == query.source)
    if query.plate:
        stmt = stmt.where(Watch.plate_no.contains(normalise_plate(query.plate), autoescape=True))
    total = db.scalar(select(func.count()).select_from(stmt.subquery())) or 0
    rows = db.scalars(
        stmt.order_by(Watch.applied_at.desc(), Watch.id.desc()).offset(offset).limit(limit)
    )
    return list(rows), total


def get_watch(db: Session, principal: Principal, watch_id: int) -> Watch:
    watch = db.scalar(select(Watch).where(Watch.id == watch_id, in_scope(principal, Watch.unit_id)))
    if watch is None:
        raise NotFound("布控不存在或不在数据权限范围内", ["path", "watch_id"])
    return watch


def counts(db: Session, principal: Principal) -> dict[str, int]:
    stmt = (
        select(Watch.status, func.count(Watch.id))
        .where(in_scope(principal, Watch.unit_id))
        .group_by(Watch.status)
    )
    found = {status.value: int(n) for status, n in db.execute(stmt)}
    return {s.value: found.get(s.value, 0) for s in WatchStatus}


# --- apply, decide, withdraw --------------------------------------------------------------------


def _plate(value: str) -> str:
    plate = normalise_plate(value)
    if not plate:
        raise Invalid("号牌号码为空或为无牌占位", ["body", "plate_no"])
    try:
        check_plate(plate)
    except CheckError as exc:
        # Fake and foreign-format plates are watched as read: only refuse what cannot be a plate.
        if len(plate) < 5 or len(plate) > 10:
            raise Invalid(f"号牌号码不正确：{exc}", ["body", "plate_no"]) from None
    return plate


def apply(
    db: Session, principal: Principal, data: WatchApply, now: dt.datetime | None = None
) -> Watch:
    """申请布控: a pending entry that someone with watchlist.approve must approve."""
    now = now or utcnow()
    if data.kind in AUTOMATIC_KINDS:
        raise Invalid("逾期未检验、逾期未报废布控由车管台账自动生成，无需申请", ["body", "kind"])
    plate = _plate(data.plate_no)
    unit = unit_in_scope(db, principal, data.unit_id or principal.unit_id)
    starts = (data.starts_at or now).astimezone(dt.UTC)
    ends = data.ends_at.astimezone(dt.UTC)
    if ends <= max(starts, now):
        raise Invalid("结束时间须晚于开始时间和当前时间", ["body", "ends_at"])
    if ends - starts > MAX_PERIOD:
        raise Invalid("布控期限不能超过一年", ["body", "ends_at"])
    duplicate = db.scalar(
        select(Watch.id).where(
            Watch.plate_no == plate,
            Watch.kind == data.kind,
            Watch.status.in_((WatchStatus.pending, WatchStatus.active)),
            Watch.ends_at > now,
        )
    )
    if duplicate is not None:
        raise Conflict(f"号牌“{plate}”已有同类布控（编号 {duplicate}）", ["body", "plate_no"])
    watch = Watch(
        plate_no=plate,
        plate_color=data.plate_color,
        kind=data.kind,
        status=WatchStatus.pending,
        source=WatchSource.manual,
        fuzzy=data.fuzzy,
        reason=data.reason,
        starts_at=starts,
        ends_at=ends,
        unit_id=unit.id,
        applicant_user_id=principal.user_id,
        applicant_name=principal.full_name,
        applied_at=now,
        created_at=now,
        updated_at=now,
    )
    db.add(watch)
    db.flush()
    audit(
        db, principal, "apply", "watch", watch.id, detail={"plate": plate, "kind": data.kind.value}
    )
    notify_in(
        db,
        title=f"布控待审批：{plate}（{WATCH_KIND_LABELS[data.kind]}）",
        body=f"{principal.full_name}：{data.reason[:200]}",
        link=f"/checkpoint/watches/{watch.id}",
        unit_path=unit.path,
        kind="watch",
    )
    return watch


def _moved(db: Session, watch: Watch, seen: WatchStatus, **values: Any) -> None:
    """Conditional update: two approvers acting at once cannot both succeed."""
    stmt = (
        update(Watch)
        .where(Watch.id == watch.id, Watch.status == seen)
        .values(updated_at=utcnow(), **values)
        .execution_options(synchronize_session=False)
    )
    if db.execute(stmt).rowcount != 1:  # type: ignore[attr-defined]
        raise Conflict("布控已被他人处理，请刷新后重试", ["path", "watch_id"])
    db.expire(watch)
    mark_changed(db)


def decide(db: Session, principal: Principal, watch_id: int, data: WatchDecision) -> Watch:
    """审批: approve (the watch becomes active) or refuse (a comment is required)."""
    watch = get_watch(db, principal, watch_id)
    if watch.status != WatchStatus.pending:
        raise Conflict("只有待审批的布控可以审批", ["path", "watch_id"])
    if watch.applicant_user_id == principal.user_id:
        raise Forbidden("不能审批本人提交的布控申请", ["path", "watch_id"])
    comment = data.comment.strip()
    if not data.approve and len(comment) < 2:
        raise Invalid("驳回须填写审批意见（至少 2 个字）", ["body", "comment"])
    now = utcnow()
    status = WatchStatus.active if data.approve else WatchStatus.refused
    _moved(
        db,
        watch,
        WatchStatus.pending,
        status=status,
        approver_user_id=principal.user_id,
        approver_name=principal.full_name,
        decided_at=now,
        decision_comment=comment or None,
    )
    action = "approve_watch" if data.approve else "refuse_watch"
    audit(
        db,
        principal,
        action,
        "watch",
        watch.id,
        detail={"plate": watch.plate_no, "comment": comment},
    )
    verdict = "已批准，开始布控" if data.approve else f"未通过：{comment[:100]}"
    if watch.applicant_user_id is not None:
        notify_in(
            db,
            title=f"布控 {watch.plate_no} {verdict}",
            link=f"/checkpoint/watches/{watch.id}",
            unit_path=watch.unit.path,
            user_id=watch.applicant_user_id,
            level="success" if data.approve else "warning",
            kind="watch",
        )
    return watch


def withdraw(db: Session, principal: Principal | None, watch_id: int, reason: str) -> Watch:
    """撤控: a pending or active watch ends now, with the reason (None: the system)."""
    watch = get_watch(db, principal, watch_id) if principal is not None else db.get(Watch, watch_id)
    if watch is None:
        raise NotFound("布控不存在", ["path", "watch_id"])
    if watch.status not in (WatchStatus.pending, WatchStatus.active):
        raise Conflict("只有待审批或布控中的布控可以撤控", ["path", "watch_id"])
    reason = reason.strip()
    if len(reason) < 2:
        raise Invalid("撤控须填写原因（至少 2 个字）", ["body", "reason"])
    _moved(
        db,
        watch,
        watch.status,
        status=WatchStatus.withdrawn,
        withdrawn_user_id=principal.user_id if principal else None,
        withdrawn_name=principal.full_name if principal else SYSTEM,
        withdrawn_at=utcnow(),
        withdraw_reason=reason[:1000],
    )
    audit(
        db,
        principal,
        "withdraw",
        "watch",
        watch.id,
        detail={"plate": watch.plate_no, "reason": reason},
    )
    return watch


# --- automatic entries from the vehicle registry ------------------------------------------------

_AUTO_REASONS = {
    WatchKind.overdue_inspection: "车管台账：检验有效期已过（逾期未检验），自动布控",
    WatchKind.overdue_scrapping: "车管台账：已过强制报废期（逾期未报废），自动布控",
}


def _overdue(db: Session, kind: WatchKind, today: dt.date) -> dict[int, Vehicle]:
    query = (
        registry_queries.overdue_inspection
        if kind == WatchKind.overdue_inspection
        else registry_queries.overdue_scrapping
    )
    return {v.id: v for v in db.scalars(query(db, today))}


def refresh_registry_watches(
    db: Session, principal: Principal | None = None, now: dt.datetime | None = None
) -> RefreshReport:
    """Make the automatic watches match the registry today: add the newly overdue, withdraw those
    inspected / scrapped / cancelled since, extend the period of the rest. Whole registry (the
    system's view); `principal` is only who asked, for the audit log."""
    now = now or utcnow()
    today = now.astimezone(dt.timezone(dt.timedelta(hours=8))).date()
    added = withdrawn = active = 0
    for kind in (WatchKind.overdue_inspection, WatchKind.overdue_scrapping):
        vehicles = _overdue(db, kind, today)
        current = {
            w.vehicle_id: w
            for w in db.scalars(
                select(Watch).where(
                    Watch.source == WatchSource.registry,
                    Watch.kind == kind,
                    Watch.status == WatchStatus.active,
                )
            )
        }
        for vehicle_id, watch in current.items():
            if vehicle_id not in vehicles:
                watch.status = WatchStatus.withdrawn
                watch.withdrawn_name = SYSTEM
                watch.withdrawn_at = now
                watch.withdraw_reason = "车管台账已不再逾期（已检验、报废或注销），自动撤控"
                withdrawn += 1
            elif watch.ends_at < now + REFRESH_EVERY * 2:
                watch.ends_at = now + AUTO_PERIOD
        for vehicle_id, vehicle in vehicles.items():
            if vehicle_id in current:
                continue
            db.add(_auto_watch(vehicle, kind, now))
            added += 1
        active += len(vehicles)
    if added or withdrawn:
        mark_changed(db)
    audit(db, principal, "refresh", "watch", None, detail={"added": added, "withdrawn": withdrawn})
    return RefreshReport(added=added, withdrawn=withdrawn, active=active)


def _auto_watch(vehicle: Vehicle, kind: WatchKind, now: dt.datetime) -> Watch:
    return Watch(
        plate_no=normalise_plate(vehicle.plate_no),
        plate_color=vehicle.plate_color.value,
        kind=kind,
        status=WatchStatus.active,
        source=WatchSource.registry,
        fuzzy=False,  # thousands of entries: exact hits only, fuzzy ones would drown the centre
        reason=_AUTO_REASONS[kind],
        starts_at=now,
        ends_at=now + AUTO_PERIOD,
        unit_id=vehicle.unit_id,
        vehicle_id=vehicle.id,
        applicant_name=SYSTEM,
        applied_at=now,
        approver_name=SYSTEM,
        decided_at=now,
        created_at=now,
        updated_at=now,
    )


def refresh_in(database: Database) -> RefreshReport:
    with database.transaction() as db:
        return refresh_registry_watches(db)


@background_task
async def registry_refresh_loop(app: FastAPI) -> None:
    """Daily: the automatic entries follow the registry (first run shortly after start)."""
    await asyncio.sleep(REFRESH_FIRST_DELAY_S)
    database: Database = app.state.db
    while True:
        try:
            report = await asyncio.to_thread(refresh_in, database)
            log.info("watchlist refreshed from registry", **report.model_dump())
        except Exception:  # the database may be briefly away; try again next round
            log.exception("watchlist refresh failed")
        await asyncio.sleep(REFRESH_EVERY.total_seconds())
