"""Alerts (预警): raise, group, push, and the interception work order with its result and review.

A hit (watch, clone, restriction) for which an alert with the same group key is still open and was
last seen within `GROUP_WINDOW` only adds a sighting and bumps the count; otherwise a new alert:
event `checkpoint.alert_raised`, a notification to the checkpoint's unit (the command centres above
it see it too) and to the units of the checkpoints the vehicle can reach within `NEXT_WITHIN_S`
(downstream on the road network), and an interception work order for the checkpoint's unit.

Officers are reached through their units: the officer tracker (command/) is a sibling module this
one may not import, so "officers near the next checkpoints" are the members of those checkpoints'
units.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from pydantic import Field
from sqlalchemy import ColumnElement, exists, func, or_, select
from sqlalchemy.orm import Session, selectinload

from jiaoguan.checkpoint.travel import CheckpointSites
from jiaoguan.checkpoint.watch_models import (
    ALERT_KIND_LABELS,
    ALERT_RESULT_LABELS,
    Alert,
    AlertKind,
    AlertResult,
    AlertSighting,
    AlertUnit,
)
from jiaoguan.platform.audit.labels import register_audit_labels
from jiaoguan.platform.audit.service import record as audit
from jiaoguan.platform.auth.models import OrgUnit, User, UserKind
from jiaoguan.platform.auth.service import Principal
from jiaoguan.platform.db import utcnow
from jiaoguan.platform.errors import Conflict, Forbidden, Invalid, NotFound
from jiaoguan.platform.events import Event, emit
from jiaoguan.platform.push.service import ancestor_paths, notify_in
from jiaoguan.platform.workorders import service as workorders
from jiaoguan.platform.workorders.models import (
    OPEN,
    STATUS_LABELS,
    WorkOrder,
    WorkOrderPriority,
    WorkOrderStatus,
)

INTERCEPTION = workorders.register_kind("interception", "拦截处置")
SOURCE_MODULE = "checkpoint_alert"
GROUP_WINDOW = dt.timedelta(minutes=30)
NEXT_WITHIN_S = 300.0
INTERCEPTION_DEADLINE = dt.timedelta(hours=2)
MAX_TOLD = 500  # people told ahead of one alert, at most

register_audit_labels(
    resources={"alert": "预警"},
    actions={"sign": "签收预警", "report": "反馈拦截结果", "review": "审核拦截结果"},
)

# What the alert page calls each work-order status.
ALERT_STATUS_LABELS = {
    WorkOrderStatus.assigned: "待签收",
    WorkOrderStatus.accepted: "拦截处置中",
    WorkOrderStatus.fed_back: "结果待审核",
    WorkOrderStatus.rejected: "退回重办",
    WorkOrderStatus.closed: "已办结",
    WorkOrderStatus.cancelled: "已撤销",
}


class AlertRaised(Event, subject="checkpoint.alert_raised"):
    alert_id: int
    plate: str
    kind: str
    checkpoint_id: int | None
    lon: float | None
    lat: float | None
    title: str
    match_kind: str
    next_checkpoint_ids: list[int] = Field(default_factory=list)
    # The same checkpoints with their place ({"id", "name", "lon", "lat"}), for subscribers
    # that look for officers near them (command) without reading this module's tables.
    next_checkpoints: list[dict[str, Any]] = Field(default_factory=list)
    # The units whose members (and subtrees) were told already.
    told_unit_paths: list[str] = Field(default_factory=list)


@dataclass(frozen=True)
class SightingIn:
    """A pass behind a hit (a PassRecord carries these fields)."""

    record_id: str
    checkpoint_id: int
    passed_at: dt.datetime
    plate_raw: str
    note: str | None = None


@dataclass(frozen=True)
class Hit:
    kind: AlertKind
    group_key: str
    plate: str
    plate_colour: str | None
    title: str
    sightings: tuple[SightingIn, ...]
    priority: WorkOrderPriority = WorkOrderPriority.high
    watch_id: int | None = None
    rule_id: int | None = None
    match_kind: str = "exact"
    matched_plate: str | None = None
    detail: dict[str, Any] = field(default_factory=dict)

    @property
    def last(self) -> SightingIn:
        return max(self.sightings, key=lambda s: s.passed_at)


@dataclass(frozen=True)
class Outcome:
    alert_id: int
    created: bool
    added_sightings: int


def sighting_of(record: Any, note: str | None = None) -> SightingIn:
    return SightingIn(
        record.record_id, record.checkpoint_id, record.passed_at, record.plate_raw, note
    )


# --- raising ----------------------------------------------------------------------------------


def _open_alert(db: Session, key: str, since: dt.datetime) -> Alert | None:
    """The open alert of this group last seen after `since` (its order not finished)."""
    open_order = or_(
        Alert.work_order_id.is_(None),
        exists().where(WorkOrder.id == Alert.work_order_id, WorkOrder.status.in_(OPEN)),
    )
    stmt = (
        select(Alert)
        .where(Alert.group_key == key, Alert.last_seen_at >= since, open_order)
        .order_by(Alert.id.desc())
        .limit(1)
    )
    return db.scalar(stmt)


def _root(db: Session) -> OrgUnit:
    root = db.scalar(select(OrgUnit).where(OrgUnit.parent_id.is_(None)).order_by(OrgUnit.id))
    if root is None:
        raise Invalid("尚未建立组织机构", ["unit_id"])
    return root


def _add_sightings(db: Session, alert: Alert, hit: Hit, sites: CheckpointSites) -> int:
    known = set(
        db.scalars(select(AlertSighting.record_id).where(AlertSighting.alert_id == alert.id))
    )
    added = 0
    for s in hit.sightings:
        if s.record_id in known:
            continue  # a replayed pass, or one already behind this alert
        i = sites.index(s.checkpoint_id)
        db.add(
            AlertSighting(
                alert_id=alert.id,
                record_id=s.record_id,
                checkpoint_id=s.checkpoint_id if i is not None else None,
                passed_at=s.passed_at,
                plate_raw=s.plate_raw,
                lon=float(sites.lon[i]) if i is not None else None,
                lat=float(sites.lat[i]) if i is not None else None,
                note=s.note,
            )
        )
        known.add(s.record_id)
        added += 1
        if s.passed_at >= alert.last_seen_at:
            alert.last_seen_at = s.passed_at
            alert.last_checkpoint_id = s.checkpoint_id if i is not None else None
            alert.last_lon = float(sites.lon[i]) if i is not None else None
            alert.last_lat = float(sites.lat[i]) if i is not None else None
        alert.first_seen_at = min(alert.first_seen_at, s.passed_at)
    return added


def raise_hit(
    db: Session,
    sites: CheckpointSites,
    hit: Hit,
    now: dt.datetime | None = None,
    opened: dict[str, Alert] | None = None,
) -> Outcome:
    """Group the hit onto its open alert, or raise a new one (in the caller's transaction).
    `opened`: the alerts this transaction has raised or grouped onto already, by group key."""
    now = now or utcnow()
    last = hit.last
    since = last.passed_at - GROUP_WINDOW
    current = opened.get(hit.group_key) if opened is not None else None
    if current is None or current.last_seen_at < since:
        current = _open_alert(db, hit.group_key, since)
    if current is not None:
        if opened is not None:
            opened[hit.group_key] = current
        added = _add_sightings(db, current, hit, sites)
        if added:
            current.hit_count += added
            current.updated_at = now
        return Outcome(current.id, False, added)
    outcome = _create(db, sites, hit, now)
    if opened is not None:
        opened[hit.group_key] = db.get_one(Alert, outcome.alert_id)
    return outcome


def _create(db: Session, sites: CheckpointSites, hit: Hit, now: dt.datetime) -> Outcome:
    last = hit.last
    i = sites.index(last.checkpoint_id)
    root = _root(db)
    unit_id = sites.unit_ids[i] if i is not None else root.id
    unit_path = sites.unit_paths[i] if i is not None else root.path
    alert = Alert(
        kind=hit.kind,
        group_key=hit.group_key[:64],
        plate_no=hit.plate,
        plate_colour=hit.plate_colour,
        watch_id=hit.watch_id,
        rule_id=hit.rule_id,
        match_kind=hit.match_kind,
        matched_plate=hit.matched_plate,
        title=hit.title[:200],
        hit_count=0,
        first_seen_at=last.passed_at,
        last_seen_at=last.passed_at,
        unit_id=unit_id,
        detail=dict(hit.detail),
        created_at=now,
        updated_at=now,
    )
    db.add(alert)
    db.flush()
    alert.hit_count = _add_sightings(db, alert, hit, sites) or 1
    nexts = sites.downstream(last.checkpoint_id, NEXT_WITHIN_S) if i is not None else []
    told = _tell_units(db, alert, sites, unit_path, nexts)
    ahead = [_site(sites, c) for c in nexts]
    alert.detail = {**alert.detail, "next_checkpoints": ahead, "notified_units": list(told)}
    where = sites.names[i] if i is not None else "未登记卡口"
    order = workorders.open_work_order(
        db,
        None,
        kind=INTERCEPTION,
        title=f"拦截：{hit.plate}（{ALERT_KIND_LABELS[hit.kind]}）",
        description=f"{hit.title}。最近一次：{where}，{_local(last.passed_at)}。"
        f"请签收后组织拦查，并反馈拦截结果（已拦截 / 未发现 / 误报及原因）。",
        assignee_unit_id=unit_id,
        deadline=now + INTERCEPTION_DEADLINE,
        priority=hit.priority,
        source=(SOURCE_MODULE, alert.id),
        creator_unit_id=root.id,
        now=now,
    )
    alert.work_order_id = order.id
    emit(
        db,
        AlertRaised(
            alert_id=alert.id,
            plate=hit.plate,
            kind=hit.kind.value,
            checkpoint_id=last.checkpoint_id if i is not None else None,
            lon=alert.last_lon,
            lat=alert.last_lat,
            title=alert.title,
            match_kind=hit.match_kind,
            next_checkpoint_ids=nexts,
            next_checkpoints=ahead,
            told_unit_paths=list(told.values()),
            unit_path=unit_path,
        ),
    )
    return Outcome(alert.id, True, alert.hit_count)


def _site(sites: CheckpointSites, checkpoint_id: int) -> dict[str, Any]:
    i = sites.index(checkpoint_id)
    assert i is not None
    return {
        "id": checkpoint_id,
        "name": sites.names[i],
        "lon": float(sites.lon[i]),
        "lat": float(sites.lat[i]),
    }


def _tell_units(
    db: Session, alert: Alert, sites: CheckpointSites, unit_path: str, nexts: list[int]
) -> dict[int, str]:
    """Notify the checkpoint's unit once (its members, and the command centres above it) and,
    person by person, the members of the next checkpoints' units (so a centre above them is not
    told the same alert again); record every unit as one of the alert's units. Returns the
    units told (id → path)."""
    targets: dict[int, str] = {alert.unit_id: unit_path}
    for checkpoint_id in nexts:
        j = sites.index(checkpoint_id)
        if j is not None:
            targets.setdefault(sites.unit_ids[j], sites.unit_paths[j])
    level = "danger" if alert.kind != AlertKind.restriction else "warning"
    title = f"预警：{alert.plate_no} {ALERT_KIND_LABELS[alert.kind]}"
    link = f"/checkpoint/alerts/{alert.id}"
    for unit_id in targets:
        db.add(AlertUnit(alert_id=alert.id, unit_id=unit_id))
    notify_in(
        db,
        title=title,
        body=alert.title,
        link=link,
        unit_path=unit_path,
        level=level,
        kind="checkpoint_alert",
    )
    ahead = [path for unit_id, path in targets.items() if unit_id != alert.unit_id]
    for user_id, path in _members(db, ahead):
        notify_in(
            db,
            title=title,
            body=alert.title + "（车辆可能驶向本辖区卡口，请前出拦截）",
            link=link,
            unit_path=path,
            user_id=user_id,
            level=level,
            kind="checkpoint_alert",
        )
    return targets


def _members(db: Session, unit_paths: list[str]) -> list[tuple[int, str]]:
    """Active people (not devices) in these units' subtrees, with their unit path."""
    if not unit_paths:
        return []
    inside = or_(*(OrgUnit.path.startswith(p, autoescape=True) for p in unit_paths))
    stmt = (
        select(User.id, OrgUnit.path)
        .join(OrgUnit, OrgUnit.id == User.unit_id)
        .where(inside, User.is_active.is_(True), User.kind != UserKind.device)
        .order_by(User.id)
        .limit(MAX_TOLD)
    )
    return [(int(user_id), str(path)) for user_id, path in db.execute(stmt)]


