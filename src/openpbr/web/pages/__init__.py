"""Page routers, one module per area."""

from openpbr.web.pages import auth, care, finance, home, imports, my_care, outcomes, reference

ROUTERS = [home.router, auth.router, my_care.router, care.router, finance.router, outcomes.router, imports.router, reference.router]
