"""Checkpoints, lanes and VIID devices as registries (platform/crud): list, filter, CRUD, Excel.

Checkpoints and devices are scoped by `unit_id`; lanes by their checkpoint's unit. A checkpoint
with passes cannot be deleted (set it to 停用 instead): pass records keep its id without a foreign
key (the hot path), so the rule lives here.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import ColumnElement, select
from sqlalchemy.orm import Session

from jiaoguan.checkpoint import schemas as s
from jiaoguan.checkpoint import service
from jiaoguan.checkpoint.digest import digest_ha1
from jiaoguan.checkpoint.models import (
    CHECKPOINT_STATUS_LABELS,
    DEVICE_KIND_LABELS,
    DIRECTION_LABELS,
    SITE_KIND_LABELS,
    TOLLGATE_CAT_LABELS,
    Checkpoint,
    Lane,
    PassRecordRow,
    ViidDevice,
)
from jiaoguan.platform.auth.permissions import CHECKPOINT_READ, CHECKPOINT_WRITE
from jiaoguan.platform.auth.service import Principal, in_scope
from jiaoguan.platform.crud import Column, Filter, Hooks, Registry, unit_by_code, units_in_scope
from jiaoguan.platform.errors import Conflict, Invalid

SECTION = "缉查布控"


def visible_checkpoint(db: Session, principal: Principal, checkpoint_id: int | None) -> None:
    if checkpoint_id is None:
        return
    found = db.scalar(
        select(Checkpoint.id).where(
            Checkpoint.id == checkpoint_id, in_scope(principal, Checkpoint.unit_id)
        )
    )
    if found is None:
        raise Invalid("卡口不存在或不在数据权限范围内", ["checkpoint_id"])


def checkpoint_options(db: Session, principal: Principal) -> list[tuple[Any, str]]:
    stmt = (
        select(Checkpoint)
        .where(in_scope(principal, Checkpoint.unit_id))
        .order_by(Checkpoint.name)
        .limit(2000)
    )
    return [(c.id, f"{c.name}（{c.code}）") for c in db.scalars(stmt)]


def checkpoint_by_code(db: Session, principal: Principal, text: Any) -> int:
    """Import converter: a checkpoint by its 20-digit code (or exact name), in scope."""
    value = str(text).strip()
    stmt = select(Checkpoint).where(in_scope(principal, Checkpoint.unit_id))
    found = db.scalar(stmt.where(Checkpoint.code == value))
    if found is None:
        named = list(db.scalars(stmt.where(Checkpoint.name == value).limit(2)))
        found = named[0] if len(named) == 1 else None
    if found is None:
        raise Invalid(f"卡口“{value}”不存在或不在数据权限范围内")
    return found.id


def checkpoint_detail(db: Session, principal: Principal, obj: Checkpoint) -> dict[str, Any]:
    """The detail page's health card and lanes."""
    found = service.health(db, principal, checkpoint_id=obj.id)
    return {"health": found[0] if found else None, "lanes": list(obj.lanes)}


class CheckpointRules(Hooks[Checkpoint, Any, Any]):
    def before_delete(self, db: Session, principal: Principal, obj: Checkpoint) -> None:
        has_passes = db.scalar(
            select(PassRecordRow.record_id).where(PassRecordRow.checkpoint_id == obj.id).limit(1)
        )
        if has_passes is not None:
            raise Conflict("该卡口已有过车记录，不能删除；如已撤除请将状态改为“停用”")


CHECKPOINTS: Registry[Checkpoint, Any, Any, s.CheckpointRead] = Registry(
    model=Checkpoint,
    create_schema=s.CheckpointCreate,
    update_schema=s.CheckpointUpdate,
    read_schema=s.CheckpointRead,
    label="卡口",
    slug="checkpoints",
    resource="checkpoint",
    read_permission=CHECKPOINT_READ,
    write_permission=CHECKPOINT_WRITE,
    page_prefix="/checkpoint/checkpoints",
    section=SECTION,
    scope="unit_id",
    columns=(
        Column("name", "卡口名称"),
        Column("code", "卡口编号"),
        Column("kind", "卡口类型"),
        Column("site_kind", "点位类型"),
        Column("lane_count", "车道数"),
        Column("direction", "监测方向"),
        Column("status", "状态"),
        Column("unit.name", "管辖单位"),
        Column("address", "地址", in_list=False),
        Column("place_code", "行政区划代码", in_list=False),
        Column("lon", "经度", in_list=False),
        Column("lat", "纬度", in_list=False),
        Column("updated_at", "更新时间", in_list=False),
    ),
    filters=(
        Filter("kind"),
        Filter("site_kind"),
        Filter("status"),
        Filter("unit_id", label="管辖单位（含下级）", kind="unit"),
    ),
    sortable=("name", "code", "lane_count", "updated_at"),
    default_sort="code",
    search=("name", "code", "address"),
    unique=("code",),
    choices={
        "kind": TOLLGATE_CAT_LABELS,
        "site_kind": SITE_KIND_LABELS,
        "status": CHECKPOINT_STATUS_LABELS,
        "direction": DIRECTION_LABELS,
    },
    options={"unit_id": units_in_scope},
    import_converters={"unit_id": unit_by_code},
    eager=("unit",),
    hooks=CheckpointRules(),
    templates={"detail": "checkpoint/checkpoint_detail.html"},
    detail_context=checkpoint_detail,
)


