"""Read models shared by the API and the pages: incidents and dispatches as schemas, live officers
with staleness, the recommendation with names, routes and gaps, GeoJSON for the one map, and the
position intake glue (parse, bulk ingest, arrival detection)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

import numpy as np
from fastapi import FastAPI
from pydantic import ValidationError
from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from jiaoguan.command import service
from jiaoguan.command.models import (
    COMMAND_LEVEL_LABELS,
    DISPATCH_STATE_LABELS,
    FINISHED_STATES,
    INCIDENT_STATE_LABELS,
    KIND_LABELS,
    LEVEL_LABELS,
    LIVE_DISPATCH,
    OFFICER_STATUS_LABELS,
    SOURCE_LABELS,
    DispatchState,
    Incident,
    IncidentDispatch,
    Officer,
)
from jiaoguan.command.positions import PositionFix, ingest_positions
from jiaoguan.command.recommend import RecommendConfig, recommend
from jiaoguan.command.schemas import (
    DispatchRead,
    FixIn,
    IncidentDetail,
    IncidentRead,
    LiveOfficer,
    LogRead,
    PickOut,
    PositionReportOut,
    RecommendationOut,
)
from jiaoguan.command.tracker import tracker_of
from jiaoguan.geo.network import EmptyNetwork, network_for
from jiaoguan.platform.auth.service import Principal, scope_units
from jiaoguan.platform.db import utcnow

# Map colours (the command pages' legend uses the same).
STATUS_COLOURS = {
    "available": "#16a34a",
    "on_duty": "#0d9488",
    "dispatched": "#ea580c",
    "en_route": "#0ea5e9",
    "on_scene": "#2563eb",
    "off_duty": "#94a3b8",
}
STATE_COLOURS = {
    "received": "#dc2626",
    "dispatched": "#ea580c",
    "accepted": "#ca8a04",
    "en_route": "#0ea5e9",
    "on_scene": "#2563eb",
    "handled": "#16a34a",
}


def incident_read(incident: Incident) -> IncidentRead:
    area = incident.area_unit
    return IncidentRead(
        id=incident.id,
        number=incident.number,
        source=incident.source.value,
        source_label=SOURCE_LABELS[incident.source],
        kind=incident.kind.value,
        kind_label=KIND_LABELS[incident.kind],
        level=incident.level,
        level_label=LEVEL_LABELS.get(incident.level, str(incident.level)),
        summary=incident.summary,
        place=incident.place,
        lon=incident.lon,
        lat=incident.lat,
        address_id=incident.address_id,
        area_unit_id=incident.area_unit_id,
        area_unit_name=area.name if area is not None else None,
        command_level=incident.command_level.value,
        command_level_label=COMMAND_LEVEL_LABELS[incident.command_level],
        handling_unit_id=incident.handling_unit_id,
        handling_unit_name=incident.handling_unit.name,
        state=incident.state.value,
        state_label=INCIDENT_STATE_LABELS[incident.state],
        reported_at=incident.reported_at,
        dispatched_at=incident.dispatched_at,
        accepted_at=incident.accepted_at,
        arrived_at=incident.arrived_at,
        handled_at=incident.handled_at,
        closed_at=incident.closed_at,
        merged_into_id=incident.merged_into_id,
        accept_limit_s=incident.accept_limit_s,
        arrive_limit_s=incident.arrive_limit_s,
    )


def dispatch_read(row: IncidentDispatch, principal: Principal | None = None) -> DispatchRead:
    return DispatchRead(
        id=row.id,
        incident_id=row.incident_id,
        officer_id=row.officer_id,
        officer_name=row.officer.name,
        officer_code=row.officer.code,
        state=row.state.value,
        state_label=DISPATCH_STATE_LABELS[row.state],
        note=row.note,
        eta_s=row.eta_s,
        distance_m=row.distance_m,
        dispatched_at=row.dispatched_at,
        accepted_at=row.accepted_at,
        departed_at=row.departed_at,
        arrived_at=row.arrived_at,
        arrived_auto=row.arrived_auto,
        handled_at=row.handled_at,
        closed_at=row.closed_at,
        cancelled_at=row.cancelled_at,
        result=row.result,
        cancel_reason=row.cancel_reason,
        actions=service.allowed_steps(principal, row) if principal is not None else [],
    )


def incident_detail(db: Session, principal: Principal, incident: Incident) -> IncidentDetail:
    duplicates: list[Incident] = []
    if incident.state not in FINISHED_STATES:
        duplicates = [
            d
            for d in service.find_duplicates(
                db,
                kind=incident.kind,
                lon=incident.lon,
                lat=incident.lat,
                at=incident.reported_at,
                exclude_id=incident.id,
            )
        ]
    return IncidentDetail(
        **incident_read(incident).model_dump(),
        dispatches=[dispatch_read(d, principal) for d in incident.dispatches],
        timeline=[
            LogRead(
                at=log.at,
                actor_name=log.actor_name,
                action=log.action,
                action_label=service.ACTION_LABELS.get(log.action, log.action),
                text=log.text,
                dispatch_id=log.dispatch_id,
            )
            for log in service.timeline(db, incident)
        ],
        duplicates=[incident_read(d) for d in duplicates],
    )


# --- live officers -----------------------------------------------------------------------------


def live_officers(
    app: FastAPI, db: Session, principal: Principal, *, now: dt.datetime | None = None
) -> list[LiveOfficer]:
    """Officers in scope with their tracker fix and its age (stale: older than the limit)."""
    now = now or utcnow()
    tracker = tracker_of(app)
    officers = db.scalars(
        select(Officer)
        .where(Officer.unit_id.in_(scope_units(principal)))
        .options(selectinload(Officer.unit))
        .order_by(Officer.code)
    )
    out: list[LiveOfficer] = []
    for officer in officers:
        fix = tracker.latest(officer.id)
        age = (now - fix.at).total_seconds() if fix is not None else None
        out.append(
            LiveOfficer(
                id=officer.id,
                code=officer.code,
                name=officer.name,
                unit_id=officer.unit_id,
                unit_name=officer.unit.name,
                kind=officer.kind.value,
                mode=officer.mode.value,
                status=officer.status.value,
                status_label=OFFICER_STATUS_LABELS[officer.status],
                lon=fix.lon if fix is not None else None,
                lat=fix.lat if fix is not None else None,
                fix_at=fix.at if fix is not None else None,
                fix_age_s=round(age, 1) if age is not None else None,
                stale=age is None or age > service.STALE_AFTER_S,
            )
        )
    return out


def officers_geojson(app: FastAPI, db: Session, principal: Principal) -> dict[str, Any]:
    features = []
    for o in live_officers(app, db, principal):
        if o.lon is None or o.lat is None:
            continue
        age = "无定位" if o.fix_age_s is None else f"{int(o.fix_age_s)}秒前"
        features.append(
            {
                "type": "Feature",
                "geometry": {"type": "Point", "coordinates": [o.lon, o.lat]},
                "properties": {
                    "id": o.id,
                    "name": f"{o.name}（{o.code}）",
                    "单位": o.unit_name,
                    "状态": o.status_label + ("（定位超时）" if o.stale else ""),
                    "定位": age,
                    "status": o.status,
                    "stale": o.stale,
                    "mode": o.mode,
                    "_color": STATUS_COLOURS.get(o.status, "#64748b"),
                    "_opacity": 0.3 if o.stale else 0.9,
                },
            }
        )
    return {"type": "FeatureCollection", "features": features}


def incidents_geojson(db: Session, principal: Principal) -> dict[str, Any]:
    query = service.IncidentQuery(open_only=True)
    rows, _ = service.search(db, principal, query, limit=500)
    return {
        "type": "FeatureCollection",
        "features": [
            {
                "type": "Feature",
                "geometry": {"type": "Point", "coordinates": [i.lon, i.lat]},
                "properties": {
                    "id": i.id,
                    "name": f"{i.number} {KIND_LABELS[i.kind]}",
                    "地点": i.place,
                    "等级": LEVEL_LABELS.get(i.level, str(i.level)),
                    "状态": INCIDENT_STATE_LABELS[i.state],
                    "state": i.state.value,
                    "level": i.level,
                    "_color": STATE_COLOURS.get(i.state.value, "#dc2626"),
                    "_radius": 5 + 2 * i.level,
                },
            }
            for i in rows
        ],
    }


# --- recommendation ----------------------------------------------------------------------------


def recommendation(
    app: FastAPI,
    db: Session,
    principal: Principal,
    incident: Incident,
    *,
    now: dt.datetime | None = None,
) -> RecommendationOut:
    """Officers to send, ranked by road ETA, with the reasons and the gaps; officers already on
    the incident (live or done) are never suggested again. The best pick carries its route."""
    now = now or utcnow()
    config = RecommendConfig()
    exclude = {d.officer_id for d in incident.dispatches if d.state != DispatchState.cancelled}
    empty = RecommendationOut(
        incident_id=incident.id,
        lon=incident.lon,
        lat=incident.lat,
        rings_m=list(config.rings_m),
        picks=[],
        gaps=[],
        considered=0,
        stale=0,
        busy=0,
    )
    if incident.state in FINISHED_STATES:
        empty.gaps.append("警情已结束，无需派警")
        return empty
    tracker = tracker_of(app)
    try:
        network = network_for(db)
        result = recommend(
            network,
            tracker.snapshot(),
            incident.lon,
            incident.lat,
            now=now,
            config=config,
            exclude=exclude,
            unit_paths=[principal.unit_path],
        )
    except EmptyNetwork:
        empty.gaps.append("路网尚未导入，无法按道路行程时间推荐")
        return empty
    officers = {
        o.id: o
        for o in db.scalars(
            select(Officer).where(Officer.id.in_([p.officer_id for p in result.picks]))
        )
    }
    picks: list[PickOut] = []
    for index, pick in enumerate(result.picks):
        officer = officers.get(pick.officer_id)
        if officer is None:
            continue
        fix = tracker.latest(officer.id)
        route: list[list[float]] = []
        if index == 0 and fix is not None:
            route = _route(network, fix.lon, fix.lat, incident, pick.mode)
        picks.append(
            PickOut(
                officer_id=officer.id,
                code=officer.code,
                name=officer.name,
                unit_name=officer.unit.name,
                status=officer.status.value,
                mode=pick.mode,
                ring_m=None if pick.ring_m is None else int(pick.ring_m),
                straight_m=round(float(pick.straight_m), 1),
                eta_s=None if pick.eta_s is None else round(float(pick.eta_s), 1),
                reason=pick.reason,
                fix_age_s=round((now - fix.at).total_seconds(), 1) if fix is not None else None,
                lon=fix.lon if fix is not None else None,
                lat=fix.lat if fix is not None else None,
                route=route,
            )
        )
    return RecommendationOut(
        incident_id=incident.id,
        lon=incident.lon,
        lat=incident.lat,
        rings_m=[int(r) for r in config.rings_m],
        picks=picks,
        gaps=list(result.gaps),
        considered=int(result.considered),
        stale=int(result.stale),
        busy=int(result.busy),
    )


def _route(
    network: Any, lon: float, lat: float, incident: Incident, mode: str
) -> list[list[float]]:
    profile = "walking" if mode == "walking" else "driving"
    try:
        route = network.eta((lon, lat), (incident.lon, incident.lat), profile)
    except EmptyNetwork:
        return []
    return [[float(x), float(y)] for x, y in route.polyline] if route.reachable else []


# --- positions ---------------------------------------------------------------------------------


def city_bbox(db: Session) -> tuple[float, float, float, float] | None:
    """The road network's extent: fixes far outside it are refused by the ingest."""
    try:
        network = network_for(db)
    except EmptyNetwork:
        return None
    if not len(network.lon):
        return None
    return (
        float(np.min(network.lon)),
        float(np.min(network.lat)),
        float(np.max(network.lon)),
        float(np.max(network.lat)),
    )


