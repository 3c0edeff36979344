"""checkpoint (缉查布控): watchlists, alerts, restriction rules

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-24 07:20:00

watch (布控), restriction_rule (禁行规则), alert (预警) with its sightings and the units it was
pushed to. Only new tables: nothing to alter, so no batch mode is needed.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | None = None
depends_on: str | None = None


def upgrade() -> None:
    op.create_table(
        "restriction_rule",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column(
            "target",
            sa.Enum(
                "trucks",
                "hazmat",
                "muck",
                "yellow_plate",
                name="restrictiontarget",
                native_enum=False,
                length=16,
            ),
            nullable=False,
        ),
        sa.Column("vehicle_classes", sa.JSON(), nullable=False),
        sa.Column("checkpoint_codes", sa.JSON(), nullable=False),
        sa.Column("start_time", sa.String(length=5), nullable=False),
        sa.Column("end_time", sa.String(length=5), nullable=False),
        sa.Column("weekdays", sa.String(length=7), nullable=False),
        sa.Column("exempt_plates", sa.JSON(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("unit_id", sa.Integer(), nullable=False),
        sa.Column("note", sa.String(length=500), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["unit_id"], ["org_unit.id"], name=op.f("fk_restriction_rule_unit_id_org_unit")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_restriction_rule")),
    )
    op.create_index(
        op.f("ix_restriction_rule_active"), "restriction_rule", ["active"], unique=False
    )
    op.create_index(op.f("ix_restriction_rule_name"), "restriction_rule", ["name"], unique=False)
    op.create_index(
        op.f("ix_restriction_rule_unit_id"), "restriction_rule", ["unit_id"], unique=False
    )
    op.create_table(
        "watch",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("plate_no", sa.String(length=16), nullable=False),
        sa.Column("plate_color", sa.String(length=16), nullable=True),
        sa.Column(
            "kind",
            sa.Enum(
                "overdue_inspection",
                "overdue_scrapping",
                "cloned_plate",
                "fake_plate",
                "hit_and_run",
                "stolen",
                "key_vehicle",
                "manual",
                name="watchkind",
                native_enum=False,
                length=24,
            ),
            nullable=False,
        ),
        sa.Column(
            "status",
            sa.Enum(
                "pending",
                "active",
                "refused",
                "withdrawn",
                name="watchstatus",
                native_enum=False,
                length=16,
            ),
            nullable=False,
        ),
        sa.Column(
            "source",
            sa.Enum("manual", "registry", name="watchsource", native_enum=False, length=16),
            nullable=False,
        ),
        sa.Column("fuzzy", sa.Boolean(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("starts_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("ends_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("unit_id", sa.Integer(), nullable=False),
        sa.Column("vehicle_id", sa.Integer(), nullable=True),
        sa.Column("applicant_user_id", sa.Integer(), nullable=True),
        sa.Column("applicant_name", sa.String(length=64), nullable=False),
        sa.Column("applied_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("approver_user_id", sa.Integer(), nullable=True),
        sa.Column("approver_name", sa.String(length=64), nullable=True),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("decision_comment", sa.String(length=1000), nullable=True),
        sa.Column("withdrawn_user_id", sa.Integer(), nullable=True),
        sa.Column("withdrawn_name", sa.String(length=64), nullable=True),
        sa.Column("withdrawn_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("withdraw_reason", sa.String(length=1000), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["applicant_user_id"], ["app_user.id"], name=op.f("fk_watch_applicant_user_id_app_user")
        ),
        sa.ForeignKeyConstraint(
            ["approver_user_id"], ["app_user.id"], name=op.f("fk_watch_approver_user_id_app_user")
        ),
        sa.ForeignKeyConstraint(
            ["unit_id"], ["org_unit.id"], name=op.f("fk_watch_unit_id_org_unit")
        ),
        sa.ForeignKeyConstraint(
            ["vehicle_id"],
            ["vehicle.id"],
            name=op.f("fk_watch_vehicle_id_vehicle"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["withdrawn_user_id"], ["app_user.id"], name=op.f("fk_watch_withdrawn_user_id_app_user")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_watch")),
    )
    op.create_index(op.f("ix_watch_ends_at"), "watch", ["ends_at"], unique=False)
    op.create_index(op.f("ix_watch_kind"), "watch", ["kind"], unique=False)
    op.create_index(op.f("ix_watch_plate_no"), "watch", ["plate_no"], unique=False)
    op.create_index(op.f("ix_watch_status"), "watch", ["status"], unique=False)
    op.create_index("ix_watch_status_plate_no", "watch", ["status", "plate_no"], unique=False)
    op.create_index(op.f("ix_watch_unit_id"), "watch", ["unit_id"], unique=False)
    op.create_index(op.f("ix_watch_vehicle_id"), "watch", ["vehicle_id"], unique=False)
    op.create_table(
        "alert",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column(
            "kind",
            sa.Enum(
                "watch",
                "cloned_plate",
                "restriction",
                name="alertkind",
                native_enum=False,
                length=16,
            ),
            nullable=False,
        ),
        sa.Column("group_key", sa.String(length=64), nullable=False),
        sa.Column("plate_no", sa.String(length=16), nullable=False),
        sa.Column("plate_colour", sa.String(length=2), nullable=True),
        sa.Column("watch_id", sa.Integer(), nullable=True),
        sa.Column("rule_id", sa.Integer(), nullable=True),
        sa.Column("match_kind", sa.String(length=24), nullable=False),
        sa.Column("matched_plate", sa.String(length=16), nullable=True),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("hit_count", sa.Integer(), nullable=False),
        sa.Column("first_seen_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_seen_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_checkpoint_id", sa.Integer(), nullable=True),
        sa.Column("last_lon", sa.Float(), nullable=True),
        sa.Column("last_lat", sa.Float(), nullable=True),
        sa.Column("unit_id", sa.Integer(), nullable=False),
        sa.Column("work_order_id", sa.Integer(), nullable=True),
        sa.Column(
            "result",
            sa.Enum(
                "intercepted",
                "not_found",
                "false_hit",
                name="alertresult",
                native_enum=False,
                length=16,
            ),
            nullable=True,
        ),
        sa.Column("result_note", sa.String(length=1000), nullable=True),
        sa.Column("result_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("detail", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["last_checkpoint_id"],
            ["checkpoint.id"],
            name=op.f("fk_alert_last_checkpoint_id_checkpoint"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["rule_id"],
            ["restriction_rule.id"],
            name=op.f("fk_alert_rule_id_restriction_rule"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["unit_id"], ["org_unit.id"], name=op.f("fk_alert_unit_id_org_unit")
        ),
        sa.ForeignKeyConstraint(
            ["watch_id"], ["watch.id"], name=op.f("fk_alert_watch_id_watch"), ondelete="SET NULL"
        ),
        sa.ForeignKeyConstraint(
            ["work_order_id"],
            ["work_order.id"],
            name=op.f("fk_alert_work_order_id_work_order"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_alert")),
    )
    op.create_index(op.f("ix_alert_first_seen_at"), "alert", ["first_seen_at"], unique=False)
    op.create_index(
        "ix_alert_group_key_last_seen_at", "alert", ["group_key", "last_seen_at"], unique=False
    )
    op.create_index(op.f("ix_alert_kind"), "alert", ["kind"], unique=False)
    op.create_index(
        op.f("ix_alert_last_checkpoint_id"), "alert", ["last_checkpoint_id"], unique=False
    )
    op.create_index(op.f("ix_alert_last_seen_at"), "alert", ["last_seen_at"], unique=False)
    op.create_index(op.f("ix_alert_plate_no"), "alert", ["plate_no"], unique=False)
    op.create_index(op.f("ix_alert_result"), "alert", ["result"], unique=False)
    op.create_index(op.f("ix_alert_rule_id"), "alert", ["rule_id"], unique=False)
    op.create_index(op.f("ix_alert_unit_id"), "alert", ["unit_id"], unique=False)
    op.create_index(op.f("ix_alert_watch_id"), "alert", ["watch_id"], unique=False)
    op.create_index(op.f("ix_alert_work_order_id"), "alert", ["work_order_id"], unique=False)
    op.create_table(
        "alert_sighting",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("alert_id", sa.Integer(), nullable=False),
        sa.Column("record_id", sa.String(length=48), nullable=False),
        sa.Column("checkpoint_id", sa.Integer(), nullable=True),
        sa.Column("passed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("plate_raw", sa.String(length=32), nullable=False),
        sa.Column("lon", sa.Float(), nullable=True),
        sa.Column("lat", sa.Float(), nullable=True),
        sa.Column("note", sa.String(length=200), nullable=True),
        sa.ForeignKeyConstraint(
            ["alert_id"],
            ["alert.id"],
            name=op.f("fk_alert_sighting_alert_id_alert"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["checkpoint_id"],
            ["checkpoint.id"],
            name=op.f("fk_alert_sighting_checkpoint_id_checkpoint"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_alert_sighting")),
    )
    op.create_index(
        op.f("ix_alert_sighting_alert_id"), "alert_sighting", ["alert_id"], unique=False
    )
    op.create_table(
        "alert_unit",
        sa.Column("alert_id", sa.Integer(), nullable=False),
        sa.Column("unit_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["alert_id"],
            ["alert.id"],
            name=op.f("fk_alert_unit_alert_id_alert"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["unit_id"],
            ["org_unit.id"],
            name=op.f("fk_alert_unit_unit_id_org_unit"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("alert_id", "unit_id", name=op.f("pk_alert_unit")),
    )
    op.create_index(op.f("ix_alert_unit_unit_id"), "alert_unit", ["unit_id"], unique=False)


def downgrade() -> None:
    for table in ("alert_unit", "alert_sighting", "alert", "watch", "restriction_rule"):
        op.drop_table(table)
