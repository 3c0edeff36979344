"""Restriction rules (禁行规则, 闯禁行): a small registry, and their in-memory check on ingest.

A rule names the vehicles (trucks by GA/T 16.4 class prefix, hazmat or muck trucks from the vehicle
registry, yellow plates), the checkpoints that guard the zone, and the local hours and weekdays.
Only passes at guarded checkpoints are looked at: one dict lookup for every other pass.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from pydantic import Field, field_validator
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from jiaoguan.checkpoint.matcher import mark_changed
from jiaoguan.checkpoint.models import Checkpoint
from jiaoguan.checkpoint.watch_models import (
    RESTRICTION_TARGET_LABELS,
    RestrictionRule,
    RestrictionTarget,
)
from jiaoguan.platform.auth.permissions import CHECKPOINT_READ, CHECKPOINT_WRITE
from jiaoguan.platform.auth.service import Principal
from jiaoguan.platform.crud import (
    Column,
    Filter,
    Hooks,
    Id,
    ReadSchema,
    Registry,
    Schema,
    unit_by_code,
    units_in_scope,
)
from jiaoguan.platform.errors import Invalid
from jiaoguan.registry.models import RETIRED_VEHICLE, Vehicle, VehicleUse
from jiaoguan.registry.validators import normalise_plate

if TYPE_CHECKING:
    from jiaoguan.checkpoint.ingest import PassRecord

BEIJING = ZoneInfo("Asia/Shanghai")
_HHMM = re.compile(r"^([01]\d|2[0-3]):[0-5]\d$")
DEFAULT_TRUCK_CLASSES = ("H", "Q")
YELLOW = "6"  # GA/T 1400 ColorType


# --- schemas -----------------------------------------------------------------------------------


def _hhmm(value: str) -> str:
    if not _HHMM.match(value):
        raise ValueError("时间应为 HH:MM（24 小时制），如 07:00")
    return value


def _weekdays(value: str) -> str:
    if not value or not set(value) <= set("1234567"):
        raise ValueError("适用星期应为 1–7 的数字组合，如 12345（周一至周五）")
    return "".join(sorted(set(value)))


def _codes(values: list[str]) -> list[str]:
    for code in values:
        if not (len(code) == 20 and code.isdigit()):
            raise ValueError(f"卡口编号“{code}”应为 20 位数字")
    return list(dict.fromkeys(values))


def _classes(values: list[str]) -> list[str]:
    out = [v.strip().upper() for v in values if v.strip()]
    for v in out:
        if not re.fullmatch(r"[A-Z][0-9A-Z]{0,2}", v):
            raise ValueError(f"车辆类型前缀“{v}”不正确，应如 H、H1、Q11")
    return list(dict.fromkeys(out))


def _plates(values: list[str]) -> list[str]:
    return sorted({normalise_plate(v) for v in values if normalise_plate(v)})


class RestrictionRuleCreate(Schema):
    name: str = Field(min_length=2, max_length=100, title="规则名称")
    target: RestrictionTarget = Field(title="限制对象")
    vehicle_classes: list[str] = Field(
        default_factory=list,
        max_length=50,
        title="车辆类型前缀",
        description="限制对象为货车时按 GA/T 16.4 车辆类型前缀匹配，如 H1、H2、Q；空为全部货车（H、Q）",
    )
    checkpoint_codes: list[str] = Field(
        min_length=1,
        max_length=500,
        title="禁行区域卡口",
        description="守卫禁行区域的卡口编号（20 位）",
    )
    start_time: str = Field(title="开始时间", description="北京时间 HH:MM", max_length=5)
    end_time: str = Field(
        title="结束时间", description="北京时间 HH:MM；早于开始时间表示跨夜", max_length=5
    )
    weekdays: str = Field(
        "1234567", title="适用星期", description="如 12345 为周一至周五", max_length=7
    )
    exempt_plates: list[str] = Field(
        default_factory=list, max_length=1000, title="通行证号牌", description="持证允许通行的号牌"
    )
    active: bool = Field(True, title="启用")
    unit_id: Id = Field(title="管理单位", description="导入时填机构编码或全称")
    note: str | None = Field(None, max_length=500, title="备注")

    _start = field_validator("start_time", "end_time")(_hhmm)
    _days = field_validator("weekdays")(_weekdays)
    _cps = field_validator("checkpoint_codes")(_codes)
    _cls = field_validator("vehicle_classes")(_classes)
    _exempt = field_validator("exempt_plates")(_plates)


class RestrictionRuleUpdate(Schema):
    name: str | None = Field(None, min_length=2, max_length=100, title="规则名称")
    target: RestrictionTarget | None = Field(None, title="限制对象")
    vehicle_classes: list[str] | None = Field(None, max_length=50, title="车辆类型前缀")
    checkpoint_codes: list[str] | None = Field(
        None, min_length=1, max_length=500, title="禁行区域卡口"
    )
    start_time: str | None = Field(None, title="开始时间", max_length=5)
    end_time: str | None = Field(None, title="结束时间", max_length=5)
    weekdays: str | None = Field(None, title="适用星期", max_length=7)
    exempt_plates: list[str] | None = Field(None, max_length=1000, title="通行证号牌")
    active: bool | None = Field(None, title="启用")
    unit_id: Id | None = Field(None, title="管理单位")
    note: str | None = Field(None, max_length=500, title="备注")

    _start = field_validator("start_time", "end_time")(lambda v: v if v is None else _hhmm(v))
    _days = field_validator("weekdays")(lambda v: v if v is None else _weekdays(v))
    _cps = field_validator("checkpoint_codes")(lambda v: v if v is None else _codes(v))
    _cls = field_validator("vehicle_classes")(lambda v: v if v is None else _classes(v))
    _exempt = field_validator("exempt_plates")(lambda v: v if v is None else _plates(v))


class RestrictionRuleRead(ReadSchema):
    id: int
    name: str
    target: RestrictionTarget
    vehicle_classes: list[str]
    checkpoint_codes: list[str]
    start_time: str
    end_time: str
    weekdays: str
    exempt_plates: list[str]
    active: bool
    unit_id: int
    note: str | None
    created_at: dt.datetime
    updated_at: dt.datetime


class RuleHooks(Hooks[RestrictionRule, RestrictionRuleCreate, RestrictionRuleUpdate]):
    """Every checkpoint of the zone must exist; any change reloads the matchers."""

    def _check_codes(self, db: Session, codes: list[str] | None) -> None:
        if not codes:
            return
        known = set(db.scalars(select(Checkpoint.code).where(Checkpoint.code.in_(codes))))
        missing = [c for c in codes if c not in known]
        if missing:
            raise Invalid(f"卡口不存在：{'、'.join(missing[:5])}", ["checkpoint_codes"])

    def before_create(self, db: Session, principal: Principal, data: RestrictionRuleCreate) -> None:
        self._check_codes(db, data.checkpoint_codes)
        mark_changed(db)

    def before_update(
        self, db: Session, principal: Principal, obj: RestrictionRule, changes: dict[str, Any]
    ) -> None:
        self._check_codes(db, changes.get("checkpoint_codes"))
        mark_changed(db)

    def before_delete(self, db: Session, principal: Principal, obj: RestrictionRule) -> None:
        mark_changed(db)


def _time_window(rule: Any) -> str:
    return f"{rule.start_time}–{rule.end_time}"


RULES: Registry[RestrictionRule, Any, Any, Any] = Registry(
    model=RestrictionRule,
    create_schema=RestrictionRuleCreate,
    update_schema=RestrictionRuleUpdate,
    read_schema=RestrictionRuleRead,
    label="禁行规则",
    slug="checkpoint/restriction-rules",
    resource="restriction_rule",
    read_permission=CHECKPOINT_READ,
    write_permission=CHECKPOINT_WRITE,
    page_prefix="/checkpoint/restriction-rules",
    section="缉查布控",
    scope="unit_id",
    columns=(
        Column("name", "规则名称"),
        Column("target", "限制对象"),
        Column("vehicle_classes", "车辆类型前缀"),
        Column("checkpoint_codes", "禁行区域卡口", in_list=False),
        Column("start_time", "开始时间"),
        Column("end_time", "结束时间"),
        Column("weekdays", "适用星期"),
        Column("exempt_plates", "通行证号牌", in_list=False),
        Column("active", "启用"),
        Column("unit.name", "管理单位"),
        Column("note", "备注", in_list=False),
        Column("updated_at", "更新时间", in_list=False),
    ),
    filters=(
        Filter("target"),
        Filter("active", label="启用"),
        Filter("unit_id", label="管理单位（含下级）", kind="unit"),
    ),
    sortable=("name", "updated_at"),
    default_sort="name",
    search=("name",),
    choices={"target": RESTRICTION_TARGET_LABELS},
    options={"unit_id": units_in_scope},
    import_converters={"unit_id": unit_by_code},
    hooks=RuleHooks(),
    eager=("unit",),
)


# --- the in-memory check -------------------------------------------------------------------------


def _minutes(hhmm: str) -> int:
    hours, minutes = hhmm.split(":")
    return int(hours) * 60 + int(minutes)


@dataclass(frozen=True, slots=True)
class RuleEntry:
    rule_id: int
    name: str
    target: str
    classes: tuple[str, ...]
    start_min: int
    end_min: int
    weekdays: frozenset[int]
    exempt: frozenset[str]
    window: str

    def in_force(self, local: dt.datetime) -> bool:
        if local.isoweekday() not in self.weekdays:
            return False
        minute = local.hour * 60 + local.minute
        if self.start_min <= self.end_min:
            return self.start_min <= minute < self.end_min
        return minute >= self.start_min or minute < self.end_min  # over midnight


@dataclass(frozen=True, slots=True)
class RestrictionHit:
    record: PassRecord
    rule: RuleEntry


class RestrictionIndex:
    def __init__(
        self,
        by_checkpoint: dict[int, tuple[RuleEntry, ...]],
        hazmat: frozenset[str] = frozenset(),
        muck: frozenset[str] = frozenset(),
    ) -> None:
        self.by_checkpoint = by_checkpoint
        self.hazmat = hazmat
        self.muck = muck

    def targets(self, rule: RuleEntry, record: PassRecord) -> bool:
        plate = record.plate
        if rule.target == RestrictionTarget.trucks:
            vclass = (record.vehicle_class or "").upper()
            return bool(vclass) and vclass.startswith(rule.classes)
        if rule.target == RestrictionTarget.hazmat:
            return plate in self.hazmat
        if rule.target == RestrictionTarget.muck:
            return plate in self.muck
        return record.plate_colour == YELLOW and len(plate) == 7  # large vehicles, not NEV

    def match(self, records: Sequence[PassRecord]) -> list[RestrictionHit]:
        by_checkpoint = self.by_checkpoint
        if not by_checkpoint:
            return []
        hits: list[RestrictionHit] = []
        for record in records:
            rules = by_checkpoint.get(record.checkpoint_id)
            if rules is None or not record.plate:
                continue
            local = record.passed_at.astimezone(BEIJING)
            for rule in rules:
                if (
                    rule.in_force(local)
                    and record.plate not in rule.exempt
                    and self.targets(rule, record)
                ):
                    hits.append(RestrictionHit(record, rule))
        return hits


def entry_of(rule: RestrictionRule) -> RuleEntry:
    classes = tuple(rule.vehicle_classes or DEFAULT_TRUCK_CLASSES)
    return RuleEntry(
        rule_id=rule.id,
        name=rule.name,
        target=rule.target.value,
        classes=classes,
        start_min=_minutes(rule.start_time),
        end_min=_minutes(rule.end_time),
        weekdays=frozenset(int(d) for d in rule.weekdays),
        exempt=frozenset(rule.exempt_plates or ()),
        window=_time_window(rule),
    )


def load_index(db: Session) -> RestrictionIndex:
    rules = list(db.scalars(select(RestrictionRule).where(RestrictionRule.active.is_(True))))
    codes = {code for rule in rules for code in rule.checkpoint_codes}
    stmt = select(Checkpoint.code, Checkpoint.id).where(Checkpoint.code.in_(codes))
    ids: dict[str, int] = {code: cid for code, cid in db.execute(stmt)}
    by_checkpoint: dict[int, list[RuleEntry]] = {}
    for rule in rules:
        entry = entry_of(rule)
        for code in rule.checkpoint_codes:
            if code in ids:
                by_checkpoint.setdefault(ids[code], []).append(entry)
    targets = {rule.target for rule in rules}
    hazmat = muck = frozenset[str]()
    on_road = Vehicle.status.not_in(RETIRED_VEHICLE)
    if RestrictionTarget.hazmat in targets:
        plates = select(Vehicle.plate_no).where(Vehicle.use == VehicleUse.hazmat, on_road)
        hazmat = frozenset(db.scalars(plates))
    if RestrictionTarget.muck in targets:
        plates = select(Vehicle.plate_no).where(Vehicle.muck_truck.is_(True), on_road)
        muck = frozenset(db.scalars(plates))
    return RestrictionIndex({k: tuple(v) for k, v in by_checkpoint.items()}, hazmat, muck)


def rule_version(db: Session) -> tuple[object, ...]:
    stmt = select(func.count(RestrictionRule.id), func.max(RestrictionRule.updated_at))
    return tuple(db.execute(stmt).one())
