"""presenter links stored hashed: drop api_tokens.link_token (the plain token kept to show links again)

A stage link's token_hash was always written next to its plain token, so existing links keep
working: the upgrade (re)writes each hash from the plain token, then drops the plain column.

Revision ID: 0007_hashed_links
Revises: 0005_report
Create Date: 2026-12-07 06:00:00
"""

from __future__ import annotations

import hashlib

import sqlalchemy as sa
from alembic import op

revision = "0007_hashed_links"
down_revision = "0006_streams"
branch_labels = None
depends_on = None

tokens = sa.table(
    "api_tokens",
    sa.column("id", sa.String),
    sa.column("token_hash", sa.String),
    sa.column("link_token", sa.String),
)


def upgrade() -> None:
    bind = op.get_bind()
    plain = bind.execute(sa.select(tokens.c.id, tokens.c.link_token).where(tokens.c.link_token.is_not(None)))
    for token_id, token in plain.all():
        digest = hashlib.sha256(token.encode()).hexdigest()  # as app.store.tokens_repo.hash_token
        bind.execute(sa.update(tokens).where(tokens.c.id == token_id).values(token_hash=digest, link_token=None))
    with op.batch_alter_table("api_tokens") as batch:
        batch.drop_column("link_token")


def downgrade() -> None:
    # The plain tokens are gone for good: links keep working but cannot be shown again.
    with op.batch_alter_table("api_tokens") as batch:
        batch.add_column(sa.Column("link_token", sa.String(length=100), nullable=True))
