"""Stored settlement runs as a finance lead reads them: one run rebuilt from the store, within scope.

The store keeps every line with its code and trace; rebuilding the run lets
the same writers (CSV, XLSX, PDF) serve a stored run and a fresh one alike.
"""

from __future__ import annotations

from openpbr.access import Scope
from openpbr.errors import NotFound
from openpbr.payment.codes import PayCode
from openpbr.payment.context import Window
from openpbr.payment.settle import NON_CONTRACT, SettlementRun
from openpbr.payment.statement import Line, Statement
from openpbr.services.settlement import Db, run_statements


def _statement(s: dict) -> Statement:
    lines = [Line(s["contract_id"], ln["model"], ln["rule"], PayCode(ln["code"]), ln["description"], ln["quantity"],
                  ln["unit"], ln["amount_pence"], ln["trace"]) for ln in s["lines"]]
    return Statement(s["contract_id"], s["commissioner"], s["provider"], s["period_start"], s["period_end"], lines,
                     s["on_account_pence"], kind=s["kind"])


def stored_run(db: Db, run_key: str, scope: Scope) -> SettlementRun:
    """A stored run, holding only the statements the caller may see."""
    from openpbr.payment import store

    meta = next((r for r in store.list_runs(db) if r["run_key"] == run_key), None)
    if meta is None:
        raise NotFound(f"no stored run {run_key!r}")
    sts = [_statement(s) for s in run_statements(db, run_key, scope)]
    window = Window(meta["period_start"], meta["period_end"])
    exceptions = next((s for s in sts if s.kind == "exceptions"),
                      Statement(NON_CONTRACT, "", "", window.start_date, window.end_date, [], 0, kind="exceptions"))
    main = [s for s in sts if s.kind == meta["kind"]]
    adjustments = [s for s in sts if s.kind not in (meta["kind"], "exceptions")]
    return SettlementRun(run_key, window, meta["mode"], main, exceptions, {}, {"basis_key": meta["basis_key"]},
                         meta["kind"], adjustments)


def write_xlsx(run: SettlementRun, path) -> None:
    """Statements as a workbook: one sheet of every line (amounts in pounds as numbers), one of totals."""
    from decimal import Decimal

    from openpyxl import Workbook

    from openpbr.io.safe import atomic_path, excel_safe
    from openpbr.payment.export import CSV_COLUMNS, _csv_rows

    wb = Workbook()
    ws = wb.active
    ws.title = "Lines"
    ws.append(CSV_COLUMNS)
    for row in _csv_rows(run):
        ws.append([float(v) if isinstance(v, Decimal) else excel_safe(v if not hasattr(v, "isoformat") else v)
                   for v in row])
    ws.freeze_panes = "A2"
    with atomic_path(path) as tmp:
        wb.save(tmp)
