"""Demo command data: about 40 officers across the demo brigades, each with an officer account
(the demo password, so the simulation can act as them through the API; jx_officer, jx_aux and
lc_officer are linked to officer records), the two-level command rules, a week of handled
incidents so the statistics are not empty, and two incidents waiting for dispatch.

Officers stand on road nodes of their squad's quarter when the simulated city is loaded, else
around the demo centre. The past incidents are written directly (no notifications for history);
the two waiting ones go through the real intake.
"""

from __future__ import annotations

import datetime as dt
import math
import random
from collections.abc import Callable

import numpy as np
import numpy.typing as npt
from sqlalchemy import select
from sqlalchemy.orm import Session

from jiaoguan.command import service
from jiaoguan.command.models import (
    CommandLevel,
    CommandRule,
    DispatchState,
    Incident,
    IncidentDispatch,
    IncidentKind,
    IncidentLog,
    IncidentSource,
    IncidentState,
    Officer,
    OfficerKind,
    OfficerMode,
    OfficerPosition,
    OfficerStatus,
)
from jiaoguan.geo.network import EmptyNetwork, network_for
from jiaoguan.platform.auth.models import OrgUnit, Role, User, UserKind
from jiaoguan.platform.auth.service import principal_of
from jiaoguan.platform.db import utcnow

CENTRE = (115.46, 38.87)  # the simulated city's centre (sim/roads.py)
SPREAD_M = 3000.0  # officers stand within this distance of the centre, in their quarter
# (squad code, brigade code, officers, quarter: sign of lon offset, sign of lat offset or 0 = both)
SQUADS = (
    ("13060201", "130602", 14, (-1, 1)),  # 竞秀一中队: west, north (朝阳大街警务区)
    ("13060202", "130602", 13, (-1, -1)),  # 竞秀二中队: west, south (东风路警务区)
    ("13060601", "130606", 13, (1, 0)),  # 莲池一中队: east
)
# Existing demo accounts and the officer record each gets (squad, position in it, kind).
LINKED = {
    "jx_officer": ("13060201", 1, OfficerKind.police),
    "jx_aux": ("13060201", 2, OfficerKind.auxiliary),
    "lc_officer": ("13060601", 1, OfficerKind.police),
}
SURNAMES = "王李张刘陈杨赵黄周吴徐孙胡朱高林何郭马罗梁宋郑谢韩唐冯于董萧程曹袁邓许傅沈曾彭吕"
GIVEN = "伟强磊军勇杰涛斌超明刚平辉鹏华飞鑫波宁浩凯健俊帆帅旭宇晨"

RULES: tuple[tuple[str, int, IncidentKind | None, int | None, CommandLevel, int, int, str], ...] = (
    (
        "重大及以上警情由支队指挥",
        10,
        None,
        3,
        CommandLevel.detachment,
        30,
        600,
        "一级指挥，同时推送辖区大队",
    ),
    (
        "行人上高架由支队指挥",
        20,
        IncidentKind.pedestrian_elevated,
        None,
        CommandLevel.detachment,
        30,
        480,
        "高架道路风险高，支队统一调度",
    ),
    (
        "低能见度由支队统一指挥",
        30,
        IncidentKind.low_visibility,
        None,
        CommandLevel.detachment,
        60,
        900,
        "团雾等跨区域天气警情",
    ),
    ("交通拥堵由大队处置", 50, IncidentKind.congestion, None, CommandLevel.brigade, 60, 900, ""),
    (
        "违法停车由大队处置",
        60,
        IncidentKind.illegal_parking,
        None,
        CommandLevel.brigade,
        60,
        1200,
        "",
    ),
    ("其余警情由辖区大队处置", 1000, None, None, CommandLevel.brigade, 60, 900, "默认二级指挥"),
)
PLACES = (
    "朝阳大街与东风路交叉口",
    "裕华路与长城大街交叉口",
    "五四路万博广场门前",
    "东风路火车站广场",
    "裕华路直隶总督署东侧",
    "朝阳大街市第一医院门前",
    "长城大街与五四路交叉口",
    "七一路与恒祥大街交叉口",
)
KIND_WEIGHTS = (
    (IncidentKind.accident, 40),
    (IncidentKind.congestion, 20),
    (IncidentKind.illegal_parking, 20),
    (IncidentKind.violation, 8),
    (IncidentKind.road_works, 5),
    (IncidentKind.pedestrian_elevated, 2),
    (IncidentKind.other, 5),
)
RESULTS = {
    IncidentKind.accident: "双方协商，快处快赔，已撤离现场，道路恢复通行",
    IncidentKind.congestion: "现场疏导，车流恢复正常",
    IncidentKind.illegal_parking: "已劝离违停车辆，贴单 2 起",
    IncidentKind.violation: "已依法处罚",
    IncidentKind.road_works: "已设置警示标志，施工方增派人员",
    IncidentKind.pedestrian_elevated: "已将行人带离高架",
    IncidentKind.other: "已处置",
}


