"""zoom_registrants: who registered, with their answers, for the post-event pack

Revision ID: 0005_report
Revises: 0004_plan_fingerprint
Create Date: 2026-11-30 19:40:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import app.store.tables

revision = "0005_report"
down_revision = "0004_plan_fingerprint"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "zoom_registrants",
        sa.Column("meeting_id", sa.String(length=64), nullable=False),
        sa.Column("registrant_id", sa.String(length=64), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("email", sa.String(length=320), nullable=True),
        sa.Column("first_name", sa.String(length=300), nullable=True),
        sa.Column("last_name", sa.String(length=300), nullable=True),
        sa.Column("fields", sa.JSON(), nullable=False),
        sa.Column("answers", sa.JSON(), nullable=False),
        sa.Column("registered_at", app.store.tables.UTCDateTime(timezone=True), nullable=True),
        sa.Column("fetched_at", app.store.tables.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("meeting_id", "registrant_id", name=op.f("pk_zoom_registrants")),
    )


def downgrade() -> None:
    op.drop_table("zoom_registrants")