def _lane_scope(principal: Principal) -> ColumnElement[bool]:
    return Lane.checkpoint.has(in_scope(principal, Checkpoint.unit_id))


class LaneRules(Hooks[Lane, Any, Any]):
    def before_create(self, db: Session, principal: Principal, data: Any) -> None:
        visible_checkpoint(db, principal, data.checkpoint_id)
        taken = db.scalar(
            select(Lane.id).where(
                Lane.checkpoint_id == data.checkpoint_id, Lane.lane_no == data.lane_no
            )
        )
        if taken is not None:
            raise Conflict(f"该卡口已有 {data.lane_no} 号车道", ["lane_no"])

    def before_update(
        self, db: Session, principal: Principal, obj: Lane, changes: dict[str, Any]
    ) -> None:
        lane_no = changes.get("lane_no")
        if lane_no is not None and lane_no != obj.lane_no:
            taken = db.scalar(
                select(Lane.id).where(
                    Lane.checkpoint_id == obj.checkpoint_id, Lane.lane_no == lane_no
                )
            )
            if taken is not None:
                raise Conflict(f"该卡口已有 {lane_no} 号车道", ["lane_no"])


LANES: Registry[Lane, Any, Any, s.LaneRead] = Registry(
    model=Lane,
    create_schema=s.LaneCreate,
    update_schema=s.LaneUpdate,
    read_schema=s.LaneRead,
    label="车道",
    slug="checkpoint-lanes",
    resource="checkpoint_lane",
    read_permission=CHECKPOINT_READ,
    write_permission=CHECKPOINT_WRITE,
    page_prefix="/checkpoint/lanes",
    section=SECTION,
    scope=_lane_scope,
    columns=(
        Column("checkpoint.name", "卡口"),
        Column("lane_no", "车道号"),
        Column("direction", "行驶方向"),
        Column("description", "说明"),
    ),
    filters=(Filter("checkpoint_id", label="卡口", type=int, options=checkpoint_options),),
    sortable=("lane_no", "checkpoint_id"),
    default_sort="checkpoint_id",
    search=("description",),
    choices={"direction": DIRECTION_LABELS},
    options={"checkpoint_id": checkpoint_options},
    import_converters={"checkpoint_id": checkpoint_by_code},
    eager=("checkpoint",),
    hooks=LaneRules(),
    title_field="description",
)


class DeviceRules(Hooks[ViidDevice, Any, Any]):
    def before_create(self, db: Session, principal: Principal, data: Any) -> None:
        visible_checkpoint(db, principal, data.checkpoint_id)

    def values(self, db: Session, principal: Principal, data: Any) -> dict[str, Any]:
        values: dict[str, Any] = data.model_dump(exclude={"password"})
        values["digest_ha1"] = digest_ha1(data.device_id, data.password)
        return values

    def before_update(
        self, db: Session, principal: Principal, obj: ViidDevice, changes: dict[str, Any]
    ) -> None:
        if "checkpoint_id" in changes:
            visible_checkpoint(db, principal, changes["checkpoint_id"])

    def apply(
        self, db: Session, principal: Principal, obj: ViidDevice, changes: dict[str, Any]
    ) -> None:
        changes = dict(changes)
        password = changes.pop("password", None)
        if password:
            obj.digest_ha1 = digest_ha1(obj.device_id, password)
            obj.expires_at = None  # a new password ends the current registration
        if changes.get("enabled") is False:
            obj.expires_at = None
        super().apply(db, principal, obj, changes)


DEVICES: Registry[ViidDevice, Any, Any, s.DeviceRead] = Registry(
    model=ViidDevice,
    create_schema=s.DeviceCreate,
    update_schema=s.DeviceUpdate,
    read_schema=s.DeviceRead,
    label="视图库接入设备",
    slug="viid-devices",
    resource="viid_device",
    read_permission=CHECKPOINT_READ,
    write_permission=CHECKPOINT_WRITE,
    page_prefix="/checkpoint/devices",
    section=SECTION,
    scope="unit_id",
    columns=(
        Column("name", "设备名称"),
        Column("device_id", "设备编号"),
        Column("kind", "设备类型"),
        Column("checkpoint.name", "所属卡口"),
        Column("enabled", "启用"),
        Column("last_seen_at", "最近通信"),
        Column("expires_at", "注册有效期至"),
        Column("unit.name", "管辖单位"),
        Column("registered_at", "注册时间", in_list=False),
    ),
    filters=(
        Filter("kind"),
        Filter("enabled"),
        Filter("unit_id", label="管辖单位（含下级）", kind="unit"),
    ),
    sortable=("name", "device_id", "last_seen_at"),
    default_sort="device_id",
    search=("name", "device_id"),
    unique=("device_id",),
    choices={"kind": DEVICE_KIND_LABELS},
    options={"unit_id": units_in_scope, "checkpoint_id": checkpoint_options},
    import_converters={"unit_id": unit_by_code, "checkpoint_id": checkpoint_by_code},
    eager=("unit", "checkpoint"),
    hooks=DeviceRules(),
)

ALL_REGISTRIES = (CHECKPOINTS, LANES, DEVICES)