def seed_command(db: Session, now: dt.datetime | None = None) -> None:
    """Idempotent: once officers exist only their accounts' password follows the demo one (it
    may change between runs); nothing without the demo organisation."""
    if db.scalar(select(Officer.id).limit(1)) is not None:
        _sync_passwords(db)
        return
    units = {u.code: u for u in db.scalars(select(OrgUnit))}
    if not all(code in units for code, *_ in SQUADS):
        return
    now = now or utcnow()
    rng = random.Random(20261124)
    officers = _officers(db, units, rng, now)
    _rules(db, units)
    db.flush()
    _history(db, units, officers, rng, now)
    _waiting(db, now)


def _officers(
    db: Session, units: dict[str, OrgUnit], rng: random.Random, now: dt.datetime
) -> list[Officer]:
    people = {u.username: u for u in db.scalars(select(User))}
    role = db.scalar(select(Role).where(Role.code == "officer"))
    template = people.get("jx_officer")
    # Every demo account shares the demo password: reuse its hash rather than hash 40 times.
    password_hash = template.password_hash if template is not None else None
    linked = {(squad, n): name for name, (squad, n, _kind) in LINKED.items()}
    spots = _spots(db, rng)
    officers: list[Officer] = []
    for squad, brigade, count, quarter in SQUADS:
        for n in range(1, count + 1):
            code = f"{brigade}{len([o for o in officers if o.code.startswith(brigade)]) + 1:03d}"
            username = linked.get((squad, n))
            if username is not None and username in people:
                user = people[username]
                name, kind = user.full_name, LINKED[username][2]
            else:
                name = rng.choice(SURNAMES) + rng.choice(GIVEN) + rng.choice(("", *GIVEN))
                kind = OfficerKind.auxiliary if n % 4 == 0 else OfficerKind.police
                user = User(
                    username=f"jy{code}",
                    full_name=name,
                    kind=UserKind.auxiliary if kind == OfficerKind.auxiliary else UserKind.police,
                    badge_no=code,
                    unit_id=units[squad].id,
                    password_hash=password_hash,
                    roles=[role] if role is not None else [],
                )
                db.add(user)
                db.flush()
            status = (
                OfficerStatus.off_duty
                if n % 7 == 0
                else OfficerStatus.on_duty
                if n % 5 == 0
                else OfficerStatus.available
            )
            officer = Officer(
                code=code,
                name=name,
                unit_id=units[squad].id,
                user_id=user.id,
                kind=kind,
                mode=OfficerMode.walking if n % 4 == 3 else OfficerMode.driving,
                status=status,
                status_at=now,
                phone=f"1390312{len(officers):04d}",
                device_code=f"ZFJLY-{code}",
            )
            db.add(officer)
            db.flush()
            officers.append(officer)
            lon, lat = spots(quarter)
            db.add(
                OfficerPosition(
                    officer_id=officer.id,
                    at=now - dt.timedelta(seconds=rng.uniform(5, 60)),
                    lon=lon,
                    lat=lat,
                    accuracy_m=round(rng.uniform(5, 20), 1),
                    speed_mps=0.0,
                    source="sim",
                    received_at=now,
                )
            )
    return officers


