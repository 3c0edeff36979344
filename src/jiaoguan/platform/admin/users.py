"""User registry: people and devices of the principal's subtree, their roles and passwords.

Rules: users are placed only in units of the principal's scope; the roles granted must not exceed
the principal's own permissions (no escalation; "*" only by a holder of "*"); nobody manages a
user more powerful than themselves, deactivates or deletes their own account; people need a
password that meets the policy, devices have none (they get tokens). Password hashes never leave
this module.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from jiaoguan.platform.admin.roles import PERMISSION_LABELS
from jiaoguan.platform.admin.schemas import UserCreate, UserRead, UserUpdate
from jiaoguan.platform.audit.service import record
from jiaoguan.platform.auth.models import (
    USER_KIND_LABELS,
    Role,
    User,
    UserKind,
    WebSession,
)
from jiaoguan.platform.auth.permissions import USER_READ, USER_WRITE
from jiaoguan.platform.auth.service import Principal, check_password_policy, hash_password
from jiaoguan.platform.crud import Column, Filter, Hooks, Registry, get_record, unit_by_code
from jiaoguan.platform.crud.lookups import units_in_scope
from jiaoguan.platform.db import utcnow
from jiaoguan.platform.errors import Conflict, Forbidden, Invalid


def grantable(principal: Principal, role: Role) -> bool:
    return all(principal.can(p) for p in role.permissions)


def roles_for(db: Session, principal: Principal, ids: list[int]) -> list[Role]:
    """The roles with these ids, refused if one is unknown or more powerful than the principal."""
    wanted = list(dict.fromkeys(ids))
    roles = list(db.scalars(select(Role).where(Role.id.in_(wanted)))) if wanted else []
    if len(roles) != len(wanted):
        raise Invalid("角色不存在", ["role_ids"])
    for role in roles:
        if not grantable(principal, role):
            missing = [
                PERMISSION_LABELS.get(p, p) for p in role.permissions if not principal.can(p)
            ]
            raise Forbidden(
                f"不能授予角色“{role.name}”：含本人没有的权限（{'、'.join(missing[:3])}）",
                ["role_ids"],
            )
    return sorted(roles, key=lambda r: r.id)


def guard_target(principal: Principal, user: User) -> None:
    """Nobody manages an account that holds permissions they lack (e.g. resets an admin's password)."""
    if any(not grantable(principal, role) for role in user.roles):
        raise Forbidden("不能管理权限高于本人的用户")


def role_options(db: Session, principal: Principal) -> list[tuple[Any, str]]:
    roles = db.scalars(select(Role).order_by(Role.id))
    return [(r.id, f"{r.name}（{r.code}）") for r in roles if grantable(principal, r)]


def all_roles(db: Session, principal: Principal) -> list[tuple[Any, str]]:
    return [(r.id, r.name) for r in db.scalars(select(Role).order_by(Role.id))]


def role_by_name(db: Session, principal: Principal, items: Any) -> list[int]:
    """Import converter: role codes or names → ids."""
    ids: list[int] = []
    for item in items if isinstance(items, list) else [items]:
        text = str(item).strip()
        role = db.scalar(select(Role).where((Role.code == text) | (Role.name == text)).limit(1))
        if role is None:
            raise Invalid(f"角色“{text}”不存在")
        ids.append(role.id)
    return ids


def _check_password(kind: UserKind, password: str | None) -> None:
    if kind == UserKind.device:
        if password:
            raise Invalid("设备账号不设密码，请为其签发访问令牌", ["password"])
        return
    if not password:
        raise Invalid("请设置初始密码", ["password"])
    check_password_policy(password)


class UserRules(Hooks[User, UserCreate, UserUpdate]):
    def before_create(self, db: Session, principal: Principal, data: UserCreate) -> None:
        roles_for(db, principal, data.role_ids)
        _check_password(data.kind, data.password)

    def values(self, db: Session, principal: Principal, data: UserCreate) -> dict[str, Any]:
        values = data.model_dump(exclude={"password", "role_ids"})
        values["password_hash"] = hash_password(data.password) if data.password else None
        values["roles"] = roles_for(db, principal, data.role_ids)
        return values

    def before_update(
        self, db: Session, principal: Principal, obj: User, changes: dict[str, Any]
    ) -> None:
        guard_target(principal, obj)
        if changes.get("is_active") is False and obj.id == principal.user_id:
            raise Invalid("不能停用本人账号", ["is_active"])
        if changes.get("role_ids") is not None:
            roles_for(db, principal, changes["role_ids"])
        elif "role_ids" in changes:
            raise Invalid("角色不能为空值，不授予角色请提交空列表", ["role_ids"])

    def apply(self, db: Session, principal: Principal, obj: User, changes: dict[str, Any]) -> None:
        if "role_ids" in changes:
            obj.roles = roles_for(db, principal, changes["role_ids"])
        super().apply(db, principal, obj, {k: v for k, v in changes.items() if k != "role_ids"})
        if obj.kind == UserKind.device:
            obj.password_hash = None  # devices sign in with tokens only

    def before_delete(self, db: Session, principal: Principal, obj: User) -> None:
        if obj.id == principal.user_id:
            raise Conflict("不能删除本人账号")
        guard_target(principal, obj)


def reset_password(db: Session, principal: Principal, user_id: int, password: str) -> User:
    """Set a new password, unlock the account and end its web sessions; audited."""
    user: User = get_record(USERS, db, principal, user_id)
    guard_target(principal, user)
    if user.kind == UserKind.device:
        raise Invalid("设备账号没有密码，请为其签发访问令牌", ["password"])
    check_password_policy(password)
    user.password_hash = hash_password(password)
    user.failed_logins = 0
    user.locked_until = None
    if user.id != principal.user_id:
        # Whoever held the old password is signed out; one's own reset keeps one's session.
        db.execute(delete(WebSession).where(WebSession.user_id == user.id))
    record(db, principal, "reset_password", "user", user.id, detail={"username": user.username})
    return user


def detail_extras(db: Session, principal: Principal, user: User) -> dict[str, Any]:
    """Whether the principal may manage this account (reset its password, (de)activate it)."""
    manageable = principal.can(USER_WRITE) and all(grantable(principal, r) for r in user.roles)
    return {
        "manageable": manageable,
        "is_device": user.kind == UserKind.device,
        "is_self": user.id == principal.user_id,
        "deletable": manageable and user.id != principal.user_id,
        "kind_labels": USER_KIND_LABELS,
        "now": utcnow(),
    }


def _role_names(roles: Any) -> str:
    return "、".join(role.name for role in roles or [])


def _status(active: Any) -> str:
    return "启用" if active else "停用"


USERS: Registry[User, UserCreate, UserUpdate, UserRead] = Registry(
    model=User,
    create_schema=UserCreate,
    update_schema=UserUpdate,
    read_schema=UserRead,
    label="用户",
    slug="users",
    resource="user",
    read_permission=USER_READ,
    write_permission=USER_WRITE,
    page_prefix="/admin/users",
    section="系统管理",
    scope="unit_id",
    columns=(
        Column("full_name", "姓名"),
        Column("username", "用户名"),
        Column("kind", "人员类别"),
        Column("unit.name", "所属单位"),
        Column("badge_no", "警号"),
        Column("phone", "电话", in_list=False),
        Column("roles", "角色", format=_role_names),
        Column("is_active", "状态", format=_status),
        Column("last_login_at", "最近登录"),
        Column("created_at", "创建时间", in_list=False),
    ),
    filters=(
        Filter("unit_id", label="所属单位（含下级）", kind="unit"),
        Filter("kind"),
        Filter(
            "roles",
            label="角色",
            type=int,
            param="role_id",
            where=lambda role_id: User.roles.any(Role.id == role_id),
            options=all_roles,
        ),
        Filter("is_active", label="启用"),
        Filter("last_login_at", label="最近登录"),
    ),
    sortable=("username", "full_name", "kind", "last_login_at", "created_at"),
    default_sort="username",
    search=("username", "full_name", "badge_no", "phone"),
    unique=("username",),
    choices={"kind": USER_KIND_LABELS},
    labels={"unit_id": "所属单位", "role_ids": "角色"},
    options={"unit_id": units_in_scope, "role_ids": role_options},
    import_converters={"unit_id": unit_by_code, "role_ids": role_by_name},
    hooks=UserRules(),
    title_field="full_name",
    eager=("unit",),
    templates={"detail": "admin/user_detail.html"},
    detail_context=detail_extras,
)
