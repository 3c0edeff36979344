"""Command logic: intake with address matching and duplicate check, two-level command rules,
routing (escalation / reassignment), merge, dispatch, the officer's steps, arrival detection,
reminders and manual officer status.

Every step writes the timeline, the audit entry, a `command.*` event and the notifications in the
caller's transaction. State changes use conditional UPDATEs, so two people acting at once cannot
both succeed (the loser gets a 409 in Chinese).
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass
from typing import Any, cast

from sqlalchemy import ColumnElement, CursorResult, exists, func, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from jiaoguan.command import events as ev
from jiaoguan.command.live import note_status
from jiaoguan.command.models import (
    BUSY,
    COMMAND_LEVEL_LABELS,
    DISPATCH_STATE_LABELS,
    FINISHED_STATES,
    INCIDENT_STATE_LABELS,
    KIND_LABELS,
    LIVE_DISPATCH,
    OFFICER_STATUS_LABELS,
    CommandLevel,
    CommandRule,
    DispatchState,
    Incident,
    IncidentCounter,
    IncidentDispatch,
    IncidentKind,
    IncidentLog,
    IncidentSource,
    IncidentState,
    Officer,
    OfficerPosition,
    OfficerStatus,
)
from jiaoguan.geo.address.service import match_address
from jiaoguan.geo.areas import area_index_for
from jiaoguan.geo.coords import haversine_m
from jiaoguan.geo.models import AreaKind
from jiaoguan.platform.audit.labels import register_audit_labels
from jiaoguan.platform.audit.service import record
from jiaoguan.platform.auth.models import OrgUnit, OrgUnitKind
from jiaoguan.platform.auth.permissions import COMMAND_DISPATCH
from jiaoguan.platform.auth.service import Principal, scope_units
from jiaoguan.platform.db import utcnow
from jiaoguan.platform.errors import Conflict, Forbidden, Invalid, NotFound
from jiaoguan.platform.events import emit
from jiaoguan.platform.push.service import notify_in

BEIJING = dt.timezone(dt.timedelta(hours=8), "Asia/Shanghai")
SYSTEM_NAME = "系统"

# Duplicate check: same kind, this close and this near in time, still open.
DUPLICATE_RADIUS_M = 200.0
DUPLICATE_WINDOW = dt.timedelta(minutes=30)
# Arrival is detected when a fix lies this close to the scene (plus its accuracy, capped).
SCENE_RADIUS_M = 100.0
MAX_ACCURACY_BONUS_M = 50.0
# A position older than this is not trusted for dispatch (RecommendConfig.stale_after_s agrees).
STALE_AFTER_S = 120.0
# Without a matching rule: the brigade handles it (二级), with these limits.
DEFAULT_ACCEPT_LIMIT_S = 60
DEFAULT_ARRIVE_LIMIT_S = 900
# Reported times may be a little in the future (clock skew) but not more.
MAX_CLOCK_SKEW = dt.timedelta(minutes=2)

ACTION_LABELS: dict[str, str] = {
    "intake": "接警登记",
    "route": "调整指挥层级",
    "merge": "合并警情",
    "merged_in": "并入警情",
    "cancel": "撤销警情",
    "dispatch": "派警",
    "accept": "签收",
    "depart": "出警",
    "arrive": "到场",
    "handle": "处置完毕",
    "close": "反馈结束",
    "withdraw": "撤回派警",
    "remind": "超时提醒",
    "status": "变更警力状态",
}
register_audit_labels(
    resources={"incident": "警情", "incident_dispatch": "派警单", "officer": "警力"},
    actions={k: v for k, v in ACTION_LABELS.items() if k not in ("intake",)},
)

# The officer's steps: from which dispatch states each may start, where it leads, and what the
# officer's status becomes. "depart" may skip "accept" (one tap: 签收并出警).
STEP_FROM: dict[str, frozenset[DispatchState]] = {
    "accept": frozenset({DispatchState.dispatched}),
    "depart": frozenset({DispatchState.dispatched, DispatchState.accepted}),
    "arrive": frozenset({DispatchState.accepted, DispatchState.en_route}),
    "handle": frozenset({DispatchState.on_scene}),
    "close": frozenset({DispatchState.handled}),
}
STEP_TO: dict[str, DispatchState] = {
    "accept": DispatchState.accepted,
    "depart": DispatchState.en_route,
    "arrive": DispatchState.on_scene,
    "handle": DispatchState.handled,
    "close": DispatchState.closed,
}
STEP_OFFICER_STATUS: dict[str, OfficerStatus] = {
    "accept": OfficerStatus.dispatched,
    "depart": OfficerStatus.en_route,
    "arrive": OfficerStatus.on_scene,
    "handle": OfficerStatus.on_scene,
}
STEP_COLUMN: dict[str, str] = {
    "accept": "accepted_at",
    "depart": "departed_at",
    "arrive": "arrived_at",
    "handle": "handled_at",
    "close": "closed_at",
}
STEPS = tuple(STEP_FROM)

# Incident state from its dispatches: the furthest step any live officer reached.
_RANK = {
    DispatchState.dispatched: IncidentState.dispatched,
    DispatchState.accepted: IncidentState.accepted,
    DispatchState.en_route: IncidentState.en_route,
    DispatchState.on_scene: IncidentState.on_scene,
}
_ORDER = list(_RANK)


def derive_state(states: Iterable[DispatchState]) -> IncidentState:
    """received (nobody live), the furthest live step, handled (all done), closed (all closed)."""
    active = [s for s in states if s != DispatchState.cancelled]
    if not active:
        return IncidentState.received
    live = [s for s in active if s in LIVE_DISPATCH]
    if live:
        return _RANK[max(live, key=_ORDER.index)]
    if all(s == DispatchState.closed for s in active):
        return IncidentState.closed
    return IncidentState.handled


# --- small helpers -----------------------------------------------------------------------------


def _actor_name(actor: Principal | None) -> str:
    return actor.full_name if actor is not None else SYSTEM_NAME


def _updated(result: Any) -> int:
    return int(cast(CursorResult[Any], result).rowcount)


def next_number(db: Session, now: dt.datetime) -> str:
    """JQ<Beijing date>-<sequence of that day>, from one atomic upsert (safe across processes)."""
    day = now.astimezone(BEIJING).strftime("%Y%m%d")
    dialect = db.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    stmt = (
        insert(IncidentCounter)
        .values(day=day, value=1)
        .on_conflict_do_update(
            index_elements=[IncidentCounter.day], set_={"value": IncidentCounter.value + 1}
        )
        .returning(IncidentCounter.value)
    )
    return f"JQ{day}-{db.execute(stmt).scalar_one():04d}"


def _event_fields(incident: Incident, actor: Principal | None) -> dict[str, Any]:
    return {
        "incident_id": incident.id,
        "number": incident.number,
        "kind": incident.kind.value,
        "level": incident.level,
        "state": incident.state.value,
        "command_level": incident.command_level.value,
        "handling_unit_id": incident.handling_unit_id,
        "area_unit_id": incident.area_unit_id,
        "actor_user_id": actor.user_id if actor is not None else None,
        "unit_path": incident.handling_unit.path,
    }


def _log(
    db: Session,
    actor: Principal | None,
    incident: Incident,
    action: str,
    text: str,
    *,
    now: dt.datetime,
    dispatch: IncidentDispatch | None = None,
    detail: dict[str, Any] | None = None,
    resource: tuple[str, int] | None = None,
) -> None:
    """Timeline entry plus audit entry of one step."""
    db.add(
        IncidentLog(
            incident_id=incident.id,
            dispatch_id=dispatch.id if dispatch is not None else None,
            at=now,
            actor_user_id=actor.user_id if actor is not None else None,
            actor_name=_actor_name(actor),
            action=action,
            text=text,
            detail=detail or {},
        )
    )
    kind, ref = resource or ("incident", incident.id)
    audit = {"number": incident.number, "text": text, **(detail or {})}
    record(db, actor, action, kind, ref, detail=audit)


def _dispatch_step(
    db: Session,
    actor: Principal | None,
    row: IncidentDispatch,
    action: str,
    text: str,
    event: type[ev.DispatchEvent],
    *,
    now: dt.datetime,
    **fields: Any,
) -> None:
    """One step of one officer's dispatch: timeline and audit entry, and its event."""
    incident = row.incident
    _log(
        db, actor, incident, action, text, now=now, dispatch=row,
        resource=("incident_dispatch", row.id),
    )  # fmt: skip
    emit(
        db,
        event(
            **_event_fields(incident, actor),
            dispatch_id=row.id,
            officer_id=row.officer_id,
            dispatch_state=row.state.value,
            at=now,
            **fields,
        ),
    )


