"""Ready-made options and import converters registries share (org units in scope)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from jiaoguan.platform.auth.models import ORG_UNIT_KIND_LABELS, OrgUnit
from jiaoguan.platform.auth.service import Principal
from jiaoguan.platform.errors import Invalid

# Full-width space: indents a tree in a <select>, where HTML ignores ordinary leading spaces.
INDENT = "\u3000"


def units_in_scope(db: Session, principal: Principal) -> list[tuple[Any, str]]:
    """(id, indented name) of every unit the principal sees, in tree order: for selects."""
    units = db.scalars(
        select(OrgUnit)
        .where(OrgUnit.path.startswith(principal.unit_path, autoescape=True))
        .order_by(OrgUnit.path)
    )
    base = principal.unit_path.count("/")
    return [
        (u.id, f"{INDENT * (u.path.count('/') - base)}{u.name}（{ORG_UNIT_KIND_LABELS[u.kind]}）")
        for u in units
    ]


def unit_by_code(db: Session, principal: Principal, text: Any) -> int:
    """Import converter: an org unit given by its code (or its exact name) → its id, in scope."""
    value = str(text).strip()
    unit = db.scalar(select(OrgUnit).where(OrgUnit.code == value))
    if unit is None:
        named = list(db.scalars(select(OrgUnit).where(OrgUnit.name == value).limit(2)))
        unit = named[0] if len(named) == 1 else None
    if unit is None or not principal.sees_path(unit.path):
        raise Invalid(f"组织机构“{value}”不存在或不在数据权限范围内")
    return unit.id
