"""Indicator results reach settlement by a file or from the database, and both pay the same to the penny."""

from __future__ import annotations

from datetime import date

import pyarrow as pa
import pytest
from typer.testing import CliRunner

from openpbr.access import Scope
from openpbr.cli import app
from openpbr.errors import InputError
from openpbr.outcomes.payment_feed import read_payment_results, write_payment_results
from openpbr.payment.store import init_db
from openpbr.reference import builtin_path
from openpbr.services import settlement as svc

generate = pytest.importorskip("openpbr.records.generate")
CONTRACTS = builtin_path("payment", "contracts", "records-demo")
MAY = (date(2023, 5, 1), date(2023, 6, 1))


def _lines(run):
    return [(st.contract_id, [(ln.rule, ln.code.value, ln.quantity, ln.amount) for ln in st.lines], st.total)
            for st in run.statements]


def test_file_path_and_database_path_settle_alike(db_url, tmp_path):
    init_db(db_url)
    generate.generate_trust(db_url, seed=3, size=generate.TrustSize(people=150, years=2, start=date(2022, 4, 1)))
    contracts = svc.load_contracts(CONTRACTS)
    scope = Scope.local_operator()

    from_db = svc.settle_window(contracts, svc.bundle_for(contracts, *MAY, records_db=db_url), *MAY, scope=scope)

    feed = tmp_path / "indicator_results.csv"
    result = CliRunner().invoke(app, ["outcomes", "indicators", "--from", "2023-05", "--to", "2023-05", "--db", db_url,
                                      "--out", str(tmp_path / "ind.csv"), "--payment-results", str(feed),
                                      "--contracts", str(CONTRACTS)])
    assert result.exit_code == 0, result.output
    from_file = svc.settle_window(contracts, svc.bundle_for(contracts, *MAY, records_db=db_url, indicators=feed),
                                  *MAY, scope=scope)

    assert _lines(from_file) == _lines(from_db)
    assert from_file.run_key == from_db.run_key  # the very same inputs, so the very same run
    earned = [ln for st in from_db.statements for ln in st.lines if ln.rule == "outcome.earned"]
    assert earned and any(ln.amount > 0 for ln in earned), "outcome payments are fed by the indicators"


def test_payment_results_file_round_trips(tmp_path):
    t = pa.table({"contract_id": ["C1", "C1"], "indicator": ["a", "b"], "value": ["0.500000", None],
                  "need_group": ["high", None], "achieved": [1, None], "eligible": [2, None],
                  "definition_ref": ["d@1", "d@1"], "months": [1, 1], "trace": ['{"x": 1}', '{"x": 2}']})
    write_payment_results(t, tmp_path / "r.csv")
    back = read_payment_results(tmp_path / "r.csv")
    assert back.equals(t.cast(back.schema))


@pytest.mark.parametrize("content, message", [
    (None, "not found"),
    ("indicator,value\na,1\n", "missing column contract_id"),
    ("contract_id,indicator\nC1,a\n", "missing column value, or achieved and eligible"),
    ("contract_id,indicator,achieved,eligible\nC1,a,x,2\n", "does not fit its column"),
])
def test_bad_payment_results_file(tmp_path, content, message):
    p = tmp_path / "r.csv"
    if content is not None:
        p.write_text(content, encoding="utf-8")
    with pytest.raises(InputError, match=message):
        read_payment_results(p)
