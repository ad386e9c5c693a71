"""zoom journal: pending creates, and when the stored start link was fetched

Revision ID: 0003_zoom
Revises: 0002
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import app.store.tables

revision = "0003_zoom"
down_revision = "0003_stage"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "zoom_creates",
        sa.Column("event_id", sa.String(length=64), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("host", sa.String(length=200), nullable=False),
        sa.Column("topic", sa.String(length=300), nullable=False),
        sa.Column("requested_at", app.store.tables.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["event_id"], ["events.id"], name=op.f("fk_zoom_creates_event_id_events"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("event_id", name=op.f("pk_zoom_creates")),
    )
    with op.batch_alter_table("zoom_objects", schema=None) as batch_op:
        batch_op.add_column(sa.Column("start_url_at", app.store.tables.UTCDateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("zoom_objects", schema=None) as batch_op:
        batch_op.drop_column("start_url_at")
    op.drop_table("zoom_creates")
