"""Who is calling: OpenID Connect bearer tokens, or the development sign-in.

Claims used (an identity provider maps its groups onto them):

- ``sub``: the user's stable id; it becomes the audit actor.
- ``openpbr_roles``: grants as ``"role:ORG"`` or ``"role:ORG:TEAM"`` (e.g.
  ``"clinician:RDEMO:T01"``, ``"commissioner:ICB-A"``). A user may hold several;
  the ``X-OpenPbR-Role`` header (or the web's role switch) picks the active one.
- ``nhs_number``: for service users, as NHS login verifies it. The record is
  found from this verified claim, never from an id in the request, so knowing
  an NHS number grants nothing.

Tokens are verified with joserfc (the JOSE library behind Authlib) against the
issuer's JWKS. Development tokens are signed with the server's own secret and
accepted only while the development sign-in is on.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from typing import Any

from joserfc import jwt
from joserfc.errors import JoseError
from joserfc.jwk import KeySet, OctKey

from openpbr.access import Role, Scope
from openpbr.api.problems import Unauthenticated
from openpbr.api.settings import ApiSettings

DEV_ISSUER = "openpbr-development-sign-in"
ROLE_HEADER = "X-OpenPbR-Role"


@dataclass(frozen=True)
class Grant:
    role: Role
    organisation: str | None = None
    team: str | None = None

    @classmethod
    def parse(cls, text: str) -> Grant:
        parts = text.split(":")
        try:
            role = Role(parts[0])
        except ValueError:
            raise Unauthenticated(f"unknown role in token: {parts[0][:30]!r}") from None
        if role is Role.LOCAL_OPERATOR:
            raise Unauthenticated("the local operator role cannot be granted by a token")
        return cls(role, parts[1] if len(parts) > 1 and parts[1] else None, parts[2] if len(parts) > 2 else None)

    def label(self) -> str:
        return ":".join(p for p in (self.role.value, self.organisation, self.team) if p)


@dataclass(frozen=True)
class Principal:
    subject: str
    name: str
    grants: tuple[Grant, ...]
    nhs_number: str | None = None  # verified by the identity provider; service users only
    development: bool = False

    def scope(self, requested: str | None = None, person: str | None = None) -> Scope:
        """The scope of the active grant (the first, unless ``requested`` names another held grant)."""
        if not self.grants:
            raise Unauthenticated("the token grants no role")
        grant = self.grants[0]
        if requested:
            matches = [g for g in self.grants if g.label() == requested]
            if not matches:
                raise Unauthenticated("the requested role is not one this user holds")
            grant = matches[0]
        orgs = frozenset({grant.organisation}) if grant.organisation else frozenset()
        return Scope(actor=self.subject, role=grant.role, organisations=orgs, team=grant.team, person=person)


def principal_from_claims(claims: dict[str, Any], development: bool = False) -> Principal:
    sub = str(claims.get("sub") or "")
    if not sub:
        raise Unauthenticated("the token has no subject")
    raw = claims.get("openpbr_roles") or []
    if isinstance(raw, str):
        raw = raw.split()
    grants = tuple(Grant.parse(str(g)) for g in raw)
    nhs = claims.get("nhs_number")
    if nhs and not any(g.role is Role.SERVICE_USER for g in grants):
        grants = grants + (Grant(Role.SERVICE_USER),)
    return Principal(subject=sub[:40], name=str(claims.get("name") or sub)[:80], grants=grants,
                     nhs_number=str(nhs) if nhs else None, development=development)


class TokenVerifier:
    """Verifies bearer tokens: OIDC (JWKS, issuer, audience, expiry) and, when on, development tokens."""

    def __init__(self, settings: ApiSettings) -> None:
        self.settings = settings
        self._dev_key = OctKey.import_key(settings.secret_key.encode())
        self._jwks: KeySet | None = None

    def _keyset(self) -> KeySet:
        if self._jwks is None:
            if self.settings.oidc_jwks_json:
                doc = json.loads(self.settings.oidc_jwks_json)
            elif self.settings.oidc_jwks_url:
                import httpx

                doc = httpx.get(self.settings.oidc_jwks_url, timeout=10).json()
            else:
                raise Unauthenticated("no identity provider keys are configured")
            self._jwks = KeySet.import_key_set(doc)
        return self._jwks

    def verify(self, token: str) -> Principal:
        try:
            unverified = jwt.decode(token, self._dev_key, algorithms=["HS256"]) if self._is_dev(token) else None
        except JoseError:
            raise Unauthenticated("the token is not valid") from None
        if unverified is not None:
            if not self.settings.dev_signin:
                raise Unauthenticated("development tokens are not accepted by this server")
            return self._checked(unverified.claims, DEV_ISSUER, "openpbr", development=True)
        try:
            decoded = jwt.decode(token, self._keyset(), algorithms=["RS256", "ES256", "PS256"])
        except (JoseError, ValueError):
            raise Unauthenticated("the token is not valid") from None
        return self._checked(decoded.claims, self.settings.oidc_issuer, self.settings.oidc_audience)

    def _checked(self, claims: dict[str, Any], issuer: str | None, audience: str | None,
                 development: bool = False) -> Principal:
        now = time.time()
        if claims.get("iss") != issuer:
            raise Unauthenticated("the token is from another issuer")
        aud = claims.get("aud")
        if audience and audience not in (aud if isinstance(aud, list) else [aud]):
            raise Unauthenticated("the token is for another audience")
        if not isinstance(claims.get("exp"), (int, float)) or claims["exp"] < now - 30:
            raise Unauthenticated("the token has expired: sign in again")
        return principal_from_claims(claims, development=development)

    @staticmethod
    def _is_dev(token: str) -> bool:
        import base64

        try:
            head = token.split(".")[0]
            header = json.loads(base64.urlsafe_b64decode(head + "=" * (-len(head) % 4)))
        except Exception:
            raise Unauthenticated("the token is not valid") from None
        return header.get("alg") == "HS256"

    def issue_dev_token(self, claims: dict[str, Any], ttl_seconds: int = 8 * 3600) -> str:
        if not self.settings.dev_signin:
            raise Unauthenticated("the development sign-in is off")
        now = int(time.time())
        body = {**claims, "iss": DEV_ISSUER, "aud": "openpbr", "iat": now, "exp": now + ttl_seconds}
        return jwt.encode({"alg": "HS256"}, body, self._dev_key)
