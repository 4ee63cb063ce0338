"""The header navigation for each role: only the pages that role may open."""

from __future__ import annotations

from starlette.requests import Request

from openpbr.access import Role

NAV: dict[Role, tuple[tuple[str, str], ...]] = {
    Role.SERVICE_USER: (("/my-care", "My care"), ("/my-care/access", "Who has seen my record"),
                        ("/my-care/letter", "My care letter")),
    Role.CLINICIAN: (("/caseload", "Caseload"), ("/worklist", "Reviews due"), ("/people/new", "Register a person")),
    Role.TEAM_LEAD: (("/caseload", "Caseload"), ("/worklist", "Reviews due"), ("/people/new", "Register a person"),
                     ("/indicators", "Indicators")),
    Role.PROVIDER_FINANCE: (("/settlement", "Settlement"), ("/income", "Income and costs"), ("/whatif", "What if"),
                            ("/indicators", "Indicators"),
                            ("/services", "Prices")),
    Role.COMMISSIONER: (("/settlement", "Settlement"), ("/whatif", "What if"), ("/indicators", "Indicators"),
                        ("/gaming", "Gaming checks"),
                        ("/report", "Report"), ("/services", "Prices")),
    Role.ANALYST: (("/worklist", "Reviews due"), ("/indicators", "Indicators"), ("/imports", "Upload MHSDS"),
                   ("/reference", "Reference data")),
    Role.ADMIN: (("/imports", "Upload MHSDS"), ("/reference", "Reference data"), ("/roles", "Users and roles"),
                 ("/services", "Prices")),
    Role.AUDITOR: (("/reference", "Reference data"), ("/services", "Prices")),
}


def nav_items(request: Request, viewer) -> list[dict]:  # type: ignore[no-untyped-def]
    if viewer is None:
        return [{"href": "/services", "text": "Services and prices", "current": request.url.path == "/services"}]
    path = request.url.path
    items = []
    for href, text in NAV.get(viewer.role, ()):
        items.append({"href": href, "text": text, "current": path == href,
                      "active": path != href and path.startswith(href + "/")})
    return items
