"""road network, speed profiles and areas

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-24 05:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | None = None
depends_on: str | None = None


def upgrade() -> None:
    op.create_table(
        "road_node",
        sa.Column("id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("lon", sa.Float(), nullable=False),
        sa.Column("lat", sa.Float(), nullable=False),
        sa.Column("osm_id", sa.BigInteger(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_road_node")),
    )
    with op.batch_alter_table("road_node", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_road_node_osm_id"), ["osm_id"], unique=False)

    op.create_table(
        "road_edge",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("from_node_id", sa.Integer(), nullable=False),
        sa.Column("to_node_id", sa.Integer(), nullable=False),
        sa.Column("road_class", sa.String(length=24), nullable=False),
        sa.Column("lanes", sa.Integer(), nullable=True),
        sa.Column("speed_limit_kmh", sa.Float(), nullable=False),
        sa.Column("oneway", sa.Boolean(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=True),
        sa.Column("length_m", sa.Float(), nullable=False),
        sa.Column("geometry", sa.JSON(), nullable=False),
        sa.Column("osm_way_id", sa.BigInteger(), nullable=True),
        sa.ForeignKeyConstraint(
            ["from_node_id"], ["road_node.id"], name=op.f("fk_road_edge_from_node_id_road_node")
        ),
        sa.ForeignKeyConstraint(
            ["to_node_id"], ["road_node.id"], name=op.f("fk_road_edge_to_node_id_road_node")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_road_edge")),
        sqlite_autoincrement=True,
    )
    with op.batch_alter_table("road_edge", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_road_edge_from_node_id"), ["from_node_id"])
        batch_op.create_index(batch_op.f("ix_road_edge_to_node_id"), ["to_node_id"])

    op.create_table(
        "speed_profile",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("road_class", sa.String(length=24), nullable=False),
        sa.Column("hour", sa.Integer(), nullable=False),
        sa.Column("factor", sa.Float(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_speed_profile")),
        sa.UniqueConstraint("road_class", "hour", name=op.f("uq_speed_profile_road_class")),
    )

    op.create_table(
        "area",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column(
            "kind",
            sa.Enum(
                "brigade_area",
                "police_district",
                "grid",
                "block",
                "district",
                name="areakind",
                native_enum=False,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("code", sa.String(length=64), nullable=False),
        sa.Column("geometry", sa.JSON(), nullable=False),
        sa.Column("org_unit_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["org_unit_id"],
            ["org_unit.id"],
            name=op.f("fk_area_org_unit_id_org_unit"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_area")),
        sa.UniqueConstraint("kind", "code", name=op.f("uq_area_kind")),
    )
    with op.batch_alter_table("area", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_area_org_unit_id"), ["org_unit_id"])


def downgrade() -> None:
    with op.batch_alter_table("area", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_area_org_unit_id"))
    op.drop_table("area")
    op.drop_table("speed_profile")
    with op.batch_alter_table("road_edge", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_road_edge_to_node_id"))
        batch_op.drop_index(batch_op.f("ix_road_edge_from_node_id"))
    op.drop_table("road_edge")
    with op.batch_alter_table("road_node", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_road_node_osm_id"))
    op.drop_table("road_node")
