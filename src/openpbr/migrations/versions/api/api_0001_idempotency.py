"""API base tables: idempotency keys (a repeated POST answers as the first did and writes nothing).

Revision ID: api_0001
Revises:
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "api_0001"
down_revision = None
branch_labels = ("api",)
depends_on = "rec_0001"


def upgrade() -> None:
    op.create_table(
        "api_idempotency",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("actor", sa.String(40), nullable=False),
        sa.Column("key", sa.String(80), nullable=False),
        sa.Column("method", sa.String(8), nullable=False),
        sa.Column("path", sa.String(300), nullable=False),
        sa.Column("request_hash", sa.String(64), nullable=False),
        sa.Column("status", sa.Integer, nullable=False),
        sa.Column("body", sa.Text, nullable=False),
        sa.Column("headers_json", sa.Text, nullable=False),
        sa.Column("created_at", sa.DateTime, nullable=False),
        sa.UniqueConstraint("actor", "key", name="uq_api_idempotency_actor_key"),
    )


def downgrade() -> None:
    op.drop_table("api_idempotency")
