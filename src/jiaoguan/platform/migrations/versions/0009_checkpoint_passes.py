"""checkpoint (缉查布控): checkpoints, lanes, VIID registrations, passes

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-24 07:20:00

pass_record is partitioned by day (RANGE on passed_at) on PostgreSQL; the ingest path creates the
daily partitions on demand. On SQLite it is a plain table.
"""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | None = None
depends_on: str | None = None


def _times() -> list[sa.Column[dt.datetime]]:
    return [
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    ]


def upgrade() -> None:
    op.create_table(
        "checkpoint",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=20), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column(
            "kind",
            sa.Enum("80", "81", "82", name="tollgatecat", native_enum=False, length=4),
            nullable=False,
        ),
        sa.Column(
            "site_kind",
            sa.Enum(
                "intersection",
                "bridge",
                "city_entrance",
                "road_section",
                name="sitekind",
                native_enum=False,
                length=16,
            ),
            nullable=False,
        ),
        sa.Column("lon", sa.Float(), nullable=False),
        sa.Column("lat", sa.Float(), nullable=False),
        sa.Column("direction", sa.String(length=1), nullable=True),
        sa.Column("lane_count", sa.SmallInteger(), nullable=False),
        sa.Column(
            "status",
            sa.Enum("1", "2", "9", name="checkpointstatus", native_enum=False, length=4),
            nullable=False,
        ),
        sa.Column("unit_id", sa.Integer(), nullable=False),
        sa.Column("place_code", sa.String(length=12), nullable=True),
        sa.Column("address", sa.String(length=200), nullable=True),
        sa.Column("road_node", sa.Integer(), nullable=True),
        *_times(),
        sa.ForeignKeyConstraint(
            ["unit_id"], ["org_unit.id"], name=op.f("fk_checkpoint_unit_id_org_unit")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_checkpoint")),
        sa.UniqueConstraint("code", name=op.f("uq_checkpoint_code")),
    )
    with op.batch_alter_table("checkpoint", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_checkpoint_name"), ["name"], unique=False)
        batch_op.create_index(batch_op.f("ix_checkpoint_status"), ["status"], unique=False)
        batch_op.create_index(batch_op.f("ix_checkpoint_unit_id"), ["unit_id"], unique=False)

    op.create_table(
        "checkpoint_lane",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("checkpoint_id", sa.Integer(), nullable=False),
        sa.Column("lane_no", sa.SmallInteger(), nullable=False),
        sa.Column("direction", sa.String(length=1), nullable=True),
        sa.Column("description", sa.String(length=100), nullable=True),
        *_times(),
        sa.ForeignKeyConstraint(
            ["checkpoint_id"],
            ["checkpoint.id"],
            name=op.f("fk_checkpoint_lane_checkpoint_id_checkpoint"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_checkpoint_lane")),
        sa.UniqueConstraint(
            "checkpoint_id", "lane_no", name=op.f("uq_checkpoint_lane_checkpoint_id")
        ),
    )
    with op.batch_alter_table("checkpoint_lane", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_checkpoint_lane_checkpoint_id"), ["checkpoint_id"], unique=False
        )

    op.create_table(
        "viid_device",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("device_id", sa.String(length=20), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column(
            "kind",
            sa.Enum("ape", "platform", name="devicekind", native_enum=False, length=16),
            nullable=False,
        ),
        sa.Column("unit_id", sa.Integer(), nullable=False),
        sa.Column("checkpoint_id", sa.Integer(), nullable=True),
        sa.Column("digest_ha1", sa.String(length=32), nullable=False),
        sa.Column("enabled", sa.Boolean(), nullable=False),
        sa.Column("registered_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_seen_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("remote_addr", sa.String(length=64), nullable=True),
        *_times(),
        sa.ForeignKeyConstraint(
            ["checkpoint_id"],
            ["checkpoint.id"],
            name=op.f("fk_viid_device_checkpoint_id_checkpoint"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["unit_id"], ["org_unit.id"], name=op.f("fk_viid_device_unit_id_org_unit")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_viid_device")),
        sa.UniqueConstraint("device_id", name=op.f("uq_viid_device_device_id")),
    )
    with op.batch_alter_table("viid_device", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_viid_device_checkpoint_id"), ["checkpoint_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_viid_device_unit_id"), ["unit_id"], unique=False)

    op.create_table(
        "pass_record",
        sa.Column("record_id", sa.String(length=48), nullable=False),
        sa.Column("passed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("checkpoint_id", sa.Integer(), nullable=False),
        sa.Column("tollgate_code", sa.String(length=20), nullable=False),
        sa.Column("lane_no", sa.SmallInteger(), nullable=True),
        sa.Column("plate", sa.String(length=16), nullable=False),
        sa.Column("plate_raw", sa.String(length=32), nullable=False),
        sa.Column("plate_colour", sa.String(length=2), nullable=False),
        sa.Column("plate_class", sa.String(length=2), nullable=True),
        sa.Column("vehicle_class", sa.String(length=3), nullable=True),
        sa.Column("vehicle_colour", sa.String(length=2), nullable=True),
        sa.Column("brand", sa.String(length=32), nullable=True),
        sa.Column("speed_kmh", sa.Float(), nullable=True),
        sa.Column("direction", sa.String(length=2), nullable=True),
        sa.PrimaryKeyConstraint("record_id", "passed_at", name=op.f("pk_pass_record")),
        postgresql_partition_by="RANGE (passed_at)",
    )
    # Plain create_index: batch mode would copy the table, which a partitioned table refuses.
    op.create_index(
        "ix_pass_record_checkpoint_id_passed_at",
        "pass_record",
        ["checkpoint_id", "passed_at"],
        unique=False,
    )
    op.create_index(
        "ix_pass_record_plate_passed_at", "pass_record", ["plate", "passed_at"], unique=False
    )


def downgrade() -> None:
    op.drop_index("ix_pass_record_plate_passed_at", table_name="pass_record")
    op.drop_index("ix_pass_record_checkpoint_id_passed_at", table_name="pass_record")
    op.drop_table("pass_record")  # its daily partitions go with it on PostgreSQL
    with op.batch_alter_table("viid_device", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_viid_device_unit_id"))
        batch_op.drop_index(batch_op.f("ix_viid_device_checkpoint_id"))
    op.drop_table("viid_device")
    with op.batch_alter_table("checkpoint_lane", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_checkpoint_lane_checkpoint_id"))
    op.drop_table("checkpoint_lane")
    with op.batch_alter_table("checkpoint", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_checkpoint_unit_id"))
        batch_op.drop_index(batch_op.f("ix_checkpoint_status"))
        batch_op.drop_index(batch_op.f("ix_checkpoint_name"))
    op.drop_table("checkpoint")
