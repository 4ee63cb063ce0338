"""Finding a service user's own record from their verified identity."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from openpbr.errors import NotFound


def person_for_verified_nhs_number(session: Session, nhs_number: str | None) -> str:
    """The pseudonymous id of the person whose NHS number the identity provider verified.

    Not finding one is "not found", the same answer as for someone else's record.
    """
    from openpbr.records.models import ServiceUser
    from openpbr.records.nhs import normalise_nhs_number

    if not nhs_number:
        raise NotFound("no care record is linked to this sign-in")
    try:
        nhs = normalise_nhs_number(nhs_number)
    except Exception:
        raise NotFound("no care record is linked to this sign-in") from None
    if session.get_bind().dialect.name == "postgresql":
        # Row-level security hides every person until the scope is known: ask the definer function.
        from sqlalchemy import text

        pseudo = session.scalar(text("SELECT openpbr_person_for_nhs_number(:nhs)"), {"nhs": nhs})
    else:
        pseudo = session.scalar(select(ServiceUser.pseudo_id).where(ServiceUser.nhs_number == nhs))
    if pseudo is None:
        raise NotFound("no care record is linked to this sign-in")
    return pseudo
