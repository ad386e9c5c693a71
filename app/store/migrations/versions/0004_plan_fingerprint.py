"""events.plan_fingerprint: what the outbox was last planned from, so start-up skips unchanged events

Revision ID: 0004_plan_fingerprint
Revises: 0003_hostile
Create Date: 2026-11-30 19:50:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004_plan_fingerprint"
down_revision = "0003_hostile"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("events") as batch:
        batch.add_column(sa.Column("plan_fingerprint", sa.String(length=64), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("events") as batch:
        batch.drop_column("plan_fingerprint")
