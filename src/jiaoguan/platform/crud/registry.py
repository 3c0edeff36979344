"""The declaration of a registry (台账): one table, its schemas, columns, filters, scope and rules.

A module declares a `Registry` once; the service, the API router, the pages, Excel import/export
and the contract tests are all derived from it.
"""

from __future__ import annotations

import datetime as dt
import enum
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Generic, Literal, TypeVar

from pydantic import BaseModel
from sqlalchemy import ColumnElement, inspect
from sqlalchemy.orm import InstrumentedAttribute, Session

from jiaoguan.platform.audit.labels import register_audit_labels
from jiaoguan.platform.auth.service import Principal, in_scope
from jiaoguan.platform.db import Base

M = TypeVar("M", bound=Base)
C = TypeVar("C", bound=BaseModel)
U = TypeVar("U", bound=BaseModel)
R = TypeVar("R", bound=BaseModel)

# A data-scope rule: the condition a record must meet to be visible to the principal.
ScopeRule = Callable[[Principal], ColumnElement[bool]]
# Choices for a form select or filter: (value, Chinese label) pairs, computed per request.
Options = Callable[[Session, Principal], Sequence[tuple[Any, str]]]
# Turns one Excel cell (already stripped text, or a list for list fields) into the field's value.
Converter = Callable[[Session, Principal, Any], Any]


def _default_format(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, enum.Enum):
        return str(value.value)
    if isinstance(value, dt.datetime):
        zone = dt.timezone(dt.timedelta(hours=8))  # shown as Beijing time, stored in UTC
        return value.astimezone(zone).strftime("%Y-%m-%d %H:%M:%S")
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, list | tuple | set | frozenset):
        return "、".join(_default_format(v) for v in value)
    return str(value)


@dataclass(frozen=True)
class Column:
    """A field shown in the list, the detail page and the export, under a Chinese header.

    `field` may be a dotted attribute path (``"unit.name"``); `format` turns the value into text
    (default: choices label, 是/否, Beijing time, "、"-joined lists).
    """

    field: str
    header: str
    format: Callable[[Any], str] | None = None
    in_list: bool = True
    in_detail: bool = True
    in_export: bool = True


FilterKind = Literal["auto", "exact", "enum", "date_range", "unit"]


@dataclass(frozen=True)
class Filter:
    """A filter offered in the list API (query parameters) and the list page (filter form).

    Kinds: ``exact`` (equal to a value), ``enum`` (one of the choices), ``date_range`` (two
    parameters ``<field>_from`` / ``<field>_to``, inclusive Beijing dates), ``unit`` (the org unit
    and its whole subtree). ``auto`` infers it from the column type. A custom `where` builds the
    condition itself from the value (for filters that are not a plain column).
    """

    field: str
    label: str = ""
    kind: FilterKind = "auto"
    type: Any = None
    where: Callable[[Any], ColumnElement[bool]] | None = None
    options: Options | None = None
    param: str = ""  # query parameter name, when it should differ from the field name


class Hooks(Generic[M, C, U]):
    """Domain rules of a registry: override what you need; every method may raise
    Invalid / Conflict / Forbidden / NotFound (with a Chinese message and the field name).

    The order on create is: before_create → scope and uniqueness checks → values → INSERT →
    after_create; on update: before_update → checks → apply → UPDATE → after_update; on delete:
    before_delete → reference check → DELETE.
    """

    def before_create(self, db: Session, principal: Principal, data: C) -> None:
        """Validate a new record beyond its schema."""

    def values(self, db: Session, principal: Principal, data: C) -> dict[str, Any]:
        """Attribute values of the new object; keys that are not mapped attributes are dropped.

        Override to derive stored values (a password hash, related objects from ids).
        """
        return data.model_dump()

    def after_create(self, db: Session, principal: Principal, obj: M, data: C) -> None:
        """Work that needs the new row's id (the row is flushed)."""

    def before_update(
        self, db: Session, principal: Principal, obj: M, changes: dict[str, Any]
    ) -> None:
        """Validate a change; `changes` holds only the fields the client sent."""

    def apply(self, db: Session, principal: Principal, obj: M, changes: dict[str, Any]) -> None:
        """Write the changes on the object; the default sets each mapped attribute."""
        names = set(inspect(type(obj)).attrs.keys())
        for key, value in changes.items():
            if key in names:
                setattr(obj, key, value)

    def after_update(
        self, db: Session, principal: Principal, obj: M, changes: dict[str, Any]
    ) -> None:
        """Work after the change is flushed (e.g. rewriting a subtree)."""

    def before_delete(self, db: Session, principal: Principal, obj: M) -> None:
        """Refuse a delete the references check would not catch, or explain it better."""


