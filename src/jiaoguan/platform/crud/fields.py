"""Schema building blocks for registries and the shape analysis forms and imports rely on."""

from __future__ import annotations

import datetime as dt
import enum
import re
import types
import typing
from dataclasses import dataclass
from typing import Annotated, Any, Literal, Union

from pydantic import BaseModel, ConfigDict, Field, field_validator
from pydantic.fields import FieldInfo

# PostgreSQL INTEGER: a larger id in a body must be refused, not sent to the database.
MAX_ID = 2_147_483_647
Id = Annotated[int, Field(ge=1, le=MAX_ID)]

_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def _reject_control(value: Any) -> Any:
    if isinstance(value, str) and _CONTROL.search(value):
        raise ValueError("不能包含控制字符")
    if isinstance(value, list | tuple | set | frozenset):
        for item in value:
            _reject_control(item)
    return value


class Schema(BaseModel):
    """Base of Create / Update schemas: trimmed text, no control characters, no unknown fields.

    Control characters are refused because PostgreSQL rejects NUL in text (a 500 otherwise) and
    none of them belongs in a registry field.
    """

    model_config = ConfigDict(str_strip_whitespace=True, extra="forbid")

    @field_validator("*", mode="after")
    @classmethod
    def _printable(cls, value: Any) -> Any:
        return _reject_control(value)


class ReadSchema(BaseModel):
    """Base of Read schemas: built from ORM objects."""

    model_config = ConfigDict(from_attributes=True)


# --- shapes --------------------------------------------------------------------------------------

ShapeKind = Literal["str", "int", "number", "bool", "enum", "choice", "date", "datetime", "list"]


@dataclass(frozen=True)
class Shape:
    """What kind of value a schema field holds, as forms and Excel cells need to know."""

    kind: ShapeKind
    nullable: bool = False
    enum_class: type[enum.Enum] | None = None
    literal_values: tuple[Any, ...] = ()
    item: Shape | None = None
    max_length: int | None = None


def _unwrap(annotation: Any) -> tuple[Any, bool]:
    """The annotation without Optional/Annotated, and whether None was allowed."""
    nullable = False
    while True:
        origin = typing.get_origin(annotation)
        if origin is Annotated:
            annotation = typing.get_args(annotation)[0]
            continue
        if origin in (Union, types.UnionType):
            args = [a for a in typing.get_args(annotation) if a is not type(None)]
            nullable = nullable or len(args) < len(typing.get_args(annotation))
            if len(args) == 1:
                annotation = args[0]
                continue
        return annotation, nullable


def shape_of_annotation(annotation: Any, max_length: int | None = None) -> Shape:
    inner, nullable = _unwrap(annotation)
    origin = typing.get_origin(inner)
    if origin in (list, set, tuple, frozenset):
        args = typing.get_args(inner)
        item = shape_of_annotation(args[0]) if args else Shape("str")
        return Shape("list", nullable, item=item)
    if origin is Literal:
        return Shape("choice", nullable, literal_values=typing.get_args(inner))
    if isinstance(inner, type):
        if issubclass(inner, enum.Enum):
            return Shape("enum", nullable, enum_class=inner)
        if issubclass(inner, bool):
            return Shape("bool", nullable)
        if issubclass(inner, int):
            return Shape("int", nullable)
        if issubclass(inner, float):
            return Shape("number", nullable)
        if issubclass(inner, dt.datetime):
            return Shape("datetime", nullable)
        if issubclass(inner, dt.date):
            return Shape("date", nullable)
    return Shape("str", nullable, max_length=max_length)


def shape_of(info: FieldInfo) -> Shape:
    max_length = next(
        (m.max_length for m in info.metadata if getattr(m, "max_length", None) is not None), None
    )
    return shape_of_annotation(info.annotation, max_length)


def choice_values(shape: Shape) -> list[Any]:
    """The allowed values of an enum or literal field (or of a list's items)."""
    if shape.kind == "list" and shape.item is not None:
        return choice_values(shape.item)
    if shape.enum_class is not None:
        return [member.value for member in shape.enum_class]
    return list(shape.literal_values)