def _notify_centres(
    db: Session, incident: Incident, title: str, body: str, level: str = "info"
) -> None:
    """The handling centre, and the area's brigade when the detachment handles it (一级 → 大队);
    only their dispatch desks (the officers of a brigade are told about their own dispatches)."""
    area = incident.area_unit
    units = [incident.handling_unit]
    if area is not None and area.id != incident.handling_unit_id:
        units.append(area)
    for unit in units:
        notify_in(
            db,
            title=title,
            body=body,
            link=f"/command/incidents/{incident.id}",
            unit_path=unit.path,
            level=level,
            kind="command",
            permission=COMMAND_DISPATCH,
        )


def _notify_officer(
    db: Session, officer: Officer, title: str, body: str, level: str = "info"
) -> None:
    if officer.user_id is None:
        return
    notify_in(
        db,
        title=title,
        body=body,
        link="/m/officer",
        unit_path=officer.unit.path,
        user_id=officer.user_id,
        level=level,
        kind="command",
    )


def _aware(value: dt.datetime, field: str) -> dt.datetime:
    if value.tzinfo is None:
        raise Invalid("时间须带时区", ["body", field])
    return value.astimezone(dt.UTC)


# --- visibility --------------------------------------------------------------------------------


def visible_clause(principal: Principal) -> ColumnElement[bool]:
    """Incidents the principal sees: handled or located in the scope, created by him, or sent to
    him (an officer sees the incidents he was dispatched to, wherever they are)."""
    units = scope_units(principal)
    mine = exists().where(
        IncidentDispatch.incident_id == Incident.id,
        IncidentDispatch.officer_id == Officer.id,
        Officer.user_id == principal.user_id,
    )
    return or_(
        Incident.handling_unit_id.in_(units),
        Incident.area_unit_id.in_(units),
        Incident.created_by_user_id == principal.user_id,
        mine,
    )


def get_incident(db: Session, principal: Principal | None, incident_id: int) -> Incident:
    stmt = select(Incident).where(Incident.id == incident_id)
    if principal is not None:
        stmt = stmt.where(visible_clause(principal))
    incident = db.scalar(stmt)
    if incident is None:
        raise NotFound("警情不存在或不在数据权限范围内", ["path", "incident_id"])
    return incident


def _commands(principal: Principal, incident: Incident) -> bool:
    """May dispatch, route, merge, cancel: a dispatcher whose scope holds the handling centre, or
    the area's brigade (it is told about detachment incidents and may act on them)."""
    if not principal.can(COMMAND_DISPATCH):
        return False
    area = incident.area_unit
    return principal.sees_path(incident.handling_unit.path) or (
        area is not None and principal.sees_path(area.path)
    )


def _require_command(principal: Principal, incident: Incident, what: str) -> None:
    if not _commands(principal, incident):
        raise Forbidden(f"无权{what}此警情（不在指挥范围内）", ["path", "incident_id"])
    if incident.state in FINISHED_STATES:
        label = INCIDENT_STATE_LABELS[incident.state]
        raise Conflict(f"警情{label}，不能{what}", ["path", "incident_id"])


