"""API settings, from arguments or the environment only (secrets never from files in the repo)."""

from __future__ import annotations

import os
import secrets
from dataclasses import dataclass, field

from openpbr.db import database_url, is_sqlite
from openpbr.errors import InputError


@dataclass(frozen=True)
class ApiSettings:
    database_url: str
    dev_signin: bool = False  # the local development sign-in with seeded users: never for real use
    allow_dev_signin_on_postgres: bool = False
    # OpenID Connect: the issuer, the audience (client id) and where the signing keys are.
    oidc_issuer: str | None = None
    oidc_audience: str | None = None
    oidc_jwks_url: str | None = None
    oidc_jwks_json: str | None = None  # a JWKS document itself (tests, air-gapped deployments)
    oidc_client_secret: str | None = None
    secret_key: str = field(default_factory=lambda: secrets.token_urlsafe(32), repr=False)
    contracts_dir: str | None = None  # contract YAML folder settled by the API (default: the shipped records-demo)
    max_upload_bytes: int = 200 * 1024 * 1024
    signin_rate_per_minute: int = 10

    @classmethod
    def from_env(cls, db: str | None = None, *, dev_signin: bool | None = None,
                 allow_dev_signin_on_postgres: bool | None = None) -> ApiSettings:
        env = os.environ
        s = cls(
            database_url=database_url(db),
            dev_signin=dev_signin if dev_signin is not None else env.get("OPENPBR_DEV_SIGNIN") == "1",
            allow_dev_signin_on_postgres=(allow_dev_signin_on_postgres if allow_dev_signin_on_postgres is not None
                                          else env.get("OPENPBR_ALLOW_DEV_SIGNIN_ON_POSTGRES") == "1"),
            oidc_issuer=env.get("OPENPBR_OIDC_ISSUER"),
            oidc_audience=env.get("OPENPBR_OIDC_CLIENT_ID"),
            oidc_jwks_url=env.get("OPENPBR_OIDC_JWKS_URL"),
            oidc_jwks_json=env.get("OPENPBR_OIDC_JWKS"),
            oidc_client_secret=env.get("OPENPBR_OIDC_CLIENT_SECRET"),
            secret_key=env.get("OPENPBR_SECRET_KEY") or secrets.token_urlsafe(32),
            contracts_dir=env.get("OPENPBR_CONTRACTS"),
        )
        s.check()
        return s

    def check(self) -> None:
        if self.dev_signin and not is_sqlite(self.database_url) and not self.allow_dev_signin_on_postgres:
            raise InputError(
                "the development sign-in is refused on a non-SQLite database; "
                "pass --allow-dev-signin-on-postgres only for a test database"
            )
        if not self.dev_signin and not self.oidc_issuer:
            raise InputError(
                "no sign-in configured: set OPENPBR_OIDC_ISSUER and OPENPBR_OIDC_CLIENT_ID "
                "(and OPENPBR_OIDC_JWKS_URL), or use --dev-signin for local development"
            )
