"""command (智慧指挥): officers, incidents, dispatches, positions

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-24 07:20:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | None = None
depends_on: str | None = None


def upgrade() -> None:
    op.create_table(
        "incident_counter",
        sa.Column("day", sa.String(length=8), nullable=False),
        sa.Column("value", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("day", name=op.f("pk_incident_counter")),
    )
    op.create_table(
        "command_rule",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("priority", sa.Integer(), nullable=False),
        sa.Column("enabled", sa.Boolean(), nullable=False),
        sa.Column(
            "kind",
            sa.Enum(
                "accident",
                "congestion",
                "illegal_parking",
                "road_works",
                "pedestrian_elevated",
                "low_visibility",
                "violation",
                "other",
                name="incidentkind",
                native_enum=False,
                length=32,
            ),
            nullable=True,
        ),
        sa.Column("min_level", sa.Integer(), nullable=True),
        sa.Column("area_unit_id", sa.Integer(), nullable=True),
        sa.Column(
            "command_level",
            sa.Enum("detachment", "brigade", name="commandlevel", native_enum=False, length=32),
            nullable=False,
        ),
        sa.Column("accept_limit_s", sa.Integer(), nullable=False),
        sa.Column("arrive_limit_s", sa.Integer(), nullable=False),
        sa.Column("description", sa.String(length=500), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["area_unit_id"], ["org_unit.id"], name=op.f("fk_command_rule_area_unit_id_org_unit")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_command_rule")),
    )
    with op.batch_alter_table("command_rule", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_command_rule_area_unit_id"), ["area_unit_id"], unique=False
        )

    op.create_table(
        "incident",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("number", sa.String(length=20), nullable=False),
        sa.Column(
            "source",
            sa.Enum(
                "call_122",
                "citizen",
                "video",
                "detector",
                "officer_report",
                name="incidentsource",
                native_enum=False,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column(
            "kind",
            sa.Enum(
                "accident",
                "congestion",
                "illegal_parking",
                "road_works",
                "pedestrian_elevated",
                "low_visibility",
                "violation",
                "other",
                name="incidentkind",
                native_enum=False,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("level", sa.Integer(), nullable=False),
        sa.Column("summary", sa.Text(), nullable=False),
        sa.Column("place", sa.String(length=200), nullable=False),
        sa.Column("lon", sa.Float(), nullable=False),
        sa.Column("lat", sa.Float(), nullable=False),
        sa.Column("address_id", sa.Integer(), nullable=True),
        sa.Column("reporter_name", sa.String(length=64), nullable=True),
        sa.Column("reporter_phone", sa.String(length=32), nullable=True),
        sa.Column("area_unit_id", sa.Integer(), nullable=True),
        sa.Column(
            "command_level",
            sa.Enum("detachment", "brigade", name="commandlevel", native_enum=False, length=32),
            nullable=False,
        ),
        sa.Column("handling_unit_id", sa.Integer(), nullable=False),
        sa.Column("rule_id", sa.Integer(), nullable=True),
        sa.Column(
            "state",
            sa.Enum(
                "received",
                "dispatched",
                "accepted",
                "en_route",
                "on_scene",
                "handled",
                "closed",
                "cancelled",
                "merged",
                name="incidentstate",
                native_enum=False,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("reported_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("dispatched_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("accepted_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("arrived_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("handled_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("closed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("merged_into_id", sa.Integer(), nullable=True),
        sa.Column("created_by_user_id", sa.Integer(), nullable=True),
        sa.Column("accept_limit_s", sa.Integer(), nullable=False),
        sa.Column("arrive_limit_s", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["address_id"],
            ["standard_address.id"],
            name=op.f("fk_incident_address_id_standard_address"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["area_unit_id"], ["org_unit.id"], name=op.f("fk_incident_area_unit_id_org_unit")
        ),
        sa.ForeignKeyConstraint(
            ["created_by_user_id"],
            ["app_user.id"],
            name=op.f("fk_incident_created_by_user_id_app_user"),
        ),
        sa.ForeignKeyConstraint(
            ["handling_unit_id"],
            ["org_unit.id"],
            name=op.f("fk_incident_handling_unit_id_org_unit"),
        ),
        sa.ForeignKeyConstraint(
            ["merged_into_id"], ["incident.id"], name=op.f("fk_incident_merged_into_id_incident")
        ),
        sa.ForeignKeyConstraint(
            ["rule_id"],
            ["command_rule.id"],
            name=op.f("fk_incident_rule_id_command_rule"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_incident")),
        sa.UniqueConstraint("number", name=op.f("uq_incident_number")),
    )
    with op.batch_alter_table("incident", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_incident_area_unit_id"), ["area_unit_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_incident_handling_unit_id"), ["handling_unit_id"], unique=False
        )
        batch_op.create_index("ix_incident_kind_reported", ["kind", "reported_at"], unique=False)
        batch_op.create_index(batch_op.f("ix_incident_reported_at"), ["reported_at"], unique=False)
        batch_op.create_index(batch_op.f("ix_incident_state"), ["state"], unique=False)
        batch_op.create_index("ix_incident_state_reported", ["state", "reported_at"], unique=False)

    op.create_table(
        "officer",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=32), nullable=False),
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("unit_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=True),
        sa.Column(
            "kind",
            sa.Enum("police", "auxiliary", name="officerkind", native_enum=False, length=32),
            nullable=False,
        ),
        sa.Column(
            "mode",
            sa.Enum("driving", "walking", name="officermode", native_enum=False, length=32),
            nullable=False,
        ),
        sa.Column(
            "status",
            sa.Enum(
                "off_duty",
                "on_duty",
                "available",
                "dispatched",
                "en_route",
                "on_scene",
                name="officerstatus",
                native_enum=False,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("status_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("phone", sa.String(length=32), nullable=True),
        sa.Column("device_code", sa.String(length=64), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["unit_id"], ["org_unit.id"], name=op.f("fk_officer_unit_id_org_unit")
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["app_user.id"], name=op.f("fk_officer_user_id_app_user")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_officer")),
        sa.UniqueConstraint("code", name=op.f("uq_officer_code")),
        sa.UniqueConstraint("user_id", name=op.f("uq_officer_user_id")),
    )
    with op.batch_alter_table("officer", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_officer_status"), ["status"], unique=False)
        batch_op.create_index(batch_op.f("ix_officer_unit_id"), ["unit_id"], unique=False)

    op.create_table(
        "incident_dispatch",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("incident_id", sa.Integer(), nullable=False),
        sa.Column("officer_id", sa.Integer(), nullable=False),
        sa.Column(
            "state",
            sa.Enum(
                "dispatched",
                "accepted",
                "en_route",
                "on_scene",
                "handled",
                "closed",
                "cancelled",
                name="dispatchstate",
                native_enum=False,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("dispatched_by_user_id", sa.Integer(), nullable=True),
        sa.Column("note", sa.String(length=500), nullable=False),
        sa.Column("eta_s", sa.Float(), nullable=True),
        sa.Column("distance_m", sa.Float(), nullable=True),
        sa.Column("dispatched_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("accepted_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("departed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("arrived_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("arrived_auto", sa.Boolean(), nullable=False),
        sa.Column("handled_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("closed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("cancelled_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("result", sa.Text(), nullable=True),
        sa.Column("cancel_reason", sa.String(length=500), nullable=True),
        sa.Column("accept_reminded_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("arrive_reminded_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["dispatched_by_user_id"],
            ["app_user.id"],
            name=op.f("fk_incident_dispatch_dispatched_by_user_id_app_user"),
        ),
        sa.ForeignKeyConstraint(
            ["incident_id"],
            ["incident.id"],
            name=op.f("fk_incident_dispatch_incident_id_incident"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["officer_id"], ["officer.id"], name=op.f("fk_incident_dispatch_officer_id_officer")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_incident_dispatch")),
    )
    with op.batch_alter_table("incident_dispatch", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_incident_dispatch_incident_id"), ["incident_id"], unique=False
        )
        batch_op.create_index(
            "ix_incident_dispatch_officer_state", ["officer_id", "state"], unique=False
        )

    op.create_table(
        "officer_position",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("officer_id", sa.Integer(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("lon", sa.Float(), nullable=False),
        sa.Column("lat", sa.Float(), nullable=False),
        sa.Column("accuracy_m", sa.Float(), nullable=True),
        sa.Column("speed_mps", sa.Float(), nullable=True),
        sa.Column("source", sa.String(length=16), nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["officer_id"],
            ["officer.id"],
            name=op.f("fk_officer_position_officer_id_officer"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_officer_position")),
        sa.UniqueConstraint("officer_id", "at", name=op.f("uq_officer_position_officer_id")),
    )
    op.create_table(
        "incident_log",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("incident_id", sa.Integer(), nullable=False),
        sa.Column("dispatch_id", sa.Integer(), nullable=True),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("actor_user_id", sa.Integer(), nullable=True),
        sa.Column("actor_name", sa.String(length=64), nullable=False),
        sa.Column("action", sa.String(length=32), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("detail", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(
            ["actor_user_id"], ["app_user.id"], name=op.f("fk_incident_log_actor_user_id_app_user")
        ),
        sa.ForeignKeyConstraint(
            ["dispatch_id"],
            ["incident_dispatch.id"],
            name=op.f("fk_incident_log_dispatch_id_incident_dispatch"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["incident_id"],
            ["incident.id"],
            name=op.f("fk_incident_log_incident_id_incident"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_incident_log")),
    )
    with op.batch_alter_table("incident_log", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_incident_log_incident_id"), ["incident_id"], unique=False
        )


def downgrade() -> None:
    op.drop_table("incident_log")
    op.drop_table("officer_position")
    op.drop_table("incident_dispatch")
    op.drop_table("officer")
    op.drop_table("incident")
    op.drop_table("command_rule")
    op.drop_table("incident_counter")