@dataclass(eq=False)
class Registry(Generic[M, C, U, R]):
    """Everything the machinery needs to serve one table as a registry."""

    model: type[M]
    create_schema: type[C]
    update_schema: type[U]
    read_schema: type[R]
    label: str
    slug: str
    resource: str
    read_permission: str
    write_permission: str
    page_prefix: str | None = None
    section: str = ""
    scope: str | ScopeRule | None = None
    columns: tuple[Column, ...] = ()
    filters: tuple[Filter, ...] = ()
    sortable: tuple[str, ...] = ()
    default_sort: str = "-id"
    search: tuple[str, ...] = ()
    unique: tuple[str, ...] = ()
    choices: Mapping[str, Mapping[Any, str]] = field(default_factory=dict)
    labels: Mapping[str, str] = field(default_factory=dict)
    options: Mapping[str, Options] = field(default_factory=dict)
    import_converters: Mapping[str, Converter] = field(default_factory=dict)
    secret_fields: frozenset[str] = frozenset({"password"})
    hooks: Hooks[M, C, U] = field(default_factory=Hooks)
    title_field: str = "name"
    indent: Callable[[M], int] | None = None
    templates: Mapping[str, str] = field(default_factory=dict)
    detail_context: Callable[[Session, Principal, Any], dict[str, Any]] | None = None
    eager: tuple[str, ...] = ()  # relationships the columns show, loaded with each list query
    max_export_rows: int = 100_000

    def __post_init__(self) -> None:
        for name in (*self.sortable, *self.search, *self.unique, *self.eager):
            if not hasattr(self.model, name):
                raise ValueError(f"{self.model.__name__} has no column {name!r}")
        sort = self.default_sort.removeprefix("-")
        if not hasattr(self.model, sort):
            raise ValueError(f"{self.model.__name__} has no column {sort!r} to sort by")
        if isinstance(self.scope, str) and not hasattr(self.model, self.scope):
            raise ValueError(f"{self.model.__name__} has no scope column {self.scope!r}")
        register_audit_labels({self.resource: self.label})
        REGISTRIES[self.model.__tablename__] = self

    # --- paths ---------------------------------------------------------------------------------

    @property
    def api_prefix(self) -> str:
        return f"/api/v1/{self.slug}"

    @property
    def name(self) -> str:
        """Python-friendly name, used in route names and OpenAPI component names."""
        return self.slug.replace("-", "_")

    # --- data scope ----------------------------------------------------------------------------

    @property
    def unit_column(self) -> str | None:
        """The org-unit column the scope is on, when the scope is a plain unit column."""
        return self.scope if isinstance(self.scope, str) else None

    def scope_clause(self, principal: Principal) -> ColumnElement[bool] | None:
        if self.scope is None:
            return None
        if isinstance(self.scope, str):
            column: InstrumentedAttribute[int] = getattr(self.model, self.scope)
            return in_scope(principal, column)
        return self.scope(principal)

    # --- labels --------------------------------------------------------------------------------

    def label_of(self, name: str) -> str:
        """The Chinese name of a field: explicit label, schema title, column header, else the name."""
        if name in self.labels:
            return self.labels[name]
        for schema in (self.create_schema, self.update_schema, self.read_schema):
            info = schema.model_fields.get(name)
            if info is not None and info.title:
                return info.title
        for column in self.columns:
            if column.field == name:
                return column.header
        return name

    def display(self, column: Column, obj: Any) -> str:
        value = attribute(obj, column.field)
        if column.format is not None:
            return column.format(value)
        labels = self.choices.get(column.field)
        if labels is not None:
            if isinstance(value, list | tuple | set | frozenset):
                return "、".join(labels.get(v, _default_format(v)) for v in value)
            return labels.get(value, _default_format(value)) if value is not None else ""
        return _default_format(value)

    def title_of(self, obj: Any) -> str:
        value = getattr(obj, self.title_field, None)
        return str(value) if value else f"{self.label} #{getattr(obj, 'id', '')}"

    def list_columns(self) -> list[Column]:
        return [c for c in self.columns if c.in_list]

    def detail_columns(self) -> list[Column]:
        return [c for c in self.columns if c.in_detail]

    def export_columns(self) -> list[Column]:
        return [c for c in self.columns if c.in_export]


# Every declared registry by table name: the delete check names the tables that still refer.
REGISTRIES: dict[str, Registry[Any, Any, Any, Any]] = {}


def attribute(obj: Any, path: str) -> Any:
    """`obj.a.b` for the path "a.b"; None as soon as a link is missing."""
    value = obj
    for part in path.split("."):
        if value is None:
            return None
        value = getattr(value, part, None)
    return value


def label_map(labels: Mapping[Any, str]) -> Callable[[Any], str]:
    """A column formatter showing the Chinese label of a code."""

    def show(value: Any) -> str:
        return "" if value is None else labels.get(value, _default_format(value))

    return show


def plain(value: Any) -> str:
    """The default column formatter, for reuse in custom ones."""
    return _default_format(value)
