"""The REST API under ``/v1``: a thin face over :mod:`openpbr.services`.

Identity comes from OpenID Connect tokens (or, for local use only, the
clearly labelled development sign-in); roles and organisations from the
token's claims; access is checked against :data:`openpbr.access.POLICY` and
row scope is applied by the services below the routes.
"""
