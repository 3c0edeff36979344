"""List queries: the filter, search, sort and page parameters a registry accepts, and their SQL."""

from __future__ import annotations

import datetime as dt
import enum
import inspect
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Annotated, Any, Literal
from zoneinfo import ZoneInfo

from fastapi import Query, Request
from fastapi.exceptions import RequestValidationError
from pydantic import BaseModel, Field, ValidationError, create_model
from sqlalchemy import ColumnElement, Select, or_, select
from sqlalchemy.orm import InstrumentedAttribute

from jiaoguan.platform.auth.models import OrgUnit
from jiaoguan.platform.crud.registry import Filter, FilterKind, Options, Registry

MAX_OFFSET = 10_000_000
MAX_LIMIT = 500
DEFAULT_LIMIT = 50
# SQLite stores integers in 64 bits: a larger number from a client must be a 422, not a crash.
MAX_INT = 2**63 - 1
# Dates outside this window are treated as "no bound" (a far date must not overflow a datetime).
_EARLIEST = dt.date(1000, 1, 1)
_LATEST = dt.date(9998, 12, 31)


@dataclass(frozen=True)
class ListQuery:
    """What a client asked of a list: filters by parameter name, keyword, sort, page window."""

    filters: Mapping[str, Any] = field(default_factory=dict)
    q: str | None = None
    sort: str | None = None
    offset: int = 0
    limit: int = DEFAULT_LIMIT
    timezone: str = "Asia/Shanghai"

    def params(self, *, page: bool = False) -> dict[str, str]:
        """The query as URL parameters (for pagination, sort links and the export link)."""
        found = {name: _as_text(value) for name, value in self.filters.items() if value is not None}
        if self.q:
            found["q"] = self.q
        if self.sort:
            found["sort"] = self.sort
        if page:
            found["offset"] = str(self.offset)
            found["limit"] = str(self.limit)
        return found


def _as_text(value: Any) -> str:
    if isinstance(value, enum.Enum):
        return str(value.value)
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dt.date | dt.datetime):
        return value.isoformat()
    return str(value)


@dataclass(frozen=True)
class ResolvedFilter:
    """A `Filter` with its kind, value type and label worked out from the model and registry."""

    field: str
    param: str
    label: str
    kind: FilterKind
    type: Any
    where: Callable[[Any], ColumnElement[bool]] | None
    options: Options | None
    choices: Mapping[Any, str] | None


def _column_type(registry: Registry[Any, Any, Any, Any], name: str) -> Any:
    attr = getattr(registry.model, name, None)
    column_type = getattr(getattr(attr, "expression", None), "type", None)
    if column_type is None:
        return None
    enum_class = getattr(column_type, "enum_class", None)
    if enum_class is not None:
        return enum_class
    # A TypeDecorator (e.g. UTCDateTime) reports `object`; its implementation knows better.
    column_type = getattr(column_type, "impl_instance", column_type)
    try:
        found = column_type.python_type
    except NotImplementedError:
        return None
    return None if found is object else found


def resolve(registry: Registry[Any, Any, Any, Any], spec: Filter) -> ResolvedFilter:
    value_type = spec.type or _column_type(registry, spec.field)
    if value_type is None:
        raise ValueError(f"filter {spec.field!r}: give its type, the model cannot tell")
    kind: FilterKind = spec.kind
    choices = registry.choices.get(spec.field)
    if kind == "auto":
        if (
            spec.where is None
            and isinstance(value_type, type)
            and issubclass(value_type, enum.Enum)
        ):
            kind = "enum"
        elif spec.where is None and value_type in (dt.datetime, dt.date):
            kind = "date_range"
        else:
            kind = "exact"
    if kind == "unit":
        value_type = int
    return ResolvedFilter(
        field=spec.field,
        param=spec.param or spec.field,
        label=spec.label or registry.label_of(spec.field),
        kind=kind,
        type=value_type,
        where=spec.where,
        options=spec.options,
        choices=choices,
    )


def resolved_filters(registry: Registry[Any, Any, Any, Any]) -> list[ResolvedFilter]:
    return [resolve(registry, spec) for spec in registry.filters]


