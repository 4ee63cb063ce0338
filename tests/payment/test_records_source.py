"""Settle from the care records database (synthetic trust) on both databases."""

from __future__ import annotations

from datetime import date

import pytest

from openpbr.payment.contracts import load_contracts
from openpbr.payment.records_source import bundle_from_records
from openpbr.payment.settle import settle
from openpbr.payment.store import init_db, save_run
from openpbr.reference import builtin_path

generate = pytest.importorskip("openpbr.records.generate")


def test_month_settled_from_records(db_url):
    init_db(db_url)
    size = generate.TrustSize(people=150, years=2, start=date(2022, 4, 1))
    generate.generate_trust(db_url, seed=3, size=size)
    bundle = bundle_from_records(db_url, date(2023, 5, 1), date(2023, 6, 1))
    assert bundle.cluster_periods.num_rows > 0
    cs = load_contracts(builtin_path("payment", "contracts", "records-demo"))
    run = settle(cs, bundle, date(2023, 5, 1), date(2023, 6, 1))
    paid = [st for st in run.statements if any(ln.model == "cluster_activity" and ln.amount for ln in st.lines)]
    assert paid, "cluster activity from the records is paid"
    assert all(st.total == sum(ln.amount for ln in st.lines) for st in run.statements)
    assert save_run(db_url, run)[1] and not save_run(db_url, run)[1]
