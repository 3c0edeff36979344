"""Two registries on the generic machinery (platform/crud): officers (警力) and command rules
(两级指挥规则). Officers are scoped by their unit; a rule is visible to everyone whose scope
covers its area (global rules to all), and only the detachment edits global rules."""

from __future__ import annotations

from typing import Any

from sqlalchemy import ColumnElement, or_, select
from sqlalchemy.orm import Session

from jiaoguan.command import schemas as s
from jiaoguan.command.live import note_officer
from jiaoguan.command.models import (
    COMMAND_LEVEL_LABELS,
    KIND_LABELS,
    LEVEL_LABELS,
    OFFICER_KIND_LABELS,
    OFFICER_MODE_LABELS,
    OFFICER_STATUS_LABELS,
    CommandRule,
    Officer,
)
from jiaoguan.platform.auth.models import OrgUnit, OrgUnitKind, User, UserKind
from jiaoguan.platform.auth.permissions import COMMAND_DISPATCH, COMMAND_READ
from jiaoguan.platform.auth.service import Principal, scope_units
from jiaoguan.platform.crud import Column, Filter, Hooks, Registry, unit_by_code, units_in_scope
from jiaoguan.platform.errors import Forbidden, Invalid

SECTION = "智慧指挥"


def _user_options(db: Session, principal: Principal) -> list[tuple[Any, str]]:
    users = db.scalars(
        select(User)
        .join(OrgUnit, OrgUnit.id == User.unit_id)
        .where(
            OrgUnit.path.startswith(principal.unit_path, autoescape=True),
            User.kind != UserKind.device,
        )
        .order_by(User.username)
        .limit(2000)
    )
    return [(u.id, f"{u.full_name}（{u.username}）") for u in users]


def _user_by_name(db: Session, principal: Principal, text: Any) -> int:
    value = str(text).strip()
    user = db.scalar(select(User).where(User.username == value))
    if user is None or not principal.sees_path(user.unit.path):
        raise Invalid(f"账号“{value}”不存在或不在数据权限范围内")
    return user.id


class OfficerRules(Hooks[Officer, s.OfficerCreate, s.OfficerUpdate]):
    """The linked account must be a person in scope; the tracker hears about every change."""

    def _check_user(self, db: Session, principal: Principal, user_id: int | None) -> None:
        if user_id is None:
            return
        user = db.get(User, user_id)
        if user is None or not principal.sees_path(user.unit.path):
            raise Invalid("登录账号不存在或不在数据权限范围内", ["user_id"])
        if user.kind == UserKind.device:
            raise Invalid("设备账号不能作为民警的登录账号", ["user_id"])

    def before_create(self, db: Session, principal: Principal, data: s.OfficerCreate) -> None:
        self._check_user(db, principal, data.user_id)

    def after_create(
        self, db: Session, principal: Principal, obj: Officer, data: s.OfficerCreate
    ) -> None:
        note_officer(db, obj)

    def before_update(
        self, db: Session, principal: Principal, obj: Officer, changes: dict[str, Any]
    ) -> None:
        if "user_id" in changes:
            self._check_user(db, principal, changes["user_id"])

    def after_update(
        self, db: Session, principal: Principal, obj: Officer, changes: dict[str, Any]
    ) -> None:
        db.refresh(obj, ["unit"])
        note_officer(db, obj)

    def before_delete(self, db: Session, principal: Principal, obj: Officer) -> None:
        note_officer(db, obj, removed=True)


OFFICERS: Registry[Officer, s.OfficerCreate, s.OfficerUpdate, s.OfficerRead] = Registry(
    model=Officer,
    create_schema=s.OfficerCreate,
    update_schema=s.OfficerUpdate,
    read_schema=s.OfficerRead,
    label="警力",
    slug="command/officers",
    resource="officer",
    read_permission=COMMAND_READ,
    write_permission=COMMAND_DISPATCH,
    page_prefix="/command/officers",
    section=SECTION,
    scope="unit_id",
    columns=(
        Column("code", "警号"),
        Column("name", "姓名"),
        Column("unit.name", "所属单位"),
        Column("kind", "类别"),
        Column("mode", "出警方式"),
        Column("status", "状态"),
        Column("status_at", "状态时间"),
        Column("phone", "联系电话", in_list=False),
        Column("device_code", "终端编号", in_list=False),
        Column("user.username", "登录账号", in_list=False),
    ),
    filters=(
        Filter("unit_id", label="所属单位（含下级）", kind="unit"),
        Filter("status"),
        Filter("kind"),
        Filter("mode"),
    ),
    sortable=("code", "name", "status", "status_at"),
    default_sort="code",
    search=("code", "name", "phone", "device_code"),
    unique=("code", "user_id"),
    choices={
        "kind": OFFICER_KIND_LABELS,
        "mode": OFFICER_MODE_LABELS,
        "status": OFFICER_STATUS_LABELS,
    },
    options={"unit_id": units_in_scope, "user_id": _user_options},
    import_converters={"unit_id": unit_by_code, "user_id": _user_by_name},
    eager=("unit", "user"),
    hooks=OfficerRules(),
    title_field="name",
)


