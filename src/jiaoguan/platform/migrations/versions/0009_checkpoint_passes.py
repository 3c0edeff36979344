"""checkpoint (缉查布控): checkpoints, lanes, VIID registrations, passes

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-24 07:20:00
"""

from __future__ import annotations

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | None = None
depends_on: str | None = None


def upgrade() -> None:
    pass  # placeholder: filled in by the module that owns this revision


def downgrade() -> None:
    pass
