"""work orders with history and feedback

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-24 04:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | None = None
depends_on: str | None = None


def upgrade() -> None:
    op.create_table(
        "work_order_counter",
        sa.Column("day", sa.String(length=8), nullable=False),
        sa.Column("value", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("day", name=op.f("pk_work_order_counter")),
    )
    op.create_table(
        "work_order",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("number", sa.String(length=20), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column(
            "priority",
            sa.Enum(
                "low",
                "normal",
                "high",
                "urgent",
                name="workorderpriority",
                native_enum=False,
                length=16,
            ),
            nullable=False,
        ),
        sa.Column(
            "status",
            sa.Enum(
                "assigned",
                "accepted",
                "fed_back",
                "rejected",
                "closed",
                "cancelled",
                name="workorderstatus",
                native_enum=False,
                length=16,
            ),
            nullable=False,
        ),
        sa.Column("creator_unit_id", sa.Integer(), nullable=False),
        sa.Column("creator_user_id", sa.Integer(), nullable=True),
        sa.Column("assignee_unit_id", sa.Integer(), nullable=False),
        sa.Column("assignee_user_id", sa.Integer(), nullable=True),
        sa.Column("deadline", sa.DateTime(timezone=True), nullable=False),
        sa.Column("escalation_level", sa.Integer(), nullable=False),
        sa.Column("escalated_unit_id", sa.Integer(), nullable=True),
        sa.Column("escalated_deadline", sa.DateTime(timezone=True), nullable=True),
        sa.Column("escalated_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("source_module", sa.String(length=32), nullable=True),
        sa.Column("source_id", sa.String(length=64), nullable=True),
        sa.Column("accepted_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("fed_back_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["assignee_unit_id"],
            ["org_unit.id"],
            name=op.f("fk_work_order_assignee_unit_id_org_unit"),
        ),
        sa.ForeignKeyConstraint(
            ["assignee_user_id"],
            ["app_user.id"],
            name=op.f("fk_work_order_assignee_user_id_app_user"),
        ),
        sa.ForeignKeyConstraint(
            ["creator_unit_id"],
            ["org_unit.id"],
            name=op.f("fk_work_order_creator_unit_id_org_unit"),
        ),
        sa.ForeignKeyConstraint(
            ["creator_user_id"],
            ["app_user.id"],
            name=op.f("fk_work_order_creator_user_id_app_user"),
        ),
        sa.ForeignKeyConstraint(
            ["escalated_unit_id"],
            ["org_unit.id"],
            name=op.f("fk_work_order_escalated_unit_id_org_unit"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_work_order")),
        sa.UniqueConstraint("number", name=op.f("uq_work_order_number")),
    )
    with op.batch_alter_table("work_order", schema=None) as batch_op:
        for column in (
            "assignee_unit_id",
            "assignee_user_id",
            "creator_unit_id",
            "creator_user_id",
            "deadline",
            "escalated_unit_id",
            "kind",
            "status",
        ):
            batch_op.create_index(batch_op.f(f"ix_work_order_{column}"), [column], unique=False)
        batch_op.create_index("ix_work_order_source", ["source_module", "source_id"], unique=False)

    op.create_table(
        "work_order_feedback",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("order_id", sa.Integer(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=True),
        sa.Column("user_name", sa.String(length=64), nullable=False),
        sa.Column("unit_id", sa.Integer(), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["order_id"],
            ["work_order.id"],
            name=op.f("fk_work_order_feedback_order_id_work_order"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["unit_id"], ["org_unit.id"], name=op.f("fk_work_order_feedback_unit_id_org_unit")
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["app_user.id"], name=op.f("fk_work_order_feedback_user_id_app_user")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_work_order_feedback")),
    )
    with op.batch_alter_table("work_order_feedback", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_work_order_feedback_order_id"), ["order_id"], unique=False
        )

    op.create_table(
        "work_order_history",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("order_id", sa.Integer(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("actor_user_id", sa.Integer(), nullable=True),
        sa.Column("actor_name", sa.String(length=64), nullable=False),
        sa.Column("action", sa.String(length=32), nullable=False),
        sa.Column("from_status", sa.String(length=16), nullable=True),
        sa.Column("to_status", sa.String(length=16), nullable=False),
        sa.Column("comment", sa.Text(), nullable=False),
        sa.Column("detail", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(
            ["actor_user_id"],
            ["app_user.id"],
            name=op.f("fk_work_order_history_actor_user_id_app_user"),
        ),
        sa.ForeignKeyConstraint(
            ["order_id"],
            ["work_order.id"],
            name=op.f("fk_work_order_history_order_id_work_order"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_work_order_history")),
    )
    with op.batch_alter_table("work_order_history", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_work_order_history_order_id"), ["order_id"], unique=False
        )

    op.create_table(
        "work_order_attachment",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("feedback_id", sa.Integer(), nullable=False),
        sa.Column("file_name", sa.String(length=255), nullable=False),
        sa.Column("size", sa.BigInteger(), nullable=False),
        sa.Column("content_type", sa.String(length=100), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=True),
        sa.Column("stored", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(
            ["feedback_id"],
            ["work_order_feedback.id"],
            name=op.f("fk_work_order_attachment_feedback_id_work_order_feedback"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_work_order_attachment")),
    )
    with op.batch_alter_table("work_order_attachment", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_work_order_attachment_feedback_id"), ["feedback_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("work_order_attachment", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_work_order_attachment_feedback_id"))
    op.drop_table("work_order_attachment")

    with op.batch_alter_table("work_order_history", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_work_order_history_order_id"))
    op.drop_table("work_order_history")

    with op.batch_alter_table("work_order_feedback", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_work_order_feedback_order_id"))
    op.drop_table("work_order_feedback")

    with op.batch_alter_table("work_order", schema=None) as batch_op:
        batch_op.drop_index("ix_work_order_source")
        for column in (
            "status",
            "kind",
            "escalated_unit_id",
            "deadline",
            "creator_user_id",
            "creator_unit_id",
            "assignee_user_id",
            "assignee_unit_id",
        ):
            batch_op.drop_index(batch_op.f(f"ix_work_order_{column}"))
    op.drop_table("work_order")
    op.drop_table("work_order_counter")
