"""checkpoint (缉查布控): watchlists, alerts, restriction rules

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-24 07:20:00
"""

from __future__ import annotations

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | None = None
depends_on: str | None = None


def upgrade() -> None:
    pass  # placeholder: filled in by the module that owns this revision


def downgrade() -> None:
    pass
