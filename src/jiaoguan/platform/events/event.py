"""Typed events: one pydantic model per subject, a registry to decode them by subject."""

from __future__ import annotations

import datetime as dt
import re
import uuid
from typing import Any, ClassVar

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, field_validator

# Subjects are dot-separated lowercase tokens; wildcards belong to subscription patterns only.
_SUBJECT = re.compile(r"^[a-z0-9_-]+(\.[a-z0-9_-]+)*$")
_REGISTRY: dict[str, type[Event]] = {}


class UnknownEvent(LookupError):
    """No event class is registered for the subject (a typo, or a producer newer than this code)."""

    def __init__(self, subject: str) -> None:
        super().__init__(f"no event type registered for subject {subject!r}")
        self.subject = subject


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


class Event(BaseModel):
    """Base of every event. Subclasses name their subject: `class X(Event, subject="a.b"): ...`."""

    # Unknown keys are ignored (tolerant reader: during a rolling deploy a newer producer may add a
    # field); a missing or mistyped field is a ValidationError, never a silently wrong event.
    model_config = ConfigDict(frozen=True, extra="ignore")

    subject: ClassVar[str]

    id: uuid.UUID = Field(default_factory=uuid.uuid4)
    occurred_at: AwareDatetime = Field(default_factory=_now)
    # Materialised path of the org unit the event belongs to ("/1/4/"); push filters on it.
    unit_path: str = "/"

    def __init_subclass__(cls, subject: str | None = None, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if subject is None:
            # An intermediate base class without a subject of its own is not registered.
            return
        if not _SUBJECT.match(subject) or len(subject) > 100:
            raise ValueError(f"invalid event subject {subject!r}")
        existing = _REGISTRY.get(subject)
        # The same class defined again (a module reloaded) replaces itself; another class may not.
        if existing is not None and _name(existing) != _name(cls):
            raise ValueError(f"subject {subject!r} already used by {_name(existing)}")
        cls.subject = subject
        _REGISTRY[subject] = cls

    @field_validator("occurred_at")
    @classmethod
    def _as_utc(cls, value: dt.datetime) -> dt.datetime:
        return value.astimezone(dt.UTC)

    def to_json(self) -> bytes:
        return self.model_dump_json().encode()

    def payload(self) -> dict[str, Any]:
        """The JSON-compatible dict stored in the outbox."""
        return self.model_dump(mode="json")


def _name(cls: type[Event]) -> str:
    return f"{cls.__module__}.{cls.__qualname__}"


def event_type(subject: str) -> type[Event]:
    try:
        return _REGISTRY[subject]
    except KeyError:
        raise UnknownEvent(subject) from None


def decode_event(subject: str, data: bytes | dict[str, Any]) -> Event:
    """The typed event for `subject`; raises UnknownEvent or pydantic.ValidationError."""
    cls = event_type(subject)
    if isinstance(data, bytes | bytearray):
        return cls.model_validate_json(data)
    return cls.model_validate(data)


def registered_subjects() -> list[str]:
    return sorted(_REGISTRY)