@dataclass(frozen=True)
class IncidentQuery:
    state: tuple[IncidentState, ...] = ()
    kind: tuple[IncidentKind, ...] = ()
    source: IncidentSource | None = None
    level: int | None = None
    command_level: CommandLevel | None = None
    unit_id: int | None = None
    since: dt.datetime | None = None
    until: dt.datetime | None = None
    q: str | None = None
    open_only: bool = False


def search(
    db: Session, principal: Principal, query: IncidentQuery, *, offset: int = 0, limit: int = 50
) -> tuple[list[Incident], int]:
    stmt = select(Incident).where(visible_clause(principal))
    if query.state:
        stmt = stmt.where(Incident.state.in_(query.state))
    if query.open_only:
        stmt = stmt.where(Incident.state.not_in(FINISHED_STATES))
    if query.kind:
        stmt = stmt.where(Incident.kind.in_(query.kind))
    if query.source is not None:
        stmt = stmt.where(Incident.source == query.source)
    if query.level is not None:
        stmt = stmt.where(Incident.level >= query.level)
    if query.command_level is not None:
        stmt = stmt.where(Incident.command_level == query.command_level)
    if query.unit_id is not None:
        unit = db.get(OrgUnit, query.unit_id)
        if unit is None or not principal.sees_path(unit.path):
            raise NotFound("组织机构不存在或不在数据权限范围内", ["query", "unit"])
        subtree = select(OrgUnit.id).where(OrgUnit.path.startswith(unit.path, autoescape=True))
        stmt = stmt.where(
            or_(Incident.handling_unit_id.in_(subtree), Incident.area_unit_id.in_(subtree))
        )
    if query.since is not None:
        stmt = stmt.where(Incident.reported_at >= query.since)
    if query.until is not None:
        stmt = stmt.where(Incident.reported_at < query.until)
    if query.q:
        like = f"%{query.q}%"
        stmt = stmt.where(
            or_(Incident.number.like(like), Incident.place.like(like), Incident.summary.like(like))
        )
    total = db.scalar(select(func.count()).select_from(stmt.subquery())) or 0
    rows = db.scalars(
        stmt.order_by(Incident.reported_at.desc(), Incident.id.desc()).offset(offset).limit(limit)
    )
    return list(rows), total


# --- rules and routing -------------------------------------------------------------------------


def _area_brigade(db: Session, lon: float, lat: float) -> OrgUnit | None:
    """The brigade whose area holds the point (areas drawn by geo), if any."""
    for area in area_index_for(db).lookup(lon, lat, AreaKind.brigade_area):
        if area.org_unit_id is not None:
            unit = db.get(OrgUnit, area.org_unit_id)
            if unit is not None:
                return unit
    return None


def _detachment_of(db: Session, unit: OrgUnit | None, principal: Principal | None) -> OrgUnit:
    """The detachment above `unit` (or above the principal's unit; or the root)."""
    start = unit or (db.get(OrgUnit, principal.unit_id) if principal is not None else None)
    path = start.path if start is not None else "/"
    ids = [int(p) for p in path.split("/") if p]
    for unit_id in ids:
        found = db.get(OrgUnit, unit_id)
        if found is not None and found.kind == OrgUnitKind.detachment:
            return found
    root = db.scalar(select(OrgUnit).where(OrgUnit.parent_id.is_(None)).order_by(OrgUnit.id))
    if root is None:
        raise Conflict("尚未建立组织机构", [])
    return root


def match_rule(
    db: Session, kind: IncidentKind, level: int, area: OrgUnit | None
) -> CommandRule | None:
    """The enabled rule with the lowest priority whose conditions all hold."""
    rules = db.scalars(
        select(CommandRule)
        .where(CommandRule.enabled.is_(True))
        .order_by(CommandRule.priority, CommandRule.id)
    )
    for rule in rules:
        if rule.kind is not None and rule.kind != kind:
            continue
        if rule.min_level is not None and level < rule.min_level:
            continue
        if rule.area_unit_id is not None:
            rule_unit = rule.area_unit
            if area is None or rule_unit is None or not area.path.startswith(rule_unit.path):
                continue
        return rule
    return None


@dataclass(frozen=True)
class Routing:
    command_level: CommandLevel
    handling_unit: OrgUnit
    rule: CommandRule | None
    accept_limit_s: int
    arrive_limit_s: int


def route_for(
    db: Session,
    kind: IncidentKind,
    level: int,
    area: OrgUnit | None,
    principal: Principal | None,
) -> Routing:
    rule = match_rule(db, kind, level, area)
    command_level = rule.command_level if rule is not None else CommandLevel.brigade
    # A brigade incident outside every brigade area has no sub-centre: the detachment takes it.
    if command_level == CommandLevel.brigade and area is not None:
        unit = area
    else:
        unit = _detachment_of(db, area, principal)
        command_level = CommandLevel.detachment
    return Routing(
        command_level,
        unit,
        rule,
        rule.accept_limit_s if rule is not None else DEFAULT_ACCEPT_LIMIT_S,
        rule.arrive_limit_s if rule is not None else DEFAULT_ARRIVE_LIMIT_S,
    )


# --- intake ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class IntakeData:
    source: IncidentSource
    kind: IncidentKind
    place: str
    level: int = 1
    lon: float | None = None
    lat: float | None = None
    address_id: int | None = None
    summary: str = ""
    reporter_name: str | None = None
    reporter_phone: str | None = None
    reported_at: dt.datetime | None = None


