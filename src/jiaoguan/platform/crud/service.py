"""Registry service: list, get, create, update, delete within the data scope, every write audited.

No HTTP here: the API router and the pages call these same functions. Errors are raised as
DomainError subclasses whose `field` is the schema field name (the API adds "body").
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from pydantic import BaseModel
from sqlalchemy import Select, func, inspect, select
from sqlalchemy.orm import Session, selectinload

from jiaoguan.platform.audit.labels import RESOURCE_LABELS
from jiaoguan.platform.audit.service import record
from jiaoguan.platform.auth.models import OrgUnit
from jiaoguan.platform.auth.service import Principal
from jiaoguan.platform.crud.query import ListQuery, conditions, ordered
from jiaoguan.platform.crud.registry import REGISTRIES, Registry
from jiaoguan.platform.db import Base
from jiaoguan.platform.errors import Conflict, Invalid, NotFound

T = TypeVar("T")
AnyRegistry = Registry[Any, Any, Any, Any]


@dataclass(frozen=True)
class Page(Generic[T]):
    """One window of a filtered list and the size of the whole list."""

    items: list[T]
    total: int
    offset: int
    limit: int


# --- transactions ------------------------------------------------------------------------------


def _begin_outer(db: Session) -> None:
    """Make sure the outer transaction is really open before the first SAVEPOINT.

    Python's sqlite3 (before 3.12) only sends BEGIN ahead of data-changing statements; a SAVEPOINT
    issued first would itself become the outermost transaction and its RELEASE would commit at
    once, beyond the reach of the request's rollback.
    """
    connection = db.connection()
    if connection.dialect.name != "sqlite":
        return
    raw = connection.connection.dbapi_connection
    if raw is not None and not getattr(raw, "in_transaction", True):
        connection.exec_driver_sql("BEGIN")


@contextmanager
def savepoint(db: Session) -> Iterator[None]:
    """A SAVEPOINT: on error only the work inside it is undone, and the error propagates."""
    _begin_outer(db)
    with db.begin_nested():
        yield


# --- reading -----------------------------------------------------------------------------------


def scoped(registry: AnyRegistry, principal: Principal) -> Select[Any]:
    """SELECT of the registry's records the principal may see."""
    stmt = select(registry.model)
    clause = registry.scope_clause(principal)
    return stmt if clause is None else stmt.where(clause)


def filtered(registry: AnyRegistry, principal: Principal, query: ListQuery) -> Select[Any]:
    """Scoped SELECT with the query's filters and keyword, sorted (no page window)."""
    stmt = scoped(registry, principal).where(*conditions(registry, query))
    # One query per relationship for the whole page, not one per row.
    stmt = stmt.options(*(selectinload(getattr(registry.model, name)) for name in registry.eager))
    return ordered(registry, stmt, query.sort)


def list_records(
    registry: Registry[Any, Any, Any, Any], db: Session, principal: Principal, query: ListQuery
) -> Page[Any]:
    stmt = filtered(registry, principal, query)
    total = db.scalar(select(func.count()).select_from(stmt.order_by(None).subquery())) or 0
    items = list(db.scalars(stmt.offset(query.offset).limit(query.limit)))
    return Page(items=items, total=total, offset=query.offset, limit=query.limit)


def iterate_records(
    registry: AnyRegistry, db: Session, principal: Principal, query: ListQuery, limit: int
) -> Iterator[Any]:
    """Every record matching the query (up to `limit`), for exports."""
    yield from db.scalars(filtered(registry, principal, query).limit(limit))


def get_record(registry: AnyRegistry, db: Session, principal: Principal, item_id: int) -> Any:
    """The record, or 404 when it does not exist or lies outside the scope (alike, on purpose)."""
    stmt = scoped(registry, principal).where(registry.model.id == item_id)
    obj = db.scalar(stmt)
    if obj is None:
        raise NotFound(f"{registry.label}不存在或不在数据权限范围内")
    return obj


# --- checks shared by create and update ---------------------------------------------------------


def _check_unit(registry: AnyRegistry, db: Session, principal: Principal, unit_id: Any) -> None:
    """A record scoped by a unit column may only be placed in a unit of the principal's subtree."""
    column = registry.unit_column
    if column is None or unit_id is None:
        return
    unit = db.get(OrgUnit, unit_id)
    if unit is None or not principal.sees_path(unit.path):
        raise Invalid("组织机构不存在或不在数据权限范围内", [column])