def _local(value: dt.datetime) -> str:
    return value.astimezone(workorders.BEIJING).strftime("%m-%d %H:%M:%S")


def raise_hits(
    db: Session, sites: CheckpointSites, hits: Sequence[Hit], now: dt.datetime | None = None
) -> list[Outcome]:
    """Raise or group a batch of hits. The session does not flush before each look-up (the
    pending sightings and updates go to the database together at commit, a few statements
    instead of a few per hit); the alerts touched earlier in the batch are found in `opened`."""
    opened: dict[str, Alert] = {}
    with db.no_autoflush:
        return [raise_hit(db, sites, hit, now, opened) for hit in hits]


# --- reading ---------------------------------------------------------------------------------


def visible_clause(principal: Principal) -> ColumnElement[bool]:
    """Alerts told to a unit in the principal's subtree or above it (like notifications)."""
    told = (
        select(AlertUnit.alert_id)
        .join(OrgUnit, OrgUnit.id == AlertUnit.unit_id)
        .where(
            or_(
                OrgUnit.path.startswith(principal.unit_path, autoescape=True),
                OrgUnit.path.in_(ancestor_paths(principal.unit_path)),
            )
        )
    )
    return Alert.id.in_(told)


def get_alert(db: Session, principal: Principal, alert_id: int) -> Alert:
    stmt = (
        select(Alert)
        .where(Alert.id == alert_id, visible_clause(principal))
        .options(
            selectinload(Alert.sightings).selectinload(AlertSighting.checkpoint),
            selectinload(Alert.work_order),
        )
    )
    alert = db.scalar(stmt)
    if alert is None:
        raise NotFound("预警不存在或不在数据权限范围内", ["path", "alert_id"])
    return alert


