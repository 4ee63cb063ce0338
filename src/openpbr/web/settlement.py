"""Scoped reads and runs of settlement for the pages.

A provider's finance staff see statements where their organisation is the
provider; a commissioner where it is the commissioner. Until the settlement
service lands, these wrap the payment store with that scope applied here.
Drill-down to the people behind a line is audited, one entry per person.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date, timedelta
from functools import lru_cache
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.orm import Session, aliased

from openpbr.access import Scope, require
from openpbr.errors import InputError, NotFound
from openpbr.payment.models_db import PaymentLine, PaymentRun, PaymentStatement


def _statement_filter(scope: Scope):  # type: ignore[no-untyped-def]
    orgs = scope.organisation_filter()
    if orgs is None:
        return True
    codes = sorted(orgs)
    return or_(PaymentStatement.provider.in_(codes), PaymentStatement.commissioner.in_(codes))


def label(mode: str) -> str:
    """Estimates (shadow prices) and settled figures are never shown alike."""
    return "Settled" if mode == "live" else "Estimate"


def runs(session: Session, scope: Scope) -> list[dict[str, Any]]:
    require(scope, "settlement:read")
    visible = select(PaymentStatement.run_id).where(_statement_filter(scope))
    out = []
    for r in session.scalars(select(PaymentRun).where(PaymentRun.id.in_(visible)).order_by(PaymentRun.period_start.desc(),
                                                                                           PaymentRun.id.desc())):
        total = sum(session.scalars(select(PaymentStatement.total_pence).where(
            PaymentStatement.run_id == r.id, _statement_filter(scope))))
        out.append(dict(id=r.id, kind=r.kind, mode=r.mode, label=label(r.mode), start=r.period_start,
                        end=r.period_end - timedelta(days=1), total=total, created=r.created_at))
    return out


def run(session: Session, scope: Scope, run_id: int) -> tuple[PaymentRun, list[PaymentStatement]]:
    require(scope, "settlement:read")
    r = session.get(PaymentRun, run_id)
    if r is None:
        raise NotFound("not found")
    sts = list(session.scalars(select(PaymentStatement).where(PaymentStatement.run_id == r.id, _statement_filter(scope))
                               .order_by(PaymentStatement.id)))
    if not sts:
        raise NotFound("not found")
    return r, sts


def statement(session: Session, scope: Scope, statement_id: int) -> tuple[PaymentRun, PaymentStatement, list[PaymentLine]]:
    require(scope, "settlement:read")
    st = session.scalar(select(PaymentStatement).where(PaymentStatement.id == statement_id, _statement_filter(scope)))
    if st is None:
        raise NotFound("not found")
    lines = list(session.scalars(select(PaymentLine).where(PaymentLine.statement_id == st.id).order_by(PaymentLine.line_no)))
    return session.get(PaymentRun, st.run_id), st, lines


def line(session: Session, scope: Scope, statement_id: int, line_no: int) -> tuple[PaymentRun, PaymentStatement, PaymentLine, dict]:
    r, st, lines = statement(session, scope, statement_id)
    ln = next((x for x in lines if x.line_no == line_no), None)
    if ln is None:
        raise NotFound("not found")
    return r, st, ln, json.loads(ln.trace_json)


@dataclass(frozen=True)
class ActivityRow:
    person: str
    cluster: str
    start_on: date
    end_on: date | None
    days_in_period: int


def line_activity(session: Session, scope: Scope, statement_id: int, line_no: int, limit: int = 1000) -> tuple[Any, list[ActivityRow], int]:
    """The cluster periods behind a cluster activity line: same provider, commissioner, cluster and window."""
    from openpbr.records import audit
    from openpbr.records.models import ClusterPeriod, Organisation, ServiceUser

    require(scope, "settlement:drill_down")
    r, st, ln, trace = line(session, scope, statement_id, line_no)
    cluster = (trace.get("inputs") or {}).get("cluster")
    if not cluster:
        return (r, st, ln, trace), [], 0
    prov, comm = aliased(Organisation), aliased(Organisation)
    cp = ClusterPeriod
    stmt = (select(ServiceUser.pseudo_id, cp.chosen_cluster, cp.start_on, cp.end_on)
            .join(ServiceUser, ServiceUser.id == cp.service_user_id)
            .join(prov, prov.id == cp.provider_id).join(comm, comm.id == cp.commissioner_id)
            .where(prov.ods_code == st.provider, comm.ods_code == st.commissioner, cp.chosen_cluster == cluster,
                   cp.start_on < st.period_end, or_(cp.end_on.is_(None), cp.end_on > st.period_start))
            .order_by(ServiceUser.pseudo_id, cp.start_on))
    rows = []
    for p, c, a, b in session.execute(stmt):
        first, last = max(a, st.period_start), min(b or st.period_end, st.period_end)
        rows.append(ActivityRow(p, c, a, b, max((last - first).days, 0)))
    shown = rows[:limit]
    # The same read event as every other read of a person's record, so the person sees it too.
    audit.append_many(session, [audit.Event(scope.actor[:40], "read", "service_user", x.person, dict(
        what="statement check", role=scope.role.value, statement=st.id, line=ln.line_no)) for x in shown])
    return (r, st, ln, trace), shown, len(rows)


@lru_cache(maxsize=1)
def _contracts() -> tuple[Any, ...]:
    """The shipped contracts for the synthetic records trust (read once: they are package data)."""
    from openpbr.payment.contracts import load_contracts
    from openpbr.reference import builtin_path

    return tuple(load_contracts(builtin_path("payment", "contracts", "records-demo")))


def contracts_in_scope(scope: Scope) -> list[Any]:
    out = []
    for c in _contracts():
        if scope.allows_organisation(c.provider) or scope.allows_organisation(c.commissioner):
            out.append(c)
    return out


def settle_month(session: Session, scope: Scope, month: str, mode: str = "live") -> int:
    """Settle the contracts in scope for one month from the records and store the run, through the settlement
    service: the same inputs store nothing new, changed inputs supersede the live run with adjustment lines."""
    from openpbr.services import settlement as svc

    require(scope, "settlement:run")
    try:
        start = date.fromisoformat(f"{month}-01")
    except ValueError:
        raise InputError("enter the month as YYYY-MM, for example 2024-03") from None
    end = (start + timedelta(days=32)).replace(day=1)
    contracts = [c for c in contracts_in_scope(scope) if c.valid_from < end and c.valid_to > start]
    if not contracts:
        raise InputError("no contract in your scope is in force in that month")
    engine = session.get_bind()
    url = engine.url.render_as_string(hide_password=False)
    bundle = svc.bundle_for(contracts, start, end, records_db=url)
    result = svc.settle_and_store(engine, contracts, bundle, start, end, scope=scope, mode=mode)
    assert result.stored_id is not None
    return result.stored_id


def statement_pdf(run_row: PaymentRun, st: PaymentStatement, lines: list[PaymentLine]) -> bytes:
    """The statement as the same PDF the command line writes (``openpbr.payment.export.write_pdf``)."""
    import tempfile
    from pathlib import Path

    from openpbr.payment.codes import PayCode
    from openpbr.payment.context import Window
    from openpbr.payment.export import write_pdf
    from openpbr.payment.settle import NON_CONTRACT, SettlementRun
    from openpbr.payment.statement import Line, Statement

    stmt = Statement(st.contract_id, st.commissioner, st.provider, st.period_start, st.period_end,
                     [Line(st.contract_id, ln.model, ln.rule, PayCode(ln.code), ln.description, ln.quantity, ln.unit,
                           ln.amount_pence, json.loads(ln.trace_json)) for ln in lines],
                     on_account=st.on_account_pence, kind=st.kind)
    empty = Statement(NON_CONTRACT, "", "", st.period_start, st.period_end, [], 0, kind="exceptions")
    run = SettlementRun(run_row.run_key, Window(st.period_start, st.period_end),
                        f"{run_row.mode} ({label(run_row.mode).lower()})", [stmt], empty)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "statement.pdf"
        write_pdf(run, path, title=f"OpenPbR statement ({label(run_row.mode)})")
        return path.read_bytes()