def _locate(
    db: Session, principal: Principal | None, data: IntakeData
) -> tuple[float, float, int | None]:
    """Coordinates from the map pick, else from the address matcher (a unique match only)."""
    if (data.lon is None) != (data.lat is None):
        raise Invalid("经度和纬度须同时填写", ["body", "lon" if data.lon is None else "lat"])
    if data.lon is not None and data.lat is not None:
        if not (-180 <= data.lon <= 180 and -90 <= data.lat <= 90):
            raise Invalid("坐标超出范围（经度 −180–180，纬度 −90–90）", ["body", "lon"])
        return data.lon, data.lat, data.address_id
    if principal is None:
        raise Invalid("系统接入的警情须带坐标", ["body", "lon"])
    result = match_address(db, principal, data.place, None)
    best = result.best
    if best is None or best.lon is None or best.lat is None:
        if result.ambiguous:
            options = "；".join(c.text for c in result.ambiguous[:3])
            raise Invalid(
                f"地址有歧义（{options}），请选择候选或在地图上点选位置", ["body", "place"]
            )
        raise Invalid("未能匹配到该地址，请补充路名门牌或在地图上点选位置", ["body", "place"])
    return best.lon, best.lat, best.address_id or data.address_id


def find_duplicates(
    db: Session,
    *,
    kind: IncidentKind,
    lon: float,
    lat: float,
    at: dt.datetime,
    exclude_id: int | None = None,
) -> list[Incident]:
    """Open incidents of the same kind within DUPLICATE_RADIUS_M and DUPLICATE_WINDOW."""
    dlat = DUPLICATE_RADIUS_M / 111_195
    dlon = dlat / max(math.cos(math.radians(lat)), 0.01)
    stmt = select(Incident).where(
        Incident.kind == kind,
        Incident.state.not_in(FINISHED_STATES),
        Incident.reported_at >= at - DUPLICATE_WINDOW,
        Incident.reported_at <= at + DUPLICATE_WINDOW,
        Incident.lon.between(lon - dlon, lon + dlon),
        Incident.lat.between(lat - dlat, lat + dlat),
    )
    if exclude_id is not None:
        stmt = stmt.where(Incident.id != exclude_id)
    found = [
        i
        for i in db.scalars(stmt.order_by(Incident.reported_at))
        if haversine_m(lon, lat, i.lon, i.lat) <= DUPLICATE_RADIUS_M
    ]
    return found


def intake(
    db: Session, principal: Principal | None, data: IntakeData, *, now: dt.datetime | None = None
) -> tuple[Incident, list[Incident]]:
    """Register an incident; returns it with the open incidents it may duplicate (merge is the
    dispatcher's call: two crashes at one junction are possible). `principal` None: the system
    (an incident requested over the bus by video analytics or a detector)."""
    now = now or utcnow()
    reported = _aware(data.reported_at, "reported_at") if data.reported_at else now
    if reported > now + MAX_CLOCK_SKEW:
        raise Invalid("报警时间不能晚于当前时间", ["body", "reported_at"])
    if not 1 <= data.level <= 4:
        raise Invalid("警情等级应为 1–4", ["body", "level"])
    lon, lat, address_id = _locate(db, principal, data)
    area = _area_brigade(db, lon, lat)
    routing = route_for(db, data.kind, data.level, area, principal)
    incident = Incident(
        number=next_number(db, now),
        source=data.source,
        kind=data.kind,
        level=data.level,
        summary=data.summary,
        place=data.place,
        lon=lon,
        lat=lat,
        address_id=address_id,
        reporter_name=data.reporter_name,
        reporter_phone=data.reporter_phone,
        area_unit_id=area.id if area is not None else None,
        command_level=routing.command_level,
        handling_unit_id=routing.handling_unit.id,
        rule_id=routing.rule.id if routing.rule is not None else None,
        state=IncidentState.received,
        reported_at=reported,
        created_by_user_id=principal.user_id if principal is not None else None,
        accept_limit_s=routing.accept_limit_s,
        arrive_limit_s=routing.arrive_limit_s,
    )
    db.add(incident)
    db.flush()
    db.refresh(incident, ["handling_unit", "area_unit"])
    duplicates = find_duplicates(
        db, kind=data.kind, lon=lon, lat=lat, at=reported, exclude_id=incident.id
    )
    rule_text = f"（规则：{routing.rule.name}）" if routing.rule is not None else "（默认规则）"
    text = (
        f"{KIND_LABELS[data.kind]}，{data.place}；"
        f"{COMMAND_LEVEL_LABELS[routing.command_level]}，由{routing.handling_unit.name}处置"
        f"{rule_text}"
    )
    if duplicates:
        text += f"；疑似重复：{'、'.join(d.number for d in duplicates)}"
    _log(db, principal, incident, "intake", text, now=now)
    emit(
        db,
        ev.IncidentReported(
            **_event_fields(incident, principal),
            source=incident.source.value,
            lon=lon,
            lat=lat,
            place=incident.place,
            duplicates=[d.id for d in duplicates],
        ),
    )
    level = "danger" if data.level >= 3 else "warning"
    _notify_centres(
        db, incident, f"新警情 {incident.number}：{KIND_LABELS[data.kind]}", data.place, level
    )
    return incident, duplicates


# --- routing, merge, cancel --------------------------------------------------------------------


def reroute(
    db: Session,
    principal: Principal,
    incident_id: int,
    *,
    command_level: CommandLevel,
    unit_id: int | None,
    reason: str,
    now: dt.datetime | None = None,
) -> Incident:
    """Escalate to the detachment (一级) or hand to a brigade (二级: the area's or a named one)."""
    now = now or utcnow()
    incident = get_incident(db, principal, incident_id)
    _require_command(principal, incident, "调整指挥层级")
    previous_level, previous_unit = incident.command_level, incident.handling_unit
    if command_level == CommandLevel.detachment:
        target = _detachment_of(db, incident.area_unit, principal)
    else:
        target_id = unit_id or incident.area_unit_id
        target_unit = db.get(OrgUnit, target_id) if target_id is not None else None
        if target_unit is None or target_unit.kind != OrgUnitKind.brigade:
            raise Invalid("请选择处置警情的大队", ["body", "unit_id"])
        target = target_unit
    if target.id == previous_unit.id and command_level == previous_level:
        raise Conflict(f"警情已由{target.name}处置", ["body", "unit_id"])
    incident.command_level = command_level
    incident.handling_unit_id = target.id
    db.flush()
    db.refresh(incident, ["handling_unit"])
    text = (
        f"{COMMAND_LEVEL_LABELS[previous_level]}（{previous_unit.name}）→ "
        f"{COMMAND_LEVEL_LABELS[command_level]}（{target.name}）：{reason}"
    )
    _log(db, principal, incident, "route", text, now=now, detail={"reason": reason})
    emit(
        db,
        ev.IncidentRouted(
            **_event_fields(incident, principal),
            previous_level=previous_level.value,
            previous_unit_id=previous_unit.id,
            reason=reason,
        ),
    )
    _notify_centres(
        db, incident, f"警情 {incident.number} 转由{target.name}处置", reason, "warning"
    )
    return incident


