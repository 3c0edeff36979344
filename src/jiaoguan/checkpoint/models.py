"""Checkpoints (卡口), their lanes, VIID devices (with their registration), and pass records (过车).

Codes follow GA/T 1400 (standards.md §1.10): TollgateCat (80/81/82), Status (1/2/9),
MonitorDirection (1–9). `pass_record` is written by `checkpoint/ingest.py` without the ORM; the
mapped class is for reading and for the schema (migration 0009). On PostgreSQL it is partitioned
by day on `passed_at` (partitions are created on demand by the ingest path).
"""

from __future__ import annotations

import datetime as dt
import enum

from sqlalchemy import (
    Boolean,
    Enum,
    Float,
    ForeignKey,
    Index,
    Integer,
    SmallInteger,
    String,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from jiaoguan.platform.auth.models import OrgUnit
from jiaoguan.platform.db import Base, TimestampMixin


def _enum(kind: type[enum.Enum], length: int = 16) -> Enum:
    # Stored by value: the GA/T 1400 codes ("80", "1") are what other systems read.
    return Enum(
        kind,
        native_enum=False,
        length=length,
        values_callable=lambda members: [m.value for m in members],
    )


class TollgateCat(enum.StrEnum):
    """GA/T 1400 TollgateCat, by its code."""

    public_security = "80"
    traffic = "81"
    other = "82"


TOLLGATE_CAT_LABELS = {
    TollgateCat.public_security: "治安卡口",
    TollgateCat.traffic: "交通卡口",
    TollgateCat.other: "其他卡口",
}


class SiteKind(enum.StrEnum):
    intersection = "intersection"
    bridge = "bridge"
    city_entrance = "city_entrance"
    road_section = "road_section"


SITE_KIND_LABELS = {
    SiteKind.intersection: "路口",
    SiteKind.bridge: "桥梁",
    SiteKind.city_entrance: "城市出入口",
    SiteKind.road_section: "路段",
}


class CheckpointStatus(enum.StrEnum):
    """GA/T 1400 Status, by its code."""

    normal = "1"
    disabled = "2"
    other = "9"


CHECKPOINT_STATUS_LABELS = {
    CheckpointStatus.normal: "正常",
    CheckpointStatus.disabled: "停用",
    CheckpointStatus.other: "其他",
}

# MonitorDirection (standards.md §1.10).
DIRECTION_LABELS = {
    "1": "西向东",
    "2": "东向西",
    "3": "北向南",
    "4": "南向北",
    "5": "西南向东北",
    "6": "东北向西南",
    "7": "西北向东南",
    "8": "东南向西北",
    "9": "其他",
}


class Checkpoint(TimestampMixin, Base):
    """卡口: a GA/T 1400 Tollgate with its place and lanes."""

    __tablename__ = "checkpoint"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(20), unique=True)  # TollgateID, 20 digits
    name: Mapped[str] = mapped_column(String(100), index=True)
    kind: Mapped[TollgateCat] = mapped_column(_enum(TollgateCat, 4), default=TollgateCat.traffic)
    site_kind: Mapped[SiteKind] = mapped_column(_enum(SiteKind), default=SiteKind.intersection)
    lon: Mapped[float] = mapped_column(Float)
    lat: Mapped[float] = mapped_column(Float)
    direction: Mapped[str | None] = mapped_column(String(1))
    lane_count: Mapped[int] = mapped_column(SmallInteger, default=1)
    status: Mapped[CheckpointStatus] = mapped_column(
        _enum(CheckpointStatus, 4), default=CheckpointStatus.normal, index=True
    )
    unit_id: Mapped[int] = mapped_column(ForeignKey("org_unit.id"), index=True)
    place_code: Mapped[str | None] = mapped_column(String(12))  # admin division (PlaceCode)
    address: Mapped[str | None] = mapped_column(String(200))
    # The road-network node the checkpoint sits on (geo network), for travel times between pairs.
    road_node: Mapped[int | None] = mapped_column(Integer)

    unit: Mapped[OrgUnit] = relationship(OrgUnit)
    lanes: Mapped[list[Lane]] = relationship(
        back_populates="checkpoint", cascade="all, delete-orphan", order_by="Lane.lane_no"
    )


