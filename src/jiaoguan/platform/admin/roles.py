"""Role registry: permission sets chosen from the code-registered PERMISSIONS.

Rules: nobody grants a permission they do not hold themselves ("*" only by a holder of "*"), nor
edits a role more powerful than their own; built-in roles and roles still held by users cannot be
deleted.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from jiaoguan.platform.admin.schemas import (
    ALL_PERMISSIONS,
    RoleCreate,
    RoleRead,
    RoleUpdate,
)
from jiaoguan.platform.auth.models import Role, user_role
from jiaoguan.platform.auth.permissions import PERMISSIONS, ROLE_READ, ROLE_WRITE
from jiaoguan.platform.auth.service import Principal
from jiaoguan.platform.crud import Column, Filter, Hooks, Registry
from jiaoguan.platform.errors import Conflict, Forbidden

ALL_PERMISSIONS_LABEL = "全部权限（系统管理员）"


class PermissionLabels(Mapping[str, str]):
    """Chinese label of each permission, read live: modules register theirs at import time."""

    def __getitem__(self, code: str) -> str:
        if code == ALL_PERMISSIONS:
            return ALL_PERMISSIONS_LABEL
        return PERMISSIONS[code].label

    def __iter__(self) -> Iterator[str]:
        yield ALL_PERMISSIONS
        yield from PERMISSIONS

    def __len__(self) -> int:
        return len(PERMISSIONS) + 1


PERMISSION_LABELS = PermissionLabels()


def permission_options(db: Session, principal: Principal) -> list[tuple[Any, str]]:
    """The permissions the principal may put into a role, for the checkbox list."""
    return [
        (code, f"{PERMISSION_LABELS[code]}（{code}）")
        for code in PERMISSION_LABELS
        if principal.can(code)
    ]


def check_grantable(principal: Principal, permissions: list[str], field: str) -> None:
    """Refuse permissions the principal does not hold: no escalation through roles."""
    missing = [p for p in permissions if not principal.can(p)]
    if missing:
        names = "、".join(PERMISSION_LABELS.get(p, p) for p in missing[:5])
        raise Forbidden(f"不能授予本人没有的权限：{names}", [field])


def holders(db: Session, role: Role) -> int:
    return db.scalar(select(func.count()).where(user_role.c.role_id == role.id)) or 0


class RoleRules(Hooks[Role, RoleCreate, RoleUpdate]):
    def before_create(self, db: Session, principal: Principal, data: RoleCreate) -> None:
        check_grantable(principal, data.permissions, "permissions")

    def before_update(
        self, db: Session, principal: Principal, obj: Role, changes: dict[str, Any]
    ) -> None:
        if not all(principal.can(p) for p in obj.permissions):
            raise Forbidden("不能修改权限超出本人权限的角色")
        if changes.get("permissions") is not None:
            check_grantable(principal, changes["permissions"], "permissions")

    def before_delete(self, db: Session, principal: Principal, obj: Role) -> None:
        if obj.builtin:
            raise Conflict(f"“{obj.name}”是内置角色，不能删除（可修改其权限）")
        count = holders(db, obj)
        if count:
            raise Conflict(f"角色“{obj.name}”仍有 {count} 个用户在用，请先从这些用户移除后再删除")
        if not all(principal.can(p) for p in obj.permissions):
            raise Forbidden("不能删除权限超出本人权限的角色")


def detail_extras(db: Session, principal: Principal, role: Role) -> dict[str, Any]:
    """Permissions with their labels and the number of users holding the role."""
    return {
        "permission_rows": [(code, PERMISSION_LABELS.get(code, code)) for code in role.permissions],
        "holder_count": holders(db, role),
        "editable": all(principal.can(p) for p in role.permissions),
        "deletable": not role.builtin and all(principal.can(p) for p in role.permissions),
    }


def permission_count(permissions: Any) -> str:
    if ALL_PERMISSIONS in (permissions or []):
        return ALL_PERMISSIONS_LABEL
    return f"{len(permissions or [])} 项"


ROLES: Registry[Role, RoleCreate, RoleUpdate, RoleRead] = Registry(
    model=Role,
    create_schema=RoleCreate,
    update_schema=RoleUpdate,
    read_schema=RoleRead,
    label="角色",
    slug="roles",
    resource="role",
    read_permission=ROLE_READ,
    write_permission=ROLE_WRITE,
    page_prefix="/admin/roles",
    section="系统管理",
    scope=None,  # roles are global: every unit uses the same role catalogue
    columns=(
        Column("name", "角色名称"),
        Column("code", "角色代码"),
        Column("description", "说明"),
        Column("permissions", "权限", format=permission_count, in_detail=False, in_export=False),
        Column("permissions", "权限", in_list=False),
        Column("builtin", "内置"),
        Column("created_at", "创建时间", in_list=False),
    ),
    filters=(Filter("builtin", label="内置角色"),),
    sortable=("code", "name"),
    default_sort="id",
    search=("code", "name", "description"),
    unique=("code",),
    choices={"permissions": PERMISSION_LABELS},
    options={"permissions": permission_options},
    hooks=RoleRules(),
    templates={"detail": "admin/role_detail.html"},
    detail_context=detail_extras,
)