def _live(incident: Incident) -> list[IncidentDispatch]:
    return [d for d in incident.dispatches if d.state in LIVE_DISPATCH]


def merge(
    db: Session,
    principal: Principal,
    incident_id: int,
    *,
    into_id: int,
    reason: str,
    now: dt.datetime | None = None,
) -> Incident:
    """Fold a duplicate into another incident; officers already sent stay with the duplicate
    unless withdrawn first, so the merge is refused while any is live."""
    now = now or utcnow()
    if into_id == incident_id:
        raise Invalid("不能合并到自身", ["body", "into_id"])
    incident = get_incident(db, principal, incident_id)
    _require_command(principal, incident, "合并")
    try:
        target = get_incident(db, principal, into_id)
    except NotFound:
        raise NotFound("并入的警情不存在或不在数据权限范围内", ["body", "into_id"]) from None
    if target.state in FINISHED_STATES:
        label = INCIDENT_STATE_LABELS[target.state]
        raise Conflict(f"并入的警情{label}，请选择进行中的警情", ["body", "into_id"])
    if _live(incident):
        raise Conflict("该警情仍有出警中的警力，请先撤回派警再合并", ["path", "incident_id"])
    incident.state = IncidentState.merged
    incident.merged_into_id = target.id
    incident.closed_at = now
    _log(db, principal, incident, "merge", f"并入 {target.number}：{reason}", now=now)
    _log(
        db,
        principal,
        target,
        "merged_in",
        f"{incident.number} 并入本警情（{incident.place}）：{reason}",
        now=now,
    )
    emit(
        db,
        ev.IncidentMerged(**_event_fields(incident, principal), into_id=target.id, reason=reason),
    )
    return incident


def cancel_incident(
    db: Session,
    principal: Principal,
    incident_id: int,
    *,
    reason: str,
    now: dt.datetime | None = None,
) -> Incident:
    """无效警情 / 撤销: withdraws every live dispatch, frees the officers."""
    now = now or utcnow()
    incident = get_incident(db, principal, incident_id)
    _require_command(principal, incident, "撤销")
    for dispatch in _live(incident):
        _withdraw(db, principal, incident, dispatch, f"警情撤销：{reason}", now)
    incident.state = IncidentState.cancelled
    incident.closed_at = now
    _log(db, principal, incident, "cancel", reason, now=now)
    emit(db, ev.IncidentCancelled(**_event_fields(incident, principal), reason=reason))
    _notify_centres(db, incident, f"警情 {incident.number} 已撤销", reason)
    return incident


# --- officers ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Fix:
    lon: float
    lat: float
    at: dt.datetime
    accuracy_m: float | None


def latest_fix(db: Session, officer_id: int) -> Fix | None:
    """The newest stored fix (the unique (officer_id, at) index answers it)."""
    row = db.execute(
        select(
            OfficerPosition.lon, OfficerPosition.lat, OfficerPosition.at, OfficerPosition.accuracy_m
        )
        .where(OfficerPosition.officer_id == officer_id)
        .order_by(OfficerPosition.at.desc())
        .limit(1)
    ).first()
    return Fix(row[0], row[1], row[2], row[3]) if row is not None else None


def latest_fixes(db: Session, officer_ids: Collection[int]) -> dict[int, Fix]:
    if not officer_ids:
        return {}
    newest = (
        select(OfficerPosition.officer_id, func.max(OfficerPosition.at).label("at"))
        .where(OfficerPosition.officer_id.in_(list(officer_ids)))
        .group_by(OfficerPosition.officer_id)
        .subquery()
    )
    rows = db.execute(
        select(
            OfficerPosition.officer_id,
            OfficerPosition.lon,
            OfficerPosition.lat,
            OfficerPosition.at,
            OfficerPosition.accuracy_m,
        ).join(
            newest,
            (OfficerPosition.officer_id == newest.c.officer_id)
            & (OfficerPosition.at == newest.c.at),
        )
    )
    return {int(r[0]): Fix(r[1], r[2], r[3], r[4]) for r in rows}


def officer_in_scope(
    db: Session, principal: Principal, officer_id: int, field: Sequence[str | int]
) -> Officer:
    officer = db.get(Officer, officer_id)
    if officer is None or not principal.sees_path(officer.unit.path):
        raise NotFound("警力不存在或不在数据权限范围内", field)
    return officer


def officer_of_user(db: Session, user_id: int) -> Officer | None:
    return db.scalar(select(Officer).where(Officer.user_id == user_id))


def _set_status(
    db: Session, officer: Officer, status: OfficerStatus, now: dt.datetime
) -> OfficerStatus:
    previous = officer.status
    if previous == status:
        return previous
    officer.status = status
    officer.status_at = now
    note_status(db, officer)
    emit(
        db,
        ev.OfficerStatusChanged(
            officer_id=officer.id,
            status=status.value,
            previous=previous.value,
            unit_path=officer.unit.path,
        ),
    )
    return previous


def _free_status(db: Session, officer: Officer, except_dispatch: int | None) -> OfficerStatus:
    """What the officer becomes when a dispatch ends: still busy if another one is live."""
    others = db.scalar(
        select(func.count(IncidentDispatch.id)).where(
            IncidentDispatch.officer_id == officer.id,
            IncidentDispatch.state.in_(LIVE_DISPATCH),
            IncidentDispatch.id != (except_dispatch or 0),
        )
    )
    return OfficerStatus.dispatched if others else OfficerStatus.available


