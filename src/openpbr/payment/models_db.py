"""Settlement tables (declared on the shared Base; Alembic branch ``payment``)."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import BigInteger, Date, DateTime, Float, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from openpbr.db import Base


class PaymentRun(Base):
    __tablename__ = "payment_runs"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    run_key: Mapped[str] = mapped_column(String(40), unique=True)  # hash of every input: re-runs find it
    kind: Mapped[str] = mapped_column(String(16))  # settlement | reconciliation
    mode: Mapped[str] = mapped_column(String(8))  # live | shadow
    period_start: Mapped[date] = mapped_column(Date)
    period_end: Mapped[date] = mapped_column(Date)  # exclusive
    inputs_json: Mapped[str] = mapped_column(Text)
    total_pence: Mapped[int] = mapped_column(BigInteger)
    created_at: Mapped[datetime] = mapped_column(DateTime)
    # pay_0002: re-settling a window with changed inputs supersedes the live run (kept, with a pointer)
    basis_key: Mapped[str | None] = mapped_column(String(40), nullable=True)  # hash of the inputs alone
    contracts_key: Mapped[str | None] = mapped_column(String(64), nullable=True)  # which contracts were settled
    supersedes: Mapped[str | None] = mapped_column(Text, nullable=True)  # comma-separated run keys
    superseded_by: Mapped[str | None] = mapped_column(String(40), nullable=True)  # run key; null = live
    superseded_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)

    __table_args__ = (Index("ix_payment_runs_period", "kind", "mode", "period_start", "period_end"),)


class PaymentStatement(Base):
    __tablename__ = "payment_statements"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    run_id: Mapped[int] = mapped_column(ForeignKey("payment_runs.id"), index=True)
    contract_id: Mapped[str] = mapped_column(String(80))
    commissioner: Mapped[str] = mapped_column(String(20))
    provider: Mapped[str] = mapped_column(String(20))
    kind: Mapped[str] = mapped_column(String(16))
    period_start: Mapped[date] = mapped_column(Date)
    period_end: Mapped[date] = mapped_column(Date)
    total_pence: Mapped[int] = mapped_column(BigInteger)
    on_account_pence: Mapped[int] = mapped_column(BigInteger)
    balance_pence: Mapped[int] = mapped_column(BigInteger)


class PaymentLine(Base):
    __tablename__ = "payment_lines"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    statement_id: Mapped[int] = mapped_column(ForeignKey("payment_statements.id"), index=True)
    line_no: Mapped[int] = mapped_column(Integer)
    model: Mapped[str] = mapped_column(String(32))
    rule: Mapped[str] = mapped_column(String(64))
    code: Mapped[str] = mapped_column(String(32))
    description: Mapped[str] = mapped_column(Text)
    quantity: Mapped[float] = mapped_column(Float)
    unit: Mapped[str] = mapped_column(String(32))
    amount_pence: Mapped[int] = mapped_column(BigInteger)
    trace_json: Mapped[str] = mapped_column(Text)