# --- parameters --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Param:
    """One query parameter: its type, default and constraints, for FastAPI and for pydantic."""

    name: str
    annotation: Any
    default: Any
    description: str
    constraints: Mapping[str, Any] = field(default_factory=dict)


def _literal(values: tuple[Any, ...]) -> Any:
    """`Literal[values...]` built at run time: OpenAPI then lists the allowed values."""
    return Literal.__getitem__(values)


def _optional(annotation: Any) -> Any:
    return annotation | None


def _annotated(annotation: Any, metadata: Any) -> Any:
    return Annotated.__class_getitem__((annotation, metadata))  # type: ignore[attr-defined]


def _filter_params(spec: ResolvedFilter) -> list[Param]:
    if spec.kind == "date_range":
        return [
            Param(
                f"{spec.param}_from", dt.date | None, None, f"{spec.label}起（含，北京时间日期）"
            ),
            Param(f"{spec.param}_to", dt.date | None, None, f"{spec.label}止（含，北京时间日期）"),
        ]
    if spec.kind == "unit":
        text = f"{spec.label}：该单位及其下级单位的组织机构编号"
        return [Param(spec.param, int | None, None, text, {"ge": 1, "le": MAX_INT})]
    if spec.type is int:
        bounds = {"ge": -MAX_INT, "le": MAX_INT}
        return [Param(spec.param, int | None, None, spec.label, bounds)]
    if spec.type is str:
        if spec.choices:
            return [Param(spec.param, _optional(_literal(tuple(spec.choices))), None, spec.label)]
        return [Param(spec.param, str | None, None, spec.label, {"max_length": 100})]
    return [Param(spec.param, _optional(spec.type), None, spec.label)]


def list_params(registry: Registry[Any, Any, Any, Any]) -> list[Param]:
    """Every query parameter of the registry's list, in a stable order."""
    params: list[Param] = []
    for spec in resolved_filters(registry):
        params.extend(_filter_params(spec))
    if registry.search:
        searched = "、".join(registry.label_of(name) for name in registry.search)
        params.append(Param("q", str | None, None, f"关键字（{searched}）", {"max_length": 100}))
    if registry.sortable:
        values = tuple(v for name in registry.sortable for v in (name, f"-{name}"))
        text = "排序字段，前加 - 为倒序：" + "、".join(registry.sortable)
        params.append(Param("sort", _optional(_literal(values)), None, text))
    params.append(Param("offset", int, 0, "跳过条数", {"ge": 0, "le": MAX_OFFSET}))
    params.append(Param("limit", int, DEFAULT_LIMIT, "每页条数", {"ge": 1, "le": MAX_LIMIT}))
    return params


def _to_query(values: Mapping[str, Any], params: list[Param], timezone: str) -> ListQuery:
    filters = {
        p.name: values.get(p.name)
        for p in params
        if p.name not in ("q", "sort", "offset", "limit") and values.get(p.name) is not None
    }
    q = values.get("q")
    return ListQuery(
        filters=filters,
        q=q.strip() or None if isinstance(q, str) else None,
        sort=values.get("sort"),
        offset=int(values.get("offset") or 0),
        limit=int(values.get("limit") or DEFAULT_LIMIT),
        timezone=timezone,
    )


def _timezone(request: Request) -> str:
    settings = getattr(request.app.state, "settings", None)
    return str(getattr(settings, "timezone", "Asia/Shanghai"))


def api_dependency(registry: Registry[Any, Any, Any, Any]) -> Callable[..., ListQuery]:
    """A FastAPI dependency declaring each list parameter (so OpenAPI documents them)."""
    params = list_params(registry)

    def dependency(request: Request, **values: Any) -> ListQuery:
        return _to_query(values, params, _timezone(request))

    signature = [inspect.Parameter("request", inspect.Parameter.KEYWORD_ONLY, annotation=Request)]
    for p in params:
        annotation = _annotated(p.annotation, Query(description=p.description, **p.constraints))
        signature.append(
            inspect.Parameter(
                p.name, inspect.Parameter.KEYWORD_ONLY, default=p.default, annotation=annotation
            )
        )
    dependency.__signature__ = inspect.Signature(signature)  # type: ignore[attr-defined]
    dependency.__name__ = f"{registry.name}_list_query"
    return dependency


