"""Org-unit registry: the tree 支队 > 大队 > 中队 > 警务区 > 网格 (+ agencies), with its paths kept.

Rules: a unit is created or moved only under a parent in the principal's scope that allows its
kind; moving rewrites the materialised paths of the whole subtree and never goes under itself;
a unit with children or users cannot be deleted.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import ColumnElement, func, select
from sqlalchemy.orm import Session

from jiaoguan.platform.admin.schemas import OrgUnitCreate, OrgUnitRead, OrgUnitUpdate
from jiaoguan.platform.auth.models import (
    ALLOWED_CHILD_KINDS,
    ORG_UNIT_KIND_LABELS,
    OrgUnit,
    OrgUnitKind,
    User,
)
from jiaoguan.platform.auth.permissions import ORG_READ, ORG_WRITE
from jiaoguan.platform.auth.service import Principal
from jiaoguan.platform.crud import Column, Filter, Hooks, Registry, unit_by_code, units_in_scope
from jiaoguan.platform.errors import Conflict, Invalid


def _visible(principal: Principal) -> ColumnElement[bool]:
    return OrgUnit.path.startswith(principal.unit_path, autoescape=True)


def _parent_in_scope(db: Session, principal: Principal, parent_id: int) -> OrgUnit:
    parent = db.get(OrgUnit, parent_id)
    if parent is None or not principal.sees_path(parent.path):
        raise Invalid("上级单位不存在或不在数据权限范围内", ["parent_id"])
    return parent


def _kinds_text(kinds: set[OrgUnitKind]) -> str:
    """Kinds in tree order (支队 → 网格, then 机构), as Chinese labels."""
    return "、".join(ORG_UNIT_KIND_LABELS[k] for k in OrgUnitKind if k in kinds)


def _check_kind(parent: OrgUnit, kind: OrgUnitKind) -> None:
    if kind not in ALLOWED_CHILD_KINDS[parent.kind]:
        allowed = "、".join(
            ORG_UNIT_KIND_LABELS[k] for k in sorted(ALLOWED_CHILD_KINDS[parent.kind])
        )
        below = f"只能设立{allowed}" if allowed else "不能再设下级单位"
        raise Invalid(
            f"{ORG_UNIT_KIND_LABELS[parent.kind]}“{parent.name}”下{below}，"
            f"不能设立{ORG_UNIT_KIND_LABELS[kind]}",
            ["kind"],
        )


def _children(db: Session, unit: OrgUnit) -> list[OrgUnit]:
    return list(db.scalars(select(OrgUnit).where(OrgUnit.parent_id == unit.id)))


class OrgUnitRules(Hooks[OrgUnit, OrgUnitCreate, OrgUnitUpdate]):
    def before_create(self, db: Session, principal: Principal, data: OrgUnitCreate) -> None:
        _check_kind(_parent_in_scope(db, principal, data.parent_id), data.kind)

    def values(self, db: Session, principal: Principal, data: OrgUnitCreate) -> dict[str, Any]:
        # The path needs the new id; after_create sets it once the row is flushed.
        return {**data.model_dump(), "path": ""}

    def after_create(
        self, db: Session, principal: Principal, obj: OrgUnit, data: OrgUnitCreate
    ) -> None:
        parent = db.get(OrgUnit, data.parent_id)
        assert parent is not None  # checked in before_create
        obj.path = f"{parent.path}{obj.id}/"

    def before_update(
        self, db: Session, principal: Principal, obj: OrgUnit, changes: dict[str, Any]
    ) -> None:
        kind: OrgUnitKind = changes.get("kind") or obj.kind
        moving = "parent_id" in changes and changes["parent_id"] != obj.parent_id
        if moving and obj.parent_id is None:
            raise Invalid("最高一级单位不能移动", ["parent_id"])
        if "parent_id" in changes and changes["parent_id"] is None and obj.parent_id is not None:
            raise Invalid("上级单位不能为空", ["parent_id"])
        parent = obj.parent
        if moving:
            parent = _parent_in_scope(db, principal, changes["parent_id"])
            if parent.path.startswith(obj.path):
                raise Invalid("不能把单位移到它自己或其下级单位之下", ["parent_id"])
        if parent is not None and (moving or kind != obj.kind):
            _check_kind(parent, kind)
        if kind != obj.kind:
            for child in _children(db, obj):
                if child.kind not in ALLOWED_CHILD_KINDS[kind]:
                    raise Invalid(
                        f"下级单位“{child.name}”是{ORG_UNIT_KIND_LABELS[child.kind]}，"
                        f"不能隶属于{ORG_UNIT_KIND_LABELS[kind]}",
                        ["kind"],
                    )

    def apply(
        self, db: Session, principal: Principal, obj: OrgUnit, changes: dict[str, Any]
    ) -> None:
        old_path = obj.path
        super().apply(db, principal, obj, changes)
        parent = db.get(OrgUnit, obj.parent_id) if obj.parent_id is not None else None
        new_path = f"{parent.path}{obj.id}/" if parent is not None else old_path
        if new_path != old_path:
            _rewrite_subtree(db, old_path, new_path)

    def before_delete(self, db: Session, principal: Principal, obj: OrgUnit) -> None:
        children = db.scalar(select(func.count()).where(OrgUnit.parent_id == obj.id)) or 0
        if children:
            raise Conflict(f"“{obj.name}”下还有 {children} 个下级单位，不能删除")
        users = db.scalar(select(func.count()).where(User.unit_id == obj.id)) or 0
        if users:
            raise Conflict(f"“{obj.name}”还有 {users} 名用户，请先调出或删除后再删除单位")


def _rewrite_subtree(db: Session, old_path: str, new_path: str) -> None:
    """Give the moved unit and every unit below it the new path prefix."""
    subtree = db.scalars(select(OrgUnit).where(OrgUnit.path.startswith(old_path, autoescape=True)))
    for unit in subtree:
        unit.path = new_path + unit.path[len(old_path) :]


def depth(unit: OrgUnit) -> int:
    return unit.path.count("/")


def detail_extras(db: Session, principal: Principal, unit: OrgUnit) -> dict[str, Any]:
    """Children and the number of users, for the detail page."""
    children = list(
        db.scalars(select(OrgUnit).where(OrgUnit.parent_id == unit.id).order_by(OrgUnit.code))
    )
    users = db.scalar(select(func.count()).where(User.unit_id == unit.id)) or 0
    return {
        "children": children,
        "user_count": users,
        "kind_labels": ORG_UNIT_KIND_LABELS,
        "child_kinds": _kinds_text(ALLOWED_CHILD_KINDS[unit.kind]) or "无",
    }


ORG_UNITS: Registry[OrgUnit, OrgUnitCreate, OrgUnitUpdate, OrgUnitRead] = Registry(
    model=OrgUnit,
    create_schema=OrgUnitCreate,
    update_schema=OrgUnitUpdate,
    read_schema=OrgUnitRead,
    label="组织机构",
    slug="org-units",
    resource="org_unit",
    read_permission=ORG_READ,
    write_permission=ORG_WRITE,
    page_prefix="/admin/org-units",
    section="系统管理",
    scope=_visible,
    columns=(
        Column("name", "名称"),
        Column("code", "机构编码"),
        Column("kind", "类别"),
        Column("parent.name", "上级单位"),
        Column("phone", "电话"),
        Column("address", "地址", in_list=False),
        Column("path", "层级路径", in_list=False, in_export=False),
        Column("created_at", "创建时间", in_list=False),
        Column("updated_at", "更新时间", in_list=False, in_export=False),
    ),
    filters=(
        Filter("id", label="所属范围（含下级）", kind="unit", param="within"),
        Filter("kind"),
    ),
    sortable=("path", "code", "name", "kind"),
    default_sort="path",
    search=("code", "name", "address"),
    unique=("code",),
    choices={"kind": ORG_UNIT_KIND_LABELS},
    options={"parent_id": units_in_scope},
    import_converters={"parent_id": unit_by_code},
    hooks=OrgUnitRules(),
    indent=depth,
    eager=("parent",),
    templates={"detail": "admin/org_unit_detail.html"},
    detail_context=detail_extras,
)