# --- rules -------------------------------------------------------------------------------------


def _rule_scope(principal: Principal) -> ColumnElement[bool]:
    return or_(
        CommandRule.area_unit_id.is_(None), CommandRule.area_unit_id.in_(scope_units(principal))
    )


def _brigades(db: Session, principal: Principal) -> list[tuple[Any, str]]:
    units = db.scalars(
        select(OrgUnit)
        .where(
            OrgUnit.kind == OrgUnitKind.brigade,
            OrgUnit.path.startswith(principal.unit_path, autoescape=True),
        )
        .order_by(OrgUnit.path)
    )
    return [(u.id, u.name) for u in units]


def _top_level(db: Session, principal: Principal) -> bool:
    unit = db.get(OrgUnit, principal.unit_id)
    return unit is not None and unit.parent_id is None


class RuleRules(Hooks[CommandRule, s.RuleCreate, s.RuleUpdate]):
    """A brigade edits rules of its own area; global rules belong to the detachment."""

    def _check(self, db: Session, principal: Principal, area_unit_id: int | None) -> None:
        if area_unit_id is None:
            if not _top_level(db, principal):
                raise Forbidden("全市规则只能由支队指挥中心维护", ["area_unit_id"])
            return
        unit = db.get(OrgUnit, area_unit_id)
        if unit is None or not principal.sees_path(unit.path):
            raise Invalid("辖区大队不存在或不在数据权限范围内", ["area_unit_id"])
        if unit.kind != OrgUnitKind.brigade:
            raise Invalid("辖区应为大队", ["area_unit_id"])

    def before_create(self, db: Session, principal: Principal, data: s.RuleCreate) -> None:
        self._check(db, principal, data.area_unit_id)

    def before_update(
        self, db: Session, principal: Principal, obj: CommandRule, changes: dict[str, Any]
    ) -> None:
        self._check(db, principal, obj.area_unit_id)
        if "area_unit_id" in changes:
            self._check(db, principal, changes["area_unit_id"])

    def before_delete(self, db: Session, principal: Principal, obj: CommandRule) -> None:
        self._check(db, principal, obj.area_unit_id)


RULES: Registry[CommandRule, s.RuleCreate, s.RuleUpdate, s.RuleRead] = Registry(
    model=CommandRule,
    create_schema=s.RuleCreate,
    update_schema=s.RuleUpdate,
    read_schema=s.RuleRead,
    label="指挥规则",
    slug="command/rules",
    resource="command_rule",
    read_permission=COMMAND_READ,
    write_permission=COMMAND_DISPATCH,
    page_prefix="/command/rules",
    section=SECTION,
    scope=_rule_scope,
    columns=(
        Column("name", "规则名称"),
        Column("priority", "优先级"),
        Column("enabled", "启用"),
        Column("kind", "警情类型"),
        Column(
            "min_level", "最低等级", format=lambda v: LEVEL_LABELS.get(v, "任意") if v else "任意"
        ),
        Column("area_unit.name", "辖区大队", format=lambda v: v or "全市"),
        Column("command_level", "指挥层级"),
        Column("accept_limit_s", "签收时限（秒）"),
        Column("arrive_limit_s", "到场时限（秒）"),
        Column("description", "说明", in_list=False),
    ),
    filters=(Filter("command_level"), Filter("kind"), Filter("enabled")),
    sortable=("priority", "name"),
    default_sort="priority",
    search=("name", "description"),
    choices={"kind": KIND_LABELS, "command_level": COMMAND_LEVEL_LABELS},
    options={"area_unit_id": _brigades},
    import_converters={"area_unit_id": unit_by_code},
    eager=("area_unit",),
    hooks=RuleRules(),
)
