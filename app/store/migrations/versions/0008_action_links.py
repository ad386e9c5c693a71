"""action_links: single-use, hashed action links behind the buttons of host chat messages

Revision ID: 0008_action_links
Revises: 0007_hashed_links
Create Date: 2026-12-07 11:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import app.store.tables

revision = "0008_action_links"
down_revision = "0007_hashed_links"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "action_links",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("event_id", sa.String(length=64), nullable=False),
        sa.Column("verb", sa.String(length=16), nullable=False),
        sa.Column("expected", sa.String(length=64), nullable=True),
        sa.Column("expected_title", sa.String(length=200), nullable=True),
        sa.Column("target_id", sa.String(length=64), nullable=False),
        sa.Column("delivery_id", sa.String(length=200), nullable=True),
        sa.Column("created_at", app.store.tables.UTCDateTime(timezone=True), nullable=False),
        sa.Column("expires_at", app.store.tables.UTCDateTime(timezone=True), nullable=False),
        sa.Column("used_at", app.store.tables.UTCDateTime(timezone=True), nullable=True),
        sa.Column("result", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_action_links")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_action_links_token_hash")),
    )
    op.create_index("ix_action_links_expires", "action_links", ["expires_at"])


def downgrade() -> None:
    op.drop_table("action_links")