@dataclass(frozen=True)
class AlertQuery:
    kind: AlertKind | None = None
    state: str = "open"  # open / done / all
    plate: str | None = None
    result: AlertResult | None = None
    watch_id: int | None = None


def search(
    db: Session, principal: Principal, query: AlertQuery, *, offset: int = 0, limit: int = 50
) -> tuple[list[Alert], int]:
    stmt = select(Alert).where(visible_clause(principal))
    if query.kind is not None:
        stmt = stmt.where(Alert.kind == query.kind)
    if query.result is not None:
        stmt = stmt.where(Alert.result == query.result)
    if query.watch_id is not None:
        stmt = stmt.where(Alert.watch_id == query.watch_id)
    if query.plate:
        stmt = stmt.where(Alert.plate_no.contains(query.plate.upper(), autoescape=True))
    if query.state != "all":
        done = exists().where(WorkOrder.id == Alert.work_order_id, WorkOrder.status.not_in(OPEN))
        stmt = stmt.where(done if query.state == "done" else ~done)
    total = db.scalar(select(func.count()).select_from(stmt.subquery())) or 0
    rows = db.scalars(
        stmt.options(selectinload(Alert.work_order))
        .order_by(Alert.last_seen_at.desc(), Alert.id.desc())
        .offset(offset)
        .limit(limit)
    )
    return list(rows), total


