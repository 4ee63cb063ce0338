"""pay_0002 on SQLite and PostgreSQL: runs stored before it stay, become live runs keyed by their inputs."""

from __future__ import annotations

from alembic import command
from sqlalchemy import inspect, text

from openpbr.db import alembic_config, make_engine, upgrade
from openpbr.payment.store import list_runs


def test_supersede_columns_added_over_existing_runs(db_url):
    command.upgrade(alembic_config(db_url), "pay_0001")
    e = make_engine(db_url)
    try:
        with e.begin() as c:
            c.execute(text("INSERT INTO payment_runs (run_key, kind, mode, period_start, period_end, inputs_json, "
                           "total_pence, created_at) VALUES ('k1', 'settlement', 'live', '2024-05-01', '2024-06-01', "
                           "'{}', 100, '2024-06-02 10:00:00')"))
        upgrade(db_url)
        cols = {col["name"] for col in inspect(e).get_columns("payment_runs")}
        assert {"basis_key", "contracts_key", "supersedes", "superseded_by", "superseded_at"} <= cols
        assert "ix_payment_runs_period" in {ix["name"] for ix in inspect(e).get_indexes("payment_runs")}
    finally:
        e.dispose()
    [r] = list_runs(db_url)
    assert (r["run_key"], r["basis_key"], r["superseded_by"], r["total_pence"]) == ("k1", "k1", None, 100)


def test_downgrade_to_pay_0001_and_back(db_url):
    upgrade(db_url)
    command.downgrade(alembic_config(db_url), "pay_0001")
    e = make_engine(db_url)
    try:
        assert "superseded_by" not in {col["name"] for col in inspect(e).get_columns("payment_runs")}
        upgrade(db_url)
        assert "superseded_by" in {col["name"] for col in inspect(e).get_columns("payment_runs")}
    finally:
        e.dispose()
