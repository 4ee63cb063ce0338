"""Fixtures for records tests: an upgraded database and a small synthetic trust on it."""

from __future__ import annotations

from datetime import date

import pytest

from openpbr.db import make_engine, session_scope, upgrade
from openpbr.records.generate import TrustSize, generate_trust
from openpbr.records.models import Organisation, ServiceUser, Team

SMALL = TrustSize(people=60, years=2, providers=1, commissioners=2, teams_per_provider=2, start=date(2021, 4, 1))


@pytest.fixture
def db(db_url):
    upgrade(db_url)
    engine = make_engine(db_url)
    yield engine
    engine.dispose()


@pytest.fixture
def small_size():
    return SMALL


@pytest.fixture
def trust(db):
    generate_trust(db, seed=11, size=SMALL)
    return db


@pytest.fixture
def one_person(db):
    """One provider, one commissioner, one team and one service user (SU1)."""
    with session_scope(db) as s:
        prov = Organisation(ods_code="RAA", name="Provider", role="provider")
        comm = Organisation(ods_code="01A", name="Commissioner", role="commissioner")
        s.add_all([prov, comm])
        s.flush()
        s.add(Team(code="RAA-T1", name="CMHT", provider_id=prov.id))
        s.add(ServiceUser(pseudo_id="SU1", nhs_number="9434765919", birth_year=1970, psychosis_history=False))
    return db
