"""stream_tickets and stage_presence: stream tickets and presenter presence shared by every instance

Revision ID: 0006_streams
Revises: 0005_report
Create Date: 2026-12-07 06:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import app.store.tables

revision = "0006_streams"
down_revision = "0005_report"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "stream_tickets",
        sa.Column("ticket_hash", sa.String(length=64), nullable=False),
        sa.Column("token_id", sa.String(length=32), nullable=False),
        sa.Column("event_id", sa.String(length=64), nullable=False),
        sa.Column("expires_at", app.store.tables.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("ticket_hash", name=op.f("pk_stream_tickets")),
    )
    op.create_index("ix_stream_tickets_expires", "stream_tickets", ["expires_at"])
    op.create_index("ix_stream_tickets_token", "stream_tickets", ["token_id"])
    op.create_table(
        "stage_presence",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("instance_id", sa.String(length=100), nullable=False),
        sa.Column("event_id", sa.String(length=64), nullable=False),
        sa.Column("token_id", sa.String(length=32), nullable=True),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("role", sa.String(length=16), nullable=False),
        sa.Column("person", sa.String(length=64), nullable=True),
        sa.Column("since", app.store.tables.UTCDateTime(timezone=True), nullable=False),
        sa.Column("expires_at", app.store.tables.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_stage_presence")),
    )
    op.create_index("ix_stage_presence_event", "stage_presence", ["event_id"])
    op.create_index("ix_stage_presence_instance", "stage_presence", ["instance_id"])


def downgrade() -> None:
    op.drop_table("stage_presence")
    op.drop_table("stream_tickets")
