from sqlalchemy import inspect

from alembic.script import ScriptDirectory

from openpbr.db import Base, alembic_config, current_revisions, make_engine, upgrade
from openpbr.records import models  # noqa: F401  (registers the tables)

TABLES = {
    "organisations", "teams", "service_users", "referrals", "assessments", "cluster_periods", "reviews",
    "discharges", "care_package_assignments", "reference_dataset_loads", "audit_log", "audit_head", "alembic_version",
}


def test_upgrade_from_empty_creates_every_table_and_matches_models(db_url):
    upgrade(db_url)
    _at_every_head(db_url)
    engine = make_engine(db_url)
    try:
        assert TABLES <= set(inspect(engine).get_table_names())
        from alembic.autogenerate import compare_metadata
        from alembic.runtime.migration import MigrationContext

        with engine.connect() as conn:
            diff = compare_metadata(MigrationContext.configure(conn), Base.metadata)
        records_tables = {t.name for t in Base.metadata.sorted_tables if t.name in TABLES}
        relevant = [d for d in diff if _table_of(d) in records_tables]
        assert relevant == []
    finally:
        engine.dispose()


def test_upgrade_twice_is_harmless(db_url):
    upgrade(db_url)
    upgrade(db_url)
    _at_every_head(db_url)


def _at_every_head(url):
    script = ScriptDirectory.from_config(alembic_config(url))
    current = current_revisions(url)
    # A branch that depends on records (payment) stands for rec_0001 in alembic_version.
    assert current and current <= set(script.get_heads())
    assert script.get_revision("rec_0001").branch_labels == {"records"}


def _table_of(diff) -> str | None:
    item = diff[0] if isinstance(diff, list) else diff
    for obj in item[1:]:
        name = getattr(obj, "table", None)
        if name is not None:
            return getattr(name, "name", None)
        if hasattr(obj, "name") and hasattr(obj, "columns"):
            return obj.name
    return None
