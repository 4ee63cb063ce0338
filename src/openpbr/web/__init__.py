"""The web app: server-rendered NHS.UK pages, a thin face over the services.

``mount(app, settings)`` adds the pages at ``/`` beside the API under ``/v1``
and the static files under ``/static``. Every journey works without
JavaScript (real forms, POST-redirect-GET); JavaScript only enhances.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from fastapi import FastAPI

    from openpbr.api.settings import ApiSettings


def mount(app: FastAPI, settings: ApiSettings) -> None:
    from openpbr.web.app import install

    install(app, settings)