def set_officer_status(
    db: Session,
    principal: Principal,
    officer: Officer,
    status: OfficerStatus,
    *,
    now: dt.datetime | None = None,
) -> Officer:
    """Manual status (on/off duty, available); the dispatch statuses belong to the dispatch steps."""
    now = now or utcnow()
    if status in BUSY:
        raise Invalid("出警状态由派警流程自动变更，不能手工设置", ["body", "status"])
    live = db.scalar(
        select(func.count(IncidentDispatch.id)).where(
            IncidentDispatch.officer_id == officer.id, IncidentDispatch.state.in_(LIVE_DISPATCH)
        )
    )
    if live:
        raise Conflict(
            f"{officer.name} 正在出警，须先完成或撤回派警才能变更状态", ["body", "status"]
        )
    previous = _set_status(db, officer, status, now)
    record(
        db,
        principal,
        "status",
        "officer",
        officer.id,
        detail={"code": officer.code, "from": previous.value, "to": status.value},
    )
    return officer


# --- dispatch ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Pick:
    officer_id: int
    note: str = ""
    eta_s: float | None = None
    distance_m: float | None = None


def _refusal(
    db: Session,
    officer: Officer,
    fix: Fix | None,
    *,
    now: dt.datetime,
    override: bool,
    stale_after_s: float,
) -> str | None:
    """Why this officer may not be sent now (None: he may)."""
    who = f"{officer.name}（{officer.code}）"
    if officer.status == OfficerStatus.off_duty:
        return f"{who}不在岗，不能派警"
    if officer.status in BUSY:
        busy_on = db.scalar(
            select(Incident.number)
            .join(IncidentDispatch, IncidentDispatch.incident_id == Incident.id)
            .where(
                IncidentDispatch.officer_id == officer.id,
                IncidentDispatch.state.in_(LIVE_DISPATCH),
            )
            .limit(1)
        )
        label = OFFICER_STATUS_LABELS[officer.status]
        return f"{who}{label}，正在处置警情 {busy_on or ''}，不能重复派警".replace(" ，", "，")
    if override:
        return None
    if officer.status == OfficerStatus.on_duty:
        return f"{who}正在执勤（岗位或其他任务），如确需调派请填写调派理由"
    if fix is None:
        return f"{who}没有定位，位置不可信；如已电话确认请填写调派理由"
    age = (now - fix.at).total_seconds()
    if age > stale_after_s:
        return f"{who}定位已超时 {math.ceil(age / 60)} 分钟，位置不可信；如已电话确认请填写调派理由"
    return None


def dispatch(
    db: Session,
    principal: Principal,
    incident_id: int,
    picks: Sequence[Pick],
    *,
    override_reason: str | None = None,
    now: dt.datetime | None = None,
    stale_after_s: float = STALE_AFTER_S,
) -> list[IncidentDispatch]:
    """Send one or more officers; all or none (every refusal is named in one message)."""
    now = now or utcnow()
    incident = get_incident(db, principal, incident_id)
    _require_command(principal, incident, "派警")
    ids = [p.officer_id for p in picks]
    if len(set(ids)) != len(ids):
        raise Invalid("同一警力不能重复选择", ["body", "officers"])
    on_it = {d.officer_id for d in _live(incident)}
    officers = [
        officer_in_scope(db, principal, p.officer_id, ["body", "officers", i, "officer_id"])
        for i, p in enumerate(picks)
    ]
    fixes = latest_fixes(db, ids)
    refusals: list[str] = []
    for officer in officers:
        if officer.id in on_it:
            refusals.append(f"{officer.name}（{officer.code}）已派往本警情")
            continue
        why = _refusal(
            db,
            officer,
            fixes.get(officer.id),
            now=now,
            override=bool(override_reason),
            stale_after_s=stale_after_s,
        )
        if why:
            refusals.append(why)
    if refusals:
        raise Conflict("；".join(refusals), ["body", "officers"])
    created: list[IncidentDispatch] = []
    for pick, officer in zip(picks, officers, strict=True):
        # Claim the officer only if nobody sent him meanwhile.
        claimed = db.execute(
            update(Officer)
            .where(Officer.id == officer.id, Officer.status.not_in(BUSY | {OfficerStatus.off_duty}))
            .values(status=OfficerStatus.dispatched, status_at=now)
            .execution_options(synchronize_session=False)
        )
        if _updated(claimed) != 1:
            raise Conflict(
                f"{officer.name}（{officer.code}）刚被派往其他警情", ["body", "officers"]
            )
        previous = officer.status
        db.refresh(officer, ["status", "status_at"])
        note_status(db, officer)
        emit(
            db,
            ev.OfficerStatusChanged(
                officer_id=officer.id,
                status=OfficerStatus.dispatched.value,
                previous=previous.value,
                unit_path=officer.unit.path,
            ),
        )
        note = pick.note
        if override_reason:
            note = (
                f"{note}（调派理由：{override_reason}）" if note else f"调派理由：{override_reason}"
            )
        row = IncidentDispatch(
            incident_id=incident.id,
            officer_id=officer.id,
            state=DispatchState.dispatched,
            dispatched_by_user_id=principal.user_id,
            note=note[:500],
            eta_s=pick.eta_s,
            distance_m=pick.distance_m,
            dispatched_at=now,
            arrived_auto=False,
        )
        db.add(row)
        db.flush()
        created.append(row)
    db.refresh(incident, ["dispatches"])
    _refresh_state(incident, now)
    for row, officer in zip(created, officers, strict=True):
        eta = f"，预计 {_minutes(row.eta_s)} 到达" if row.eta_s is not None else ""
        text = f"派 {officer.name}（{officer.code}）{eta}" + (f"：{row.note}" if row.note else "")
        _dispatch_step(
            db, principal, row, "dispatch", text, ev.OfficerDispatched, now=now, eta_s=row.eta_s
        )
        _notify_officer(
            db,
            officer,
            f"派警：{KIND_LABELS[incident.kind]} {incident.number}",
            f"{incident.place}。请立即签收。",
            "danger",
        )
    return created


