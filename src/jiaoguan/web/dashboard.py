"""Home dashboard counters: each module registers functions that count what the user may see."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy.orm import Session

from jiaoguan.platform.auth.service import Principal


@dataclass(frozen=True)
class Counter:
    label: str
    value: int
    href: str
    icon: str
    tone: str = "primary"


CounterSource = Callable[[Session, Principal], list[Counter]]
COUNTER_SOURCES: list[CounterSource] = []


def counter_source(fn: CounterSource) -> CounterSource:
    COUNTER_SOURCES.append(fn)
    return fn


def collect_counters(db: Session, principal: Principal) -> list[Counter]:
    return [counter for source in COUNTER_SOURCES for counter in source(db, principal)]
