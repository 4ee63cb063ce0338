"""PostgreSQL row-level security: the second layer under the services' scope filters.

Connects as a login role that does not own the tables (as production must),
and checks what each scope setting lets it see.
"""

from __future__ import annotations

import uuid

import pytest
import sqlalchemy as sa

pytestmark = pytest.mark.postgres


@pytest.fixture(scope="module")
def app_role_url(trust_pg):
    trust_url = trust_pg
    role = f"openpbr_app_{uuid.uuid4().hex[:8]}"
    owner = sa.create_engine(trust_url, isolation_level="AUTOCOMMIT")
    with owner.connect() as c:
        c.exec_driver_sql(f"CREATE ROLE {role} LOGIN")
        c.exec_driver_sql(f"GRANT SELECT ON ALL TABLES IN SCHEMA public TO {role}")
    url = sa.engine.make_url(trust_url).set(username=role)
    yield url.render_as_string(hide_password=False)
    with owner.connect() as c:
        c.exec_driver_sql(f"REVOKE ALL ON ALL TABLES IN SCHEMA public FROM {role}")
        c.exec_driver_sql(f"DROP OWNED BY {role}")
        c.exec_driver_sql(f"DROP ROLE {role}")
    owner.dispose()


def _count(url, table, **settings):
    e = sa.create_engine(url)
    try:
        with e.begin() as c:
            for k, v in settings.items():
                c.execute(sa.text("SELECT set_config(:k, :v, true)"), {"k": f"openpbr.{k}", "v": v})
            return c.execute(sa.text(f"SELECT count(*) FROM {table}")).scalar_one()
    finally:
        e.dispose()


def _owner_count(url, sql):
    e = sa.create_engine(url)
    try:
        with e.connect() as c:
            return c.execute(sa.text(sql)).scalar_one()
    finally:
        e.dispose()


@pytest.mark.parametrize("table", ["service_users", "cluster_periods", "assessments", "reviews", "referrals"])
def test_no_scope_reads_nothing(app_role_url, table):
    assert _count(app_role_url, table) == 0


def test_all_organisations_reads_everything(app_role_url, trust_pg):
    assert _count(app_role_url, "cluster_periods", all_orgs="on") == _owner_count(
        trust_pg, "SELECT count(*) FROM cluster_periods")


def test_a_provider_sees_only_its_own_cluster_periods(app_role_url, trust_pg):
    own = _owner_count(trust_pg, "SELECT count(*) FROM cluster_periods cp JOIN organisations o "
                                  "ON o.id = cp.provider_id WHERE o.ods_code = 'R01'")
    assert 0 < own < _owner_count(trust_pg, "SELECT count(*) FROM cluster_periods")
    assert _count(app_role_url, "cluster_periods", orgs="R01") == own


def test_a_service_user_sees_only_themself(app_role_url, trust_pg):
    person = _owner_count(trust_pg, "SELECT min(pseudo_id) FROM service_users")
    assert _count(app_role_url, "service_users", person=person) == 1
    mine = _owner_count(trust_pg, f"SELECT count(*) FROM assessments a JOIN service_users s "
                                   f"ON s.id = a.service_user_id WHERE s.pseudo_id = '{person}'")
    assert _count(app_role_url, "assessments", person=person) == mine > 0