def _minutes(seconds: float | None) -> str:
    if seconds is None:
        return "—"
    minutes, rest = divmod(round(seconds), 60)
    return f"{minutes}分{rest:02d}秒" if minutes else f"{rest}秒"


def _refresh_state(incident: Incident, now: dt.datetime) -> None:
    """Derive the incident's state and first-step milestones from its dispatches."""
    if incident.state in (IncidentState.cancelled, IncidentState.merged):
        return
    rows = [d for d in incident.dispatches if d.state != DispatchState.cancelled]
    incident.state = derive_state(d.state for d in incident.dispatches)

    def first(values: Iterable[dt.datetime | None]) -> dt.datetime | None:
        present = [v for v in values if v is not None]
        return min(present) if present else None

    incident.dispatched_at = first(d.dispatched_at for d in rows)
    incident.accepted_at = first(d.accepted_at for d in rows)
    incident.arrived_at = first(d.arrived_at for d in rows)
    if incident.state in (IncidentState.handled, IncidentState.closed):
        incident.handled_at = max(d.handled_at or now for d in rows)
    else:
        incident.handled_at = None
    incident.closed_at = now if incident.state == IncidentState.closed else None


def get_dispatch(db: Session, dispatch_id: int) -> IncidentDispatch:
    row = db.get(IncidentDispatch, dispatch_id)
    if row is None:
        raise NotFound("派警单不存在", ["path", "dispatch_id"])
    return row


def _acts_for(principal: Principal | None, dispatch: IncidentDispatch) -> bool:
    """The officer himself, or a dispatcher in charge (reporting on the officer's behalf)."""
    if principal is None:
        return True
    if dispatch.officer.user_id == principal.user_id:
        return True
    return _commands(principal, dispatch.incident)


def allowed_steps(principal: Principal, dispatch: IncidentDispatch) -> list[str]:
    if dispatch.officer.user_id != principal.user_id:
        return []
    return [s for s in STEPS if dispatch.state in STEP_FROM[s]]


def step(
    db: Session,
    principal: Principal | None,
    dispatch_id: int,
    action: str,
    *,
    result: str | None = None,
    auto: bool = False,
    now: dt.datetime | None = None,
) -> IncidentDispatch:
    """accept → depart → arrive → handle (result) → close; `principal` None is the system
    (arrival detected from positions)."""
    now = now or utcnow()
    if action not in STEP_FROM:
        raise Invalid("未知的出警步骤", ["path", "action"])
    row = db.get(IncidentDispatch, dispatch_id)
    if row is None or (principal is not None and not _acts_for(principal, row)):
        raise NotFound("派警单不存在或不是派给您的", ["path", "dispatch_id"])
    label = ACTION_LABELS[action]
    if row.state not in STEP_FROM[action]:
        current = DISPATCH_STATE_LABELS[row.state]
        raise Conflict(f"派警单当前为「{current}」，不能{label}", ["path", "dispatch_id"])
    if action == "handle" and not (result or "").strip():
        raise Invalid("请填写处置结果", ["body", "result"])
    values: dict[str, Any] = {"state": STEP_TO[action], STEP_COLUMN[action]: now}
    if action == "depart" and row.accepted_at is None:
        values["accepted_at"] = now  # one tap: 签收并出警
    if action == "arrive":
        values["arrived_auto"] = auto
    if action == "handle":
        values["result"] = (result or "").strip()
    if action == "close" and result:
        values["result"] = f"{row.result or ''}\n反馈：{result.strip()}".strip()
    moved = db.execute(
        update(IncidentDispatch)
        .where(IncidentDispatch.id == row.id, IncidentDispatch.state.in_(STEP_FROM[action]))
        .values(**values)
        .execution_options(synchronize_session=False)
    )
    if _updated(moved) != 1:
        raise Conflict(f"派警单状态已变化，不能{label}，请刷新", ["path", "dispatch_id"])
    db.refresh(row)
    officer = row.officer
    status = STEP_OFFICER_STATUS.get(action) or _free_status(db, officer, row.id)
    _set_status(db, officer, status, now)
    incident = row.incident
    db.refresh(incident, ["dispatches"])
    _refresh_state(incident, now)
    text = f"{officer.name}{label}"
    if action == "arrive":
        used = (now - row.dispatched_at).total_seconds()
        text += f"（{'定位自动确认' if auto else '手动确认'}，派警后 {_minutes(used)}）"
    if action == "handle":
        text += f"：{row.result}"
    if action == "close" and result:
        text += f"：{result.strip()}"
    _dispatch_step(
        db, principal, row, action, text, ev.DispatchStepped, now=now, step=action, auto=auto
    )
    level = "success" if action in ("arrive", "close") else "info"
    title = f"{incident.number} {officer.name}{label}"
    _notify_centres(db, incident, title, INCIDENT_STATE_LABELS[incident.state], level)
    if principal is None or principal.user_id != officer.user_id:
        _notify_officer(db, officer, title, incident.place, level)
    return row


def _withdraw(
    db: Session,
    principal: Principal,
    incident: Incident,
    row: IncidentDispatch,
    reason: str,
    now: dt.datetime,
) -> None:
    moved = db.execute(
        update(IncidentDispatch)
        .where(IncidentDispatch.id == row.id, IncidentDispatch.state.in_(LIVE_DISPATCH))
        .values(state=DispatchState.cancelled, cancelled_at=now, cancel_reason=reason[:500])
        .execution_options(synchronize_session=False)
    )
    if _updated(moved) != 1:
        raise Conflict("派警单状态已变化，不能撤回，请刷新", ["path", "dispatch_id"])
    db.refresh(row)
    officer = row.officer
    _set_status(db, officer, _free_status(db, officer, row.id), now)
    text = f"撤回 {officer.name}：{reason}"
    _dispatch_step(
        db, principal, row, "withdraw", text, ev.DispatchStepped, now=now, step="withdraw"
    )
    _notify_officer(db, officer, f"派警已撤回：{incident.number}", reason, "warning")


