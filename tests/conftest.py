"""Shared fixtures.

PostgreSQL: tests marked ``postgres`` get a fresh, uniquely named database on
the server at 127.0.0.1:5432 (trust auth), dropped afterwards, so parallel
test runs never see each other's rows. Outside CI a missing server skips
those tests; in CI (CI=true) it fails them, so nothing is silently skipped.
"""

from __future__ import annotations

import os
import uuid

import pytest
from hypothesis import HealthCheck, settings

# Timing is measured by benchmarks, never by tests: no per-example deadline, so
# a loaded CI machine cannot turn a correct property into a failure.
settings.register_profile("openpbr", deadline=None, suppress_health_check=[HealthCheck.too_slow])
settings.load_profile("openpbr")

PG_ADMIN_URL = os.environ.get("OPENPBR_PG_ADMIN_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")


def _pg_server_url() -> str:
    return PG_ADMIN_URL.rsplit("/", 1)[0]


@pytest.fixture
def pg_url():
    """URL of a brand-new empty PostgreSQL database for one test."""
    yield from _fresh_pg_database()


@pytest.fixture(scope="module")
def pg_module_url():
    """URL of a brand-new empty PostgreSQL database shared by one test module."""
    yield from _fresh_pg_database()


def _fresh_pg_database():
    sqlalchemy = pytest.importorskip("sqlalchemy")
    admin = sqlalchemy.create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    name = f"openpbr_t_{uuid.uuid4().hex[:12]}"
    try:
        with admin.connect() as c:
            c.exec_driver_sql(f'CREATE DATABASE "{name}"')
    except sqlalchemy.exc.OperationalError as exc:
        admin.dispose()
        if os.environ.get("CI"):
            raise
        pytest.skip(f"PostgreSQL not reachable: {exc.__class__.__name__}")
    try:
        yield f"{_pg_server_url()}/{name}"
    finally:
        with admin.connect() as c:
            c.exec_driver_sql(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s AND pid <> pg_backend_pid()",
                (name,),
            )
            c.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}"')
        admin.dispose()


@pytest.fixture
def sqlite_url(tmp_path):
    return f"sqlite:///{tmp_path / 'openpbr.sqlite'}"


@pytest.fixture(params=["sqlite", "postgres"])
def db_url(request, tmp_path):
    """Run a test once on the embedded SQLite default and once on real PostgreSQL."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'openpbr.sqlite'}"
    request.applymarker(pytest.mark.postgres)
    return request.getfixturevalue("pg_url")
