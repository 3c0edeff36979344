"""command (智慧指挥): officers, incidents, dispatches, positions

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-24 07:20:00
"""

from __future__ import annotations

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | None = None
depends_on: str | None = None


def upgrade() -> None:
    pass  # placeholder: filled in by the module that owns this revision


def downgrade() -> None:
    pass