def withdraw(
    db: Session,
    principal: Principal,
    dispatch_id: int,
    *,
    reason: str,
    now: dt.datetime | None = None,
) -> IncidentDispatch:
    """Take an officer off an incident (改派: then dispatch another one)."""
    now = now or utcnow()
    row = get_dispatch(db, dispatch_id)
    incident = get_incident(db, principal, row.incident_id)
    _require_command(principal, incident, "撤回派警")
    if row.state not in LIVE_DISPATCH:
        current = DISPATCH_STATE_LABELS[row.state]
        raise Conflict(f"派警单当前为「{current}」，不能撤回", ["path", "dispatch_id"])
    _withdraw(db, principal, incident, row, reason, now)
    db.refresh(incident, ["dispatches"])
    _refresh_state(incident, now)
    return row


# --- arrival detection and reminders -----------------------------------------------------------


def detect_arrivals(
    db: Session, officer_ids: Collection[int], *, now: dt.datetime | None = None
) -> list[IncidentDispatch]:
    """After a position ingest: en-route (or accepted) dispatches of officers who moved, whose
    newest fix lies within the scene radius, are marked arrived (by the system)."""
    now = now or utcnow()
    if not officer_ids:
        return []
    rows = list(
        db.scalars(
            select(IncidentDispatch).where(
                IncidentDispatch.officer_id.in_(list(officer_ids)),
                IncidentDispatch.state.in_(STEP_FROM["arrive"]),
            )
        )
    )
    if not rows:
        return []
    fixes = latest_fixes(db, {r.officer_id for r in rows})
    arrived: list[IncidentDispatch] = []
    for row in rows:
        fix = fixes.get(row.officer_id)
        if fix is None or fix.at < row.dispatched_at:
            continue
        bonus = min(fix.accuracy_m or 0.0, MAX_ACCURACY_BONUS_M)
        incident = row.incident
        if haversine_m(fix.lon, fix.lat, incident.lon, incident.lat) <= SCENE_RADIUS_M + bonus:
            try:
                arrived.append(step(db, None, row.id, "arrive", auto=True, now=now))
            except Conflict:
                continue  # pressed by the officer meanwhile
    return arrived


@dataclass(frozen=True)
class Overdue:
    dispatch_id: int
    step: str  # "accept" | "arrive"
    late_s: float


def overdue(db: Session, now: dt.datetime | None = None) -> list[Overdue]:
    """Live dispatches not accepted / not arrived within their incident's limits, not yet reminded."""
    now = now or utcnow()
    found: list[Overdue] = []
    rows = db.execute(
        select(
            IncidentDispatch.id,
            IncidentDispatch.state,
            IncidentDispatch.dispatched_at,
            IncidentDispatch.accept_reminded_at,
            IncidentDispatch.arrive_reminded_at,
            Incident.accept_limit_s,
            Incident.arrive_limit_s,
        )
        .join(Incident, Incident.id == IncidentDispatch.incident_id)
        .where(
            IncidentDispatch.state.in_(
                [DispatchState.dispatched, DispatchState.accepted, DispatchState.en_route]
            )
        )
    )
    for did, state, at, accept_reminded, arrive_reminded, accept_limit, arrive_limit in rows:
        waited = (now - at).total_seconds()
        if state == DispatchState.dispatched and accept_reminded is None and waited > accept_limit:
            found.append(Overdue(did, "accept", waited - accept_limit))
        elif arrive_reminded is None and waited > arrive_limit:
            found.append(Overdue(did, "arrive", waited - arrive_limit))
    return found


def remind(db: Session, item: Overdue, *, now: dt.datetime | None = None) -> bool:
    """Remind the officer and tell the centre, once per dispatch and step."""
    now = now or utcnow()
    column = (
        IncidentDispatch.accept_reminded_at
        if item.step == "accept"
        else IncidentDispatch.arrive_reminded_at
    )
    marked = db.execute(
        update(IncidentDispatch)
        .where(IncidentDispatch.id == item.dispatch_id, column.is_(None))
        .values({column.key: now})
        .execution_options(synchronize_session=False)
    )
    if _updated(marked) != 1:
        return False  # another process reminded first
    row = get_dispatch(db, item.dispatch_id)
    db.refresh(row)
    incident, officer = row.incident, row.officer
    what = "签收" if item.step == "accept" else "到场"
    text = f"{officer.name}超时未{what}（已超 {_minutes(item.late_s)}）"
    _dispatch_step(
        db, None, row, "remind", text, ev.DispatchOverdue,
        now=now, step=item.step, late_s=item.late_s,
    )  # fmt: skip
    _notify_officer(db, officer, f"请尽快{what}：{incident.number}", incident.place, "danger")
    _notify_centres(db, incident, f"{incident.number} {text}", incident.place, "warning")
    return True


def active_for_officer(db: Session, officer: Officer) -> list[IncidentDispatch]:
    """The officer's dispatches still open or handled today (his phone page shows these)."""
    since = utcnow() - dt.timedelta(hours=12)
    return list(
        db.scalars(
            select(IncidentDispatch)
            .where(
                IncidentDispatch.officer_id == officer.id,
                or_(
                    IncidentDispatch.state.in_(LIVE_DISPATCH | {DispatchState.handled}),
                    IncidentDispatch.dispatched_at >= since,
                ),
            )
            .order_by(IncidentDispatch.dispatched_at.desc())
            .limit(20)
        )
    )


def timeline(db: Session, incident: Incident) -> list[IncidentLog]:
    return list(
        db.scalars(
            select(IncidentLog)
            .where(IncidentLog.incident_id == incident.id)
            .order_by(IncidentLog.at, IncidentLog.id)
        )
    )
