"""Persist settlement runs: all or nothing, once per set of inputs, superseding what they restate.

``save_run`` writes a run, its statements and lines in ONE transaction. If
a run with the same key (same inputs) is already stored it writes nothing and
returns the stored id, so re-running a settlement never duplicates money.
Any error rolls the whole run back: no half-written statements.

A run stored over earlier live runs of the same window (``supersede``) marks
them superseded in the same transaction, only if they are still live: two
people restating one window at once cannot both win (the second gets a
:class:`ConflictError` and nothing is saved). Superseded runs are kept.
"""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, date, datetime

from sqlalchemy import Engine, select, update
from sqlalchemy.exc import IntegrityError

from openpbr.db import is_unique_violation, make_engine, upgrade
from openpbr.errors import ConflictError
from openpbr.payment.models_db import PaymentLine, PaymentRun, PaymentStatement
from openpbr.payment.settle import Invoiced, SettlementRun


def init_db(url: str | None = None) -> None:
    """Bring the database to the head of every branch (records and payment)."""
    upgrade(url)


def _engine(db) -> tuple[Engine, bool]:
    return (db, False) if isinstance(db, Engine) else (make_engine(db), True)


def contracts_key(contract_ids) -> str:
    return hashlib.sha256("\n".join(sorted(contract_ids)).encode()).hexdigest()[:24]


def _now() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


def save_run(db, run: SettlementRun, _fail_after_statements: bool = False) -> tuple[int, bool]:
    """Store ``run``; returns (run id, created). Idempotent on ``run.run_key``.

    The runs named in ``run.inputs["supersedes"]`` are marked superseded by it
    in the same transaction (they must still be live).
    """
    engine, own = _engine(db)
    try:
        with engine.connect() as conn:
            found = conn.execute(select(PaymentRun.id).where(PaymentRun.run_key == run.run_key)).scalar()
        if found is not None:
            return found, False
        statements = run.all_statements()
        supersede = list(run.inputs.get("supersedes", []))
        try:
            with engine.begin() as conn:
                now = _now()
                run_id = conn.execute(PaymentRun.__table__.insert().values(
                    run_key=run.run_key, kind=run.kind, mode=run.mode, period_start=run.window.start_date,
                    period_end=run.window.end_date, inputs_json=json.dumps(run.inputs, sort_keys=True),
                    total_pence=run.total, created_at=now, basis_key=run.basis_key,
                    contracts_key=contracts_key(st.contract_id for st in run.statements),
                    supersedes=",".join(supersede) or None,
                ).returning(PaymentRun.id)).scalar_one()
                if supersede:
                    done = conn.execute(update(PaymentRun).where(
                        PaymentRun.run_key.in_(supersede), PaymentRun.superseded_by.is_(None),
                    ).values(superseded_by=run.run_key, superseded_at=now)).rowcount
                    if done != len(supersede):
                        raise ConflictError(f"the stored runs for {run.window.label()} changed while this run was "
                                            "being settled; nothing was saved. Settle the window again.")
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


RUN_FIELDS = ("id", "run_key", "kind", "mode", "period_start", "period_end", "total_pence", "created_at",
              "basis_key", "contracts_key", "supersedes", "superseded_by", "superseded_at")


def live_runs(db, mode: str, start: date, end: date, kind: str = "settlement") -> list[dict]:
    """Live (not superseded) runs of ``kind`` and ``mode`` for exactly the window [start, end), newest first,
    each with the ids of the contracts it settled."""
    engine, own = _engine(db)
    try:
        with engine.connect() as conn:
            rows = conn.execute(select(PaymentRun).where(
                PaymentRun.kind == kind, PaymentRun.mode == mode, PaymentRun.period_start == start,
                PaymentRun.period_end == end, PaymentRun.superseded_by.is_(None)).order_by(PaymentRun.id.desc())).all()
            out = []
            for r in rows:
                ids = conn.execute(select(PaymentStatement.contract_id).where(
                    PaymentStatement.run_id == r.id, PaymentStatement.kind == kind)).scalars().all()
                out.append({**{k: getattr(r, k) for k in RUN_FIELDS}, "contracts": sorted(ids)})
            return out
    finally:
        if own:
            engine.dispose()


def invoiced(db, mode: str, start: date, end: date, contract_ids=None, exact: bool = False) -> dict[str, list[Invoiced]]:
    """What the live stored settlement runs invoiced, per contract, for windows inside [start, end).

    Per contract the newest live statement wins where windows overlap (a
    one-contract run stored after a run of every contract, say), so nothing is
    counted twice. ``exact`` keeps only windows equal to [start, end).
    """
    engine, own = _engine(db)
    try:
        with engine.connect() as conn:
            q = (select(PaymentRun.run_key, PaymentRun.period_start, PaymentRun.period_end, PaymentStatement.id,
                        PaymentStatement.contract_id, PaymentStatement.on_account_pence)
                 .join(PaymentStatement, PaymentStatement.run_id == PaymentRun.id)
                 .where(PaymentRun.kind == "settlement", PaymentRun.mode == mode, PaymentRun.superseded_by.is_(None),
                        PaymentStatement.kind == "settlement", PaymentRun.period_start >= start,
                        PaymentRun.period_end <= end)
                 .order_by(PaymentRun.id.desc()))
            if exact:
                q = q.where(PaymentRun.period_start == start, PaymentRun.period_end == end)
            if contract_ids is not None:
                q = q.where(PaymentStatement.contract_id.in_(list(contract_ids)))
            out: dict[str, list[Invoiced]] = {}
            for run_key, s0, s1, sid, cid, on_acc in conn.execute(q).all():
                if any(i.start < s1 and s0 < i.end for i in out.get(cid, [])):
                    continue  # an older run for a window already covered by a newer one
                models: dict[str, int] = {}
                for model, amount in conn.execute(select(PaymentLine.model, PaymentLine.amount_pence)
                                                  .where(PaymentLine.statement_id == sid)).all():
                    if model != "coverage":
                        models[model] = models.get(model, 0) + amount
                out.setdefault(cid, []).append(Invoiced(run_key, s0, s1, models, on_acc))
            for rows in out.values():
                rows.sort(key=lambda i: i.start)
            return out
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
                from openpbr.errors import NotFound

                raise NotFound(f"no stored run {run_key!r}")
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
            return [{k: getattr(r, k) for k in RUN_FIELDS} for r in rows]
    finally:
        if own:
            engine.dispose()
