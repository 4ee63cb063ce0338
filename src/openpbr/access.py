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
