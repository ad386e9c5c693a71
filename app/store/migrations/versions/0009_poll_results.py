"""zoom_poll_results: poll results of an ended meeting instance, as counts only (issue 29)

Revision ID: 0009_poll_results
Revises: 0008_action_links
Create Date: 2026-12-07 13:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import app.store.tables

revision = "0009_poll_results"
down_revision = "0008_action_links"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "zoom_poll_results",
        sa.Column("meeting_uuid", sa.String(length=64), nullable=False),
        sa.Column("meeting_id", sa.String(length=64), nullable=False),
        sa.Column("questions", sa.JSON(), nullable=False),
        sa.Column("fetched_at", app.store.tables.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("meeting_uuid", name=op.f("pk_zoom_poll_results")),
    )
    op.create_index("ix_zoom_poll_results_meeting", "zoom_poll_results", ["meeting_id"])


def downgrade() -> None:
    op.drop_table("zoom_poll_results")
