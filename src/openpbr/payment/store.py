"""Persist settlement runs: all or nothing, once per set of inputs.

``save_run`` writes a run, its statements and lines in ONE transaction. If
a run with the same key (same inputs) is already stored it writes nothing and
returns the stored id, so re-running a settlement never duplicates money.
Any error rolls the whole run back: no half-written statements.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime

from sqlalchemy import Engine, select
from sqlalchemy.exc import IntegrityError

from openpbr.db import is_unique_violation, make_engine, upgrade
from openpbr.payment.models_db import PaymentLine, PaymentRun, PaymentStatement
from openpbr.payment.settle import SettlementRun


def init_db(url: str | None = None) -> None:
    """Bring the database to the head of every branch (records and payment)."""
    upgrade(url)


def _engine(db) -> tuple[Engine, bool]:
    return (db, False) if isinstance(db, Engine) else (make_engine(db), True)


def save_run(db, run: SettlementRun, _fail_after_statements: bool = False) -> tuple[int, bool]:
    """Store ``run``; returns (run id, created). Idempotent on ``run.run_key``."""
    engine, own = _engine(db)
    try:
        with engine.connect() as conn:
            found = conn.execute(select(PaymentRun.id).where(PaymentRun.run_key == run.run_key)).scalar()
        if found is not None:
            return found, False
        statements = run.statements + ([run.exceptions] if run.exceptions.lines else [])
        try:
            with engine.begin() as conn:
                run_id = conn.execute(PaymentRun.__table__.insert().values(
                    run_key=run.run_key, kind=run.kind, mode=run.mode, period_start=run.window.start_date,
                    period_end=run.window.end_date, inputs_json=json.dumps(run.inputs, sort_keys=True),
                    total_pence=run.total, created_at=datetime.now(UTC).replace(tzinfo=None),
                ).returning(PaymentRun.id)).scalar_one()
                for st in statements:
                    sid = conn.execute(PaymentStatement.__table__.insert().values(
                        run_id=run_id, contract_id=st.contract_id, commissioner=st.commissioner, provider=st.provider,
                        kind=st.kind, period_start=st.period_start, period_end=st.period_end, total_pence=st.total,
                        on_account_pence=st.on_account, balance_pence=st.balance,
                    ).returning(PaymentStatement.id)).scalar_one()
                    if _fail_after_statements:
                        raise RuntimeError("simulated failure part-way through a run")
                    if st.lines:
                        conn.execute(PaymentLine.__table__.insert(), [
                            {"statement_id": sid, "line_no": n, "model": ln.model, "rule": ln.rule,
                             "code": ln.code.value, "description": ln.description, "quantity": float(ln.quantity),
                             "unit": ln.unit, "amount_pence": ln.amount,
                             "trace_json": json.dumps(ln.trace, sort_keys=True, default=str)}
                            for n, ln in enumerate(st.lines, start=1)
                        ])
            return run_id, True
        except IntegrityError as exc:  # someone stored the same inputs at the same moment
            if not is_unique_violation(exc):
                raise
            with engine.connect() as conn:
                return conn.execute(select(PaymentRun.id).where(PaymentRun.run_key == run.run_key)).scalar_one(), False
    finally:
        if own:
            engine.dispose()


def load_statements(db, run_key: str) -> list[dict]:
    """Stored statements of a run with their lines (traces parsed), in stored order."""
    engine, own = _engine(db)
    try:
        with engine.connect() as conn:
            run = conn.execute(select(PaymentRun).where(PaymentRun.run_key == run_key)).one_or_none()
            if run is None:
                raise KeyError(run_key)
            out = []
            for st in conn.execute(select(PaymentStatement).where(PaymentStatement.run_id == run.id)
                                   .order_by(PaymentStatement.id)).all():
                lines = conn.execute(select(PaymentLine).where(PaymentLine.statement_id == st.id)
                                     .order_by(PaymentLine.line_no)).all()
                out.append({**{k: getattr(st, k) for k in ("contract_id", "commissioner", "provider", "kind",
                                                            "period_start", "period_end", "total_pence",
                                                            "on_account_pence", "balance_pence")},
                            "lines": [{**{k: getattr(ln, k) for k in ("line_no", "model", "rule", "code", "description",
                                                                      "quantity", "unit", "amount_pence")},
                                       "trace": json.loads(ln.trace_json)} for ln in lines]})
            return out
    finally:
        if own:
            engine.dispose()


def list_runs(db) -> list[dict]:
    engine, own = _engine(db)
    try:
        with engine.connect() as conn:
            rows = conn.execute(select(PaymentRun).order_by(PaymentRun.id)).all()
            return [{k: getattr(r, k) for k in ("id", "run_key", "kind", "mode", "period_start", "period_end",
                                                 "total_pence", "created_at")} for r in rows]
    finally:
        if own:
            engine.dispose()
