"""Shared database layer: declarative base, engines, sessions and migrations.

Every domain (records, payment, outcomes) declares its tables on :class:`Base`
and ships its own Alembic branch under ``openpbr/migrations/versions/<domain>``.
``upgrade(url)`` brings a database to the head of every branch.

SQLite (a file) is the embedded default; PostgreSQL is supported on equal terms.
The URL comes from the argument, else ``OPENPBR_DATABASE_URL``, else
``sqlite:///openpbr.sqlite`` in the working folder: one default for every command.

Engines are made with ``hide_parameters=True`` so a driver error never prints
the values of a statement (an NHS number, say) into a message or log.
"""

from __future__ import annotations

import os
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

from sqlalchemy import MetaData, create_engine, event
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.orm import DeclarativeBase, Session, sessionmaker
from sqlalchemy.orm.exc import StaleDataError

from openpbr import errors as _errors

DEFAULT_URL = "sqlite:///openpbr.sqlite"
MIGRATIONS_DIR = Path(__file__).parent / "migrations"
BRANCHES = ("records", "payment", "outcomes", "api")

# Deterministic constraint names so migrations can drop/alter them on both backends.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


# Raised instead of SQLAlchemy's StaleDataError (optimistic lock: the row's
# ``version`` moved on) or a uniqueness clash on a one-open-row rule, so no
# change is ever lost silently.
ConflictError = _errors.ConflictError


def database_url(url: str | None = None) -> str:
    return url or os.environ.get("OPENPBR_DATABASE_URL") or DEFAULT_URL


def is_sqlite(url_or_engine: str | Engine) -> bool:
    name = url_or_engine.dialect.name if isinstance(url_or_engine, Engine) else str(url_or_engine)
    return name.startswith("sqlite")


def _sqlite_pragmas(dbapi_conn, _record) -> None:
    # Let SQLAlchemy issue BEGIN itself: the driver's own implicit transactions
    # make SAVEPOINT/RELEASE commit early, breaking all-or-nothing imports.
    dbapi_conn.isolation_level = None
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA foreign_keys=ON")  # off by default in SQLite
    cur.execute("PRAGMA journal_mode=WAL")  # readers do not block the writer
    cur.execute("PRAGMA synchronous=NORMAL")  # safe with WAL, much faster
    cur.execute("PRAGMA busy_timeout=10000")
    cur.close()


def make_engine(url: str | None = None, **kwargs) -> Engine:
    """Engine for ``url`` (see module doc for the default), with SQLite made safe for concurrent use."""
    url = database_url(url)
    kwargs.setdefault("hide_parameters", True)
    try:
        engine = create_engine(url, **kwargs)
    except Exception as exc:  # a malformed URL or an unknown driver
        raise _errors.DatabaseError(f"cannot use database URL {redact_url(url)!r}: {type(exc).__name__}") from None
    if is_sqlite(url):
        event.listen(engine, "connect", _sqlite_pragmas)
        event.listen(engine, "begin", lambda conn: conn.exec_driver_sql("BEGIN"))
    return engine


def make_sessionmaker(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(engine, expire_on_commit=False)


@contextmanager
def session_scope(engine_or_url: Engine | str | None = None) -> Iterator[Session]:
    """One unit of work: commit on success, roll back everything on any error.

    Optimistic-lock failures come out as :class:`ConflictError`.
    """
    engine = engine_or_url if isinstance(engine_or_url, Engine) else make_engine(engine_or_url)
    session = Session(engine, expire_on_commit=False)
    try:
        yield session
        session.commit()
    except StaleDataError as exc:
        session.rollback()
        raise ConflictError(
            "record was changed by someone else since it was loaded; nothing was saved. Reload and apply the change again."
        ) from exc
    except OperationalError as exc:
        session.rollback()
        if is_stale_snapshot(exc):
            raise ConflictError(
                "record was changed by someone else since it was read; nothing was saved. Reload and apply the change again."
            ) from exc
        raise
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()
        if not isinstance(engine_or_url, Engine):
            engine.dispose()


SQLITE_BUSY_SNAPSHOT = 517


def is_stale_snapshot(exc: OperationalError) -> bool:
    """SQLite WAL: a transaction that read old data tried to write after another writer committed."""
    return getattr(exc.orig, "sqlite_errorcode", None) == SQLITE_BUSY_SNAPSHOT


def is_unique_violation(exc: IntegrityError) -> bool:
    text = str(exc.orig).lower()
    return "unique" in text or "duplicate key" in text


def alembic_config(url: str | None = None):
    """Alembic configuration for the one environment with a branch per domain."""
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    cfg.set_main_option("path_separator", "os")
    cfg.set_main_option(
        "version_locations", os.pathsep.join(str(MIGRATIONS_DIR / "versions" / b) for b in BRANCHES)
    )
    cfg.set_main_option("sqlalchemy.url", database_url(url).replace("%", "%%"))
    return cfg


def upgrade(url: str | None = None, target: str = "heads") -> None:
    """Run every domain's migrations (Alembic ``upgrade heads``)."""
    from alembic import command

    path = sqlite_file(database_url(url))
    if path is not None and not path.parent.is_dir():
        raise _errors.DatabaseError(f"cannot create database {path}: folder {path.parent} does not exist")
    command.upgrade(alembic_config(url), target)


def current_revisions(url: str | None = None) -> set[str]:
    from alembic.runtime.migration import MigrationContext

    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            return set(MigrationContext.configure(conn).get_current_heads())
    finally:
        engine.dispose()


def redact_url(url: str) -> str:
    """A database URL safe to print: any password replaced by ***."""
    from sqlalchemy.engine import make_url

    try:
        return make_url(url).render_as_string(hide_password=True)
    except Exception:
        return "<unreadable URL>"


def sqlite_file(url: str) -> Path | None:
    """The file behind a SQLite URL (None for other backends or in-memory)."""
    from sqlalchemy.engine import make_url

    u = make_url(url)
    if not u.drivername.startswith("sqlite") or not u.database or u.database == ":memory:":
        return None
    return Path(u.database)


def require_database(url: str | None = None) -> str:
    """The URL of an existing, initialised database, or a one-line DatabaseError.

    A SQLite file that does not exist is never created by a read: a typo in
    ``--db`` must not leave an empty file behind.
    """
    url = database_url(url)
    path = sqlite_file(url)
    if path is not None and not path.exists():
        raise _errors.DatabaseError(
            f"no database at {path}: create one with `openpbr records init --db {url}` "
            "(or run `openpbr demo`), or give --db / OPENPBR_DATABASE_URL"
        )
    try:
        heads = current_revisions(url)
    except _errors.OpenPbRError:
        raise
    except Exception as exc:
        raise _errors.DatabaseError(
            f"cannot open database {redact_url(url)}: {type(exc).__name__}; is it running and reachable?"
        ) from None
    if not heads:
        raise _errors.DatabaseError(
            f"database {redact_url(url)} is not initialised: run `openpbr records init --db {redact_url(url)}`"
        )
    return url
