"""Export then import into an empty database reproduces the care record, table by table, on both databases.

Compared: every column of every records table except surrogate ids; foreign
keys are compared by the natural key they point at. Not carried by the MHSDS
files, so not compared (docs/records.md): organisation and team names,
organisations and teams that no record uses, referrals (and the
assessment's referral link), and each database's own audit
log, audit head and reference-dataset loads.
"""

from __future__ import annotations

from collections import Counter
from datetime import date

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from openpbr.db import make_engine, upgrade
from openpbr.records.generate import TrustSize, generate_trust
from openpbr.records.mhsds import export_mhsds, import_mhsds
from openpbr.records.models import (
    Assessment,
    CarePackageAssignment,
    ClusterPeriod,
    Discharge,
    Organisation,
    Review,
    ServiceUser,
    Team,
)

AS_OF = date(2026, 1, 1)
NOT_CARRIED = {"organisations": {"name"}, "teams": {"name"}, "assessments": {"referral_id"}}
TABLES = (Organisation, Team, ServiceUser, Assessment, ClusterPeriod, Review, Discharge, CarePackageAssignment)
FOREIGN = {  # column -> table whose natural key replaces the id
    "provider_id": "organisations", "commissioner_id": "organisations", "team_id": "teams",
    "service_user_id": "service_users", "assessment_id": "assessments", "cluster_period_id": "cluster_periods",
}


def snapshot(engine) -> dict[str, Counter]:
    """Each table as a multiset of rows, ids replaced by natural keys."""
    with engine.connect() as c:
        raw = {m.__tablename__: [dict(r._mapping) for r in c.execute(select(m.__table__))] for m in TABLES}
    keys = {
        "organisations": {r["id"]: r["ods_code"] for r in raw["organisations"]},
        "teams": {r["id"]: r["code"] for r in raw["teams"]},
        "service_users": {r["id"]: r["pseudo_id"] for r in raw["service_users"]},
        "assessments": {r["id"]: r["clust_id"] for r in raw["assessments"]},
    }
    # MHSDS files name organisations and teams only where a record uses them
    used_teams = {r["team_id"] for r in raw["assessments"]} | {r["team_id"] for r in raw["cluster_periods"]}
    used_orgs = {r[c] for r in raw["cluster_periods"] for c in ("provider_id", "commissioner_id")}
    used_orgs |= {r["provider_id"] for r in raw["teams"] if r["id"] in used_teams}
    raw["teams"] = [r for r in raw["teams"] if r["id"] in used_teams]
    raw["organisations"] = [r for r in raw["organisations"] if r["id"] in used_orgs]
    keys["cluster_periods"] = {r["id"]: (keys["assessments"][r["assessment_id"]], r["start_on"]) for r in raw["cluster_periods"]}
    out = {}
    for name, rows in raw.items():
        drop = {"id"} | NOT_CARRIED.get(name, set())
        out[name] = Counter(
            tuple(sorted((k, keys[FOREIGN[k]].get(v, v) if k in FOREIGN and name != "organisations" else v)
                         for k, v in r.items() if k not in drop))
            for r in rows)
    return out


def _roundtrip(target_url, tmp_path, seed, people):
    size = TrustSize(people=people, years=2, providers=2, commissioners=2, teams_per_provider=2, start=date(2021, 4, 1))
    source_url = f"sqlite:///{tmp_path / f'source-{seed}.sqlite'}"
    upgrade(source_url)
    upgrade(target_url)
    source, target = make_engine(source_url), make_engine(target_url)
    try:
        generate_trust(source, seed=seed, size=size)
        export_mhsds(source, tmp_path / f"files-{seed}")
        report = import_mhsds(target, tmp_path / f"files-{seed}", as_of=AS_OF)
        assert report.errors == []
        want, got = snapshot(source), snapshot(target)
        assert sum(want["reviews"].values()) and any(("outcome", "changed") in r for r in want["reviews"])
        for name in want:
            assert got[name] == want[name], name
    finally:
        source.dispose()
        target.dispose()


@pytest.mark.slow
@settings(max_examples=2, derandomize=True)
@given(seed=st.integers(1, 10_000), people=st.integers(5, 25))
def test_export_then_import_reproduces_the_records_sqlite(tmp_path_factory, seed, people):
    tmp = tmp_path_factory.mktemp("rt")
    _roundtrip(f"sqlite:///{tmp / 'target.sqlite'}", tmp, seed, people)


@pytest.mark.slow
@pytest.mark.postgres
def test_export_then_import_reproduces_the_records_postgres(pg_url, tmp_path):
    _roundtrip(pg_url, tmp_path, seed=11, people=40)