def parse_fixes(
    raw: Sequence[dict[str, Any]], *, max_errors: int = 20
) -> tuple[list[PositionFix], list[int], int, list[dict[str, Any]]]:
    """Well-formed fixes (with their index in the batch), the count and first errors of the rest."""
    fixes: list[PositionFix] = []
    indices: list[int] = []
    errors: list[dict[str, Any]] = []
    invalid = 0
    for index, item in enumerate(raw):
        try:
            fix = FixIn.model_validate(item)
            if fix.at.tzinfo is None:
                raise ValueError("naive")
        except (ValidationError, ValueError) as exc:
            invalid += 1
            if len(errors) < max_errors:
                errors.append(_parse_error(index, exc))
            continue
        fixes.append(
            PositionFix(
                officer_id=fix.officer_id,
                at=fix.at.astimezone(dt.UTC),
                lon=fix.lon,
                lat=fix.lat,
                accuracy_m=fix.accuracy_m,
                speed_mps=fix.speed_mps,
                source=fix.source,
            )
        )
        indices.append(index)
    return fixes, indices, invalid, errors


def _parse_error(index: int, exc: Exception) -> dict[str, Any]:
    from jiaoguan.platform.errors import chinese_message

    if isinstance(exc, ValidationError):
        first = exc.errors()[0]
        field = ".".join(str(p) for p in first.get("loc", ())) or "fix"
        return {
            "index": index,
            "field": field,
            "reason": "invalid",
            "message": chinese_message(dict(first)),
        }
    return {"index": index, "field": "at", "reason": "invalid", "message": "定位时间须带时区"}


def ingest(
    app: FastAPI,
    db: Session,
    raw: Sequence[dict[str, Any]],
    *,
    now: dt.datetime | None = None,
) -> PositionReportOut:
    """Parse, store through the bulk path, then detect arrivals of the officers who moved."""
    now = now or utcnow()
    fixes, indices, invalid, errors = parse_fixes(raw)
    report = ingest_positions(db, tracker_of(app), fixes, now=now, bbox=city_bbox(db))
    rejected = dict(report.rejected)
    rejected["invalid"] = rejected.get("invalid", 0) + invalid
    for error in report.errors:
        position = int(error.get("index", 0))
        errors.append(
            {**error, "index": indices[position] if position < len(indices) else position}
        )
    arrivals = service.detect_arrivals(db, report.moved, now=now)
    return PositionReportOut(
        accepted=report.accepted,
        duplicates=report.duplicates,
        rejected={k: v for k, v in rejected.items() if v},
        errors=errors[:50],
        arrivals=len(arrivals),
    )


def open_dispatches_of(incident: Incident) -> list[IncidentDispatch]:
    return [d for d in incident.dispatches if d.state in LIVE_DISPATCH]
