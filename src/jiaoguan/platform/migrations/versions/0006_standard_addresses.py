"""administrative divisions, standard addresses and landmarks

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-24 05:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | None = None
depends_on: str | None = None


def upgrade() -> None:
    op.create_table(
        "admin_division",
        sa.Column("code", sa.String(length=12), nullable=False),
        sa.Column("name", sa.String(length=60), nullable=False),
        sa.Column("short_name", sa.String(length=30), nullable=False),
        sa.Column(
            "level",
            sa.Enum(
                "province",
                "city",
                "county",
                "town",
                name="divisionlevel",
                native_enum=False,
                length=16,
            ),
            nullable=False,
        ),
        sa.Column("parent_code", sa.String(length=12), nullable=True),
        sa.Column("valid_from", sa.Date(), nullable=True),
        sa.Column("valid_to", sa.Date(), nullable=True),
        sa.Column("lon", sa.Float(), nullable=True),
        sa.Column("lat", sa.Float(), nullable=True),
        sa.ForeignKeyConstraint(
            ["parent_code"],
            ["admin_division.code"],
            name=op.f("fk_admin_division_parent_code_admin_division"),
        ),
        sa.PrimaryKeyConstraint("code", name=op.f("pk_admin_division")),
    )
    with op.batch_alter_table("admin_division", schema=None) as batch_op:
        for column in ("level", "parent_code"):
            batch_op.create_index(batch_op.f(f"ix_admin_division_{column}"), [column], unique=False)

    op.create_table(
        "division_alias",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("division_code", sa.String(length=12), nullable=False),
        sa.Column("alias", sa.String(length=60), nullable=False),
        sa.Column(
            "kind",
            sa.Enum(
                "short", "old", "zone", "other", name="aliaskind", native_enum=False, length=16
            ),
            nullable=False,
        ),
        sa.Column("valid_to", sa.Date(), nullable=True),
        sa.ForeignKeyConstraint(
            ["division_code"],
            ["admin_division.code"],
            name=op.f("fk_division_alias_division_code_admin_division"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_division_alias")),
    )
    with op.batch_alter_table("division_alias", schema=None) as batch_op:
        batch_op.create_index(
            "ix_division_alias_alias_code", ["alias", "division_code"], unique=True
        )
        batch_op.create_index(
            batch_op.f("ix_division_alias_division_code"), ["division_code"], unique=False
        )

    op.create_table(
        "standard_address",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=40), nullable=False),
        sa.Column("province_code", sa.String(length=12), nullable=False),
        sa.Column("city_code", sa.String(length=12), nullable=False),
        sa.Column("county_code", sa.String(length=12), nullable=False),
        sa.Column("town", sa.String(length=60), nullable=True),
        sa.Column("road", sa.String(length=60), nullable=False),
        sa.Column("house_number", sa.String(length=20), nullable=True),
        sa.Column("estate", sa.String(length=60), nullable=True),
        sa.Column("building", sa.String(length=20), nullable=True),
        sa.Column("unit_no", sa.String(length=10), nullable=True),
        sa.Column("room", sa.String(length=10), nullable=True),
        sa.Column("full_text", sa.String(length=255), nullable=False),
        sa.Column("grid_unit_id", sa.Integer(), nullable=True),
        sa.Column("block", sa.String(length=40), nullable=True),
        sa.Column("lon", sa.Float(), nullable=True),
        sa.Column("lat", sa.Float(), nullable=True),
        sa.Column(
            "status",
            sa.Enum("active", "retired", name="addressstatus", native_enum=False, length=16),
            nullable=False,
        ),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["county_code"],
            ["admin_division.code"],
            name=op.f("fk_standard_address_county_code_admin_division"),
        ),
        sa.ForeignKeyConstraint(
            ["grid_unit_id"],
            ["org_unit.id"],
            name=op.f("fk_standard_address_grid_unit_id_org_unit"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_standard_address")),
        sa.UniqueConstraint("code", name=op.f("uq_standard_address_code")),
    )
    with op.batch_alter_table("standard_address", schema=None) as batch_op:
        for column in ("county_code", "grid_unit_id"):
            batch_op.create_index(
                batch_op.f(f"ix_standard_address_{column}"), [column], unique=False
            )
        batch_op.create_index(
            "ix_standard_address_road_number", ["road", "house_number"], unique=False
        )

    op.create_table(
        "landmark",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=60), nullable=False),
        sa.Column("aliases", sa.JSON(), nullable=False),
        sa.Column("county_code", sa.String(length=12), nullable=True),
        sa.Column("address_id", sa.Integer(), nullable=True),
        sa.Column("lon", sa.Float(), nullable=True),
        sa.Column("lat", sa.Float(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["address_id"],
            ["standard_address.id"],
            name=op.f("fk_landmark_address_id_standard_address"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["county_code"],
            ["admin_division.code"],
            name=op.f("fk_landmark_county_code_admin_division"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_landmark")),
    )
    with op.batch_alter_table("landmark", schema=None) as batch_op:
        for column in ("address_id", "county_code", "name"):
            batch_op.create_index(batch_op.f(f"ix_landmark_{column}"), [column], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("landmark", schema=None) as batch_op:
        for column in ("address_id", "county_code", "name"):
            batch_op.drop_index(batch_op.f(f"ix_landmark_{column}"))
    op.drop_table("landmark")
    with op.batch_alter_table("standard_address", schema=None) as batch_op:
        batch_op.drop_index("ix_standard_address_road_number")
        for column in ("county_code", "grid_unit_id"):
            batch_op.drop_index(batch_op.f(f"ix_standard_address_{column}"))
    op.drop_table("standard_address")
    with op.batch_alter_table("division_alias", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_division_alias_division_code"))
        batch_op.drop_index("ix_division_alias_alias_code")
    op.drop_table("division_alias")
    with op.batch_alter_table("admin_division", schema=None) as batch_op:
        for column in ("level", "parent_code"):
            batch_op.drop_index(batch_op.f(f"ix_admin_division_{column}"))
    op.drop_table("admin_division")
