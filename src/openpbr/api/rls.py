"""Telling PostgreSQL's row-level security who is asking, once per transaction.

Settings are transaction-local (``set_config(..., true)``), so a pooled
connection never carries one request's scope into the next.
"""

from __future__ import annotations

from sqlalchemy import text
from sqlalchemy.orm import Session

from openpbr.access import Scope


def apply_scope(session: Session, scope: Scope) -> None:
    if session.get_bind().dialect.name != "postgresql":
        return
    session.execute(
        text("SELECT set_config('openpbr.all_orgs', :all, true), set_config('openpbr.orgs', :orgs, true), "
             "set_config('openpbr.person', :person, true)"),
        {"all": "on" if scope.all_organisations else "off", "orgs": ",".join(sorted(scope.organisations)),
         "person": scope.person or ""},
    )
