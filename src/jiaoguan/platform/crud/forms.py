"""HTML forms derived from a registry's schemas: fields to render, form data to validate."""

from __future__ import annotations

import datetime as dt
import enum
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal
from zoneinfo import ZoneInfo

from pydantic import BaseModel, ValidationError
from sqlalchemy.orm import Session
from starlette.datastructures import FormData

from jiaoguan.platform.auth.service import Principal
from jiaoguan.platform.crud.fields import Shape, choice_values, shape_of
from jiaoguan.platform.crud.registry import Registry
from jiaoguan.platform.errors import DomainError, chinese_message

Widget = Literal[
    "text", "textarea", "number", "select", "checkbox", "checkboxes", "date", "datetime", "password"
]
AnyRegistry = Registry[Any, Any, Any, Any]
_LOCAL = ZoneInfo("Asia/Shanghai")


@dataclass
class FormField:
    """One input of a form, with its current value and the Chinese error to show beside it."""

    name: str
    label: str
    widget: Widget
    required: bool
    help: str = ""
    options: list[tuple[str, str]] = field(default_factory=list)
    value: Any = ""
    error: str = ""
    max_length: int | None = None

    def selected(self, option: str) -> bool:
        if isinstance(self.value, list):
            return option in self.value
        return bool(option == self.value)


def as_text(value: Any) -> str:
    """A value as an HTML input holds it."""
    if value is None:
        return ""
    if isinstance(value, enum.Enum):
        return str(value.value)
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dt.datetime):
        return value.astimezone(_LOCAL).strftime("%Y-%m-%dT%H:%M")
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value)


def _widget(name: str, shape: Shape, has_options: bool) -> Widget:
    if has_options:
        return "checkboxes" if shape.kind == "list" else "select"
    if shape.kind == "bool":
        return "checkbox"
    if shape.kind in ("int", "number"):
        return "number"
    if shape.kind == "date":
        return "date"
    if shape.kind == "datetime":
        return "datetime"
    if "password" in name:
        return "password"
    if shape.kind == "list" or (shape.max_length or 0) > 200:
        return "textarea"
    return "text"


def _options(
    registry: AnyRegistry, name: str, shape: Shape, db: Session, principal: Principal
) -> list[tuple[str, str]]:
    provider = registry.options.get(name)
    if provider is not None:
        return [(as_text(value), label) for value, label in provider(db, principal)]
    labels = registry.choices.get(name)
    if labels:
        return [(as_text(value), label) for value, label in labels.items()]
    return [(as_text(v), as_text(v)) for v in choice_values(shape)]


def form_fields(
    registry: AnyRegistry,
    schema: type[BaseModel],
    db: Session,
    principal: Principal,
    values: Mapping[str, Any],
    errors: Mapping[str, str],
    skip: Iterable[str] = (),
) -> list[FormField]:
    """The inputs of `schema` (Create or Update), filled with `values`, errors beside them."""
    skipped = set(skip)
    fields: list[FormField] = []
    for name, info in schema.model_fields.items():
        if name in skipped:
            continue
        shape = shape_of(info)
        options = _options(registry, name, shape, db, principal)
        widget = _widget(name, shape, bool(options))
        raw = values.get(name)
        if name not in values and not info.is_required():
            raw = info.get_default(call_default_factory=True)  # a new record starts at the defaults
        if widget == "checkboxes" or shape.kind == "list":
            value: Any = [as_text(v) for v in raw or []]
            if widget == "textarea":
                value = "\n".join(value)
        elif widget == "checkbox":
            value = bool(raw)
        else:
            value = as_text(raw)
            if widget == "select" and value and value not in {v for v, _ in options}:
                # A value the principal may keep but not choose (e.g. the parent of the unit at
                # the top of their scope): offered as is, so that saving does not clear it.
                options = [(value, "（保持当前值）"), *options]
        fields.append(
            FormField(
                name=name,
                label=registry.label_of(name),
                widget=widget,
                required=info.is_required(),
                help=info.description or "",
                options=options,
                value=value,
                error=errors.get(name, ""),
                max_length=shape.max_length,
            )
        )
    return fields


def _parse_one(shape: Shape, text: str) -> Any:
    if shape.kind == "datetime" and text and "+" not in text[10:] and not text.endswith("Z"):
        return f"{text}+08:00"  # datetime-local inputs hold Beijing time without a zone
    return text


def parse_form(
    schema: type[BaseModel], form: FormData, *, partial: bool, skip: Iterable[str] = ()
) -> dict[str, Any]:
    """Form data as the schema's input. An empty input means "not given" on create (defaults
    apply) and "clear" on update; an unticked checkbox means False / an empty list."""
    skipped = set(skip)
    data: dict[str, Any] = {}
    for name, info in schema.model_fields.items():
        if name in skipped:
            continue
        shape = shape_of(info)
        if shape.kind == "list":
            given = [str(v).strip() for v in form.getlist(name) if str(v).strip()]
            if len(given) == 1 and "\n" in given[0]:
                given = [line.strip() for line in given[0].splitlines() if line.strip()]
            data[name] = given
        elif shape.kind == "bool":
            data[name] = form.get(name) in ("true", "on", "1")
        else:
            raw = form.get(name)
            text = raw.strip() if isinstance(raw, str) else ""
            if text:
                data[name] = _parse_one(shape, text)
            elif partial and raw is not None:
                data[name] = None
    return data


def errors_of(exc: ValidationError | DomainError) -> tuple[dict[str, str], list[str]]:
    """Field errors (by field name) and the errors that belong to no field."""
    by_field: dict[str, str] = {}
    general: list[str] = []
    if isinstance(exc, ValidationError):
        for error in exc.errors():
            loc = error.get("loc") or ()
            message = chinese_message(dict(error))
            if loc and isinstance(loc[0], str):
                by_field.setdefault(loc[0], message)
            else:
                general.append(message)
        return by_field, general
    names = [str(part) for part in exc.field if part not in ("body", "path", "query")]
    if names:
        by_field[names[0]] = exc.message
    else:
        general.append(exc.message)
    return by_field, general
