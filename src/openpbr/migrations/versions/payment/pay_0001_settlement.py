"""Payment base tables: settlement runs, statements, statement lines with traces.

Revision ID: pay_0001
Revises:
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "pay_0001"
down_revision = None
branch_labels = ("payment",)
depends_on = "rec_0001"


def upgrade() -> None:
    op.create_table(
        "payment_runs",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("run_key", sa.String(40), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("mode", sa.String(8), nullable=False),
        sa.Column("period_start", sa.Date, nullable=False),
        sa.Column("period_end", sa.Date, nullable=False),
        sa.Column("inputs_json", sa.Text, nullable=False),
        sa.Column("total_pence", sa.BigInteger, nullable=False),
        sa.Column("created_at", sa.DateTime, nullable=False),
        sa.UniqueConstraint("run_key", name="uq_payment_runs_run_key"),
    )
    op.create_table(
        "payment_statements",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("run_id", sa.Integer, sa.ForeignKey("payment_runs.id", name="fk_payment_statements_run_id_payment_runs"),
                  nullable=False),
        sa.Column("contract_id", sa.String(80), nullable=False),
        sa.Column("commissioner", sa.String(20), nullable=False),
        sa.Column("provider", sa.String(20), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("period_start", sa.Date, nullable=False),
        sa.Column("period_end", sa.Date, nullable=False),
        sa.Column("total_pence", sa.BigInteger, nullable=False),
        sa.Column("on_account_pence", sa.BigInteger, nullable=False),
        sa.Column("balance_pence", sa.BigInteger, nullable=False),
    )
    op.create_index("ix_payment_statements_run_id", "payment_statements", ["run_id"])
    op.create_table(
        "payment_lines",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("statement_id", sa.Integer,
                  sa.ForeignKey("payment_statements.id", name="fk_payment_lines_statement_id_payment_statements"),
                  nullable=False),
        sa.Column("line_no", sa.Integer, nullable=False),
        sa.Column("model", sa.String(32), nullable=False),
        sa.Column("rule", sa.String(64), nullable=False),
        sa.Column("code", sa.String(32), nullable=False),
        sa.Column("description", sa.Text, nullable=False),
        sa.Column("quantity", sa.Float, nullable=False),
        sa.Column("unit", sa.String(32), nullable=False),
        sa.Column("amount_pence", sa.BigInteger, nullable=False),
        sa.Column("trace_json", sa.Text, nullable=False),
    )
    op.create_index("ix_payment_lines_statement_id", "payment_lines", ["statement_id"])


def downgrade() -> None:
    op.drop_table("payment_lines")
    op.drop_table("payment_statements")
    op.drop_table("payment_runs")
