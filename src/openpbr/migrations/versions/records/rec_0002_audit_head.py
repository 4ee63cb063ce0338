"""Audit log: refuse TRUNCATE (PostgreSQL) and keep an append-only head anchor.

``audit_head`` holds one row: the sequence number and hash of the newest audit
entry. A trigger moves it forward with every insert into ``audit_log``; its
own triggers refuse moving it back, deleting it or truncating it. ``verify``
compares the chain's last entry with it, so a truncated or shortened chain no
longer passes as intact without being told the head.

Revision ID: rec_0002
Revises: rec_0001
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "rec_0002"
down_revision = "rec_0001"
branch_labels = None
depends_on = None

AUDIT_GUARD = "audit log is append-only"
HEAD_GUARD = "audit head only moves forward"


def upgrade() -> None:
    op.create_table(
        "audit_head",
        sa.Column("id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("hash", sa.String(length=64), nullable=False),
        sa.CheckConstraint("id = 1", name=op.f("ck_audit_head_single_row")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_head")),
    )
    # Anchor an existing chain at its current newest entry.
    op.execute(
        "INSERT INTO audit_head (id, seq, hash) SELECT 1, COALESCE(MAX(seq), 0), "
        "COALESCE((SELECT hash FROM audit_log ORDER BY seq DESC LIMIT 1), '" + "0" * 64 + "') FROM audit_log"
    )
    if op.get_bind().dialect.name == "sqlite":
        # SQLite has no TRUNCATE: DELETE (refused by rec_0001's trigger) is the only way to empty a table.
        op.execute(
            "CREATE TRIGGER audit_log_move_head AFTER INSERT ON audit_log BEGIN "
            "UPDATE audit_head SET seq = NEW.seq, hash = NEW.hash WHERE id = 1 AND NEW.seq > seq; END"
        )
        op.execute(
            "CREATE TRIGGER audit_head_no_rewind BEFORE UPDATE ON audit_head "
            f"WHEN NEW.seq <= OLD.seq OR NEW.id <> OLD.id BEGIN SELECT RAISE(ABORT, '{HEAD_GUARD}'); END"
        )
        op.execute(f"CREATE TRIGGER audit_head_no_delete BEFORE DELETE ON audit_head BEGIN SELECT RAISE(ABORT, '{HEAD_GUARD}'); END")
        op.execute(f"CREATE TRIGGER audit_head_no_insert BEFORE INSERT ON audit_head BEGIN SELECT RAISE(ABORT, '{HEAD_GUARD}'); END")
        return
    op.execute(
        "CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON audit_log "
        "FOR EACH STATEMENT EXECUTE FUNCTION audit_log_refuse()"
    )
    # One head update per INSERT statement (bulk appends stay cheap).
    op.execute(
        "CREATE FUNCTION audit_log_move_head() RETURNS trigger LANGUAGE plpgsql "
        # runs with its owner's rights: the application role needs no UPDATE on audit_head
        "SECURITY DEFINER SET search_path FROM CURRENT AS $$ BEGIN "
        "UPDATE audit_head h SET seq = n.seq, hash = n.hash "
        "FROM (SELECT seq, hash FROM new_rows ORDER BY seq DESC LIMIT 1) n WHERE h.id = 1 AND n.seq > h.seq; "
        "RETURN NULL; END $$"
    )
    op.execute(
        "CREATE TRIGGER audit_log_move_head AFTER INSERT ON audit_log REFERENCING NEW TABLE AS new_rows "
        "FOR EACH STATEMENT EXECUTE FUNCTION audit_log_move_head()"
    )
    op.execute(
        "CREATE FUNCTION audit_head_guard() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
        "IF TG_OP = 'UPDATE' THEN IF NEW.id = OLD.id AND NEW.seq > OLD.seq THEN RETURN NEW; END IF; END IF; "
        f"RAISE EXCEPTION '{HEAD_GUARD}'; END $$"
    )
    op.execute(
        "CREATE TRIGGER audit_head_guard BEFORE INSERT OR UPDATE OR DELETE ON audit_head "
        "FOR EACH ROW EXECUTE FUNCTION audit_head_guard()"
    )
    op.execute(
        "CREATE TRIGGER audit_head_no_truncate BEFORE TRUNCATE ON audit_head "
        "FOR EACH STATEMENT EXECUTE FUNCTION audit_head_guard()"
    )


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        for name in ("audit_log_move_head", "audit_head_no_rewind", "audit_head_no_delete", "audit_head_no_insert"):
            op.execute(f"DROP TRIGGER IF EXISTS {name}")
    else:
        op.execute("DROP TRIGGER IF EXISTS audit_head_no_truncate ON audit_head")
        op.execute("DROP TRIGGER IF EXISTS audit_head_guard ON audit_head")
        op.execute("DROP TRIGGER IF EXISTS audit_log_move_head ON audit_log")
        op.execute("DROP TRIGGER IF EXISTS audit_log_no_truncate ON audit_log")
        op.execute("DROP FUNCTION IF EXISTS audit_head_guard()")
        op.execute("DROP FUNCTION IF EXISTS audit_log_move_head()")
    op.drop_table("audit_head")