def geojson(db: Session, principal: Principal, *, since: dt.datetime) -> dict[str, Any]:
    """Open alerts seen since `since`, at their last sighting (for the one map)."""
    rows, _total = search(db, principal, AlertQuery(state="open"), limit=500)
    features = [
        {
            "type": "Feature",
            "geometry": {"type": "Point", "coordinates": [a.last_lon, a.last_lat]},
            "properties": {
                "id": a.id,
                "title": a.title,
                "号牌": a.plate_no,
                "类型": ALERT_KIND_LABELS[a.kind],
                "比中次数": a.hit_count,
                "最近比中": _local(a.last_seen_at),
                "状态": status_label(a),
                "_color": "#f59f00" if a.kind == AlertKind.restriction else "#c2255c",
                "_radius": 8,
            },
        }
        for a in rows
        if a.last_lon is not None and a.last_lat is not None and a.last_seen_at >= since
    ]
    return {"type": "FeatureCollection", "features": features}


def status_label(alert: Alert) -> str:
    order = alert.work_order
    return ALERT_STATUS_LABELS[order.status] if order is not None else "待处置"


def allowed_actions(principal: Principal, alert: Alert) -> list[str]:
    """sign / report / review, from what the work order allows this principal."""
    order = alert.work_order
    if order is None:
        return []
    actions = workorders.allowed_actions(principal, order)
    mapping = {"accept": "sign", "feedback": "report", "approve": "review"}
    return [mapping[a] for a in actions if a in mapping]


