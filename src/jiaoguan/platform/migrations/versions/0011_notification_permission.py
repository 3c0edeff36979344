"""notification: an optional permission its readers must hold

Revision ID: 0011
Revises: 0010
Create Date: 2026-11-24 11:20:00

A notice for a unit reaches every member of it; one meant for its dispatch desk (the command
module's incident steps) names the permission its readers need, so that the officers of a
brigade are not sent every step of every incident. Existing notices keep NULL: everyone in scope.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | None = None
depends_on: str | None = None


def upgrade() -> None:
    op.add_column("notification", sa.Column("permission", sa.String(length=64), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("notification") as batch:
        batch.drop_column("permission")
