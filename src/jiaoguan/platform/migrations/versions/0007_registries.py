"""the six registries (一标六实): drivers, vehicles, companies, houses, roads, segments, facilities

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-24 05:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | None = None
depends_on: str | None = None


def upgrade() -> None:
    op.create_table(
        "company",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("credit_code", sa.String(length=18), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column(
            "kind",
            sa.Enum(
                "passenger_transport",
                "freight_transport",
                "hazmat_transport",
                "bus",
                "taxi",
                "muck_transport",
                "driving_school",
                "construction",
                "school",
                "other",
                name="companykind",
                native_enum=False,
                length=24,
            ),
            nullable=False,
        ),
        sa.Column("legal_representative", sa.String(length=50), nullable=True),
        sa.Column("phone", sa.String(length=20), nullable=True),
        sa.Column(
            "risk_tier",
            sa.Enum("key", "watch", "general", name="risktier", native_enum=False, length=16),
            nullable=False,
        ),
        sa.Column("address_text", sa.String(length=200), nullable=True),
        sa.Column("unit_id", sa.Integer(), nullable=False),
        sa.Column("address_id", sa.Integer(), nullable=True),
        sa.Column("lon", sa.Float(), nullable=True),
        sa.Column("lat", sa.Float(), nullable=True),
        sa.Column("tags", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["address_id"],
            ["standard_address.id"],
            name=op.f("fk_company_address_id_standard_address"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["unit_id"], ["org_unit.id"], name=op.f("fk_company_unit_id_org_unit")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_company")),
        sa.UniqueConstraint("credit_code", name=op.f("uq_company_credit_code")),
    )
    with op.batch_alter_table("company", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_company_address_id"), ["address_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_company_kind"), ["kind"], unique=False)
        batch_op.create_index(batch_op.f("ix_company_name"), ["name"], unique=False)
        batch_op.create_index(batch_op.f("ix_company_risk_tier"), ["risk_tier"], unique=False)
        batch_op.create_index(batch_op.f("ix_company_unit_id"), ["unit_id"], unique=False)

    op.create_table(
        "house",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column(
            "kind",
            sa.Enum(
                "residential",
                "commercial",
                "office",
                "industrial",
                "school",
                "hospital",
                "public",
                "other",
                name="housekind",
                native_enum=False,
                length=16,
            ),
            nullable=False,
        ),
        sa.Column("address_text", sa.String(length=200), nullable=True),
        sa.Column("floors", sa.Integer(), nullable=True),
        sa.Column("households", sa.Integer(), nullable=True),
        sa.Column("residents", sa.Integer(), nullable=True),
        sa.Column("parking_spaces", sa.Integer(), nullable=True),
        sa.Column("unit_id", sa.Integer(), nullable=False),
        sa.Column("address_id", sa.Integer(), nullable=True),
        sa.Column("lon", sa.Float(), nullable=True),
        sa.Column("lat", sa.Float(), nullable=True),
        sa.Column("tags", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["address_id"],
            ["standard_address.id"],
            name=op.f("fk_house_address_id_standard_address"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["unit_id"], ["org_unit.id"], name=op.f("fk_house_unit_id_org_unit")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_house")),
    )
    with op.batch_alter_table("house", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_house_address_id"), ["address_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_house_kind"), ["kind"], unique=False)
        batch_op.create_index(batch_op.f("ix_house_name"), ["name"], unique=False)
        batch_op.create_index(batch_op.f("ix_house_unit_id"), ["unit_id"], unique=False)

    op.create_table(
        "road",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("code", sa.String(length=32), nullable=True),
        sa.Column(
            "grade",
            sa.Enum(
                "expressway",
                "national",
                "provincial",
                "county",
                "township",
                "urban_expressway",
                "arterial",
                "secondary",
                "branch",
                "other",
                name="roadgrade",
                native_enum=False,
                length=24,
            ),
            nullable=False,
        ),
        sa.Column(
            "road_order",
            sa.Enum(
                "stable", "disordered", "complex", name="roadorder", native_enum=False, length=16
            ),
            nullable=False,
        ),
        sa.Column("length_km", sa.Float(), nullable=True),
        sa.Column("lanes", sa.SmallInteger(), nullable=True),
        sa.Column("unit_id", sa.Integer(), nullable=False),
        sa.Column("address_id", sa.Integer(), nullable=True),
        sa.Column("lon", sa.Float(), nullable=True),
        sa.Column("lat", sa.Float(), nullable=True),
        sa.Column("tags", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["address_id"],
            ["standard_address.id"],
            name=op.f("fk_road_address_id_standard_address"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["unit_id"], ["org_unit.id"], name=op.f("fk_road_unit_id_org_unit")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_road")),
    )
    with op.batch_alter_table("road", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_road_address_id"), ["address_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_road_grade"), ["grade"], unique=False)
        batch_op.create_index(batch_op.f("ix_road_name"), ["name"], unique=False)
        batch_op.create_index(batch_op.f("ix_road_road_order"), ["road_order"], unique=False)
        batch_op.create_index(batch_op.f("ix_road_unit_id"), ["unit_id"], unique=False)

    op.create_table(
        "driver",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("id_number", sa.String(length=18), nullable=False),
        sa.Column("name", sa.String(length=50), nullable=False),
        sa.Column(
            "sex",
            sa.Enum("male", "female", name="sex", native_enum=False, length=8),
            nullable=False,
        ),
        sa.Column("birth_date", sa.Date(), nullable=False),
        sa.Column("licence_no", sa.String(length=32), nullable=True),
        sa.Column("licence_class", sa.String(length=16), nullable=False),
        sa.Column(
            "status",
            sa.Enum(
                "normal",
                "over_points",
                "audit_overdue",
                "renewal_overdue",
                "suspended",
                "revoked",
                "cancelled",
                name="driverstatus",
                native_enum=False,
                length=24,
            ),
            nullable=False,
        ),
        sa.Column("points", sa.SmallInteger(), nullable=False),
        sa.Column("first_issued_on", sa.Date(), nullable=True),
        sa.Column("audit_due_on", sa.Date(), nullable=True),
        sa.Column("expires_on", sa.Date(), nullable=True),
        sa.Column("phone", sa.String(length=20), nullable=True),
        sa.Column("company_id", sa.Integer(), nullable=True),
        sa.Column("unit_id", sa.Integer(), nullable=False),
        sa.Column("address_id", sa.Integer(), nullable=True),
        sa.Column("lon", sa.Float(), nullable=True),
        sa.Column("lat", sa.Float(), nullable=True),
        sa.Column("tags", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["address_id"],
            ["standard_address.id"],
            name=op.f("fk_driver_address_id_standard_address"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["company_id"], ["company.id"], name=op.f("fk_driver_company_id_company")
        ),
        sa.ForeignKeyConstraint(
            ["unit_id"], ["org_unit.id"], name=op.f("fk_driver_unit_id_org_unit")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_driver")),
        sa.UniqueConstraint("id_number", name=op.f("uq_driver_id_number")),
    )
    with op.batch_alter_table("driver", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_driver_address_id"), ["address_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_driver_audit_due_on"), ["audit_due_on"], unique=False)
        batch_op.create_index(batch_op.f("ix_driver_company_id"), ["company_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_driver_expires_on"), ["expires_on"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_driver_licence_class"), ["licence_class"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_driver_name"), ["name"], unique=False)
        batch_op.create_index(batch_op.f("ix_driver_status"), ["status"], unique=False)
        batch_op.create_index(batch_op.f("ix_driver_unit_id"), ["unit_id"], unique=False)

    op.create_table(
        "road_segment",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("road_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("from_desc", sa.String(length=100), nullable=True),
        sa.Column("to_desc", sa.String(length=100), nullable=True),
        sa.Column("length_m", sa.Float(), nullable=True),
        sa.Column("hazard", sa.Boolean(), nullable=False),
        sa.Column("accident_prone", sa.Boolean(), nullable=False),
        sa.Column("geometry", sa.JSON(), nullable=True),
        sa.Column("unit_id", sa.Integer(), nullable=False),
        sa.Column("address_id", sa.Integer(), nullable=True),
        sa.Column("lon", sa.Float(), nullable=True),
        sa.Column("lat", sa.Float(), nullable=True),
        sa.Column("tags", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["address_id"],
            ["standard_address.id"],
            name=op.f("fk_road_segment_address_id_standard_address"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["road_id"], ["road.id"], name=op.f("fk_road_segment_road_id_road")
        ),
        sa.ForeignKeyConstraint(
            ["unit_id"], ["org_unit.id"], name=op.f("fk_road_segment_unit_id_org_unit")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_road_segment")),
    )
    with op.batch_alter_table("road_segment", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_road_segment_accident_prone"), ["accident_prone"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_road_segment_address_id"), ["address_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_road_segment_hazard"), ["hazard"], unique=False)
        batch_op.create_index(batch_op.f("ix_road_segment_road_id"), ["road_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_road_segment_unit_id"), ["unit_id"], unique=False)

    op.create_table(
        "vehicle",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("plate_no", sa.String(length=16), nullable=False),
        sa.Column("plate_class", sa.String(length=2), nullable=False),
        sa.Column(
            "plate_color",
            sa.Enum(
                "BLUE",
                "YELLOW",
                "BLACK",
                "WHITE",
                "GREEN",
                "YELLOW_GREEN",
                "OTHER",
                name="platecolor",
                native_enum=False,
                length=16,
            ),
            nullable=False,
        ),
        sa.Column("vehicle_class", sa.String(length=3), nullable=False),
        sa.Column("brand", sa.String(length=50), nullable=True),
        sa.Column("model", sa.String(length=50), nullable=True),
        sa.Column("body_color", sa.String(length=20), nullable=True),
        sa.Column("vin", sa.String(length=17), nullable=True),
        sa.Column("owner_name", sa.String(length=200), nullable=False),
        sa.Column("owner_id_number", sa.String(length=18), nullable=False),
        sa.Column("owner_is_person", sa.Boolean(), nullable=False),
        sa.Column(
            "use",
            sa.Enum(
                "private",
                "commercial",
                "bus",
                "taxi",
                "coach",
                "tourist",
                "hazmat",
                "freight",
                "muck",
                "school_bus",
                "training",
                "police",
                "other",
                name="vehicleuse",
                native_enum=False,
                length=24,
            ),
            nullable=False,
        ),
        sa.Column("registered_on", sa.Date(), nullable=True),
        sa.Column("inspection_due_on", sa.Date(), nullable=True),
        sa.Column("scrapping_due_on", sa.Date(), nullable=True),
        sa.Column(
            "status",
            sa.Enum(
                "normal",
                "inspection_overdue",
                "scrapping_overdue",
                "stolen",
                "seized",
                "scrapped",
                "cancelled",
                name="vehiclestatus",
                native_enum=False,
                length=24,
            ),
            nullable=False,
        ),
        sa.Column("company_id", sa.Integer(), nullable=True),
        sa.Column("key_vehicle", sa.Boolean(), nullable=False),
        sa.Column("muck_truck", sa.Boolean(), nullable=False),
        sa.Column("unit_id", sa.Integer(), nullable=False),
        sa.Column("address_id", sa.Integer(), nullable=True),
        sa.Column("lon", sa.Float(), nullable=True),
        sa.Column("lat", sa.Float(), nullable=True),
        sa.Column("tags", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["address_id"],
            ["standard_address.id"],
            name=op.f("fk_vehicle_address_id_standard_address"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["company_id"], ["company.id"], name=op.f("fk_vehicle_company_id_company")
        ),
        sa.ForeignKeyConstraint(
            ["unit_id"], ["org_unit.id"], name=op.f("fk_vehicle_unit_id_org_unit")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_vehicle")),
        sa.UniqueConstraint("plate_no", "plate_class", name=op.f("uq_vehicle_plate_no")),
    )
    with op.batch_alter_table("vehicle", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_vehicle_address_id"), ["address_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_vehicle_company_id"), ["company_id"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_vehicle_inspection_due_on"), ["inspection_due_on"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_vehicle_key_vehicle"), ["key_vehicle"], unique=False)
        batch_op.create_index(batch_op.f("ix_vehicle_muck_truck"), ["muck_truck"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_vehicle_owner_id_number"), ["owner_id_number"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_vehicle_plate_no"), ["plate_no"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_vehicle_scrapping_due_on"), ["scrapping_due_on"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_vehicle_status"), ["status"], unique=False)
        batch_op.create_index(batch_op.f("ix_vehicle_unit_id"), ["unit_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_vehicle_use"), ["use"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_vehicle_vehicle_class"), ["vehicle_class"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_vehicle_vin"), ["vin"], unique=False)

    op.create_table(
        "facility",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column(
            "kind",
            sa.Enum(
                "sign",
                "signal",
                "marking",
                "barrier",
                "camera",
                "guidance",
                "speed_bump",
                "lighting",
                "other",
                name="facilitykind",
                native_enum=False,
                length=16,
            ),
            nullable=False,
        ),
        sa.Column(
            "status",
            sa.Enum(
                "normal",
                "damaged",
                "missing",
                "maintenance",
                "removed",
                name="facilitystatus",
                native_enum=False,
                length=16,
            ),
            nullable=False,
        ),
        sa.Column("road_segment_id", sa.Integer(), nullable=True),
        sa.Column("installed_on", sa.Date(), nullable=True),
        sa.Column("unit_id", sa.Integer(), nullable=False),
        sa.Column("address_id", sa.Integer(), nullable=True),
        sa.Column("lon", sa.Float(), nullable=True),
        sa.Column("lat", sa.Float(), nullable=True),
        sa.Column("tags", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["address_id"],
            ["standard_address.id"],
            name=op.f("fk_facility_address_id_standard_address"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["road_segment_id"],
            ["road_segment.id"],
            name=op.f("fk_facility_road_segment_id_road_segment"),
        ),
        sa.ForeignKeyConstraint(
            ["unit_id"], ["org_unit.id"], name=op.f("fk_facility_unit_id_org_unit")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_facility")),
    )
    with op.batch_alter_table("facility", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_facility_address_id"), ["address_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_facility_kind"), ["kind"], unique=False)
        batch_op.create_index(batch_op.f("ix_facility_name"), ["name"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_facility_road_segment_id"), ["road_segment_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_facility_status"), ["status"], unique=False)
        batch_op.create_index(batch_op.f("ix_facility_unit_id"), ["unit_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("facility", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_facility_unit_id"))
        batch_op.drop_index(batch_op.f("ix_facility_status"))
        batch_op.drop_index(batch_op.f("ix_facility_road_segment_id"))
        batch_op.drop_index(batch_op.f("ix_facility_name"))
        batch_op.drop_index(batch_op.f("ix_facility_kind"))
        batch_op.drop_index(batch_op.f("ix_facility_address_id"))

    op.drop_table("facility")
    with op.batch_alter_table("vehicle", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_vehicle_vin"))
        batch_op.drop_index(batch_op.f("ix_vehicle_vehicle_class"))
        batch_op.drop_index(batch_op.f("ix_vehicle_use"))
        batch_op.drop_index(batch_op.f("ix_vehicle_unit_id"))
        batch_op.drop_index(batch_op.f("ix_vehicle_status"))
        batch_op.drop_index(batch_op.f("ix_vehicle_scrapping_due_on"))
        batch_op.drop_index(batch_op.f("ix_vehicle_plate_no"))
        batch_op.drop_index(batch_op.f("ix_vehicle_owner_id_number"))
        batch_op.drop_index(batch_op.f("ix_vehicle_muck_truck"))
        batch_op.drop_index(batch_op.f("ix_vehicle_key_vehicle"))
        batch_op.drop_index(batch_op.f("ix_vehicle_inspection_due_on"))
        batch_op.drop_index(batch_op.f("ix_vehicle_company_id"))
        batch_op.drop_index(batch_op.f("ix_vehicle_address_id"))

    op.drop_table("vehicle")
    with op.batch_alter_table("road_segment", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_road_segment_unit_id"))
        batch_op.drop_index(batch_op.f("ix_road_segment_road_id"))
        batch_op.drop_index(batch_op.f("ix_road_segment_hazard"))
        batch_op.drop_index(batch_op.f("ix_road_segment_address_id"))
        batch_op.drop_index(batch_op.f("ix_road_segment_accident_prone"))

    op.drop_table("road_segment")
    with op.batch_alter_table("driver", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_driver_unit_id"))
        batch_op.drop_index(batch_op.f("ix_driver_status"))
        batch_op.drop_index(batch_op.f("ix_driver_name"))
        batch_op.drop_index(batch_op.f("ix_driver_licence_class"))
        batch_op.drop_index(batch_op.f("ix_driver_expires_on"))
        batch_op.drop_index(batch_op.f("ix_driver_company_id"))
        batch_op.drop_index(batch_op.f("ix_driver_audit_due_on"))
        batch_op.drop_index(batch_op.f("ix_driver_address_id"))

    op.drop_table("driver")
    with op.batch_alter_table("road", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_road_unit_id"))
        batch_op.drop_index(batch_op.f("ix_road_road_order"))
        batch_op.drop_index(batch_op.f("ix_road_name"))
        batch_op.drop_index(batch_op.f("ix_road_grade"))
        batch_op.drop_index(batch_op.f("ix_road_address_id"))

    op.drop_table("road")
    with op.batch_alter_table("house", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_house_unit_id"))
        batch_op.drop_index(batch_op.f("ix_house_name"))
        batch_op.drop_index(batch_op.f("ix_house_kind"))
        batch_op.drop_index(batch_op.f("ix_house_address_id"))

    op.drop_table("house")
    with op.batch_alter_table("company", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_company_unit_id"))
        batch_op.drop_index(batch_op.f("ix_company_risk_tier"))
        batch_op.drop_index(batch_op.f("ix_company_name"))
        batch_op.drop_index(batch_op.f("ix_company_kind"))
        batch_op.drop_index(batch_op.f("ix_company_address_id"))

    op.drop_table("company")
