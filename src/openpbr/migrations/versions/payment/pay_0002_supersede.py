"""Supersede: a re-settled window keeps its earlier run, marked superseded, with a pointer.

``basis_key`` is the hash of the inputs alone (re-settling the same inputs finds it);
``contracts_key`` names the contracts settled; ``supersedes`` / ``superseded_by`` are run
keys (plain pointers, no foreign key, so SQLite needs no table rebuild).

Revision ID: pay_0002
Revises: pay_0001
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "pay_0002"
down_revision = "pay_0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("payment_runs", sa.Column("basis_key", sa.String(40), nullable=True))
    op.add_column("payment_runs", sa.Column("contracts_key", sa.String(64), nullable=True))
    op.add_column("payment_runs", sa.Column("supersedes", sa.Text, nullable=True))
    op.add_column("payment_runs", sa.Column("superseded_by", sa.String(40), nullable=True))
    op.add_column("payment_runs", sa.Column("superseded_at", sa.DateTime, nullable=True))
    op.execute("UPDATE payment_runs SET basis_key = run_key WHERE basis_key IS NULL")
    op.create_index("ix_payment_runs_period", "payment_runs", ["kind", "mode", "period_start", "period_end"])


def downgrade() -> None:
    op.drop_index("ix_payment_runs_period", table_name="payment_runs")
    for name in ("superseded_at", "superseded_by", "supersedes", "contracts_key", "basis_key"):
        with op.batch_alter_table("payment_runs") as b:
            b.drop_column(name)
