"""Who is acting, and what they may see: roles and scope, enforced below the faces.

A :class:`Scope` travels into every service call. Queries filter by it, so no
face can forget it, and it fails closed: a scope with no organisations, team
or person reads nothing.

The command line acts as a local operator of the whole database it is pointed
at (``Scope.local_operator``): whoever can open the file can read it anyway.
The API and web app build scopes from the identity token instead.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum


class Role(str, Enum):
    CLINICIAN = "clinician"
    TEAM_LEAD = "team_lead"
    PROVIDER_FINANCE = "provider_finance"
    COMMISSIONER = "commissioner"
    ANALYST = "analyst"
    ADMIN = "admin"
    AUDITOR = "auditor"
    SERVICE_USER = "service_user"
    LOCAL_OPERATOR = "local_operator"  # the command line on its own database


@dataclass(frozen=True)
class Scope:
    """The acting user and what they may reach.

    ``organisations`` holds ODS codes (providers or commissioners); ``all_organisations``
    is only ever true for the local operator. ``person`` limits a service user to themself.
    """

    actor: str
    role: Role
    organisations: frozenset[str] = field(default_factory=frozenset)
    all_organisations: bool = False
    team: str | None = None
    person: str | None = None

    @classmethod
    def local_operator(cls, actor: str = "cli") -> Scope:
        return cls(actor=actor, role=Role.LOCAL_OPERATOR, all_organisations=True)

    def allows_organisation(self, code: str | None) -> bool:
        if self.all_organisations:
            return True
        return code is not None and code in self.organisations

    def organisation_filter(self) -> frozenset[str] | None:
        """The organisation codes to filter by; None means no filter (local operator only)."""
        return None if self.all_organisations else self.organisations

    @property
    def reads_nothing(self) -> bool:
        return not self.all_organisations and not self.organisations and self.person is None


# The policy table: which roles may perform each action. Every API route and web
# page names one action; the access-matrix test is generated from this table.
# Row-level scope (own organisation, own person) is applied by the services on
# top of this, so a role that may "read people" still reads only its own.
STAFF = frozenset({Role.CLINICIAN, Role.TEAM_LEAD, Role.PROVIDER_FINANCE, Role.COMMISSIONER, Role.ANALYST,
                   Role.ADMIN, Role.AUDITOR})
EVERYONE = STAFF | {Role.SERVICE_USER}
CARE_TEAM = frozenset({Role.CLINICIAN, Role.TEAM_LEAD})

POLICY: dict[str, frozenset[Role]] = {
    "reference:read": EVERYONE,
    "reference:write": frozenset({Role.ADMIN}),
    "people:register": CARE_TEAM,
    "people:read": CARE_TEAM | {Role.ANALYST, Role.AUDITOR},
    "assessments:suggest": CARE_TEAM,
    "assessments:decide": CARE_TEAM,
    "records:read": CARE_TEAM | {Role.ANALYST, Role.AUDITOR},
    "worklist:read": CARE_TEAM | {Role.ANALYST},
    "my_care:read": frozenset({Role.SERVICE_USER}),
    "imports:run": frozenset({Role.ANALYST, Role.ADMIN}),
    "settlement:run": frozenset({Role.PROVIDER_FINANCE, Role.COMMISSIONER, Role.ADMIN}),
    "settlement:read": frozenset({Role.PROVIDER_FINANCE, Role.COMMISSIONER, Role.ANALYST, Role.AUDITOR,
                                  Role.ADMIN}),
    "settlement:drill_down": frozenset({Role.PROVIDER_FINANCE, Role.COMMISSIONER, Role.AUDITOR}),
    "outcomes:read": frozenset({Role.TEAM_LEAD, Role.PROVIDER_FINANCE, Role.COMMISSIONER, Role.ANALYST,
                                Role.AUDITOR, Role.ADMIN}),
    "audit:read": frozenset({Role.AUDITOR, Role.ADMIN}),
    "audit:read_own": frozenset({Role.SERVICE_USER}),
    "users:admin": frozenset({Role.ADMIN}),
}

# Roles that see person-level rows only under a pseudonym (never an NHS number).
PSEUDONYMISED = frozenset({Role.COMMISSIONER, Role.ANALYST, Role.AUDITOR, Role.PROVIDER_FINANCE})


def allowed(scope: Scope, action: str) -> bool:
    """True when the scope's role may perform ``action``; unknown actions are refused (fail closed)."""
    if scope.role is Role.LOCAL_OPERATOR:
        return True
    return scope.role in POLICY.get(action, frozenset())


def require(scope: Scope, action: str) -> None:
    """Raise AccessDenied (which reads as not found) unless the scope may perform ``action``."""
    from openpbr.errors import AccessDenied

    if not allowed(scope, action) or scope.reads_nothing and scope.role is not Role.LOCAL_OPERATOR:
        raise AccessDenied("not found")