def _spots(db: Session, rng: random.Random) -> Callable[[tuple[int, int]], tuple[float, float]]:
    """A function quarter → (lon, lat): a road node in the quarter near the centre, else a point."""
    m_lat = 111_195.0
    m_lon = m_lat * math.cos(math.radians(CENTRE[1]))
    nodes: tuple[npt.NDArray[np.float64], npt.NDArray[np.float64]] | None = None
    try:
        network = network_for(db)
        if len(network.lon):
            nodes = (network.lon, network.lat)
    except EmptyNetwork:
        nodes = None

    def spot(quarter: tuple[int, int]) -> tuple[float, float]:
        sx, sy = quarter
        if nodes is not None:
            dx = (nodes[0] - CENTRE[0]) * m_lon
            dy = (nodes[1] - CENTRE[1]) * m_lat
            ok = (np.hypot(dx, dy) <= SPREAD_M) & (np.sign(dx) == sx)
            if sy:
                ok &= np.sign(dy) == sy
            choices = np.flatnonzero(ok)
            if len(choices):
                i = int(choices[rng.randrange(len(choices))])
                return float(nodes[0][i]), float(nodes[1][i])
        r = SPREAD_M * math.sqrt(rng.random())
        angle = rng.uniform(0, math.pi / 2)
        x = sx * abs(r * math.cos(angle))
        y = (sy or rng.choice((-1, 1))) * abs(r * math.sin(angle))
        return CENTRE[0] + x / m_lon, CENTRE[1] + y / m_lat

    return spot


def _rules(db: Session, units: dict[str, OrgUnit]) -> None:
    for name, priority, kind, min_level, level, accept, arrive, text in RULES:
        db.add(
            CommandRule(
                name=name,
                priority=priority,
                enabled=True,
                kind=kind,
                min_level=min_level,
                command_level=level,
                accept_limit_s=accept,
                arrive_limit_s=arrive,
                description=text,
            )
        )


def _history(
    db: Session,
    units: dict[str, OrgUnit],
    officers: list[Officer],
    rng: random.Random,
    now: dt.datetime,
) -> None:
    """About 60 handled incidents over the past week, with realistic step times."""
    kinds = [k for k, _ in KIND_WEIGHTS]
    weights = [w for _, w in KIND_WEIGHTS]
    detachment = units["130600"]
    by_brigade = {
        b: [o for o in officers if o.code.startswith(b) and o.status != OfficerStatus.off_duty]
        for b in ("130602", "130606")
    }
    today = now.astimezone(service.BEIJING).date()
    for day in range(7, 0, -1):
        for _ in range(rng.randint(6, 11)):
            beijing_hour = rng.choice((7, 8, 8, 9, 11, 12, 14, 16, 17, 17, 18, 19, 21))
            when = dt.time(beijing_hour, rng.randrange(60), rng.randrange(60))
            reported = dt.datetime.combine(today - dt.timedelta(days=day), when, service.BEIJING)
            kind = rng.choices(kinds, weights)[0]
            level = rng.choices((1, 2, 3), (80, 17, 3))[0]
            brigade = rng.choice(("130602", "130606"))
            officer = rng.choice(by_brigade[brigade])
            lon, lat = _near(db, officer, rng)
            rule = service.match_rule(db, kind, level, units[brigade])
            detached = rule is not None and rule.command_level == CommandLevel.detachment
            incident = Incident(
                number=service.next_number(db, reported),
                source=rng.choice(list(IncidentSource)),
                kind=kind,
                level=level,
                summary="",
                place=rng.choice(PLACES),
                lon=lon,
                lat=lat,
                area_unit_id=units[brigade].id,
                command_level=CommandLevel.detachment if detached else CommandLevel.brigade,
                handling_unit_id=(detachment if detached else units[brigade]).id,
                rule_id=rule.id if rule is not None else None,
                state=IncidentState.closed,
                reported_at=reported,
                accept_limit_s=rule.accept_limit_s if rule is not None else 60,
                arrive_limit_s=rule.arrive_limit_s if rule is not None else 900,
            )
            db.add(incident)
            db.flush()
            _handled(db, incident, officer, rng)


