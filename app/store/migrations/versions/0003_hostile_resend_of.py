"""deliveries.resend_of: a deliberate resend is a new delivery that names the one it repeats

Revision ID: 0003_hostile
Revises: 0002
Create Date: 2026-11-30 16:50:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003_hostile"
down_revision = "0003_zoom"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("deliveries") as batch:
        batch.add_column(sa.Column("resend_of", sa.String(length=64), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("deliveries") as batch:
        batch.drop_column("resend_of")
