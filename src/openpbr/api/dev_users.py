"""Seeded users of the DEVELOPMENT sign-in: one per role, for the embedded default and tests.

Never a way into real data: the sign-in is off unless asked for, and refused
on PostgreSQL without an explicit flag (see :mod:`openpbr.api.settings`).
The organisations match the synthetic trust (`openpbr records generate`):
providers R01 and R02, commissioners 01X..03X, teams R01-T01...
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class DevUser:
    key: str
    name: str
    grants: tuple[str, ...]
    description: str


DEV_USERS: tuple[DevUser, ...] = (
    DevUser("clinician", "Dev Clinician", ("clinician:R01:R01-T01",), "Clinician, team R01-T01 at provider R01"),
    DevUser("team-lead", "Dev Team Lead", ("team_lead:R01:R01-T01",), "Team lead, team R01-T01 at provider R01"),
    DevUser("finance", "Dev Provider Finance", ("provider_finance:R01",), "Finance lead at provider R01"),
    DevUser("commissioner", "Dev Commissioner", ("commissioner:01X",), "Commissioner 01X"),
    DevUser("analyst", "Dev Analyst", ("analyst:R01",), "Analyst at provider R01"),
    DevUser("admin", "Dev Admin", ("admin:R01",), "Administrator at provider R01"),
    DevUser("auditor", "Dev Auditor", ("auditor:R01",), "Auditor of provider R01"),
    DevUser("other-clinician", "Dev Clinician (R02)", ("clinician:R02:R02-T01",),
            "Clinician at another provider, R02: sees none of R01's people"),
    DevUser("multi", "Dev Multi-role", ("clinician:R01:R01-T01", "provider_finance:R01", "commissioner:01X"),
            "Holds three roles and switches between them"),
)
# A service user signs in as a person of the database: see `dev_service_user_claims`.

BY_KEY = {u.key: u for u in DEV_USERS}


def dev_claims(user: DevUser) -> dict[str, object]:
    return {"sub": f"dev-{user.key}", "name": user.name, "openpbr_roles": list(user.grants)}


def dev_service_user_claims(pseudo_id: str, nhs_number: str) -> dict[str, object]:
    """Claims as NHS login would give them after verifying the person: the NHS number is the key."""
    return {"sub": f"dev-su-{pseudo_id}", "name": "Dev Service User", "nhs_number": nhs_number,
            "openpbr_roles": ["service_user"]}