# --- handling ----------------------------------------------------------------------------------


def _order_of(db: Session, principal: Principal, alert: Alert) -> WorkOrder:
    """The alert's interception order, when the principal's side handles or reviews it: units
    told only to look out (the next checkpoints') see the alert but do not act on the order."""
    order = alert.work_order
    if order is None:
        raise Conflict("该预警没有拦截工单", ["path", "alert_id"])
    mine = select(WorkOrder.id).where(
        WorkOrder.id == order.id, workorders.visible_clause(principal)
    )
    if db.scalar(mine) is None:
        raise Forbidden(
            f"该预警的拦截工单由{order.assignee_unit.name}处置，本单位只需协查",
            ["path", "alert_id"],
        )
    return order


def sign(db: Session, principal: Principal, alert_id: int) -> Alert:
    """签收: the interception work order is accepted."""
    alert = get_alert(db, principal, alert_id)
    workorders.accept(db, principal, _order_of(db, principal, alert).id)
    audit(db, principal, "sign", "alert", alert.id, detail={"plate": alert.plate_no})
    db.refresh(alert)
    return alert


def report(
    db: Session, principal: Principal, alert_id: int, *, result: AlertResult, note: str = ""
) -> Alert:
    """反馈拦截结果: intercepted / not found / false hit (a false hit needs its reason)."""
    alert = get_alert(db, principal, alert_id)
    note = (note or "").strip()
    if result == AlertResult.false_hit and len(note) < 2:
        raise Invalid("误报须说明原因（至少 2 个字）", ["body", "note"])
    if len(note) > 1000:
        raise Invalid("说明不能超过 1000 个字", ["body", "note"])
    label = ALERT_RESULT_LABELS[result]
    text = f"拦截结果：{label}" + (f"。{note}" if note else "")
    workorders.feed_back(db, principal, _order_of(db, principal, alert).id, text=text)
    alert.result, alert.result_note, alert.result_at = result, note or None, utcnow()
    detail = {"plate": alert.plate_no, "result": result.value, "note": note}
    audit(db, principal, "report", "alert", alert.id, detail=detail)
    db.flush()
    db.refresh(alert)
    return alert


def review(
    db: Session, principal: Principal, alert_id: int, *, approve: bool, comment: str = ""
) -> Alert:
    """审核: approve closes the interception; reject sends it back for a new result."""
    alert = get_alert(db, principal, alert_id)
    order = _order_of(db, principal, alert)
    if approve:
        workorders.approve(db, principal, order.id, comment=comment)
    else:
        workorders.reject(db, principal, order.id, reason=comment)
        alert.result = None
    detail = {"plate": alert.plate_no, "approve": approve, "comment": comment}
    audit(db, principal, "review", "alert", alert.id, detail=detail)
    db.flush()
    db.refresh(alert)
    return alert


STATUS_OF_ORDER = STATUS_LABELS  # re-exported for templates that show the raw order status
