"""stage links and invites

Revision ID: 0003_stage
Revises: 0003_runsvc
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import app.store.tables

revision = "0003_stage"
down_revision = "0003_runsvc"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("api_tokens") as batch:
        batch.add_column(sa.Column("event_id", sa.String(length=64), nullable=True))
        batch.add_column(sa.Column("person", sa.String(length=64), nullable=True))
        batch.add_column(sa.Column("link_token", sa.String(length=100), nullable=True))
    op.create_table(
        "invites",
        sa.Column("event_id", sa.String(length=64), nullable=False),
        sa.Column("person", sa.String(length=64), nullable=False),
        sa.Column("sequence", sa.Integer(), nullable=False),
        sa.Column("content_hash", sa.String(length=64), nullable=False),
        sa.Column("updated_at", app.store.tables.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["event_id"], ["events.id"], name=op.f("fk_invites_event_id_events"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("event_id", "person", name=op.f("pk_invites")),
    )


def downgrade() -> None:
    op.drop_table("invites")
    with op.batch_alter_table("api_tokens") as batch:
        batch.drop_column("link_token")
        batch.drop_column("person")
        batch.drop_column("event_id")
