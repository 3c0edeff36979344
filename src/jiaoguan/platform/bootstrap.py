"""Built-in roles, the first administrator and the demo organisation with its accounts."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from jiaoguan.platform.auth.models import OrgUnit, OrgUnitKind, Role, User, UserKind
from jiaoguan.platform.auth.permissions import BUILTIN_ROLES
from jiaoguan.platform.auth.service import check_password_policy, hash_password
from jiaoguan.platform.errors import Conflict


def ensure_builtin_roles(db: Session) -> dict[str, Role]:
    """Create missing built-in roles; existing ones keep the permissions an admin gave them."""
    roles = {r.code: r for r in db.scalars(select(Role))}
    for spec in BUILTIN_ROLES:
        if spec.code not in roles:
            role = Role(
                code=spec.code,
                name=spec.name,
                description=spec.description,
                permissions=list(spec.permissions),
                builtin=True,
            )
            db.add(role)
            roles[spec.code] = role
    db.flush()
    return roles


def add_unit(
    db: Session, code: str, name: str, kind: OrgUnitKind, parent: OrgUnit | None
) -> OrgUnit:
    unit = OrgUnit(code=code, name=name, kind=kind, parent_id=parent.id if parent else None)
    db.add(unit)
    db.flush()
    unit.path = f"{parent.path if parent else '/'}{unit.id}/"
    return unit


def ensure_root_unit(
    db: Session, code: str = "130600", name: str = "示范市公安局交通警察支队"
) -> OrgUnit:
    root = db.scalar(select(OrgUnit).where(OrgUnit.parent_id.is_(None)).order_by(OrgUnit.id))
    return root or add_unit(db, code, name, OrgUnitKind.detachment, None)


def add_user(
    db: Session,
    username: str,
    full_name: str,
    unit: OrgUnit,
    roles: list[Role],
    password: str | None,
    kind: UserKind = UserKind.police,
    badge_no: str | None = None,
) -> User:
    if db.scalar(select(User).where(User.username == username)) is not None:
        raise Conflict(f"用户名 {username} 已存在", ["username"])
    user = User(
        username=username,
        full_name=full_name,
        kind=kind,
        unit_id=unit.id,
        badge_no=badge_no,
        password_hash=hash_password(password) if password else None,
        roles=roles,
    )
    db.add(user)
    db.flush()
    return user


def create_admin(db: Session, username: str, password: str, full_name: str = "系统管理员") -> User:
    check_password_policy(password)
    roles = ensure_builtin_roles(db)
    return add_user(db, username, full_name, ensure_root_unit(db), [roles["admin"]], password)


@dataclass(frozen=True)
class DemoAccount:
    username: str
    full_name: str
    role: str
    unit: str


# (code, name, kind, parent code)
DEMO_UNITS: list[tuple[str, str, OrgUnitKind, str | None]] = [
    ("130600", "示范市公安局交通警察支队", OrgUnitKind.detachment, None),
    ("130602", "竞秀交警大队", OrgUnitKind.brigade, "130600"),
    ("130606", "莲池交警大队", OrgUnitKind.brigade, "130600"),
    ("13060201", "竞秀一中队", OrgUnitKind.squad, "130602"),
    ("13060202", "竞秀二中队", OrgUnitKind.squad, "130602"),
    ("13060601", "莲池一中队", OrgUnitKind.squad, "130606"),
    ("1306020101", "朝阳大街警务区", OrgUnitKind.police_district, "13060201"),
    ("1306020201", "东风路警务区", OrgUnitKind.police_district, "13060202"),
    ("1306060101", "裕华路警务区", OrgUnitKind.police_district, "13060601"),
    ("130602010101", "朝阳大街第一网格", OrgUnitKind.grid, "1306020101"),
    ("130602010102", "朝阳大街第二网格", OrgUnitKind.grid, "1306020101"),
    ("130606010101", "裕华路第一网格", OrgUnitKind.grid, "1306060101"),
    ("91130600A", "示范市机动车检测站", OrgUnitKind.agency, "130600"),
]

# (username, name, role, unit code, kind)
DEMO_USERS: list[tuple[str, str, str, str, UserKind]] = [
    ("admin", "系统管理员", "admin", "130600", UserKind.police),
    ("dispatcher", "王指挥", "dispatcher", "130600", UserKind.police),
    ("leader", "李支队长", "leader", "130600", UserKind.police),
    ("supervisor", "赵监管", "supervisor", "130600", UserKind.police),
    ("jx_dispatcher", "陈值班", "dispatcher", "130602", UserKind.police),
    ("jx_duty", "周勤务", "duty_manager", "130602", UserKind.police),
    ("jx_officer", "刘民警", "officer", "13060201", UserKind.police),
    ("jx_aux", "孙辅警", "officer", "13060201", UserKind.auxiliary),
    ("lc_dispatcher", "吴值班", "dispatcher", "130606", UserKind.police),
    ("lc_officer", "郑民警", "officer", "13060601", UserKind.police),
    ("grid_worker", "马网格员", "grid_worker", "130602010101", UserKind.staff),
    ("agency", "检测站操作员", "agency_operator", "91130600A", UserKind.staff),
]


def seed_demo(db: Session, password: str) -> list[DemoAccount]:
    """The demo organisation and one account per role; idempotent."""
    roles = ensure_builtin_roles(db)
    units = {u.code: u for u in db.scalars(select(OrgUnit))}
    for code, name, unit_kind, parent in DEMO_UNITS:
        if code not in units:
            units[code] = add_unit(db, code, name, unit_kind, units[parent] if parent else None)
    accounts: list[DemoAccount] = []
    for username, full_name, role, unit_code, kind in DEMO_USERS:
        unit = units[unit_code]
        user = db.scalar(select(User).where(User.username == username))
        if user is None:
            add_user(db, username, full_name, unit, [roles[role]], password, kind)
        else:
            user.password_hash = hash_password(password)
            user.locked_until = None
            user.failed_logins = 0
        accounts.append(DemoAccount(username, full_name, roles[role].name, unit.name))
    devices = db.scalar(select(User).where(User.username == "device-demo"))
    if devices is None:
        add_user(
            db, "device-demo", "演示设备", units["130600"], [roles["device"]], None, UserKind.device
        )
    return accounts
