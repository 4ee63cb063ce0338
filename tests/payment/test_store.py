"""Settlement persistence on SQLite and PostgreSQL: idempotent, all or nothing."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from openpbr.db import make_engine
from openpbr.payment.models_db import PaymentLine, PaymentRun, PaymentStatement
from openpbr.payment.store import init_db, load_statements, save_run

from .helpers import contract, periods, run


def _run():
    cs = [contract('- {type: block, annual_value: "120000.00"}\n- {type: cluster_activity}',
                   extra='payments_on_account: {annual: "100000.00"}\n')]
    return run(cs, "2024-05-01", "2024-06-01",
               cluster_periods=periods(("p", "P1", "CCG1", "11", "2024-05-03", None),
                                       ("q", "P9", "CCG1", "03", "2024-05-03", None)))


def _counts(url):
    e = make_engine(url)
    try:
        with e.connect() as c:
            return tuple(c.execute(select(func.count()).select_from(t)).scalar() for t in
                         (PaymentRun, PaymentStatement, PaymentLine))
    finally:
        e.dispose()


def test_save_is_idempotent_and_round_trips(db_url):
    init_db(db_url)
    r = _run()
    rid, created = save_run(db_url, r)
    assert created
    again, created2 = save_run(db_url, _run())
    assert (again, created2) == (rid, False)
    assert _counts(db_url) == (1, 2, len(r.statements[0].lines) + len(r.exceptions.lines))
    stored = load_statements(db_url, r.run_key)
    st = stored[0]
    assert st["total_pence"] == sum(ln["amount_pence"] for ln in st["lines"]) == r.statements[0].total
    assert st["balance_pence"] == r.statements[0].balance
    assert st["lines"][0]["trace"]["rule"] == r.statements[0].lines[0].rule
    assert stored[1]["contract_id"] == "NON-CONTRACT"


def test_failed_run_leaves_nothing_half_written(db_url):
    init_db(db_url)
    with pytest.raises(RuntimeError):
        save_run(db_url, _run(), _fail_after_statements=True)
    assert _counts(db_url) == (0, 0, 0)
    save_run(db_url, _run())
    assert _counts(db_url)[0] == 1