def page_dependency(registry: Registry[Any, Any, Any, Any]) -> Callable[[Request], ListQuery]:
    """The same parameters read from a page's URL, where an empty form field means "any"."""
    params = list_params(registry)
    fields: dict[str, Any] = {
        p.name: (p.annotation, Field(p.default, **p.constraints)) for p in params
    }
    model: type[BaseModel] = create_model(f"{registry.name}_page_query", **fields)

    def dependency(request: Request) -> ListQuery:
        known = {p.name for p in params}
        raw = {k: v for k, v in request.query_params.items() if k in known and v.strip() != ""}
        try:
            values = model.model_validate(raw)
        except ValidationError as exc:
            errors = [{**e, "loc": ("query", *e["loc"])} for e in exc.errors()]
            raise RequestValidationError(errors) from None
        return _to_query(values.model_dump(), params, _timezone(request))

    dependency.__name__ = f"{registry.name}_page_query"
    return dependency


# --- SQL ---------------------------------------------------------------------------------------


def _day_bound(day: dt.date, timezone: str, end: bool) -> dt.datetime:
    moment = dt.time.max if end else dt.time.min
    return dt.datetime.combine(day, moment, ZoneInfo(timezone))


def _range(
    column: Any, value_type: Any, start: dt.date | None, stop: dt.date | None, timezone: str
) -> list[ColumnElement[bool]]:
    conditions: list[ColumnElement[bool]] = []
    if start is not None and start > _EARLIEST:
        low = _day_bound(start, timezone, end=False) if value_type is dt.datetime else start
        conditions.append(column >= low)
    if stop is not None and stop < _LATEST:
        high = _day_bound(stop, timezone, end=True) if value_type is dt.datetime else stop
        conditions.append(column <= high)
    return conditions


def _unit_subtree(column: InstrumentedAttribute[int], unit_id: int) -> ColumnElement[bool]:
    # Paths hold only digits and slashes, so the LIKE prefix needs no escaping.
    prefix = select(OrgUnit.path).where(OrgUnit.id == unit_id).scalar_subquery()
    return column.in_(select(OrgUnit.id).where(OrgUnit.path.startswith(prefix)))


def conditions(
    registry: Registry[Any, Any, Any, Any], query: ListQuery
) -> list[ColumnElement[bool]]:
    """WHERE conditions for the filters and keyword of `query` (scope is added by the service)."""
    found: list[ColumnElement[bool]] = []
    for spec in resolved_filters(registry):
        column = getattr(registry.model, spec.field, None)
        if spec.kind == "date_range":
            start = query.filters.get(f"{spec.param}_from")
            stop = query.filters.get(f"{spec.param}_to")
            found.extend(_range(column, spec.type, start, stop, query.timezone))
            continue
        value = query.filters.get(spec.param)
        if value is None:
            continue
        if spec.where is not None:
            found.append(spec.where(value))
        elif spec.kind == "unit":
            found.append(_unit_subtree(column, value))  # type: ignore[arg-type]
        else:
            found.append(column == value)
    if query.q and registry.search:
        text = query.q.replace("\x00", "")
        found.append(
            or_(
                *(
                    getattr(registry.model, name).icontains(text, autoescape=True)
                    for name in registry.search
                )
            )
        )
    return found


def ordered(
    registry: Registry[Any, Any, Any, Any], stmt: Select[Any], sort: str | None
) -> Select[Any]:
    """Sort by the requested field (or the registry default), then by id for stable pages."""
    key = sort if sort and sort.removeprefix("-") in registry.sortable else registry.default_sort
    column = getattr(registry.model, key.removeprefix("-"))
    primary = registry.model.id
    first = column.desc() if key.startswith("-") else column.asc()
    return stmt.order_by(first, primary.desc() if key.startswith("-") else primary.asc())