class Lane(TimestampMixin, Base):
    """车道 of a checkpoint (GA/T 1400 Lane): number, direction, description."""

    __tablename__ = "checkpoint_lane"
    __table_args__ = (UniqueConstraint("checkpoint_id", "lane_no"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    checkpoint_id: Mapped[int] = mapped_column(
        ForeignKey("checkpoint.id", ondelete="CASCADE"), index=True
    )
    lane_no: Mapped[int] = mapped_column(SmallInteger)
    direction: Mapped[str | None] = mapped_column(String(1))
    description: Mapped[str | None] = mapped_column(String(100))

    checkpoint: Mapped[Checkpoint] = relationship(back_populates="lanes")


class DeviceKind(enum.StrEnum):
    ape = "ape"  # a capture device (camera) at a checkpoint
    platform = "platform"  # a lower platform sending for many checkpoints


DEVICE_KIND_LABELS = {DeviceKind.ape: "采集设备", DeviceKind.platform: "下级平台"}


class ViidDevice(TimestampMixin, Base):
    """A device or lower platform allowed to talk GA/T 1400 to us, with its Digest credential and
    its current registration (register → expires_at; any successful request extends it)."""

    __tablename__ = "viid_device"

    id: Mapped[int] = mapped_column(primary_key=True)
    device_id: Mapped[str] = mapped_column(String(20), unique=True)  # DeviceID = Digest username
    name: Mapped[str] = mapped_column(String(100))
    kind: Mapped[DeviceKind] = mapped_column(_enum(DeviceKind), default=DeviceKind.ape)
    unit_id: Mapped[int] = mapped_column(ForeignKey("org_unit.id"), index=True)
    checkpoint_id: Mapped[int | None] = mapped_column(
        ForeignKey("checkpoint.id", ondelete="SET NULL"), index=True
    )
    # MD5(DeviceID:realm:password): what RFC 2617 needs to check a response; never the password.
    digest_ha1: Mapped[str] = mapped_column(String(32))
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    registered_at: Mapped[dt.datetime | None]
    last_seen_at: Mapped[dt.datetime | None]
    expires_at: Mapped[dt.datetime | None]
    remote_addr: Mapped[str | None] = mapped_column(String(64))

    unit: Mapped[OrgUnit] = relationship(OrgUnit)
    checkpoint: Mapped[Checkpoint | None] = relationship(Checkpoint)


class PassRecordRow(Base):
    """过车记录. The key (record_id, passed_at) is the dedupe key and includes the partition key."""

    __tablename__ = "pass_record"
    __table_args__ = (
        Index("ix_pass_record_plate_passed_at", "plate", "passed_at"),
        Index("ix_pass_record_checkpoint_id_passed_at", "checkpoint_id", "passed_at"),
        {"postgresql_partition_by": "RANGE (passed_at)"},
    )

    record_id: Mapped[str] = mapped_column(String(48), primary_key=True)
    passed_at: Mapped[dt.datetime] = mapped_column(primary_key=True)
    # No foreign key: the hot path writes 10^4–10^5 rows/s and checkpoints are never deleted
    # while they have passes (the registry refuses it, see registries.CheckpointRules).
    checkpoint_id: Mapped[int] = mapped_column(Integer)
    tollgate_code: Mapped[str] = mapped_column(String(20))
    lane_no: Mapped[int | None] = mapped_column(SmallInteger)
    plate: Mapped[str] = mapped_column(String(16))
    plate_raw: Mapped[str] = mapped_column(String(32))
    plate_colour: Mapped[str] = mapped_column(String(2))
    plate_class: Mapped[str | None] = mapped_column(String(2))
    vehicle_class: Mapped[str | None] = mapped_column(String(3))
    vehicle_colour: Mapped[str | None] = mapped_column(String(2))
    brand: Mapped[str | None] = mapped_column(String(32))
    speed_kmh: Mapped[float | None] = mapped_column(Float)
    direction: Mapped[str | None] = mapped_column(String(2))