def _check_unique(
    registry: AnyRegistry, db: Session, values: dict[str, Any], own_id: int | None
) -> None:
    for name in registry.unique:
        value = values.get(name)
        if value is None:
            continue
        stmt = select(registry.model.id).where(getattr(registry.model, name) == value)
        if own_id is not None:
            stmt = stmt.where(registry.model.id != own_id)
        if db.scalar(stmt.limit(1)) is not None:
            raise Conflict(f"{registry.label_of(name)}“{value}”已存在", [name])


def _check_not_null(registry: AnyRegistry, changes: dict[str, Any]) -> None:
    columns = inspect(registry.model).columns
    for name, value in changes.items():
        column = columns.get(name)
        if value is None and column is not None and not column.nullable:
            raise Invalid(f"{registry.label_of(name)}不能为空", [name])


def snapshot(registry: AnyRegistry, obj: Any) -> dict[str, Any]:
    """The record as its Read schema shows it (no secrets), as JSON-ready values."""
    read: BaseModel = registry.read_schema.model_validate(obj)
    return read.model_dump(mode="json")


def _public(registry: AnyRegistry, values: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in values.items() if k not in registry.secret_fields}


# --- writing -----------------------------------------------------------------------------------


def create_record(
    registry: AnyRegistry, db: Session, principal: Principal, data: Any, *, audit: bool = True
) -> Any:
    """Store a new record after the registry's rules; audited as "create" unless told not to."""
    registry.hooks.before_create(db, principal, data)
    dumped: dict[str, Any] = data.model_dump()
    if registry.unit_column is not None:
        _check_unit(registry, db, principal, dumped.get(registry.unit_column))
    _check_unique(registry, db, dumped, None)
    names = set(inspect(registry.model).attrs.keys())
    values = {k: v for k, v in registry.hooks.values(db, principal, data).items() if k in names}
    obj = registry.model(**values)
    db.add(obj)
    db.flush()
    registry.hooks.after_create(db, principal, obj, data)
    db.flush()
    if audit:
        detail = _public(registry, data.model_dump(mode="json"))
        record(db, principal, "create", registry.resource, obj.id, detail=detail)
    return obj


def update_record(
    registry: AnyRegistry, db: Session, principal: Principal, item_id: int, data: Any
) -> Any:
    """Change the fields the client sent (partial update); audited as "update" with the diff."""
    obj = get_record(registry, db, principal, item_id)
    changes: dict[str, Any] = data.model_dump(exclude_unset=True)
    _check_not_null(registry, changes)
    registry.hooks.before_update(db, principal, obj, changes)
    if registry.unit_column is not None and registry.unit_column in changes:
        _check_unit(registry, db, principal, changes[registry.unit_column])
    _check_unique(registry, db, changes, obj.id)
    before = snapshot(registry, obj)
    registry.hooks.apply(db, principal, obj, changes)
    db.flush()
    registry.hooks.after_update(db, principal, obj, changes)
    db.flush()
    # Relationships loaded before the change (obj.unit for a new unit_id) must be read afresh.
    db.expire(obj)
    after = snapshot(registry, obj)
    diff = {k: [before.get(k), v] for k, v in after.items() if before.get(k) != v}
    diff.pop("updated_at", None)
    record(db, principal, "update", registry.resource, obj.id, detail={"changes": diff})
    return obj


def references(db: Session, obj: Any) -> list[tuple[str, int]]:
    """Rows of other tables still pointing at `obj` through a foreign key that does not cascade."""
    table = type(obj).__table__
    found: list[tuple[str, int]] = []
    for other in Base.metadata.sorted_tables:
        for fk in other.foreign_keys:
            if fk.column.table is not table:
                continue
            if (fk.ondelete or "").upper() in ("CASCADE", "SET NULL"):
                continue
            value = getattr(obj, fk.column.key)
            count = db.scalar(select(func.count()).select_from(other).where(fk.parent == value))
            if count:
                found.append((table_label(other.name), count))
    return found


def table_label(table: str) -> str:
    registry = REGISTRIES.get(table)
    if registry is not None:
        return registry.label
    return RESOURCE_LABELS.get(table, table)


def delete_record(registry: AnyRegistry, db: Session, principal: Principal, item_id: int) -> None:
    """Delete a record, refused (409) while other records still refer to it."""
    obj = get_record(registry, db, principal, item_id)
    registry.hooks.before_delete(db, principal, obj)
    refs = references(db, obj)
    if refs:
        listed = "、".join(f"{label} {count} 条" for label, count in refs)
        raise Conflict(f"{registry.label}“{registry.title_of(obj)}”仍被引用（{listed}），不能删除")
    detail = snapshot(registry, obj)
    db.delete(obj)
    db.flush()
    record(db, principal, "delete", registry.resource, item_id, detail=detail)