def _near(db: Session, officer: Officer, rng: random.Random) -> tuple[float, float]:
    fix = service.latest_fix(db, officer.id)
    base = fix if fix is not None else None
    lon, lat = (base.lon, base.lat) if base is not None else CENTRE
    return lon + rng.uniform(-0.008, 0.008), lat + rng.uniform(-0.006, 0.006)


def _handled(db: Session, incident: Incident, officer: Officer, rng: random.Random) -> None:
    t = incident.reported_at
    steps: list[tuple[str, dt.datetime]] = []
    for action, low, high in (
        ("dispatch", 20, 180),
        ("accept", 5, 70),
        ("depart", 10, 150),
        ("arrive", 150, 900),
        ("handle", 300, 1500),
        ("close", 60, 600),
    ):
        t = t + dt.timedelta(seconds=rng.uniform(low, high))
        steps.append((action, t))
    at = dict(steps)
    row = IncidentDispatch(
        incident_id=incident.id,
        officer_id=officer.id,
        state=DispatchState.closed,
        note="就近推荐",
        dispatched_at=at["dispatch"],
        accepted_at=at["accept"],
        departed_at=at["depart"],
        arrived_at=at["arrive"],
        arrived_auto=rng.random() < 0.6,
        handled_at=at["handle"],
        closed_at=at["close"],
        result=RESULTS[incident.kind],
    )
    db.add(row)
    db.flush()
    incident.dispatched_at = at["dispatch"]
    incident.accepted_at = at["accept"]
    incident.arrived_at = at["arrive"]
    incident.handled_at = at["handle"]
    incident.closed_at = at["close"]
    db.add(
        IncidentLog(
            incident_id=incident.id,
            at=incident.reported_at,
            actor_name="演示数据",
            action="intake",
            text=f"{incident.place}",
        )
    )
    for action, when in steps:
        text = f"{officer.name}{service.ACTION_LABELS[action]}"
        if action == "handle":
            text += f"：{row.result}"
        db.add(
            IncidentLog(
                incident_id=incident.id,
                dispatch_id=row.id,
                at=when,
                actor_name="演示数据",
                action=action,
                text=text,
            )
        )


def _waiting(db: Session, now: dt.datetime) -> None:
    """Two incidents through the real intake, waiting for the dispatcher."""
    dispatcher = db.scalar(select(User).where(User.username == "dispatcher"))
    if dispatcher is None:
        return
    principal = principal_of(dispatcher)
    for kind, place, offset, summary in (
        (IncidentKind.accident, "朝阳大街与东风路交叉口", (-0.004, 0.003), "两车追尾，无人员受伤"),
        (IncidentKind.illegal_parking, "裕华路直隶总督署东侧", (0.006, -0.002), "占道停车影响通行"),
    ):
        data = service.IntakeData(
            source=IncidentSource.call_122,
            kind=kind,
            place=place,
            lon=CENTRE[0] + offset[0],
            lat=CENTRE[1] + offset[1],
            summary=summary,
        )
        service.intake(db, principal, data, now=now)


def _sync_passwords(db: Session) -> None:
    """The generated officer accounts (jy<code>) share jx_officer's password, as seeded now."""
    template = db.scalar(select(User).where(User.username == "jx_officer"))
    if template is None or template.password_hash is None:
        return
    for user in db.scalars(select(User).where(User.username.startswith("jy"))):
        user.password_hash = template.password_hash
        user.locked_until = None
        user.failed_logins = 0
