"""Alembic environment shared by every domain branch (records, payment, outcomes).

Run through ``openpbr.db.upgrade(url)`` or ``openpbr records init``; the URL
comes from the Alembic config set there.
"""

from __future__ import annotations

from alembic import context

from openpbr.db import Base, make_engine

config = context.config


def _target_metadata():
    # Import every domain's models so autogenerate sees all tables.
    import importlib

    for module in ("openpbr.records.models", "openpbr.payment.models", "openpbr.outcomes.models", "openpbr.api.models"):
        try:
            importlib.import_module(module)
        except ModuleNotFoundError:
            pass
    return Base.metadata


def run_migrations_offline() -> None:
    context.configure(
        url=config.get_main_option("sqlalchemy.url"),
        target_metadata=_target_metadata(),
        literal_binds=True,
        render_as_batch=True,
    )
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    engine = make_engine(config.get_main_option("sqlalchemy.url"))
    try:
        with engine.connect() as connection:
            context.configure(
                connection=connection,
                target_metadata=_target_metadata(),
                render_as_batch=connection.dialect.name == "sqlite",  # SQLite alters tables by copy
            )
            with context.begin_transaction():
                context.run_migrations()
    finally:
        engine.dispose()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
